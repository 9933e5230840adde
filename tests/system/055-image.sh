# SPDX-License-Identifier: BSD-2-Clause
# Issue 27: the container image and the Kubernetes manifest, with podman. `make image` builds
# hellod:VERSION from a fresh tree (its size printed and bounded); podman runs it read-only
# with every capability dropped, publishing a loopback port: TCP and UDP greetings, a mounted
# configuration, its log lines in podman logs, a healthcheck that is healthy and turns unhealthy
# once hellod is frozen, SIGTERM ending it with 0; `podman kube play` runs
# etc/examples/kubernetes.yaml (a test port instead of the Service) and serves the ConfigMap's
# greeting, a killed hellod is restarted, and `podman kube down` leaves no container.
. "$HELLOD_TOP/tests/lib.sh"

if [ -n "$HELLOD_CROSS$HELLOD_WRAPPER" ] || [ -n "${HELLOD_SANITIZER:-}" ]; then
	skip "the container image" "it holds a release build of its own, which make check tests once"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	skip "the container image" "podman needs root here (CI runs as root)"
	exit 0
fi
if ! "$HELLOD_TOP/packaging/build-deps.sh" podman runc catatonit >"$T/deps.log" 2>&1; then
	skip "the container image" "podman, runc and catatonit could not be installed: $(tail -n 1 "$T/deps.log")"
	exit 0
fi
CONTAINERS_CONF=$HELLOD_TOP/packaging/container/containers.conf
export CONTAINERS_CONF
if ! podman info >"$T/info.log" 2>&1; then
	skip "the container image" "podman cannot run here: $(tail -n 1 "$T/info.log")"
	exit 0
fi
version=$(sed -n 's/^VERSION = //p' "$HELLOD_TOP/Makefile")
image=hellod-test-$$
cname=hellod-test-$$
CLEANUP="$CLEANUP; podman rm -f -i $cname >/dev/null 2>&1; podman kube down $T/kube.yaml >/dev/null 2>&1; podman rmi -f $image:$version $image:latest >/dev/null 2>&1"

if make -s -C "$HELLOD_TOP" image IMAGE="$image" >"$T/image.log" 2>&1; then
	pass "make image builds $image:$version"
else
	fail "make image builds the image" "$(tail -n 20 "$T/image.log")"
	exit 1
fi
size=$(podman image inspect --format '{{.Size}}' "$image:$version")
echo "# $(tail -n 1 "$T/image.log")"
if [ "$size" -le 10485760 ]; then
	pass "the image is $size bytes uncompressed, within 10 MB"
else
	fail "the image is within 10 MB" "$size bytes"
fi
expect_eq "its user is the fixed numeric 10001, its entrypoint hellod, its healthcheck exec hellod-check" \
	"10001:10001 [/usr/sbin/hellod] [CMD /usr/bin/hellod-check -q -t 3]" \
	"$(podman image inspect --format '{{.Config.User}} {{.Config.Entrypoint}} {{.Config.Healthcheck.Test}}' "$image:$version")"
expect_eq "its labels: version and licenses" "$version BSD-2-Clause" \
	"$(podman image inspect --format '{{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.licenses"}}' "$image:$version")"

# podman run, as hardened as it goes, the configuration from a mounted file.
port=$(free_port)
printf '[server]\nudp = yes\ngreeting = Hello from a container\n' >"$T/hellod.conf"
chmod 644 "$T/hellod.conf"
if ! podman run -d --name "$cname" --read-only --cap-drop=all --security-opt no-new-privileges \
    -p "127.0.0.1:$port:12345" -p "127.0.0.1:$port:12345/udp" \
    -v "$T/hellod.conf:/etc/hellod/hellod.conf:ro" "$image:$version" >"$T/run.log" 2>&1; then
	fail "podman run --read-only --cap-drop=all starts it" "$(cat "$T/run.log")"
	exit 1
fi
greets() { [ "$(greeting_of 127.0.0.1 "$port")" = "$1" ]; }
check "podman run --read-only --cap-drop=all: a TCP client on the published port gets the mounted configuration's greeting" \
	wait_until 10 greets "Hello from a container"
expect_eq "... and a UDP client too" "Hello from a container" "$("$CLIENT" udp 127.0.0.1 "$port")"
expect_eq "it runs as 10001, not root" "10001" \
	"$(awk '/^Uid:/ { print $2 }' "/proc/$(podman inspect --format '{{.State.Pid}}' "$cname")/status")"
podman logs "$cname" >"$T/logs" 2>&1
expect_grep "podman logs shows hellod's lines" '^hellod: Started hellod' "$T/logs"
podman healthcheck run "$cname" >"$T/health" 2>&1
expect_eq "podman healthcheck run: healthy" 0 "$?"
podman kill --signal STOP "$cname" >/dev/null
podman healthcheck run "$cname" >"$T/health" 2>&1
health=$?
podman kill --signal CONT "$cname" >/dev/null
expect_eq "... unhealthy once hellod is frozen (SIGSTOP)" 1 "$health"
started=$(now_ms)
podman stop -t 5 "$cname" >/dev/null 2>&1
took=$(( $(now_ms) - started ))
echo "# podman stop took $took ms"
expect_eq "SIGTERM ends it with exit 0, not the SIGKILL 5 s later" "0 exited" \
	"$(podman inspect --format '{{.State.ExitCode}} {{.State.Status}}' "$cname")"
podman rm -f "$cname" >/dev/null 2>&1

# podman kube play: the manifest as shipped, but one replica on a test port (a hostPort), the
# test's image and greeting.
kport=$(free_port)
sed -e 's/replicas: 2 .*/replicas: 1/' -e "s|image: localhost/hellod:[^ ]*|image: localhost/$image:$version|" \
    -e 's/greeting = Thank you for connecting/greeting = Hello from kube/' \
    -e "/containerPort: 12345\$/{n;/protocol: TCP/s/\$/\\n              hostPort: $kport\\n              hostIP: 127.0.0.1/}" \
    "$HELLOD_TOP/etc/examples/kubernetes.yaml" >"$T/kube.yaml"
if podman kube play "$T/kube.yaml" >"$T/kube.log" 2>&1; then
	pass "podman kube play etc/examples/kubernetes.yaml (one replica, a test port)"
else
	fail "podman kube play etc/examples/kubernetes.yaml" "$(cat "$T/kube.log")"
	exit 1
fi
kgreets() { [ "$(greeting_of 127.0.0.1 "$kport")" = "Hello from kube" ]; }
check "the pod serves the ConfigMap's greeting" wait_until 10 kgreets
ctr=hellod-pod-0-hellod
kill -9 "$(podman inspect --format '{{.State.Pid}}' "$ctr")"
restarted() { [ "$(podman inspect --format '{{.RestartCount}} {{.State.Status}}' "$ctr")" = "1 running" ]; }
check "a killed hellod is restarted (restartPolicy: Always)" wait_until 10 restarted
check "... and serves again" wait_until 10 kgreets
podman kube down "$T/kube.yaml" >/dev/null 2>&1
expect_eq "podman kube down: no container of it left" "" \
	"$(podman ps -a --format '{{.Names}}' | grep -F "hellod-pod-0" || true)"

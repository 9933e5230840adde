#!/bin/bash
# etc/examples/kubernetes.yaml checked offline (issue 27), without a cluster: every field
# against python3-kubernetes' models, the cross-field rules the API server applies, the
# hardening the manifest promises, and its ConfigMap's hellod.conf as hellod -t judges it.
# 055-image runs it with podman kube play.
. "$HELLOD_TOP/tests/lib.sh"

MANIFEST=$HELLOD_TOP/etc/examples/kubernetes.yaml
KUBECHECK="/usr/bin/python3 $HELLOD_TOP/tests/tools/kubecheck.py"

if ! /usr/bin/python3 -c 'import kubernetes' 2>/dev/null &&
    ! "$HELLOD_TOP/packaging/build-deps.sh" python3-kubernetes >"$T/deps.log" 2>&1; then
	skip "the manifest's offline check" "needs python3-kubernetes (apt-get install -y --no-install-recommends python3-kubernetes)"
	exit 0
fi

if $KUBECHECK "$MANIFEST" >"$T/check" 2>&1; then
	pass "kubernetes.yaml: every field of its ConfigMap, Deployment and Service is the API's, each port a probe or the Service names exists ($(tail -n 1 "$T/check"))"
else
	fail "kubernetes.yaml passes the offline check" "$(cat "$T/check")"
fi

# The check has teeth: a misspelt field, a string for a number, a Service port aimed at no
# container port: what podman kube play passes over in silence and kubectl refuses.
sed 's/readinessProbe:/readinesProbe:/; s/replicas: 2 /replicas: "2"/; s/targetPort: greeting-udp/targetPort: greeting-udq/' \
	"$MANIFEST" >"$T/broken.yaml"
$KUBECHECK "$T/broken.yaml" >"$T/broken" 2>&1
expect_eq "... and finds each of three mistakes in a broken copy" \
	"1 1 1" "$(grep -c 'readinesProbe: no such field' "$T/broken") $(grep -c 'replicas: int expected' "$T/broken") $(grep -c "targets 'greeting-udq'" "$T/broken")"

# What the manifest promises a cluster's admins (packaging/container/README.md).
/usr/bin/python3 - "$MANIFEST" >"$T/promises" 2>&1 <<'EOF'
import sys
import yaml
docs = {d["kind"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
pod = docs["Deployment"]["spec"]["template"]["spec"]
c = pod["containers"][0]
sc = c["securityContext"]
want = {
    "replicas 2": docs["Deployment"]["spec"]["replicas"] == 2,
    "non-root numeric user": pod["securityContext"].get("runAsNonRoot") is True
        and isinstance(pod["securityContext"].get("runAsUser"), int)
        and pod["securityContext"]["runAsUser"] > 0,
    "read-only root": sc.get("readOnlyRootFilesystem") is True,
    "no privilege escalation": sc.get("allowPrivilegeEscalation") is False,
    "every capability dropped": sc.get("capabilities", {}).get("drop") == ["ALL"],
    "requests and limits": all(k in c.get("resources", {}).get(w, {})
                               for w in ("requests", "limits") for k in ("cpu", "memory")),
    "a readiness probe": "readinessProbe" in c,
    "an exec liveness probe with hellod-check":
        c.get("livenessProbe", {}).get("exec", {}).get("command", [""])[0].endswith("hellod-check"),
    "a Service over TCP and UDP": {p["protocol"] for p in docs["Service"]["spec"]["ports"]}
        == {"TCP", "UDP"},
}
missing = [k for k, ok in want.items() if not ok]
print(", ".join(missing) if missing else "all")
EOF
expect_eq "its Deployment and Service keep what they promise (replicas 2, non-root, read-only, no capability, resources, probes, TCP and UDP)" \
	all "$(tail -n 1 "$T/promises")"

# The ConfigMap's configuration, as hellod reads it at start.
/usr/bin/python3 -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap":
        sys.stdout.write(d["data"]["hellod.conf"])' "$MANIFEST" >"$T/hellod.conf"
if hellod -t -c "$T/hellod.conf" >"$T/t.out" 2>&1; then
	pass "its ConfigMap's hellod.conf passes hellod -t"
else
	fail "its ConfigMap's hellod.conf passes hellod -t" "$(cat "$T/t.out")"
fi

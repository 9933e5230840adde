#!/bin/bash
# packaging/build-deps.sh on a multiarch host: a package installed for the host and for another
# architecture (make cross installs libsystemd-dev:ARCH) is installed, so a user's make check
# or make run goes on quietly; what is missing is still named.
. "$HELLOD_TOP/tests/lib.sh"

native=$(dpkg --print-architecture)
# make check's packages that are installed for the host and for one more architecture at least.
both=""
for pkg in libsystemd-dev libinih-dev pkgconf libc6-dev; do
	archs=$(dpkg-query -W -f='${db:Status-Status} ${Architecture}\n' "$pkg" 2>/dev/null |
	    sed -n 's/^installed //p')
	if echo "$archs" | grep -qx "$native" && [ "$(echo "$archs" | wc -l)" -ge 2 ]; then
		both="$both $pkg"
	fi
done
if [ -z "$both" ]; then
	skip "build-deps.sh with a package of two architectures" \
	    "none here (make cross ARCH=... installs libsystemd-dev for another)"
	exit 0
fi
# As a user, build-deps.sh only looks: it prints the apt-get line and fails when one is missing.
as_user=""
if [ "$(id -u)" = 0 ]; then
	if ! id nobody >/dev/null 2>&1; then
		skip "build-deps.sh with a package of two architectures" "no user 'nobody' to run it as"
		exit 0
	fi
	as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=$T"
fi
deps=$HELLOD_TOP/packaging/build-deps.sh

# shellcheck disable=SC2086 # a command line, and a list of packages
$as_user "$deps" $both >"$T/out" 2>&1
expect_eq "build-deps.sh$both (installed for $native and another architecture) as a user: \
exit 0, nothing printed" "0 " "$? $(cat "$T/out")"
# shellcheck disable=SC2086
$as_user "$deps" $both hellod-no-such-package >"$T/out" 2>&1
expect_eq "... with a missing package too: exit 1, naming that one alone" \
    "1 hellod needs these Debian packages: hellod-no-such-package" "$? $(head -n 1 "$T/out")"

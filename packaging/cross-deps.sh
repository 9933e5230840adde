#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs what building hellod for another Debian architecture needs, when any is missing: the
# architecture in dpkg, crossbuild-essential-ARCH, pkgconf, libsystemd-dev and libinih-dev for
# ARCH, and qemu-user-static to run the result (i386 runs natively on amd64). As root with
# apt-get; otherwise prints the exact commands and fails. Usage: cross-deps.sh ARCH
set -eu

usage="usage: cross-deps.sh ARCH (a Debian architecture: armhf, arm64, s390x, i386, ...)"
if [ $# != 1 ] || [ -z "$1" ]; then
	echo "$usage" >&2
	exit 64
fi
arch=$1
native=$(dpkg --print-architecture)
if [ "$arch" = "$native" ]; then
	echo "cross-deps.sh: $arch is this machine's own architecture: make check builds for it" >&2
	exit 64
fi
# Another engineer's apt-get may hold the lock: wait for it (20 minutes) rather than fail.
apt="apt-get -o DPkg::Lock::Timeout=1200"

# crossbuild-essential-ARCH does not pull in pkgconf:ARCH, which holds <triplet>-pkg-config.
want="crossbuild-essential-$arch pkgconf:$arch libsystemd-dev:$arch libinih-dev:$arch"
case $native:$arch in
amd64:i386) ;;                  # the kernel runs i386 binaries itself, with libc6:i386
*) want="$want qemu-user-static" ;;
esac

# installed PKG: dpkg has PKG (qualified PKG:ARCH where it matters) installed. One status line
# per architecture: on a multiarch host an unqualified name matches every one.
installed() { dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qx installed; }

has_arch=no
if dpkg --print-foreign-architectures | grep -qx -- "$arch"; then
	has_arch=yes
fi
missing=""
for pkg in $want; do
	installed "$pkg" || missing="$missing $pkg"
done
[ "$has_arch" = yes ] && [ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "make cross ARCH=$arch needs these Debian packages:$missing" >&2
	echo "Install them with:" >&2
	[ "$has_arch" = yes ] || echo "  sudo dpkg --add-architecture $arch" >&2
	echo "  sudo apt-get update" >&2
	echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive

if [ "$has_arch" = no ]; then
	echo "Adding the architecture $arch to dpkg" >&2
	# dpkg itself has no lock timeout: bounded retries while another apt-get runs.
	i=0
	until dpkg --add-architecture "$arch" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge 120 ]; then
			dpkg --add-architecture "$arch"
			exit 1
		fi
		sleep 10
	done
fi

# update: apt-get update, three tries. A foreign architecture's security index may be briefly
# out of step with its Release file ("File has unexpected size ... Mirror sync in progress?"):
# the main index still serves, so a last failure goes on when it knows libsystemd-dev:ARCH.
update() {
	for try in 1 2 3; do
		$apt update -q </dev/null && return 0
		[ "$try" = 3 ] || sleep 10
	done
	if apt-cache show "libsystemd-dev:$arch" >/dev/null 2>&1; then
		echo "cross-deps.sh: apt-get update failed; going on with the indexes it has" >&2
		return 0
	fi
	return 1
}

# Fetch the lists when this architecture has none yet (just added, or a fresh machine).
if ! apt-cache show "libsystemd-dev:$arch" >/dev/null 2>&1; then
	update
	if ! apt-cache show "libsystemd-dev:$arch" >/dev/null 2>&1; then
		echo "cross-deps.sh: the archive has no libsystemd-dev for $arch" >&2
		exit 1
	fi
fi

# versions PKG: the versions apt knows of PKG (PKG:ARCH), newest first.
versions() { apt-cache madison "$1" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'; }

# align PKG: "PKG:A=V ..." for every architecture A that has PKG installed and for ARCH, with
# one version V that all of them can have, or nothing. A Multi-Arch: same library must have one
# version in every architecture, and a foreign index may lack the host's security update (this
# machine's security archive has no s390x at all): then V is the newest version every
# architecture has, a downgrade. The packages built from the same source at the host's version
# (liblzma-dev, xz-utils) follow, since some depend on exactly that version; without them apt
# would rather remove them, or the other architectures' libsystemd0.
align() {
	host=$(dpkg-query -W -f='${Version}' "$1:$native" 2>/dev/null) || return 0
	source=$(dpkg-query -W -f='${source:Package}' "$1:$native")
	archs=$(dpkg-query -W -f='${db:Status-Status} ${Architecture}\n' "$1" |
	    sed -n 's/^installed //p' | grep -vx -e "$arch" -e all)
	for v in $host $(versions "$1:$arch"); do
		ok=yes
		for a in $archs $arch; do
			versions "$1:$a" | grep -qxF -- "$v" || ok=no
		done
		[ "$ok" = yes ] && break
	done
	[ "$ok" = yes ] || return 0
	dpkg-query -W -f='${db:Status-Status} ${binary:Package} ${Version} ${source:Package}\n' |
	    while read -r status bin version src; do
		if [ "$status" = installed ] && [ "$bin" != "$1:$arch" ] && [ "$src" = "$source" ] &&
		    [ "$version" = "$host" ] &&
		    versions "$bin" | grep -qxF -- "$v"; then
			printf ' %s=%s' "$bin" "$v"
		fi
	done
	echo " $1:$arch=$v"
}

echo "Installing$missing with apt-get" >&2
log=$(mktemp)
trap 'rm -f "$log" "$log.rc"' EXIT
# shellcheck disable=SC2086 # $missing is a list of words
{
	rc=0
	$apt install -y -q --no-install-recommends --no-remove $missing </dev/null || rc=$?
	echo "$rc" >"$log.rc"
} 2>&1 | tee "$log"
[ "$(cat "$log.rc")" = 0 ] && exit 0
# The known cause: libsystemd0:ARCH depends on liblzma5 and libzstd1 ("Depends: liblzma5:ARCH
# ... but it is not going to be installed"). Align those two and whatever else apt named.
names=$(sed -n "s/.*Depends: \([a-z0-9][a-z0-9.+-]*\):$arch .*not going to be installed.*/\1/p" \
    "$log" | sort -u)
pins=""
# shellcheck disable=SC2086 # $names is a list of words
for pkg in $(printf '%s\n' liblzma5 libzstd1 $names | sort -u); do
	pins="$pins$(align "$pkg")"
done
echo "Retrying with one version per library for every architecture:$pins" >&2
# The lists may be what was out of step: fetch them again first.
update
# shellcheck disable=SC2086 # lists of words
$apt install -y -q --no-install-recommends --no-remove --allow-downgrades $missing $pins </dev/null

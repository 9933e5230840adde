#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs what make deb ARCH=... needs to cross-build the package, when anything is missing: the
# foreign architecture, its cross compiler, and the package's Build-Depends as apt-get build-dep -a
# resolves them from debian/control (pkgconf, libsystemd-dev, libinih-dev for ARCH; debhelper and
# systemd, Multi-Arch: foreign, for this machine). As root with apt-get; otherwise prints the
# commands and fails. Usage: deb-cross-deps.sh ARCH SOURCE-TREE
set -eu
arch=$1
tree=$(cd "$2" && pwd)
profiles=cross,nocheck
apt="apt-get -o DPkg::Lock::Timeout=1200"

# make cross's installer, when there is one, also aligns the foreign libraries' versions with
# this machine's (cross.md: liblzma5, libzstd1).
if [ -x packaging/cross-deps.sh ]; then
	packaging/cross-deps.sh "$arch"
fi

have_arch() {
	[ "$arch" = "$(dpkg --print-architecture)" ] ||
	    dpkg --print-foreign-architectures | grep -qx "$arch"
}
# One status per installed architecture: crossbuild-essential-* is Architecture: all.
have_cc() {
	dpkg-query -W -f='${db:Status-Status}\n' "crossbuild-essential-$arch" 2>/dev/null |
	    grep -qx installed
}
have_deps() {
	(cd "$tree" && dpkg-checkbuilddeps -a "$arch" -P "$profiles") >/dev/null 2>&1
}
if have_arch && have_cc && have_deps; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "make deb ARCH=$arch needs the $arch architecture, its cross compiler and build deps." >&2
	echo "Install them with:" >&2
	echo "  sudo dpkg --add-architecture $arch && sudo apt-get update" >&2
	echo "  sudo apt-get install -y crossbuild-essential-$arch" >&2
	echo "  sudo apt-get build-dep -y -a $arch -P $profiles $tree" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A foreign architecture's security index can be briefly out of step with the mirror ("File
# has unexpected size ... Mirror sync in progress?"): one retry, then go on with the indexes
# that did come.
update() {
	$apt update -q </dev/null || { sleep 10; $apt update -q </dev/null; } ||
	    echo "apt-get update failed twice; going on with the package lists there are" >&2
}
if ! have_arch; then
	echo "Adding the $arch architecture" >&2
	dpkg --add-architecture "$arch"
	update
fi
# A Multi-Arch: same library has one version on every architecture. apt takes the newest for a
# foreign one and would upgrade this machine's to match, or give up ("held broken packages") when
# another foreign architecture holds it back; asking for the version installed here avoids both
# (cross.md: libsystemd0's liblzma5 and libzstd1, newer in bookworm-security).
native=$(dpkg --print-architecture)
align=""
for lib in liblzma5 libzstd1; do
	v=$(dpkg-query -W -f='${Version}' "$lib:$native" 2>/dev/null) || continue
	align="$align $lib:$arch=$v"
done
install() {
	# shellcheck disable=SC2086 # $align is a list of package=version words
	$apt install -y -q --no-install-recommends "crossbuild-essential-$arch" $1 </dev/null &&
	    $apt build-dep -y -q --no-install-recommends -a "$arch" -P "$profiles" "$tree" </dev/null
}
echo "Installing crossbuild-essential-$arch and the build deps for $arch with apt-get" >&2
# The package lists of a fresh machine are empty: fetch them once, only when needed. Without
# this machine's version of a library for ARCH, let apt choose.
if ! install "$align"; then
	update
	install "$align" || install ""
fi

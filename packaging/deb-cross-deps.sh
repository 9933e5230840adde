#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs what make deb ARCH=... needs to cross-build the package, when anything is missing:
# first what any cross build needs (packaging/cross-deps.sh: the architecture, crossbuild-essential,
# pkgconf, libsystemd-dev and libinih-dev for ARCH, one version of liblzma5 and libzstd1), then
# whatever else debian/control's Build-Depends name, as apt-get build-dep -a resolves them (for
# ARCH, or for this machine when Multi-Arch: foreign, as debhelper and systemd are). As root with
# apt-get; otherwise prints the commands and fails. Usage: deb-cross-deps.sh ARCH SOURCE-TREE
set -eu
arch=$1
tree=$(cd "$2" && pwd)
profiles=cross,nocheck

packaging/cross-deps.sh "$arch"

if (cd "$tree" && dpkg-checkbuilddeps -a "$arch" -P "$profiles"); then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "Install them with:  sudo apt-get build-dep -y -a $arch -P $profiles $tree" >&2
	exit 1
fi
echo "Installing the build deps for $arch with apt-get build-dep" >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=1200 build-dep -y -q \
    --no-install-recommends -a "$arch" -P "$profiles" "$tree" </dev/null

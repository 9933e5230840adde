#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian packages a make target needs when any is missing: as root with apt-get,
# otherwise prints the exact apt-get line and fails. Usage: build-deps.sh PACKAGE...
set -eu

native=$(dpkg --print-architecture)
missing=""
for pkg in "$@"; do
	# One status per installed architecture, each on its line: on a multiarch host a library
	# may be there for several (libsystemd-dev for amd64 and arm64), and their statuses run
	# together (installedinstalled). A native build needs the host's own, or an
	# architecture-independent package; PKG:ARCH names another.
	case $pkg in
	*:*) want=${pkg#*:} ;;
	*) want=$native ;;
	esac
	dpkg-query -W -f='${db:Status-Status} ${Architecture}\n' "$pkg" 2>/dev/null |
	    grep -qx -e "installed $want" -e 'installed all' || missing="$missing $pkg"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "hellod needs these Debian packages:$missing" >&2
	echo "Install them with:  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "Installing$missing with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt-get (make cross's, say) may hold the lock: wait for it rather than fail. Never
# remove a package to make room: with another architecture installed (cross-deps.sh), apt
# would rather drop its libraries than keep one version of each for both.
apt="apt-get -o DPkg::Lock::Timeout=1200"
# The package lists of a fresh machine are empty: fetch them once, only when needed.
if ! $apt install -y -q --no-install-recommends --no-remove $missing </dev/null; then
	$apt update -q </dev/null
	$apt install -y -q --no-install-recommends --no-remove $missing </dev/null
fi

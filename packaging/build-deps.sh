#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian packages a make target needs when any is missing: as root with apt-get,
# otherwise prints the exact apt-get line and fails. Usage: build-deps.sh PACKAGE...
set -eu

missing=""
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $pkg"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "hellod needs these Debian packages:$missing" >&2
	echo "Install them with:  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "Installing$missing with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine are empty: fetch them once, only when needed.
if ! apt-get install -y -q --no-install-recommends $missing </dev/null; then
	apt-get update -q </dev/null
	apt-get install -y -q --no-install-recommends $missing </dev/null
fi

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The container image's root, for packaging/container/Containerfile: the build's two binaries,
# stripped, and from this machine's Debian packages exactly the files they need at run time:
# the libraries ldd lists and the dynamic loader (libc6, libsystemd0, libinih1 and the
# libraries those need), /etc/services (netbase), and a passwd, group and nsswitch.conf for the
# fixed user. The packages and versions used are listed in the image, in
# /usr/share/doc/hellod/image-packages. Usage: rootfs.sh BUILDDIR ROOT
set -eu
build=$1 root=$2
uid=10001       # the image's user and group: fixed, numeric, above any a Debian package takes

rm -rf "$root"
mkdir -p "$root/usr/sbin" "$root/usr/bin" "$root/etc/hellod" "$root/usr/share/doc/hellod"
install -m 755 -s "$build/hellod" "$root/usr/sbin/hellod"
install -m 755 -s "$build/hellod-check" "$root/usr/bin/hellod-check"

# Every library at the path the loader looks for it, and the loader itself.
libs=$(ldd "$build/hellod" "$build/hellod-check" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
    $1 ~ /^\// { print $1 }' | sort -u)
for lib in $libs; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# Debian's /lib is a symlink to /usr/lib: the same in the image, so that both paths resolve.
for dir in lib lib64; do
	if [ -d "$root/$dir" ] && [ -L "/$dir" ]; then
		mkdir -p "$root/usr/$dir"
		cp -a "$root/$dir/." "$root/usr/$dir/"
		rm -rf "${root:?}/$dir"
		ln -s "usr/$dir" "$root/$dir"
	fi
done

cp /etc/services "$root/etc/services"
printf 'hellod:x:%s:%s:hellod:/nonexistent:/usr/sbin/nologin\n' "$uid" "$uid" >"$root/etc/passwd"
printf 'hellod:x:%s:\n' "$uid" >"$root/etc/group"
# glibc 2.36 has the files and dns lookups built in: no NSS module to copy.
printf 'passwd: files\ngroup: files\nhosts: files dns\nservices: files\n' \
    >"$root/etc/nsswitch.conf"
cp "$(dirname "$0")/../../etc/hellod.conf" "$root/etc/hellod/hellod.conf"
chmod 644 "$root/etc/hellod/hellod.conf"

for lib in $libs /etc/services; do
	dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib"
done | cut -d: -f1 | sort -u | xargs dpkg-query -W -f='${Package} ${Version}\n' \
    >"$root/usr/share/doc/hellod/image-packages"
cp "$(dirname "$0")/../../LICENSE" "$root/usr/share/doc/hellod/LICENSE"

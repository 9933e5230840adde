#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make size: the footprint of hellod and hellod-check as a Markdown table. For each architecture
# (this machine's, and each foreign one whose cross compiler and libraries are installed) and each
# set of size-conscious flags: size(1)'s text, data and bss, and the size of the stripped file.
# Builds go to build/size-ARCH-VARIANT, with the Makefile's own CFLAGS replaced by the variant's.
# Usage: size.sh [ARCH...]   (default: this machine's and every foreign architecture dpkg has)
set -eu
cd "$(dirname "$0")/.." || exit
make=${MAKE:-make}
native=$(dpkg --print-architecture)
if [ $# = 0 ]; then
	# shellcheck disable=SC2046 # one word per architecture
	set -- "$native" $(dpkg --print-foreign-architectures)
fi

gc="-ffunction-sections -fdata-sections"
# variant NAME: sets cflags and ldflags for it.
variant() {
	case $1 in
	O2) cflags="-O2" ldflags="" ;;
	Os) cflags="-Os" ldflags="" ;;
	Os-gc) cflags="-Os $gc" ldflags="-Wl,--gc-sections" ;;
	Os-gc-nosep) cflags="-Os $gc" ldflags="-Wl,--gc-sections -Wl,-z,noseparate-code" ;;
	O2-gc-nosep) cflags="-O2 $gc" ldflags="-Wl,--gc-sections -Wl,-z,noseparate-code" ;;
	esac
}
# label NAME: the variant's flags as the table shows them.
label() {
	variant "$1"
	echo "\`$cflags${ldflags:+ $ldflags}\`"
}

# The full set on this machine; the default and the smallest elsewhere.
native_variants="O2 O2-gc-nosep Os Os-gc Os-gc-nosep"
cross_variants="O2 Os-gc-nosep"

# measure ARCH TRIPLET VARIANT: builds, then prints one row per binary.
measure() {
	arch=$1 triplet=$2
	variant "$3"
	dir=build/size-$arch-$3
	if ! $make --no-print-directory BUILDDIR="$dir" CC="$triplet-gcc" \
	    PKG_CONFIG="$triplet-pkg-config" AR="$triplet-ar" CFLAGS="$cflags" \
	    LDFLAGS="$ldflags" CPPFLAGS= WERROR=-Werror all >"$dir/make.log" 2>&1; then
		echo "size.sh: the $arch build with $(label "$3") failed, see $dir/make.log" >&2
		return 1
	fi
	for bin in hellod hellod-check; do
		"$triplet-strip" -o "$dir/$bin.stripped" "$dir/$bin"
		stripped=$(wc -c <"$dir/$bin.stripped")
		# size(1), Berkeley format: text data bss dec hex filename.
		"$triplet-size" "$dir/$bin" | awk -v a="$arch" -v f="$(label "$3")" -v b="$bin" \
		    -v s="$stripped" 'NR == 2 {
			printf "| %s | %s | %s | %d | %d | %d | %d | %d |\n", a, f, b, $1, $2, $3, $1 + $2, s
		}'
	done
}

echo "| arch | flags | binary | text | data | bss | text+data | stripped file |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
failed=0
for arch in "$@"; do
	triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_GNU_TYPE 2>/dev/null) || {
		echo "size.sh: $arch: not a Debian architecture" >&2
		failed=1
		continue
	}
	variants=$cross_variants
	if [ "$arch" = "$native" ]; then
		variants=$native_variants
	fi
	# A foreign architecture counts only with its toolchain and its libraries (make cross
	# ARCH=... or make deb ARCH=... install them).
	if ! command -v "$triplet-gcc" >/dev/null || ! command -v "$triplet-size" >/dev/null ||
	    ! "$triplet-pkg-config" --exists libsystemd inih 2>/dev/null; then
		echo "size.sh: $arch skipped: no $triplet-gcc, $triplet-size or libsystemd and inih for it" >&2
		continue
	fi
	for v in $variants; do
		mkdir -p "build/size-$arch-$v"
		measure "$arch" "$triplet" "$v" || failed=1
	done
done
exit "$failed"

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make fuzz: builds each libFuzzer target with clang (ASan+UBSan) and runs it for a bounded
# time from the committed corpus. A crash leaves its input in build/fuzz/; commit it to
# tests/fuzz/corpus/TARGET/ once fixed, and make check runs it from then on.
# Usage: tests/fuzz/fuzz.sh SECONDS "CFLAGS..." "LIBS..."
set -u
cd "$(dirname "$0")/../.." || exit
seconds=$1 cflags=$2 libs=$3
out=build/fuzz
mkdir -p "$out"
failed=0
for target in config reply proxy template quotes http; do
	case $target in
	config) sources="src/common/config.c src/common/config-keys.c src/common/config-types.c src/common/access.c src/common/template.c src/common/quotes.c src/common/addr.c src/common/util.c" ;;
	reply) sources="src/check/report.c src/common/util.c" ;;
	proxy) sources="src/hellod/proxy.c src/common/addr.c src/common/util.c" ;;
	template) sources="src/common/template.c src/common/util.c" ;;
	quotes) sources="src/common/quotes.c src/common/util.c" ;;
	http) sources="src/hellod/http.c" ;;
	esac
	# shellcheck disable=SC2086 # the flag and source lists are meant to split
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -D_GNU_SOURCE -Isrc/common -Isrc/check $cflags -o "$out/fuzz_$target" \
	    "tests/fuzz/fuzz_$target.c" $sources $libs; then
		echo "FAIL fuzz/$target: does not build"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$out/corpus-$target"
	# New inputs go to the first directory; the committed ones are only read.
	if "$out/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
	    -artifact_prefix="$out/crash-$target-" "$out/corpus-$target" \
	    "tests/fuzz/corpus/$target" >"$out/$target.log" 2>&1; then
		echo "PASS fuzz/$target: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$out/$target.log")s"
	else
		echo "FAIL fuzz/$target: see $out/$target.log; the input is in $out/crash-$target-*"
		tail -n 30 "$out/$target.log" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done
echo "fuzz: $failed failed"
[ "$failed" = 0 ]

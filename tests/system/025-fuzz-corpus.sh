# SPDX-License-Identifier: BSD-2-Clause
# The fuzz targets over the committed corpus and crash reproducers (tests/fuzz/corpus): make
# fuzz searches with libFuzzer, this replays what it found, under ASan+UBSan in make
# check-asan and under valgrind in make check-valgrind.
. "$HELLOD_TOP/tests/lib.sh"

for target in config reply proxy template quotes http; do
	n=$(ls "$HELLOD_TOP/tests/fuzz/corpus/$target" | wc -l)
	# shellcheck disable=SC2086 # the wrapper is a command line
	$HELLOD_WRAPPER "$HELLOD_BUILD/tests/fuzz_$target" "$HELLOD_TOP/tests/fuzz/corpus/$target"/* \
		>"$T/out" 2>&1
	expect_eq "fuzz_$target: the $n committed inputs run clean" "0 $n inputs" \
		"$? $(cat "$T/out")"
done

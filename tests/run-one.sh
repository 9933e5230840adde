#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/run.sh, and by each of its parallel workers: run_one.

# run_one NAME OUT COMMAND...: runs one test, bounded (no test may hang CI), into the file OUT:
# its output, how long it took, and a FAIL line when it died without saying FAIL or said
# nothing at all.
run_one() {
	name=$1 out=$2
	shift 2
	started=$(date +%s)
	timeout -k 5 300 "$@" >"$out" 2>&1
	status=$?
	echo "# $name took $(( $(date +%s) - started )) s" >>"$out"
	if [ "$status" != 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $name: exited with status $status" >>"$out"
	elif ! grep -q '^\(PASS\|FAIL\|SKIP\) ' "$out"; then
		echo "FAIL $name: reported no result" >>"$out"
	fi
}

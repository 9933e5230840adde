#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make lint: cppcheck, clang-tidy and gcc -fanalyzer over the C sources, the layering of their
# includes (tests/layers), pyflakes over the scenario engine, shellcheck over the shell
# scripts. Each must be clean; any finding fails. (systemd-analyze verify of the units
# runs in make check, 014-install, against the installed paths.)
# Usage: tests/lint.sh "CPPFLAGS..." (the include and define flags of the build)
set -u
cd "$(dirname "$0")/.." || exit
flags="-std=gnu17 -D_GNU_SOURCE -Isrc/common -Isrc/check $1"
c_sources="src/common/*.c src/hellod/*.c src/check/*.c"
c_tests="tests/tools/*.c tests/bench/*.c tests/unit/*.c tests/fuzz/*.c tests/fault/*.c"
failed=0
step() {
	name=$1
	shift
	if "$@" >build/lint.log 2>&1 && ! grep -Eq '(warning|error|style|portability|performance):' build/lint.log; then
		echo "PASS lint/$name"
	else
		echo "FAIL lint/$name"
		sed 's/^/# /' build/lint.log | head -n 60
		failed=$((failed + 1))
	fi
}
mkdir -p build

# shellcheck disable=SC2086 # the lists and flags are meant to split
step cppcheck cppcheck -q --std=c11 --enable=warning,performance,portability \
	--inline-suppr --error-exitcode=1 --suppress=missingIncludeSystem \
	-D_GNU_SOURCE -Isrc/common -Isrc/check $c_sources $c_tests

# bugprone and the clang static analyzer, less: the C11 Annex K advice (snprintf_s and
# friends, which glibc does not have); valist.Uninitialized, which clang 14 reports at every
# va_start ... vsnprintf ... va_end; branch-clone, which flags else-if chains that set the same
# error for different failures; and the checks about identifier names and parameter order.
tidy_checks='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-clang-analyzer-valist.Uninitialized,bugprone-*,-bugprone-branch-clone,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,misc-redundant-expression'
# Two at a time, eight files each: the machines this runs on have two cores.
tidy() {
	# shellcheck disable=SC2086
	printf '%s\n' $c_sources | xargs -P 2 -n 8 sh -c 'clang-tidy -quiet --checks="$0" \
	    --warnings-as-errors="*" "$@" -- '"$flags" "$tidy_checks"
}
step clang-tidy tidy

# GCC 12's leak checker cannot follow reference counts or pointers kept in arrays (it reports
# configs and servers as leaked that are freed); leaks are checked by LeakSanitizer and
# valgrind over the whole suite instead (make check-asan, make check-valgrind).
analyze() {
	# shellcheck disable=SC2086
	printf '%s\n' $c_sources | xargs -P 2 -I{} \
	    gcc -fanalyzer -Wno-analyzer-malloc-leak -Werror $flags -c -o /dev/null {}
}
step gcc-fanalyzer analyze

# The layering: every include runs down the order declared in tests/layers.
step layers tests/layers.sh

# The house budget: functions stay short (STYLE.md: ~50 lines), and no body runs over 60. A definition starts with its
# name at the start of a line and its body's braces stand alone in column 0.
function_length() {
	# shellcheck disable=SC2086
	awk '/^\{/ { start = FNR; name = prev }
	    /^\}/ && start { if (FNR - start - 1 > 60) { printf "%s:%d: %s: %d lines, over 60\n",
	        FILENAME, start, name, FNR - start - 1; bad = 1 }; start = 0 }
	    { prev = $0 } END { exit bad }' $c_sources
}
step function-length function_length

# The Python of the tests (scenario engine, tools, fault sweep, bench): pyflakes (unused names, undefined names, shadowed imports).
step pyflakes pyflakes3 tests/scenario/*.py tests/tools/*.py tests/fault/*.py tests/bench/*.py

# The system tests and lib.sh have no shebang: tests/run.sh runs them with bash.
shell() {
	shellcheck -S warning .ci/run tests/run.sh tests/run-one.sh tests/lint.sh tests/layers.sh tests/fuzz/fuzz.sh \
	    packaging/build-deps.sh packaging/cross-deps.sh packaging/deb-cross-deps.sh \
	    packaging/size.sh packaging/container/rootfs.sh &&
	    shellcheck -S warning -s bash tests/lib.sh tests/lib-check.sh tests/system/*.sh
}
step shellcheck shell

# Every relative link of every Markdown file, and the man pages' FILES and SEE ALSO of hellod's
# own, point to something in the tree (tests/tools/links.py).
step links python3 tests/tools/links.py

echo "lint: $failed failed"
[ "$failed" = 0 ]

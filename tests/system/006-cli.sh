# SPDX-License-Identifier: BSD-2-Clause
# The command line: -t like nginx -t, --help, --version, usage errors, config errors at start.
. "$HELLOD_TOP/tests/lib.sh"

printf '[server]\nport = 12345\ngreeting = ok\n' >"$T/good.conf"
hellod -t -c "$T/good.conf" >"$T/out" 2>"$T/err"
expect_eq "-t on a good file exits 0" 0 "$?"
expect_eq "... printing 'configuration OK'" "hellod: $T/good.conf: configuration OK" "$(cat "$T/out")"

printf '[server]\nport = 12345\n  greeting = x\nbacklog = -1\n[log]\nlevel = chatty\n' >"$T/bad.conf"
hellod -t -c "$T/bad.conf" >"$T/out" 2>"$T/err"
expect_eq "-t on a bad file exits 78" 78 "$?"
expect_grep "... naming line 3 (indented)" "^hellod: $T/bad.conf:3: indented line" "$T/err"
expect_grep "... line 4 (bad number)" "^hellod: $T/bad.conf:4: backlog = '-1': not a number; allowed: 1-65535" "$T/err"
expect_grep "... line 6 (log level)" "^hellod: $T/bad.conf:6: level = 'chatty': not a log level; allowed: err, warning, notice, info, debug" "$T/err"
expect_grep "... ending with the verdict" "configuration test failed" "$T/err"
expect_eq "... and nothing on stdout" "" "$(cat "$T/out")"

hellod -t -c "$T/missing.conf" >"$T/out" 2>"$T/err"
expect_eq "-t with a missing -c file exits 78" 78 "$?"
expect_grep "... saying so" "$T/missing.conf: No such file or directory" "$T/err"

hellod -c "$T/bad.conf" >"$T/out" 2>"$T/err"
expect_eq "starting with a bad file exits 78 (EX_CONFIG)" 78 "$?"
expect_grep "... with file:line" "$T/bad.conf:4: backlog" "$T/err"

hellod --help >"$T/out" 2>&1
expect_eq "--help exits 0" 0 "$?"
expect_grep "... and shows the usage" '^Usage: hellod \[-c FILE\] \[-t\] \[-d\]' "$T/out"
hellod --version >"$T/out" 2>&1
expect_eq "--version exits 0" 0 "$?"
expect_grep "... and prints the version" '^hellod [0-9]+\.[0-9]+\.[0-9]+$' "$T/out"
hellod --bogus >"$T/out" 2>&1
expect_eq "an unknown option exits 64 (EX_USAGE)" 64 "$?"
hellod stray >"$T/out" 2>&1
expect_eq "a stray argument exits 64" 64 "$?"
expect_grep "... naming it" "unexpected argument 'stray'" "$T/out"

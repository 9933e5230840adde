#!/bin/bash
# The journal catalog: journalctl compiles it, it explains every MESSAGE_ID hellod logs, and
# the fields it quotes (@FIELD@) are ones hellod sends.
. "$HELLOD_TOP/tests/lib.sh"

if ! command -v journalctl >/dev/null; then
	skip "journal catalog" "journalctl not installed"
	exit 0
fi
mkdir -p "$T/root/usr/lib/systemd/catalog"
cp "$HELLOD_TOP/systemd/hellod.catalog" "$T/root/usr/lib/systemd/catalog/"
journalctl --root="$T/root" --update-catalog >"$T/update.log" 2>&1
expect_eq "journalctl --update-catalog compiles hellod.catalog" "0 " "$? $(cat "$T/update.log")"
journalctl --root="$T/root" --list-catalog >"$T/list" 2>&1

missing=""
for id in $(sed -n 's/^#define HELLOD_MESSAGE_[A-Z_]* "\([0-9a-f]\{32\}\)"$/\1/p' \
    "$HELLOD_TOP/src/common/defaults.h"); do
	grep -q "^$id hellod: ." "$T/list" || missing="$missing $id"
done
expect_eq "every MESSAGE_ID in defaults.h has an entry with a subject" "7 ids, missing:" \
    "$(grep -c '^#define HELLOD_MESSAGE_' "$HELLOD_TOP/src/common/defaults.h") ids, missing:$missing"
expect_eq "the catalog has no entry of an id hellod does not log" 7 "$(wc -l <"$T/list")"

unknown=""
for field in $(grep -o '@[A-Z_]*@' "$HELLOD_TOP/systemd/hellod.catalog" | tr -d @ | sort -u); do
	grep -rq "\"$field=" "$HELLOD_TOP/src" || unknown="$unknown $field"
done
expect_eq "every field the catalog quotes is one hellod sends" "" "$unknown"

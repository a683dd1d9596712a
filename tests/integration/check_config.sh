#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/check_config.sh - clarionctl check-config and clariond
# on good and bad files: exit status 78, FILE:LINE:COL on stderr, and no
# side effect (the database is never created by a check).

. "$(dirname "$0")/lib.sh"

cd "$WORK"
cp "$CLARION_SOURCE/conf/clarion.yaml" example.yaml
cp -R "$CLARION_SOURCE/conf/templates" templates
# Without its keys, the example names what is missing, with its position.
expect_status 78 "$CTL" -c example.yaml check-config
grep -q "^example.yaml:[0-9]*:[0-9]*: token_key: .*keys/token.key: " \
	"$WORK/err" || fail "missing key: $(cat "$WORK/err")"
expect_status 0 "$CTL" -c example.yaml keygen
expect_status 0 "$CTL" -c example.yaml check-config
expect_line "$WORK/out" "example.yaml: OK (3 lists, 3 themes, 2 senders, 3 segments, 2 campaigns)"
[ ! -e clarion.db ] || fail "check-config created the database"
ok "the example configuration is valid once keygen made its keys, and checking it creates nothing"

# bad NAME YAML EXPECTED-LINE: check-config refuses with that message.
bad() {
	printf '%s' "$2" >"$1.yaml"
	expect_status 78 "$CTL" -c "$1.yaml" check-config
	expect_line "$WORK/err" "$3"
	[ ! -s "$WORK/out" ] || fail "$1: output on stdout"
	ok "$1"
}

base='database: c.db
lists:
  news:
themes:
  t:
senders:
  s:
    address: s@example.org
'
bad unknown-key "${base}segmens: {}
" "unknown-key.yaml:9:1: unknown key \"segmens\" in the top level (did you mean \"segments\"?)"
bad duplicate-key "${base}database: d.db
" "duplicate-key.yaml:9:1: duplicate key \"database\" (first at line 1, column 1)"
bad wrong-type "${base}segments: [a]
" "wrong-type.yaml:9:11: section \"segments\" must be a mapping, got a sequence"
bad missing-value 'database: c.db
lists:
  news:
themes:
  t:
senders:
  s:
    name: S
' "missing-value.yaml:7:3: sender \"s\": missing required key \"address\""
bad alias "${base}segments:
  a: &seg
    lists: [news]
    theme: t
  b: *seg
" "alias.yaml:10:6: anchors (&seg) are not allowed"
bad bad-utf8 "$(printf '%sdescription: caf\351\n' "$base")
" "bad-utf8.yaml:9:17: invalid UTF-8 (byte 0xE9)"
bad where-delete "${base}segments:
  g:
    lists: [news]
    theme: t
    where: id IN (DELETE FROM contacts RETURNING id)
" "where-delete.yaml:13:12: segment \"g\": the where clause may only read: DELETE is not allowed"
bad where-second-statement "${base}segments:
  g:
    lists: [news]
    theme: t
    where: \"1; DROP TABLE contacts\"
" "where-second-statement.yaml:13:12: segment \"g\": the where clause must be one expression: ';' would start a second statement"
bad where-pragma "${base}segments:
  g:
    lists: [news]
    theme: t
    where: EXISTS (SELECT 1 FROM pragma_database_list)
" "where-pragma.yaml:13:12: segment \"g\": the where clause may not use table-valued functions or virtual tables (json_each, pragma_...)"
bad where-attach "${base}segments:
  g:
    lists: [news]
    theme: t
    where: 1) OR (1
" "where-attach.yaml:13:12: segment \"g\": the where clause closes a parenthesis it did not open: it must be one expression"

# The daemon refuses the same files the same way, before anything else,
# as error lines of its log.
expect_status 78 "$DAEMON" -c where-delete.yaml
grep -qF "clariond[error]: where-delete.yaml:13:12: segment \"g\": the where clause may only read: DELETE is not allowed" \
	"$WORK/err" || fail "clariond's message: $(cat "$WORK/err")"
[ ! -e c.db ] || fail "clariond created the database from a bad configuration"
ok "clariond refuses a bad configuration with status 78"

expect_status 78 "$CTL" -c no-such.yaml check-config
grep -q "^no-such.yaml: cannot open: No such file or directory$" "$WORK/err" ||
	fail "missing file message"
ok "a missing file"

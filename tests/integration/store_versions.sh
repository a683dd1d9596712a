#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/store_versions.sh - the programs refuse a database
# written by a newer clarion, or by another program, and change nothing
# in it. (Upgrades of older schemas are tested in unit/store_test.c,
# which can build a database at any earlier version.)

. "$(dirname "$0")/lib.sh"

cd "$WORK"
write_config "$WORK"
ctl() {
	"$CTL" -c "$WORK/clarion.yaml" "$@"
}

printf 'email\na@example.org\n' >one.csv
expect_status 0 ctl import one.csv --list newsletter
latest=$(sqlite3 clarion.db 'PRAGMA user_version')
[ "$latest" -ge 2 ] || fail "schema version $latest"

sqlite3 clarion.db 'PRAGMA user_version = 1000'
cp clarion.db newer.db
expect_status 65 ctl segment count newsletter
expect_line "$WORK/err" "clarionctl: $WORK/clarion.db was written by a newer clarion (schema version 1000; this clarion knows up to $latest): upgrade clarion, or restore a backup"
expect_status 65 ctl import one.csv --list newsletter
expect_status 65 "$DAEMON" -c clarion.yaml
cmp -s clarion.db newer.db || fail "a refused database was changed"
ok "a newer database is refused by clarionctl and clariond, unchanged"

rm -f clarion.db clarion.db-wal clarion.db-shm
sqlite3 clarion.db 'CREATE TABLE invoices (id INTEGER PRIMARY KEY)'
expect_status 65 ctl import one.csv --list newsletter
grep -q "is not a clarion database" "$WORK/err" || fail "foreign database"
[ "$(sqlite3 clarion.db 'SELECT count(*) FROM sqlite_schema')" = 1 ] ||
	fail "the foreign database was changed"
ok "another program's database is refused, unchanged"

rm -f clarion.db*
expect_status 66 ctl segment count newsletter
grep -q "no such database (an import creates it)" "$WORK/err" ||
	fail "missing database message"
[ ! -e clarion.db ] || fail "segment count created the database"
ok "a missing database is reported, not created, by segment count"

#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/import_kill.sh - an import killed with SIGKILL leaves the
# database exactly as it was
#
# A 300,000-contact import is killed at random moments while it runs, into
# a database that already holds contacts. After each kill the database must
# pass integrity_check and dump byte for byte as before. Then the same
# import, left alone, completes.

. "$(dirname "$0")/lib.sh"

cd "$WORK"
write_config "$WORK"
ctl() {
	"$CTL" -c "$WORK/clarion.yaml" "$@"
}

expect_status 0 "$CTL" demo-data --out "$WORK" --contacts 300000 --seed 3
head -n 1001 contacts.csv >first.csv
expect_status 0 ctl import first.csv --list supporters
sqlite3 clarion.db .dump >before.sql

# restart: back to the known state before the next attempt.
restart() {
	rm -f clarion.db clarion.db-wal clarion.db-shm
	expect_status 0 ctl import first.csv --list supporters
	sqlite3 clarion.db .dump >before.sql
}

kills=0
attempt=0
delay_ms=150
# At most 12 attempts; at least 5 kills must land while the import runs.
while [ "$attempt" -lt 12 ] && [ "$kills" -lt 5 ]; do
	attempt=$((attempt + 1))
	# Not through ctl(): $! must be clarionctl itself, not a subshell.
	"$CTL" -c "$WORK/clarion.yaml" import contacts.csv --list newsletter \
	    --consent newsletter >/dev/null 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	# A random moment within the first part of the import.
	sleep "$(awk -v d="$delay_ms" -v r="$(od -An -N2 -tu2 /dev/urandom)" \
	    'BEGIN { printf "%.3f", (d + r % 400) / 1000 }')"
	landed=0
	if kill -9 "$pid" 2>/dev/null; then
		landed=1
	fi
	wait "$pid" 2>/dev/null || true
	[ "$(sqlite3 clarion.db 'PRAGMA integrity_check')" = ok ] ||
		fail "integrity_check after attempt $attempt"
	n=$(sqlite3 clarion.db 'SELECT count(*) FROM contacts')
	if [ "$n" = 300000 ]; then
		# It committed before the kill: all of it, which is fine too.
		delay_ms=$((delay_ms / 2))
		restart
		continue
	fi
	[ "$landed" = 1 ] || fail "the import ended without committing"
	sqlite3 clarion.db .dump >after.sql
	cmp -s before.sql after.sql ||
		fail "kill during attempt $attempt left a partial import"
	kills=$((kills + 1))
	ok "kill -9 number $kills during the import: database unchanged"
done
[ "$kills" -ge 5 ] || fail "only $kills of $attempt kills landed mid-import"

expect_status 0 ctl import contacts.csv --list newsletter --consent newsletter
# The first 1,000 were there already: only the other 299,000 are new.
grep -Eq '^imported 299000, updated [0-9]+, skipped 0, unchanged [0-9]+$' \
	"$WORK/out" || fail "summary: $(cat "$WORK/out")"
[ "$(sqlite3 clarion.db 'SELECT count(*) FROM contacts')" = 300000 ] ||
	fail "the import after the kills is incomplete"
ok "the same import, left alone, completes"

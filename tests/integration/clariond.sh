#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/clariond.sh - the daemon's lifecycle: it starts on a
# valid configuration, a second daemon on the same database refuses to
# start, SIGHUP with a broken file keeps the configuration in force,
# SIGHUP with a good one reloads, and SIGTERM stops it with status 0.

. "$(dirname "$0")/lib.sh"

cd "$WORK"
write_config "$WORK"
"$DAEMON" -c clarion.yaml 2>daemon.log &
pid=$!
PIDS="$PIDS $pid"
wait_for 20 grep -q "ready: database" daemon.log ||
	fail "clariond did not become ready: $(cat daemon.log)"
[ -f clarion.db ] || fail "clariond did not create the database"
ok "clariond starts and creates its database"

expect_status 75 "$DAEMON" -c clarion.yaml
grep -q "another clariond (pid $pid) is running on $WORK/clarion.db; refusing to start" \
	"$WORK/err" || fail "second daemon message: $(cat "$WORK/err")"
kill -0 "$pid" || fail "the first daemon died"
ok "a second daemon on the same database refuses to start (status 75)"

cp clarion.yaml good.yaml
printf 'lists: [oops\n' >>clarion.yaml
kill -HUP "$pid"
wait_for 20 grep -q "reload refused" daemon.log ||
	fail "no reload refusal: $(cat daemon.log)"
grep -q "clarion.yaml:.*: " daemon.log || fail "the file's error is not logged"
kill -0 "$pid" || fail "a bad reload killed the daemon"
ok "SIGHUP with a broken file is refused; the daemon runs on"

cp good.yaml clarion.yaml
kill -HUP "$pid"
wait_for 20 grep -q "configuration reloaded" daemon.log ||
	fail "no reload: $(cat daemon.log)"
ok "SIGHUP with a valid file reloads"

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "clariond did not stop within 30 s"
	sleep 0.1
done
wait "$pid" || fail "clariond exited with status $?"
grep -q "stopped" daemon.log || fail "no stop message"
ok "SIGTERM stops clariond with status 0"

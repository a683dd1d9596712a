#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/daemon_ops.sh - clariond under an operator's hands and
# under trouble: pause, resume, cancel, restarts, control errors, a slow
# relay, SIGTERM, SIGHUP, a second daemon, a locked and a full database
#
# One database of 3,000 contacts; each case starts a new run of campaign
# "news" against its own smtp-sink (on a port chosen at run time) and
# leaves it done or cancelled. What is checked is in the database, in the
# sink's dump (one file per message, its recipient in X-Rcpt-Args) and in
# clarionctl --json's answers; every wait is bounded and nothing depends
# on how fast the machine is. The last case needs root (a tmpfs mount).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
. "$(dirname "$0")/daemon_lib.sh"

N=3000
PY=/usr/bin/python3
FULL=$WORK/full	# case 10's tmpfs
cd "$WORK"

# The daemon and the servers first, then the tmpfs, then lib.sh's cleanup.
ops_cleanup() {
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
	done
	if mountpoint -q "$FULL" 2>/dev/null; then
		umount "$FULL" 2>/dev/null || umount -l "$FULL" ||
			echo "warning: cannot unmount $FULL" >&2
	fi
	cleanup
}
trap ops_cleanup EXIT INT TERM

# no_sanitizer_report FILE: nothing from ASan, LSan or UBSan in FILE (in
# an instrumented build a leak only shows there, at exit).
no_sanitizer_report() {
	! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' \
	    "$1" || fail "sanitizer report in $1"
}

# jget EXPR: the Python expression EXPR over v, the JSON on stdin.
jget() {
	"$PY" -c 'import json, sys
v = json.load(sys.stdin)
r = eval(sys.argv[1])
print("null" if r is None else str(r).lower() if isinstance(r, bool) else r)' "$1"
}

# status_get EXPR: EXPR over "ctl --json status".
status_get() {
	ctl --json status | jget "$1"
}

# count_sends RUN WHERE: that run's sends matching the SQL condition.
count_sends() {
	sql "SELECT count(*) FROM sends WHERE campaign_id = $1 AND ($2)"
}

# drained: nothing claimed, nothing on a connection (a paused or
# cancelled run has finished what was in flight).
drained() {
	[ "$(status_get 'v["queue"]["claimed"] + v["pool"]["in_flight"]')" \
	    -eq 0 ]
}

# in_flight: messages are on the relays' connections.
in_flight() {
	[ "$(status_get 'v["pool"]["in_flight"]')" -gt 0 ]
}

# pool_idle: nothing waits for a connection, nothing is on one.
pool_idle() {
	[ "$(status_get 'v["queue"]["ready"] + v["pool"]["in_flight"]')" \
	    -eq 0 ]
}

# backlog: outcomes wait for the store.
backlog() {
	[ "$(status_get 'v["store"]["backlog"]')" -gt 0 ]
}

# store_ok true|false: what status says of the store.
store_ok() {
	[ "$(status_get 'v["store"]["ok"]')" = "$1" ]
}

# sink_stable NAME: the sink's count does not move over 2 s (after a
# short grace for what was on the wire); SINK_STABLE is the count.
sink_stable() {
	sleep 0.3
	_a=$(sink_count "$1")
	sleep 2
	SINK_STABLE=$(sink_count "$1")
	[ "$_a" -eq "$SINK_STABLE" ] ||
		fail "$1 received $((SINK_STABLE - _a)) messages in the 2 s after sending should have stopped"
}

# use_sink NAME [--dump] [SMTP-SINK OPTIONS...] -- [RELAY LINES...]:
# a new smtp-sink NAME, the relay pointed at it, the daemon (re)started.
use_sink() {
	_us=$1
	shift
	_args=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_args="$_args $1"
		shift
	done
	[ $# -eq 0 ] || shift
	# shellcheck disable=SC2086
	sink_start "$_us" $_args
	eval "_port=\$${_us}_PORT"
	daemon_relay 127.0.0.1 "$_port" "$@"
	[ -z "$DAEMON_PID" ] || daemon_stop
	daemon_start
}

# start_news: a new run of "news", RUN its number.
start_news() {
	ctl --json campaign start news >start.json ||
		fail "campaign start failed: $(cat start.json)"
	RUN=$(jget 'v["campaign"]["run"]' <start.json)
	[ "$(jget 'v["campaign"]["total"]' <start.json)" -eq $N ] ||
		fail "run $RUN has not $N sends: $(cat start.json)"
}

# check_received NAME...: the sinks' dumps together hold every contact
# (MISSED 0) and nothing else; DUPS is how many came twice.
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++)
	printf "u%d@d%d.example\n", i, i % 7 }' | sort >expected
check_received() {
	: >received
	for _s in "$@"; do
		eval "_d=\$${_s}_DUMP"
		# Every message recorded sent was accepted: its file is there.
		find "$_d" -name 'msg.*' -exec grep -h '^X-Rcpt-Args: ' {} + |
			sed 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/' >>received
	done
	sort -u received >unique
	MISSED=$(comm -23 expected unique | wc -l)
	[ "$MISSED" -eq 0 ] ||
		fail "$MISSED contacts received nothing: $(comm -23 expected unique | head -n 5 | tr '\n' ' ')"
	_extra=$(comm -13 expected unique | wc -l)
	[ "$_extra" -eq 0 ] ||
		fail "$_extra messages to addresses not in the campaign"
	DUPS=$(($(wc -l <received) - $(wc -l <unique)))
}

# all_sent RUN: every one of the run's sends is recorded sent.
all_sent() {
	_sent=$(count_sends "$1" "state = 'sent'")
	[ "$_sent" -eq $N ] ||
		fail "run $1: $_sent of $N sends sent: $(sql "SELECT state, reason, count(*) FROM sends WHERE campaign_id = $1 GROUP BY 1, 2")"
}

# log_lines: how many lines daemon.log has; log_since LINE: the lines
# after the first LINE.
log_lines() {
	wc -l <daemon.log
}
log_since() {
	tail -n +"$(($1 + 1))" daemon.log
}
# logged LINE PATTERN: daemon.log from line LINE on has PATTERN.
logged() {
	log_since "$1" | grep -q -- "$2"
}

daemon_setup $N ""

# ---- 1. pause and resume ---------------------------------------------
use_sink s1 --dump -- "connections: 4" "rate: 300/s"
start_news
sink_wait s1 900 20 || fail "s1: not 900 messages within 20 s"
ctl --json campaign pause news >pause.json || fail "pause: $(cat pause.json)"
[ "$(jget 'v["campaign"]["state"]' <pause.json)" = paused ] ||
	fail "pause answered $(cat pause.json)"
[ "$(campaign_field news state)" = paused ] || fail "news is not paused"
wait_for 10 drained || fail "paused, but still claimed or in flight"
sink_stable s1
sent=$(count_sends "$RUN" "state = 'sent'")
[ "$sent" -lt $N ] || fail "the campaign ended before the pause"
[ "$SINK_STABLE" -eq "$sent" ] ||
	fail "paused: the sink has $SINK_STABLE messages, the store $sent sent"
ok "pause: paused at $sent of $N, nothing more sent over 2 s"
ctl --json campaign resume news >resume.json ||
	fail "resume: $(cat resume.json)"
[ "$(jget 'v["campaign"]["state"]' <resume.json)" = running ] ||
	fail "resume answered $(cat resume.json)"
campaign_wait news "done" 60
all_sent "$RUN"
check_received s1
[ "$DUPS" -eq 0 ] || fail "pause/resume: $DUPS contacts received it twice"
ok "resume: done, every contact received it once (0 missed, 0 duplicates)"

# ---- 2. a restart while paused stays paused --------------------------
use_sink s2 --dump -- "connections: 4" "rate: 300/s"
start_news
sink_wait s2 900 20 || fail "s2: not 900 messages within 20 s"
ctl campaign pause news >/dev/null || fail "pause failed"
# At once: what is in flight finishes and is recorded during the stop.
daemon_stop
daemon_start
[ "$(campaign_field news state)" = paused ] ||
	fail "after a restart news is $(campaign_field news state)"
[ "$(campaign_field news possible_duplicates)" -eq 0 ] ||
	fail "a clean stop left possible duplicates"
sink_stable s2
sent=$(count_sends "$RUN" "state = 'sent'")
[ "$sent" -lt $N ] || fail "the campaign ended before the pause"
[ "$SINK_STABLE" -eq "$sent" ] ||
	fail "restarted paused: sink $SINK_STABLE, store $sent sent"
ok "restart while paused: still paused at $sent, nothing sent for 2 s"
ctl campaign resume news >/dev/null || fail "resume failed"
campaign_wait news "done" 60
all_sent "$RUN"
check_received s2
[ "$DUPS" -eq 0 ] || fail "restart while paused: $DUPS duplicates"
ok "resumed after the restart: done, 0 missed, 0 duplicates"

# ---- 3. cancel --------------------------------------------------------
use_sink s3 --dump -- "connections: 4" "rate: 300/s"
start_news
cancelled_run=$RUN
sink_wait s3 900 20 || fail "s3: not 900 messages within 20 s"
ctl --json campaign cancel news >cancel.json ||
	fail "cancel: $(cat cancel.json)"
[ "$(jget 'v["campaign"]["state"]' <cancel.json)" = cancelled ] ||
	fail "cancel answered $(cat cancel.json)"
wait_for 10 drained || fail "cancelled, but still claimed or in flight"
sink_stable s3
[ "$(campaign_field news state)" = cancelled ] || fail "news not cancelled"
sent=$(count_sends "$RUN" "state = 'sent'")
skipped=$(count_sends "$RUN" "state = 'skipped' AND reason = 'cancelled'")
other=$(count_sends "$RUN" "state NOT IN ('sent', 'skipped')")
if [ "$skipped" -eq 0 ] || [ "$other" -ne 0 ] ||
    [ $((sent + skipped)) -ne $N ]; then
	fail "cancelled: $sent sent, $skipped skipped (cancelled), $other else"
fi
[ "$SINK_STABLE" -eq "$sent" ] ||
	fail "cancelled: the sink has $SINK_STABLE, the store $sent sent"
ok "cancel: $sent sent, the other $skipped skipped as cancelled, sending stopped"
start_news
[ "$RUN" -gt "$cancelled_run" ] ||
	fail "a start after the cancel made run $RUN, not a new one"
campaign_wait news "done" 60
all_sent "$RUN"
ok "a new start after the cancel: run $RUN, done"

# ---- 4. errors through the control socket ----------------------------
# 8. a second clariond on the same database, while a campaign runs
use_sink s4 -- "connections: 4" "rate: 300/s"
pid=$DAEMON_PID
expect_status 1 ctl --json campaign start nope
expect_line "$WORK/err" 'clarionctl: no campaign "nope" in '"$WORK/clarion.yaml"
[ "$(jget 'v["ok"]' <"$WORK/out")" = false ] || fail "start nope: not ok:false"
expect_status 1 ctl --json campaign pause news
expect_line "$WORK/err" 'clarionctl: campaign "news" is not running or paused'
[ "$(jget 'v["ok"]' <"$WORK/out")" = false ] || fail "pause: not ok:false"
start_news
expect_status 1 ctl --json campaign resume news
expect_line "$WORK/err" 'clarionctl: campaign "news" is running, not paused'
[ "$(jget 'v["ok"]' <"$WORK/out")" = false ] || fail "resume: not ok:false"
expect_status 1 ctl --json campaign start news
expect_line "$WORK/err" "clarionctl: campaign \"news\" is running (run $RUN)"
[ "$(jget 'v["ok"]' <"$WORK/out")" = false ] || fail "start: not ok:false"
ok "refusals: unknown campaign, pause of none, resume of a running one, a second start: ok:false, exit 1"

expect_status 75 "$DAEMON" -c "$WORK/clarion.yaml"
grep -q "another clariond (pid $pid) is running on" "$WORK/err" ||
	fail "the second clariond said: $(cat "$WORK/err")"
no_sanitizer_report "$WORK/err"
ok "8. a second clariond on the database refuses to start (75)"

kill -0 "$pid" || fail "clariond is gone"
[ "$(status_get 'v["pid"]')" -eq "$pid" ] || fail "status from another pid"
[ "$(campaign_field news state)" = running ] || fail "news is not running"
campaign_wait news "done" 60
all_sent "$RUN"
ok "the daemon was unaffected: the run went on and is done"

# ---- 5. a slow relay and the memory bound -----------------------------
# Messages of about 130 KB (1,800 more lines in the text part) and a
# memory bound of 2 MiB with a window of 1,000: the bound, not the
# window, must limit what is held.
MEM=2097152
cp templates/newsletter/text.mustache text.mustache.orig
awk 'BEGIN { for (i = 0; i < 1800; i++)
	printf "%04d lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do\n", i }' \
    >>templates/newsletter/text.mustache
printf 'sending:\n  window: 1000\n  memory: %s\n' $MEM >sending.yaml
# In an AddressSanitizer build, freed memory waits in a quarantine (256
# MB by default) that would count in VmHWM: keep it small for this
# daemon, so that what is measured is the daemon's (ignored otherwise).
asan_saved=${ASAN_OPTIONS-}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
use_sink s5 -w 2 -- "connections: 4"
ASAN_OPTIONS=$asan_saved
status_get 'v["pid"]' >/dev/null
idle=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DAEMON_PID/status")
start_news
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	sleep 1
	ctl --json status >status.json ||
		fail "status did not answer while the relay is slow"
	ready=$(jget 'v["queue"]["ready_bytes"]' <status.json)
	echo "status $i: ready_bytes $ready, claimed $(jget 'v["queue"]["claimed"]' <status.json), sink $(sink_count s5)"
	[ "$ready" -le $MEM ] ||
		fail "ready_bytes $ready over the memory bound $MEM"
done
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DAEMON_PID/status")
# The bound: the idle daemon; twice the memory bound: the rendered
# messages (the bound itself) and the copies made of them on the way
# (each render thread's scratch message, each connection's dot-stuffed
# bytes waiting for its socket: 8 x 130 KB here, under the bound again);
# and 24 MiB for what an idle daemon has not touched yet: SQLite's page
# caches, which grow with the pages read up to the database's size (a
# few MB here) on each of two connections, the stacks and malloc arenas
# of the threads that start working (libuv's 4, the store's), the claim
# arenas. Measured: about 7 MB over idle; without the bound, 100 MB.
limit=$((idle + 2 * MEM / 1024 + 24 * 1024))
echo "VmHWM: idle ${idle} kB, sending ${hwm} kB, limit ${limit} kB"
[ "$hwm" -le "$limit" ] ||
	fail "VmHWM ${hwm} kB over ${limit} kB (idle ${idle} kB + 2 x memory + 24 MiB)"
ok "slow relay: status answered 5 times, ready_bytes <= memory, VmHWM ${hwm} kB <= ${limit} kB"
ctl campaign cancel news >/dev/null || fail "cancel failed"
wait_for 30 drained || fail "cancelled, still claimed or in flight"
cp text.mustache.orig templates/newsletter/text.mustache
: >sending.yaml

# ---- 6. SIGTERM with transactions in flight --------------------------
use_sink s6 --dump -w 5 -- "connections: 4"
start_news
wait_for 20 in_flight ||
	fail "nothing in flight within 20 s"
t0=$(date +%s%N)
daemon_stop
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ "$ms" -lt 30000 ] || fail "SIGTERM: clariond took $ms ms to exit"
ok "SIGTERM with transactions in flight: exit 0 after $ms ms"
DAEMON_PID=
use_sink s6b --dump -- "connections: 4" "rate: 1000/s"
campaign_wait news "done" 60
all_sent "$RUN"
check_received s6 s6b
# Within the deadline every outcome is recorded: nothing may go twice.
possible=$(campaign_field news possible_duplicates)
[ "$possible" -eq 0 ] || fail "SIGTERM left $possible possible duplicates"
[ "$DUPS" -eq 0 ] || fail "SIGTERM and restart: $DUPS duplicates"
ok "after the restart the run is done: 0 missed, 0 duplicates"

# ---- 7. SIGHUP ----------------------------------------------------------
use_sink s7 --dump -- "connections: 4" "rate: 300/s"
start_news
sink_wait s7 600 20 || fail "s7: not 600 messages within 20 s"
cp clarion.yaml clarion.yaml.good
echo "    connections: many" >>clarion.yaml
bad=$(wc -l <clarion.yaml)
from=$(log_lines)
kill -HUP "$DAEMON_PID"
wait_for 10 logged "$from" 'reload refused' ||
	fail "no 'reload refused' after a broken configuration: $(log_since "$from")"
log_since "$from" | grep -q "$WORK/clarion.yaml:$bad:" ||
	fail "the refusal does not name clarion.yaml:$bad: $(log_since "$from")"
n=$(sink_count s7)
sink_wait s7 $((n + 300)) 10 || fail "sending stopped after the refused reload"
ok "SIGHUP with a broken file: refused (clarion.yaml:$bad), sending goes on"
sed 's/rate: 300\/s/rate: 400\/s/' clarion.yaml.good >clarion.yaml
from=$(log_lines)
kill -HUP "$DAEMON_PID"
wait_for 10 logged "$from" 'configuration reloaded' ||
	fail "no 'configuration reloaded': $(log_since "$from")"
! log_since "$from" | grep -q 'reload refused' || fail "the good file was refused"
campaign_wait news "done" 60
all_sent "$RUN"
check_received s7
[ "$DUPS" -eq 0 ] || fail "reloads: $DUPS duplicates"
ok "SIGHUP with a valid file: reloaded, the run is done, 0 missed, 0 duplicates"

# ---- 9. SQLITE_BUSY ---------------------------------------------------
use_sink s9 --dump -- "connections: 4" "rate: 300/s"
from=$(log_lines)
start_news
sink_wait s9 600 20 || fail "s9: not 600 messages within 20 s"
"$PY" -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(3)
c.execute("ROLLBACK")' "$WORK/clarion.db" locked &
holder=$!
wait_for 10 test -e locked || fail "the other process did not lock the database"
# Meanwhile the daemon's outcomes wait for the lock.
wait_for 3 backlog || fail "no outcome waited while the database was locked"
wait "$holder" || fail "the process holding the database failed"
ok "another process held a write transaction for 3 s; outcomes waited"
campaign_wait news "done" 60
all_sent "$RUN"
check_received s9
! log_since "$from" | grep -E 'store: |claim failed' ||
	fail "the store failed while the database was locked"
ok "SQLITE_BUSY: the daemon waited; done, every send sent, 0 missed"

# ---- 10. disk full ----------------------------------------------------
daemon_stop
DAEMON_PID=
mkdir "$FULL"
dbkb=$(du -k clarion.db | cut -f1)
mount -t tmpfs -o "size=$((dbkb + 40960))k,mode=0755" tmpfs "$FULL" ||
	fail "cannot mount a tmpfs on $FULL (case 10 needs root): a disk-full test cannot run"
# The database with its WAL and shared memory (a clean stop may leave
# them: the read-only connection, closed last, cannot checkpoint).
for f in clarion.db clarion.db-wal clarion.db-shm; do
	[ ! -e "$f" ] || mv "$f" "$FULL/$f"
done
ln -s "$FULL/clarion.db" clarion.db
use_sink s10 --dump -- "connections: 4" "rate: 300/s"
[ -e "$FULL/clarion.db-wal" ] || fail "the database's WAL is not on the tmpfs"
start_news
sink_wait s10 600 20 || fail "s10: not 600 messages within 20 s"
from=$(log_lines)
dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null || true
wait_for 30 store_ok false ||
	fail "the disk is full and status says the store is fine: $(ctl --json status)"
log_since "$from" | grep -E 'store: .*full.*sending paused' ||
	fail "no clear store error in the log: $(log_since "$from" | grep -v ' sent via ')"
# What was claimed before still goes out (the window bounds it); then
# nothing: no claims, nothing sent, the outcomes kept.
wait_for 30 pool_idle || fail "messages still waiting 30 s after the disk filled"
claimed=$(status_get 'v["queue"]["claimed"]')
sink_stable s10
[ "$(status_get 'v["queue"]["claimed"]')" -eq "$claimed" ] ||
	fail "claims went on while the store failed"
[ "$claimed" -le 1000 ] || fail "$claimed claimed, over the window"
store_ok false || fail "the store says it is fine with the disk full"
backlog || fail "the store is failing and no outcome waits"
kill -0 "$DAEMON_PID" || fail "clariond died when the disk filled"
ok "disk full: store error logged, status store ok:false, no claims, nothing sent, still running"
rm -f "$FULL/filler"
wait_for 20 store_ok true ||
	fail "the store did not recover after the filler went"
campaign_wait news "done" 60
all_sent "$RUN"
check_received s10
[ "$DUPS" -eq 0 ] || fail "disk full: $DUPS duplicates"
ok "space again: sending resumed, done, every contact sent (0 missed, 0 duplicates)"

daemon_stop
ok "SIGTERM at the end: exit 0"
no_sanitizer_report daemon.log
ok "no sanitizer report in the daemon's log"

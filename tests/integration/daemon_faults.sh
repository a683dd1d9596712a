#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/daemon_faults.sh - the real clariond against a relay
# that misbehaves (Postfix's smtp-sink and its fault options)
#
# Six cases, each its own small campaign "news" with its own database,
# daemon and sink (in $WORK/CASE):
#
#   hard     550 5.1.1 to every RCPT: bounced hard, suppressed; a second
#            run snapshots nobody
#   soft4xx  4xx to every RCPT: deferred, retried on the schedule, then
#            failed "expired"; nothing suppressed, no tight loop
#   softpol  552 5.2.2 to every RCPT over runs, soft_bounces count 2:
#            suppressed after the second run, not the first
#   q421     421 and a disconnect at RCPT: deferred; a healthy sink on
#            another port (relay rewritten, SIGHUP) gets each once
#   quitdot  a disconnect without a reply after the final dot: deferred
#            "ambiguous", then sent to a healthy sink, nothing lost
#   down     the sink killed mid-campaign and started again on the same
#            port: deferred meanwhile, reconnects paced, nothing lost
#
# Assertions are on the database, "campaign show" and the sinks'
# counters and dumps, not on how long something took (but for an upper
# bound on reconnects a second while the sink is down); each wait is
# bounded. Each daemon must still answer "status" and stop with SIGTERM,
# exit 0, and (sanitizer builds) its log must hold no sanitizer report.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
. "$(dirname "$0")/daemon_lib.sh"

# Each case works in $ROOT/CASE; the whole of $ROOT goes at exit.
ROOT=$WORK
trap 'WORK=$ROOT; cleanup' EXIT INT TERM
# smtp-sink runs as nobody and writes its dumps below $ROOT.
chmod o+x "$ROOT"

case_begin() {
	CASE=$1
	WORK=$ROOT/$1
	mkdir -p "$WORK"
	chmod o+x "$WORK"
	cd "$WORK"
	echo "# case $1"
}

# daemon_end: the daemon still answers, stops with 0, and left no
# sanitizer report.
daemon_end() {
	ctl status >/dev/null || fail "$CASE: clariond does not answer status"
	daemon_stop
	if grep -q 'Sanitizer\|runtime error:' "$WORK/daemon.log"; then
		grep -A 30 'Sanitizer\|runtime error:' "$WORK/daemon.log" |
		    head -n 60 >&2
		fail "$CASE: a sanitizer report in daemon.log"
	fi
	ok "$CASE: clariond answered status and stopped with exit 0"
}

# case_end: daemon_end unless done, and the servers stopped.
case_end() {
	[ -z "$DAEMON_PID" ] || ! kill -0 "$DAEMON_PID" 2>/dev/null ||
		daemon_end
	peers_stop_all
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$CASE: $1: got '$2', expected '$3'"
}

# field NAME: a member of "campaign show news".
field() {
	campaign_field news "$1"
}

# show_counts: the campaign's counts, for the test log.
show_counts() {
	ctl campaign show news | sed 's/^/#   /'
}

# sends_by_state: "state reason attempts bounce count" lines.
sends_by_state() {
	sql "SELECT state, reason, attempts, bounce, count(*) FROM sends
	    WHERE campaign_id = (SELECT max(id) FROM campaigns)
	    GROUP BY 1, 2, 3, 4" | sed 's/^/#   /'
}

# rcpts DIR...: the recipient of each message dumped in the DIRs.
rcpts() {
	for _d in "$@"; do
		find "$_d" -type f -name 'msg.*' -exec \
		    grep -h '^X-Rcpt-Args: ' {} +
	done | sed 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/' | sort
}

# expected N: the addresses daemon_setup imports, sorted.
expected() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "u%d@d%d.example\n", i, i % 7 }' | sort
}

# check_received N FILE: each of the N contacts is in FILE (the sorted
# recipients received) and nobody else; DUPS, the messages beyond one.
check_received() {
	expected "$1" >expected
	sort -u "$2" >unique
	_missing=$(comm -23 expected unique | wc -l)
	[ "$_missing" -eq 0 ] || fail "$CASE: $_missing contacts received \
nothing: $(comm -23 expected unique | head -n 5 | tr '\n' ' ')"
	_extra=$(comm -13 expected unique | wc -l)
	[ "$_extra" -eq 0 ] || fail "$CASE: $_extra messages to addresses \
not in the campaign"
	DUPS=$(($(wc -l <"$2") - $(wc -l <unique)))
}

# tried N: at least N sends were attempted at least once.
tried() {
	[ "$(sql "SELECT count(*) FROM sends WHERE attempts >= 1")" -ge "$1" ]
}

# sink_start_at NAME PORT [--dump] [OPTIONS...]: smtp-sink on 127.0.0.1
# PORT, which must be free (peers.sh's sink_start picks its own port);
# the same variables as sink_start.
sink_start_at() {
	_sa_name=$1
	_sa_port=$2
	shift 2
	_peer_prepare "$_sa_name"
	_pp_host=127.0.0.1
	_peer_set "$_sa_name" DUMP ""
	if [ "${1:-}" = --dump ]; then
		shift
		mkdir "$_pp_dir/dump"
		_peer_set "$_sa_name" DUMP "$_pp_dir/dump"
		set -- -d "$_pp_dir/dump/msg." "$@"
	fi
	if [ "$(id -u)" -eq 0 ]; then
		set -- -u nobody "$@"
		[ ! -d "$_pp_dir/dump" ] || chown nobody "$_pp_dir/dump"
	fi
	_peer_set "$_sa_name" LOG "$_pp_dir/sink.log"
	# The port was let go a moment ago: it may take a few tries.
	_sa_try=0
	while :; do
		/usr/sbin/smtp-sink -c "$@" "127.0.0.1:$_sa_port" 64 \
		    >"$_pp_dir/sink.log" 2>&1 &
		_sa_pid=$!
		_sa_i=0
		while [ "$_sa_i" -lt 50 ] && _peer_alive "$_sa_pid"; do
			if _peer_listening "$_sa_pid" "$_sa_port"; then
				_peer_started "$_sa_name" "$_sa_pid" \
				    "$_sa_port"
				return 0
			fi
			sleep 0.1
			_sa_i=$((_sa_i + 1))
		done
		peer_stop "$_sa_pid"
		_sa_try=$((_sa_try + 1))
		[ "$_sa_try" -lt 20 ] ||
			fail "smtp-sink did not start on port $_sa_port: \
$(cat "$_pp_dir/sink.log")"
		sleep 0.5
	done
}

# ---------------------------------------------------------------------
# 1. Hard bounces: 550 5.1.1 to every RCPT.

N=60
case_begin hard
sink_start sink -f RCPT -B '550 5.1.1 no such user'
daemon_setup $N "sending:
  retry: [1s]"
daemon_relay 127.0.0.1 "$sink_PORT"
daemon_start
ctl campaign start news >/dev/null || fail "hard: campaign start failed"
campaign_wait news done 60
show_counts
sends_by_state
run1=$(field run)
expect_eq "total" "$(field total)" $N
expect_eq "bounced_hard" "$(field bounced_hard)" $N
expect_eq "sent" "$(field sent)" 0
expect_eq "sends bounced hard 550 5.1.1 bad-mailbox, one attempt" \
    "$(sql "SELECT count(*) FROM sends WHERE campaign_id = $run1
    AND state = 'bounced' AND bounce = 'hard' AND reason = 'bad-mailbox'
    AND last_code = 550 AND last_status = '5.1.1' AND attempts = 1
    AND last_reply LIKE '%no such user%'")" $N
ok "hard: every send bounced hard, 550 5.1.1, the reply text kept"
expect_eq "suppressions" "$(sql "SELECT count(*) FROM suppressions
    WHERE reason LIKE 'hard bounce: 550 5.1.1%'
    AND email IN (SELECT email FROM contacts)")" $N
expect_eq "contacts bounced" \
    "$(sql "SELECT count(*) FROM contacts WHERE status = 'bounced'")" $N
expect_eq "suppressed events" "$(sql "SELECT count(DISTINCT contact_id)
    FROM events WHERE type = 'suppressed' AND campaign_id = $run1")" $N
expect_eq "bounced events" "$(sql "SELECT count(*) FROM events
    WHERE type = 'bounced' AND campaign_id = $run1
    AND json_extract(detail, '$.class') = 'hard'
    AND json_extract(detail, '$.status') = '5.1.1'")" $N
ok "hard: each contact suppressed, marked bounced, with its event"

ctl --json campaign start news >start2.json ||
	fail "hard: second start failed: $(cat start2.json)"
campaign_wait news done 30
run2=$(field run)
[ "$run2" -gt "$run1" ] || fail "hard: no new run ($run1, then $run2)"
expect_eq "second run's total" "$(field total)" 0
expect_eq "second run's sends" \
    "$(sql "SELECT count(*) FROM sends WHERE campaign_id = $run2")" 0
ok "hard: a second run snapshots nobody and is done"
case_end

# ---------------------------------------------------------------------
# 2. 4xx to every RCPT: retried on schedule until max_age.
#
# retry [1s, 2s, 1m], max_age 1m: attempt 1 is deferred 1 s, attempt 2
# 2 s; attempt 3 would be retried 1 min later, past max_age after the
# first: it fails "expired". So exactly 3 attempts each, whatever the
# timing, and the whole takes a few seconds.

N=100
case_begin soft4xx
sink_start sink -r RCPT
daemon_setup $N "sending:
  retry: [1s, 2s, 1m]
  max_age: 1m"
daemon_relay 127.0.0.1 "$sink_PORT"
daemon_start
ctl campaign start news >/dev/null || fail "soft4xx: campaign start failed"
campaign_wait news done 60
show_counts
sends_by_state
run=$(field run)
expect_eq "failed" "$(field failed)" $N
expect_eq "deferred" "$(field deferred)" 0
expect_eq "sends failed expired after 3 attempts, a 4xx kept" \
    "$(sql "SELECT count(*) FROM sends WHERE campaign_id = $run
    AND state = 'failed' AND reason = 'expired' AND attempts = 3
    AND last_code BETWEEN 400 AND 499 AND next_attempt_at IS NULL")" $N
ok "soft4xx: every send deferred, retried, then failed \"expired\""
# Per send: deferred attempt 1, deferred attempt 2, failed attempt 3,
# each retry no earlier than its delay.
expect_eq "deferred events" "$(sql "SELECT count(*) FROM events
    WHERE type = 'deferred' AND campaign_id = $run")" $((2 * N))
expect_eq "failed events" "$(sql "SELECT count(*) FROM events
    WHERE type = 'failed' AND campaign_id = $run
    AND json_extract(detail, '$.reason') = 'expired'
    AND json_extract(detail, '$.attempt') = 3")" $N
early=$(sql "SELECT count(*) FROM (SELECT contact_id,
    max(CASE WHEN json_extract(detail, '$.attempt') = 1 THEN at END) a1,
    max(CASE WHEN json_extract(detail, '$.attempt') = 2 THEN at END) a2,
    max(CASE WHEN json_extract(detail, '$.attempt') = 3 THEN at END) a3
    FROM events WHERE campaign_id = $run
    AND type IN ('deferred', 'failed') GROUP BY contact_id)
    WHERE a2 < a1 + 1 OR a3 < a2 + 2 OR a1 IS NULL OR a2 IS NULL
    OR a3 IS NULL")
expect_eq "sends retried before their delay" "$early" 0
ok "soft4xx: 3 attempts per send (2 deferred events, 1 failed), on schedule"
expect_eq "suppressions" "$(sql "SELECT count(*) FROM suppressions")" 0
expect_eq "contacts active" \
    "$(sql "SELECT count(*) FROM contacts WHERE status = 'active'")" $N
ok "soft4xx: nobody suppressed"
# Sessions (counted as they end: once the daemon is gone): the
# connections (8 at most) are kept between retries; a tight loop would
# show hundreds. Allow 8 per attempt round, and more.
daemon_end
sess=$(sink_count sink sess)
echo "# sessions seen by the sink: $sess"
[ "$sess" -le 40 ] || fail "soft4xx: $sess sessions for 3 attempts of $N"
ok "soft4xx: $sess sessions for $((3 * N)) attempts: no tight loop"
case_end

# ---------------------------------------------------------------------
# 3. Soft bounces suppress only once soft_bounces.count fell in the
# period: 552 5.2.2 (mailbox full) over two runs, count 2.

N=40
case_begin softpol
sink_start sink -f RCPT -B '552 5.2.2 mailbox full'
daemon_setup $N "sending:
  retry: [1s]
  soft_bounces:
    count: 2
    period: 1d"
daemon_relay 127.0.0.1 "$sink_PORT"
daemon_start
ctl campaign start news >/dev/null || fail "softpol: campaign start failed"
campaign_wait news done 60
show_counts
run1=$(field run)
expect_eq "run 1 bounced_soft" "$(field bounced_soft)" $N
expect_eq "run 1 sends bounced soft 552 5.2.2 mailbox-full" \
    "$(sql "SELECT count(*) FROM sends WHERE campaign_id = $run1
    AND state = 'bounced' AND bounce = 'soft' AND last_code = 552
    AND last_status = '5.2.2' AND reason = 'mailbox-full'
    AND attempts = 1")" $N
expect_eq "suppressions after run 1" \
    "$(sql "SELECT count(*) FROM suppressions")" 0
expect_eq "contacts active after run 1" \
    "$(sql "SELECT count(*) FROM contacts WHERE status = 'active'")" $N
ok "softpol: after one soft bounce each, nobody suppressed"

ctl campaign start news >/dev/null || fail "softpol: second start failed"
campaign_wait news done 60
show_counts
run2=$(field run)
[ "$run2" -gt "$run1" ] || fail "softpol: no new run"
expect_eq "run 2 total" "$(field total)" $N
expect_eq "run 2 bounced_soft" "$(field bounced_soft)" $N
expect_eq "suppressions after run 2" "$(sql "SELECT count(*) FROM
    suppressions WHERE reason LIKE 'soft bounces: 2 within%'")" $N
expect_eq "contacts bounced after run 2" \
    "$(sql "SELECT count(*) FROM contacts WHERE status = 'bounced'")" $N
expect_eq "suppressed events of run 2" "$(sql "SELECT count(*) FROM events
    WHERE type = 'suppressed' AND campaign_id = $run2")" $N
ok "softpol: after the second soft bounce each, all $N suppressed"

ctl campaign start news >/dev/null || fail "softpol: third start failed"
campaign_wait news done 30
expect_eq "run 3 total" "$(field total)" 0
ok "softpol: a third run snapshots nobody"
case_end

# ---------------------------------------------------------------------
# 4. 421 at RCPT, then a disconnect: deferred, not lost. A healthy sink
# comes up (on another port: the relay is rewritten, then SIGHUP).

N=50
case_begin q421
sink_start bad -Q RCPT
daemon_setup $N "sending:
  retry: [1s]"
daemon_relay 127.0.0.1 "$bad_PORT"
daemon_start
ctl campaign start news >/dev/null || fail "q421: campaign start failed"
# A session ended by a 421 before any answer is a failure of the relay:
# after three in a row, what waits is deferred at once.
wait_for 60 tried $N ||
	fail "q421: not every send tried within 60 s: $(sends_by_state)"
sends_by_state
run=$(field run)
expect_eq "sends sent meanwhile" "$(sql "SELECT count(*) FROM sends
    WHERE state = 'sent'")" 0
expect_eq "attempts that were not a 421 deferral" "$(sql "SELECT count(*)
    FROM events WHERE campaign_id = $run AND (type <> 'deferred'
    OR json_extract(detail, '$.code') <> 421
    OR json_extract(detail, '$.reason') <> 'rate-limit')")" 0
tried=$(sql "SELECT count(*) FROM sends WHERE attempts >= 1")
ok "q421: $tried sends tried, each deferred by the 421, none lost"
peer_stop "$bad_PID"
sink_start good --dump
daemon_relay 127.0.0.1 "$good_PORT"
kill -HUP "$DAEMON_PID"
campaign_wait news done 60
show_counts
expect_eq "sent" "$(field sent)" $N
expect_eq "sends sent" "$(sql "SELECT count(*) FROM sends
    WHERE campaign_id = $run AND state = 'sent'")" $N
[ "$(sql "SELECT count(*) FROM sends WHERE attempts >= 2")" -ge "$tried" ] ||
	fail "q421: fewer than the $tried deferred sends were tried again"
sink_wait good $N 10 || true
rcpts "$good_DUMP" >received
check_received $N received
dups=$DUPS
expect_eq "messages received twice" "$dups" 0
ok "q421: after the reload, each of the $N contacts received it once"
case_end

# ---------------------------------------------------------------------
# 5. No reply after the final dot (smtp-sink -q .): ambiguous, deferred,
# sent again to a healthy sink.

N=200
case_begin quitdot
sink_start bad -q .
daemon_setup $N "sending:
  retry: [1s]"
daemon_relay 127.0.0.1 "$bad_PORT"
daemon_start
ctl campaign start news >/dev/null || fail "quitdot: campaign start failed"
wait_for 60 tried $N ||
	fail "quitdot: not every send tried within 60 s: $(sends_by_state)"
sess=$(sink_count bad sess)
sends_by_state
run=$(field run)
expect_eq "sends sent meanwhile" "$(sql "SELECT count(*) FROM sends
    WHERE state = 'sent'")" 0
expect_eq "attempts that were not deferrals" "$(sql "SELECT count(*)
    FROM events WHERE campaign_id = $run AND type <> 'deferred'")" 0
# A session that gets in and then fails its messages is a failure of the
# relay: after the first connections (8), one probe per pause, and once
# three failed in a row what waits is deferred without a session. One
# session per message would be a loop.
echo "# sessions before each of the $N sends was tried: $sess"
[ "$sess" -le 20 ] ||
	fail "quitdot: $sess sessions to try $N sends once: no backoff"
ok "quitdot: $sess sessions to try the $N sends: the relay's pause holds"
amb=$(sql "SELECT count(*) FROM events WHERE campaign_id = $run
    AND type = 'deferred' AND json_extract(detail, '$.ambiguous')")
[ "$amb" -ge 1 ] || fail "quitdot: no deferral is marked ambiguous"
ok "quitdot: every send deferred, those after the dot \"ambiguous\":true"
peer_stop "$bad_PID"
sink_start good --dump
daemon_relay 127.0.0.1 "$good_PORT"
kill -HUP "$DAEMON_PID"
campaign_wait news done 60
show_counts
expect_eq "sent" "$(field sent)" $N
# Each dot the bad sink took and did not answer is one ambiguous
# outcome; one more if a probe's dot was on its way when it stopped.
amb=$(sql "SELECT count(*) FROM events WHERE campaign_id = $run
    AND type = 'deferred' AND json_extract(detail, '$.ambiguous')")
dots=$(sink_count bad)
echo "# ambiguous deferrals: $amb; dots the bad sink took: $dots"
[ "$amb" -ge "$dots" ] && [ "$amb" -le $((dots + 1)) ] ||
	fail "quitdot: $amb ambiguous outcomes for $dots dots taken"
sink_wait good $N 10 || true
rcpts "$good_DUMP" >received
check_received $N received
dups=$DUPS
expect_eq "messages the healthy sink received twice" "$dups" 0
ok "quitdot: then each of the $N contacts received it once"
case_end

# ---------------------------------------------------------------------
# 6. The sink dies mid-campaign and comes back on the same port a few
# seconds later; no reload.

N=300
case_begin down
sink_start sink --dump
daemon_setup $N "sending:
  retry: [1s]"
daemon_relay 127.0.0.1 "$sink_PORT" "connections: 2" "rate: 40/s"
daemon_start -l debug
ctl campaign start news >/dev/null || fail "down: campaign start failed"
sink_wait sink 40 30 || fail "down: the sink got no 40 messages in 30 s"
port=$sink_PORT
log_at=$(wc -l <daemon.log)
t0=$(date +%s)
peer_stop "$sink_PID"
before=$(sql "SELECT count(*) FROM sends WHERE state = 'sent'")
sleep 4
sends_by_state
expect_eq "sends failed or bounced while down" "$(sql "SELECT count(*)
    FROM sends WHERE state IN ('failed', 'bounced', 'skipped')")" 0
deferred=$(sql "SELECT count(*) FROM sends WHERE state = 'deferred'")
[ "$deferred" -gt 0 ] || fail "down: nothing deferred while the sink is down"
ok "down: $before sent, then $deferred deferred while the sink is down"
sink_start_at sink2 "$port" --dump
t1=$(date +%s)
tries=$(tail -n +"$((log_at + 1))" daemon.log | grep -c 'next try in') ||
	true
echo "# $tries failed connection rounds in $((t1 - t0)) s down"
# reconnect_min is 100 ms: more than 10 a second is a tight loop.
[ "$tries" -le $((10 * (t1 - t0 + 1))) ] ||
	fail "down: $tries connection failures in $((t1 - t0)) s"
ok "down: reconnects paced ($tries failed rounds in $((t1 - t0)) s)"
campaign_wait news done 90
show_counts
expect_eq "sent" "$(field sent)" $N
rcpts "$sink_DUMP" "$sink2_DUMP" >received
check_received $N received
dups=$DUPS
amb=$(sql "SELECT count(*) FROM events WHERE type = 'deferred'
    AND json_extract(detail, '$.ambiguous')")
echo "# duplicates: $dups received twice; $amb ambiguous deferrals"
[ "$dups" -le "$amb" ] ||
	fail "down: $dups duplicates, more than the $amb ambiguous outcomes"
ok "down: each of the $N contacts received it ($dups twice, $amb ambiguous)"
case_end

WORK=$ROOT

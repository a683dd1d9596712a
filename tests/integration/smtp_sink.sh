#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/smtp_sink.sh - the pool and SMTP client against
# Postfix's smtp-sink, with and without PIPELINING, through its faults
#
# Each case sends messages with pool_send (tests/tools/pool_send.c) and
# checks the verdict of every message and what smtp-sink counted:
#
#   - 300 messages over 4 connections of at most 40 messages each, with
#     PIPELINING and in lock-step (-p): all sent, each counted once, in
#     at least 8 sessions; over IPv6 too;
#   - soft and hard refusals of MAIL, RCPT, DATA and the end of data (-r,
#     -f, with -b/-B replies): deferred, bounced-hard for 5.1.1,
#     bounced-soft for 5.2.2 and 5.7.1, never sent;
#   - a 421 and a silent drop at RCPT (-Q, -q): deferred, not ambiguous;
#   - smtp-sink exiting at the 5th end of data without answering it
#     (-M): 4 sent, the 5th deferred and ambiguous, the rest deferred;
#     exiting after 2 sessions (-n): the messages of those sent;
#   - replies delayed (-W) beyond the configured timeout: deferred; within
#     it: sent; an abort during the data (-A): not sent;
#   - "451 4.7.1 slow down": the domain's rate is cut (pool status);
#   - a relay that refuses connections: every message deferred within the
#     deadline and a bounded number of attempts (no tight loop); with a
#     backup relay, everything goes through the backup; a relay that
#     holds its answers is left out of its turns; two relays of weights 3
#     and 1 share the messages about 3 to 1.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

cd "$WORK"
SEND="$CLARION_BIN/pool_send"

# config FILE: the sections every configuration needs; relays follow.
config() {
	cat >"$1" <<'YAML'
database: clarion.db
lists:
  l:
themes:
  t:
senders:
  main:
    name: Test
    address: sender@clarion.test
YAML
	cat >>"$1"
}

# relay_config FILE HOST PORT [KEY: VALUE LINES]: one relay named sink.
relay_config() {
	_f=$1 _h=$2 _p=$3
	shift 3
	{
		printf 'relays:\n  sink:\n    host: "%s"\n    port: %s\n' \
		    "$_h" "$_p"
		printf '    tls: none\n    reconnect_min: 100ms\n'
		printf '    reconnect_max: 400ms\n'
		for _l in "$@"; do
			printf '    %s\n' "$_l"
		done
	} | config "$_f"
}

# kinds FILE: "KIND COUNT" lines, sorted, from pool_send's output.
kinds() {
	awk '{ n[$2]++ } END { for (k in n) print k, n[k] }' "$1" | sort
}

# expect_kinds FILE "KIND COUNT[,KIND COUNT...]"
expect_kinds() {
	_want=$(printf '%s\n' "$2" | tr ',' '\n' | sort)
	_got=$(kinds "$1")
	if [ "$_got" != "$_want" ]; then
		cat "$1" >&2
		fail "verdicts: got [$_got], expected [$_want]"
	fi
}

# field FILE INDEX COLUMN: a column of the line of message INDEX.
field() {
	awk -v i="$2" -v c="$3" '$1 == i { print $c }' "$1"
}

# run NAME ARGS...: pool_send with a 30 s deadline, output in NAME.out
# and NAME.err; it must exit 0 (every message has its verdict).
run() {
	_n=$1
	shift
	if ! "$SEND" -T 30 "$@" >"$_n.out" 2>"$_n.err"; then
		cat "$_n.err" >&2
		fail "$_n: pool_send failed"
	fi
}

# sink_case NAME COUNT SINK-OPTIONS...: smtp-sink with those options, COUNT
# messages of 2 KB through one relay of 2 connections; sink left running.
sink_case() {
	_n=$1 _c=$2
	shift 2
	sink_start "$_n" "$@"
	_peer_var _pp "$_n" PORT
	relay_config "$_n.yaml" 127.0.0.1 "$_pp" "connections: 2"
	run "$_n" -c "$_n.yaml" -n "$_c" -s 2048
}

# --- delivery, pipelined and in lock-step ---------------------------------
for mode in pipelining lockstep; do
	if [ $mode = pipelining ]; then
		sink_start "$mode"
	else
		sink_start "$mode" -p
	fi
	_peer_var port "$mode" PORT
	relay_config $mode.yaml 127.0.0.1 "$port" "connections: 4" \
	    "messages_per_connection: 40"
	run $mode -c $mode.yaml -n 300 -s 12288 -k 7 -t 'u%n@d%d.example'
	expect_kinds $mode.out "sent 300"
	sink_wait "$mode" 300 ||
		fail "$mode: sink counted $(sink_count "$mode")"
	sleep 0.3
	[ "$(sink_count "$mode")" -eq 300 ] ||
		fail "$mode: sink counted $(sink_count "$mode") messages"
	sess=$(sink_count "$mode" sess)
	[ "$sess" -ge 8 ] || fail "$mode: $sess sessions for 300 messages"
	[ "$(sink_count "$mode" quit)" -eq "$sess" ] ||
		fail "$mode: sessions ended without QUIT"
	ok "$mode: 300 sent in $sess sessions of at most 40"
done

if have_ipv6; then
	sink_start6 six
	_peer_var port six PORT
	relay_config six.yaml ::1 "$port"
	run six -c six.yaml -n 20 -s 1000
	expect_kinds six.out "sent 20"
	ok "IPv6: 20 sent to [::1]"
fi

# --- refusals --------------------------------------------------------------
sink_case rcpt_soft 10 -r RCPT
expect_kinds rcpt_soft.out "deferred 10"
[ "$(field rcpt_soft.out 3 6)" = 450 ] || fail "rcpt_soft: reply code"
[ "$(sink_count rcpt_soft)" -eq 0 ] || fail "rcpt_soft: data went out"
ok "450 to RCPT: deferred, no data sent"

sink_case rcpt_hard 10 -f RCPT -B '550 5.1.1 <x>: no such user'
expect_kinds rcpt_hard.out "bounced-hard 10"
[ "$(field rcpt_hard.out 0 3)" = bad-mailbox ] || fail "rcpt_hard: reason"
[ "$(sink_count rcpt_hard)" -eq 0 ] || fail "rcpt_hard: data went out"
ok "550 5.1.1 to RCPT: bounced-hard, bad-mailbox"

sink_case rcpt_full 5 -f RCPT -B '552 5.2.2 mailbox full'
expect_kinds rcpt_full.out "bounced-soft 5"
[ "$(field rcpt_full.out 4 3)" = mailbox-full ] || fail "rcpt_full: reason"
ok "552 5.2.2 to RCPT: bounced-soft, mailbox-full"

sink_case rcpt_policy 5 -f RCPT -B '554 5.7.1 blocked by policy'
expect_kinds rcpt_policy.out "bounced-soft 5"
ok "554 5.7.1 to RCPT: bounced-soft ($(field rcpt_policy.out 0 3))"

sink_case mail_soft 5 -r MAIL
expect_kinds mail_soft.out "deferred 5"
[ "$(field mail_soft.out 0 5)" = MAIL ] || fail "mail_soft: stage"
ok "450 to MAIL: deferred"

sink_case mail_hard 5 -f MAIL -B '553 5.1.8 sender domain does not exist'
grep -q ' sent ' mail_hard.out && fail "mail_hard: a message was sent"
[ "$(sink_count mail_hard)" -eq 0 ] || fail "mail_hard: data went out"
ok "553 5.1.8 to MAIL: $(field mail_hard.out 0 2) ($(field mail_hard.out \
    0 3)), no data sent"

sink_case data_soft 5 -r DATA
expect_kinds data_soft.out "deferred 5"
[ "$(field data_soft.out 0 5)" = DATA ] || fail "data_soft: stage"
[ "$(sink_count data_soft)" -eq 0 ] || fail "data_soft: data went out"
ok "450 to DATA: deferred, no data sent"

sink_case dot_soft 5 -r .
expect_kinds dot_soft.out "deferred 5"
[ "$(field dot_soft.out 0 5)" = DOT ] || fail "dot_soft: stage"
ok "450 to the end of data: deferred"

sink_case dot_hard 5 -f . -B '554 5.6.0 message content rejected'
grep -q ' sent ' dot_hard.out && fail "dot_hard: a message was sent"
grep -q ' deferred ' dot_hard.out && fail "dot_hard: a message deferred"
ok "554 5.6.0 to the end of data: $(field dot_hard.out 0 2)"

# --- disconnections --------------------------------------------------------
# One message on each of the 2 connections: a 421 slows the relay down.
sink_start rcpt_421 -Q RCPT
_peer_var port rcpt_421 PORT
relay_config rcpt_421.yaml 127.0.0.1 "$port" "connections: 2"
run rcpt_421 -c rcpt_421.yaml -n 2 -s 2048 -S rcpt_421.json
expect_kinds rcpt_421.out "deferred 2"
/usr/bin/python3 - rcpt_421.json <<'PY' || fail "rcpt_421: relay status"
import json, sys
r = json.load(open(sys.argv[1]))["relays"][0]["rate"]
assert r["state"] != "normal" and r["cuts"] >= 1, r
PY
awk '$9 != 0 { exit 1 }' rcpt_421.out || fail "rcpt_421: ambiguous"
[ "$(sink_count rcpt_421)" -eq 0 ] || fail "rcpt_421: data went out"
ok "421 and close at RCPT: deferred, not ambiguous"

sink_case rcpt_drop 6 -q RCPT
expect_kinds rcpt_drop.out "deferred 6"
awk '$9 != 0 { exit 1 }' rcpt_drop.out || fail "rcpt_drop: ambiguous"
ok "connection dropped at RCPT: deferred, not ambiguous"

# Lock-step, one connection: the 5th end of data is never answered.
sink_start exit_mesg -p -M 5
_peer_var port exit_mesg PORT
relay_config exit_mesg.yaml 127.0.0.1 "$port" "connections: 1"
run exit_mesg -c exit_mesg.yaml -n 10 -s 2048 -T 20
expect_kinds exit_mesg.out "deferred 6,sent 4"
for i in 0 1 2 3; do
	[ "$(field exit_mesg.out $i 2)" = sent ] || fail "exit_mesg: $i"
done
[ "$(field exit_mesg.out 4 9)" = 1 ] || fail "exit_mesg: 4 not ambiguous"
[ "$(awk '$9 == 1' exit_mesg.out | wc -l)" -eq 1 ] ||
	fail "exit_mesg: more than one ambiguous"
grep -q 'ambiguous 1$' exit_mesg.err || fail "exit_mesg: summary"
ok "sink gone after the 5th end of data: 4 sent, 1 ambiguous, 5 deferred"

sink_start exit_sess -n 2
_peer_var port exit_sess PORT
relay_config exit_sess.yaml 127.0.0.1 "$port" "connections: 1" \
    "messages_per_connection: 3"
run exit_sess -c exit_sess.yaml -n 9 -s 2048 -T 20
expect_kinds exit_sess.out "deferred 3,sent 6"
ok "sink gone after 2 sessions: their 6 messages sent, 3 deferred"

# --- delays and aborts -----------------------------------------------------
# smtp-sink answers out of order when a delayed reply is pipelined: -p.
sink_start slow -p -W RCPT:3
_peer_var port slow PORT
relay_config slow.yaml 127.0.0.1 "$port" "connections: 1" \
    "timeouts:" "  rcpt: 1s"
run slow -c slow.yaml -n 2 -s 1000 -T 20
expect_kinds slow.out "deferred 2"
grep -q 'timed out\|timeout' slow.out || fail "slow: no timeout reported"
ok "RCPT reply after 3 s with a 1 s timeout: deferred"

sink_start patient -p -W RCPT:1
_peer_var port patient PORT
relay_config patient.yaml 127.0.0.1 "$port" "connections: 1" \
    "timeouts:" "  rcpt: 5s"
run patient -c patient.yaml -n 2 -s 1000 -T 20
expect_kinds patient.out "sent 2"
ok "RCPT reply after 1 s with a 5 s timeout: sent"

sink_start abort -A 0
_peer_var port abort PORT
relay_config abort.yaml 127.0.0.1 "$port" "connections: 1"
run abort -c abort.yaml -n 3 -s 2048 -T 20
grep -q ' sent ' abort.out && fail "abort: a message was sent"
ok "sink aborting during the data: nothing sent ($(kinds abort.out |
    tr '\n' ' '))"

# --- slowing down ----------------------------------------------------------
sink_start slowdown -r RCPT -b '451 4.7.1 slow down, too many messages'
_peer_var port slowdown PORT
relay_config slowdown.yaml 127.0.0.1 "$port" "connections: 1"
cat >>slowdown.yaml <<'YAML'
shaping:
  other_domains:
    rate: 100/s
YAML
run slowdown -c slowdown.yaml -n 5 -s 1000 -S slowdown.json
expect_kinds slowdown.out "deferred 5"
[ "$(field slowdown.out 0 3)" = rate-limit ] || fail "slowdown: reason"
/usr/bin/python3 - slowdown.json <<'PY' || fail "slowdown: status"
import json, sys
st = json.load(open(sys.argv[1]))
d = [x for x in st["domains"] if x["name"] == "example.com"][0]
r = d["rate"]
assert r["cuts"] >= 1, r
assert r["current"] < r["configured"], r
assert r["state"] != "normal", r
print("slow down: example.com at %s/s of %s/s, %s" % (r["current"],
      r["configured"], r["state"]))
PY
ok "451 4.7.1 slow down: example.com's rate cut"

# --- connections per domain ------------------------------------------------
# 4 connections, 60 messages to each of two domain groups: the one capped
# at 1 never has more than one connection busy with it; the other one, as
# a check that the test can see it, has more.
sink_start caps
_peer_var port caps PORT
relay_config caps.yaml 127.0.0.1 "$port" "connections: 4"
cat >>caps.yaml <<'YAML'
shaping:
  domains:
    capped:
      match: [d0.example]
      connections: 1
    free:
      match: [d1.example]
YAML
run caps -c caps.yaml -n 120 -s 2048 -k 2 -t 'u%n@d%d.example' -S caps.json
expect_kinds caps.out "sent 120"
/usr/bin/python3 - caps.json <<'PY' || fail "caps: domain status"
import json, sys
doms = {d["name"]: d for d in json.load(open(sys.argv[1]))["domains"]}
capped = doms["capped"]
assert capped["group"] and capped["connections"] == 1, capped
assert capped["busy_peak"] == 1 and capped["busy"] == 0, capped
assert doms["free"]["busy_peak"] >= 2, doms["free"]
PY
ok "a group capped at 1 connection never had 2 at once (the other: $(
    grep -o '"free","group":true,"busy":0,"busy_peak":[0-9]*' caps.json |
    sed 's/.*://'))"

# --- dead relays, backups, weights -----------------------------------------
dead=$(free_port)
relay_config dead.yaml 127.0.0.1 "$dead" "connections: 2"
run dead -c dead.yaml -n 20 -s 1000 -T 20 -v
expect_kinds dead.out "deferred 20"
tries=$(grep -c 'next try in' dead.err || true)
[ "$tries" -ge 1 ] && [ "$tries" -le 10 ] ||
	fail "dead: $tries connection attempts"
ok "refused connections: 20 deferred after $tries attempts"

sink_start backup
_peer_var port backup PORT
relay_config failover.yaml 127.0.0.1 "$dead" "connections: 2"
cat >>failover.yaml <<YAML
  spare:
    host: 127.0.0.1
    port: $port
    tls: none
    backup: true
YAML
run failover -c failover.yaml -n 30 -s 1000
expect_kinds failover.out "sent 30"
[ "$(awk '$8 == "spare"' failover.out | wc -l)" -eq 30 ] ||
	fail "failover: not all through the backup"
ok "primary dead: 30 sent through the backup relay"

# A relay that holds its answers (the end of data answered after 6 s):
# after 5 s without one it is left out of its turns, and the other relay
# carries the rest instead of waiting for it each time.
sink_start tarpit -p -W .:6
sink_start quick
_peer_var tport tarpit PORT
_peer_var qport quick PORT
config stall.yaml <<YAML
relays:
  tarpit:
    host: 127.0.0.1
    port: $tport
    tls: none
    connections: 1
  quick:
    host: 127.0.0.1
    port: $qport
    tls: none
    connections: 2
YAML
run stall -c stall.yaml -n 40 -s 1000
expect_kinds stall.out "sent 40"
t=$(awk '$8 == "tarpit"' stall.out | wc -l)
[ "$t" -le 3 ] || fail "stall: the slow relay carried $t of 40"
ok "a relay answering after 6 s: $t of 40 waited for it, the rest went on"

sink_start heavy
sink_start light
_peer_var hport heavy PORT
_peer_var lport light PORT
config weights.yaml <<YAML
relays:
  heavy:
    host: 127.0.0.1
    port: $hport
    tls: none
    weight: 3
  light:
    host: 127.0.0.1
    port: $lport
    tls: none
    weight: 1
YAML
run weights -c weights.yaml -n 400 -s 1000
expect_kinds weights.out "sent 400"
h=$(awk '$8 == "heavy"' weights.out | wc -l)
[ "$h" -ge 270 ] && [ "$h" -le 330 ] || fail "weights: heavy took $h of 400"
ok "weights 3:1: heavy $h, light $((400 - h)) of 400"

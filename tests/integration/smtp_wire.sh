#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/smtp_wire.sh - what the SMTP client puts on the wire
#
# pool_send (the pool, daemon/smtp_conn.c and lib/smtp over real sockets)
# sends the bodies of tests/data/random_bodies.py, made to break a naive
# client (lines starting with ".", ends of data spelt with bare CR and LF,
# bare line ends of every kind, lines of 997 and 998 octets, no final line
# end, empty bodies, 8-bit octets, marked 8BITMIME by pool_send -8), to
# smtp_capture.py; smtp_wire_check.py reads every octet the client sent:
# no bare CR or LF, no NUL, no data line over 1000 octets with its CRLF,
# every line starting with "." dot-stuffed, well-formed commands, 8-bit
# data only after BODY=8BITMIME, QUIT at the end; and each message,
# un-stuffed, must be its body with every line end made CRLF, in the
# order of the files.
#
# Among them are bodies the client must refuse before sending anything of
# them (lib/smtp/smtp.h): a NUL, a line over 998 octets as sent (a leading
# dot counting twice), or, to a server without 8BITMIME, an 8-bit octet.
# Each must get the outcome LOCAL (a soft bounce) naming the NUL, the
# same first long line, or 8BITMIME; every other one SENT.
#
#   1. 100,000 bodies to send, the server offering PIPELINING and 8BITMIME,
#      one connection at a time with 1,000 messages each, so that the
#      order on the wire is the order of the files across connections;
#   2. 1,000 in lock-step: no PIPELINING, 8BITMIME offered;
#   3. 500 to a server that offers no extension at all: lock-step, and
#      the 8-bit bodies refused before sending.
#
# The seed is chosen at run time and printed: SMTP_WIRE_SEED=N replays a
# run; SMTP_WIRE_COUNT=N sends N bodies in run 1 instead of 100,000.
#
# Every wait is bounded: pool_send by its -T, 10 s SMTP timeouts and
# timeout(1), the servers by peers.sh. 100,000 small files are quick to
# write but can be slow to delete (2 ms each on ext4 mounted with discard,
# more than the whole test): the bodies go to SMTP_WIRE_TMP (/dev/shm by
# default) when it has 1 GiB free, else to the work folder.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

cd "$WORK"
POOL_SEND=$CLARION_BIN/pool_send
SEED=${SMTP_WIRE_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
COUNT=${SMTP_WIRE_COUNT:-100000}
echo "# seed $SEED: SMTP_WIRE_SEED=$SEED replays this run"

BODIES=$WORK
tmp=${SMTP_WIRE_TMP:-/dev/shm}
free=$(df -Pk "$tmp" 2>/dev/null | awk 'NR == 2 { print $4 }') || true
if [ -d "$tmp" ] && [ -w "$tmp" ] && [ "${free:-0}" -ge 1048576 ]; then
	BODIES=$(mktemp -d "$tmp/clarion-wire-XXXXXX")
	trap 'rm -rf "$BODIES"; cleanup' EXIT
	trap 'exit 1' INT TERM
fi
echo "# bodies in $BODIES"

# all_closed DIR: the capture server has closed every connection it
# took (a capture is DIR/conn-N.raw.part while its connection is open).
all_closed() {
	[ -n "$(find "$1" -name 'conn-*.raw')" ] &&
		[ -z "$(find "$1" -name '*.part')" ]
}

# wire_run NAME SEED COUNT PER_CONN EHLO SECONDS [RANDOM_BODIES OPTIONS]:
# COUNT bodies to send (and those to refuse among them) from SEED, to a
# capture server (cap) offering EHLO, PER_CONN messages a connection;
# pool_send may take SECONDS.
wire_run() {
	name=$1
	seed=$2
	count=$3
	per_conn=$4
	ehlo=$5
	secs=$6
	shift 6
	t0=$(date +%s)
	bodies=$BODIES/$name
	expect_status 0 "$PEERS_PYTHON" "$PEERS_DATA/random_bodies.py" \
		--seed "$seed" --count "$count" --out "$bodies/all" \
		--sent "$bodies/sent" --expect "$bodies/expect" "$@"
	echo "# $name: $(cat "$WORK/out")"
	total=$(wc -l <"$bodies/expect" | tr -d " ")
	refused=$((total - count))

	capture_start cap --ehlo "$ehlo"
	cat >"$WORK/$name.yaml" <<YAML
database: clarion.db
lists:
  l:
themes:
  t:
senders:
  main:
    name: Test
    address: sender@clarion.test
relays:
  cap:
    host: 127.0.0.1
    port: $cap_PORT
    tls: none
    connections: 1
    messages_per_connection: $per_conn
    timeouts: { connect: 10s, greeting: 10s, ehlo: 10s, mail: 10s,
      rcpt: 10s, data: 10s, body: 10s, dot: 10s }
YAML
	# After -T SECONDS pool_send stops, but waits for the replies to
	# what is in flight: the timeouts above, then timeout(1), bound it.
	# Not expect_status, which would print every verdict on a failure.
	set +e
	timeout -k 5 $((secs + 60)) "$POOL_SEND" -8 -c "$WORK/$name.yaml" \
		-d "$bodies/all" -T "$secs" \
		>"$WORK/$name.out" 2>"$WORK/$name.err"
	status=$?
	set -e
	sed 's/^/# /' "$WORK/$name.err"

	# pool_send returns once its connections are closed; the server
	# renames each capture when it sees the close. The wire first: its
	# violations say best what went wrong.
	wait_for 10 all_closed "$cap_CONNS" ||
		fail "$name: connections still open: $(ls "$cap_CONNS")"
	peer_stop "$cap_PID"
	[ "$PEER_STATUS" = 0 ] ||
		fail "$name: smtp_capture.py exit status $PEER_STATUS"
	conns=$(find "$cap_CONNS" -name 'conn-*.raw' | wc -l | tr -d " ")
	expect_status 0 capture_check cap --bodies "$bodies/sent"
	sed 's/^/# /' "$WORK/out"
	grep -q "^wire ok: $conns connections, $count messages, " \
		"$WORK/out" || fail "$name: wire check: $(cat "$WORK/out")"
	[ "$conns" -ge $(((count + per_conn - 1) / per_conn)) ] ||
		fail "$name: $count messages over only $conns connections"

	[ "$status" -eq 0 ] || fail "$name: pool_send exited $status"
	expect_line "$WORK/$name.err" "pool_send: $total messages: sent $count \
deferred 0 bounced-hard 0 bounced-soft $refused ambiguous 0"

	# Each message's outcome, and for a refusal why: the generator's.
	awk '{
		why = "-"
		if ($4 == "LOCAL") {
			if ($10 == "body:" && $11 == "NUL")
				why = "nul"
			else if ($10 == "body:" && $11 == "line")
				why = "line:" $12
			else if (index($0, "does not offer 8BITMIME"))
				why = "8bit"
			else
				why = "?"
		}
		print $1, $4, why
	}' "$WORK/$name.out" | sort -n >"$WORK/$name.got"
	sort -n "$bodies/expect" >"$WORK/$name.want"
	if ! cmp -s "$WORK/$name.want" "$WORK/$name.got"; then
		diff "$WORK/$name.want" "$WORK/$name.got" | head -20 >&2
		grep -v ' SENT ' "$WORK/$name.out" | head -5 >&2
		fail "$name: outcomes differ from the generator's (seed $seed)"
	fi
	t1=$(date +%s)
	ok "$name: $count messages sent as their bodies, $refused refused" \
		"before sending, over $conns connections ($((t1 - t0)) s)"
	rm -rf "${bodies:?}" "${cap_DIR:?}"
}

wire_run pipelined "$SEED" "$COUNT" 1000 \
	'PIPELINING,8BITMIME,SIZE 52428800,ENHANCEDSTATUSCODES' 300
wire_run lockstep $((SEED + 1)) 1000 400 '8BITMIME,ENHANCEDSTATUSCODES' 120
wire_run bare $((SEED + 2)) 500 300 '' 120 --no-8bitmime

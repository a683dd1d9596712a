#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/smtp_timeouts.sh - a server that trickles its replies
# a byte at a time cannot hold a phase open
#
# RFC 5321 4.5.3.2 times each wait for a reply, not each read. A server
# (a raw Python one, on loopback) sends its greeting, or its reply to
# MAIL, one octet every 200 ms and never ends the line; with that phase's
# timeout at 1 s, pool_send must defer the message as timed out well
# before its own 20 s deadline, and exit 0 (every verdict in time).

. "$(dirname "$0")/lib.sh"

cd "$WORK"
SEND="$CLARION_BIN/pool_send"

cat >trickle.py <<'PY'
import os, socket, sys, threading, time
port_file, where = sys.argv[1:]
ls = socket.create_server(("127.0.0.1", 0))
with open(port_file + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(port_file + ".tmp", port_file)

def trickle(s, start):
    s.sendall(start)
    for _ in range(600):            # 2 minutes at most, then give up
        time.sleep(0.2)
        s.sendall(b"x")

def session(s):
    try:
        if where == "greeting":
            return trickle(s, b"220 ")
        s.sendall(b"220 trickle ESMTP\r\n")
        f = s.makefile("rb")
        for line in f:
            verb = line[:4].upper()
            if verb == b"EHLO":
                s.sendall(b"250-trickle\r\n250 PIPELINING\r\n")
            elif verb == b"MAIL":
                return trickle(s, b"250 ")
            elif verb == b"QUIT":
                return s.sendall(b"221 Bye\r\n")
    except OSError:
        pass
    finally:
        s.close()

while True:
    c = ls.accept()[0]
    threading.Thread(target=session, args=(c,), daemon=True).start()
PY

for where in greeting mail; do
	/usr/bin/python3 trickle.py "$where.port" "$where" >"$where.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$where.port" ||
		fail "trickle.py: $(cat "$where.log")"
	cat >"$where.yaml" <<YAML
database: clarion.db
lists: { l: }
themes: { t: }
senders: { s: { address: sender@clarion.test } }
relays:
  trickle:
    host: 127.0.0.1
    port: $(cat "$where.port")
    tls: none
    connections: 1
    reconnect_min: 100ms
    timeouts:
      $where: 1s
YAML
	expect_status 0 "$SEND" -T 20 -c "$where.yaml" -n 1 -s 500
	grep -qi "^0 deferred .*timeout in phase $where" "$WORK/out" || {
		cat "$WORK/out" "$WORK/err" >&2
		fail "$where: not deferred as timed out"
	}
	ok "$where trickled a byte every 200 ms: timed out after its 1 s"
done

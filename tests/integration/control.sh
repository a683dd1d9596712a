#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/control.sh - the control socket (daemon/control.c),
# through tests/tools/control_echo, and clarionctl's client commands
#
# Transport, with Python clients (control_client.py, written below):
#   - a request gets its answer; requests split over writes, several in one
#     write, blank lines, a last line without newline before a half-close;
#   - answers in request order when a slow request precedes fast ones;
#   - bad JSON: an error naming line and column, the connection usable;
#     not an object, no "cmd" string: errors; the error text escaped;
#   - a line of 65,535 bytes and its newline is a request, one byte more
#     (or 1 MiB without newline) gets the "longer than" error, then the
#     connection closes; the server answers the next client;
#   - 70 clients at once: 64 are served, the others told "too many
#     clients" and closed; the server serves again once they are gone;
#   - a client sending 2,000 requests without reading its answers is
#     disconnected, and another is answered meanwhile;
#   - 2,000 slow requests in one write: answered, in order, at most 64 in
#     progress at once (so the run takes 31 rounds of the delay);
#   - a client leaving before its slow answer, or the server quitting
#     then: the server goes on (under ASan or valgrind: the request is
#     freed once answered, the answer dropped);
# Life of the socket: mode 0660 whatever the umask; a stale socket file is
# replaced; a second server on a live socket and a file that is not a
# socket refuse to start; quitting removes the socket, reports closed and
# exits 0 (leak-free under ASan).
# clarionctl against a fake daemon (canned answers): status and campaign
# show, start, pause as text and --json, the request lines it sends, the
# socket from --socket or the configuration, a refusal (exit 1, the error
# on stderr), no daemon (exit 69), an answer that is not JSON (exit 70).

. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || fail "$PY is missing"
ECHO_BIN="$CLARION_BIN/control_echo"
[ -x "$ECHO_BIN" ] || fail "$ECHO_BIN is missing"
CLIENT="$WORK/control_client.py"
cd "$WORK"

# control_client.py SOCKET CHECK [ARGS]: one check against control_echo
# on SOCKET (exit 0 if it holds, 1 with the reason if not), or "fake
# REQUESTS": a fake clariond on SOCKET answering clarionctl with canned
# answers, one request per connection, each logged to REQUESTS.
cat >"$CLIENT" <<'PY'
import json, os, re, socket, sys, time

SOCK = sys.argv[1]
LONG = b'request line longer than 65536 bytes'


def fail(msg):
    sys.stderr.write("control_client: %s\n" % msg)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def conn(timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(SOCK)
    return s


def enc(obj):
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


class Reader:
    def __init__(self, s):
        self.s = s
        self.buf = b""

    def line(self):
        """The next line without its newline; None at end of stream."""
        while b"\n" not in self.buf:
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                return None
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln

    def answer(self):
        ln = self.line()
        expect(ln is not None, "the connection closed before an answer")
        return json.loads(ln)

    def closed(self):
        """The server closes the connection (bounded by the timeout)."""
        ln = self.line()
        expect(ln is None, "expected the connection closed, got %r" % ln)


def ask(r, obj):
    r.s.sendall(enc(obj))
    return r.answer()


def expect_echo(a, req):
    want = dict(req)
    want["ok"] = True
    expect(a == want, "echo: got %r, expected %r" % (a, want))


def expect_error(a, pattern):
    expect(a.get("ok") is False and isinstance(a.get("error"), str),
           "expected an error, got %r" % a)
    expect(re.search(pattern, a["error"]),
           "error %r does not match %r" % (a["error"], pattern))


def check_usable(r, n=99):
    req = {"cmd": "echo", "id": n}
    expect_echo(ask(r, req), req)


def c_echo():
    r = Reader(conn())
    req = {"cmd": "echo", "id": 1, "s": "\u00e9 \"q\" \\",
           "n": [1, {"a": None}], "t": True}
    expect_echo(ask(r, req), req)


def c_quit():
    r = Reader(conn())
    a = ask(r, {"cmd": "quit"})
    expect(a == {"ok": True}, "quit: %r" % a)


def c_split():
    r = Reader(conn())
    for part in (b'{"cmd":"ec', b'ho","id', b'":2}', b"\n"):
        r.s.sendall(part)
        time.sleep(0.1)
    expect_echo(r.answer(), {"cmd": "echo", "id": 2})


def c_pipelined():
    r = Reader(conn())
    r.s.sendall(b"".join(enc({"cmd": "echo", "id": i}) for i in range(10)))
    for i in range(10):
        expect_echo(r.answer(), {"cmd": "echo", "id": i})


def c_blank():
    r = Reader(conn())
    r.s.sendall(b'\n\n  \r\n\t\n{"cmd":"echo","id":7}\n\n')
    expect_echo(r.answer(), {"cmd": "echo", "id": 7})
    # Had a blank line been answered, this would not be the next answer.
    check_usable(r, 8)


def c_eof():
    r = Reader(conn())
    r.s.sendall(b'{"cmd":"echo","id":1}\n{"cmd":"slow","ms":100,"id":2}\n'
                b'{"cmd":"echo","id":3}')
    r.s.shutdown(socket.SHUT_WR)
    expect_echo(r.answer(), {"cmd": "echo", "id": 1})
    expect_echo(r.answer(), {"cmd": "slow", "ms": 100, "id": 2})
    expect_echo(r.answer(), {"cmd": "echo", "id": 3})
    r.closed()


def c_order():
    r = Reader(conn())
    reqs = [{"cmd": "slow", "ms": 500, "id": 1},
            {"cmd": "slow", "ms": 100, "id": 2},
            {"cmd": "echo", "id": 3}]
    t0 = time.monotonic()
    r.s.sendall(b"".join(enc(q) for q in reqs))
    for q in reqs:
        expect_echo(r.answer(), q)
    expect(time.monotonic() - t0 >= 0.45, "the slow request was not slow")


def c_escape():
    r = Reader(conn())
    msg = "say \"hi\"\n\tback\\slash \u00e9 \u2028 \x01"
    r.s.sendall(enc({"cmd": "fail", "message": msg}))
    ln = r.line()
    expect(ln is not None and b"\x01" not in ln and b"\t" not in ln,
           "raw control characters in %r" % ln)
    a = json.loads(ln)
    expect(a == {"ok": False, "error": msg}, "fail: %r" % a)


def c_bad_json():
    r = Reader(conn())
    r.s.sendall(b'{"cmd":"echo",}\n')
    expect_error(r.answer(), r"^request is not valid JSON: line 1, column 15: ")
    check_usable(r)
    r.s.sendall(b'{"cmd":"\xff"}\n')
    expect_error(r.answer(), r"line 1, column \d+: ")
    r.s.sendall(b"{\n")
    expect_error(r.answer(), r"line 1, column 2: ")
    check_usable(r)


def c_not_object():
    r = Reader(conn())
    for bad in (b"[1,2]", b'"echo"', b"42", b"null"):
        r.s.sendall(bad + b"\n")
        expect_error(r.answer(), r"^request is not a JSON object$")
    check_usable(r)


def c_no_cmd():
    r = Reader(conn())
    for bad in ({"x": 1}, {"cmd": 5}, {"cmd": None}, {"CMD": "echo"}):
        r.s.sendall(enc(bad))
        expect_error(r.answer(), r'^request has no "cmd" string member$')
    r.s.sendall(b'{"cmd":"ec\\u0000ho"}\n')
    expect_error(r.answer(), r"NUL")
    r.s.sendall(b'{"cmd":"nope"}\n')
    expect_error(r.answer(), r'^unknown command "nope"$')
    check_usable(r)


def padded(total):
    """An echo request of exactly total bytes, newline excluded."""
    head, tail = b'{"cmd":"echo","p":"', b'"}'
    return head + b"x" * (total - len(head) - len(tail)) + tail


def c_max_line():
    r = Reader(conn())
    line = padded(65535)
    r.s.sendall(line + b"\n")
    a = r.answer()
    expect(a.get("ok") is True and len(a.get("p", "")) == 65535 - 21,
           "a line of 65535 bytes was not served")
    try:
        r.s.sendall(padded(65536) + b"\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    expect(r.line() == b'{"ok":false,"error":"%s"}' % LONG,
           "no error for a line of 65536 bytes")
    r.closed()


def c_long_line():
    r = Reader(conn())
    try:
        r.s.sendall(b"x" * (1 << 20))
    except (BrokenPipeError, ConnectionResetError):
        pass
    ln = r.line()
    expect(ln == b'{"ok":false,"error":"%s"}' % LONG,
           "1 MiB line: got %r" % (ln[:200] if ln else ln))
    r.closed()
    check_usable(Reader(conn()))


def c_flood():
    a = conn()
    b = Reader(conn())
    check_usable(b, 1)
    req = enc({"cmd": "echo", "pad": "y" * 4000})
    sent = 0
    try:
        for i in range(2000):
            a.sendall(req)
            sent += 1
            if i == 500:
                check_usable(b, 2)
    except (BrokenPipeError, ConnectionResetError):
        pass
    ra = Reader(a)
    got = 0
    while ra.line() is not None:
        got += 1
    expect(got < 2000, "a client that never read got all %d answers" % got)
    check_usable(b, 3)
    print("flood: %d requests sent, %d answers before the close" %
          (sent, got))


def c_pending_bound():
    r = Reader(conn(30))
    n, ms = 2000, 50
    t0 = time.monotonic()
    r.s.sendall(b"".join(enc({"cmd": "slow", "ms": ms, "id": i})
                         for i in range(n)))
    for i in range(n):
        a = r.answer()
        expect(a.get("id") == i, "answer %d is %r" % (i, a))
    dt = time.monotonic() - t0
    # 64 at a time: at least 31 rounds of 50 ms; all at once: one.
    expect(dt >= 1.2, "2000 slow requests took %.2f s: unbounded" % dt)
    print("pending_bound: %.2f s" % dt)


def c_leave_pending():
    # Half-closed: the server answers, then finds the client gone.
    for i in range(3):
        s = conn()
        s.sendall(enc({"cmd": "slow", "ms": 200, "id": i}) +
                  enc({"cmd": "echo", "id": i}))
        s.close()
    # Gone with an answer unread: the server's read fails while the
    # slow request is pending, which outlives its client.
    for i in range(3):
        s = conn()
        s.sendall(enc({"cmd": "echo", "id": i}) +
                  enc({"cmd": "slow", "ms": 200, "id": i}))
        time.sleep(0.1)
        s.close()
    time.sleep(0.4)
    check_usable(Reader(conn()))


def c_quit_pending():
    a = Reader(conn())
    a.s.sendall(enc({"cmd": "slow", "ms": 300, "id": 1}))
    time.sleep(0.1)
    c_quit()
    a.closed()


def c_many_clients():
    socks = [conn() for _ in range(70)]
    for i, s in enumerate(socks[:64]):
        r = Reader(s)
        expect_echo(ask(r, {"cmd": "echo", "id": i}), {"cmd": "echo", "id": i})
    for i, s in enumerate(socks[64:]):
        r = Reader(s)
        ln = r.line()
        expect(ln == b'{"ok":false,"error":"too many clients"}',
               "client %d: got %r" % (64 + i, ln))
        r.closed()
    for s in socks:
        s.close()
    deadline = time.monotonic() + 5
    while True:
        a = ask(Reader(conn()), {"cmd": "echo", "id": 1})
        if a.get("ok"):
            break
        expect(time.monotonic() < deadline, "still refused: %r" % a)
        time.sleep(0.1)


CAMPAIGN = {"name": "newsletter", "run": 3, "state": "running",
            "segment": "newsletter", "started_at": 1764300000,
            "finished_at": None, "total": 220000, "pending": 1000,
            "sending": 0, "sent": 218000, "deferred": 500,
            "bounced_hard": 300, "bounced_soft": 100, "failed": 0,
            "skipped": 100, "skipped_capped": 100,
            "possible_duplicates": 0, "rate": 1234.5, "eta": 3725,
            "next_attempt_at": None}
STATUS = {"ok": True, "version": "0.1.0", "pid": 4242, "uptime": 7384,
          "possible_duplicates": 2,
          "queue": {"claimed": 10, "ready": 5, "ready_bytes": 61440,
                    "window": 1000, "memory": 33554432},
          "campaigns": [CAMPAIGN, {"name": "alert", "run": 4,
                                   "state": "paused", "sent": 10,
                                   "total": 20, "rate": None}],
          "pool": {"connections": 3, "queued": 7, "relays": []}}
STATES = {"start": "running", "pause": "paused", "resume": "running",
          "cancel": "cancelled", "show": "running"}


def fake(log):
    if os.path.exists(SOCK):
        os.unlink(SOCK)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(SOCK)
    srv.listen(8)
    print("READY", flush=True)
    while True:
        c, _ = srv.accept()
        c.settimeout(10)
        try:
            ln = Reader(c).line()
            if ln is None:
                continue
            with open(log, "ab") as f:
                f.write(ln + b"\n")
            req = json.loads(ln)
            cmd, name = req.get("cmd", ""), req.get("name")
            if cmd == "status":
                c.sendall(enc(STATUS))
            elif name == "nope":
                c.sendall(enc({"ok": False, "error": 'no campaign "nope"'}))
            elif name == "garbage":
                c.sendall(b"this is not JSON\n")
            elif cmd.startswith("campaign "):
                camp = dict(CAMPAIGN, name=name,
                            state=STATES[cmd.split()[1]])
                c.sendall(enc({"ok": True, "campaign": camp}))
            else:
                c.sendall(enc({"ok": False, "error": "unknown command"}))
        except (OSError, ValueError) as e:
            sys.stderr.write("fake: %s\n" % e)
        finally:
            c.close()


if sys.argv[2] == "fake":
    fake(sys.argv[3])
else:
    globals()["c_" + sys.argv[2]]()
PY

# start_echo NAME SOCKET: control_echo on SOCKET, its pid in echo_pid.
start_echo() {
	"$ECHO_BIN" -d "$2" >"$1.out" 2>"$1.log" &
	echo_pid=$!
	PIDS="$PIDS $echo_pid"
	wait_for 10 grep -qx READY "$1.out" ||
		fail "control_echo $1 did not start: $(cat "$1.log")"
}

# stop_echo NAME SOCKET PID [CHECK]: quit through the socket (CHECK, by
# default quit); control_echo exits 0, cleanly.
stop_echo() {
	"$PY" "$CLIENT" "$2" "${4:-quit}" || fail "$1: ${4:-quit} failed"
	i=0
	while kill -0 "$3" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "$1: control_echo did not exit in 10 s"
		sleep 0.1
	done
	set +e
	wait "$3"
	st=$?
	set -e
	[ "$st" -eq 0 ] || fail "$1: control_echo exited $st: $(cat "$1.log")"
	grep -qx CLOSED "$1.out" || fail "$1: closed() was not reported"
	[ ! -e "$2" ] || fail "$1: the socket file is still there"
}

# check NAME SOCKET: one check of control_client.py.
check() {
	"$PY" "$CLIENT" "$2" "$1" || fail "$1"
	ok "$1"
}

S=$WORK/ctl.sock
old_umask=$(umask)
umask 000
start_echo main "$S"
umask "$old_umask"
main_pid=$echo_pid
mode=$(stat -c %a "$S")
[ "$mode" = 660 ] || fail "socket mode $mode under umask 000, expected 660"
ok "the socket is mode 0660 under umask 000"

for c in echo split pipelined blank eof order escape bad_json not_object \
    no_cmd max_line long_line flood pending_bound leave_pending; do
	check "$c" "$S"
done
grep -q "does not read its answers" main.log ||
	fail "no log line for the client that does not read"
grep -q "longer than 65536 bytes; disconnecting" main.log ||
	fail "no log line for the line too long"
grep -q "client 1 connected" main.log || fail "no debug line for a client"

# 70 clients on a server of their own: no earlier client still closing.
S2=$WORK/many.sock
start_echo many "$S2"
check many_clients "$S2"
grep -q "clients already; refusing client" many.log ||
	fail "no log line for the refused clients"
stop_echo many "$S2" "$echo_pid"

# A second server on a live socket refuses; the first is unharmed.
expect_status 1 "$ECHO_BIN" "$S"
grep -q "a server is listening on it" "$WORK/err" ||
	fail "second server: $(cat "$WORK/err")"
check echo "$S"
ok "a second server on a live socket refuses to start"

stop_echo main "$S" "$main_pid" quit_pending
ok "quit: clients closed, the socket removed, every handle closed, exit 0"

# A socket file nobody listens on (a dead daemon's) is replaced.
"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	"$S"
[ -S "$S" ] || fail "no stale socket made"
start_echo stale "$S"
check echo "$S"
grep -q "removed the stale socket" stale.log || fail "no stale-socket log"
stop_echo stale "$S" "$echo_pid"
ok "a stale socket file is replaced at start"

echo "not a socket" >"$S"
expect_status 1 "$ECHO_BIN" "$S"
grep -q "exists and is not a socket" "$WORK/err" ||
	fail "not a socket: $(cat "$WORK/err")"
[ "$(cat "$S")" = "not a socket" ] || fail "the file was changed"
rm -f "$S"
ok "a file that is not a socket is left alone, the server refuses"

# clarionctl against control_echo: a real refusal over the transport.
start_echo ctl "$S"
expect_status 1 "$CTL" --socket "$S" status
expect_line "$WORK/err" 'clarionctl: unknown command "status"'
[ ! -s "$WORK/out" ] || fail "output on a refusal: $(cat "$WORK/out")"
expect_status 1 "$CTL" --json --socket "$S" campaign show x
expect_line "$WORK/out" \
	'{"ok":false,"error":"unknown command \"campaign show\""}'
stop_echo ctl "$S" "$echo_pid"
ok "clarionctl: a refusal exits 1 with the error on stderr"

expect_status 69 "$CTL" --socket "$S" status
grep -q "cannot connect to clariond's control socket $S" "$WORK/err" ||
	fail "no daemon: $(cat "$WORK/err")"
ok "clarionctl: no daemon exits 69 naming the socket"

# clarionctl against the fake daemon's canned answers.
F=$WORK/clarion.db.sock
"$PY" "$CLIENT" "$F" fake "$WORK/requests" >fake.out 2>fake.log &
fake_pid=$!
PIDS="$PIDS $fake_pid"
wait_for 10 grep -qx READY fake.out || fail "the fake daemon did not start"

expect_status 0 "$CTL" --socket "$F" campaign show newsletter
cat >expected <<'EOF'
campaign             newsletter
run                  3
state                running
segment              newsletter
started              2025-11-28 03:20:00 UTC
rate                 1234.5 msgs/s
ETA                  1:02:05

total                220000
pending                1000
sending                   0
sent                 218000
deferred                500
bounced (hard)          300
bounced (soft)          100
failed                    0
skipped                 100
  frequency cap         100
possible duplicates       0
EOF
diff -u expected "$WORK/out" >&2 || fail "campaign show: the text view"
ok "clarionctl campaign show: the text view"

expect_status 0 "$CTL" --socket "$F" --json campaign pause newsletter
"$PY" - "$WORK/out" <<'PY' || fail "campaign pause --json: $(cat "$WORK/out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
a = json.loads(lines[0])
assert a["ok"] is True and a["campaign"]["state"] == "paused", a
PY
tail -n 1 requests >last
expect_line last '{"cmd":"campaign pause","name":"newsletter"}'
ok "clarionctl --json campaign pause: the request, the answer as is"

expect_status 0 "$CTL" --socket "$F" campaign start 'new"s'
tail -n 1 requests >last
expect_line last '{"cmd":"campaign start","name":"new\"s"}'
expect_line "$WORK/out" "state                running"
if grep -q "finished" "$WORK/out"; then
	fail "a null member was shown: $(cat "$WORK/out")"
fi
ok "clarionctl campaign start: the name escaped, null members left out"

write_config "$WORK"
expect_status 0 "$CTL" -c clarion.yaml status
cat >expected <<'EOF'
clariond 0.1.0, pid 4242, up 2:03:04
queue: claimed 10, ready 5 (60.0 KiB), window 1000, memory 32.0 MiB
possible duplicates (sends a crash left unrecorded): 2
pool: connections 3, queued 7

campaign    run  state    sent    total   pending  deferred  msgs/s  ETA
----------  ---  -------  ------  ------  -------  --------  ------  -------
newsletter  3    running  218000  220000  1000     500       1234.5  1:02:05
alert       4    paused   10      20
EOF
# The table pads its last cells: trailing blanks do not count.
sed 's/ *$//' "$WORK/out" >got
diff -u expected got >&2 || fail "status: the text view"
tail -n 1 requests >last
expect_line last '{"cmd":"status"}'
ok "clarionctl status: the socket from the configuration, the text view"

expect_status 1 "$CTL" --socket "$F" campaign show nope
expect_line "$WORK/err" 'clarionctl: no campaign "nope"'
expect_status 70 "$CTL" --socket "$F" campaign show garbage
grep -q "answered what the protocol does not allow" "$WORK/err" ||
	fail "garbage answer: $(cat "$WORK/err")"
expect_status 64 "$CTL" --socket "$F" campaign stop newsletter
expect_status 64 "$CTL" --socket "$F" status extra
ok "clarionctl: refusals exit 1, bad answers 70, bad usage 64"

#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/peers_selftest.sh - the SMTP test servers themselves
#
# Before they judge clarion, the fixtures of peers.sh and tests/data are
# checked with standard clients: smtp-source against smtp-sink (counters,
# dumps, a reject, IPv6); Python's smtplib against smtp_server.py
# (STARTTLS required, AUTH only under TLS, a rejected recipient, the spool
# and its JSON, implicit TLS) and against each certificate of
# make_certs.sh (the good one verifies with the CA, the wrong-host,
# expired and self-signed ones do not); smtplib and a raw pipelining
# client against smtp_capture.py, whose streams smtp_wire_check.py must
# pass, and hand-written broken streams it must fail.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

cd "$WORK"
SOURCE=/usr/sbin/smtp-source

# smtp-sink: 20 messages over 4 parallel sessions reusing connections.
sink_start sink
expect_status 0 "$SOURCE" -s 4 -m 20 -l 2000 -d "$sink_ADDR"
sink_wait sink 20 || fail "smtp-sink counted $(sink_count sink) messages"
[ "$(sink_count sink)" -eq 20 ] || fail "sink: $(sink_count sink) messages"
[ "$(sink_count sink sess)" -eq 4 ] ||
	fail "sink: $(sink_count sink sess) sessions"
peer_stop "$sink_PID"
! _peer_alive "$sink_PID" || fail "smtp-sink still runs after peer_stop"
ok "smtp-sink counts what smtp-source sends; peer_stop stops it"

# --dump: one file per message with the envelope.
printf 'Subject: dumped\n\n.leading dot\n' >msg.txt
sink_start dumper --dump
expect_status 0 "$SOURCE" -m 3 -d -f from@example.org -t to@example.org \
	-F msg.txt "$dumper_ADDR"
sink_wait dumper 3 || fail "smtp-sink --dump: $(sink_count dumper) messages"
wait_for 5 test "$(ls "$dumper_DUMP" | wc -l)" -eq 3 ||
	fail "not 3 dump files: $(ls "$dumper_DUMP")"
for f in "$dumper_DUMP"/*; do
	expect_line "$f" "X-Rcpt-Args: <to@example.org>"
	expect_line "$f" "X-Mail-Args: <from@example.org>"
	expect_line "$f" ".leading dot"
done
ok "smtp-sink --dump keeps each message and its envelope"

# A reject: -r RCPT answers 450 4.3.0 and smtp-source gives up.
sink_start rejecter -r RCPT
expect_status 1 "$SOURCE" -m 1 "$rejecter_ADDR"
grep -q '450 4.3.0 Error: command failed' "$WORK/err" ||
	fail "smtp-source did not see the 450: $(cat "$WORK/err")"
ok "smtp-sink -r RCPT rejects recipients with 450 4.3.0"

if have_ipv6; then
	sink_start6 sink6
	expect_status 0 "$SOURCE" -m 2 "$sink6_ADDR"
	sink_wait sink6 2 || fail "smtp-sink on ::1: $(sink_count sink6)"
	ok "smtp-sink listens on [::1]"
else
	ok "# SKIP smtp-sink on [::1]: no IPv6 loopback"
fi

# Certificates, and smtp_server.py with STARTTLS required and AUTH.
peers_certs
aiosmtpd_start tls --starttls "$CERTS/localhost.crt" "$CERTS/localhost.key" \
	--require-tls --auth alice:s3cret \
	--reply-rcpt 'bad@example.org=550 5.1.1 No such user'
/usr/bin/python3 - "$tls_PORT" "$CERTS/ca.crt" <<'PY' ||
import smtplib, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example",
                 timeout=5)
code, _ = s.ehlo()
assert code == 250 and s.has_extn("starttls"), s.esmtp_features
assert not s.has_extn("auth"), "AUTH offered before TLS"
assert s.docmd("MAIL FROM:<a@example.org>")[0] == 530
ctx = ssl.create_default_context(cafile=ca)
s.starttls(context=ctx)
s.ehlo()
assert "PLAIN" in s.esmtp_features["auth"], s.esmtp_features
try:
    s.login("alice", "wrong")
    raise AssertionError("a wrong password was accepted")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
s.login("alice", "s3cret")
refused = s.sendmail("sender@example.org",
                     ["ok@example.org", "bad@example.org"],
                     b"Subject: t\r\n\r\n.a line with a dot\r\nend\r\n")
assert refused == {"bad@example.org": (550, b"5.1.1 No such user")}, refused
s.quit()
PY
	fail "smtplib against smtp_server.py with STARTTLS"
spool_wait tls 1 || fail "nothing spooled"
/usr/bin/python3 - "$tls_SPOOL" <<'PY' || fail "spooled message or JSON"
import json, sys
d = sys.argv[1]
meta = json.load(open(d + "/000001.json"))
want = {"conn": 1, "helo": "client.example", "tls": True,
        "tls_mode": "starttls", "auth_user": "alice",
        "mail_from": "sender@example.org", "rcpt_tos": ["ok@example.org"],
        "rejected_rcpts": ["bad@example.org"]}
for k, v in want.items():
    assert meta[k] == v, (k, meta[k])
assert meta["tls_version"].startswith("TLSv1."), meta
assert open(d + "/000001.eml", "rb").read() == \
    b"Subject: t\r\n\r\n.a line with a dot\r\nend\r\n"
PY
peer_stop "$tls_PID"
[ "$PEER_STATUS" = 0 ] || fail "smtp_server.py exit status $PEER_STATUS"
grep -q '>> b.STARTTLS.' "$tls_LOG" || fail "no session log: $tls_LOG"
ok "smtp_server.py: STARTTLS required, AUTH under TLS, reject, spool"

# Implicit TLS with each certificate: only localhost.crt verifies.
for c in localhost wrong-host expired self-signed; do
	aiosmtpd_start "i_$(echo "$c" | tr - _)" \
		--implicit-tls "$CERTS/$c.crt" "$CERTS/$c.key"
done
/usr/bin/python3 - "$CERTS/ca.crt" "$i_localhost_PORT" "$i_wrong_host_PORT" \
	"$i_expired_PORT" "$i_self_signed_PORT" <<'PY' ||
import smtplib, ssl, sys
ca, good, wrong, expired, selfsigned = sys.argv[1], *map(int, sys.argv[2:])
ctx = ssl.create_default_context(cafile=ca)
s = smtplib.SMTP_SSL("localhost", good, context=ctx, timeout=5)
s.ehlo()
assert s.has_extn("auth") is False        # no --auth: no AUTH
s.quit()
for port, why in ((wrong, "Hostname mismatch"),
                  (expired, "certificate has expired"),
                  (selfsigned, "self-signed certificate")):
    try:
        smtplib.SMTP_SSL("localhost", port, context=ctx, timeout=5)
        raise AssertionError("port %d: verified" % port)
    except ssl.SSLCertVerificationError as e:
        assert why in str(e), (why, str(e))
# The IP address is in localhost.crt too.
ctx.check_hostname = True
smtplib.SMTP_SSL("127.0.0.1", good, context=ctx, timeout=5).quit()
PY
	fail "implicit TLS and the certificates"
ok "certificates: CA-signed verifies; wrong host, expired, self-signed do not"

# smtp_capture.py and smtp_wire_check.py: smtplib's messages pass.
capture_start cap
mkdir bodies
printf 'Subject: one\n\n.starts with a dot\nbare\rCR and bare LF\n.\n' \
	>bodies/1
printf 'Subject: two\r\n\r\nno final line end' >bodies/2
/usr/bin/python3 - "$cap_PORT" bodies/1 bodies/2 <<'PY' ||
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="c.example",
                 timeout=5)
for i, path in enumerate(sys.argv[2:]):
    # As text, so that smtplib turns every line end into CRLF.
    s.sendmail("a@example.org", ["r%d@example.org" % i],
               open(path, newline="").read())
s.quit()
PY
	fail "smtplib against smtp_capture.py"
capture_wait cap 1 || fail "the capture connection did not close"
expect_status 0 capture_check cap --bodies bodies
grep -q '^wire ok: 1 connections, 2 messages' "$WORK/out" ||
	fail "wire check: $(cat "$WORK/out")"
ok "smtp_capture.py records smtplib's stream; smtp_wire_check.py passes it"

# A pipelined batch is answered in order, one reply per command.
/usr/bin/python3 - "$cap_PORT" <<'PY' || fail "pipelining against capture"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\n"
          b"RCPT TO:<b@example.org>\r\nDATA\r\n")
s.sendall(b"x\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
got = b""
deadline = time.time() + 5
while time.time() < deadline:
    d = s.recv(4096)
    if not d:
        break
    got += d
codes = [l[:4] for l in got.split(b"\r\n") if l[3:4] in (b" ", b"")
         and len(l) >= 3]
assert codes == [b"220 ", b"250 ", b"250 ", b"250 ", b"354 ", b"250 ",
                 b"250 ", b"250 ", b"221 "], got
assert b"250-PIPELINING\r\n" in got, got
PY
capture_wait cap 2 || fail "the pipelining connection did not close"
expect_status 0 capture_check cap
ok "smtp_capture.py answers a pipelined batch in order"

# Hand-written broken streams fail, with where and why.
envelope='EHLO c.example\r\nMAIL FROM:<a@example.org>\r\n'
envelope="${envelope}RCPT TO:<b@example.org>\r\nDATA\r\n"
printf "${envelope}Subject: x\r\n\r\nbare\nLF\r\n.\r\nQUIT\r\n" >bare-lf.raw
expect_status 1 /usr/bin/python3 "$PEERS_DATA/smtp_wire_check.py" bare-lf.raw
expect_line "$WORK/err" "conn 1, offset 92: bare LF (bare-lf.raw)"
printf "${envelope}.unstuffed\r\n.\r\nQUIT\r\n" >dot.raw
expect_status 1 /usr/bin/python3 "$PEERS_DATA/smtp_wire_check.py" dot.raw
grep -q "^conn 1, offset 74: line starting with '.' not dot-stuffed" \
	"$WORK/err" || fail "unstuffed dot: $(cat "$WORK/err")"
cp "$cap_CONNS/conn-000001.raw" good.raw
printf 'Subject: one\r\n\r\n.starts with a dot\r\nchanged\r\n' >bodies/1
expect_status 1 /usr/bin/python3 "$PEERS_DATA/smtp_wire_check.py" \
	--bodies bodies good.raw
grep -q '^conn 1, offset [0-9]*: message 1 differs from 1 at body octet' \
	"$WORK/err" || fail "body mismatch: $(cat "$WORK/err")"
ok "smtp_wire_check.py fails a bare LF, an unstuffed dot, a wrong body"

peers_stop_all
[ -z "$PEERS_PIDS" ] || fail "peers_stop_all left: $PEERS_PIDS"
ok "peers_stop_all stops every server"

#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/smtp_tls.sh - the SMTP client's TLS and AUTH against
# a real server (python3-aiosmtpd, tests/data/smtp_server.py)
#
# Each case sends messages with pool_send (tests/tools/pool_send.c) and
# checks the verdict of every message and what the server received (its
# spool, its session log):
#
#   - STARTTLS with a certificate of the test CA (ca_file), and implicit
#     TLS: sent, spooled, with TLS in that mode by the server's account;
#   - a self-signed, an expired and a wrong host's certificate, over
#     STARTTLS and over implicit TLS, and 127.0.0.1, which the wrong
#     host's certificate does not name: every message deferred with the
#     reason, nothing spooled, no MAIL command; server_name naming the
#     wrong host makes its certificate pass; "verify: false" written out
#     takes the self-signed one;
#   - tls: starttls and a server that does not offer STARTTLS: deferred,
#     no MAIL command, nothing spooled;
#   - AUTH PLAIN and AUTH LOGIN inside STARTTLS with the right password
#     (password_file mode 0600): sent, as that user; a wrong password
#     ("535 5.7.8", which verdict.c defers, never bounces): deferred,
#     nothing spooled;
#   - a server offering AUTH without TLS (tls: opportunistic, no
#     STARTTLS): no AUTH command, nothing spooled, the password nowhere
#     in the server's log; with "plaintext: true" written out the client
#     logs in; tls: none with auth and no plaintext is refused as a
#     configuration error;
#   - a password file readable by its group or by others: pool_send
#     fails, naming the file, and connects to nothing;
#   - IPv6: host ::1 with STARTTLS, server_name localhost, and without it
#     (the certificate's IP address): sent;
#   - a server whose last reply (250 to the end of data, 221 after a
#     refused AUTH) and TLS close_notify arrive in one read: the reply
#     counts (sent, not ambiguous; deferred for the AUTH refusal).
#
# The password, plain or in base64, never shows in pool_send's output
# (verbose) nor in any server log.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

cd "$WORK"
SEND="$CLARION_BIN/pool_send"
PASSWORD=Kx7-pw-Quagga-93
printf '%s\n' "$PASSWORD" >secret
chmod 600 secret
printf 'not-the-one\n' >wrong
chmod 600 wrong
# The password as AUTH LOGIN and AUTH PLAIN would carry it.
B64_LOGIN=$(printf '%s' "$PASSWORD" | base64)
B64_PLAIN=$(printf '\000alice\000%s' "$PASSWORD" | base64)
peers_certs

# relay FILE HOST PORT [LINE...]: a configuration with one relay, r, at
# HOST and PORT, retrying fast, each LINE indented under it.
relay() {
	_f=$1 _h=$2 _p=$3
	shift 3
	{
		cat <<'YAML'
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
  r:
YAML
		printf '    host: "%s"\n    port: %s\n' "$_h" "$_p"
		printf '    reconnect_min: 100ms\n    reconnect_max: 400ms\n'
		printf '    timeouts:\n'
		for _t in connect greeting ehlo tls mail rcpt data body dot; do
			printf '      %s: 5s\n' "$_t"
		done
		for _l in "$@"; do
			printf '    %s\n' "$_l"
		done
	} >"$_f"
}

# send NAME COUNT: pool_send with NAME.yaml, 20 s at most; its verdicts
# in NAME.out, its log (-vv) in NAME.err. It must exit 0.
send() {
	if ! "$SEND" -c "$1.yaml" -n "$2" -s 1500 -T 20 -vv \
	    -t 'user%n@example.com' >"$1.out" 2>"$1.err"; then
		cat "$1.out" "$1.err" >&2
		fail "$1: pool_send exited non-zero"
	fi
}

# expect_kinds NAME KIND COUNT: NAME.out holds COUNT verdicts, all KIND.
expect_kinds() {
	_got=$(awk '{ n[$2]++ } END { for (k in n) print k, n[k] }' \
	    "$1.out")
	if [ "$_got" != "$2 $3" ]; then
		cat "$1.out" "$1.err" >&2
		fail "$1: verdicts [$_got], expected [$2 $3]"
	fi
}

# log_of SERVER: the session log of the server named SERVER.
log_of() {
	eval "printf '%s\n' \"\${${1}_LOG}\""
}

# sent NAME SERVER COUNT TOTAL PYEXPR: every one of COUNT messages sent;
# SERVER has spooled exactly TOTAL in all, PYEXPR true of each one's JSON
# (m).
sent() {
	expect_kinds "$1" sent "$3"
	spool_wait "$2" "$4" 5 || fail "$1: $(spool_count "$2") spooled"
	[ "$(spool_count "$2")" -eq "$4" ] ||
		fail "$1: $(spool_count "$2") spooled, expected $4"
	eval "_spool=\${${2}_SPOOL}"
	/usr/bin/python3 - "$_spool" "$5" <<'PY' || fail "$1: spooled JSON"
import glob, json, sys
spool, expr = sys.argv[1:]
for f in sorted(glob.glob(spool + "/*.json")):
    m = json.load(open(f))
    if not eval("(%s)" % expr, {}, {"m": m}):
        sys.exit("%s: not %s: %r" % (f, expr, m))
PY
}

# refused NAME SERVER COUNT TEXT: every one of COUNT messages deferred,
# not sent, for TEXT; nothing spooled; the server saw no MAIL command.
refused() {
	expect_kinds "$1" deferred "$3"
	if awk -v t="$4" '$4 != "NOT_SENT" || !index($0, t)' "$1.out" |
	    grep -q .; then
		cat "$1.out" >&2
		fail "$1: not every message deferred for: $4"
	fi
	[ "$(spool_count "$2")" -eq 0 ] ||
		fail "$1: $(spool_count "$2") messages spooled"
	! grep -q ">> b'MAIL" "$(log_of "$2")" ||
		fail "$1: the server got a MAIL command"
}

# no_secret FILE...: neither the password nor its base64 forms in FILEs.
no_secret() {
	for _s in "$PASSWORD" "$B64_LOGIN" "$B64_PLAIN"; do
		! grep -qF -- "$_s" "$@" ||
			fail "the password shows in $(grep -lF -- "$_s" "$@")"
	done
}

CA="ca_file: $CERTS/ca.crt"

# --- STARTTLS and implicit TLS with a valid certificate -----------------
aiosmtpd_start good --starttls "$CERTS/localhost.crt" \
	"$CERTS/localhost.key" --require-tls
relay starttls.yaml localhost "$good_PORT" "tls: starttls" "$CA"
send starttls 4
sent starttls good 4 4 'm["tls"] and m["tls_mode"] == "starttls" and
    m["tls_version"].startswith("TLSv1.") and m["auth_user"] is None'
[ "$(grep -c 'tls=starttls (TLSv1' "$good_LOG")" -eq 4 ] ||
	fail "starttls: the server's log does not show 4 messages in TLS"
ok "STARTTLS, certificate of the test CA: 4 sent, spooled inside TLS"

aiosmtpd_start implicit --implicit-tls "$CERTS/localhost.crt" \
	"$CERTS/localhost.key"
relay implicit.yaml localhost "$implicit_PORT" "tls: implicit" "$CA"
send implicit 3
sent implicit implicit 3 3 'm["tls"] and m["tls_mode"] == "implicit"'
grep -q 'tls=implicit (TLSv1' "$implicit_LOG" ||
	fail "implicit: the server's log shows no TLS"
ok "implicit TLS, certificate of the test CA: 3 sent inside TLS"

# --- certificates that must not verify ----------------------------------
for c in self-signed:'self-signed certificate' \
    expired:'certificate has expired' \
    wrong-host:'hostname mismatch'; do
	cert=${c%%:*} why=${c#*:}
	n=$(echo "$cert" | tr - _)
	aiosmtpd_start "st_$n" --starttls "$CERTS/$cert.crt" \
		"$CERTS/$cert.key"
	eval "port=\$st_${n}_PORT"
	relay "st_$n.yaml" localhost "$port" "tls: starttls" "$CA"
	send "st_$n" 3
	refused "st_$n" "st_$n" 3 "certificate does not verify: $why"
	grep -q ">> b'STARTTLS'" "$(log_of "st_$n")" ||
		fail "st_$n: the client did not even ask for STARTTLS"
	ok "STARTTLS, $cert certificate: 3 deferred ($why), no MAIL"

	aiosmtpd_start "it_$n" --implicit-tls "$CERTS/$cert.crt" \
		"$CERTS/$cert.key"
	eval "port=\$it_${n}_PORT"
	relay "it_$n.yaml" localhost "$port" "tls: implicit" "$CA"
	send "it_$n" 2
	refused "it_$n" "it_$n" 2 "certificate does not verify: $why"
	ok "implicit TLS, $cert certificate: 2 deferred ($why), no MAIL"
done

# An IP literal is checked against the certificate's IP addresses.
relay ip_wrong.yaml 127.0.0.1 "$st_wrong_host_PORT" "tls: starttls" "$CA"
send ip_wrong 2
refused ip_wrong st_wrong_host 2 "certificate does not verify: IP address"
relay ip_good.yaml 127.0.0.1 "$good_PORT" "tls: starttls" "$CA"
send ip_good 2
sent ip_good good 2 6 'm["tls"]'
ok "host 127.0.0.1: the certificate must name that address"

# server_name: the name the certificate must carry, whatever the host.
relay server_name.yaml localhost "$st_wrong_host_PORT" "tls: starttls" \
	"$CA" "server_name: wrong.example"
send server_name 2
sent server_name st_wrong_host 2 2 'm["tls_mode"] == "starttls"'
ok "server_name wrong.example: the wrong host's certificate passes"

# verify: false, written out: the escape hatch takes any certificate.
relay noverify.yaml localhost "$st_self_signed_PORT" "tls: starttls" \
	"verify: false"
send noverify 3
sent noverify st_self_signed 3 3 'm["tls_mode"] == "starttls"'
ok "verify: false written out: the self-signed certificate is taken"

# --- STARTTLS required but not offered ----------------------------------
aiosmtpd_start plain
relay strip.yaml localhost "$plain_PORT" "tls: starttls" "$CA"
send strip 3
refused strip plain 3 "TLS is required but the server does not offer"
grep -q ">> b'EHLO" "$plain_LOG" || fail "strip: the server saw no EHLO"
ok "tls: starttls without STARTTLS offered: 3 deferred, no MAIL"

# --- AUTH inside TLS ----------------------------------------------------
aiosmtpd_start auth --starttls "$CERTS/localhost.crt" \
	"$CERTS/localhost.key" --require-tls --auth "alice:$PASSWORD" \
	--auth-required
total=0
for mech in plain login; do
	relay "auth_$mech.yaml" localhost "$auth_PORT" "tls: starttls" \
		"$CA" "auth:" "  user: alice" \
		"  password_file: $WORK/secret" "  mechanisms: [$mech]"
	send "auth_$mech" 3
	total=$((total + 3))
	sent "auth_$mech" auth 3 "$total" \
		'm["auth_user"] == "alice" and m["tls_mode"] == "starttls"'
	MECH=$(echo "$mech" | tr a-z A-Z)
	[ "$(grep -c ">> b'AUTH $MECH" "$auth_LOG")" -eq 3 ] ||
		fail "auth_$mech: not 3 AUTH $MECH in the server's log"
	grep -q "AUTH $MECH as b'alice': accepted" "$auth_LOG" ||
		fail "auth_$mech: no AUTH $MECH accepted in the server's log"
done
! grep -q ": refused" "$auth_LOG" || fail "auth: an AUTH was refused"
ok "AUTH PLAIN and LOGIN inside STARTTLS: 3 and 3 sent as alice"

aiosmtpd_start badauth --starttls "$CERTS/localhost.crt" \
	"$CERTS/localhost.key" --require-tls --auth "alice:$PASSWORD" \
	--auth-required
for mech in plain login; do
	relay "badauth_$mech.yaml" localhost "$badauth_PORT" \
		"tls: starttls" "$CA" "auth:" "  user: alice" \
		"  password_file: $WORK/wrong" "  mechanisms: [$mech]"
	send "badauth_$mech" 2
	MECH=$(echo "$mech" | tr a-z A-Z)
	refused "badauth_$mech" badauth 2 "AUTH $MECH refused"
	! awk '$3 != "auth"' "badauth_$mech.out" | grep -q . ||
		fail "badauth_$mech: a reason other than auth"
	grep -q "AUTH $MECH as b'alice': refused" "$badauth_LOG" ||
		fail "badauth_$mech: no refused AUTH in the server's log"
done
grep -q "<< b'535 5.7.8 " "$badauth_LOG" ||
	fail "badauth: the server did not answer 535 5.7.8"
! grep -q ": accepted" "$badauth_LOG" || fail "badauth: AUTH accepted"
ok "a wrong password (535 5.7.8): deferred (auth), never bounced, nothing sent"

# --- no credentials over plain text -------------------------------------
aiosmtpd_start cleartext --auth "alice:$PASSWORD" --no-auth-require-tls
relay cleartext.yaml localhost "$cleartext_PORT" "tls: opportunistic" \
	"$CA" "auth:" "  user: alice" "  password_file: $WORK/secret"
send cleartext 3
refused cleartext cleartext 3 "AUTH refused over plain text"
grep -q "<< b'250-AUTH LOGIN PLAIN'" "$cleartext_LOG" ||
	fail "cleartext: the server did not offer AUTH"
! grep -q ">> b'AUTH" "$cleartext_LOG" ||
	fail "cleartext: the client sent AUTH over plain text"
no_secret "$cleartext_LOG" "$cleartext_DIR/out"
ok "AUTH offered without TLS: not sent, no message, password kept"

relay plaintext.yaml localhost "$cleartext_PORT" "tls: opportunistic" \
	"$CA" "auth:" "  user: alice" "  password_file: $WORK/secret" \
	"  plaintext: true"
send plaintext 2
sent plaintext cleartext 2 2 'm["auth_user"] == "alice" and not m["tls"]'
ok "plaintext: true written out: AUTH over plain text, 2 sent"

relay none.yaml localhost "$cleartext_PORT" "tls: none" "auth:" \
	"  user: alice" "  password_file: $WORK/secret"
expect_status 1 "$SEND" -c none.yaml -n 1 -T 5
grep -q 'set plaintext: true under auth' "$WORK/err" ||
	fail "tls: none with auth: $(cat "$WORK/err")"
ok "tls: none with auth and no plaintext: a configuration error"

# --- a password file others can read ------------------------------------
for mode in 640 604; do
	cp secret "loose$mode"
	chmod "$mode" "loose$mode"
	relay "loose$mode.yaml" localhost "$auth_PORT" "tls: starttls" \
		"$CA" "auth:" "  user: alice" \
		"  password_file: $WORK/loose$mode"
	before=$(grep -c 'handling connection' "$auth_LOG" || true)
	expect_status 1 "$SEND" -c "loose$mode.yaml" -n 1 -T 5
	grep -qF "$WORK/loose$mode: a password file must be readable" \
		"$WORK/err" || fail "mode $mode: $(cat "$WORK/err")"
	[ "$(grep -c 'handling connection' "$auth_LOG" || true)" = \
	    "$before" ] || fail "mode $mode: pool_send connected anyway"
done
ok "password files of mode 640 and 604: refused, named, no connection"

# --- IPv6 ---------------------------------------------------------------
if have_ipv6; then
	aiosmtpd_start six --host ::1 --starttls "$CERTS/localhost.crt" \
		"$CERTS/localhost.key" --require-tls
	relay six.yaml ::1 "$six_PORT" "tls: starttls" "$CA" \
		"server_name: localhost"
	send six 3
	relay six_ip.yaml ::1 "$six_PORT" "tls: starttls" "$CA"
	send six_ip 2
	expect_kinds six sent 3
	sent six_ip six 2 5 'm["tls_mode"] == "starttls" and
	    m["peer"][0] == "::1"'
	ok "IPv6: STARTTLS to ::1, by server_name and by IP address: sent"
else
	ok "# SKIP IPv6: no IPv6 loopback"
fi

# --- a last reply and close_notify in one read ----------------------------
# A server (implicit TLS) that sends its reply to the end of data, or to
# QUIT after refusing AUTH, and its close_notify in one write: the reply
# must count (not "ambiguous", not "the server closed the TLS session").
cat >closer.py <<'PY'
import socket, ssl, sys
port_file, cert, key = sys.argv[1:]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ls = socket.create_server(("127.0.0.1", 0))
open(port_file + ".tmp", "w").write("%d\n" % ls.getsockname()[1])
__import__("os").rename(port_file + ".tmp", port_file)

def session(s):
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    t = ctx.wrap_bio(inc, out, server_side=True)
    def call(f):                    # f(), feeding the network as needed
        while True:
            try:
                r = f()
                s.sendall(out.read())
                return r
            except ssl.SSLWantReadError:
                s.sendall(out.read())
                d = s.recv(65536)
                if not d:
                    raise EOFError
                inc.write(d)
    def say(text, close=False):     # the reply, close_notify: one write
        t.write(text)
        if close:
            try:
                t.unwrap()
            except ssl.SSLError:
                pass
        s.sendall(out.read())
    call(t.do_handshake)
    say(b"220 closer ESMTP\r\n")
    buf, data = b"", False
    while True:
        while b"\n" not in buf:
            buf += call(lambda: t.read(65536))
        line, buf = buf.split(b"\n", 1)
        verb = line[:4].upper()
        if data:
            if line == b".\r":
                return say(b"250 2.0.0 queued\r\n", True)
        elif verb == b"EHLO":
            say(b"250-closer\r\n250 AUTH PLAIN\r\n")
        elif verb == b"AUTH":
            say(b"535 5.7.8 Authentication credentials invalid\r\n")
        elif verb == b"QUIT":
            return say(b"221 2.0.0 Bye\r\n", True)
        elif verb == b"DATA":
            say(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            data = True
        else:
            say(b"250 2.0.0 Ok\r\n")

while True:
    s = ls.accept()[0]
    try:
        session(s)
    except (OSError, EOFError, ssl.SSLError):
        pass
    s.close()
PY
/usr/bin/python3 closer.py closer.port "$CERTS/localhost.crt" \
	"$CERTS/localhost.key" >closer.log 2>&1 &
PIDS="$PIDS $!"
wait_for 10 test -s closer.port || fail "closer.py: $(cat closer.log)"
relay closer.yaml localhost "$(cat closer.port)" "tls: implicit" "$CA" \
	"connections: 1"
send closer 1
if ! grep -q '^0 sent none SENT DOT 250 2.0.0 r 0 queued$' closer.out; then
	cat closer.out closer.err >&2
	fail "closer: a 250 followed by close_notify is not taken as sent"
fi
relay closer_auth.yaml localhost "$(cat closer.port)" "tls: implicit" \
	"$CA" "connections: 1" "auth:" "  user: alice" \
	"  password_file: $WORK/wrong"
send closer_auth 1
expect_kinds closer_auth deferred 1
grep -q 'AUTH PLAIN refused: Authentication credentials invalid' \
	closer_auth.out || fail "closer_auth: $(cat closer_auth.out)"
ok "a last reply and close_notify in one read: the reply counts"

# The password never shows: pool_send's output and every server's log.
no_secret ./*.out ./*.err "$WORK"/*/session.log "$WORK"/*/out
ok "the password shows in no output and no log"

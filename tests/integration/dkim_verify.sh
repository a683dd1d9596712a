#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/dkim_verify.sh - the independent DKIM verifier, checked
#
# tests/unit/dkim_test.c signs 1,200 messages with clarion's dkim module
# and has tests/integration/dkim_verify.py (python3-dkim) verify them. That
# proves something only if the verifier accepts good signatures made by
# others and refuses bad ones, through the same DNS plumbing. This runs it
# on RFC 8463's signed message (an Ed25519 and an RSA signature, LF endings
# made CRLF by --crlf), which must pass, and on copies with one byte of the
# body or of a signed header changed, with a From added on top (which the
# over-signed h= catches), or with no DNS record, which must all fail; and
# it checks that a mismatch makes the script exit 1.

. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
VERIFY="$CLARION_SOURCE/tests/integration/dkim_verify.py"
DATA="$CLARION_TEST_DATA/dkim/rfc8463"

[ -x "$PY" ] || fail "$PY is missing"
"$PY" -c 'import dkim, nacl' 2>/dev/null ||
	fail "python3-dkim (with python3-nacl) is not installed"

# changed NAME SED-SCRIPT: a copy of signed.eml edited by SED-SCRIPT, which
# must change it.
changed() {
	sed "$2" "$DATA/signed.eml" >"$WORK/bad/$1.fail.eml"
	if cmp -s "$DATA/signed.eml" "$WORK/bad/$1.fail.eml"; then
		fail "$1: the edit changed nothing"
	fi
}

mkdir "$WORK/good" "$WORK/bad" "$WORK/nodns" "$WORK/mismatch"

cp "$DATA/dns.txt" "$WORK/good/dns.txt"
cp "$DATA/signed.eml" "$WORK/good/rfc8463.pass.eml"
expect_status 0 "$PY" "$VERIFY" --crlf "$WORK/good"
expect_line "$WORK/out" "messages=1 signatures=2 pass=1 fail=0 mismatches=0"
ok "RFC 8463's ed25519-sha256 and rsa-sha256 signatures verify"

cp "$DATA/dns.txt" "$WORK/bad/dns.txt"
changed body 's/We lost the game/We lost the gamE/'
changed subject 's/^Subject: Is dinner ready?/Subject: Is dinner ready!/'
changed from 's/^From: Joe SixPack/From: Joe SixPacK/'
changed date 's/^\(Date: Fri, 11 Jul 2003 21:00:\)37/\138/'
{
	printf 'From: Mallory <m@football.example.com>\n'
	cat "$DATA/signed.eml"
} >"$WORK/bad/added-from.fail.eml"
expect_status 0 "$PY" "$VERIFY" --crlf "$WORK/bad"
expect_line "$WORK/out" "messages=5 signatures=10 pass=0 fail=5 mismatches=0"
ok "a changed body, Subject, From or Date, or an added From, fails"

: >"$WORK/nodns/dns.txt"
cp "$DATA/signed.eml" "$WORK/nodns/rfc8463.fail.eml"
expect_status 0 "$PY" "$VERIFY" --crlf "$WORK/nodns"
expect_line "$WORK/out" "messages=1 signatures=2 pass=0 fail=1 mismatches=0"
ok "without its DNS record, no signature verifies"

cp "$DATA/dns.txt" "$WORK/mismatch/dns.txt"
cp "$WORK/bad/body.fail.eml" "$WORK/mismatch/body.pass.eml"
expect_status 1 "$PY" "$VERIFY" --crlf "$WORK/mismatch"
expect_line "$WORK/out" "messages=1 signatures=2 pass=0 fail=0 mismatches=1"
ok "a message that does not verify as expected is reported"

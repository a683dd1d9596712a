#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/render.sh - keygen, render and lint through clarionctl
#
# On the example configuration and templates with a small demo audience:
# keygen makes the keys once and keeps them after; render writes a signed
# message whose envelope and headers name the contact, in the contact's
# language, that Python's email parser reads back; lint passes the
# example campaigns and reports each kind of problem it knows in a broken
# copy, with exit status 1.

. "$(dirname "$0")/lib.sh"

cd "$WORK"
cp "$CLARION_SOURCE/conf/clarion.yaml" clarion.yaml
cp -R "$CLARION_SOURCE/conf/templates" templates
ctl() {
	"$CTL" -c "$WORK/clarion.yaml" "$@"
}

expect_status 0 ctl keygen
grep -q '^made .*/keys/token.key (token key)$' "$WORK/out" ||
	fail "keygen: $(cat "$WORK/out")"
grep -q '^rsa2026._domainkey.liguedh.example. IN TXT ( "v=DKIM1; k=rsa; p=' \
	"$WORK/out" || fail "no RSA record: $(cat "$WORK/out")"
grep -q '^ed2026._domainkey.liguedh.example. IN TXT ( "v=DKIM1; k=ed25519; p=' \
	"$WORK/out" || fail "no Ed25519 record"
[ "$(stat -c %a keys/token.key keys/dkim-rsa.pem keys/dkim-ed25519.pem |
    sort -u)" = 600 ] || fail "key files are not 0600"
cksum keys/* >before
expect_status 0 ctl keygen
cksum keys/* >after
cmp -s before after || fail "a second keygen changed a key"
grep -q '^kept .*/keys/token.key' "$WORK/out" || fail "second keygen"
ok "keygen makes the keys, 0600, and keeps them after"

expect_status 0 "$CTL" demo-data --out "$WORK" --contacts 2000 --seed 5
expect_status 0 ctl import contacts.csv --list supporters
expect_status 0 ctl import newsletter.csv --list newsletter \
	--consent newsletter
expect_status 0 ctl import activists.csv --list activists --consent actions
# A Dutch-speaking and a French-speaking newsletter reader.
nl=$(sqlite3 clarion.db "SELECT email FROM contacts WHERE locale = 'nl-BE'
    AND status = 'active' AND id IN (SELECT contact_id FROM list_members)
    ORDER BY id LIMIT 1")
fr=$(sqlite3 clarion.db "SELECT email FROM contacts WHERE locale = 'fr-BE'
    AND status = 'active' AND first_name IS NOT NULL ORDER BY id LIMIT 1")

expect_status 0 ctl render newsletter --contact "$nl"
cp "$WORK/out" nl.eml
grep -q "^RCPT TO:<$nl>$" "$WORK/err" || fail "envelope: $(cat "$WORK/err")"
grep -Eq '^MAIL FROM:<b-[a-z2-7]+@bounces\.liguedh\.example>$' "$WORK/err" ||
	fail "VERP sender: $(cat "$WORK/err")"
/usr/bin/python3 - nl.eml "$nl" <<'PY' || fail "nl.eml does not read back"
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=email.policy.default)
assert msg["To"].addresses[0].addr_spec == sys.argv[2], msg["To"]
assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
assert "<https://liguedh.example/u/" in msg["List-Unsubscribe"]
assert len(msg.get_all("DKIM-Signature")) == 2
text = msg.get_body(("plain",)).get_content()
html = msg.get_body(("html",)).get_content()
assert text.startswith("Het nieuws van de Liga"), text[:80]
assert "klik uitschrijven" in text and 'lang="nl"' in html
PY
expect_status 0 ctl render action-alert --contact "$fr"
grep -q "Subject: .*agissez" "$WORK/out" || fail "French action alert"
expect_status 66 ctl render newsletter --contact nobody@example.org
expect_status 64 ctl render nope --contact "$fr"
ok "render writes the contact's message, in their language, signed"

expect_status 0 ctl lint newsletter
grep -Eq '^newsletter: 0 problems \(100 contacts rendered' "$WORK/out" ||
	fail "lint newsletter: $(cat "$WORK/out")"
expect_status 0 ctl lint action-alert
ok "lint passes the example campaigns"

# A campaign whose segment selects nobody cannot be checked: a problem.
sqlite3 clarion.db "UPDATE consents SET revoked_at = 1 WHERE theme = 'actions'"
expect_status 1 ctl lint action-alert
grep -q 'segment "action-alert" selects no contact' "$WORK/out" ||
	fail "empty segment: $(cat "$WORK/out")"
ok "lint reports a segment that selects nobody"

# A broken copy of the newsletter: every problem lint knows.
cp -R templates/newsletter templates/broken
printf 'Hello {{frist_name}}, see http://liguedh.example/x\n%s\n' \
	"$(head -c 110000 /dev/zero | tr '\0' 'x')" >templates/broken/text.mustache
rm templates/broken/text.nl.mustache
printf '<p>{{attrs.nosuchkey}}</p>\n' >templates/broken/html.mustache
rm templates/broken/html.nl.mustache
# Declared first under campaigns: the section may not end the file.
cat >broken.yaml <<'YAML'
  broken:
    segment: newsletter
    template: broken
    sender: newsletter
    subject: "{{first_name}} ....................................................................................................................................................................."
YAML
sed -i '/^campaigns:$/r broken.yaml' clarion.yaml
expect_status 1 ctl lint broken
for want in \
    'templates/broken/text.mustache:1:7: no contact, field or built-in provides "frist_name"' \
    'templates/broken/html.mustache:1:4: no contact, field or built-in provides "attrs.nosuchkey"' \
    'templates/broken/text.mustache:1: an http: link' \
    'Gmail clips messages over 102 KB' \
    'a subject is ' \
    'the text part has no unsubscribe link' \
    'the html part has no unsubscribe link'; do
	grep -qF "$want" "$WORK/out" || fail "lint did not say: $want
$(cat "$WORK/out")"
done
grep -Eq '^broken: 7 problems' "$WORK/out" || fail "$(cat "$WORK/out")"
ok "lint reports each problem of a broken campaign, exit 1"

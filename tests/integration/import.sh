#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/import.sh - clarionctl import and segment, end to end
#
# Imports a 20,000-contact demo audience as scripts/demo does, then checks
# each segment's count against an independent count made with Python's csv
# module from the same files; then that importing the same files again
# changes nothing, that bad rows are reported as FILE:LINE and skipped, and
# the documented exit statuses.

. "$(dirname "$0")/lib.sh"

cd "$WORK"
write_config "$WORK"
ctl() {
	"$CTL" -c "$WORK/clarion.yaml" "$@"
}

expect_status 0 "$CTL" demo-data --out "$WORK" --contacts 20000 --seed 7
expect_status 0 ctl import contacts.csv --list supporters --source crm
expect_line "$WORK/out" "imported 20000, updated 0, skipped 0, unchanged 0"
expect_status 0 ctl import activists.csv --list activists --consent actions \
	--source petitions
nact=$(($(wc -l <activists.csv) - 1))
expect_line "$WORK/out" "imported 0, updated $nact, skipped 0, unchanged 0"
expect_status 0 ctl import newsletter.csv --list newsletter \
	--consent newsletter
ok "demo audience imported"

# The same eligibility, computed independently from the CSV files.
/usr/bin/python3 - "$WORK" >expected <<'PY'
import csv, sys
d = sys.argv[1]
def rows(name):
    with open(f"{d}/{name}", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
def key(e):
    local, _, domain = e.strip().rpartition("@")
    return local + "@" + domain.lower()
people = {key(r["email"]): r for r in rows("contacts.csv")}
active = {k for k, r in people.items() if r["status"] in ("", "active")}
act = {key(r["email"]) for r in rows("activists.csv")}
news = {key(r["email"]) for r in rows("newsletter.csv")}
be_fr = {k for k in news & active
         if people[k]["country"] == "BE" and people[k]["locale"].lower().startswith("fr")}
print("action-alert", len(act & active))
print("newsletter", len(news & active))
# "both" asks for the newsletter theme: only newsletter.csv granted it.
print("both", len(news & active))
print("newsletter-be-fr", len(be_fr))
PY
while read -r seg want; do
	got=$(ctl segment count "$seg")
	[ "$got" = "$want" ] || fail "segment $seg: clarion counts $got, " \
	    "the CSV files give $want"
	ok "segment $seg: $got contacts, as computed from the CSV files"
done <expected

# Importing the same files again changes nothing at all.
sqlite3 clarion.db .dump >before.sql
expect_status 0 ctl import contacts.csv --list supporters --source crm
expect_line "$WORK/out" "imported 0, updated 0, skipped 0, unchanged 20000"
expect_status 0 ctl import activists.csv --list activists --consent actions \
	--source petitions
expect_line "$WORK/out" "imported 0, updated 0, skipped 0, unchanged $nact"
sqlite3 clarion.db .dump >after.sql
cmp -s before.sql after.sql || fail "re-importing changed the database"
ok "re-importing the same files changes nothing"

# Bad rows: reported as FILE:LINE: reason, skipped; the good ones go in.
printf 'email,first_name,last_name,city\r\n' >bad.csv
printf 'good1@example.org,Ana,Lima,Liège\r\n' >>bad.csv
printf 'broken-address,Bo,Berg,Gent\r\n' >>bad.csv
printf '"two@lines.example","Evil\r\nBcc: x@y.example",X,Y\r\n' >>bad.csv
printf 'short@example.org,Sam\r\n' >>bad.csv
printf 'latin1@example.org,Ren\351,X,Y\r\n' >>bad.csv
printf '"good2@example.org","Zoë, ""the"" second",Ó,"Mons\r\n(Hainaut)"\r\n' >>bad.csv
expect_status 1 ctl import bad.csv --list newsletter --consent newsletter
expect_line "$WORK/err" "bad.csv:3: invalid email address: the address has no @"
expect_line "$WORK/err" "bad.csv:4: column first_name contains a line break or control character"
expect_line "$WORK/err" "bad.csv:6: the row has 2 fields, the header has 4"
expect_line "$WORK/err" "bad.csv:7: column first_name is not valid UTF-8 (byte 4)"
[ "$(wc -l <"$WORK/err")" -eq 4 ] || fail "unexpected stderr lines"
expect_line "$WORK/out" "imported 2, updated 0, skipped 4, unchanged 0"
# A quoted field keeps its CRLF: the bytes between the quotes are data.
sqlite3 clarion.db "SELECT first_name || '|' || json_extract(attrs, '\$.city')
    FROM contacts WHERE email = 'good2@example.org'" >got
printf 'Zo\303\253, "the" second|Mons\r\n(Hainaut)\n' >want
cmp -s got want || fail "quoted fields were not read as written"
ok "bad rows are reported and skipped, good rows imported (exit 1)"

# Exit statuses for whole-import failures; nothing is stored by them.
before=$(sqlite3 clarion.db "SELECT count(*) FROM contacts")
printf 'name,city\nA,B\n' >noemail.csv
expect_status 65 ctl import noemail.csv --list newsletter
expect_line "$WORK/err" "noemail.csv: line 1: the header has no \"email\" column; nothing was imported"
expect_status 66 ctl import missing.csv --list newsletter
expect_status 64 ctl import contacts.csv --list nope
expect_line "$WORK/err" "clarionctl: unknown list \"nope\" (the configuration declares: activists, newsletter, supporters)"
expect_status 64 ctl import contacts.csv --list newsletter --consent nope
expect_status 64 ctl import contacts.csv
[ "$(sqlite3 clarion.db "SELECT count(*) FROM contacts")" = "$before" ] ||
	fail "a failed import changed the database"
ok "failed imports exit 65, 66, 64 and store nothing"

# Standard input, a semicolon-separated file, preview and JSON output.
printf 'email;first_name\nsemi@example.org;Séverine\n' |
	ctl import - --list newsletter --delimiter ';' >"$WORK/out"
expect_line "$WORK/out" "imported 1, updated 0, skipped 0, unchanged 0"
expect_status 0 ctl segment preview newsletter --limit 3
[ "$(sed -n 1p "$WORK/out" | awk '{print $1, $2}')" = "id email" ] ||
	fail "preview header"
[ "$(wc -l <"$WORK/out")" -eq 5 ] || fail "preview --limit 3 rows"
expect_status 0 "$CTL" -c "$WORK/clarion.yaml" --json segment count newsletter
grep -Eq '^\{"segment":"newsletter","count":[0-9]+\}$' "$WORK/out" ||
	fail "segment count --json"
expect_status 0 "$CTL" -c "$WORK/clarion.yaml" --json segment preview newsletter --limit 2
[ "$(wc -l <"$WORK/out")" -eq 2 ] || fail "preview --json lines"
/usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$WORK/out" ||
	fail "preview --json is not JSON"
expect_status 64 ctl segment count no-such-segment
ok "stdin, --delimiter, preview and --json"

# segment sql prints exactly what segment count runs.
ctl segment sql newsletter-be-fr >seg.sql
[ "$(sqlite3 clarion.db <seg.sql)" = "$(ctl segment count newsletter-be-fr)" ] ||
	fail "segment sql and segment count disagree"
ok "segment sql runs in the sqlite3 shell with the same result"

# SPDX-License-Identifier: ISC
#
# tests/integration/daemon_lib.sh - a real clariond for the integration
# tests (sourced after lib.sh and peers.sh)
#
#   daemon_setup N [SENDING-YAML]   in $WORK: the example templates, an
#                         Ed25519 DKIM key and a token key (keygen), a
#                         configuration "clarion.yaml" whose campaign
#                         "news" mails segment "news" (N contacts
#                         u1@dN.example... on list news with consent
#                         news, imported), and SENDING-YAML appended
#                         (e.g. a "sending:" block); relays come from
#                         daemon_relay
#   daemon_relay HOST PORT [KEY: VALUE...]  (re)write the relay "sink"
#   daemon_start [ARGS...]   clariond -c clarion.yaml in the background,
#                         log appended to daemon.log; waits (20 s) for
#                         "ready"; sets DAEMON_PID
#   daemon_stop           SIGTERM, wait (35 s at most) for its exit, which
#                         must be 0
#   daemon_kill           SIGKILL, and wait for it
#   ctl ARGS...           clarionctl -c clarion.yaml ARGS
#   campaign_field NAME FIELD   a member of "campaign show NAME --json"
#   campaign_wait NAME STATE SECONDS   until the campaign is in STATE
#   sql QUERY             sqlite3 on the database (read only)

DAEMON_PID=

ctl() {
	"$CTL" -c "$WORK/clarion.yaml" "$@"
}

sql() {
	sqlite3 -readonly "$WORK/clarion.db" "$@"
}

daemon_setup() {
	_n=$1
	cp -R "$CLARION_SOURCE/conf/templates" "$WORK/templates"
	cat >"$WORK/base.yaml" <<'YAML'
database: clarion.db
templates: templates
lists:
  news:
themes:
  news:
senders:
  news:
    name: Ligue des droits humains
    address: nouvelles@liguedh.example
segments:
  news:
    lists: [news]
    theme: news
mail:
  bounce_domain: bounces.liguedh.example
  unsubscribe_url: https://liguedh.example/u/
  token_key: keys/token.key
  list_id_domain: lists.liguedh.example
dkim:
  - domain: liguedh.example
    selector: ed2026
    key: keys/dkim-ed25519.pem
    algorithm: ed25519-sha256
campaigns:
  news:
    segment: news
    template: newsletter
    sender: news
    subject: "Les nouvelles, {{first_name}}"
    fields:
      edition: Test
YAML
	printf '%s\n' "${2:-}" >"$WORK/sending.yaml"
	: >"$WORK/relay.yaml"
	_daemon_config
	ctl keygen >/dev/null || fail "keygen failed"
	awk -v n="$_n" 'BEGIN {
		print "email,first_name,last_name,locale"
		for (i = 1; i <= n; i++)
			printf "u%d@d%d.example,Prénom%d,Nom,fr-BE\n", i,
			    i % 7, i
	}' >"$WORK/contacts.csv"
	ctl import "$WORK/contacts.csv" --list news --consent news \
	    --source test >/dev/null || fail "import failed"
}

_daemon_config() {
	cat "$WORK/base.yaml" "$WORK/sending.yaml" "$WORK/relay.yaml" \
	    >"$WORK/clarion.yaml"
}

daemon_relay() {
	_h=$1 _p=$2
	shift 2
	{
		printf 'relays:\n  sink:\n    host: "%s"\n    port: %s\n' \
		    "$_h" "$_p"
		printf '    tls: none\n    reconnect_min: 100ms\n'
		printf '    reconnect_max: 1s\n'
		for _l in "$@"; do
			printf '    %s\n' "$_l"
		done
	} >"$WORK/relay.yaml"
	_daemon_config
}

daemon_start() {
	_lines=$(cat "$WORK/daemon.log" 2>/dev/null | wc -l)
	"$DAEMON" -c "$WORK/clarion.yaml" "$@" 2>>"$WORK/daemon.log" &
	DAEMON_PID=$!
	PIDS="$PIDS $DAEMON_PID"
	_i=0
	until tail -n +"$((_lines + 1))" "$WORK/daemon.log" |
	    grep -q "ready: database"; do
		kill -0 "$DAEMON_PID" 2>/dev/null ||
			fail "clariond exited: $(tail -n 20 "$WORK/daemon.log")"
		_i=$((_i + 1))
		[ "$_i" -lt 200 ] || fail "clariond not ready in 20 s"
		sleep 0.1
	done
}

daemon_stop() {
	kill -TERM "$DAEMON_PID"
	_i=0
	while kill -0 "$DAEMON_PID" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -lt 350 ] || fail "clariond did not stop within 35 s"
		sleep 0.1
	done
	wait "$DAEMON_PID" || fail "clariond exited with status $?"
}

daemon_kill() {
	kill -9 "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" 2>/dev/null || true
}

campaign_field() {
	ctl --json campaign show "$1" | /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)["campaign"].get(sys.argv[1])
print("null" if v is None else v)' "$2"
}

campaign_wait() {
	_i=0
	_limit=$(($3 * 10))
	until [ "$(campaign_field "$1" state 2>/dev/null)" = "$2" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt "$_limit" ] ||
			fail "campaign $1 not $2 within $3 s: $(ctl campaign show "$1" 2>&1)"
		sleep 0.1
	done
}

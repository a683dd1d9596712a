#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/daemon_relay.sh - a campaign that names a relay goes
# through that relay only
#
# Two smtp-sinks behind two relays of equal weight: a campaign bound to
# relay "b" puts every message on sink b and none on sink a; the same
# campaign unbound (after a SIGHUP) uses both.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
. "$(dirname "$0")/daemon_lib.sh"

cd "$WORK"
sink_start a
sink_start b
daemon_setup 200
relays() {
	printf 'relays:\n'
	for r in a b; do
		eval "port=\$${r}_PORT"
		printf '  %s:\n    host: 127.0.0.1\n    port: %s\n' "$r" "$port"
		printf '    tls: none\n    connections: 2\n'
	done
}
relays >relay.yaml
sed 's/^    sender: news$/    sender: news\n    relay: b/' base.yaml >bound.yaml
cat bound.yaml sending.yaml relay.yaml >clarion.yaml
grep -q '^    relay: b$' clarion.yaml || fail "the test's config has no relay"
daemon_start
ctl campaign start news >/dev/null || fail "campaign start failed"
campaign_wait news done 60
sink_wait b 200 || fail "sink b counted $(sink_count b) of 200"
sleep 0.5
[ "$(sink_count a)" -eq 0 ] || fail "sink a got $(sink_count a) messages"
[ "$(sink_count b)" -eq 200 ] || fail "sink b got $(sink_count b) messages"
ok "a campaign bound to relay b: 200 messages on b, 0 on a"

# The same campaign unbound: both relays carry its next run (no
# frequency cap here, so the run mails the same 200 again).
cat base.yaml sending.yaml relay.yaml >clarion.yaml
kill -HUP "$DAEMON_PID"
wait_for 20 grep -q "configuration reloaded" daemon.log ||
	fail "no reload: $(tail -n 5 daemon.log)"
ctl campaign start news >/dev/null || fail "second start failed"
campaign_wait news done 60
sleep 0.5
a=$(sink_count a)
b=$(sink_count b)
[ "$a" -gt 0 ] && [ $((b - 200)) -gt 0 ] && [ $((a + b)) -eq 400 ] ||
	fail "unbound run: a got $a, b got $((b - 200)) of 200"
ok "unbound, the relays share it: a $a, b $((b - 200))"
daemon_stop

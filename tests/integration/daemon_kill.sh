#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/daemon_kill.sh - kill -9 at 10 random points of a
# 20,000-contact campaign, and nothing is lost
#
# clariond sends the campaign to smtp-sink -d, which keeps every message it
# accepted with its recipient. The daemon is killed with SIGKILL at ten
# random moments (seeded, the seed printed) and started again each time;
# the campaign resumes by itself. After the last start it must finish,
# and then: every contact received at least one message, each send is
# recorded sent, and the duplicates (messages the sink took twice) are no
# more than the window (200) per kill and no more than the possible
# duplicates the daemon reports.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
. "$(dirname "$0")/daemon_lib.sh"

N=20000
WINDOW=200
KILLS=10
SEED=${CLARION_TEST_SEED:-$(date +%s)}
echo "seed $SEED (CLARION_TEST_SEED=$SEED to repeat)"

cd "$WORK"
sink_start sink --dump
daemon_setup $N "sending:
  window: $WINDOW"
# 600 messages a second: the campaign outlasts ten kills and restarts.
daemon_relay 127.0.0.1 "$sink_PORT" "connections: 4" "rate: 600/s"
daemon_start
ctl campaign start news >/dev/null || fail "campaign start failed"

# Random pauses of 0.3 to 1.3 s between the starts and the kills.
awk -v seed="$SEED" -v n=$KILLS 'BEGIN { srand(seed)
	for (i = 0; i < n; i++) printf "%.2f\n", 0.3 + rand() }' >pauses
killed=0
while read -r pause; do
	sleep "$pause"
	sent=$(sql "SELECT count(*) FROM sends WHERE state = 'sent'")
	daemon_kill
	killed=$((killed + 1))
	echo "kill $killed after ${pause}s: $sent recorded sent"
	daemon_start
done <pauses
[ "$sent" -lt $N ] || fail "the campaign ended before the last kill"
ok "$KILLS kills at random points, each followed by a restart"

campaign_wait news done 300
ok "the campaign resumed after the last restart and is done"

total=$(sql "SELECT count(*) FROM sends")
sent=$(sql "SELECT count(*) FROM sends WHERE state = 'sent'")
[ "$total" -eq $N ] || fail "$total sends for $N contacts"
[ "$sent" -eq $N ] || fail "$sent of $N sends recorded sent"
ok "every one of the $N sends is recorded sent"

# What the sink accepted: one recipient per message.
sink_wait sink "$sent" 10 || true
grep -h '^X-Rcpt-Args: ' "$sink_DUMP"/msg.* |
	sed 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/' | sort >received
sort -u received >unique
uniq_n=$(wc -l <unique)
got=$(wc -l <received)
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++)
	printf "u%d@d%d.example\n", i, i % 7 }' | sort >expected
missing=$(comm -23 expected unique | wc -l)
[ "$missing" -eq 0 ] ||
	fail "$missing contacts received nothing: $(comm -23 expected unique |
	    head -n 5 | tr '\n' ' ')"
extra=$(comm -13 expected unique | wc -l)
[ "$extra" -eq 0 ] || fail "$extra messages to addresses not in the campaign"
ok "every one of the $N contacts received the campaign (0 lost)"

dups=$((got - uniq_n))
possible=$(campaign_field news possible_duplicates)
reported=$(ctl --json status | /usr/bin/python3 -c '
import json, sys; print(json.load(sys.stdin)["possible_duplicates"])')
echo "duplicates: $dups received twice; $possible possible (reported)"
[ "$dups" -le $((KILLS * WINDOW)) ] ||
	fail "$dups duplicates for $KILLS kills of a window of $WINDOW"
[ "$dups" -le "$possible" ] ||
	fail "$dups duplicates but only $possible reported possible"
[ "$possible" -le $((KILLS * WINDOW)) ] ||
	fail "$possible possible duplicates reported for $KILLS kills"
[ "$reported" -le "$possible" ] ||
	fail "status reports $reported, more than the campaign's $possible"
ok "duplicates: $dups, within the window per kill and the $possible reported"

daemon_stop
ok "SIGTERM after the campaign: exit 0"

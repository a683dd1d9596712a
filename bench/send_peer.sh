#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# bench/send_peer.sh PEERS_DIR POOL_SEND N SIZE CONC - clarion's pool as
# one more peer of the shared peer benchmarks: the same bounded smtp-sink,
# started and stopped by their common.sh, and the same one-line result.
#
# pool_send builds RING (env, default 4096: 50 MB of 12 KB messages)
# distinct messages of SIZE octets before its clock starts, as the wire
# peer prepares its stream untimed, and sends N messages that take those
# bodies in turn, each to its own recipient: the daemon keeps a bounded
# queue of rendered messages, not N of them. secs, msgs_per_s and
# client_cpu_s are pool_send's own (first submit to last verdict, CPU of
# the process over that time), and proc_secs / proc_cpu_s the whole
# process's, building the messages included.
set -u
PEERS_DIR=$1 POOL_SEND=$2
shift 2
source "$PEERS_DIR/common.sh"
peer_params "$@"

cat >"$WORK/bench.yaml" <<YAML
database: clarion.db
lists: { l: }
themes: { t: }
senders: { s: { address: news@example.com } }
relays:
  sink:
    host: $HOST
    port: $PORT
    tls: none
    connections: $CONC
    messages_per_connection: 0
YAML

sink_start
run_timed "$POOL_SEND" -q -c "$WORK/bench.yaml" -n "$N" -s "$SIZE" \
    -r "${RING:-4096}" -f news@example.com -t 'reader%n@example.net' \
    -T 900
[ "$CLIENT_RC" = 0 ] || {
	echo "warning: pool_send exited with $CLIENT_RC" >&2
	tail -n 5 "$WORK/client.err" >&2
}
sink_wait_for "$N" 5
recv=$(sink_count)
sink_stop
# "pool_send: 1.234 s, 5678 msgs/s, cpu 0.456 s, 45.6 us cpu/msg"
read -r secs cpu < <(awk '/ msgs\/s, cpu / { print $2, $7 }' \
    "$WORK/client.err")
summary clarion "${secs:-0}" "$recv" client_cpu_s="${cpu:-?}" \
    proc_secs="$WALL_S" proc_cpu_s="$(awk -v u="${CLIENT_USER_S:-0}" \
    -v s="${CLIENT_SYS_S:-0}" 'BEGIN { printf "%.2f", u + s }')" \
    sink_cpu_s="${SINK_CPU_S:-?}"

#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# bench/send.sh - the pool sending pre-rendered messages to smtp-sink,
# beside Postfix's smtp-source and the sink's own ceiling, in one run
#
# Each round runs, one after the other against a fresh smtp-sink on
# loopback (the shared peer scripts' common.sh starts and bounds it),
# smtp-source, then the sink's ceiling right before clarion:
#
#   wire     the sink's ceiling: a pre-rendered, fully pipelined byte
#            stream pushed through CONC sockets with no client work
#            (../shared/bench/peers/wire.sh)
#   limit    smtp-source, N messages of SIZE over CONC reused sessions; it
#            does not pipeline (../shared/bench/peers/limit.sh)
#   clarion  pool_send: N messages of SIZE octets through the pool with
#            CONC connections, their bodies taken in turn from RING
#            distinct messages built before the clock starts
#            (bench/send_peer.sh)
#
# and prints clarion's rate as a fraction of wire's and of smtp-source's,
# and its client CPU per message beside smtp-source's. The single-threaded
# sink takes one of the two cores; the client has the other. Figures go
# to standard output and are appended to bench/results/send.txt.
#
# Targets: clarion >= 0.85x wire, >= 1.3x smtp-source, and client CPU per
# message <= smtp-source's.
#
# Environment: N (messages, default 100000), SIZE (octets, 12288), CONC
# (connections, 16), RING (4096), RUNS (rounds, 3), PEERS (the peer
# scripts, default ../shared/bench/peers beside the source tree), PORT
# (2525).

set -eu
cd "$(dirname "$0")/.."
N=${N:-100000}
SIZE=${SIZE:-12288}
CONC=${CONC:-16}
RUNS=${RUNS:-3}
PEERS=${PEERS:-$(cd .. && pwd)/shared/bench/peers}
results=bench/results/send.txt
jobs=$(nproc 2>/dev/null || echo 2)

if [ ! -f "$PEERS/common.sh" ] || [ ! -f "$PEERS/wire.sh" ]; then
	echo "send.sh: the peer scripts are not in $PEERS (set PEERS)" >&2
	exit 2
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" --target pool_send >/dev/null
mkdir -p bench/results

# field LINE NAME: the value of NAME=... in a peer's result line.
field() {
	printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {
	    print $2 }'
}

# peer NAME CMD...: run a peer script, its line into $line; fail if not ok.
peer() {
	local name=$1
	shift
	if ! line=$("$@" 2>"bench/results/.send-$name.err"); then
		echo "send.sh: $name failed: $line" >&2
		cat "bench/results/.send-$name.err" >&2
		exit 1
	fi
	rm -f "bench/results/.send-$name.err"
	echo "$line"
	printf '%s\n' "$line" >>"$tmp"
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	echo
	echo "# send benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)," \
	    "commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)$(
	    git diff --quiet HEAD -- . ':!bench/results' 2>/dev/null ||
	    echo ' with changes')"
	echo "# host: $(uname -srm), $(nproc) cores"
	echo "# command: N=$N SIZE=$SIZE CONC=$CONC RING=${RING:-4096}" \
	    "RUNS=$RUNS bench/send.sh"
} >"$tmp"
cat "$tmp"

for run in $(seq 1 "$RUNS"); do
	# wire right before clarion: the box's speed drifts over a minute.
	peer limit bash "$PEERS/limit.sh" "$N" "$SIZE" "$CONC"
	limit=$line
	peer wire bash "$PEERS/wire.sh" "$N" "$SIZE" "$CONC"
	wire=$line
	peer clarion bash bench/send_peer.sh "$PEERS" build/bin/pool_send \
	    "$N" "$SIZE" "$CONC"
	clarion=$line
	summary=$(awk -v r="$run" -v c="$(field "$clarion" msgs_per_s)" \
	    -v w="$(field "$wire" msgs_per_s)" \
	    -v l="$(field "$limit" msgs_per_s)" \
	    -v cc="$(field "$clarion" client_cpu_s)" \
	    -v lc="$(field "$limit" client_cpu_s)" -v n="$N" 'BEGIN {
		printf "round %d: clarion %d msgs/s = %.2fx wire (%d, target" \
		    " >= 0.85), %.2fx smtp-source (%d, target >= 1.3);" \
		    " client CPU %.1f us/msg vs smtp-source %.1f us/msg" \
		    " (target <=)\n", r, c, c / w, w, c / l, l,
		    cc * 1e6 / n, lc * 1e6 / n }')
	echo "$summary"
	echo "$summary" >>"$tmp"
done
# The medians over the rounds (the middle round of an odd count).
median=$(awk '/^round / {
	sub(/x$/, "", $7); sub(/x$/, "", $13)
	w[NR] = $7; s[NR] = $13; n++ }
	function med(a,    k, i, j, t, v) {
		k = 0
		for (i in a) v[++k] = a[i]
		for (i = 1; i <= k; i++)
			for (j = i + 1; j <= k; j++)
				if (v[j] < v[i]) {
					t = v[i]; v[i] = v[j]; v[j] = t
				}
		return v[int((k + 1) / 2)]
	}
	END { printf "median over %d rounds: %.2fx wire, %.2fx smtp-source\n",
	    n, med(w), med(s) }' "$tmp")
echo "$median"
echo "$median" >>"$tmp"
cat "$tmp" >>"$results"

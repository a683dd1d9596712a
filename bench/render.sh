#!/bin/sh
# SPDX-License-Identifier: ISC
#
# bench/render.sh - render and encode the newsletter for its audience on
# one core, beside OpenSSL's own signing rate measured in the same run.
#
# The audience is the 600,000-contact demo database's newsletter segment
# (about 210,000 contacts); the template set is bench/templates/bench12k
# (a 12 KB HTML part and a 4 KB text part, ten personalised values).
# render_bench renders the whole audience without DKIM, then, for one
# RSA-2048 signature and for one Ed25519 signature, takes turns with
# `openssl speed` (the single-core sign rate of the same algorithm) so the
# two are measured side by side. Rates are per CPU second of the rendering
# thread. The figures are printed and appended to bench/results/render.txt.
#
# Targets: with DKIM >= 0.85x OpenSSL's sign rate; without DKIM >= 50,000
# messages/s.
#
# Environment: N (demo contacts, default 600000), RUNS (rounds, default 3).

set -eu
cd "$(dirname "$0")/.."
N=${N:-600000}
work=bench/work/render
results=bench/results/render.txt
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" >/dev/null
mkdir -p "$work" bench/results

# The audience, once.
if [ ! -f "$work/clarion.db" ]; then
	build/bin/clarionctl demo-data --out "$work" --contacts "$N" >/dev/null
	cat >"$work/import.yaml" <<YAML
database: clarion.db
lists: { newsletter: , supporters: }
themes: { newsletter: }
senders: { s: { address: nouvelles@liguedh.example } }
YAML
	build/bin/clarionctl -c "$work/import.yaml" import "$work/contacts.csv" \
	    --list supporters >/dev/null
	build/bin/clarionctl -c "$work/import.yaml" import \
	    "$work/newsletter.csv" --list newsletter --consent newsletter \
	    >/dev/null
fi

# Keys, made fresh: owner-only, as clarion requires.
umask 077
rm -f "$work"/*.pem "$work/token.key"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$work/rsa.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$work/ed25519.pem" 2>/dev/null
head -c 32 /dev/urandom >"$work/token.key"
umask 022

config() {	# config NAME [SELECTOR KEYFILE]
	{
		cat <<YAML
database: clarion.db
lists: { newsletter: , supporters: }
themes: { newsletter: }
senders:
  s:
    name: Ligue des droits humains
    address: nouvelles@liguedh.example
segments:
  newsletter: { lists: [newsletter], theme: newsletter }
templates: $PWD/bench/templates
mail:
  bounce_domain: bounces.liguedh.example
  unsubscribe_url: https://liguedh.example/u/
  unsubscribe_mailto: desinscription@liguedh.example
  token_key: token.key
  list_id_domain: lists.liguedh.example
  feedback_id: liguedh
campaigns:
  newsletter:
    segment: newsletter
    template: bench12k
    sender: s
    fields: { edition: Décembre 2026 }
YAML
		if [ $# -eq 3 ]; then
			printf 'dkim:\n  - domain: liguedh.example\n'
			printf '    selector: %s\n    key: %s\n' "$2" "$3"
		fi
	} >"$work/$1.yaml"
}
config none
config rsa rsa2026 rsa.pem
config ed25519 ed2026 ed25519.pem

run() {	# run CONFIG [ARGS] -> the figures line
	cfg=$1
	shift
	if ! build/bench/render_bench -c "$work/$cfg.yaml" newsletter "$@" \
	    >"$work/$cfg.out" 2>"$work/$cfg.err"; then
		echo "bench: render_bench $cfg failed:" >&2
		cat "$work/$cfg.err" >&2
		exit 1
	fi
	tail -n 1 "$work/$cfg.out"
}
get() {	# get KEY LINE
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

none=$(run none --no-dkim) || exit 1

# The DKIM rates next to OpenSSL's, measured in turns: the machine's speed
# drifts within minutes, so each ratio compares runs taken side by side.
# RUNS rounds of: openssl speed for the algorithm, then render_bench on
# the first LIMIT contacts; the median of the rounds' ratios is reported.
RUNS=${RUNS:-3}
sign_rate() {	# sign_rate rsa2048|ed25519 -> signatures/s, one core
	openssl speed -seconds 3 "$1" 2>/dev/null | awk -v a="$1" '
	    a == "rsa2048" && /^rsa 2048 bits/ { print $6 }
	    a == "ed25519" && /EdDSA/ { print $(NF-1) }'
}
turns() {	# turns CONFIG ALG LIMIT -> "median_ratio msgs/s sign/s" lines
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		s=$(sign_rate "$2")
		m=$(get msgs_per_s "$(run "$1" --limit "$3")")
		echo "$m $s" | awk '{ printf "%.4f %s %s\n", $1 / $2, $1, $2 }'
		r=$((r + 1))
	done | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}
rsa=$(turns rsa rsa2048 20000) || exit 1
ed=$(turns ed25519 ed25519 100000) || exit 1

{
	echo "# render benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# host: $(uname -srm), $(nproc) cores, $(openssl version)"
	echo "# command: bench/render.sh (N=$N); rates per CPU second of one thread"
	printf '%s\n' "$none" | sed 's/^/# /'
	echo "# DKIM: median of $RUNS rounds of (openssl speed, render_bench --limit)"
	awk -v n="$(get msgs_per_s "$none")" -v m="$(get memcpy_msgs_per_s "$none")" \
	    -v b="$(get bytes_per_msg "$none")" -v c="$(get messages "$none")" 'BEGIN {
		printf "no DKIM    %8.0f msgs/s (%d messages of %d bytes) | memcpy of the same bytes %.0f msgs/s, ratio %.3f | target >= 50000 msgs/s\n",
		    n, c, b, m, n / m }'
	echo "$rsa" | awk '{
		printf "RSA-2048   %8.0f msgs/s | openssl speed rsa2048 %.1f sign/s | ratio %.2f (target >= 0.85)\n",
		    $2, $3, $1 }'
	echo "$ed" | awk '{
		printf "Ed25519    %8.0f msgs/s | openssl speed ed25519 %.1f sign/s | ratio %.2f (target >= 0.85)\n",
		    $2, $3, $1 }'
} >"$work/summary"
cat "$work/summary"
{ cat "$work/summary"; echo; } >>"$results"
echo "appended to $results"

#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# bench/campaign.sh - the NGO's real jobs through clariond, end to end,
# beside the peers measured in the same run on the same sink
#
# The 600,000-contact demo database (built once as scripts/demo does, and
# cached in bench/work/campaign/cache; each run gets a fresh copy, so runs
# do not accumulate sends) and conf/clarion.yaml, with these changes: the
# relay is a bounded smtp-sink on loopback (the shared peer scripts'
# common.sh: 127.0.0.1:$PORT, tls: none, CONC connections), no shaping
# section (no rate limits), the templates are bench/templates/bench12k
# (12 KB of HTML and 4 KB of text, ten personalised values; about 18.7 KB
# once encoded) and the campaigns are
#
#   newsletter                    the newsletter segment   (~210,000)
#   action-alert                  the action-alert segment (~186,000)
#   newsletter-wallonia-brussels  its segment (~91,000)
#   newsletter-sample             the newsletter's 1 in 100 (~2,100; not
#                                 by default)
#
# the last two only to see whether peak memory grows with the segment:
# by default 91,000 against 210,000. The sample ends before the rendered
# messages reach sending.memory, so its lower peak says how full the
# queue got, not whether memory grows with the segment.
# Each is run for each DKIM variant: none (no dkim section), rsa (the
# RSA-2048 entry only) and ed25519 (the Ed25519 entry only), each run by a
# fresh clariond -l warn (bench/campaign_peer.sh says what it measures:
# msgs/s from the start command to "done", client CPU per message, peak
# RSS, the start command's answer and the first message at the sink).
#
# Peers, in the same run and on the same sink, at SIZE octets (the mean
# size of the newsletter as rendered without DKIM: the peers send what
# clarion sends, not 12 KB) and CONC connections (../shared/bench/peers):
#
#   wire     the sink's ceiling, measured right before each no-DKIM run
#   limit    Postfix's smtp-source (no pipelining, no rendering), once
#   node     nodemailer's pooled transport, personalised, once
#   openssl  `openssl speed -multi NPROC rsa2048` (all cores) right before
#            and right after the RSA runs: the mean of the two
#
# Targets, on the real jobs (newsletter, action-alert):
#   no DKIM  >= 0.75x the wire ceiling measured right before, and >= 10x
#            nodemailer
#   RSA      >= 0.8x OpenSSL's all-core rsa2048 sign rate
#   every run: peak RSS <= 64 MiB, and flat in segment size (the largest
#            segment's within 10% of the smallest one's, per variant);
#            first message at the sink within 1 s of the start command
#
# This box is shared: the "other" column says how many cores something
# else than clariond and the sink kept busy meanwhile (from /proc/stat),
# and a run where it is well above 0 is not a fair one.
#
# The table, the peers' lines and the verdicts go to standard output and
# are appended to bench/results/campaign.txt. A default run takes 10 to
# 15 minutes on 2 cores.
#
# Environment: VARIANTS (default "none rsa ed25519"), CAMPAIGNS (default
# newsletter action-alert newsletter-wallonia-brussels), CONC (16), CONTACTS
# (600000), N_WIRE and N_LIMIT (messages for wire.sh and limit.sh,
# 50000), N_NODE (20000), SIZE (default: measured), SPEED_SECS (openssl
# speed seconds, 3), PEERS (the peer scripts, default ../shared/bench/peers
# beside the source tree), PORT (2525), BUILD (build folder, default
# build), PERF=1 (record `perf record $PERF_ARGS`, default -g, of each
# clariond run into bench/work/campaign/perf/VARIANT-CAMPAIGN.data: the
# figures of such a run are not comparable).

set -eu
cd "$(dirname "$0")/.."
VARIANTS=${VARIANTS:-none rsa ed25519}
CAMPAIGNS=${CAMPAIGNS:-newsletter action-alert newsletter-wallonia-brussels}
JOBS="newsletter action-alert"
CONC=${CONC:-16}
CONTACTS=${CONTACTS:-600000}
N_WIRE=${N_WIRE:-50000}
N_LIMIT=${N_LIMIT:-50000}
N_NODE=${N_NODE:-20000}
SPEED_SECS=${SPEED_SECS:-3}
PEERS=${PEERS:-$(cd .. && pwd)/shared/bench/peers}
BUILD=${BUILD:-build}
PORT=${PORT:-2525}
export PORT
work=bench/work/campaign
results=bench/results/campaign.txt
jobs=$(nproc 2>/dev/null || echo 2)

for f in common.sh wire.sh limit.sh node.sh; do
	if [ ! -f "$PEERS/$f" ]; then
		echo "campaign.sh: $PEERS/$f is missing (set PEERS)" >&2
		exit 2
	fi
done
for v in $VARIANTS; do
	case $v in
	none | rsa | ed25519) ;;
	*) echo "campaign.sh: unknown variant $v (none, rsa, ed25519)" >&2
	   exit 2 ;;
	esac
done
for c in $CAMPAIGNS; do
	case $c in
	newsletter | action-alert | newsletter-wallonia-brussels | \
	    newsletter-sample) ;;
	*) echo "campaign.sh: unknown campaign $c" >&2; exit 2 ;;
	esac
done
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j "$jobs" --target clariond clarionctl >/dev/null
bin=$(cd "$BUILD/bin" && pwd)
mkdir -p "$work" bench/results
# Absolute paths from here on: the peer scripts run elsewhere.
work=$(cd "$work" && pwd)

# The demo database, once per contact count and store schema.
stamp="contacts=$CONTACTS store=$(git rev-parse HEAD:lib/store 2>/dev/null ||
    echo ?)"
if [ ! -f "$work/cache/clarion.db" ] ||
    [ "$(cat "$work/cache/stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "building the demo database ($CONTACTS contacts)" >&2
	rm -rf "$work/cache"
	mkdir -p "$work/cache"
	cat >"$work/cache/import.yaml" <<YAML
database: clarion.db
lists: { activists: , newsletter: , supporters: }
themes: { actions: , newsletter: , events: }
senders: { s: { address: nouvelles@liguedh.example } }
YAML
	ctl="$bin/clarionctl -c $work/cache/import.yaml"
	"$bin/clarionctl" demo-data --out "$work/cache" --contacts "$CONTACTS" \
	    >/dev/null
	$ctl import "$work/cache/contacts.csv" --list supporters \
	    --source "demo: CRM export" >/dev/null
	$ctl import "$work/cache/activists.csv" --list activists \
	    --consent actions --source "demo: petition signatures" >/dev/null
	$ctl import "$work/cache/newsletter.csv" --list newsletter \
	    --consent newsletter --source "demo: newsletter sign-up form" \
	    >/dev/null
	rm -f "$work/cache"/*.csv
	echo "$stamp" >"$work/cache/stamp"
fi

# The configuration: conf/clarion.yaml without its relays, shaping, dkim
# and campaigns, with the bench's templates and a sample segment.
run=$work/run
rm -rf "$run"
mkdir -p "$run"
awk -v tpl="$PWD/bench/templates" '
	/^(shaping|dkim|campaigns|relays):/ { skip = 1; next }
	skip && /^[^ #]/ { skip = 0 }
	skip { next }
	/^templates:/ { print "templates: " tpl; next }
	/^segments:/ {
		print
		print "  newsletter-sample:"
		print "    description: One newsletter subscriber in a hundred."
		print "    lists: [newsletter]"
		print "    theme: newsletter"
		print "    where: id % 100 = 0"
		next
	}
	{ print }' conf/clarion.yaml >"$work/base.yaml"
cat >>"$work/base.yaml" <<YAML
relays:
  sink:
    host: 127.0.0.1
    port: $PORT
    tls: none
    helo: mail.liguedh.example
    connections: $CONC
campaigns:
  newsletter:
    segment: newsletter
    template: bench12k
    sender: newsletter
    fields: { edition: Décembre 2026 }
  action-alert:
    segment: action-alert
    template: bench12k
    sender: actions
    fields: { edition: "Action : Stop aux expulsions" }
  newsletter-wallonia-brussels:
    segment: newsletter-wallonia-brussels
    template: bench12k
    sender: newsletter
    fields: { edition: Décembre 2026 }
  newsletter-sample:
    segment: newsletter-sample
    template: bench12k
    sender: newsletter
    fields: { edition: Décembre 2026 }
YAML
dkim_rsa='  - domain: liguedh.example
    selector: rsa2026
    key: keys/dkim-rsa.pem
    algorithm: rsa-sha256'
dkim_ed='  - domain: liguedh.example
    selector: ed2026
    key: keys/dkim-ed25519.pem
    algorithm: ed25519-sha256'
variant_config() {	# variant_config none|rsa|ed25519|both
	cat "$work/base.yaml"
	case $1 in
	rsa) printf 'dkim:\n%s\n' "$dkim_rsa" ;;
	ed25519) printf 'dkim:\n%s\n' "$dkim_ed" ;;
	both) printf 'dkim:\n%s\n%s\n' "$dkim_rsa" "$dkim_ed" ;;
	esac
}
# The keys, made by clarionctl keygen for both entries.
variant_config both >"$run/clarion.yaml"
"$bin/clarionctl" -c "$run/clarion.yaml" keygen >/dev/null
for v in none rsa ed25519; do
	variant_config "$v" >"$work/$v.yaml"
	cp "$work/$v.yaml" "$run/clarion.yaml"
	"$bin/clarionctl" -c "$run/clarion.yaml" check-config >/dev/null
done

fresh_db() {
	rm -f "$run"/clarion.db "$run"/clarion.db-* "$run"/clarion.db.*
	cp "$work/cache/clarion.db" "$run/clarion.db"
}

# The size of a message as sent: the mean of the first 10 of the
# newsletter rendered (CRLF line ends).
fresh_db
msg_size() {	# msg_size VARIANT -> mean octets
	cp "$work/$1.yaml" "$run/clarion.yaml"
	"$bin/clarionctl" -c "$run/clarion.yaml" --json segment preview \
	    newsletter --limit 10 | grep -o '"email":"[^"]*"' | cut -d'"' -f4 |
	while read -r addr; do
		"$bin/clarionctl" -c "$run/clarion.yaml" render newsletter \
		    --contact "$addr" 2>/dev/null |
		    awk '/^MAIL FROM:|^RCPT TO:/ { next } { print }' | wc -c
	done | awk '{ s += $1; n++ } END { printf "%.0f", n ? s / n : 0 }'
}
bytes_none=$(msg_size none)
bytes_rsa=$(msg_size rsa)
bytes_ed=$(msg_size ed25519)
SIZE=${SIZE:-$bytes_none}
if [ "$SIZE" -le 0 ]; then
	echo "campaign.sh: cannot render a message" >&2
	exit 1
fi

# nodemailer needs `npm ci` once: in a writable copy of the peers' node
# folder (bench/work), not in the shared folder.
mkdir -p "$work/peers"
cp -R "$PEERS/." "$work/peers/"
chmod -R u+w "$work/peers"
if [ ! -d "$work/peers/node/node_modules/nodemailer" ]; then
	(cd "$work/peers/node" && npm ci --no-audit --no-fund >&2)
fi

lines=$work/lines
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
: >"$lines"
{
	echo
	echo "# campaign benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)," \
	    "commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)$(
	    git diff --quiet HEAD -- . ':!bench' 2>/dev/null ||
	    echo ' with changes')"
	echo "# host: $(uname -srm), $(nproc) cores, $(openssl version |
	    cut -d' ' -f1-2), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# command: VARIANTS=\"$VARIANTS\" CAMPAIGNS=\"$CAMPAIGNS\"" \
	    "CONC=$CONC SIZE=$SIZE N_WIRE=$N_WIRE N_LIMIT=$N_LIMIT" \
	    "N_NODE=$N_NODE bench/campaign.sh"
	echo "# message octets as rendered: no DKIM $bytes_none," \
	    "RSA-2048 $bytes_rsa, Ed25519 $bytes_ed; peers send SIZE=$SIZE"
} >"$tmp"
cat "$tmp"

# field LINE NAME: the value of NAME=... in a result line.
field() {
	printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {
	    print $2 }'
}
# peer TAG CMD...: run a peer, its line (prefixed with TAG) into $lines.
peer() {
	local tag=$1
	shift
	if ! line=$("$@" 2>"$work/peer.err"); then
		echo "campaign.sh: $tag failed: $line" >&2
		cat "$work/peer.err" >&2
		exit 1
	fi
	echo "$line"
	printf '%s\n' "$line" >>"$tmp"
	printf '%s %s\n' "$tag" "$line" >>"$lines"
}
# speed ALG -> sign/s of `openssl speed -multi 2 ALG`, all cores.
speed() {
	openssl speed -seconds "$SPEED_SECS" -multi "$jobs" "$1" 2>/dev/null |
	    awk -v a="$1" '
		a == "rsa2048" && /^rsa 2048 bits/ { print $(NF-1) }
		a == "ed25519" && /EdDSA \(Ed25519\)/ { print $(NF-1) }'
}
speed_line() {	# speed_line TAG ALG
	local s
	s=$(speed "$2")
	line="peer=openssl alg=$2 multi=$jobs secs_per_test=$SPEED_SECS sign_per_s=$s"
	echo "$line"
	printf '%s\n' "$line" >>"$tmp"
	printf '%s %s\n' "$1" "$line" >>"$lines"
}

peer limit bash "$PEERS/limit.sh" "$N_LIMIT" "$SIZE" "$CONC"
peer node bash "$work/peers/node.sh" "$N_NODE" "$SIZE" "$CONC"
[ -z "${PERF:-}" ] || mkdir -p "$work/perf"
for v in $VARIANTS; do
	case $v in
	rsa) speed_line speed-rsa-before rsa2048 ;;
	esac
	for c in $CAMPAIGNS; do
		[ "$v" = none ] &&
		    peer "wire-$c" bash "$PEERS/wire.sh" "$N_WIRE" "$SIZE" "$CONC"
		fresh_db
		cp "$work/$v.yaml" "$run/clarion.yaml"
		PERF=${PERF:+$work/perf/$v-$c.data} peer "clarion-$v" \
		    bash bench/campaign_peer.sh "$PEERS" "$bin" "$run" "$c" \
		    "$SIZE" "$CONC"
	done
	case $v in
	rsa) speed_line speed-rsa-after rsa2048 ;;
	esac
done

# The table and the verdicts.
awk -v jobs="$JOBS" -v ncpu="$jobs" '
function f(line, k,    na, i, a, kv) {
	na = split(line, a, " ")
	for (i = 1; i <= na; i++) {
		split(a[i], kv, "=")
		if (kv[1] == k)
			return substr(a[i], length(k) + 2)
	}
	return ""
}
# n(LINE, KEY): the value as a number (compared as a number, not text).
function n(line, k) { return f(line, k) + 0 }
function verdict(ok) { return ok ? "PASS" : "MISS" }
# other(LINE): cores busy with anything but the client and the sink.
function other(line,    o) {
	o = n(line, "client_cpu_s") + n(line, "sink_cpu_s")
	o = n(line, "host_busy_pct") / 100 * ncpu - o / n(line, "secs")
	return o > 0 ? o : 0
}
BEGIN {
	nj = split(jobs, j, " ")
	for (i = 1; i <= nj; i++)
		job[j[i]] = 1
}
$1 == "limit" {
	limit = n($0, "msgs_per_s"); limit_o = other($0)
	limit_cpu = n($0, "client_cpu_s") / n($0, "n") * 1e6
}
$1 == "node" {
	node = n($0, "msgs_per_s"); node_o = other($0)
	node_cpu = n($0, "client_cpu_s") / n($0, "n") * 1e6
}
$1 ~ /^wire-/ {
	c = substr($1, 6); wire[c] = n($0, "msgs_per_s"); wire_o[c] = other($0)
	wires[++nwire] = c
}
$1 ~ /^speed-rsa/ { rsa_s += n($0, "sign_per_s"); rsa_n++ }
$1 ~ /^clarion-/ {
	v = substr($1, 9); c = f($0, "campaign")
	k = ++runs
	rv[k] = v; rc[k] = c
	rn[k] = n($0, "sent"); rsecs[k] = n($0, "secs")
	rate[k] = n($0, "msgs_per_s"); srate[k] = n($0, "send_msgs_per_s")
	cpu[k] = n($0, "cpu_us_per_msg"); rss[k] = n($0, "peak_rss_kb") / 1024
	start[k] = n($0, "start_s"); first[k] = n($0, "first_s")
	st[k] = f($0, "status"); oth[k] = other($0)
}
END {
	rsa_m = rsa_n ? rsa_s / rsa_n : 0
	print ""
	printf "%-8s %-29s %7s %8s %7s %8s %7s %7s %6s %6s %5s %s\n", "dkim",
	    "campaign", "sent", "secs", "msgs/s", "send/s", "us/msg",
	    "RSS MiB", "start", "first", "other", "status"
	for (k = 1; k <= runs; k++)
		printf "%-8s %-29s %7d %8.2f %7d %8d %7.1f %7.1f %6.2f %6.2f %5.2f %s\n",
		    rv[k], rc[k], rn[k], rsecs[k], rate[k], srate[k], cpu[k],
		    rss[k], start[k], first[k], oth[k], st[k]
	print "(msgs/s: sent / (start command to done); send/s: sent /" \
	    " (first message to done); us/msg: clariond CPU per message;" \
	    " RSS: clariond VmHWM; start: the start command answered;" \
	    " first: the first message at the sink, both in s after the" \
	    " start command; other: cores busy with other processes than" \
	    " clariond and the sink meanwhile, of " ncpu ")"
	print ""
	printf "peers: smtp-source %d msgs/s (%.1f us/msg of client CPU," \
	    " other %.2f), nodemailer %d msgs/s (%.1f us/msg, other %.2f)",
	    limit, limit_cpu, limit_o, node, node_cpu, node_o
	if (rsa_n)
		printf ", openssl rsa2048 all cores %.0f sign/s", rsa_m
	printf "\n"
	for (i = 1; i <= nwire; i++)
		printf "wire ceiling before %s: %d msgs/s (other %.2f)\n",
		    wires[i], wire[wires[i]], wire_o[wires[i]]
	print ""
	print "targets:"
	for (k = 1; k <= runs; k++) {
		c = rc[k]
		if (!(c in job))
			continue
		if (rv[k] == "none") {
			if (c in wire)
				printf "  %-8s %-13s %6d msgs/s = %.2fx wire (%d)," \
				    " target >= 0.75: %s\n", rv[k], c, rate[k],
				    rate[k] / wire[c], wire[c],
				    verdict(rate[k] >= 0.75 * wire[c])
			if (node > 0)
				printf "  %-8s %-13s %6d msgs/s = %.1fx nodemailer" \
				    " (%d), target >= 10: %s\n", rv[k], c,
				    rate[k], rate[k] / node, node,
				    verdict(rate[k] >= 10 * node)
			if (limit > 0)
				printf "  %-8s %-13s %6d msgs/s = %.2fx smtp-source" \
				    " (%d), no target\n", rv[k], c, rate[k],
				    rate[k] / limit, limit
		}
		if (rv[k] == "rsa" && rsa_m > 0)
			printf "  %-8s %-13s %6d msgs/s = %.2fx openssl -multi" \
			    " rsa2048 (%.0f sign/s), target >= 0.8: %s\n",
			    rv[k], c, rate[k], rate[k] / rsa_m, rsa_m,
			    verdict(rate[k] >= 0.8 * rsa_m)
		if (rv[k] == "rsa" && rsa_m > 0)
			printf "  %-8s %-13s %6.0f us of clariond CPU a message" \
			    " against %.0f us a signature at openssl'"'"'s" \
			    " per-core rate (%.2fx), no target\n", rv[k], c,
			    cpu[k], 1e6 * ncpu / rsa_m,
			    1e6 * ncpu / rsa_m / cpu[k]
	}
	maxrss = 0; maxfirst = 0
	for (k = 1; k <= runs; k++) {
		if (rss[k] > maxrss) { maxrss = rss[k]; at_rss = rv[k] " " rc[k] }
		if (first[k] > maxfirst) { maxfirst = first[k]; at_first = rv[k] " " rc[k] }
		# Per variant: the peak RSS of its largest and smallest segment.
		v = rv[k]
		if (!(v in big))
			vars[++nvars] = v
		if (!(v in big) || rn[k] > rn[big[v]]) big[v] = k
		if (!(v in small) || rn[k] < rn[small[v]]) small[v] = k
	}
	if (runs) {
		printf "  peak RSS: at most %.1f MiB (%s), target <= 64: %s\n",
		    maxrss, at_rss, verdict(maxrss <= 64)
		for (i = 1; i <= nvars; i++)
			if (big[v = vars[i]] != small[v])
				printf "  peak RSS flat, %s: %.1f MiB for %d" \
				    " messages, %.1f MiB for %d (%.2fx)," \
				    " target <= 1.10x: %s\n", v, rss[big[v]],
				    rn[big[v]], rss[small[v]], rn[small[v]],
				    rss[big[v]] / rss[small[v]],
				    verdict(rss[big[v]] <= 1.10 * rss[small[v]])
		printf "  first message: at most %.2f s after the start" \
		    " command (%s), target <= 1: %s\n", maxfirst, at_first,
		    verdict(maxfirst <= 1)
	}
}' "$lines" | tee -a "$tmp"
cat "$tmp" >>"$results"
echo "appended to $results"

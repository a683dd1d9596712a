#!/bin/sh
# SPDX-License-Identifier: ISC
#
# bench/foundation.sh - import rate and segment counting, each beside a
# reference measured in the same run on the same files:
#
#   import:  clarionctl import of the 600,000-contact demo CSV into a fresh
#            database, against the sqlite3 shell's ".import --csv" of the
#            same file into a plain table (no validation, no index).
#            Target: clarion's rate >= 0.5x the shell's.
#   segment: clarionctl segment count for both audiences (process start,
#            configuration, store open included), against the sqlite3
#            shell running the same SQL (clarionctl segment sql) on the
#            same database. Target: clarion's time <= 2x the shell's.
#
# Runs alternate A B A B... so that drift in the machine's speed hits both
# sides; medians are reported. Figures go to stdout and are appended to
# bench/results/foundation.txt.
#
# Environment: N (contacts, default 600000), RUNS (default 5).

set -eu
cd "$(dirname "$0")/.."
N=${N:-600000}
RUNS=${RUNS:-5}
work=bench/work/foundation
results=bench/results/foundation.txt
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" >/dev/null
ctlbin=build/bin/clarionctl
mkdir -p "$work" bench/results
cp conf/clarion.yaml "$work/clarion.yaml"
ctl="$ctlbin -c $work/clarion.yaml"

if [ ! -f "$work/contacts.csv" ] ||
    [ "$(($(wc -l <"$work/contacts.csv") - 1))" -ne "$N" ]; then
	$ctlbin demo-data --out "$work" --contacts "$N" >/dev/null
fi
csv="$work/contacts.csv"

now() {
	date +%s.%N
}

# elapsed CMD...: run CMD (output discarded), print its wall time in s.
elapsed() {
	t0=$(now)
	"$@" >/dev/null 2>&1 || { echo "bench: $* failed" >&2; exit 1; }
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2];
		else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

clarion_import() {
	rm -f "$work/clarion.db" "$work/clarion.db-wal" "$work/clarion.db-shm"
	$ctl import "$csv" --list supporters --source bench
}

shell_import() {
	rm -f "$work/plain.db"
	sqlite3 "$work/plain.db" ".import --csv $csv plain"
}

: >"$work/t_clarion"
: >"$work/t_shell"
r=0
while [ "$r" -lt "$RUNS" ]; do
	elapsed clarion_import >>"$work/t_clarion"
	elapsed shell_import >>"$work/t_shell"
	r=$((r + 1))
done
[ "$(sqlite3 "$work/clarion.db" 'SELECT count(*) FROM contacts')" = "$N" ] ||
	{ echo "bench: clarion imported the wrong number of rows" >&2; exit 1; }
[ "$(sqlite3 "$work/plain.db" 'SELECT count(*) FROM plain')" = "$N" ] ||
	{ echo "bench: the shell imported the wrong number of rows" >&2; exit 1; }
tc=$(median <"$work/t_clarion")
ts=$(median <"$work/t_shell")

# The audiences, for the segment counts.
$ctl import "$work/activists.csv" --list activists --consent actions \
	--source bench >/dev/null
$ctl import "$work/newsletter.csv" --list newsletter --consent newsletter \
	--source bench >/dev/null

{
	echo "# foundation benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# host: $(uname -srm), $(nproc) cores," \
	    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
	    "sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
	echo "# command: N=$N RUNS=$RUNS bench/foundation.sh (medians of $RUNS interleaved runs)"
	awk -v n="$N" -v c="$tc" -v s="$ts" 'BEGIN {
		printf "import        clarion %8.3f s %9.0f rows/s | sqlite3 .import %8.3f s %9.0f rows/s | rate ratio %.2f (target >= 0.50)\n",
		    c, n / c, s, n / s, s / c }'
} | tee "$work/summary"

for seg in action-alert newsletter; do
	$ctl segment sql "$seg" >"$work/$seg.sql"
	count=$($ctl segment count "$seg")
	[ "$(sqlite3 "$work/clarion.db" <"$work/$seg.sql")" = "$count" ] ||
		{ echo "bench: segment $seg: counts differ" >&2; exit 1; }
	: >"$work/c_$seg"
	: >"$work/s_$seg"
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		elapsed $ctl segment count "$seg" >>"$work/c_$seg"
		elapsed sqlite3 "$work/clarion.db" ".read $work/$seg.sql" \
		    >>"$work/s_$seg"
		r=$((r + 1))
	done
	awk -v seg="$seg" -v n="$count" -v c="$(median <"$work/c_$seg")" \
	    -v s="$(median <"$work/s_$seg")" 'BEGIN {
		printf "segment %-13s %6d contacts: clarionctl %.4f s | sqlite3 %.4f s | time ratio %.2f (target <= 2.00)\n",
		    seg, n, c, s, c / s }' | tee -a "$work/summary"
done
{ cat "$work/summary"; echo; } >>"$results"
echo "appended to $results"

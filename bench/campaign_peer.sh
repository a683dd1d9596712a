#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# bench/campaign_peer.sh PEERS_DIR BINDIR RUNDIR CAMPAIGN SIZE CONC - one
# campaign run of clariond as one more peer of the shared peer benchmarks:
# the same bounded smtp-sink on $HOST:$PORT, started and stopped by their
# common.sh, and a one-line result in their key=value form.
#
# RUNDIR holds clarion.yaml (its relay is $HOST:$PORT), a fresh copy of
# the database and the keys; bench/campaign.sh prepares it. This script
# starts the sink, starts clariond -l warn on RUNDIR/clarion.yaml, waits
# until it answers `clarionctl status`, then:
#
#   t0         just before `clarionctl campaign start CAMPAIGN` is run
#   start_s    t0 to the start command's answer (the segment's snapshot
#              is taken before the answer)
#   first_s    t0 to the sink's first message: smtp-sink's -c counter
#              polled every 10 ms while the start command runs
#   secs       t0 to the first `clarionctl --json campaign show` that
#              says "state":"done" (polled every 0.2 s once the sink has
#              all the run's messages, every 5 s before)
#   msgs_per_s sent / secs: the whole job, snapshot included
#   send_msgs_per_s  sent / (secs - first_s): the sending phase alone
#   client_cpu_s     clariond's utime + stime (/proc/PID/stat) from t0
#              to done; cpu_us_per_msg is that over the messages sent
#   peak_rss_kb      clariond's VmHWM (/proc/PID/status) at done: the
#              peak of the process's whole life, start-up included
#
# The daemon is stopped with SIGTERM after the run (SIGKILL after 30 s).
# PERF=FILE records `perf record $PERF_ARGS` (default -g) of clariond
# from t0 to done into FILE (it costs CPU: figures of such a run are not
# comparable).
set -u
PEERS_DIR=$1 BINDIR=$2 RUNDIR=$3 CAMPAIGN=$4
shift 4
source "$PEERS_DIR/common.sh"
peer_params 1 "$@"

ctl="$BINDIR/clarionctl --socket $RUNDIR/clarion.db.sock"
DAEMON_PID="" PERF_PID=""
stop_daemon() {
	local i
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID" 2>/dev/null
		wait "$PERF_PID" 2>/dev/null
		PERF_PID=""
	fi
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	for i in $(seq 1 300); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
}
# common.sh's cleanup (sink, work folder) after the daemon, keeping the
# exit status.
trap 'rc=$?; stop_daemon; (exit $rc); cleanup' EXIT

fail() {
	echo "campaign_peer: $*" >&2
	[ -s "$RUNDIR/clariond.log" ] && tail -n 20 "$RUNDIR/clariond.log" >&2
	exit 1
}
# json_field JSON KEY: a number or string member (first occurrence).
json_field() {
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
# cpu_ticks PID: utime + stime in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	echo "$stat" | awk '{ print $12 + $13 }'
}
# usec: the wall clock in microseconds, without a process.
usec() {
	local t=$EPOCHREALTIME
	echo "${t%.*}${t#*.}"
}
# pause SECONDS: sleep without a process (read times out on a pipe that
# never has data).
exec {never}<> <(:)
pause() {
	read -r -t "$1" -u "$never" || true
}

sink_start
"$BINDIR/clariond" -c "$RUNDIR/clarion.yaml" -l warn \
    2>"$RUNDIR/clariond.log" &
DAEMON_PID=$!
ready=0
for i in $(seq 1 600); do
	if $ctl status >/dev/null 2>&1; then
		ready=1
		break
	fi
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	pause 0.05
done
[ "$ready" = 1 ] || fail "clariond did not answer on its socket"

if [ -n "${PERF:-}" ]; then
	perf record ${PERF_ARGS:--g} -o "$PERF" -p "$DAEMON_PID" >/dev/null 2>&1 &
	PERF_PID=$!
	sleep 1
fi

host_cpu_begin
cpu0=$(cpu_ticks "$DAEMON_PID")
t0=$(usec)
(
	$ctl --json campaign start "$CAMPAIGN" >"$WORK/start.json" \
	    2>"$WORK/start.err"
	echo "$? $(usec)" >"$WORK/start.done"
) &
starter=$!
# The first message at the sink: its -c counter says mesg=1 and up.
t_first=""
while :; do
	if grep -q 'mesg=[1-9]' "$SINK_OUT" 2>/dev/null; then
		t_first=$(usec)
		break
	fi
	if [ -s "$WORK/start.done" ] && [ "$(cut -d' ' -f1 \
	    "$WORK/start.done")" != 0 ]; then
		break
	fi
	[ $(($(usec) - t0)) -lt 120000000 ] || break
	pause 0.01
done
wait "$starter"
read -r start_rc t_started <"$WORK/start.done"
[ "$start_rc" = 0 ] || fail "campaign start $CAMPAIGN: $(cat \
    "$WORK/start.err" "$WORK/start.json")"
[ -n "$t_first" ] || fail "no message at the sink within 120 s"

# Done: "state":"done" in campaign show, polled every 0.2 s once the sink
# has every message of the run (before that, every 5 s: a show counts the
# run's sends on one of the daemon's worker threads, some 20 ms for
# 200,000 sends, which polling five times a second would take from the
# run being measured).
total=$(json_field "$(cat "$WORK/start.json")" total)
deadline=$((t0 + ${CLIENT_MAX_SECS:-900} * 1000000))
next_show=0
while :; do
	now=$(usec)
	if [ "$(sink_count)" -ge "${total:-0}" ] || [ "$now" -ge "$next_show" ]
	then
		show=$($ctl --json campaign show "$CAMPAIGN" 2>/dev/null) ||
		    fail "campaign show $CAMPAIGN failed"
		case $show in
		*'"state":"done"'*) break ;;
		*'"state":"cancelled"'*) fail "the run was cancelled" ;;
		esac
		next_show=$((now + 5000000))
	fi
	[ "$now" -lt "$deadline" ] ||
	    fail "not done after ${CLIENT_MAX_SECS:-900} s"
	pause 0.2
done
t_done=$(usec)
cpu1=$(cpu_ticks "$DAEMON_PID")
host_cpu_end
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DAEMON_PID/status")
stop_daemon

sent=$(json_field "$show" sent)
total=$(json_field "$show" total)
deferred=$(json_field "$show" deferred)
failed=$(json_field "$show" failed)
N=$total
sink_wait_for "$sent" 5
recv=$(sink_count)
sink_stop
warn=$(grep -c . "$RUNDIR/clariond.log")
secs=$(awk -v a="$t0" -v b="$t_done" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
summary clarion "$secs" "$recv" campaign="$CAMPAIGN" sent="$sent" \
    deferred="$deferred" failed="$failed" \
    start_s="$(awk -v a="$t0" -v b="$t_started" 'BEGIN {
	printf "%.3f", (b - a) / 1e6 }')" \
    first_s="$(awk -v a="$t0" -v b="$t_first" 'BEGIN {
	printf "%.3f", (b - a) / 1e6 }')" \
    send_msgs_per_s="$(awk -v a="$t_first" -v b="$t_done" -v n="$sent" \
	'BEGIN { printf "%.0f", n / ((b - a) / 1e6) }')" \
    client_cpu_s="$(awk -v c="$((cpu1 - cpu0))" -v t="$CLK_TCK" 'BEGIN {
	printf "%.2f", c / t }')" \
    cpu_us_per_msg="$(awk -v c="$((cpu1 - cpu0))" -v t="$CLK_TCK" \
	-v n="$sent" 'BEGIN { printf "%.1f", (n > 0 ? c / t / n * 1e6 : 0) }')" \
    peak_rss_kb="$hwm" sink_cpu_s="${SINK_CPU_S:-?}" log_lines="$warn"

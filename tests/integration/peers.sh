#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/integration/peers.sh - SMTP servers for the integration tests
# (sourced after lib.sh)
#
# Each server runs on loopback on a port chosen at run time, as a child of
# the test's shell; its PID goes into $PIDS so that lib.sh's cleanup kills
# it, and its files go into $WORK/NAME/. A start function sets, for the
# NAME given (a shell identifier):
#
#   NAME_PID    the server's process ID
#   NAME_HOST   127.0.0.1 or ::1
#   NAME_PORT   the TCP port
#   NAME_ADDR   HOST:PORT, [::1]:PORT for IPv6 (as smtp-source takes it)
#   NAME_DIR    $WORK/NAME, the server's folder
#   NAME_LOG    the server's output or session log
#
# and, by kind of server:
#
#   sink_start NAME [--dump] [SMTP-SINK OPTIONS...]  Postfix's smtp-sink
#   sink_start6 NAME [--dump] [SMTP-SINK OPTIONS...] the same on [::1]
#       NAME_LOG is smtp-sink's standard output and error; it always runs
#       with -c (counters, read with sink_count) and, as root, with -u
#       nobody. With --dump each message is written by smtp-sink's -d to
#       its own file in NAME_DUMP ($WORK/NAME/dump, file names msg.HEX in
#       no particular order): smtp-sink's own headers (X-Client-Addr,
#       X-Client-Proto, X-Helo-Args, X-Mail-Args, one X-Rcpt-Args per
#       recipient, a 3-line Received:), then the message un-stuffed with
#       LF line ends and every CR removed, then an empty line. Not the
#       bytes sent: for those use capture_start.
#   aiosmtpd_start NAME [SMTP_SERVER.PY OPTIONS...]  tests/data/smtp_server.py
#       (--host ::1 for IPv6); NAME_SPOOL is the spool folder (its
#       NNNNNN.eml and NNNNNN.json per message), NAME_LOG the session log,
#       $WORK/NAME/out its standard output and error.
#   capture_start NAME [SMTP_CAPTURE.PY OPTIONS...]  tests/data/smtp_capture.py
#       NAME_CONNS is the folder of conn-NNNNNN.raw (the client's bytes)
#       and conn-NNNNNN.replies; NAME_LOG its standard output and error.
#
# smtp-sink cannot bind port 0, so its start takes a free port and, should
# another process take it first, tries again (5 ports at most); each try
# waits at most 5 s for the port to listen. The Python servers bind port 0
# and report it; their start waits at most 10 s. A failed start fails the
# test. Then:
#
#   free_port [ADDRESS]          print a free TCP port (127.0.0.1 or ::1)
#   have_ipv6                    true if ::1 can be bound
#   peer_stop PID                SIGTERM (SIGKILL after 5 s); PEER_STATUS
#   peers_stop_all               peer_stop every server started here
#   sink_count NAME [FIELD]      smtp-sink's mesg (or sess, quit) counter
#   sink_wait NAME N [SECONDS]   until mesg >= N (5 s by default)
#   spool_count NAME             messages spooled by smtp_server.py
#   spool_wait NAME N [SECONDS]  until N are spooled
#   capture_wait NAME N [SECONDS] until N captured connections closed
#   capture_check NAME [OPTS...] smtp_wire_check.py over those connections
#   peers_certs                  tests/data/make_certs.sh into CERTS

# Executed rather than sourced (as ctest does with every *.sh here).
case $0 in
*/peers.sh | peers.sh)
	echo "peers.sh is sourced by the integration tests; nothing to run"
	exit 0
	;;
esac

PEERS_DATA=${CLARION_TEST_DATA:-$CLARION_SOURCE/tests/data}
PEERS_PYTHON=/usr/bin/python3
PEERS_PIDS=""

# free_port [ADDRESS]: print a TCP port free on ADDRESS (127.0.0.1) now.
free_port() {
	"$PEERS_PYTHON" -c 'import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
s.bind((a, 0))
print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

# have_ipv6: true if a socket can be bound to ::1.
have_ipv6() {
	free_port ::1 >/dev/null 2>&1
}

# peer_stop PID: stop a server with SIGTERM (SIGKILL after 5 s), wait at
# most 2 s more for it to go, take it out of $PIDS; its exit status goes
# to PEER_STATUS (143: killed by SIGTERM). Returns 0.
peer_stop() {
	_pp_pid=$1
	kill -TERM "$_pp_pid" 2>/dev/null || true
	_pp_i=0
	while _peer_alive "$_pp_pid" && [ "$_pp_i" -lt 50 ]; do
		sleep 0.1
		_pp_i=$((_pp_i + 1))
	done
	if _peer_alive "$_pp_pid"; then
		kill -KILL "$_pp_pid" 2>/dev/null || true
		_pp_i=0
		while _peer_alive "$_pp_pid" && [ "$_pp_i" -lt 20 ]; do
			sleep 0.1
			_pp_i=$((_pp_i + 1))
		done
	fi
	PEER_STATUS=
	if ! _peer_alive "$_pp_pid"; then
		# Gone or a zombie: wait returns at once (127 if not our child).
		if wait "$_pp_pid" 2>/dev/null; then
			PEER_STATUS=0
		else
			PEER_STATUS=$?
		fi
	fi
	PIDS=$(for _pp_p in $PIDS; do
		[ "$_pp_p" = "$_pp_pid" ] || printf '%s ' "$_pp_p"
	done)
	PEERS_PIDS=$(for _pp_p in $PEERS_PIDS; do
		[ "$_pp_p" = "$_pp_pid" ] || printf '%s ' "$_pp_p"
	done)
	return 0
}

# peers_stop_all: peer_stop every server started here and still listed.
peers_stop_all() {
	for _pp_q in $PEERS_PIDS; do
		peer_stop "$_pp_q"
	done
}

# sink_start NAME [--dump] [SMTP-SINK OPTIONS...]: smtp-sink on 127.0.0.1.
sink_start() {
	_sink_start 127.0.0.1 "$@"
}

# sink_start6 NAME [--dump] [SMTP-SINK OPTIONS...]: smtp-sink on ::1.
sink_start6() {
	_sink_start ::1 "$@"
}

# sink_count NAME [sess|quit|mesg]: print smtp-sink's latest counter (mesg,
# the default: end-of-data dots received, whatever the reply; sess:
# sessions ended; quit: QUITs), 0 before any.
sink_count() {
	_peer_var _pp_log "$1" LOG
	tr '\r' '\n' <"$_pp_log" | awk -v f="${2:-mesg}" -F '[ =]' '
	    /^sess=[0-9]+ quit=[0-9]+ mesg=[0-9]+$/ {
		for (i = 1; i < NF; i += 2) if ($i == f) v = $(i + 1)
	    }
	    END { print v + 0 }'
}

# sink_wait NAME COUNT [SECONDS]: wait (5 s at most by default) until
# smtp-sink has received COUNT messages; false if it has not.
sink_wait() {
	wait_for "${3:-5}" _sink_has "$1" "$2"
}

# aiosmtpd_start NAME [OPTIONS...]: tests/data/smtp_server.py, with
# --port-file, --spool $WORK/NAME/spool and --log $WORK/NAME/session.log
# (a --spool or --log among OPTIONS takes precedence).
aiosmtpd_start() {
	_pp_name=$1
	shift
	_peer_prepare "$_pp_name"
	_peer_host "$@"
	_peer_launch_py "$_pp_name" "$PEERS_DATA/smtp_server.py" \
		--spool "$_pp_dir/spool" --log "$_pp_dir/session.log" "$@"
	_peer_scan_arg --spool "$_pp_dir/spool" "$@"
	_peer_set "$_pp_name" SPOOL "$_pp_found"
	_peer_scan_arg --log "$_pp_dir/session.log" "$@"
	_peer_set "$_pp_name" LOG "$_pp_found"
}

# spool_count NAME: print how many messages the aiosmtpd server spooled.
spool_count() {
	_peer_var _pp_spool "$1" SPOOL
	find "$_pp_spool" -maxdepth 1 -name '[0-9]*.json' 2>/dev/null |
	    wc -l | tr -d ' '
}

# spool_wait NAME COUNT [SECONDS]: wait (5 s by default) until the
# aiosmtpd server has spooled COUNT messages; false if it has not.
spool_wait() {
	wait_for "${3:-5}" _spool_has "$1" "$2"
}

# capture_start NAME [OPTIONS...]: tests/data/smtp_capture.py, with
# --port-file and --dir $WORK/NAME/conns.
capture_start() {
	_pp_name=$1
	shift
	_peer_prepare "$_pp_name"
	_peer_host "$@"
	_peer_launch_py "$_pp_name" "$PEERS_DATA/smtp_capture.py" \
		--dir "$_pp_dir/conns" "$@"
	_peer_set "$_pp_name" CONNS "$_pp_dir/conns"
}

# capture_wait NAME COUNT [SECONDS]: wait (5 s by default) until COUNT
# connections to the capture server have closed; false if they have not.
capture_wait() {
	wait_for "${3:-5}" _capture_has "$1" "$2"
}

# capture_check NAME [SMTP_WIRE_CHECK.PY OPTIONS...]: check every closed
# connection's stream with tests/data/smtp_wire_check.py; its status.
capture_check() {
	_peer_var _pp_conns "$1" CONNS
	shift
	"$PEERS_PYTHON" "$PEERS_DATA/smtp_wire_check.py" "$@" \
		"$_pp_conns"/conn-*.raw
}

# peers_certs: make the test certificates (tests/data/make_certs.sh) once
# in $WORK/certs and set CERTS to that folder.
peers_certs() {
	CERTS=$WORK/certs
	"$PEERS_DATA/make_certs.sh" "$CERTS"
}

# --- internals ---------------------------------------------------------

# _peer_alive PID: true while PID runs (a zombie does not count).
_peer_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_pp_state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_pp_state" ] && [ "$_pp_state" != Z ] && [ "$_pp_state" != X ]
}

# _peer_listening PID PORT: true if process PID has a socket listening on
# TCP port PORT (some other process listening there does not count).
_peer_listening() {
	set -- "$1" "$(printf ':%04X' "$2")" /proc/net/tcp
	[ ! -r /proc/net/tcp6 ] || set -- "$@" /proc/net/tcp6
	_pp_pidl=$1
	_pp_hex=$2
	shift 2
	for _pp_ino in $(awk -v p="$_pp_hex" '$4 == "0A" &&
	    substr($2, length($2) - 4) == p { print $10 }' "$@"); do
		for _pp_fd in "/proc/$_pp_pidl/fd/"*; do
			[ "$(readlink "$_pp_fd" 2>/dev/null)" != \
			    "socket:[$_pp_ino]" ] || return 0
		done
	done
	return 1
}

# _peer_set NAME FIELD VALUE: set the variable NAME_FIELD to VALUE.
_peer_set() {
	eval "${1}_$2=\$3"
}

# _peer_var VAR NAME FIELD: set VAR to the value of NAME_FIELD.
_peer_var() {
	_peer_check_name "$2"
	eval "$1=\${${2}_$3:?no server named $2 was started}"
}

# _peer_check_name NAME: fail unless NAME can be part of a variable name.
_peer_check_name() {
	case $1 in
	'' | [0-9]* | *[!A-Za-z0-9_]*) fail "peers: bad server name: '$1'" ;;
	esac
}

# _peer_prepare NAME: check NAME, make $WORK/NAME (as _pp_dir), empty.
_peer_prepare() {
	_peer_check_name "$1"
	_pp_dir=$WORK/$1
	rm -rf "$_pp_dir"
	mkdir -p "$_pp_dir"
}

# _peer_host OPTIONS...: _pp_host, the value of --host among OPTIONS.
_peer_host() {
	_peer_scan_arg --host 127.0.0.1 "$@"
	_pp_host=$_pp_found
}

# _peer_scan_arg OPTION DEFAULT ARGS...: _pp_found, the value of the last
# "OPTION VALUE" among ARGS, or DEFAULT.
_peer_scan_arg() {
	_pp_opt=$1
	_pp_found=$2
	shift 2
	while [ $# -gt 1 ]; do
		[ "$1" != "$_pp_opt" ] || _pp_found=$2
		shift
	done
}

# _peer_started NAME PID PORT: record a server that listens.
_peer_started() {
	PIDS="$PIDS $2"
	PEERS_PIDS="$PEERS_PIDS $2"
	_peer_set "$1" PID "$2"
	_peer_set "$1" HOST "$_pp_host"
	_peer_set "$1" PORT "$3"
	_peer_set "$1" DIR "$_pp_dir"
	case $_pp_host in
	*:*) _peer_set "$1" ADDR "[$_pp_host]:$3" ;;
	*) _peer_set "$1" ADDR "$_pp_host:$3" ;;
	esac
}

# _sink_start HOST NAME [--dump] [OPTIONS...]: start smtp-sink, with up to
# 5 fresh ports if the one chosen is taken meanwhile.
_sink_start() {
	_pp_host=$1
	_pp_name=$2
	shift 2
	_peer_prepare "$_pp_name"
	_peer_set "$_pp_name" DUMP ""
	if [ "${1:-}" = --dump ]; then
		shift
		mkdir "$_pp_dir/dump"
		_peer_set "$_pp_name" DUMP "$_pp_dir/dump"
		set -- -d "$_pp_dir/dump/msg." "$@"
	fi
	if [ "$(id -u)" -eq 0 ]; then
		# smtp-sink refuses to run as root; nobody must reach the dumps.
		set -- -u nobody "$@"
		chmod o+x "$WORK"
		[ ! -d "$_pp_dir/dump" ] || chown nobody "$_pp_dir/dump"
	fi
	_pp_log=$_pp_dir/sink.log
	_peer_set "$_pp_name" LOG "$_pp_log"
	_pp_try=0
	while [ "$_pp_try" -lt 5 ]; do
		_pp_try=$((_pp_try + 1))
		_pp_port=$(free_port "$_pp_host")
		case $_pp_host in
		*:*) _pp_listen="[$_pp_host]:$_pp_port" ;;
		*) _pp_listen="$_pp_host:$_pp_port" ;;
		esac
		/usr/sbin/smtp-sink -c "$@" "$_pp_listen" 64 >"$_pp_log" 2>&1 &
		_pp_pid=$!
		_pp_i=0
		while [ "$_pp_i" -lt 50 ]; do
			if ! _peer_alive "$_pp_pid"; then
				break
			elif _peer_listening "$_pp_pid" "$_pp_port"; then
				_peer_started "$_pp_name" "$_pp_pid" "$_pp_port"
				return 0
			fi
			sleep 0.1
			_pp_i=$((_pp_i + 1))
		done
		peer_stop "$_pp_pid"
		grep -q 'Address already in use' "$_pp_log" ||
			fail "smtp-sink did not start: $(cat "$_pp_log")"
	done
	fail "smtp-sink: no free port after 5 tries"
}

# _peer_launch_py NAME SCRIPT ARGS...: run a Python server that writes its
# port to $_pp_dir/port; NAME_LOG is its output unless set after.
_peer_launch_py() {
	_pp_name=$1
	_pp_script=$2
	shift 2
	_pp_out=$_pp_dir/out
	_peer_set "$_pp_name" LOG "$_pp_out"
	"$PEERS_PYTHON" "$_pp_script" --port-file "$_pp_dir/port" "$@" \
		>"$_pp_out" 2>&1 &
	_pp_pid=$!
	_pp_i=0
	while [ "$_pp_i" -lt 100 ]; do
		if [ -s "$_pp_dir/port" ]; then
			_peer_started "$_pp_name" "$_pp_pid" \
				"$(cat "$_pp_dir/port")"
			return 0
		fi
		_peer_alive "$_pp_pid" || break
		sleep 0.1
		_pp_i=$((_pp_i + 1))
	done
	peer_stop "$_pp_pid"
	fail "${_pp_script##*/} did not start: $(cat "$_pp_out")"
}

# _sink_has NAME COUNT: true if smtp-sink received COUNT messages.
_sink_has() {
	[ "$(sink_count "$1")" -ge "$2" ]
}

# _spool_has NAME COUNT: true if COUNT messages are spooled.
_spool_has() {
	[ "$(spool_count "$1")" -ge "$2" ]
}

# _capture_has NAME COUNT: true if COUNT captured connections closed.
_capture_has() {
	_peer_var _pp_conns "$1" CONNS
	[ "$(find "$_pp_conns" -maxdepth 1 -name 'conn-*.raw' 2>/dev/null |
	    wc -l)" -ge "$2" ]
}

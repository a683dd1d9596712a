# SPDX-License-Identifier: ISC
#
# tests/integration/lib.sh - shared by the integration tests (sourced)
#
# Each test gets a private work folder, removed on exit with every process
# it started (stopped by PID). ctest sets CLARION_BIN (the programs),
# CLARION_TEST_DATA and CLARION_SOURCE.

set -eu

: "${CLARION_BIN:?CLARION_BIN must name the folder of the programs}"
: "${CLARION_SOURCE:?CLARION_SOURCE must name the source tree}"
CTL="$CLARION_BIN/clarionctl"
DAEMON="$CLARION_BIN/clariond"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/clarion-it-XXXXXX")
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	echo "ok - $*"
}

# expect_status N CMD...: run CMD, which must exit with status N; its
# stdout and stderr are kept in $WORK/out and $WORK/err.
expect_status() {
	want=$1
	shift
	set +e
	"$@" >"$WORK/out" 2>"$WORK/err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout" >&2
		cat "$WORK/out" >&2
		echo "--- stderr" >&2
		cat "$WORK/err" >&2
		fail "$* exited $got, expected $want"
	fi
}

# expect_in FILE TEXT: FILE contains the line TEXT exactly.
expect_line() {
	if ! grep -qxF -- "$2" "$1"; then
		echo "--- $1" >&2
		cat "$1" >&2
		fail "expected the line: $2"
	fi
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	limit=$(( $1 * 10 ))
	shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt "$limit" ] || return 1
		sleep 0.1
	done
}

# write_config DIR: a configuration like the example one, database in DIR.
write_config() {
	cat >"$1/clarion.yaml" <<'YAML'
database: clarion.db
lists:
  activists:
  newsletter:
  supporters:
themes:
  actions:
  newsletter:
senders:
  main:
    name: Ligue des droits humains
    address: actions@liguedh.example
segments:
  action-alert:
    lists: [activists]
    theme: actions
  newsletter:
    lists: [newsletter]
    theme: newsletter
  both:
    lists: [activists, newsletter]
    theme: newsletter
  newsletter-be-fr:
    lists: [newsletter]
    theme: newsletter
    where: json_extract(attrs, '$.country') = 'BE' AND locale LIKE 'fr%'
YAML
}

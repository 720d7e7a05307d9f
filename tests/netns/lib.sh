# lib.sh - shared helpers for namespace integration tests (sourced).
# Each test gets its own sysplex instance (unique name), torn down by a trap
# whatever happens; all traffic goes to the addresses of that instance.
set -u
BIN=${BIN:-bin}
BIN=$(cd "$BIN" && pwd)
INST=${INST:-t$(( $$ % 100000 ))$(printf '%x' $(( RANDOM % 16 )))}
DVIPA=fd00:100::1
PORT=8080
# DATAPATH=BPF|TUN (optional): `sx up` builds the instance with that data
# path (sysplex up --datapath); unset, the default (BPF where it loads).
# `up` waits up to UP_TIMEOUT seconds (60; the launcher's default is 20) for
# the sysplex to form: a busy machine may make members flap a while first.
sx() {
	if [ "${1:-}" = up ]; then
		shift
		"$BIN/sysplex" --instance "$INST" up --timeout "${UP_TIMEOUT:-60}" \
			${DATAPATH:+--datapath "$DATAPATH"} "$@"
	else
		"$BIN/sysplex" --instance "$INST" "$@"
	fi
}
# The DVIPA as the host part of a URL or an ss filter: [IPv6], IPv4 as is
# (a test of an IPv4 DVIPA sets DVIPA after sourcing this file).
dvipa_host() { case $DVIPA in *:*) echo "[$DVIPA]" ;; *) echo "$DVIPA" ;; esac; }
# After a failure the instance's run directory (every daemon's log, the
# state, the SQLite files) is kept in $SYSPLEX_TEST_LOGS (default /tmp) for
# a post-mortem, then the instance is removed.
cleanup() {
	if [ -n "${FAILED:-}" ] && [ -d "/run/sysplex/$INST" ]; then
		local keep=${SYSPLEX_TEST_LOGS:-/tmp}/sysplex-$(basename "$0" .sh)-$INST
		rm -rf "$keep" && cp -r "/run/sysplex/$INST" "$keep" 2>/dev/null &&
			echo "  logs of instance $INST kept in $keep" >&2
	fi
	sx down >/dev/null 2>&1 || true
}
trap cleanup EXIT
# A signal ends the test through its EXIT trap (the test's own, which
# calls cleanup), so nothing goes on after `timeout` or Ctrl-C.
trap 'exit 130' INT
trap 'exit 143' TERM

# What each running stack says at the moment of a failure, before the
# test's trap ends its connections: the VCRT, the VDPT and the counters
# (the kernel path's too) as JSON, and the kernel's TCP sockets on the
# DVIPAs, into the run directory that cleanup keeps.  A test may define
# on_fail to add its own.
snapshot_failure() {
	local d sys c
	for d in "/run/sysplex/$INST"/*/; do
		sys=$(basename "$d")
		timeout 5 ip netns exec "$INST-$sys" ss -tinmoe > "$d/at-failure.ss" 2>/dev/null
		[ -S "$d/ctl.sock" ] || continue
		for c in 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' 'D TCPIP,TCPCS,NETSTAT,VDPT,DETAIL' 'SYSPLEX$STATS'; do
			echo "== $c"
			timeout 5 "$BIN/sysplex" --instance "$INST" cmd --system "$sys" --json "$c" 2>&1
		done > "$d/at-failure.json" 2>/dev/null
	done
	if declare -F on_fail >/dev/null; then on_fail 2>&1 | head -200; fi
}
fail() {
	echo "FAIL: $*" >&2
	[ -n "${FAILED:-}" ] || { FAILED=1; [ -d "/run/sysplex/$INST" ] && snapshot_failure; }
	exit 1
}
ok() { echo "  ok: $*"; }

# poll_until TIMEOUT_S CMD...: runs CMD every 100 ms until it succeeds.
poll_until() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# jqe JQ-ARGS...: `jq -e` on standard input, which fails (status 5) when the
# input is empty: jq 1.6's -e exits 0 on no input at all, so a check of a
# command that printed nothing (crashed, refused, timed out) would pass.
jqe() {
	local in
	in=$(cat)
	[ -n "$in" ] || { echo "jqe: no input" >&2; return 5; }
	printf '%s\n' "$in" | jq -e "$@"
}

# cmdj SYS 'COMMAND': JSON output of an operator command on SYS.
cmdj() { sx cmd --system "$1" --json "$2"; }
# in_host HOST CMD...: run inside a host of the instance (in the foreground;
# start background jobs with `ip netns exec "$INST-HOST" ...` so that $! is
# the program itself).
in_host() { local h=$1; shift; ip netns exec "$INST-$h" "$@"; }

# ---- held connections ----------------------------------------------------------
# A connection that must be alive during an action is held open explicitly: a
# download of HOLD_BYTES (10^15: years at any rate used here) paced by the
# sample server at RATE bytes/s, so it never ends by itself; the test ends it
# when it is done with it (end_held).  Never a transfer sized to be "probably
# long enough".
HOLD_BYTES=1000000000000000
held_url() { echo "http://$(dvipa_host):$PORT/bytes/$HOLD_BYTES?rate=$1"; }
# end_held PID...: ends held downloads by killing their clients (started in the
# background with `ip netns exec "$INST-HOST" curl ...`, so $! is curl itself)
# and reaps them.
end_held() {
	local p
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
	return 0
}
# rx_bytes HOST: "LOCALPORT BYTES_RECEIVED" for every established TCP
# connection of HOST to the DVIPA port (the kernel's own counters, ss -i).
rx_bytes() {
	in_host "$1" ss -Htin state established dst "$(dvipa_host):$PORT" | awk '
		$0 !~ /^[ \t]/ { n = split($3, a, ":"); port = a[n]; next }
		{ for (i = 1; i <= NF; i++) if ($i ~ /^bytes_received:/) { split($i, b, ":"); print port, b[2] } }'
}
# stalled HOST SNAPSHOT TIMEOUT [PORT...]: polls (every 0.2 s, for at most
# TIMEOUT s) until every connection of SNAPSHOT (a file of rx_bytes output
# taken earlier; only the given PORTs when some are given) has received more
# bytes than it had then, i.e. is alive and moving.  Prints the local ports of
# those that never did (closed or stuck); nothing when all are alive.
stalled() {
	local host=$1 snap=$2 deadline=$(( $(date +%s) + $3 )) left now; shift 3
	if [ $# -gt 0 ]; then
		left=$(printf '%s\n' "$@" | awk 'NR == FNR { want[$1] = 1; next } $1 in want' - "$snap")
	else
		left=$(cat "$snap")
	fi
	while [ -n "$left" ]; do
		now=$(rx_bytes "$host")
		left=$(awk 'NR == FNR { now[$1] = $2; next } !($1 in now) || now[$1] + 0 <= $2 + 0' \
			<(echo "$now") <(echo "$left"))
		[ -n "$left" ] && [ "$(date +%s)" -lt "$deadline" ] || break
		sleep 0.2
	done
	[ -z "$left" ] || echo "$left" | awk '{ print $1 }' | tr '\n' ' '
}
# check_pattern: reads a body of the sample server on stdin (byte i is
# i mod 251) and prints "BYTES intact" or "BYTES corrupt at OFFSET".
check_pattern() {
	python3 -c '
import sys
pat = bytes(i % 251 for i in range(251 * 1100))
f, n = sys.stdin.buffer, 0
while True:
    b = f.read(251 * 1024)
    if not b:
        break
    o = n % 251
    if b != pat[o:o + len(b)]:
        k = next(i for i in range(len(b)) if b[i] != (n + i) % 251)
        print(n + len(b), "corrupt at", n + k)
        sys.exit(0)
    n += len(b)
print(n, "intact")'
}

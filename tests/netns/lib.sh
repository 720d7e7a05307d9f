# lib.sh - shared helpers for namespace integration tests (sourced).
# Each test gets its own sysplex instance (unique name), torn down by a trap
# whatever happens; all traffic goes to the addresses of that instance.
set -u
BIN=${BIN:-bin}
BIN=$(cd "$BIN" && pwd)
INST=${INST:-t$(( $$ % 100000 ))$(printf '%x' $(( RANDOM % 16 )))}
DVIPA=fd00:100::1
PORT=8080
sx() { "$BIN/sysplex" --instance "$INST" "$@"; }
cleanup() { sx down >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }

# poll_until TIMEOUT_S CMD...: runs CMD every 100 ms until it succeeds.
poll_until() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# cmdj SYS 'COMMAND': JSON output of an operator command on SYS.
cmdj() { sx cmd --system "$1" --json "$2"; }
# in_host HOST CMD...: run inside a host of the instance (in the foreground;
# start background jobs with `ip netns exec "$INST-HOST" ...` so that $! is
# the program itself).
in_host() { local h=$1; shift; ip netns exec "$INST-$h" "$@"; }

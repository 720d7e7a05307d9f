#!/bin/bash
# tests/config/run.sh - tier 2: PROFILE golden files for `tcpip-stack -n`.
#
# What it proves:
#  - every tests/config/NAME.profile is accepted (exit 0) and printed exactly
#    as tests/config/NAME.out (the normalized form), and that normalized form
#    is a fixed point: `tcpip-stack -n NAME.out` prints it unchanged; the
#    statements it skips are listed on stderr exactly as tests/config/NAME.warn
#    says (nothing on stderr when there is no NAME.warn);
#  - every tests/config/NAME.bad is refused with exit status 1, nothing on
#    stdout, and exactly the one line of tests/config/NAME.err on stderr
#    ("FILE:LINE: STATEMENT: what is wrong", FILE as passed on the command line).
#
# Usage: BIN=bin tests/config/run.sh   (from anywhere; BIN defaults to bin,
# relative to the current directory).  The last line is "N passed, M failed";
# the exit status is non-zero when anything failed.
set -u

BIN=${BIN:-bin}
case $BIN in
/*) ;;
*) BIN=$PWD/$BIN ;;
esac
stack=$BIN/tcpip-stack
root=$(cd "$(dirname "$0")/../.." && pwd)

if [ ! -x "$stack" ]; then
	echo "run.sh: $stack not found; build it first (make)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
cd "$root" || exit 1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() {
	passed=$((passed + 1))
	echo "ok   $1"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL $1: $2"
}

for f in tests/config/*.profile; do
	[ -e "$f" ] || continue
	exp=${f%.profile}.out
	if [ ! -f "$exp" ]; then
		fail "$f" "missing $exp"
		continue
	fi
	"$stack" -n "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$f" "exit status $rc: $(head -1 "$tmp/err")"
		continue
	fi
	if ! diff -u "$exp" "$tmp/out" >"$tmp/diff"; then
		fail "$f" "output differs from $exp"
		cat "$tmp/diff"
		continue
	fi
	warn=${f%.profile}.warn
	[ -f "$warn" ] || warn=/dev/null
	if ! diff -u "$warn" "$tmp/err" >"$tmp/diff"; then
		fail "$f" "skipped-statement warnings differ from $warn"
		cat "$tmp/diff"
		continue
	fi
	# The normalized output must itself parse and print unchanged.
	"$stack" -n "$exp" >"$tmp/out2" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$f" "$exp does not parse again (exit $rc): $(head -1 "$tmp/err")"
		continue
	fi
	if ! diff -u "$exp" "$tmp/out2" >"$tmp/diff"; then
		fail "$f" "$exp is not a fixed point of -n"
		cat "$tmp/diff"
		continue
	fi
	pass "$f"
done

for f in tests/config/*.bad; do
	[ -e "$f" ] || continue
	exp=${f%.bad}.err
	if [ ! -f "$exp" ]; then
		fail "$f" "missing $exp"
		continue
	fi
	"$stack" -n "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 1 ]; then
		fail "$f" "exit status $rc, expected 1"
		continue
	fi
	if [ -s "$tmp/out" ]; then
		fail "$f" "printed something on stdout"
		continue
	fi
	if ! diff -u "$exp" "$tmp/err" >"$tmp/diff"; then
		fail "$f" "stderr differs from $exp"
		cat "$tmp/diff"
		continue
	fi
	pass "$f"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

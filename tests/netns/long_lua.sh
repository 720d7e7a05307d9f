#!/usr/bin/env bash
# Proves (`make test-long`): every lua-scripts/*.lua scenario also
# passes in its `long` form, and chaos.lua with three more seeds; none leaves
# a namespace or process behind.  Every scenario runs even when one fails;
# the daemons' logs of a failed run are kept in $SYSPLEX_TEST_LOGS (default
# /tmp) under sysplex-long-NAME-PID for a post-mortem.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
failed=""
one() { # NAME ARGS...: one run
	local name=$1 start=$(date +%s) logs; shift
	logs=$tmp/logs; rm -rf "$logs"
	if sx run --timeout 1200 --save-logs "$logs" "$@" > "$tmp/out" 2>&1; then
		echo "  ok: $name: $(tail -1 "$tmp/out" | sed 's/^.*: //') [$(( $(date +%s) - start )) s]"
	else
		grep -E '^(FAIL|ERROR)|lost:' "$tmp/out" | sed 's/^/    /'
		keep=${SYSPLEX_TEST_LOGS:-/tmp}/sysplex-long-$(echo "$name" | tr -c 'a-z0-9\n' '-')$$
		rm -rf "$keep"; mv "$logs" "$keep" 2>/dev/null; cp "$tmp/out" "$keep/run.out" 2>/dev/null
		echo "  FAILED: $name [$(( $(date +%s) - start )) s]; output and logs in $keep"
		failed="$failed $name"
	fi
	[ "$(ip netns list | grep -c "^$INST-")" = 0 ] && [ ! -e "/run/sysplex/$INST" ] || fail "$name left the instance behind"
}
for s in lua-scripts/*.lua; do
	one "$s long" "$s" long
done
for seed in 2 3 4; do
	one "chaos.lua --seed $seed" --seed $seed lua-scripts/chaos.lua
done
[ -z "$failed" ] || fail "failed:$failed"
exit 0

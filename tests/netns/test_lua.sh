#!/usr/bin/env bash
# Proves (Lua scenarios): every lua-scripts/*.lua scenario passes in
# its short form (each starts the default sysplex itself and removes it);
# the API works against a running sysplex (tests/lua/api.lua) and leaves an
# instance it did not start up; json_decode is strict; a failing expect
# exits 1 with FAIL and the script's line; a Lua error, an API misuse and a
# runaway loop exit 3 with SCRIPT:LINE; os.exit() and an error with loads,
# tasks and commands in flight leave no namespace or process behind.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT

# leak.lua's sleeps get an argument of this run's own (other tests may run
# leak.lua on the same machine at the same time).
SLEEP=300.$$$RANDOM
# Nothing of the instance may be left: namespaces, run directory, processes.
no_leftovers() {
	local what=$1 n p
	n=$(ip netns list | grep -c "^$INST-")
	[ "$n" = 0 ] || fail "$what: $n namespace(s) $INST-* left: $(ip netns list | grep "^$INST-" | tr '\n' ' ')"
	[ ! -e "/run/sysplex/$INST" ] || fail "$what: /run/sysplex/$INST left"
	p=$(ps -eo pid,args | grep -v grep | grep -E -- "--instance $INST |/run/sysplex/$INST/|sleep ${SLEEP//./[.]}( |$)" || true)
	[ -z "$p" ] || fail "$what: processes left: $p"
}
run() { sx run "$@" > "$tmp/out" 2>&1; echo $? > "$tmp/rc"; }
rc() { cat "$tmp/rc"; }

# 1. Fixtures that need no sysplex.
run tests/lua/json.lua
[ "$(rc)" = 0 ] || fail "json.lua: $(cat "$tmp/out")"
grep -q ' 0 failed' "$tmp/out" || fail "json.lua summary: $(tail -1 "$tmp/out")"
ok "json_decode: $(grep -c '^PASS' "$tmp/out") strict-parser cases"
run tests/lua/fail.lua
[ "$(rc)" = 1 ] || fail "a failing expect exited $(rc), not 1: $(cat "$tmp/out")"
grep -q '^FAIL .*one plus one is three  \[tests/lua/fail.lua:4\]' "$tmp/out" || fail "FAIL line: $(cat "$tmp/out")"
grep -q '^PASS .*runs on after a failure' "$tmp/out" || fail "the script stopped at the failure"
ok "a failing expect: FAIL with script:line, exit 1"
run tests/lua/error.lua
[ "$(rc)" = 3 ] || fail "a Lua error exited $(rc), not 3"
grep -q '^ERROR: tests/lua/error.lua:5: attempt to index a nil value' "$tmp/out" || fail "error line: $(cat "$tmp/out")"
ok "a Lua error: $(grep ^ERROR "$tmp/out")"
run tests/lua/api_misuse.lua
[ "$(rc)" = 3 ] && grep -q '^ERROR: tests/lua/api_misuse.lua:4: kill: ' "$tmp/out" || fail "API misuse: $(cat "$tmp/out")"
ok "an API misuse is reported at the script's line"
run --max-steps 2000000 tests/lua/runaway.lua
[ "$(rc)" = 3 ] && grep -q '^ERROR: tests/lua/runaway.lua:4: the script ran 2000000 instructions without waiting' "$tmp/out" \
	|| fail "runaway loop: $(cat "$tmp/out")"
ok "a runaway loop is stopped by the instruction hook"
no_leftovers "pure fixtures"

# 2. Clean-up guarantees.
run tests/lua/exit.lua
[ "$(rc)" = 0 ] || fail "os.exit(0) script exited $(rc): $(cat "$tmp/out")"
no_leftovers "os.exit() with a load running"
run tests/lua/leak.lua "$SLEEP"
[ "$(rc)" = 3 ] && grep -q 'stopping 3 child processes' "$tmp/out" && grep -q ' 1 passed, 0 failed' "$tmp/out" ||
	fail "leak.lua: $(cat "$tmp/out")"
no_leftovers "an error with a load, a task and two commands in flight"
ok "os.exit() and errors leave no namespace or process behind"

# 3. The API against a sysplex the script did not start: left up.
sx up >/dev/null || fail "sysplex up"
run tests/lua/api.lua
[ "$(rc)" = 0 ] || fail "api.lua: $(grep -v '^PASS' "$tmp/out")"
ok "api.lua: $(tail -1 "$tmp/out")"
sx status >/dev/null || fail "the instance the script did not start is gone"
sx down >/dev/null
no_leftovers "after sysplex down"

# 4. Every scenario, short form.
for s in lua-scripts/*.lua; do
	start=$(date +%s)
	run "$s"
	[ "$(rc)" = 0 ] || { cat "$tmp/out"; fail "$s exited $(rc)"; }
	no_leftovers "$s"
	echo "  ok: $s: $(tail -1 "$tmp/out" | sed 's/^.*: //') [$(( $(date +%s) - start )) s]"
done
exit 0

#!/usr/bin/env bash
# Proves (Sysplex Failure Management, a hung owner that resumes): with SYSA's
# VIPADEFINE MOVEABLE WHENIDLE, `sysplex hang SYSA` (SIGSTOP): SFM partitions
# SYSA out and SYSB takes the DVIPA over; endless downloads are routed by
# SYSB; `sysplex resume SYSA` 2 s after the hang: SYSA owns nothing from its
# first I/O callback on (its lease ran out while it was stopped), learns from
# the couple data set that it was partitioned out and rejoins as a new
# incarnation; WHENIDLE: it does not take the DVIPA back while SYSB still
# routes live connections, and takes it back once they ended.  Never two
# owners at once before, during and after.  RUNS=N repeats hang/resume/takeback
# N times in one sysplex (default 1; `RUNS=20 bash tests/netns/test_sfm_hang.sh`).
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'sfm_cleanup; sx resume SYSA >/dev/null 2>&1; cleanup; rm -rf "$tmp"' EXIT
. tests/netns/sfm_lib.sh
SYSTEMS="SYSA SYSB SYSC"
RUNS=${RUNS:-1}
cat > "$tmp/topo.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("MOVEABLE IMMEDIATE", "MOVEABLE WHENIDLE")
return t
LUA

sx up "$tmp/topo.lua" >/dev/null || fail "sysplex up"
is_owner SYSA || fail "SYSA does not own the DVIPA after up"
log=/run/sysplex/$INST/SYSA/stack.log
for run in $(seq "$RUNS"); do
	watch_start "$DVIPA" $SYSTEMS
	inc=$(slot SYSA SYSB incarnation)
	learned=$(grep -c "IXC105I SYSA IS NO LONGER ACTIVE IN SYSPLEX .*PARTITIONED OUT BY" "$log")
	t0=$(date +%s%N)
	sx hang SYSA >/dev/null || fail "run $run: sysplex hang SYSA"
	# (SYSA is stopped: only the others are asked.)
	b_owns() { [ "$(owner_of SYSB SYSC)" = SYSB ]; }
	poll_until 30 b_owns || fail "run $run: SYSB did not take over from the hung SYSA (owner '$(owner_of SYSB SYSC)')"
	takeover=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$(slot SYSA SYSB status)" = PARTITIONED ] || fail "run $run: SYSA's slot: $(slot SYSA SYSB status)"
	ports=$(seq $((46000 + run * 10)) $((46003 + run * 10)))
	dl_start CLIENT1 $ports
	routed() { for p in $ports; do [ -n "$(routed_to SYSB $p)" ] || return 1; done; }
	poll_until 20 routed || fail "run $run: SYSB does not route the downloads: $(routing_diag SYSB CLIENT1 $ports)"
	while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 2000 ]; do sleep 0.05; done
	sx resume SYSA >/dev/null || fail "run $run: sysplex resume SYSA"
	rejoined() { [ "$(slot SYSA SYSB status)" = ACTIVE ] && [ "$(slot SYSA SYSB incarnation)" != "$inc" ] &&
		[ "$(member SYSA SYSB)" = ACTIVE ]; }
	poll_until 30 rejoined || fail "run $run: SYSA did not rejoin as a new incarnation ($(slot SYSA SYSB status))"
	[ "$(grep -c "IXC105I SYSA IS NO LONGER ACTIVE IN SYSPLEX .*PARTITIONED OUT BY" "$log")" -gt "$learned" ] ||
		fail "run $run: the resumed SYSA did not learn it was partitioned out"
	# WHENIDLE: SYSB keeps the DVIPA while it routes live connections.
	n=$(whenidle_hold "run $run" $ports) || exit 1
	dl_stop
	poll_until 30 is_owner SYSA || fail "run $run: SYSA did not take the DVIPA back once SYSB was idle (owner '$(owner_of $SYSTEMS)')"
	listening $SYSTEMS
	poll_until 20 serve CLIENT2 || fail "run $run: no service after the takeback"
	out=$(watch_stop)
	echo "$out" | grep -q ' doubles 0$' || fail "run $run: $(echo "$out" | tr '\n' ';')"
	ok "run $run: hung SYSA partitioned out, SYSB owner ${takeover} ms after the hang; resumed SYSA rejoined as a new incarnation, waited $n samples while SYSB routed connections (WHENIDLE), then took the DVIPA back; never two owners at once ($(echo "$out" | tail -1)); $(cmdj SYSB 'D XCF,COUPLE' | jq -r '.self | "SYSB: \(.lease_lapses) lease lapses, slowest status update \(.update_ms_max) ms"')"
done
exit 0

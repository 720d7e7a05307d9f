#!/usr/bin/env bash
# takeover.sh - kill -9 of the routing stack SYSA, RUNS (default 20) times, in
# the three-system default sysplex and in the two-system one
# (sysplex/topologies/two.lua), in the same run: the time from the kill to
# the first new connection served by the backup SYSB (median, p90, p99, max)
# and how many of 40 live connections to the surviving targets were lost
# across all cycles.  The backup takes over once Sysplex Failure Management
# has partitioned SYSA out through the couple data set (SYSA's lease has run
# out: LEASE 400 ms + ISOLATE margin), in both sysplexes.
#
# Each cycle: SYSA quiesced as a target (so the kill measures takeover, not
# the loss of SYSA's own connections); 40 endless paced downloads (2^40 bytes
# at 20 kB/s) from CLIENT1 routed to the other targets; kill -9 SYSA; a new
# connection from CLIENT2 every 10 ms (0.1 s timeout each, so the figure is
# at most about 110 ms late) until one is served (the probe client has no
# Mobile IPv6 bindings of its own: a new connection could otherwise reuse the
# port of a bound download and reach a target directly, past the takeover;
# the two-system topology gets a second client for that);
# restart SYSA and wait for its takeback; every download must still be
# receiving (else it counts as lost); then the test ends them.
# Then the same in the routed topology (sysplex/topologies/routed.lua: the
# systems on two segments, the clients on a third, routers between them,
# OSPF and BFD by FRR): `routed` kills the stack (its host route goes with
# its TUN; the backup advertises the DVIPA once it took over), `routed_bfd`
# the whole system (`kill SYSA --routing`: its FRR too, so the routers learn
# of it by BFD).  The time then includes OSPF's reconvergence.
# Prints numbers; asserts nothing.  Reference: keepalived's VRRP default
# failover is about 3 s (advert_int 1 s x 3).
set -u
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}; BIN=$(cd "$BIN" && pwd)
RUNS=${RUNS:-20}
INST=bt$$
DVIPA=fd00:100::1
. bench/lib.sh
tmp=$(mktemp -d)
trap 'dl_stop; sx down >/dev/null 2>&1; rm -rf "$tmp"' EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
owner() { local s; for s in $SYSTEMS; do sx cmd --system $s 'SYSPLEX$ROLE' 2>/dev/null | grep -q " ACTIVE DIST" && echo $s; done; }
records() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' 2>/dev/null | jq '.records // 0'; }
routed40() { [ "$(records)" -ge 40 ]; }
a_owns() { [ "$(owner)" = SYSA ]; }

DL_PIDS=""
dl_stop() { [ -n "$DL_PIDS" ] && kill $DL_PIDS 2>/dev/null; wait $DL_PIDS 2>/dev/null; DL_PIDS=""; return 0; }
# dl_start CLIENT N: N endless downloads from CLIENT into $tmp/dl.CLIENT.i
dl_start() {
	local i
	for i in $(seq "$2"); do
		ip netns exec "$INST-$1" curl -s -o "$tmp/dl.$1.$i" "http://[$DVIPA]:8080/bytes/1099511627776?rate=20000" &
		DL_PIDS="$DL_PIDS $!"
	done
}
# dl_flowing: how many downloads are alive and grow by 10 kB (20 s at most).
dl_flowing() {
	local f n=0 end=$(( $(date +%s) + 20 )); declare -A base
	for f in "$tmp"/dl.*; do base[$f]=$(stat -c %s "$f"); done
	for f in "$tmp"/dl.*; do
		while [ "$(stat -c %s "$f")" -lt $(( ${base[$f]} + 10000 )) ] && [ "$(date +%s)" -lt "$end" ]; do
			sleep 0.1
		done
		[ "$(stat -c %s "$f")" -ge $(( ${base[$f]} + 10000 )) ] && n=$((n + 1))
	done
	echo $n
}

# measure LABEL TOPOLOGY PROBE CLIENT...: RUNS cycles; sets MEDIAN_<LABEL>.
measure() {
	local label=$1 topo=$2 probe=$3; shift 3
	local clients="$*" per=$(( 40 / $# )) r c t0 ok lost=0 total=0 times=()
	sx up $topo >/dev/null || die "sysplex up $topo failed"
	SYSTEMS=$(sx status --json | jq -r '.hosts[] | select(.role == "system") | .name' | tr '\n' ' ')
	say "== $label: systems $SYSTEMS, probe $probe, $RUNS runs"
	for r in $(seq "$RUNS"); do
		rm -f "$tmp"/dl.*.*
		sx cmd --system SYSA 'V TCPIP,TCPCS,SYSPLEX,QUIESCE,TARGET' >/dev/null
		for c in $clients; do dl_start $c $per; done
		poll_until 20 routed40 || die "$label run $r: only $(records) connections routed"
		t0=$(now_ms)
		sx kill SYSA ${KILL:-} >/dev/null
		while :; do
			if ip netns exec "$INST-$probe" curl -s -m 0.1 -H 'Connection: close' "http://[$DVIPA]:8080/" 2>/dev/null | grep -q SYS; then
				break
			fi
			[ $(( $(now_ms) - t0 )) -gt 10000 ] && break
			sleep 0.01
		done
		times+=($(( $(now_ms) - t0 )))
		sx restart SYSA >/dev/null
		poll_until 20 a_owns || say "  (run $r: SYSA did not take the DVIPA back)"
		ok=$(dl_flowing)
		dl_stop
		lost=$((lost + 40 - ok)); total=$((total + 40))
		printf '  run %2d: first new connection after %5d ms; %d of 40 downloads still flowing\n' "$r" "${times[-1]}" "$ok"
	done
	sx down >/dev/null
	local sorted=($(printf '%s\n' "${times[@]}" | sort -n)) n=${#times[@]}
	pct() { local i=$(( ($1 * n + 99) / 100 - 1 )); [ $i -lt 0 ] && i=0; echo "${sorted[$i]}"; }
	say "takeover, $label, over $n kill -9 runs of the routing stack (time to first new connection served):"
	printf '  median %d ms   p90 %d ms   p99 %d ms   max %d ms\n' "$(pct 50)" "$(pct 90)" "$(pct 99)" "${sorted[$((n - 1))]}"
	printf '  connections lost: %d of %d live connections to surviving targets\n' "$lost" "$total"
	fig "takeover_ms_median_$label" "$(pct 50)" ms "$label"
	eval "MEDIAN_$label=$(pct 50)"
}

cat > "$tmp/two.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/two.lua")
t.clients[2] = { name = "CLIENT2", lan = "fd00:1::102", agent = true }
return t
LUA
measure 3sys "" CLIENT2 CLIENT1
measure 2sys "$tmp/two.lua" CLIENT2 CLIENT1
# The routed topology: the same three systems, each segment behind a router
# (OSPF, BFD by FRR).  The stack's death withdraws its host route at once
# (it goes with its TUN); the whole system's death (--routing: FRR killed
# too) is detected by the routers' BFD.
measure routed sysplex/topologies/routed.lua CLIENT2 CLIENT1
KILL=--routing measure routed_bfd sysplex/topologies/routed.lua CLIENT2 CLIENT1
say ""
say "same run: 2-system median ${MEDIAN_2sys} ms, 3-system median ${MEDIAN_3sys} ms (ratio 2/3 = $(ratio "$MEDIAN_2sys" "$MEDIAN_3sys"))"
say "same run: routed (OSPF) median ${MEDIAN_routed} ms, one LAN (3-system) median ${MEDIAN_3sys} ms (ratio routed/LAN = $(ratio "$MEDIAN_routed" "$MEDIAN_3sys"))"
say "same run: routed, system dead (BFD) median ${MEDIAN_routed_bfd} ms, one LAN median ${MEDIAN_3sys} ms (ratio = $(ratio "$MEDIAN_routed_bfd" "$MEDIAN_3sys"))"
say "reference: keepalived VRRP default failover about 3000 ms; ratio 2-system median/3000 = $(ratio "$MEDIAN_2sys" 3000)"

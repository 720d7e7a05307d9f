#!/usr/bin/env bash
# Proves: full-size uploads through the DVIPA do not stall, bypassed or not:
# a real iperf3 (control and data connections kept on one target by
# TIMEDAFFINITY) sends for 3 s and is still moving data in its last second
# (a stalled path delivers a window's worth and stops; the rate itself is
# reported, not asserted) from CLIENT1 (agent: MTU leaves room for the RH2)
# and from CLIENT2 after its agent is stopped (1500-byte packets: the routing
# stack answers with its own Packet Too Big quoting the client's packet, so
# the client lowers its path MTU and goes on).
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/topo.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("MOBILEIPV6 DVIPA1 PORT 8080", "MOBILEIPV6 TIMEDAFFINITY 60 DVIPA1 PORT 8080 5201")
return t
LUA
sx up "$tmp/topo.lua" >/dev/null || fail "sysplex up"
for s in SYSA SYSB SYSC; do sx exec $s -- iperf3 -s -D -p 5201 >/dev/null || fail "iperf3 server on $s"; done
rdy() { [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq '[.vdpt[] | select(.port == 5201 and .rdy > 0)] | length')" = 3 ]; }
poll_until 30 rdy || fail "iperf3 listeners not ready: $(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -c .vdpt)"
# up HOST: a 3 s upload; prints "BYTES_RECEIVED LAST_SECOND_BYTES MBIT/S".
up() {
	in_host "$1" timeout 120 iperf3 -c "$DVIPA" -p 5201 -t 3 -J > "$tmp/$1.json" 2>&1 ||
		fail "iperf3 from $1: $(tail -3 "$tmp/$1.json")"
	jq -r '"\(.end.sum_received.bytes) \(.intervals[-1].sum.bytes) \(.end.sum_received.bits_per_second / 1e6 | round)"' "$tmp/$1.json"
}
read -r b1 l1 r1 <<<"$(up CLIENT1)"
[ "$b1" -gt 1000000 ] && [ "$l1" -gt 0 ] || fail "upload from CLIENT1 (agent) stalled: $b1 bytes, $l1 in the last second"
ok "CLIENT1 (agent) uploaded $b1 bytes in 3 s, still moving at the end ($r1 Mbit/s)"
pid=$(awk '$1 == "proc" && $2 == "CLIENT2" && $3 == "agent" {print $4}' "/run/sysplex/$INST/state")
kill "$pid"
noagent() { ! in_host CLIENT2 ip link show mip0 >/dev/null 2>&1; }
poll_until 30 noagent || fail "CLIENT2's agent did not stop"
read -r b2 l2 r2 <<<"$(up CLIENT2)"
[ "$b2" -gt 1000000 ] && [ "$l2" -gt 0 ] || fail "upload from CLIENT2 (no agent) stalled: $b2 bytes, $l2 in the last second"
ptb=$(cmdj SYSA SYSPLEX\$STATS | jq .ptb_sent)
ok "CLIENT2 (no agent) uploaded $b2 bytes in 3 s, still moving at the end ($r2 Mbit/s); the routing stack sent $ptb Packet Too Big"
exit 0

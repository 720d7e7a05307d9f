#!/usr/bin/env bash
# Proves: full-size uploads through the DVIPA do not stall, bypassed or not:
# a real iperf3 (control and data connections kept on one target by
# TIMEDAFFINITY) sends for 3 s and is still moving data in its last second
# (a stalled path delivers a window's worth and stops; the rate itself is
# reported, not asserted) from CLIENT1 (agent: MTU leaves room for the RH2)
# and from CLIENT2 after its agent is stopped (1500-byte packets: the routing
# stack answers with its own Packet Too Big quoting the client's packet, so
# the client lowers its path MTU and goes on).  In the kernel data path the
# targets' programs strip the RH2 of whole GSO super-packets.
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
if [ "${DATAPATH:-BPF}" = BPF ]; then
	# The targets' programs stripped the RH2 of 64 KB GSO super-packets
	# whole: more wire segments than program runs (and nothing was left
	# to the daemons' TUNs but the first packets).
	segs=0; runs=0
	for s in SYSA SYSB SYSC; do
		st=$(cmdj $s SYSPLEX\$STATS)
		segs=$((segs + $(echo "$st" | jq '[.kernel.dvipas[]?.strip_pkts] | add // 0')))
		runs=$((runs + $(echo "$st" | jq '.kernel.program.strip // 0')))
	done
	[ "$runs" -gt 0 ] && [ "$segs" -gt "$runs" ] || fail "no GSO packet stripped in the kernel: $segs segments in $runs program runs"
	ok "targets' programs stripped $segs segments in $runs runs (GSO super-packets whole)"
fi
pid=$(awk '$1 == "proc" && $2 == "CLIENT2" && $3 == "agent" {print $4}' "/run/sysplex/$INST/state")
kill "$pid"
noagent() { ! in_host CLIENT2 ip link show mip0 >/dev/null 2>&1; }
poll_until 30 noagent || fail "CLIENT2's agent did not stop"
# local5201: connections SYSA's VDPT counts for port 5201 on SYSA itself.
local5201() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq '[.vdpt[] | select(.port == 5201 and .destname == "SYSATCPCS") | .totalconn] | add // 0'; }
own0=$(local5201)
read -r b2 l2 r2 <<<"$(up CLIENT2)"
[ "$b2" -gt 1000000 ] && [ "$l2" -gt 0 ] || fail "upload from CLIENT2 (no agent) stalled: $b2 bytes, $l2 in the last second"
ptb=$(cmdj SYSA SYSPLEX\$STATS | jq .ptb_sent)
if [ "$(local5201)" -gt "$own0" ]; then
	# The upload landed on SYSA itself: no RH2 is added, so none is needed.
	ok "CLIENT2 (no agent) uploaded $b2 bytes in 3 s to SYSA itself, still moving at the end ($r2 Mbit/s); $ptb Packet Too Big"
else
	# Forwarded to another target, whatever the data path: the program
	# leaves a packet that would not fit once the RH2 is in to the daemon,
	# which answers with a Packet Too Big.
	[ "$ptb" -gt 0 ] || fail "the routing stack sent no Packet Too Big to CLIENT2's 1500-byte packets forwarded to another target"
	ok "CLIENT2 (no agent) uploaded $b2 bytes in 3 s, still moving at the end ($r2 Mbit/s); the routing stack sent $ptb Packet Too Big"
fi
exit 0

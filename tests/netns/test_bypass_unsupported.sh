#!/usr/bin/env bash
# Proves: a target that does not support the optimization
# (IPCONFIG6 NOMOBILEIPV6 in SYSC's profile) keeps its connections routed
# through the distributor: they stay BYPASS NONE while the routing stack's
# per-connection counter grows, and no Mobile IPv6 message is sent for them;
# connections to the other targets of the same DVIPA are still bound.
. tests/netns/lib.sh
tmp=$(mktemp -d); pids=""; trap 'kill $pids 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/topo.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[3].profile = t.systems[3].profile:gsub("IPCONFIG6 DYNAMICXCF fd00:10::3", "IPCONFIG6 DYNAMICXCF fd00:10::3 NOMOBILEIPV6")
return t
LUA
vcrt() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL'; }
sx up "$tmp/topo.lua" >/dev/null || fail "sysplex up"
# Six downloads held open (paced, unbounded) until the test ends them.
for p in 42001 42002 42003 42004 42005 42006; do
	ip netns exec "$INST-CLIENT1" curl -s --local-port $p -o /dev/null "$(held_url 1000000)" &
	pids="$pids $!"
done
six() { [ "$(vcrt | jq '[.vcrt[] | select(.sport >= 42001 and .sport <= 42006 and .state == "ESTABLISHED")] | length')" = 6 ]; }
poll_until 60 six || fail "the six connections are not all in the VCRT"
settled() { [ "$(vcrt | jq '[.vcrt[] | select(.sport >= 42001 and .sport <= 42006 and .destxcf != "fd00:10::3" and .bypass != "BOUND")] | length')" = 0 ]; }
poll_until 60 settled || fail "connections to SYSA/SYSB were not bound: $(vcrt | jq -c '[.vcrt[] | [.sport,.destxcf,.bypass]]')"
n3=$(vcrt | jq '[.vcrt[] | select(.sport >= 42001 and .sport <= 42006 and .destxcf == "fd00:10::3")] | length')
[ "$n3" -ge 1 ] || fail "no connection went to SYSC"
sp=$(vcrt | jq '[.vcrt[] | select(.sport >= 42001 and .sport <= 42006 and .destxcf == "fd00:10::3")][0].sport')
pk() { vcrt | jq ".vcrt[] | select(.sport == $sp) | .fwdpkts"; }
c1=$(pk)
grew() { c2=$(pk); [ -n "$c2" ] && [ "$c2" -gt "$c1" ]; }
poll_until 30 grew || fail "routing stack did not forward SYSC's connection ..$sp ($c1 -> $(pk))"
vcrt | jqe '[.vcrt[] | select(.destxcf == "fd00:10::3" and .bypass != "NONE")] | length == 0' >/dev/null || fail "a connection to SYSC left NONE"
ok "$n3 connections to SYSC (NOMOBILEIPV6) stay routed (..$sp: $c1 -> $c2 packets); the others are bound"
rx_bytes CLIENT1 > "$tmp/rx"
[ "$(wc -l < "$tmp/rx")" = 6 ] || fail "not six connections: $(cat "$tmp/rx")"
s=$(stalled CLIENT1 "$tmp/rx" 60)
[ -z "$s" ] || fail "connection(s) ..$s stopped receiving"
end_held $pids
ok "all six kept receiving, bound or routed; ended by the test"
exit 0

#!/usr/bin/env bash
# Proves: a target's connection report that was sent before the routing
# stack's binding information request (BIND_INFO) reached it does not undo the
# binding at the routing stack, so the connection's end still sends the
# deleting BU.  Before the fix every full report overwrote the routing
# stack's bypass state with the target's view: a report sent in the window
# between the BA's copy and the BIND_INFO said NONE for a connection just
# bound, its end sent no deleting BU, and the client's binding outlived the
# connection (long chaos runs under load left 1 to 20 bindings behind in
# most runs; in a capture, SYSC's report listing the connection as NONE came
# 80 ms after SYSA had sent the BIND_INFO, and SYSC's END found it NONE).
# Fails before the fix at the second step.
#
# The window is made as long as the test needs, without timing: SYSA's
# directed bus messages to SYSC (BIND_INFO) are dropped by nftables in
# SYSA's namespace while SYSC's reports to SYSA, the group messages and the
# heartbeats go on.  Three held downloads (paced, endless, ended by the test)
# from fixed ports, one per target (ROUNDROBIN); the one on SYSC is watched.
. tests/netns/lib.sh
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; cleanup; rm -rf "$tmp"' EXIT

agent() { sx exec CLIENT1 -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/CLIENT1"; }
vcrt() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL'; }
full_reports() { cmdj SYSC SYSPLEX\$STATS | jq .full_reports; }

sx up >/dev/null || fail "sysplex up"
in_host SYSA nft -f - <<'NFT' || fail "nftables rule in SYSA"
table ip6 report_race {
	chain out {
		type filter hook output priority 0;
		ip6 daddr fd00:1::3 tcp dport 7000 drop
	}
}
NFT
ok "SYSA's directed bus messages to SYSC are dropped (reports from SYSC still flow)"

for port in 42201 42202 42203; do
	ip netns exec "$INST-CLIENT1" curl -s -o /dev/null --local-port $port \
		"$(held_url 100000)" &
	pids="$pids $!"
done
on_sysc() { vcrt | jqe '[.vcrt[] | select(.destxcf == "fd00:10::3" and .bypass == "BOUND" and .sport >= 42201 and .sport <= 42203)] | length == 1' >/dev/null; }
poll_until 30 on_sysc || fail "no bound download on SYSC: $(vcrt | jq -c .vcrt)"
sp=$(vcrt | jq '.vcrt[] | select(.destxcf == "fd00:10::3" and .sport >= 42201 and .sport <= 42203) | .sport')
r0=$(full_reports)
[ "$(cmdj SYSC 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jq -r ".vcrt[] | select(.sport == $sp) | .bypass")" = NONE ] ||
	fail "SYSC got the BIND_INFO despite the rule: the test proves nothing"
ok "connection ..$sp on SYSC bound at the routing stack; SYSC (no BIND_INFO) still says NONE"

# Two more full reports from SYSC, each listing the connection as NONE
# (asked for: a target sends them only when the routing stack asks).
cmdj SYSC 'SYSPLEX$REPORT' >/dev/null && cmdj SYSC 'SYSPLEX$REPORT' >/dev/null ||
	fail "SYSPLEX\$REPORT"
reported() { [ "$(full_reports)" -ge $((r0 + 2)) ]; }
poll_until 30 reported || fail "SYSC sent no full report"
st=$(vcrt | jq -r ".vcrt[] | select(.sport == $sp) | .bypass")
[ "$st" = BOUND ] || fail "SYSC's report turned the routing stack's binding of ..$sp into $st"
ok "after $(( $(full_reports) - r0 )) full reports from SYSC saying NONE, SYSA still has ..$sp BOUND"

# Their ends: the routing stack sends a deleting BU for each (the agent may
# already have dropped its entry on the client's RST: it is the routing
# stack's count that tells).
d0=$(cmdj SYSA SYSPLEX\$STATS | jq .mip6.deletes)
kill $pids; pids=""
wait 2>/dev/null
deleted() { [ "$(cmdj SYSA SYSPLEX\$STATS | jq .mip6.deletes)" -ge $((d0 + 3)) ]; }
poll_until 30 deleted || fail "deleting BUs sent: $(( $(cmdj SYSA SYSPLEX\$STATS | jq .mip6.deletes) - d0 )) of 3 ($(cmdj SYSA SYSPLEX\$STATS | jq -c .mip6))"
nobind() { [ "$(agent | jq .records)" = 0 ]; }
poll_until 30 nobind || fail "bindings left: $(agent | jq -c .bindings)"
ok "the three downloads ended: the routing stack sent 3 deleting BUs, no binding left"
exit 0

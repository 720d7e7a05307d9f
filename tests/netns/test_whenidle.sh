#!/usr/bin/env bash
# Proves (takeback WHENIDLE): with VIPADEFINE MOVEABLE WHENIDLE, the
# VIPADEFINE stack that comes back does not take the DVIPA while the backup
# that took it over still routes connections for it (six connections held
# open by the test, ownership sampled for 2 s once SYSA has rejoined); it
# takes it back once the test has ended them, and none was lost on the way.
. tests/netns/lib.sh
tmp=$(mktemp -d); pids=""; trap 'kill $pids 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/topo.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("MOVEABLE IMMEDIATE", "MOVEABLE WHENIDLE")
return t
LUA
owner() { for s in SYSA SYSB SYSC; do sx cmd --system $s SYSPLEX\$ROLE 2>/dev/null | grep -q "^$DVIPA ACTIVE DIST" && echo $s; done; }
sx up "$tmp/topo.lua" >/dev/null || fail "sysplex up"
sx kill SYSA >/dev/null || fail "kill SYSA"
isb() { [ "$(owner)" = SYSB ]; }
poll_until 30 isb || fail "SYSB did not take over (owner '$(owner)')"
# Six downloads held open (paced, unbounded), routed by SYSB to SYSB and SYSC.
for p in 44001 44002 44003 44004 44005 44006; do
	ip netns exec "$INST-CLIENT1" curl -s --local-port $p -o /dev/null -w '%{http_code} %{size_download} %{exitcode}\n' \
		"$(held_url 100000)" >> "$tmp/out" &
	pids="$pids $!"
done
busy() { [ "$(cmdj SYSB 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.sport >= 44001 and .sport <= 44006)] | length')" -ge 4 ]; }
poll_until 60 busy || fail "SYSB does not route the downloads"
sx restart SYSA >/dev/null || fail "restart SYSA"
# SYSA has rejoined: SYSB sees it ACTIVE in EZBTCPCS and SYSA knows the DVIPA.
rejoined() {
	cmdj SYSB 'D XCF,GROUP,EZBTCPCS' | jqe '.members[] | select(.mvsname == "SYSA" and .status == "ACTIVE")' &&
		cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VIPADYN' | jqe ".vipadyn[] | select(.ipaddr == \"$DVIPA\")"
}
poll_until 60 rejoined || fail "SYSA did not rejoin after its restart"
end=$(( $(date +%s%N) + 2000000000 )); n=0
while [ "$(date +%s%N)" -lt "$end" ]; do
	o=$(owner); [ "$o" = SYSB ] || fail "owner became '$o' while SYSB still had connections (WHENIDLE)"
	n=$((n + 1)); sleep 0.1
done
ok "SYSA is back ($(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VIPADYN' | jq -r ".vipadyn[] | select(.ipaddr == \"$DVIPA\") | .status")), but SYSB keeps the DVIPA while it routes connections ($n samples)"
rx_bytes CLIENT1 > "$tmp/rx"
[ "$(wc -l < "$tmp/rx")" = 6 ] || fail "downloads lost: $(cat "$tmp/rx") ended on their own: $(cat "$tmp/out")"
s=$(stalled CLIENT1 "$tmp/rx" 60)
[ -z "$s" ] || fail "download(s) ..$s stopped receiving"
end_held $pids
isa() { [ "$(owner)" = SYSA ]; }
poll_until 60 isa || fail "SYSA did not take the DVIPA back once idle (owner '$(owner)')"
ok "all 6 downloads kept receiving until the test ended them; once idle, SYSA took the DVIPA back (WHENIDLE)"
exit 0

#!/usr/bin/env bash
# Proves (takeback WHENIDLE): with VIPADEFINE MOVEABLE WHENIDLE, the
# VIPADEFINE stack that comes back does not take the DVIPA while the backup
# that took it over still routes connections for it; it takes it back once
# they have ended, and no connection is lost on the way.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/topo.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("MOVEABLE IMMEDIATE", "MOVEABLE WHENIDLE")
return t
LUA
owner() { for s in SYSA SYSB SYSC; do sx cmd --system $s SYSPLEX\$ROLE 2>/dev/null | grep -q ' ACTIVE DIST' && echo $s; done; }
sx up "$tmp/topo.lua" >/dev/null || fail "sysplex up"
sx kill SYSA >/dev/null || fail "kill SYSA"
isb() { [ "$(owner)" = SYSB ]; }
poll_until 5 isb || fail "SYSB did not take over (owner '$(owner)')"
# Six downloads of about 6 s, routed by SYSB to SYSB and SYSC.
for p in 44001 44002 44003 44004 44005 44006; do
	ip netns exec "$INST-CLIENT1" curl -s -m 30 --local-port $p -o /dev/null -w '%{http_code} %{size_download}\n' \
		"http://[$DVIPA]:$PORT/bytes/600000?rate=100000" >> "$tmp/out" &
done
busy() { [ "$(cmdj SYSB 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.sport >= 44001 and .sport <= 44006)] | length')" -ge 4 ]; }
poll_until 5 busy || fail "SYSB does not route the downloads"
sx restart SYSA >/dev/null || fail "restart SYSA"
end=$(( $(date +%s%N) + 2000000000 )); n=0
while [ "$(date +%s%N)" -lt "$end" ]; do
	o=$(owner); [ "$o" = SYSB ] || fail "owner became '$o' while SYSB still had connections (WHENIDLE)"
	n=$((n + 1)); sleep 0.1
done
ok "SYSA is back, but SYSB keeps the DVIPA while it routes connections ($n samples)"
wait
[ "$(grep -c '^200 600000$' "$tmp/out")" = 6 ] || fail "downloads lost: $(cat "$tmp/out")"
isa() { [ "$(owner)" = SYSA ]; }
poll_until 15 isa || fail "SYSA did not take the DVIPA back once idle (owner '$(owner)')"
ok "all 6 downloads completed; once idle, SYSA took the DVIPA back (WHENIDLE)"
exit 0

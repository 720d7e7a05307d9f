#!/usr/bin/env bash
# Proves: VIPARANGE application-instance DVIPAs.  SYSB's PROFILE has
# VIPARANGE DEFINE APPL6 fd00:200::/64.  A server started on SYSB that binds
# fd00:200::5 (an address no interface has) makes SYSB create the DVIPA
# (EZD1204I ... USING BIND): D TCPIP,,SYSPLEX,VIPADYN on every system shows
# it ACTIVE on SYSB with ORIGIN VIPARANGE BIND, NETSTAT,VIPADYN on SYSB too,
# and a client's request to it is answered by that server.  When the server
# exits the DVIPA goes: gone from the displays, the request fails.  A bind
# outside the range makes nothing.
. tests/netns/lib.sh
tmp=$(mktemp -d); srv=""; out=""
trap 'kill $srv $out 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/range.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[2].profile = t.systems[2].profile:gsub("ENDVIPADYNAMIC",
	"  VIPARANGE DEFINE APPL6 fd00:200::/64\nENDVIPADYNAMIC")
t.client_routes = { "fd00:100::/64", "fd00:200::/64" }
return t
LUA
sx up "$tmp/range.lua" >/dev/null || fail "sysplex up"
A=fd00:200::5
cfg=$(cmdj SYSB 'D TCPIP,TCPCS,NETSTAT,VIPADCFG')
echo "$cfg" | jqe '.profile | test("VIPARANGE")' >/dev/null || fail "VIPADCFG profile lacks the VIPARANGE: $cfg"
has() { cmdj "$1" 'D TCPIP,,SYSPLEX,VIPADYN' | jqe ".sysplex_vipadyn[] | select(.ipaddr == \"$A\" and .mvsname == \"SYSB\" and .status == \"ACTIVE\" and .origin == \"VIPARANGE BIND\")" >/dev/null; }
none() { cmdj "$1" 'D TCPIP,,SYSPLEX,VIPADYN' | jqe "[.sysplex_vipadyn[] | select(.ipaddr == \"$A\")] | length == 0" >/dev/null; }
none SYSA && none SYSB || fail "the DVIPA exists before any bind"

# A bind outside the range makes nothing.
ip netns exec "$INST-SYSB" "$BIN/sysplex-httpd" -a fd00:201::5 -p 8090 -n OUT > "$tmp/out.log" 2>&1 &
out=$!
ip netns exec "$INST-SYSB" "$BIN/sysplex-httpd" -a "$A" -p 8090 -n APPL > "$tmp/httpd.log" 2>&1 &
srv=$!
poll_until 30 has SYSB || fail "no DVIPA $A after the bind: $(sx cmd --system SYSB 'D TCPIP,,SYSPLEX,VIPADYN')"
poll_until 30 has SYSA || fail "SYSA does not see $A ACTIVE on SYSB"
grep -q "EZD1204I DYNAMIC VIPA $A WAS CREATED USING BIND BY TCPCS" "/run/sysplex/$INST/SYSB/stack.log" || fail "no EZD1204I ... USING BIND"
# (Polls: on a loaded machine a stack may lose its couple data set lease for
# a moment and give its DVIPAs up; it takes them again at once.)
netstat() { cmdj SYSB 'D TCPIP,TCPCS,NETSTAT,VIPADYN' | jqe ".vipadyn[] | select(.ipaddr == \"$A\" and .origin == \"VIPARANGE BIND\" and .status == \"ACTIVE\")" >/dev/null; }
poll_until 30 netstat || fail "NETSTAT,VIPADYN on SYSB: $(cmdj SYSB 'D TCPIP,TCPCS,NETSTAT,VIPADYN')"
text() { sx cmd --system SYSA 'D TCPIP,,SYSPLEX,VIPADYN' | grep -q "ORIGIN: VIPARANGE BIND"; }
poll_until 30 text || fail "text display lacks ORIGIN: $(sx cmd --system SYSA 'D TCPIP,,SYSPLEX,VIPADYN')"
answer() { [ "$(in_host CLIENT1 curl -s -m 10 -H 'Connection: close' "http://[$A]:8090/")" = APPL ]; }
poll_until 60 answer || fail "request to $A not answered by its server"
cmdj SYSB 'D TCPIP,,SYSPLEX,VIPADYN' | jqe '.sysplex_vipadyn[] | select(.ipaddr == "fd00:201::5")' >/dev/null &&
	fail "a bind outside the range made a DVIPA"
ok "server bound $A: DVIPA ACTIVE on SYSB (ORIGIN VIPARANGE BIND), seen by SYSA, answers CLIENT1; outside the range nothing"

kill $srv; wait $srv 2>/dev/null; srv=""
poll_until 30 none SYSB || fail "the DVIPA stayed after its server exited"
poll_until 30 none SYSA || fail "SYSA still shows the DVIPA"
grep -q "EZD1211I DYNAMIC VIPA $A DELETED" "/run/sysplex/$INST/SYSB/stack.log" || fail "no EZD1211I"
in_host CLIENT1 curl -s -m 3 "http://[$A]:8090/" && fail "$A still answers"
ok "server exited: the DVIPA is gone everywhere"

# And again: a new bind makes it again.
ip netns exec "$INST-SYSB" "$BIN/sysplex-httpd" -a "$A" -p 8090 -n APPL2 > "$tmp/httpd2.log" 2>&1 &
srv=$!
poll_until 30 has SYSB || fail "no DVIPA after the second bind"
again() { [ "$(in_host CLIENT1 curl -s -m 5 -H 'Connection: close' "http://[$A]:8090/")" = APPL2 ]; }
poll_until 30 again || fail "the second server is not reachable"
ok "a new bind makes the DVIPA again"
exit 0

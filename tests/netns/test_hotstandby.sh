#!/usr/bin/env bash
# Proves: DISTMETHOD HOTSTANDBY (AUTOSWITCHBACK, HEALTHSWITCH, the defaults)
# gives every new connection to the PREFERRED target SYSB while it is
# available; when SYSB's server goes, to the BACKUP of the highest rank (SYSC,
# rank 100, before SYSA, rank 50), and back to SYSB as soon as it listens
# again.  When SYSB's server hangs (SIGSTOP: connections wait in its accept
# queue), its SEF and so its TSR fall to 0 and the health switch sends new
# connections to SYSC; resumed, SYSB gets them again.  After SYSB leaves the
# group and rejoins (LEAVEGROUP, JOINGROUP) it is PREFERRED again.  The
# VDPT's FLG shows A on the active target and H on the hot standbys.
. tests/netns/lib.sh
tmp=$(mktemp -d); hung=""; held=""
trap '[ -n "$hung" ] && kill -CONT $hung 2>/dev/null; kill $held 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/hs.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("VIPADISTRIBUTE DEFINE[^\n]*DVIPA1[^\n]*",
	"VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY DVIPA1 PORT 8080 DESTIP " ..
	"fd00:10::2 PREFERRED fd00:10::3 BACKUP 100 fd00:10::1 BACKUP 50")
return t
LUA
sx up "$tmp/hs.lua" >/dev/null || fail "sysplex up"

# The rows of the IPv6 DVIPA (the default topology has an IPv4 one too).
vdpt() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq --arg d "$DVIPA" '.vdpt |= map(select(.dest == $d))'; }
flags() { vdpt | jq -r '[.vdpt[] | select(.port == 8080)] | sort_by(.destname) | map(.destname[0:4] + "=" + .flg) | join(" ")'; }
get() { in_host CLIENT1 curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/"; }
# all_to SYS N: N requests all answered by SYS.
all_to() {
	local i r
	for i in $(seq "$2"); do
		r=$(get); [ "$r" = "$1" ] || fail "request $i went to '$r', want $1 (VDPT FLG: $(flags))"
	done
}
rdy3() { [ "$(vdpt | jq '[.vdpt[] | select(.port == 8080 and .rdy > 0)] | length')" = 3 ]; }
poll_until 30 rdy3 || fail "three ready targets expected: $(vdpt)"
all_to SYSB 10
[ "$(flags)" = "SYSA=H SYSB=A SYSC=H" ] || fail "FLG: $(flags)"
ok "10 of 10 to the PREFERRED target SYSB; FLG: $(flags)"

pid=$(awk '$1 == "proc" && $2 == "SYSB" && $3 == "httpd" {print $4}' "/run/sysplex/$INST/state")
kill "$pid"
rdyb0() { vdpt | jqe '.vdpt[] | select(.destname == "SYSBTCPCS" and .rdy == 0)' >/dev/null; }
poll_until 30 rdyb0 || fail "SYSB's Rdy did not drop"
all_to SYSC 10
[ "$(flags)" = "SYSA=H SYSB=H SYSC=A" ] || fail "FLG after the switch: $(flags)"
ok "SYSB's server gone: 10 of 10 to the BACKUP of rank 100, SYSC; FLG: $(flags)"

ip netns exec "$INST-SYSB" "$BIN/sysplex-httpd" -a "$DVIPA" -p "$PORT" -n SYSB > "$tmp/httpd.log" 2>&1 &
srv=$!
hung=""
rdyb() { vdpt | jqe '.vdpt[] | select(.destname == "SYSBTCPCS" and .rdy > 0)' >/dev/null; }
poll_until 30 rdyb || fail "SYSB's new server is not ready"
all_to SYSB 10
ok "SYSB listens again: AUTOSWITCHBACK, 10 of 10 to SYSB"

# The health switch: SYSB's server hangs.  A connection sent to it waits in
# its accept queue (held by the client until the test ends it).
kill -STOP $srv; hung=$srv
ip netns exec "$INST-CLIENT1" curl -s -m 600 -H 'Connection: close' "http://[$DVIPA]:$PORT/" > "$tmp/held.out" 2>&1 &
held=$!
tsr0() { vdpt | jqe '.vdpt[] | select(.destname == "SYSBTCPCS" and .tsr == 0)' >/dev/null; }
poll_until 30 tsr0 || fail "SYSB's TSR did not fall to 0 with its server hung: $(vdpt | jq -c '.vdpt[]')"
all_to SYSC 5
ok "SYSB's server hung: SEF and TSR 0, HEALTHSWITCH sends 5 of 5 to SYSC; FLG: $(flags)"
kill -CONT $srv; hung=""
wait $held; held=""
[ "$(cat "$tmp/held.out")" = SYSB ] || fail "the held connection was not answered by SYSB when it resumed: $(cat "$tmp/held.out")"
healthy() { [ "$(get)" = SYSB ]; }
poll_until 60 healthy || fail "new connections did not return to SYSB after it resumed: $(vdpt | jq -c '.vdpt[]')"
all_to SYSB 5
ok "SYSB resumed: its waiting connection answered, new connections back to SYSB"

# A planned move of the PREFERRED target: SYSB leaves the group (its rows
# go) and rejoins; the rows its listener report makes again are PREFERRED,
# so AUTOSWITCHBACK gives it the new connections back.
sx cmd --system SYSB 'V TCPIP,TCPCS,SYSPLEX,LEAVEGROUP' >/dev/null || fail "LEAVEGROUP on SYSB"
b_gone() { [ "$(vdpt | jq '[.vdpt[] | select(.destname == "SYSBTCPCS")] | length')" = 0 ]; }
poll_until 30 b_gone || fail "SYSB's VDPT rows stayed after LEAVEGROUP: $(vdpt | jq -c '.vdpt[]')"
all_to SYSC 5
sx cmd --system SYSB 'V TCPIP,TCPCS,SYSPLEX,JOINGROUP' >/dev/null || fail "JOINGROUP on SYSB"
poll_until 60 healthy || fail "new connections did not return to SYSB after it rejoined: $(vdpt | jq -c '.vdpt[]')"
all_to SYSB 5
[ "$(flags)" = "SYSA=H SYSB=A SYSC=H" ] || fail "FLG after SYSB rejoined: $(flags)"
ok "SYSB left the group and rejoined: PREFERRED again, 5 of 5 to SYSB; FLG: $(flags)"
kill $srv; wait $srv 2>/dev/null
exit 0

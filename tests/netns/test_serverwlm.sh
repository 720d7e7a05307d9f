#!/usr/bin/env bash
# Proves: DISTMETHOD SERVERWLM shares new connections by the server weights
# the targets report (system weight x the listener's server efficiency), and
# shifts them away from a target whose server is made slow.  Three equal
# systems: WLM 64 each, FLG S, 96 requests within +-10% of even.  SYSC's
# server hangs (SIGSTOP): connections sent to it wait in its accept queue,
# SYSC measures its SEF falling to 0 and reports server weight 0, and the
# next 60 requests all go to SYSA and SYSB.  Resumed, SYSC's server answers
# the connections that waited, and its weight and share come back.
. tests/netns/lib.sh
tmp=$(mktemp -d); hung=""; held=""
trap '[ -n "$hung" ] && kill -CONT $hung 2>/dev/null; kill $held 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/swlm.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("DISTMETHOD ROUNDROBIN", "DISTMETHOD SERVERWLM")
return t
LUA
sx up "$tmp/swlm.lua" >/dev/null || fail "sysplex up"

# The rows of the IPv6 DVIPA (the default topology has an IPv4 one too).
vdpt() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq --arg d "$DVIPA" '.vdpt |= map(select(.dest == $d))'; }
weights() {
	vdpt | jq -r '[.vdpt[] | select(.port == 8080 and .rdy > 0)] | sort_by(.destname) | map(.wlm) | join(" ")'
}
poll_until 30 eval '[ "$(weights)" = "64 64 64" ]' || fail "VDPT WLM $(weights), want 64 64 64: $(vdpt)"
[ "$(vdpt | jq -r '[.vdpt[] | .flg] | unique | join(",")')" = S ] || fail "FLG is not S: $(vdpt)"
ok "VDPT: server weights 64 64 64, FLG S"

# count N: N requests from CLIENT1 (one connection each) into $tmp/all.
count() {
	for i in $(seq "$1"); do echo "url = \"http://[$DVIPA]:$PORT/\""; done > "$tmp/c.cfg"
	in_host CLIENT1 curl -s -m 60 -H 'Connection: close' -K "$tmp/c.cfg" > "$tmp/all"
	[ "$(wc -l < "$tmp/all")" = "$1" ] || fail "expected $1 answers, got $(wc -l < "$tmp/all")"
}
count 96
for s in SYSA SYSB SYSC; do
	k=$(grep -cx $s "$tmp/all"); echo "  $s served $k"
	[ "$k" -ge 29 ] && [ "$k" -le 35 ] || fail "$s served $k of 96 (want 29..35)"
done
ok "96 requests shared evenly"

srv=$(awk '$1 == "proc" && $2 == "SYSC" && $3 == "httpd" {print $4}' "/run/sysplex/$INST/state")
kill -STOP "$srv"; hung=$srv
# Six connections held by the client (round robin among equal weights sends
# two of them to SYSC, where they wait; the others are answered).
for i in $(seq 6); do echo "url = \"http://[$DVIPA]:$PORT/\""; done > "$tmp/h.cfg"
ip netns exec "$INST-CLIENT2" curl -s -m 600 --parallel --parallel-immediate -H 'Connection: close' -K "$tmp/h.cfg" > "$tmp/held.out" 2>&1 &
held=$!
c0() { vdpt | jqe '.vdpt[] | select(.destname == "SYSCTCPCS" and .wlm == 0 and .wlmsys.sef == 0)' >/dev/null; }
poll_until 30 c0 || fail "SYSC's server weight did not fall to 0 with its server hung: $(vdpt | jq -c '.vdpt[]')"
ok "SYSC's server hung: SEF 0, server weight 0 ($(weights))"
count 60
k=$(grep -cx SYSC "$tmp/all")
[ "$k" = 0 ] || fail "SYSC served $k of 60 with its server hung"
for s in SYSA SYSB; do
	k=$(grep -cx $s "$tmp/all"); echo "  $s served $k"
	[ "$k" -ge 27 ] && [ "$k" -le 33 ] || fail "$s served $k of 60 (want 27..33)"
done
ok "60 requests went to SYSA and SYSB only"

kill -CONT "$srv"; hung=""
wait $held; held=""
[ "$(grep -c SYSC "$tmp/held.out")" -ge 1 ] || fail "no held connection was answered by SYSC after it resumed: $(cat "$tmp/held.out")"
back() { in_host CLIENT1 curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/" >/dev/null; [ "$(weights)" = "64 64 64" ]; }
poll_until 90 back || fail "SYSC's weight did not come back: $(weights)"
count 96
k=$(grep -cx SYSC "$tmp/all"); echo "  SYSC served $k"
[ "$k" -ge 29 ] && [ "$k" -le 35 ] || fail "SYSC served $k of 96 after it resumed (want 29..35)"
ok "SYSC resumed: weight 64 again and its share back"
exit 0

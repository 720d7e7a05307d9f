#!/usr/bin/env bash
# Proves claim 1 with standard RFC 6275 correspondent nodes (client-agent
# --standard: our vendor options are skipped as unknown, every binding is
# per home address), on both clients, the DVIPA distributed to SYSB and SYSC:
#  - bypass: CLIENT2's held download is bound (VCRT: BOUND, binding HOME,
#    client CN STANDARD); from then on the routing stack forwards no packet
#    of it (its counter, sampled while it runs) while it keeps receiving;
#  - three more concurrent connections and four new ones from CLIENT2 reach
#    the bound target directly: each is in the routing stack's VCRT on that
#    target, BOUND, with 0 packets forwarded; the new ones are answered by it;
#  - the connections end one by one: the client keeps its binding (no
#    deleting BU) until the last one has ended;
#  - target failure (SYSC, CLIENT2's target): CLIENT2's binding is deleted
#    (BU care-of = home = DVIPA), CLIENT1's connection on SYSB lives on;
#  - routing stack takeover (SYSA killed, SYSB takes over): SYSB rebuilds the
#    bound standard client from the targets' reports (VCRT,DETAIL), the
#    connection lives on, and its end deletes the binding (from SYSB);
# and a mix: CLIENT1 with our agent (per-connection binding, CN AGENT) and
# CLIENT2 standard (per home address, CN STANDARD) at once, both bypassed,
# shown so by VCRT,DETAIL and D MIP6,BINDINGS.
. tests/netns/lib.sh
tmp=$(mktemp -d); pids=""; trap 'kill $pids 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
agent() { sx exec "$1" -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/$1"; }
homes() { agent "$1" | jq '[.bindings[] | select(.kind == "home")] | length'; }
vcrt() { cmdj "${RS:-SYSA}" 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL'; }
row() { vcrt | jq -c ".vcrt[] | select(.source == \"$1\" and .sport == $2)"; }
stat() { cmdj "${RS:-SYSA}" SYSPLEX\$STATS | jq ".mip6.$1"; }
C1=fd00:1::101 C2=fd00:1::102
declare -A NAME=([fd00:10::2]=SYSB [fd00:10::3]=SYSC)

cat > "$tmp/std.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("DVIPA1 PORT 8080 DESTIP ALL", "DVIPA1 PORT 8080 DESTIP fd00:10::2 fd00:10::3")
t.systems[1].httpd = nil	-- SYSA is the routing stack only
t.clients[1].agent = "standard"
t.clients[2].agent = "standard"
return t
LUA
# A topology's agent is true, false or "standard"; anything else is refused.
sed 's/agent = "standard"/agent = "always"/' "$tmp/std.lua" > "$tmp/bad.lua"
out=$(sx up "$tmp/bad.lua" 2>&1) && fail "up with agent = \"always\" succeeded"
echo "$out" | grep -qF 'clients[1] (CLIENT1).agent: expected true, false or "standard", got "always"' ||
	fail "agent = \"always\" not refused with where and why: $out"
sx up "$tmp/std.lua" >/dev/null || fail "sysplex up"
[ "$(agent CLIENT1 | jq -r .mode)" = standard ] && [ "$(agent CLIENT2 | jq -r .mode)" = standard ] ||
	fail "the agents do not run --standard"

# hold HOST PORT: a held download from HOST's local port PORT (pid in $held).
hold() {
	ip netns exec "$INST-$1" curl -s --local-port "$2" -o /dev/null "$(held_url 200000)" &
	held=$!; pids="$pids $held"
}
# bound_home SRC PORT: its VCRT entry is BOUND under a per-home-address binding.
bound_home() { row "$1" "$2" | jqe 'select(.bypass == "BOUND" and .binding == "HOME" and .cn == "STANDARD")' >/dev/null; }
# unheld PID SRC PORT: ends a held download and waits until it left the VCRT.
gone() { [ -z "$(row "$1" "$2")" ]; }
unheld() { end_held "$1"; poll_until 60 gone "$2" "$3" || fail "..$3 stays in the VCRT after it ended"; }

# A held download from CLIENT2 on SYSC, one from CLIENT1 on SYSB (the
# distributor alternates; a connection that went to the other target is
# ended, its binding deleted, and the next one tried).
place() {	# HOST SRC WANTXCF FIRSTPORT -> $held, $port
	local h=$1 src=$2 want=$3 try
	for try in 0 1 2 3 4 5; do
		port=$(($4 + try)); hold "$h" $port
		poll_until 60 bound_home "$src" $port || fail "$h ..$port never bound per home address: $(row "$src" $port); $(agent "$h" | jq -c .bindings)"
		[ "$(row "$src" $port | jq -r .destxcf)" = "$want" ] && return 0
		unheld "$held" "$src" $port
		nohome() { [ "$(homes "$1")" = 0 ]; }
		poll_until 60 nohome "$h" || fail "$h's binding not deleted after its only connection ended"
	done
	fail "$h never reached ${NAME[$want]}"
}
place CLIENT2 $C2 fd00:10::3 41000; h2a=$held; p2a=$port
ok "CLIENT2 ..$p2a bound per home address to SYSC: $(row $C2 $p2a | jq -c '{bypass, binding, cn, careof}')"
[ "$(agent CLIENT2 | jq -r '.bindings[] | select(.kind == "home") | .careof')" = fd00:10::3 ] ||
	fail "CLIENT2's binding cache: $(agent CLIENT2 | jq -c .bindings)"

# Bypass: no packet of it through the routing stack after the BA.
rx_bytes CLIENT2 > "$tmp/a.rx"
f0=$(row $C2 $p2a | jq .fwdpkts); fmax=$f0
for i in $(seq 20); do
	f=$(row $C2 $p2a | jq .fwdpkts); [ -n "$f" ] || fail "..$p2a left the VCRT"
	[ "$f" -gt "$fmax" ] && fmax=$f; sleep 0.1
done
[ "$fmax" = "$f0" ] || fail "routing stack forwarded packets of the bound connection: $f0 -> $fmax"
s=$(stalled CLIENT2 "$tmp/a.rx" 60 $p2a); [ -z "$s" ] || fail "bound connection ..$p2a stopped receiving"
direct=$(agent CLIENT2 | jq '.bindings[] | select(.kind == "home") | .direct_pkts')
[ "$direct" -gt 0 ] || fail "CLIENT2 sent nothing direct"
ok "routing stack forwarded 0 packets of ..$p2a in 20 samples after the BA ($f0 before); it receives; $direct sent direct"

place CLIENT1 $C1 fd00:10::2 42000; h1=$held; p1=$port
ok "CLIENT1 ..$p1 bound per home address to SYSB"

# Three concurrent connections, then four new ones, under CLIENT2's binding.
# (CLIENT2's own count of deleting BUs it accepted: a spurious failure of
# another target under load may delete CLIENT1's binding meanwhile.)
deleted2() { agent CLIENT2 | jq .counters.bu_deleted; }
del0=$(deleted2)
p3=""; h3=""
for p in 41101 41102 41103; do hold CLIENT2 $p; h3="$h3 $held"; p3="$p3 $p"; done
for p in $p3; do
	on_sysc() { row $C2 "$1" | jqe 'select(.destxcf == "fd00:10::3" and .bypass == "BOUND" and .binding == "HOME" and .fwdpkts == 0)' >/dev/null; }
	poll_until 60 on_sysc $p || fail "..$p not recorded BOUND on SYSC with 0 packets forwarded: $(row $C2 $p)"
done
tb() { cmdj SYSC 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jqe "[.vcrt[] | select(.source == \"$C2\" and .bypass == \"BOUND\" and .binding == \"HOME\")] | length >= 4" >/dev/null; }
poll_until 30 tb || fail "SYSC's VCRT does not show the binding information: $(cmdj SYSC 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jq -c .vcrt)"
ok "3 concurrent connections of CLIENT2 reached SYSC directly: in SYSA's VCRT on SYSC, BOUND, 0 packets forwarded; SYSC holds the binding information"
for i in 1 2 3 4; do ip netns exec "$INST-CLIENT2" curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/"; done > "$tmp/new"
[ "$(grep -cx SYSC "$tmp/new")" = 4 ] || fail "new connections of CLIENT2 not all served by SYSC: $(cat "$tmp/new")"
ok "4 new connections of CLIENT2 served by SYSC (the binding's target)"

# They end one by one: the binding stays until the last has ended.
for h in $h3; do
	p=${p3%% *}; p3=${p3#* }
	unheld "$h" $C2 "$p"
	[ "$(homes CLIENT2)" = 1 ] || fail "CLIENT2's binding gone after ..$p ended, with ..$p2a still open"
	[ "$(deleted2)" = "$del0" ] || fail "CLIENT2 got a deleting BU while ..$p2a was open"
done
ok "3 connections ended one by one: CLIENT2 keeps its binding, no deleting BU"

# Target failure: SYSC, CLIENT2's target.
lost0=$(stat target_lost)
rx_bytes CLIENT1 > "$tmp/c1.rx"
sx kill SYSC >/dev/null || fail "sysplex kill SYSC"
nohome2() { [ "$(homes CLIENT2)" = 0 ]; }
poll_until 60 nohome2 || fail "CLIENT2's binding to the dead SYSC not deleted: $(agent CLIENT2 | jq -c .bindings)"
[ "$(stat target_lost)" -gt "$lost0" ] || fail "no target-lost BU counted"
s=$(stalled CLIENT1 "$tmp/c1.rx" 60 $p1); [ -z "$s" ] || fail "CLIENT1's connection on SYSB lost with SYSC"
end_held $h2a
r=$(ip netns exec "$INST-CLIENT2" curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/")
[ "$r" = SYSB ] || fail "CLIENT2's new connection after SYSC died: '$r'"
ok "SYSC killed: CLIENT2's binding deleted (BU care-of = home), CLIENT1's connection on SYSB lives on, CLIENT2 served by SYSB"

# Routing stack takeover: SYSA killed, SYSB takes over and rebuilds.
rx_bytes CLIENT1 > "$tmp/c1.rx"
sx kill SYSA >/dev/null || fail "sysplex kill SYSA"
RS=SYSB
rebuilt() { bound_home $C1 $p1; }
poll_until 60 rebuilt || fail "SYSB did not rebuild CLIENT1's binding: $(row $C1 $p1)"
s=$(stalled CLIENT1 "$tmp/c1.rx" 60 $p1); [ -z "$s" ] || fail "CLIENT1's connection lost in the takeover"
cmd_text=$(sx cmd --system SYSB 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL')
echo "$cmd_text" | grep -q "BINDING:    PER HOME ADDRESS" && echo "$cmd_text" | grep -q "CLIENT CN:  STANDARD" ||
	fail "VCRT,DETAIL text on SYSB: $cmd_text"
ok "SYSA killed: SYSB rebuilt CLIENT1's per-home-address binding (VCRT,DETAIL: BOUND, PER HOME ADDRESS, STANDARD); its connection lives on"
refreshed() { [ "$(stat refreshed)" -ge 1 ]; }
poll_until 60 refreshed || fail "SYSB never refreshed the binding it learned"
end_held $h1
nohome1() { [ "$(homes CLIENT1)" = 0 ]; }
poll_until 60 nohome1 || fail "CLIENT1's binding not deleted by SYSB after its connection ended: $(agent CLIENT1 | jq -c .bindings)"
ok "SYSB refreshed it with its own BU and deleted it when the connection ended"
sx down >/dev/null; unset RS

# A mix: CLIENT1 with our agent, CLIENT2 standard, at once.
cat > "$tmp/mix.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.clients[2].agent = "standard"
return t
LUA
sx up "$tmp/mix.lua" >/dev/null || fail "sysplex up (mix)"
hold CLIENT1 43001; m1=$held
hold CLIENT2 43002; m2=$held
conn1() { row $C1 43001 | jqe 'select(.bypass == "BOUND" and .binding == "CONNECTION" and .cn == "AGENT")' >/dev/null; }
poll_until 60 conn1 || fail "CLIENT1 (agent) not bound per connection: $(row $C1 43001)"
poll_until 60 bound_home $C2 43002 || fail "CLIENT2 (standard) not bound per home address: $(row $C2 43002)"
[ "$(agent CLIENT1 | jq '[.bindings[] | select(.kind == "connection")] | length')" = 1 ] ||
	fail "CLIENT1's cache: $(agent CLIENT1 | jq -c .bindings)"
[ "$(homes CLIENT2)" = 1 ] || fail "CLIENT2's cache: $(agent CLIENT2 | jq -c .bindings)"
d=$(sx cmd 'D MIP6,BINDINGS')
echo "$d" | grep -q "CLIENT: CLIENT2  MODE: STANDARD" && echo "$d" | grep -q "CN AS LEARNED BY THE ROUTING STACK SYSA: STANDARD" ||
	fail "D MIP6,BINDINGS: $d"
sx cmd --json 'D MIP6,BINDINGS' | jqe '.routing_stack == "SYSA" and ([.clients[] | {host, mode, cn}] ==
	[{"host":"CLIENT1","mode":"agent","cn":"AGENT"},{"host":"CLIENT2","mode":"standard","cn":"STANDARD"}])' >/dev/null ||
	fail "D MIP6,BINDINGS JSON: $(sx cmd --json 'D MIP6,BINDINGS' | jq -c '.clients')"
ok "D MIP6,BINDINGS: each client's mode and the kind the routing stack learned (AGENT, STANDARD)"
rx_bytes CLIENT1 > "$tmp/m1.rx"; rx_bytes CLIENT2 > "$tmp/m2.rx"
s="$(stalled CLIENT1 "$tmp/m1.rx" 60 43001)$(stalled CLIENT2 "$tmp/m2.rx" 60 43002)"
[ -z "$s" ] || fail "mixed clients' connections stalled: $s"
end_held $m1 $m2
unbound() { [ "$(agent CLIENT1 | jq .records)" = 0 ] && [ "$(agent CLIENT2 | jq .records)" = 0 ]; }
poll_until 60 unbound || fail "bindings not deleted: $(agent CLIENT1 | jq -c .bindings) $(agent CLIENT2 | jq -c .bindings)"
ok "mix: CLIENT1 (agent) bound per connection, CLIENT2 (standard) per home address, both receiving; both deleted at their ends"
exit 0

#!/usr/bin/env bash
# Proves IPv4 DVIPAs in a routed topology: sysplex/topologies/routed.lua with
# IPv4 prefixes on its segments, IPv4 DYNAMICXCF addresses, and IPv4 DVIPA
# 10.100.0.1 defined on SYSA (VIPADEFINE, distributed to every stack) with
# SYSB its backup, next to the IPv6 one:
#  1. ospfd runs beside ospf6d in every router and system, every OSPFv2
#     adjacency with a router Full;
#  2. only the owner SYSA advertises the IPv4 DVIPA as an OSPFv2 host route
#     (a kernel route in its zebra, OSPF routes on the others; ROUTER1
#     forwards it to SYS1), every system its IPv4 DYNAMICXCF address;
#  3. distribution across the routers over IPv4: 30 requests from CLIENT2
#     through ROUTER3, an even spread over SYSA/SYSB/SYSC (forwarded in GRE
#     to the targets' IPv4 DYNAMICXCF addresses, routed by OSPF);
#  4. D TCPIP,,NETSTAT,ROUTE shows, in each system, exactly the IPv4 routes
#     zebra has installed there (`vtysh -c 'show ip route json'`), the
#     DVIPA's host route UGHO on SYSB in the z/OS layout;
#  5. takeover and takeback move the advertised IPv4 host route, with held
#     IPv4 connections from both clients: kill -9 of the routing stack SYSA
#     (its route goes with its TUN): a new connection served, SYSB advertises
#     10.100.0.1 (ROUTER1 now forwards it to the core, ROUTER2 to SYS2), 0
#     held connections on SYSB/SYSC lost; the restarted SYSA takes it back and
#     advertises it again, SYSB's route is withdrawn, 0 lost;
#  6. `sysplex down` stops every ospfd.
. tests/netns/lib.sh
tmp=$(mktemp -d); pids=""; trap 'kill $pids 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
TOPO=$(pwd)/sysplex/topologies/routed.lua
DVIPA=10.100.0.1
vt() { local h=$1; shift; sx vtysh "$h" "$@"; }

cat > "$tmp/v4.lua" <<LUA
local t = dofile("$TOPO")
for i, g in ipairs(t.segments) do g.prefix4 = string.format("10.%d.0.0/24", i) end
-- CLIENT2 runs no client agent (IPv4 is never bypassed anyway).
t.clients[2].agent = false
t.systems[1].profile = [[
IPCONFIG6 DYNAMICXCF fd00:10::1
IPCONFIG DYNAMICXCF 10.10.0.1 255.255.255.0 1
VIPADYNAMIC
  VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN MOBILEIPV6 DVIPA1 PORT 8080 DESTIP ALL
  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.100.0.1
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 10.100.0.1 PORT 8080 DESTIP ALL
ENDVIPADYNAMIC
]]
t.systems[2].profile = [[
IPCONFIG6 DYNAMICXCF fd00:10::2
IPCONFIG DYNAMICXCF 10.10.0.2 255.255.255.0 1
VIPADYNAMIC
  VIPABACKUP 100 MOVEABLE IMMEDIATE DVIPA1 fd00:100::1
  VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.100.0.1
ENDVIPADYNAMIC
]]
t.systems[3].profile = [[
IPCONFIG6 DYNAMICXCF fd00:10::3
IPCONFIG DYNAMICXCF 10.10.0.3 255.255.255.0 1
]]
-- Both DVIPAs: the sample server on every address.
for _, s in ipairs(t.systems) do s.httpd = { addr = "::", port = 8080 } end
return t
LUA

# 1. Up; ospfd next to ospf6d.
sx up "$tmp/v4.lua" > "$tmp/up.out" 2>&1 || fail "sysplex up: $(cat "$tmp/up.out")"
for h in SYSA SYSB SYSC ROUTER1 ROUTER2 ROUTER3; do
	d=/run/sysplex/$INST/$h/frr
	[ -s "$d/ospfd.conf" ] || fail "$h: no ospfd configuration in $d"
	grep -l "No such command\|Unknown command\|EC 100663304" "$d"/*.log && fail "$h: FRR rejected its configuration"
done
full4() { vt "$1" -c 'show ip ospf neighbor json' | jqe --argjson n "$2" '[.neighbors[][] | .nbrState] |
	length >= $n and all(startswith("Full") or startswith("2-Way"))' >/dev/null; }
for hn in ROUTER1:3 ROUTER2:4 ROUTER3:2; do
	poll_until 30 full4 "${hn%:*}" "${hn#*:}" || fail "${hn%:*}: OSPFv2 neighbours: $(vt "${hn%:*}" -c 'show ip ospf neighbor')"
done
ok "ospfd in every router and system, OSPFv2 adjacencies up"

# 2. Only the owner advertises the IPv4 DVIPA.
proto4() { vt "$1" -c "show ip route $2/32 json" | jq -r --arg p "$2/32" '.[$p][]? | select(.selected) | .protocol'; }
rif4() { vt "$1" -c "show ip route $DVIPA/32 json" | jq -r --arg p "$DVIPA/32" '.[$p][]? | select(.selected) | .nexthops[0].interfaceName'; }
# advertised_by SYS: SYS's zebra holds the DVIPA's host route from its
# stack (kernel), the other systems hold SYS's advertisement (ospf), and
# ROUTER1/ROUTER2 forward towards SYS's segment, ROUTER3 by OSPF.
advertised_by() {
	local s want1 want2
	for s in SYSA SYSB SYSC; do
		if [ $s = $1 ]; then [ "$(proto4 $s $DVIPA)" = kernel ] || return 1
		else [ "$(proto4 $s $DVIPA)" = ospf ] || return 1; fi
	done
	if [ $1 = SYSA ]; then want1=lan0 want2=lan1; else want1=lan1 want2=lan0; fi
	[ "$(rif4 ROUTER1)" = $want1 ] && [ "$(rif4 ROUTER2)" = $want2 ] && [ "$(proto4 ROUTER3 $DVIPA)" = ospf ]
}
routed_all() { local x; for x in 10.10.0.1 10.10.0.2 10.10.0.3 $DVIPA; do [ "$(proto4 ROUTER3 $x)" = ospf ] || return 1; done; }
poll_until 30 routed_all || fail "ROUTER3 lacks OSPF routes: $(vt ROUTER3 -c 'show ip route')"
poll_until 30 advertised_by SYSA || fail "the IPv4 DVIPA is not advertised by SYSA alone: SYSA $(proto4 SYSA $DVIPA), SYSB $(proto4 SYSB $DVIPA), SYSC $(proto4 SYSC $DVIPA), ROUTER1 $(rif4 ROUTER1), ROUTER2 $(rif4 ROUTER2)"
in_host CLIENT1 ip -4 route get $DVIPA | grep -q "via 10.3.0.[0-9]* dev lan0" ||
	fail "CLIENT1 reaches $DVIPA not through its router: $(in_host CLIENT1 ip -4 route get $DVIPA)"
ok "only SYSA advertises $DVIPA/32 (kernel route there, OSPF on SYSB, SYSC; ROUTER1 -> SYS1), every IPv4 DYNAMICXCF address routed"

# 3. Distribution over IPv4 across the routers.
ready4() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -c --arg d "$DVIPA" '[.vdpt[] | select(.dest == $d and .rdy > 0) | .destxcf] | sort'; }
poll_until 30 eval '[ "$(ready4)" = '"'"'["10.10.0.1","10.10.0.2","10.10.0.3"]'"'"' ]' ||
	fail "VDPT of $DVIPA: ready targets $(ready4)"
for i in $(seq 30); do
	in_host CLIENT2 curl -s -m 30 -H 'Connection: close' "http://$DVIPA:$PORT/" || fail "request $i failed"
done | sort | uniq -c > "$tmp/spread"
[ "$(awk '{print $1}' "$tmp/spread" | tr '\n' ' ')" = "10 10 10 " ] || fail "not an even spread: $(cat "$tmp/spread")"
ok "30 IPv4 requests through ROUTER3: $(awk '{printf "%s %s  ", $2, $1}' "$tmp/spread")(ROUNDROBIN, GRE across the routers)"

# 4. NETSTAT,ROUTE and zebra agree on the IPv4 routes.
routes_vtysh() {
	vt "$1" -c 'show ip route json' | jq -r 'to_entries[] | .value[] | select(.installed == true) |
		.prefix as $p | .nexthops[] | select(.fib == true) | "\($p) \(.ip // "0.0.0.0") \(.interfaceName)"' | sort -u
}
routes_netstat() {
	cmdj "$1" 'D TCPIP,,NETSTAT,ROUTE' | jq -r '.routes[] | select(.family == "ipv4") |
		"\(if .destination == "DEFAULT" then "0.0.0.0/0" else .destination end) \(.gateway) \(.interface)"' | sort -u
}
agree() { routes_vtysh "$1" > "$tmp/v.$1" && routes_netstat "$1" > "$tmp/n.$1" && [ -s "$tmp/v.$1" ] && cmp -s "$tmp/v.$1" "$tmp/n.$1"; }
for s in SYSA SYSB SYSC; do
	poll_until 30 agree $s || fail "$s: NETSTAT,ROUTE and vtysh differ (IPv4): $(diff "$tmp/v.$s" "$tmp/n.$s")"
done
grep -q "^$DVIPA/32 10.2.0.[0-9]* lan0$" "$tmp/n.SYSB" || fail "SYSB's NETSTAT,ROUTE has no route to $DVIPA via its router: $(cat "$tmp/n.SYSB")"
grep -q "^$DVIPA/32 0.0.0.0 tcpip0$" "$tmp/n.SYSA" || fail "SYSA's NETSTAT,ROUTE has no host route to $DVIPA on tcpip0: $(cat "$tmp/n.SYSA")"
sx cmd --system SYSB 'D TCPIP,TCPCS,NETSTAT,ROUTE' > "$tmp/route.txt" || fail "NETSTAT,ROUTE text"
grep -q "^IPV4 DESTINATIONS$" "$tmp/route.txt" &&
	grep -q "^$DVIPA/32 *10.2.0.[0-9]* *UGHO " "$tmp/route.txt" ||
	fail "NETSTAT,ROUTE text not in the z/OS form: $(cat "$tmp/route.txt")"
ok "NETSTAT,ROUTE = zebra's installed IPv4 routes in SYSA ($(wc -l < "$tmp/n.SYSA")), SYSB ($(wc -l < "$tmp/n.SYSB")), SYSC ($(wc -l < "$tmp/n.SYSC")); $DVIPA/32 UGHO on SYSB"

# 5. Takeover and takeback move the IPv4 host route; held IPv4 connections.
owner4() {
	local s
	for s in SYSA SYSB SYSC; do
		[ "$(cmdj $s 'SYSPLEX$ROLE' 2>/dev/null | jq --arg d "$DVIPA" '[.dvipas[] |
			select(.dvipa == $d and .status == "ACTIVE" and (.dist | startswith("DIST")))] |
			length')" = 1 ] && echo $s
	done
}
vcrt4() { cmdj "$1" 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jq --arg d "$DVIPA" '[.vcrt[] | select(.dest == $d)]'; }
N=6
for c in CLIENT1 CLIENT2; do
	for i in $(seq $N); do echo "url = \"$(held_url 25000)\""; echo "output = /dev/null"; done > "$tmp/$c.cfg"
	ip netns exec "$INST-$c" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max $N \
		-w '%{http_code} %{size_download} %{local_port} %{exitcode}\n' -K "$tmp/$c.cfg" > "$tmp/$c.held" &
	pids="$pids $!"; eval "held_$c=$!"
done
all_live() { [ "$(vcrt4 SYSA | jq '[.[] | select(.state == "ESTABLISHED")] | length')" -ge $((2 * N)) ]; }
poll_until 60 all_live || fail "only $(vcrt4 SYSA | jq length) IPv4 connections in SYSA's VCRT"
vcrt4 SYSA > "$tmp/vcrt.before"
for c in CLIENT1 CLIENT2; do
	a=$(in_host $c ip -4 -o addr show dev lan0 | awk '{ split($4, x, "/"); print x[1] }')
	rx_bytes $c > "$tmp/$c.rx"
	# Held (established at the client) and forwarded to SYSB or SYSC.
	jq -r --arg a "$a" '.[] | select(.source == $a and .destxcf != "10.10.0.1") | .sport' "$tmp/vcrt.before" |
		awk 'NR == FNR { held[$1] = 1; next } $1 in held' "$tmp/$c.rx" - > "$tmp/$c.ports"
done
survivors=$(cat "$tmp/CLIENT1.ports" "$tmp/CLIENT2.ports" | grep -c .)
[ "$survivors" -ge $N ] || fail "$survivors held IPv4 connections on SYSB and SYSC (want at least $N)"
# lost CLIENT SNAPSHOT: the ports of CLIENT's held connections on SYSB/SYSC
# not receiving any more.
lost() { stalled "$1" "$2" 60 $(cat "$tmp/$1.ports"); }

t0=$(date +%s%N)
sx kill SYSA >/dev/null || fail "sysplex kill SYSA"
served=""
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 60000 ]; do
	if r=$(in_host CLIENT2 curl -s --connect-timeout 0.3 -m 5 -H 'Connection: close' "http://$DVIPA:$PORT/") && [ -n "$r" ]; then
		served="$(( ($(date +%s%N) - t0) / 1000000 )) ms (by $r)"; break
	fi
done
[ -n "$served" ] || fail "no new IPv4 connection served within 60 s of the kill"
isb() { [ "$(owner4)" = SYSB ]; }
poll_until 30 isb || fail "owner of $DVIPA after the kill: '$(owner4)'"
poll_until 30 advertised_by SYSB || fail "the IPv4 DVIPA's route did not move to SYSB: SYSA $(proto4 SYSA $DVIPA), SYSB $(proto4 SYSB $DVIPA), ROUTER1 $(rif4 ROUTER1), ROUTER2 $(rif4 ROUTER2)"
for c in CLIENT1 CLIENT2; do l=$(lost $c "$tmp/$c.rx"); [ -z "$l" ] || fail "$c: held IPv4 connections on SYSB/SYSC lost by the takeover: $l"; done
ok "kill -9 SYSA: new IPv4 connection served after $served; SYSB advertises $DVIPA/32 (kernel route there; ROUTER1 -> CORE, ROUTER2 -> SYS2); 0 of $survivors held connections on SYSB/SYSC lost"

sx restart SYSA >/dev/null || fail "sysplex restart SYSA"
isa() { [ "$(owner4)" = SYSA ]; }
poll_until 60 isa || fail "SYSA did not take $DVIPA back (owner: $(owner4))"
poll_until 30 advertised_by SYSA || fail "the IPv4 DVIPA's route did not move back to SYSA: SYSA $(proto4 SYSA $DVIPA), SYSB $(proto4 SYSB $DVIPA), ROUTER1 $(rif4 ROUTER1)"
for c in CLIENT1 CLIENT2; do
	rx_bytes $c > "$tmp/$c.rx2"
	l=$(lost $c "$tmp/$c.rx2"); [ -z "$l" ] || fail "$c: held IPv4 connections on SYSB/SYSC lost by the takeback: $l"
done
kill -0 $held_CLIENT1 $held_CLIENT2 2>/dev/null || fail "a held transfer ended: $(cat "$tmp"/CLIENT*.held)"
ok "takeback: SYSA advertises $DVIPA/32 again, SYSB's route withdrawn; 0 of $survivors held connections on SYSB/SYSC lost"
end_held $held_CLIENT1 $held_CLIENT2; pids=""

# 6. Down stops every ospfd.
ospfd=$(sx status --json | jq -r '.hosts[].daemons[] | select(.role == "ospfd") | .pid')
[ "$(echo "$ospfd" | wc -w)" = 6 ] || fail "not 6 ospfd in the status: $ospfd"
sx down >/dev/null
for p in $ospfd; do
	st=$(awk '{ print $3 }' /proc/$p/stat 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] || fail "ospfd $p still runs after down (state $st)"
done
ok "down: none of the 6 ospfd runs"
exit 0

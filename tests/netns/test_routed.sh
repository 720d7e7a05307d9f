#!/usr/bin/env bash
# Proves the routed topology (sysplex/topologies/routed.lua: SYSA on one
# segment, SYSB and SYSC on another, the clients on a third, each behind a
# router; FRR in every router and system):
#  1. bad topologies are refused in the FILE: field: why form before anything
#     is built (several segments without routers, a segment no router
#     reaches, different MTUs, an unknown segment, a host without its
#     segment, an IPv4 prefix too long for the host numbers, lan and
#     segments together);
#  2. FRR runs from the generated configurations without a complaint, every
#     OSPF adjacency with a router Full (two systems on one segment stay
#     2-Way: neither is designated router) and every BFD session up; the
#     daemons run SCHED_RR, as the stacks; only the owner SYSA
#     advertises the DVIPA (a kernel route in its zebra; OSPF routes on the
#     others), every system its care-of address; the clients reach the DVIPA
#     through their router; Lua's routers() lists the routers, systems()
#     and clients() not;
#  3. distribution across the routers: an even spread over SYSA/SYSB/SYSC;
#  4. the Mobile IPv6 bypass across the routers: a held download is bound,
#     the routing stack forwards 0 packets of it from then on, and the client
#     segment's router forwards its Type 2 Routing Header packets to the
#     care-of address (tshark on the router's core side): the router knows
#     nothing of Mobile IPv6;
#  5. D TCPIP,,NETSTAT,ROUTE shows, in each system, exactly the routes zebra
#     has installed there (`vtysh -c 'show ipv6 route json'`), in the z/OS
#     layout too;
#  6. takeover and takeback move the advertised host route, with held
#     connections from both clients (CLIENT1's bound, CLIENT2's routed: it
#     runs no agent): kill -9 of the routing stack SYSA (its route goes with
#     its TUN): a new connection served (the time is printed;
#     bench/takeover.sh measures it), SYSB advertises the DVIPA, the routers
#     forward to its segment, 0 held connections on SYSB/SYSC lost; the
#     restarted SYSA takes it back and advertises it again, those on SYSA
#     revive; then SYSA dies whole (`kill --routing`: stack and FRR, nothing
#     withdraws its advertisements): ROUTER1's BFD session goes down
#     (control-expired, in its bfdd log), SYSA leaves its OSPF neighbours,
#     SYSB advertises the DVIPA, 0 lost again, and SYSA takes it back;
#  7. `sysplex down` stops every FRR daemon (each pid the status showed) and
#     leaves no process, namespace, mount or FRR file behind.
. tests/netns/lib.sh
tmp=$(mktemp -d); pids=""; trap 'kill $pids 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
TOPO=$(pwd)/sysplex/topologies/routed.lua
vt() { local h=$1; shift; sx vtysh "$h" "$@"; }
agent() { sx exec "$1" -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/$1"; }
vcrt() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL'; }
frr_before=$(ls -A /run/frr /var/tmp/frr 2>/dev/null | sort | tr '\n' ' ')

# 1. Refused topologies.
refused() { # refused NAME EXPECTED-TEXT LUA-LINES...: routed.lua changed by the lines
	local f="$tmp/$1.lua" want=$2 out rc; shift 2
	{ echo "local t = dofile(\"$TOPO\")"; printf '%s\n' "$@"; echo "return t"; } > "$f"
	out=$(sx up "$f" 2>&1); rc=$?
	[ $rc = 1 ] || fail "$f: up exited $rc: $out"
	echo "$out" | grep -qF "$f: $want" || fail "$f: not refused with '$want': $out"
	[ -z "$(ip netns list | grep "^$INST-")" ] || fail "$f: namespaces were built"
}
refused norouters "routers: required: 4 segments need routers between them" 't.routers = nil'
refused island "segments: SYS2 is not connected to SYS1 by any router" \
	't.routers[2].segments = { "SYS2" }'
refused mtu "segments: SYS1 has MTU 1500, CORE 9000: every segment needs the same MTU" \
	't.segments[4].mtu = 9000'
refused unknown 'routers[1] (ROUTER1).segments[2]: no segment "COR" in segments' \
	't.routers[1].segments[2] = "COR"'
refused noseg "systems[2] (SYSB).segment: required (the topology has 4 segments)" \
	't.systems[2].segment = nil'
refused badv4 'segments[1] (SYS1).prefix4: "10.1.0.0/30" is not an IPv4 prefix a.b.c.d/LEN (8 <= LEN <= 24)' \
	't.segments[1].prefix4 = "10.1.0.0/30"'
refused both "segments: give either lan = {...} (one segment) or segments = {...}, not both" \
	't.lan = { prefix = "fd00:1::/64" }'
ok "bad routed topologies refused (FILE: field: why), nothing built"

# 2. Up; FRR healthy; who advertises what.
# CLIENT2 runs no client agent: its connections stay routed through the
# routing stack (section 6).
cat > "$tmp/routed.lua" <<LUA
local t = dofile("$TOPO")
t.clients[2].agent = false
return t
LUA
sx up "$tmp/routed.lua" > "$tmp/up.out" 2>&1 || fail "sysplex up routed.lua: $(cat "$tmp/up.out")"
for h in SYSA SYSB SYSC ROUTER1 ROUTER2 ROUTER3; do
	d=/run/sysplex/$INST/$h/frr
	[ -s "$d/ospf6d.conf" ] && [ -S "$d/zserv.api" ] || fail "$h: no FRR in $d"
	grep -l "No such command\|Unknown command\|EC 100663304" "$d"/*.log && fail "$h: FRR rejected its configuration: $(grep -h "No such command\|Unknown command" "$d"/*.log)"
done
[ -d "/run/sysplex/$INST/CLIENT1/frr" ] && fail "a client runs FRR"
full() { # host $1 Full with at least $2 neighbours, the others 2-Way (two systems, neither DR)
	vt "$1" -c 'show ipv6 ospf6 neighbor json' | jqe --argjson n "$2" \
		'([.neighbors[] | select(.state == "Full")] | length) >= $n and
		 ([.neighbors[].state] | all(. == "Full" or . == "Twoway"))' >/dev/null
}
bfd_up() { vt "$1" -c 'show bfd peers json' | jqe --argjson n "$2" 'length >= $n and (map(.status) | all(. == "up"))' >/dev/null; }
for hn in ROUTER1:3 ROUTER2:4 ROUTER3:2 SYSA:1 SYSB:1 SYSC:1; do
	poll_until 30 full "${hn%:*}" "${hn#*:}" || fail "${hn%:*}: OSPF neighbours: $(vt "${hn%:*}" -c 'show ipv6 ospf6 neighbor')"
	poll_until 30 bfd_up "${hn%:*}" "${hn#*:}" || fail "${hn%:*}: BFD: $(vt "${hn%:*}" -c 'show bfd peers brief')"
done
for p in $(sx status --json | jq -r '.hosts[].daemons[] | select(.role | test("^(zebra|ospf6d|bfdd)$")) | .pid'); do
	chrt -p "$p" | grep -q "policy: SCHED_RR" || fail "FRR daemon $p not real-time: $(chrt -p "$p")"
done
ok "every OSPF adjacency with a router Full (SYSB-SYSC 2-Way), every BFD session up (100 ms x 3), FRR SCHED_RR"
proto() { vt "$1" -c "show ipv6 route $2/128 json" | jq -r --arg p "$2/128" '.[$p][] | select(.selected) | .protocol'; }
[ "$(proto SYSA $DVIPA)" = kernel ] || fail "SYSA's zebra has no kernel route for the DVIPA: $(vt SYSA -c "show ipv6 route $DVIPA")"
for s in SYSB SYSC; do
	[ "$(proto $s $DVIPA)" = ospf6 ] || fail "$s advertises or holds the DVIPA itself: $(vt $s -c "show ipv6 route $DVIPA")"
done
vt ROUTER1 -c "show ipv6 route $DVIPA/128 json" | jqe --arg p "$DVIPA/128" '.[$p][] | select(.selected) | .protocol == "ospf6" and .nexthops[0].interfaceName == "lan0"' >/dev/null ||
	fail "ROUTER1 does not route the DVIPA to SYS1: $(vt ROUTER1 -c "show ipv6 route $DVIPA")"
for x in fd00:10::1 fd00:10::2 fd00:10::3 $DVIPA; do
	[ "$(proto ROUTER3 $x)" = ospf6 ] || fail "ROUTER3 has no OSPF route to $x"
done
in_host CLIENT1 ip -6 route show table main match $DVIPA | grep -q "via fd00:3::ff03 dev lan0" ||
	fail "CLIENT1 reaches the DVIPA not through ROUTER3: $(in_host CLIENT1 ip -6 route show table main match $DVIPA)"
cat > "$tmp/hosts.lua" <<'LUA'
local j = table.concat
expect(j(routers(), " ") == "ROUTER1 ROUTER2 ROUTER3", "routers(): " .. j(routers(), " "))
expect(j(systems(), " ") == "SYSA SYSB SYSC" and j(clients(), " ") == "CLIENT1 CLIENT2",
	"systems() and clients() without the routers")
LUA
sx run "$tmp/hosts.lua" > "$tmp/lua.out" 2>&1 || fail "Lua routers()/systems()/clients(): $(cat "$tmp/lua.out")"
ok "only SYSA advertises the DVIPA (kernel route; OSPF on SYSB, SYSC), every care-of address routed, clients through ROUTER3"

# 3. Distribution across the routers (CLIENT2's own requests, new connections).
for i in $(seq 30); do
	in_host CLIENT2 curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/" || fail "request $i failed"
done | sort | uniq -c > "$tmp/spread"
[ "$(awk '{print $1}' "$tmp/spread" | tr '\n' ' ')" = "10 10 10 " ] || fail "not an even spread: $(cat "$tmp/spread")"
ok "30 requests through ROUTER3: $(awk '{printf "%s %s  ", $2, $1}' "$tmp/spread")(ROUNDROBIN)"

# 4. The bypass across the routers.
sport=41011
ip netns exec "$INST-CLIENT1" curl -s --local-port $sport -o /dev/null "$(held_url 2000000)" &
cpid=$!; pids="$pids $cpid"
bound() { vcrt | jqe ".vcrt[] | select(.sport == $sport and .bypass == \"BOUND\")" >/dev/null; }
poll_until 60 bound || fail "connection never bound: $(vcrt)"
careof=$(vcrt | jq -r ".vcrt[] | select(.sport == $sport) | .careof")
# The client segment's router forwards the client's RH2 packets, unchanged,
# towards the care-of address (captured on its core side).
timeout 60 ip netns exec "$INST-ROUTER3" tshark -i lan1 -c 5 -f "ip6 dst $careof and ip6[6] == 43" \
	-T fields -e ipv6.src -e ipv6.dst -e ipv6.routing.type -e ipv6.routing.segleft > "$tmp/rh2" 2>/dev/null
[ "$(wc -l < "$tmp/rh2")" = 5 ] || fail "ROUTER3 forwarded no RH2 packets to $careof: $(cat "$tmp/rh2")"
awk -v c="$careof" '$1 != "fd00:3::101" || $2 != c || $3 != 2 || $4 != 1 { bad = 1 } END { exit bad }' "$tmp/rh2" ||
	fail "not the client's Type 2 Routing Header packets: $(cat "$tmp/rh2")"
fwd() { vcrt | jq ".vcrt[] | select(.sport == $sport) | .fwdpkts"; }
f0=$(fwd); samples=0
while [ $samples -lt 20 ]; do
	f=$(fwd); [ -n "$f" ] || fail "the held connection left the VCRT"
	[ "$f" = "$f0" ] || fail "the routing stack forwarded packets of the bound connection: $f0 -> $f"
	samples=$((samples + 1)); sleep 0.1
done
d1=$(agent CLIENT1 | jq .counters.direct_pkts)
rx_bytes CLIENT1 > "$tmp/rx"
s=$(stalled CLIENT1 "$tmp/rx" 60 $sport)
[ -z "$s" ] || fail "the bound download stopped receiving"
kill -0 $cpid 2>/dev/null || fail "the held download ended before the test ended it"
end_held $cpid
ok "bound to $careof: 0 packets through SYSA over $samples samples, $d1 sent direct; ROUTER3 forwarded the client's RH2 packets (type 2, segments left 1) to it"

# 5. NETSTAT,ROUTE and zebra agree, in every system.
routes_vtysh() {
	vt "$1" -c 'show ipv6 route json' | jq -r 'to_entries[] | .value[] | select(.installed == true) |
		.prefix as $p | .nexthops[] | select(.fib == true) | "\($p) \(.ip // "::") \(.interfaceName)"' | sort -u
}
routes_netstat() {
	cmdj "$1" 'D TCPIP,,NETSTAT,ROUTE' | jq -r '.routes[] | select(.family == "ipv6") |
		"\(if .destination == "DEFAULT" then "::/0" else .destination end) \(.gateway) \(.interface)"' | sort -u
}
agree() { routes_vtysh "$1" > "$tmp/v.$1" && routes_netstat "$1" > "$tmp/n.$1" && [ -s "$tmp/v.$1" ] && cmp -s "$tmp/v.$1" "$tmp/n.$1"; }
for s in SYSA SYSB SYSC; do
	poll_until 30 agree $s || fail "$s: NETSTAT,ROUTE and vtysh differ: $(diff "$tmp/v.$s" "$tmp/n.$s")"
done
sx cmd --system SYSB 'D TCPIP,TCPCS,NETSTAT,ROUTE' > "$tmp/route.txt" || fail "NETSTAT,ROUTE text"
grep -q "^IPV6 DESTINATIONS$" "$tmp/route.txt" && grep -A3 "^DESTIP:   $DVIPA/128$" "$tmp/route.txt" | grep -q "FLGS:   UGHO" ||
	fail "NETSTAT,ROUTE text not in the z/OS form: $(cat "$tmp/route.txt")"
ok "NETSTAT,ROUTE = zebra's installed routes in SYSA ($(wc -l < "$tmp/n.SYSA")), SYSB ($(wc -l < "$tmp/n.SYSB")), SYSC ($(wc -l < "$tmp/n.SYSC")); DVIPA UGHO on SYSB"

# 6. Takeover and takeback across the routers, with held connections: the
# advertised host route moves with the DVIPA.  CLIENT1's connections are
# bound (bypass), CLIENT2's routed (it runs no agent).
owner() { for s in SYSA SYSB SYSC; do sx cmd --system $s 'SYSPLEX$ROLE' 2>/dev/null | grep -q ' ACTIVE DIST' && echo $s; done; }
rif() { vt "$1" -c "show ipv6 route $DVIPA/128 json" | jq -r --arg p "$DVIPA/128" '.[$p][]? | select(.selected) | .nexthops[0].interfaceName'; }
# advertised_by SYS: SYS's zebra holds the DVIPA's host route from its
# stack (kernel), the others hold SYS's advertisement (ospf6), and the
# routers forward towards SYS's segment.
advertised_by() {
	local s want1 want2
	for s in SYSA SYSB SYSC; do
		if [ $s = $1 ]; then [ "$(proto $s $DVIPA)" = kernel ] || return 1
		else [ "$(proto $s $DVIPA)" = ospf6 ] || return 1; fi
	done
	if [ $1 = SYSA ]; then want1=lan0 want2=lan1; else want1=lan1 want2=lan0; fi
	[ "$(rif ROUTER1)" = $want1 ] && [ "$(rif ROUTER2)" = $want2 ] && [ "$(proto ROUTER3 $DVIPA)" = ospf6 ]
}
established() { cmdj "$1" 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.state == "ESTABLISHED")] | length'; }
N=6
for c in CLIENT1 CLIENT2; do
	for i in $(seq $N); do echo "url = \"$(held_url 25000)\""; echo "output = /dev/null"; done > "$tmp/$c.cfg"
	ip netns exec "$INST-$c" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max $N \
		-w '%{http_code} %{size_download} %{local_port} %{exitcode}\n' -K "$tmp/$c.cfg" > "$tmp/$c.out" &
	pids="$pids $!"; eval "held_$c=$!"
done
all_live() { [ "$(established SYSA)" -ge $((2 * N)) ]; }
poll_until 60 all_live || fail "only $(established SYSA) held connections in the VCRT"
cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' > "$tmp/vcrt.before"
# by_target CLIENT SRC: the local ports of CLIENT's held connections on
# SYSB/SYSC into $tmp/CLIENT.bc, on SYSA into $tmp/CLIENT.a.
by_target() {
	jq -r ".vcrt[] | select(.state == \"ESTABLISHED\" and .source == \"$2\" and .destxcf != \"fd00:10::1\") | .sport" "$tmp/vcrt.before" > "$tmp/$1.bc"
	jq -r ".vcrt[] | select(.state == \"ESTABLISHED\" and .source == \"$2\" and .destxcf == \"fd00:10::1\") | .sport" "$tmp/vcrt.before" > "$tmp/$1.a"
}
by_target CLIENT1 fd00:3::101; by_target CLIENT2 fd00:3::102
# lost CLIENT FILE: the ports of FILE not receiving any more (two fresh looks:
# what a server had in flight arrives once even on a dead path).
lost() {
	local s=""
	[ -s "$tmp/$1.$2" ] || return 0
	rx_bytes "$1" > "$tmp/$1.rx"
	for p in $(cat "$tmp/$1.$2"); do grep -q "^$p " "$tmp/$1.rx" || s="$s $p"; done
	s="$s $(stalled "$1" "$tmp/$1.rx" 60 $(cat "$tmp/$1.$2"))"
	rx_bytes "$1" > "$tmp/$1.rx"
	s="$s $(stalled "$1" "$tmp/$1.rx" 60 $(cat "$tmp/$1.$2"))"
	echo $s
}
# first_new: ms from $t0 to the first new connection CLIENT2 gets served.
first_new() {
	local r
	while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 60000 ]; do
		if r=$(in_host CLIENT2 curl -s --connect-timeout 0.3 -m 5 -H 'Connection: close' "http://[$DVIPA]:$PORT/") && [ -n "$r" ]; then
			echo "$(( ($(date +%s%N) - t0) / 1000000 )) $r"; return 0
		fi
	done
	return 1
}
nbc=$(cat "$tmp/CLIENT1.bc" "$tmp/CLIENT2.bc" | wc -l); na=$(cat "$tmp/CLIENT1.a" "$tmp/CLIENT2.a" | wc -l)
[ "$nbc" -gt 0 ] || fail "no held connection on SYSB/SYSC: $(cat "$tmp/vcrt.before")"

# 6a. kill -9 of the routing stack: its host route goes with its TUN, SYSB
# takes over and advertises the DVIPA from the other system segment.
t0=$(date +%s%N)
sx kill SYSA >/dev/null || fail "sysplex kill SYSA"
served=$(first_new) || fail "no new connection served within 60 s of the kill"
isb() { [ "$(owner)" = SYSB ]; }
poll_until 30 isb || fail "owner after the kill: '$(owner)'"
poll_until 30 advertised_by SYSB || fail "the DVIPA's route did not move to SYSB: SYSA $(proto SYSA $DVIPA), SYSB $(proto SYSB $DVIPA), ROUTER1 $(rif ROUTER1), ROUTER2 $(rif ROUTER2)"
for c in CLIENT1 CLIENT2; do l=$(lost $c bc); [ -z "$l" ] || fail "$c: held connections on SYSB/SYSC lost by the takeover: $l"; done
ok "kill -9 SYSA: new connection served after ${served%% *} ms (by ${served#* }); SYSB advertises the DVIPA (kernel route there, OSPF elsewhere; ROUTER1 -> CORE, ROUTER2 -> SYS2); 0 of $nbc held connections on SYSB/SYSC lost"

# 6b. Takeback: the restarted SYSA takes the DVIPA back (MOVEABLE
# IMMEDIATE), SYSB withdraws its route.
sx restart SYSA >/dev/null || fail "sysplex restart SYSA"
isa() { [ "$(owner)" = SYSA ]; }
poll_until 60 isa || fail "SYSA did not take the DVIPA back (owner: $(owner))"
poll_until 30 advertised_by SYSA || fail "the DVIPA's route did not move back to SYSA: SYSA $(proto SYSA $DVIPA), SYSB $(proto SYSB $DVIPA), ROUTER1 $(rif ROUTER1)"
for c in CLIENT1 CLIENT2; do
	l=$(lost $c bc); [ -z "$l" ] || fail "$c: held connections on SYSB/SYSC lost by the takeback: $l"
	l=$(lost $c a); [ -z "$l" ] || fail "$c: held connections terminated on SYSA did not revive after its restart: $l"
done
ok "takeback: SYSA advertises the DVIPA again, SYSB's route withdrawn; 0 of $nbc held connections on SYSB/SYSC lost, all $na on SYSA revived"

# 6c. The whole system dies (stack and routing daemons): nothing withdraws
# its OSPF advertisements, so its neighbour ROUTER1 detects it by BFD (not
# the dead interval) and drops its routes; SYSB takes over.
bfdlog=/run/sysplex/$INST/ROUTER1/frr/bfdd.log
before=$(grep -c "ifname:lan0\] up -> down reason:control-expired" "$bfdlog")
t0=$(date +%s%N)
sx kill SYSA --routing >/dev/null || fail "sysplex kill SYSA --routing"
served=$(first_new) || fail "no new connection served within 60 s of the kill"
bfd_down() { [ "$(grep -c "ifname:lan0\] up -> down reason:control-expired" "$bfdlog")" -gt "$before" ]; }
poll_until 30 bfd_down || fail "ROUTER1's BFD session to SYSA did not go down (control-expired): $(tail -5 "$bfdlog")"
gone() { vt ROUTER1 -c 'show ipv6 ospf6 neighbor json' | jqe '[.neighbors[] | select(.neighborId == "0.0.0.1")] | length == 0' >/dev/null; }
poll_until 30 gone || fail "ROUTER1 still has SYSA as an OSPF neighbour"
poll_until 30 isb || fail "owner after kill --routing: '$(owner)'"
sysb_only() { [ "$(proto SYSB $DVIPA)" = kernel ] && [ "$(rif ROUTER1)" = lan1 ] && [ "$(rif ROUTER2)" = lan0 ]; }
poll_until 30 sysb_only || fail "the DVIPA's route did not move to SYSB: ROUTER1 $(rif ROUTER1), ROUTER2 $(rif ROUTER2)"
for c in CLIENT1 CLIENT2; do l=$(lost $c bc); [ -z "$l" ] || fail "$c: held connections on SYSB/SYSC lost when SYSA died: $l"; done
sx restart SYSA >/dev/null || fail "sysplex restart SYSA after kill --routing"
poll_until 60 isa || fail "SYSA did not take the DVIPA back after its routing came back (owner: $(owner))"
poll_until 30 advertised_by SYSA || fail "the DVIPA's route did not move back to SYSA after kill --routing"
for c in CLIENT1 CLIENT2; do l=$(lost $c bc); [ -z "$l" ] || fail "$c: held connections on SYSB/SYSC lost by the second takeback: $l"; done
kill -0 $held_CLIENT1 $held_CLIENT2 2>/dev/null || fail "a held transfer ended: $(cat "$tmp"/CLIENT*.out)"
ok "kill -9 of SYSA's stack and FRR: ROUTER1's BFD session down (control-expired), SYSA's routes gone, new connection after ${served%% *} ms; SYSB advertised, then SYSA again; 0 of $nbc held connections on SYSB/SYSC lost"
end_held $held_CLIENT1 $held_CLIENT2
frrpids=$(sx status --json | jq -r '.hosts[].daemons[] | select(.role | test("^(zebra|ospf6d|ospfd|bfdd)$")) | .pid')
[ "$(echo "$frrpids" | wc -w)" = 18 ] || fail "not every FRR daemon in the status: $frrpids"
sx down >/dev/null

# 7. Nothing left behind.
[ -z "$(ip netns list | grep "^$INST-")" ] || fail "namespaces left: $(ip netns list | grep "^$INST-")"
[ ! -e "/run/sysplex/$INST" ] || fail "/run/sysplex/$INST left behind"
left=$(pgrep -af "/run/sysplex/$INST/" || true)
[ -z "$left" ] || fail "processes left: $left"
# (A zombie has exited; its parent, init, reaps it in its own time.)
for p in $frrpids; do
	st=$(awk '{ print $3 }' /proc/$p/stat 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] || fail "FRR daemon $p ($(cat /proc/$p/comm)) still runs after down (state $st)"
done
grep -q "/run/sysplex/$INST" /proc/mounts && fail "mounts left: $(grep "/run/sysplex/$INST" /proc/mounts)"
[ "$(ls -A /run/frr /var/tmp/frr 2>/dev/null | sort | tr '\n' ' ')" = "$frr_before" ] || fail "FRR files left in /run/frr or /var/tmp/frr"
ok "down: none of the $(echo "$frrpids" | wc -w) FRR daemons runs; no namespace, process, mount, run directory or FRR file left"
exit 0

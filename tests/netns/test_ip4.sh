#!/usr/bin/env bash
# Proves: IPv4 DVIPAs are distributed and survive the loss of their routing
# stack, as IPv6 ones.  In the default topology (IPv4 DVIPA 10.100.0.1 next
# to the IPv6 one): 300 curl requests over IPv4, 150 from each client, reach
# all three targets within +-10% of even (ROUNDROBIN), forwarded in GRE over
# the IPv4 DYNAMICXCF addresses; the VDPT lists the targets by their IPv4
# DYNAMICXCF addresses, the VCRT says the connections are routed (no Mobile
# IPv6 bypass for IPv4).  With 40 IPv4 connections per client held open by
# the test, kill -9 of the routing stack SYSA: SYSB takes 10.100.0.1 over
# (EZZ8301I), serves new IPv4 connections, and not one held connection to
# the surviving targets SYSB and SYSC is lost (each is still receiving);
# the restarted SYSA takes the DVIPA back (takeback) and they go on.
# Then the VIPAROUTE variant: SYSA forwards to SYSB and SYSC in GRE to their
# LAN addresses (VIPAROUTE DEFINE), with its routes to their IPv4 DYNAMICXCF
# addresses removed so that no other path exists: the load still spreads.
# By default SYSC runs DATAPATH TUN, the others the kernel path (BPF): the
# held connections take it, SYSA's program sends them in GRE from their
# kernel entries, SYSB's takes the GRE off, SYSC's daemon too; with the
# VIPAROUTE the same, SYSC's daemon in its raw GRE socket (SYSA's program
# sends the client's packets as they come, their checksums left to the
# device).  DATAPATH=TUN: every stack TUN.
. tests/netns/lib.sh
tmp=$(mktemp -d); pids=""; trap 'kill $pids 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
DVIPA=10.100.0.1
N=40             # held connections per client, 25 kB/s each
owner4() {
	local s
	for s in SYSA SYSB SYSC; do
		# (jq 1.6 -e exits 0 on empty input: count instead.)
		[ "$(cmdj $s 'SYSPLEX$ROLE' 2>/dev/null | jq --arg d "$DVIPA" '[.dvipas[] |
			select(.dvipa == $d and .status == "ACTIVE" and (.dist | startswith("DIST")))] |
			length')" = 1 ] && echo $s
	done
}
vcrt4() { cmdj "$1" 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jq --arg d "$DVIPA" '[.vcrt[] | select(.dest == $d)]'; }

# spread LABEL: 150 requests from each client, each on its own connection;
# every target serves 90..110 of the 300.
spread() {
	local c s k total
	for c in CLIENT1 CLIENT2; do
		for i in $(seq 150); do echo "url = \"http://$DVIPA:$PORT/\""; done > "$tmp/$c.cfg"
		in_host "$c" curl -s -m 60 -H 'Connection: close' -K "$tmp/$c.cfg" > "$tmp/$c.out" &
	done
	wait
	cat "$tmp/CLIENT1.out" "$tmp/CLIENT2.out" > "$tmp/all"
	total=$(grep -c . "$tmp/all")
	[ "$total" = 300 ] || fail "$1: expected 300 answers over IPv4, got $total"
	for s in SYSA SYSB SYSC; do
		k=$(grep -cx "$s" "$tmp/all")
		[ "$k" -ge 90 ] && [ "$k" -le 110 ] || fail "$1: $s served $k of 300 (want 90..110)"
		echo "  $s served $k"
	done
	ok "$1: 300 IPv4 requests spread evenly (ROUNDROBIN)"
}

if [ -z "${DATAPATH:-}" ]; then
	# Mixed data paths: SYSA and SYSB (its backup) run the kernel path,
	# SYSC the TUN path, which takes the GRE of SYSA's kernel path off in
	# its daemon.
	cat > "$tmp/mixed.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[3].profile = t.systems[3].profile .. "\nDATAPATH TUN\n"
return t
LUA
	sx up "$tmp/mixed.lua" >/dev/null || fail "sysplex up (SYSC: DATAPATH TUN)"
else
	sx up >/dev/null || fail "sysplex up"
fi
ready4() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -c --arg d "$DVIPA" '[.vdpt[] | select(.dest == $d and .rdy > 0) | .destxcf] | sort'; }
poll_until 30 eval '[ "$(ready4)" = '"'"'["10.10.0.1","10.10.0.2","10.10.0.3"]'"'"' ]' ||
	fail "VDPT of $DVIPA: ready targets $(ready4)"
ok "VDPT lists the three targets of $DVIPA by their IPv4 DYNAMICXCF addresses"
spread "DYNAMICXCF (GRE to 10.10.0.x)"

# Held IPv4 connections (paced, unbounded) until the test ends them.
for c in CLIENT1 CLIENT2; do
	for i in $(seq $N); do echo "url = \"$(held_url 25000)\""; echo "output = /dev/null"; done > "$tmp/$c.cfg"
	ip netns exec "$INST-$c" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max $N \
		-w '%{http_code} %{size_download} %{local_port} %{exitcode}\n' -K "$tmp/$c.cfg" > "$tmp/$c.held" &
	pids="$pids $!"
done
all_live() { [ "$(vcrt4 SYSA | jq '[.[] | select(.state == "ESTABLISHED")] | length')" -ge $((2 * N)) ]; }
poll_until 60 all_live || fail "only $(vcrt4 SYSA | jq length) IPv4 connections in SYSA's VCRT"
vcrt4 SYSA > "$tmp/vcrt.before"
nb=$(jq '[.[] | select(.bypass != "IPV4-ROUTED")] | length' "$tmp/vcrt.before")
[ "$nb" = 0 ] || fail "$nb IPv4 VCRT entries not shown as IPV4-ROUTED"
ok "$((2 * N)) held IPv4 connections, every one IPV4-ROUTED in the VCRT"
# kstat SYS FIELD: the kernel program's counter FIELD for the IPv4 DVIPA.
kstat() { cmdj "$1" 'SYSPLEX$STATS' | jq --arg d "$DVIPA" --arg f "$2" '[.kernel.dvipas[]? | select(.dvipa == $d) | .[$f]] | add // 0'; }
kpkts() { vcrt4 SYSA | jq '[.[].kernelpkts] | add'; }
if [ "${DATAPATH:-BPF}" = BPF ]; then
	# The kernel path: each connection has its kernel entry on SYSA, which
	# sends the clients' packets in GRE; SYSB takes the GRE off in the
	# kernel too, SYSC (DATAPATH TUN) in its daemon.
	paths=$(vcrt4 SYSA | jq -r '[.[].path] | unique | join(",")')
	[ "$paths" = BPF ] || fail "IPv4 VCRT paths on SYSA: $paths (expected BPF)"
	[ "$(cmdj SYSC 'D TCPIP,TCPCS,NETSTAT,CONFIG' | jq -r .config.datapath)" = TUN ] || fail "SYSC does not run DATAPATH TUN"
	k0=$(kpkts); b0=$(kstat SYSB strip_pkts)
	grew() { [ "$(kpkts)" -gt "$k0" ] && [ "$(kstat SYSB strip_pkts)" -gt "$b0" ]; }
	poll_until 30 grew || fail "kernel path idle: SYSA forwarded $k0 -> $(kpkts), SYSB stripped $b0 -> $(kstat SYSB strip_pkts)"
	ok "every IPv4 connection on SYSA's kernel path (PATH BPF): SYSA forwards in GRE ($(kpkts) packets), SYSB decapsulates in the kernel ($(kstat SYSB strip_pkts)), SYSC (TUN) in its daemon"
else
	paths=$(vcrt4 SYSA | jq -r '[.[].path] | unique | join(",")')
	[ "$paths" = TUN ] || fail "IPv4 VCRT paths on SYSA: $paths (expected TUN)"
fi
# The client ports of the connections SYSB and SYSC terminate.
for c in CLIENT1 CLIENT2; do
	a=$(in_host $c ip -4 -o addr show dev lan0 | awk '{ split($4, x, "/"); print x[1] }')
	rx_bytes $c > "$tmp/$c.rx"
	# Held (established at the client) and routed to SYSB or SYSC.
	jq -r --arg a "$a" '.[] | select(.source == $a and .destxcf != "10.10.0.1") | .sport' "$tmp/vcrt.before" |
		awk 'NR == FNR { held[$1] = 1; next } $1 in held' "$tmp/$c.rx" - > "$tmp/$c.ports"
done
survivors=$(cat "$tmp/CLIENT1.ports" "$tmp/CLIENT2.ports" | grep -c .)
[ "$survivors" -ge $((2 * N / 2)) ] && [ "$survivors" -le $((2 * N)) ] ||
	fail "$survivors held connections on SYSB and SYSC (want $((2 * N / 2))..$((2 * N)))"

sx kill SYSA >/dev/null || fail "sysplex kill SYSA"
isb() { [ "$(owner4)" = SYSB ]; }
poll_until 60 isb || fail "owner of $DVIPA after the kill: '$(owner4)'"
grep -q "EZZ8301I VIPA $DVIPA TAKEN OVER FROM TCPCS ON SYSA" "/run/sysplex/$INST/SYSB/stack.log" ||
	fail "no EZZ8301I for $DVIPA on SYSB"
new() { r=$(in_host CLIENT2 curl -s --connect-timeout 1 -m 5 -H 'Connection: close' "http://$DVIPA:$PORT/") && [ -n "$r" ]; }
poll_until 60 new || fail "no new IPv4 connection served after the takeover"
ok "SYSB took $DVIPA over and serves new IPv4 connections (by $r)"
lost=""
for c in CLIENT1 CLIENT2; do
	s=$(stalled $c "$tmp/$c.rx" 60 $(cat "$tmp/$c.ports"))
	[ -z "$s" ] || lost="$lost $c:$s"
done
if [ -n "$lost" ]; then
	# Which target each of them had (SYSA's VCRT before the kill).
	cp "$tmp/vcrt.before" "/run/sysplex/$INST/vcrt-before-kill.json" 2>/dev/null
	fail "held IPv4 connections to SYSB/SYSC lost or stuck after the takeover:$lost (targets: $(
		for p in $lost; do jq -r --arg p "${p#*:}" '.[] | select((.sport | tostring) == $p) | .destxcf' "$tmp/vcrt.before"; done |
		sort | uniq -c | tr -s ' \n' ' '))"
fi
ended=$(cat "$tmp/CLIENT1.held" "$tmp/CLIENT2.held" | grep -c . || true)
ok "all $survivors held IPv4 connections to SYSB and SYSC still receiving after kill -9 of SYSA (0 lost; $ended of SYSA's own ended)"
# Takeback: the restarted VIPADEFINE stack (MOVEABLE IMMEDIATE) takes the
# IPv4 DVIPA back, and the held connections go on.
sx restart SYSA >/dev/null || fail "sysplex restart SYSA"
isa() { [ "$(owner4)" = SYSA ]; }
poll_until 60 isa || fail "SYSA did not take $DVIPA back (owner: $(owner4))"
grep -q "EZZ8303I VIPA $DVIPA GIVEN TO TCPCS ON SYSA" "/run/sysplex/$INST/SYSB/stack.log" ||
	fail "no EZZ8303I for $DVIPA on SYSB"
lost=""
for c in CLIENT1 CLIENT2; do
	rx_bytes $c > "$tmp/$c.rx2"
	s=$(stalled $c "$tmp/$c.rx2" 60 $(cat "$tmp/$c.ports"))
	[ -z "$s" ] || lost="$lost $c:$s"
done
[ -z "$lost" ] || fail "held IPv4 connections to SYSB/SYSC lost or stuck after the takeback:$lost"
ok "SYSA took $DVIPA back (EZZ8303I on SYSB); the $survivors held connections to SYSB and SYSC still receiving"
end_held $pids; pids=""
sx down >/dev/null

# VIPAROUTE: GRE to the targets' LAN addresses, the only path left.  By
# default again mixed: SYSC runs DATAPATH TUN (its raw GRE socket takes the
# GRE of SYSA's kernel path off), SYSA and SYSB the kernel path.
mixed=""
[ -z "${DATAPATH:-}" ] && mixed='t.systems[3].profile = t.systems[3].profile .. "\nDATAPATH TUN\n"'
cat > "$tmp/vroute.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile .. [[
VIPADYNAMIC
  VIPAROUTE DEFINE 10.10.0.2 10.1.0.2
  VIPAROUTE DEFINE 10.10.0.3 10.1.0.3
ENDVIPADYNAMIC
]]
$mixed
return t
LUA
sx up "$tmp/vroute.lua" >/dev/null || fail "sysplex up (VIPAROUTE)"
poll_until 30 eval '[ "$(ready4)" = '"'"'["10.10.0.1","10.10.0.2","10.10.0.3"]'"'"' ]' ||
	fail "VDPT of $DVIPA (VIPAROUTE): ready targets $(ready4)"
in_host SYSA ip route del 10.10.0.2/32 || fail "cannot remove SYSA's route to 10.10.0.2"
in_host SYSA ip route del 10.10.0.3/32 || fail "cannot remove SYSA's route to 10.10.0.3"
ok "SYSA has no route to the IPv4 DYNAMICXCF addresses of SYSB and SYSC"
spread "VIPAROUTE (GRE to 10.1.0.x)"
if [ "${DATAPATH:-BPF}" = BPF ]; then
	# The kernel path: SYSA's program sends in GRE to the LAN addresses,
	# SYSB's takes it off, SYSC's daemon (DATAPATH TUN) in its raw GRE
	# socket, where the checksum the client left to the device arrives
	# unfinished (dp.c has its TUN complete it).  Six connections of two
	# requests each (ROUNDROBIN: two per target): the second request
	# crosses SYSA's program, its connection confirmed by then.
	[ "$(cmdj SYSC 'D TCPIP,TCPCS,NETSTAT,CONFIG' | jq -r .config.datapath)" = TUN ] ||
		fail "SYSC does not run DATAPATH TUN (VIPAROUTE)"
	strips() { cmdj SYSC 'SYSPLEX$STATS' | jq .strip_pkts; }
	a0=$(kstat SYSA fwd_pkts); b0=$(kstat SYSB strip_pkts); c0=$(strips)
	for i in $(seq 6); do
		in_host CLIENT1 curl -s -m 20 "http://$DVIPA:$PORT/" "http://$DVIPA:$PORT/"
	done > "$tmp/ka.out"
	[ "$(grep -c . "$tmp/ka.out")" = 12 ] ||
		fail "VIPAROUTE keep-alive: $(grep -c . "$tmp/ka.out") of 12 answers ($(sort "$tmp/ka.out" | uniq -c | xargs))"
	grep -qx SYSB "$tmp/ka.out" && grep -qx SYSC "$tmp/ka.out" ||
		fail "VIPAROUTE keep-alive: answers from $(sort -u "$tmp/ka.out" | xargs), not SYSB and SYSC"
	a1=$(kstat SYSA fwd_pkts); b1=$(kstat SYSB strip_pkts); c1=$(strips)
	[ "$a1" -gt "$a0" ] && [ "$b1" -gt "$b0" ] && [ "$c1" -gt "$c0" ] ||
		fail "VIPAROUTE not on the kernel path: SYSA's program forwarded $a0 -> $a1, SYSB's stripped $b0 -> $b1, SYSC's daemon $c0 -> $c1"
	ok "VIPAROUTE on the kernel path: SYSA's program sent $((a1 - a0)) packets in GRE to the LAN addresses, SYSB's program took $((b1 - b0)) off, SYSC's raw GRE socket (DATAPATH TUN) $((c1 - c0)); 12 of 12 keep-alive answers"
fi
exit 0

#!/usr/bin/env bash
# Proves: VIPADISTRIBUTE ... SYSPLEXPORTS.  Every target asks the routing
# stack SYSA for ephemeral port blocks for the DVIPA; D TCPIP,,SYSPLEX,PORTS
# shows three disjoint ranges, each target's namespace uses its own range
# (ip_local_port_range) and shows it.  Connections the targets open FROM the
# DVIPA to a server on CLIENT1 work from every target at once: the server's
# answers go to the DVIPA, i.e. to SYSA, which forwards each to the target
# holding its port; every source port lies in its target's range.
. tests/netns/lib.sh
tmp=$(mktemp -d); srv=""
trap 'kill $srv 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/sp.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("DISTMETHOD ROUNDROBIN", "DISTMETHOD ROUNDROBIN SYSPLEXPORTS")
return t
LUA
sx up "$tmp/sp.lua" >/dev/null || fail "sysplex up"
ports() { cmdj SYSA 'D TCPIP,,SYSPLEX,PORTS'; }
three() { [ "$(ports | jq '[.ports[] | select(.blocks == 8)] | length')" = 3 ]; }
poll_until 30 three || fail "SYSA did not give 3 targets 8 blocks each: $(ports)"
p=$(ports)
echo "$p" | jq -r '.ports[] | "\(.destname) \(.ranges[0].first) \(.ranges[0].last)"' | sort > "$tmp/ranges"
cat "$tmp/ranges" | sed 's/^/  /'
# Disjoint: sorted by first port, each starts after the previous ends.
sort -k2n "$tmp/ranges" | awk 'NR > 1 && $2 <= last { exit 1 } { last = $3 }' || fail "ranges overlap: $(cat "$tmp/ranges")"
sx cmd --system SYSA 'D TCPIP,,SYSPLEX,PORTS' | grep -q "SYSPLEX PORTS DISPLAY FROM TCPCS AT SYSA" || fail "PORTS text"
for s in SYSA SYSB SYSC; do
	read -r _ lo hi < <(grep "^${s}TCPCS " "$tmp/ranges")
	local_range() { [ "$(in_host $s cat /proc/sys/net/ipv4/ip_local_port_range | tr -s ' \t' ' ')" = "$lo $hi" ]; }
	poll_until 30 local_range || fail "$s ip_local_port_range $(in_host $s cat /proc/sys/net/ipv4/ip_local_port_range), want $lo $hi"
	l=$(cmdj $s 'D TCPIP,,SYSPLEX,PORTS' | jq -r '.local | "\(.first) \(.last)"')
	[ "$l" = "$lo $hi" ] || fail "$s's PORTS display says $l, want $lo $hi"
done
ok "three disjoint ranges, each target's namespace uses its own and displays it"

ip netns exec "$INST-CLIENT1" "$BIN/sysplex-httpd" -a fd00:1::101 -p 9000 -n CLIENT1 > "$tmp/srv.log" 2>&1 &
srv=$!
up() { in_host CLIENT1 ss -Hltn | grep -q ':9000'; }
poll_until 30 up || fail "server on CLIENT1 not listening"
# From every target at once: 10 connections each from the DVIPA.
pids=""
for s in SYSA SYSB SYSC; do
	for i in $(seq 10); do echo "url = \"http://[fd00:1::101]:9000/\""; done > "$tmp/$s.cfg"
	ip netns exec "$INST-$s" curl -s -m 30 --interface "$DVIPA" -H 'Connection: close' \
		-w ' %{local_port}\n' -K "$tmp/$s.cfg" > "$tmp/$s.out" 2>&1 &
	pids="$pids $!"
done
wait $pids
for s in SYSA SYSB SYSC; do
	read -r _ lo hi < <(grep "^${s}TCPCS " "$tmp/ranges")
	n=$(grep -c "^CLIENT1" "$tmp/$s.out")
	[ "$n" = 10 ] || fail "$s: $n of 10 connections from the DVIPA answered: $(head -3 "$tmp/$s.out")"
	# (the answer's body ends with a newline: the port is on the next line)
	[ "$(grep -c '^ [0-9]' "$tmp/$s.out")" = 10 ] || fail "$s: no source ports: $(cat "$tmp/$s.out")"
	awk -v lo="$lo" -v hi="$hi" '/^ [0-9]/ && ($1 < lo || $1 > hi) { exit 1 }' "$tmp/$s.out" || fail "$s used ports outside $lo-$hi: $(cat "$tmp/$s.out")"
	echo "  $s: 10 of 10 answered, source ports in $lo-$hi"
done
ok "connections opened from the DVIPA by every target reach their target through SYSA"
exit 0

#!/usr/bin/env bash
# Proves: a takeover with many live connections loses none of them.
# TAKEOVER_CONNS (default 2000; `make test-takeover-many` runs 20,000) idle
# connections are held from CLIENT1 and CLIENT2 to DVIPA1 port 7777, where
# every system runs an echo server (tests/tools/idle_conns.py), spread over
# the three targets.  Every connection answers a byte first.  kill -9 of
# the routing stack SYSA: SYSB takes the DVIPA over and rebuilds its VCRT
# from the targets' full reports (the targets send them to a new owner, as
# they do on a rejoin); every connection terminated on SYSB or SYSC answers
# a byte again through the new owner.  SYSA restarts, reloads, takes the
# DVIPA back; then every connection answers, those terminated on SYSA
# included.  No Mobile IPv6 bypass on port 7777: every byte takes the
# routing stack, so a connection missing from its table would not answer.
. tests/netns/lib.sh
N=${TAKEOVER_CONNS:-2000}
tmp=$(mktemp -d); pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; exec {f1}>&- {f2}>&- 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
owner() { for s in SYSA SYSB SYSC; do sx cmd --system $s SYSPLEX\$ROLE 2>/dev/null | grep -q ' ACTIVE DIST' && echo $s; done; }
vcrt_n() { cmdj "$1" 'SYSPLEX$STATS' | jq .vcrt; }
to_a() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.dport == 7777 and .destxcf == "fd00:10::1")] | length'; }

cat > "$tmp/topo.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
local a = t.systems[1]
a.profile = a.profile:gsub("MOBILEIPV6 DVIPA1 PORT 8080 DESTIP ALL",
	"NOMOBILEIPV6 DVIPA1 PORT 8080 7777 DESTIP ALL", 1)
return t
LUA
sx up "$tmp/topo.lua" >/dev/null || fail "sysplex up"
grep -q "PORT 8080 7777" "/run/sysplex/$INST/SYSA/profile" || fail "topology: port 7777 not distributed"
for h in SYSA SYSB SYSC; do
	ip netns exec "$INST-$h" python3 tests/tools/idle_conns.py serve 7777 >/dev/null &
	pids="$pids $!"
done
every_rdy() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jqe '[.vdpt[] | select(.port == 7777 and .rdy > 0)] | length == 3'; }
poll_until 60 every_rdy || fail "port 7777 not ready on every target"

# The holders: N/2 connections from each client, from 2 extra addresses each.
for h in CLIENT1 CLIENT2; do
	ip netns exec "$INST-$h" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	n=${h#CLIENT}
	for i in 1 2; do ip netns exec "$INST-$h" ip -6 addr add "fd00:1::$n:$i/64" dev lan0 nodad; done
	mkfifo "$tmp/$h.in"
	ip netns exec "$INST-$h" python3 tests/tools/idle_conns.py hold "$DVIPA" 7777 $((N / 2)) \
		"fd00:1::$n:1,fd00:1::$n:2" <"$tmp/$h.in" >"$tmp/$h.out" &
	pids="$pids $!"
done
exec {f1}>"$tmp/CLIENT1.in" {f2}>"$tmp/CLIENT2.in"
for h in CLIENT1 CLIENT2; do
	poll_until 300 grep -q held "$tmp/$h.out" || fail "$h: holder did not finish"
	grep -q "held $((N / 2)) failed 0" "$tmp/$h.out" || fail "$h: $(cat "$tmp/$h.out")"
done
all_routed() { [ "$(vcrt_n SYSA)" -ge "$N" ]; }
poll_until 120 all_routed || fail "SYSA routes $(vcrt_n SYSA) of $N"
# ping T: one byte on every connection of both clients; prints the number
# of connections that echoed everything (the holders append one "echoed"
# line per ping to their output).
PINGS=0
echoed_lines() { [ "$(grep -c '^echoed' "$1")" -ge "$PINGS" ]; }
ping() {
	local h e=0 m
	PINGS=$((PINGS + 1))
	echo "ping $1" >&$f1; echo "ping $1" >&$f2
	for h in CLIENT1 CLIENT2; do
		poll_until $(($1 + 30)) echoed_lines "$tmp/$h.out" || { echo 0; return; }
		m=$(grep "^echoed" "$tmp/$h.out" | sed -n "${PINGS}p" | awk '{ print $2 }')
		e=$((e + m))
	done
	echo $e
}
e=$(ping 60)
[ "$e" = "$N" ] || fail "before the takeover only $e of $N connections echo"
na=$(to_a)
ok "$N idle connections held, every one echoes; $na of them terminated on SYSA"

sx kill SYSA >/dev/null || fail "sysplex kill SYSA"
isb() { [ "$(owner)" = SYSB ]; }
poll_until 60 isb || fail "owner after the kill: '$(owner)'"
rebuilt() { [ "$(vcrt_n SYSB)" -ge $((N - na)) ]; }
poll_until 120 rebuilt || fail "SYSB rebuilt $(vcrt_n SYSB) VCRT entries, $((N - na)) expected"
e=$(ping 60)
# Those terminated on SYSA stall until it restarts; every other one answers.
[ "$e" -ge $((N - na)) ] || fail "after the takeover $e connections echo, $((N - na)) expected"
ok "SYSB took over and rebuilt its VCRT ($(vcrt_n SYSB) entries): all $((N - na)) connections of SYSB and SYSC echo"

sx restart SYSA >/dev/null || fail "sysplex restart SYSA"
isa() { [ "$(owner)" = SYSA ]; }
poll_until 60 isa || fail "owner after the restart: '$(owner)'"
e=$(ping 120)
[ "$e" = "$N" ] || fail "after the takeback $e of $N connections echo"
ok "SYSA restarted and took the DVIPA back: all $N connections echo, none lost"
exit 0

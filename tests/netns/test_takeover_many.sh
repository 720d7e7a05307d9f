#!/usr/bin/env bash
# Proves: a takeover with many live connections loses none of them.
# TAKEOVER_CONNS (default 2000; `make test-takeover-many` runs 20,000,
# `make test-takeover-many TAKEOVER_CONNS=100000` the long run) idle
# connections are held from CLIENT1 and CLIENT2 to DVIPA1 port 7777, where
# every system runs echo servers (tests/tools/idle_conns.py), spread over
# the three targets.  Every connection answers a byte first.  kill -9 of
# the routing stack SYSA: SYSB takes the DVIPA over and rebuilds its VCRT
# from the targets' full reports (the targets send them to a new owner, as
# they do on a rejoin); every connection terminated on SYSB or SYSC answers
# a byte again through the new owner.  SYSA restarts, reloads, takes the
# DVIPA back; then every connection answers, those terminated on SYSA
# included.  No Mobile IPv6 bypass on port 7777: every byte takes the
# routing stack, so a connection missing from its table would not answer.
# A connection is lost when it is closed or reset (the holders count those
# apart) or has not answered by the end.
#
# A process may hold 20,000 descriptors here (the hard limit, which root
# cannot raise without CAP_SYS_RESOURCE), so the connections are held by
# one holder per 15,000 and every system runs one server per 10,000 of its
# third (SO_REUSEPORT); each client connects from one extra source address
# per 30,000 of its half (an address has about 64,000 ports per
# destination; the holders leave the choice of port to connect()).
# Figures: "takeover_*" lines (times from the kill, the restart).
. tests/netns/lib.sh
N=${TAKEOVER_CONNS:-2000}
HALF=$((N / 2))
NSRV=$(( (N / 3 + 9999) / 10000 )); [ "$NSRV" -ge 1 ] || NSRV=1
NSRC=$(( (HALF + 29999) / 30000 )); [ "$NSRC" -ge 2 ] || NSRC=2
[ "$N" -le 150000 ] || export SYSPLEX_STACK_MAX_CONNS=$((N * 6 / 5))
tmp=$(mktemp -d); pids=""; fds=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; for f in $fds; do exec {f}>&-; done 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
owner() { for s in SYSA SYSB SYSC; do sx cmd --system $s SYSPLEX\$ROLE 2>/dev/null | grep -q ' ACTIVE DIST' && echo $s; done; }
vcrt_n() { cmdj "$1" 'SYSPLEX$STATS' | jq .vcrt; }
to_a() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.dport == 7777 and .destxcf == "fd00:10::1")] | length'; }
now() { date +%s%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
fig() { printf '%-32s %12s %-8s %s\n' "$1" "$2" "$3" "$4"; }

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
	for i in $(seq 1 "$NSRV"); do
		ip netns exec "$INST-$h" python3 tests/tools/idle_conns.py serve 7777 >/dev/null &
		pids="$pids $!"
	done
done
every_rdy() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jqe '[.vdpt[] | select(.port == 7777 and .rdy > 0)] | length == 3'; }
poll_until 60 every_rdy || fail "port 7777 not ready on every target"

# The holders: N/2 connections from each client, at most 15,000 a holder.
outs=""
for h in CLIENT1 CLIENT2; do
	ip netns exec "$INST-$h" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	n=${h#CLIENT}; srcs=""
	for i in $(seq 1 "$NSRC"); do
		ip netns exec "$INST-$h" ip -6 addr add "fd00:1::$n:$i/64" dev lan0 nodad
		srcs="$srcs${srcs:+,}fd00:1::$n:$i"
	done
	left=$HALF; k=0
	while [ "$left" -gt 0 ]; do
		m=$((left > 15000 ? 15000 : left)); left=$((left - m)); k=$((k + 1))
		f=$tmp/$h.$k
		mkfifo "$f.in"
		ip netns exec "$INST-$h" python3 tests/tools/idle_conns.py hold "$DVIPA" 7777 "$m" \
			"$srcs" <"$f.in" >"$f.out" &
		pids="$pids $!"
		exec {fd}>"$f.in"
		fds="$fds $fd"; outs="$outs $f.out"
	done
done
for f in $outs; do
	poll_until 600 grep -q held "$f" || fail "$f: holder did not finish"
	grep -q "failed 0" "$f" || fail "$(basename "$f"): $(cat "$f")"
done
all_routed() { [ "$(vcrt_n SYSA)" -ge "$N" ]; }
poll_until 120 all_routed || fail "SYSA routes $(vcrt_n SYSA) of $N"
# ping T: one byte on every connection of every holder; sets ECHOED (the
# connections that echoed everything so far) and CLOSED (closed or reset
# since the start) from each holder's "echoed" line for this ping.
PINGS=0
echoed_lines() { [ "$(grep -c '^echoed' "$1")" -ge "$PINGS" ]; }
ping() {
	local f
	PINGS=$((PINGS + 1)); ECHOED=0; CLOSED=0
	for f in $fds; do echo "ping $1" >&"$f"; done
	for f in $outs; do
		poll_until $(($1 + 60)) echoed_lines "$f" || return
		set -- "$1" $(grep "^echoed" "$f" | sed -n "${PINGS}p")
		ECHOED=$((ECHOED + $3)); CLOSED=$((CLOSED + ${7:-0}))
	done
}
ping 60
[ "$ECHOED" = "$N" ] || fail "before the takeover only $ECHOED of $N connections echo ($CLOSED closed)"
na=$(to_a)
ok "$N idle connections held ($NSRV servers a system, $NSRC source addresses a client), every one echoes; $na of them terminated on SYSA"

t0=$(now)
sx kill SYSA >/dev/null || fail "sysplex kill SYSA"
isb() { [ "$(owner)" = SYSB ]; }
poll_until 60 isb || fail "owner after the kill: '$(owner)'"
fig takeover_owner_s "$(since "$t0")" s "from kill -9 of SYSA until SYSB says it owns DVIPA1 ($N connections)"
rebuilt() { [ "$(vcrt_n SYSB)" -ge $((N - na)) ]; }
poll_until 120 rebuilt || fail "SYSB rebuilt $(vcrt_n SYSB) VCRT entries, $((N - na)) expected"
fig takeover_rebuilt_s "$(since "$t0")" s "until SYSB's VCRT holds the $((N - na)) connections of SYSB and SYSC"
ping 60
# Those terminated on SYSA stall until it restarts; every other one answers.
[ "$ECHOED" -ge $((N - na)) ] && [ "$CLOSED" = 0 ] ||
	fail "after the takeover $ECHOED connections echo, $((N - na)) expected ($CLOSED closed)"
ok "SYSB took over and rebuilt its VCRT ($(vcrt_n SYSB) entries): all $((N - na)) connections of SYSB and SYSC echo"

t0=$(now)
sx restart SYSA >/dev/null || fail "sysplex restart SYSA"
isa() { [ "$(owner)" = SYSA ]; }
poll_until 60 isa || fail "owner after the restart: '$(owner)'"
fig takeover_back_owner_s "$(since "$t0")" s "from the restart of SYSA until it owns DVIPA1 again"
# The bytes of the connections terminated on SYSA have been retransmitted
# with backoff since the kill: the next retransmission may be up to
# TCP_RTO_MAX (120 s) away, so the last ping may take that long.
ping 300
fig takeover_back_echo_s "$(since "$t0")" s "until every connection echoed (the stalled ones wait for their retransmission)"
[ "$ECHOED" = "$N" ] || fail "after the takeback $ECHOED of $N connections echo ($CLOSED closed)"
ok "SYSA restarted and took the DVIPA back: all $N connections echo, none lost"
exit 0

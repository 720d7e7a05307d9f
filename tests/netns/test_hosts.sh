#!/usr/bin/env bash
# Proves: stacks on separate hosts, started without the launcher.  Four
# network namespaces play four machines on one LAN (a bridge): HA, HB, HC
# run the systems SYSA (owner and distributor of the DVIPA), SYSB (its
# backup) and SYSC (a target, and the host of the couple data set server);
# CL is a client host with the client agent.  The hosts share no file: each
# has its own directory holding its copy of the couple config and its own
# PROFILE and state; the couple data set is reached only through the CDS
# server's TCP address.  Every daemon is started with the per-host commands
# of docs/DEPLOY.md (not `sysplex up`); each system host makes its own XCF
# key pair (--keygen, mode 0600, never replaced) and the couple config lists
# the public keys; the CDS host makes the CDS server's key pair and the
# couple config names its public key.  Shown: the CDS server is formatted
# and serves all three (each registers its slot) over CURVE (a capture of
# its traffic shows no name in the clear), new connections to the
# DVIPA land on more than one target, held connections are bound to their
# targets (Mobile IPv6 bypass: the client sends to the care-of address
# directly), and after kill -9 of SYSA's stack the backup SYSB takes the
# DVIPA over, serves new connections, and no held connection on SYSB or SYSC
# is lost.  The CDS server stopped and restarted: the systems report it
# unreachable, then go on by themselves, nobody partitioned out.  An
# intruder host IN with a key pair of its own, not listed in the couple data
# set, starting a stack from a couple config that lists it: the CDS server
# refuses its key (IXC259I, and the intruder's stack says the server refused
# its key) and so does every member of the bus (counted, logged); it never
# appears in the data set or among the members.  Junk and 80 idle
# connections to the CDS server are dropped (no handshake within 2 s) while
# the systems' status updates go on.  A stack stopped cleanly leaves its
# host's rules and sysctls as it found them.
. tests/netns/lib.sh
tmp=$(mktemp -d); pids=""
HOSTS="HA HB HC CL IN"
teardown() {
	local p h
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	if [ -n "${FAILED:-}" ]; then
		local keep=${SYSPLEX_TEST_LOGS:-/tmp}/sysplex-test_hosts-$INST
		rm -rf "$keep" && cp -r "$tmp" "$keep" 2>/dev/null && echo "  logs kept in $keep" >&2
	fi
	for h in $HOSTS LAN; do ip netns del "$INST-$h" 2>/dev/null; done
	rm -rf "$tmp"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# on HOST CMD...: run on a host in the foreground.  Background jobs are
# started with `ip netns exec` itself, so that $! is the program.
on() { local h=$1; shift; ip netns exec "$INST-$h" "$@"; }
N=6              # held connections, 25 kB/s each

# ---- the network (what the machines' administrators and cables provide) ----
ip netns add "$INST-LAN" || fail "netns"
on LAN sysctl -qw net.ipv6.conf.all.disable_ipv6=1
on LAN ip link add br0 type bridge mcast_snooping 0
on LAN ip link set br0 up
i=0
for h in $HOSTS; do
	i=$((i + 1)); lan=fd00:1::$i; [ $h = CL ] && lan=fd00:1::101; [ $h = IN ] && lan=fd00:1::66
	ip netns add "$INST-$h" || fail "netns $h"
	on $h ip link set lo up
	on LAN ip link add "${INST}h$i" type veth peer name lan0 netns "$INST-$h"
	on LAN ip link set "${INST}h$i" master br0 up
	on $h ip link set lan0 up
	on $h ip -6 addr add $lan/64 dev lan0 nodad
	mkdir -p "$tmp/$h/etc" "$tmp/$h/var"
done

# ---- each system host makes its XCF key pair; only the public key leaves it ----
for hs in HA:SYSA HB:SYSB HC:SYSC; do
	h=${hs%%:*} sys=${hs#*:}
	mkdir -m 700 "$tmp/$h/var/$sys"
	key=$(on $h "$BIN/tcpip-stack" --keygen "$tmp/$h/var/$sys" 2>/dev/null) || fail "--keygen on $h"
	[ ${#key} = 40 ] || fail "--keygen on $h printed '$key'"
	eval "key_$sys=\$key"
done
[ "$(stat -c %a "$tmp/HA/var/SYSA/xcf.key")" = 600 ] || fail "xcf.key is not mode 0600"
on HA "$BIN/tcpip-stack" --keygen "$tmp/HA/var/SYSA" 2>/dev/null && fail "--keygen replaced a key file"
# The CDS host makes the CDS server's key pair the same way.
mkdir -m 700 "$tmp/HC/var/cds"
key_CDS=$(on HC "$BIN/tcpip-stack" --keygen "$tmp/HC/var/cds" 2>/dev/null) || fail "--keygen for the CDS server"

# ---- the files an administrator writes once and copies to every host ----
cat > "$tmp/couple.cfg" <<EOF
SYSPLEX PLEX1
INTERVAL 50 FAILURE 250
CDS tcp://[fd00:1::3]:7400 KEY $key_CDS LEASE 400
MEMBER SYSA TCPCS tcp://[fd00:1::1]:7000 KEY $key_SYSA
MEMBER SYSB TCPCS tcp://[fd00:1::2]:7000 KEY $key_SYSB
MEMBER SYSC TCPCS tcp://[fd00:1::3]:7000 KEY $key_SYSC
EOF
for h in HA HB HC CL; do cp "$tmp/couple.cfg" "$tmp/$h/etc/couple.cfg"; done
cat > "$tmp/HA/etc/SYSA.profile" <<EOF
IPCONFIG6 DYNAMICXCF fd00:10::1
VIPADYNAMIC
  VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 $DVIPA
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN MOBILEIPV6 DVIPA1 PORT $PORT DESTIP ALL
ENDVIPADYNAMIC
EOF
cat > "$tmp/HB/etc/SYSB.profile" <<EOF
IPCONFIG6 DYNAMICXCF fd00:10::2
IPCONFIG DYNAMICXCF 10.10.0.2 255.255.255.0 1
VIPADYNAMIC
  VIPABACKUP 100 MOVEABLE IMMEDIATE DVIPA1 $DVIPA
ENDVIPADYNAMIC
EOF
echo "IPCONFIG6 DYNAMICXCF fd00:10::3" > "$tmp/HC/etc/SYSC.profile"

# ---- per-host commands (docs/DEPLOY.md) ----
# HC: the couple data set and its server.
on HC "$BIN/tcpip-stack" -c "$tmp/HC/etc/couple.cfg" --cds-format "$tmp/HC/var/cds.db" \
	> "$tmp/format.out" || fail "--cds-format"
grep -q "IXC286I COUPLE DATA SET .* FORMATTED FOR SYSPLEX PLEX1, 3 SYSTEMS" "$tmp/format.out" ||
	fail "no IXC286I: $(cat "$tmp/format.out")"
on HC "$BIN/tcpip-stack" -c "$tmp/HC/etc/couple.cfg" --cds-format "$tmp/HC/var/cds.db" \
	2>/dev/null && fail "--cds-format formatted over an existing data set"
on HC "$BIN/tcpip-stack" --cds-server '[fd00:1::3]:7400' "$tmp/HC/var/cds.db" 2>/dev/null
[ $? = 2 ] || fail "--cds-server without -k KEYFILE did not exit 2"
ip netns exec "$INST-HC" "$BIN/tcpip-stack" --cds-server '[fd00:1::3]:7400' -k "$tmp/HC/var/cds/xcf.key" \
	"$tmp/HC/var/cds.db" 2> "$tmp/HC/cds-server.log" &
cds_pid=$!; pids="$pids $cds_pid"
ok "couple data set formatted on HC (not over an existing one) and served on [fd00:1::3]:7400 with CURVE"

# Every system host: a route to every other system's DYNAMICXCF address
# through its LAN address, then the stack and the server application.
start_system() {	# HOST SYS N
	local h=$1 sys=$2 n=$3 j
	for j in 1 2 3; do
		[ $j = $n ] || on $h ip -6 route add fd00:10::$j/128 via fd00:1::$j dev lan0
	done
	ip netns exec "$INST-$h" "$BIN/tcpip-stack" -p "$tmp/$h/etc/$sys.profile" -c "$tmp/$h/etc/couple.cfg" \
		-s $sys -i lan0 -d "$tmp/$h/var/$sys" 2> "$tmp/$h/stack.log" &
	eval "pid_$sys=$!"; pids="$pids $!"
	ip netns exec "$INST-$h" "$BIN/sysplex-httpd" -a $DVIPA -p $PORT -n $sys 2> "$tmp/$h/httpd.log" &
	pids="$pids $!"
}
start_system HA SYSA 1
# SYSB has an IPv4 DYNAMICXCF address too: its stack sets IPv4 sysctls and
# moves the IPv4 local rule, and must put them back at a clean stop.
v4sysctls="net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv4.conf.all.arp_ignore
	net.ipv4.conf.all.arp_announce net.ipv4.conf.lan0.rp_filter net.ipv4.neigh.lan0.proxy_delay"
# shellcheck disable=SC2086
v4before=$(on HB sysctl -n $v4sysctls | tr '\n' ' ')
rules4before=$(on HB ip -4 rule show | tr -s ' \t' ' ')
start_system HB SYSB 2
start_system HC SYSC 3
# The client host: the DVIPA prefix on the LAN, the care-of addresses through
# the systems' LAN addresses, and the client agent.
on CL ip -6 route add fd00:100::/64 dev lan0
for j in 1 2 3; do on CL ip -6 route add fd00:10::$j/128 via fd00:1::$j dev lan0; done
ip netns exec "$INST-CL" "$BIN/client-agent" -i mip0 -l lan0 -r fd00:100::/64 -d "$tmp/CL/var/agent" \
	2> "$tmp/CL/agent.log" &
pids="$pids $!"

cmd() { "$BIN/tcpip-stack" -d "$tmp/$1/var/$2" --cmd "$3" --json; }
role() { "$BIN/tcpip-stack" -d "$tmp/$1/var/$2" --cmd 'SYSPLEX$ROLE' 2>/dev/null; }
owner() { role HA SYSA | grep -q ' ACTIVE DIST' && echo SYSA; role HB SYSB | grep -q ' ACTIVE DIST' && echo SYSB; }
slots_active() { [ "$(cmd HA SYSA 'D XCF,COUPLE' | jq '[.slots[]? | select(.status == "ACTIVE")] | length')" = 3 ]; }
poll_until 60 slots_active || fail "not every system registered in the CDS: $(cmd HA SYSA 'D XCF,COUPLE')"
ok "SYSA, SYSB, SYSC registered ACTIVE in the couple data set served by HC"
# Private: the packets with data among 60 on the CDS server's port carry
# none of the names every status update and every answer hold inside.
timeout 60 ip netns exec "$INST-HC" tshark -n -i lan0 -c 60 -f "tcp port 7400" \
	-T fields -e tcp.payload > "$tmp/cds.cap" 2>/dev/null
ndata=$(grep -c . "$tmp/cds.cap")
[ "$ndata" -ge 10 ] || fail "too little CDS traffic captured: $(cat "$tmp/cds.cap")"
for w in SYSATCPCS SYSBTCPCS PLEX1; do
	hex=$(printf '%s' $w | od -An -tx1 | tr -d ' \n')
	tr -d ':' < "$tmp/cds.cap" | grep -qi "$hex" && fail "'$w' in the clear on the CDS server's port"
done
ok "$ndata packets with data on the CDS server's port captured on HC: no member or sysplex name in the clear (CURVE)"
[ "$(on HB sysctl -n net.ipv4.ip_forward)" = 1 ] &&
	on HB ip -4 rule show | grep -q "^100:.*lookup local" ||
	fail "SYSB's stack did not set up IPv4 (ip_forward, local rule at 100): $(on HB ip -4 rule show)"
ready() { [ "$(cmd HA SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq '[.vdpt[] | select(.rdy > 0)] | length')" = 3 ]; }
poll_until 60 ready || fail "not 3 ready targets: $(cmd HA SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT')"

# Distribution: new connections land on more than one target.
: > "$tmp/served"
for i in $(seq 6); do
	on CL curl -s -m 10 -H 'Connection: close' "http://[$DVIPA]:$PORT/" >> "$tmp/served" ||
		fail "connection $i to the DVIPA failed"
	echo >> "$tmp/served"
done
nsrv=$(grep -o 'SYS[ABC]' "$tmp/served" | sort -u | wc -l)
[ "$nsrv" -ge 2 ] || fail "6 connections all served by one target: $(cat "$tmp/served")"
ok "6 new connections to the DVIPA served by $nsrv targets ($(grep -o 'SYS[ABC]' "$tmp/served" | sort | uniq -c | tr -s ' \n' ' '))"

# Held connections, bound (bypass) to their targets.
for i in $(seq $N); do echo "url = \"$(held_url 25000)\""; echo "output = /dev/null"; done > "$tmp/held.cfg"
ip netns exec "$INST-CL" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max $N \
	-K "$tmp/held.cfg" > "$tmp/held.out" &
cpid=$!; pids="$pids $cpid"
vcrt() { cmd HA SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL'; }
all_bound() { [ "$(vcrt | jq '[.vcrt[] | select(.state == "ESTABLISHED" and .bypass == "BOUND")] | length')" -ge $N ]; }
poll_until 60 all_bound || fail "held connections not all bound: $(vcrt | jq -c .vcrt)"
vcrt > "$tmp/vcrt.before"
direct() { [ "$("$BIN/client-agent" --show --json -d "$tmp/CL/var/agent" | jq .counters.direct_pkts)" -gt 0 ]; }
poll_until 30 direct || fail "the client agent sent nothing directly to a care-of address"
ok "$N held connections bound to their targets ($(jq -r '[.vcrt[].destxcf] | sort | unique | join(" ")' "$tmp/vcrt.before")); the client sends to the care-of addresses directly"

# Takeover: kill -9 of the owner's stack; the backup serves, nothing on the
# surviving targets is lost.
jq -r '.vcrt[] | select(.state == "ESTABLISHED" and .destxcf != "fd00:10::1") | .sport' "$tmp/vcrt.before" > "$tmp/survive"
[ -s "$tmp/survive" ] || fail "no held connection on SYSB or SYSC: $(jq -c .vcrt "$tmp/vcrt.before")"
rx_bytes CL > "$tmp/rx.before"
t0=$(date +%s%N)
kill -9 "$pid_SYSA"; wait "$pid_SYSA" 2>/dev/null
served=""
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 60000 ]; do
	if r=$(on CL curl -s --connect-timeout 0.3 -m 5 -H 'Connection: close' "http://[$DVIPA]:$PORT/") &&
	   [ -n "$r" ]; then
		served=$(( ($(date +%s%N) - t0) / 1000000 )); break
	fi
done
[ -n "$served" ] || fail "no new connection served within 60 s of kill -9 of SYSA"
isb() { [ "$(owner)" = SYSB ]; }
poll_until 30 isb || fail "owner after the kill: '$(owner)'"
grep -q "EZZ8301I VIPA $DVIPA TAKEN OVER FROM TCPCS ON SYSA" "$tmp/HB/stack.log" || fail "no EZZ8301I on SYSB"
ok "SYSB took the DVIPA over and served a new connection $served ms after kill -9 of SYSA"
rx_bytes CL > "$tmp/rx.after"
lost=""
for p in $(cat "$tmp/survive"); do grep -q "^$p " "$tmp/rx.after" || lost="$lost $p"; done
[ -z "$lost" ] || fail "connections on SYSB/SYSC closed by the takeover:$lost"
s=$(stalled CL "$tmp/rx.after" 60 $(cat "$tmp/survive"))
[ -z "${s// /}" ] || fail "connections on SYSB/SYSC no longer receiving: $s"
ok "0 of $(wc -l < "$tmp/survive") held connections on SYSB/SYSC lost: all still receiving"

# The CDS server stopped and started again: while it is gone no lease is
# renewed (D XCF,COUPLE says why); when it is back the systems go on by
# themselves, nobody is partitioned out, and SYSB serves the DVIPA again.
kill -TERM "$cds_pid"; wait "$cds_pid" 2>/dev/null
unreachable() { [ "$(cmd HB SYSB 'D XCF,COUPLE' | jq .reachable)" = false ]; }
poll_until 30 unreachable || fail "SYSB still reaches the stopped CDS server: $(cmd HB SYSB 'D XCF,COUPLE')"
ok "CDS server stopped: SYSB reports it unreachable ($(cmd HB SYSB 'D XCF,COUPLE' | jq -r .error))"
ip netns exec "$INST-HC" "$BIN/tcpip-stack" --cds-server '[fd00:1::3]:7400' -k "$tmp/HC/var/cds/xcf.key" \
	"$tmp/HC/var/cds.db" 2>> "$tmp/HC/cds-server.log" &
cds_pid=$!; pids="$pids $cds_pid"
both() { [ "$(cmd HB SYSB 'D XCF,COUPLE' | jq '[.slots[] | select(.status == "ACTIVE")] | length')" = 2 ] &&
	 [ "$(cmd HB SYSB 'D XCF,COUPLE' | jq .reachable)" = true ] && isb; }
poll_until 60 both || fail "after the CDS server came back: $(cmd HB SYSB 'D XCF,COUPLE' | jq -c '[.reachable, .slots]'), owner '$(owner)'"
r=$(on CL curl -s -m 10 -H 'Connection: close' "http://[$DVIPA]:$PORT/") && [ -n "$r" ] ||
	fail "no new connection served after the CDS server came back"
# A system that cannot reach the data set for two leases (800 ms) goes out
# by itself and rejoins as a new incarnation (IXC105I ... NOT REACHABLE):
# that is the design, and what a restart slower than that (a busy machine,
# the sanitizers) leads to.  Then the old incarnations' slots are
# partitioned; the state above (both ACTIVE, SYSB owning and serving) is
# what must hold either way.  A shorter outage partitions nobody.
out=$(grep -ho "IXC105I SYS[BC] IS NO LONGER ACTIVE IN SYSPLEX PLEX1: ITS COUPLE DATA SET IS NOT REACHABLE" \
	"$tmp/HB/stack.log" "$tmp/HC/stack.log" | awk '{print $2}' | sort -u | tr '\n' ' ')
if [ -z "$out" ]; then
	grep -h "IXC101I\|IXC105I" "$tmp/HB/stack.log" "$tmp/HC/stack.log" | grep -qv "FOR SYSA" &&
		fail "a system was partitioned out after the CDS outage: $(grep -h 'IXC10[15]I' "$tmp"/H[BC]/stack.log)"
	ok "CDS server back: SYSB and SYSC ACTIVE, nobody partitioned out, SYSB serves the DVIPA (by $r)"
else
	ok "CDS server back after more than two leases: ${out}went out and rejoined as new incarnations; SYSB and SYSC ACTIVE, SYSB serves the DVIPA (by $r)"
fi

# An intruder: host IN makes a key pair of its own and starts a stack as
# SYSD from a couple config that lists it (and the real members).  Its key
# is in no couple data set and no member's couple config: the CDS server
# refuses it at the handshake, and so does every member of the bus.
mkdir -m 700 "$tmp/IN/var/SYSD"
key_SYSD=$(on IN "$BIN/tcpip-stack" --keygen "$tmp/IN/var/SYSD" 2>/dev/null) || fail "--keygen on IN"
{ cat "$tmp/couple.cfg"; echo "MEMBER SYSD TCPCS tcp://[fd00:1::66]:7000 KEY $key_SYSD"; } > "$tmp/IN/etc/couple.cfg"
echo "IPCONFIG6 DYNAMICXCF fd00:10::66" > "$tmp/IN/etc/SYSD.profile"
ip netns exec "$INST-IN" "$BIN/tcpip-stack" -p "$tmp/IN/etc/SYSD.profile" -c "$tmp/IN/etc/couple.cfg" \
	-s SYSD -i lan0 -d "$tmp/IN/var/SYSD" 2> "$tmp/IN/stack.log" &
in_pid=$!; pids="$pids $in_pid"
# (Keys are Z85: fixed strings, never patterns.)
cds_refused() { grep "IXC259I CDS CONNECTION FROM fd00:1::66 REFUSED" "$tmp/HC/cds-server.log" | grep -qF "KEY $key_SYSD IS NOT A MEMBER'S KEY"; }
poll_until 30 cds_refused || fail "the CDS server did not refuse the intruder's key: $(cat "$tmp/HC/cds-server.log")"
in_told() { grep -q "CDS server \[fd00:1::3\]:7400: the server refused our key" "$tmp/IN/stack.log"; }
poll_until 30 in_told || fail "the intruder's stack was not told the CDS server refused its key: $(tail -5 "$tmp/IN/stack.log")"
bus_refused() { grep "XCF CONNECTION FROM .* REFUSED" "$tmp/$1/stack.log" | grep -qF "KEY $key_SYSD"; }
for hs in HB:SYSB HC:SYSC; do
	poll_until 30 bus_refused ${hs%%:*} || fail "${hs#*:} did not refuse the intruder on the bus: $(grep -i refused "$tmp/${hs%%:*}/stack.log")"
done
busdrops() { cmd $1 $2 'SYSPLEX$STATS' | jq '[.drops.xcf | to_entries[] | select(.key | test("key not a member")) | .value] | add // 0'; }
for hs in HB:SYSB HC:SYSC; do
	[ "$(busdrops ${hs%%:*} ${hs#*:})" -gt 0 ] || fail "${hs#*:} did not count the intruder's refused connections: $(cmd ${hs%%:*} ${hs#*:} 'SYSPLEX$STATS' | jq -c .drops.xcf)"
done
kill -0 $in_pid 2>/dev/null || fail "the intruder's stack ended: $(tail -3 "$tmp/IN/stack.log")"
cmd HB SYSB 'D XCF,COUPLE' | jqe '[.slots[].system] | index("SYSD") | not' >/dev/null ||
	fail "SYSD appears in the couple data set"
cmd HB SYSB 'D XCF,GROUP' | grep -q SYSD && fail "SYSD appears among the members"
kill $in_pid; wait $in_pid 2>/dev/null
ok "intruder SYSD (own key, not listed): refused by the CDS server (IXC259I; its stack told 'the server refused our key') and by SYSB and SYSC on the bus; not in the data set, not a member"

# Junk and idle connections to the CDS server: no ZeroMQ handshake within
# 2 s, dropped; the systems' status updates go on meanwhile.
c1=$(cmd HC SYSC 'D XCF,COUPLE' | jq '.slots[] | select(.system == "SYSC") | .beat')
on CL python3 -c '
import socket, struct, time
def closed(s):
    s.settimeout(30)
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True
s = socket.create_connection(("fd00:1::3", 7400))
s.sendall(struct.pack(">I", 1 << 20) + b"x" * 4096)
closed(s)
socks = [socket.create_connection(("fd00:1::3", 7400), timeout=5) for i in range(80)]
t0 = time.time()
assert all(closed(s) for s in socks)
print(len(socks), round(time.time() - t0, 1))' > "$tmp/idle.out" || fail "the CDS server did not drop junk and idle connections"
sbeat() { [ "$(cmd HC SYSC 'D XCF,COUPLE' | jq '.slots[] | select(.system == "SYSC") | .beat')" -gt "$c1" ]; }
poll_until 30 sbeat || fail "SYSC's status updates stopped during the junk and idle connections"
kill -0 $cds_pid 2>/dev/null || fail "the CDS server ended"
ok "junk and $(cut -d' ' -f1 "$tmp/idle.out") idle connections to the CDS server dropped (within $(cut -d' ' -f2 "$tmp/idle.out") s); SYSC's status updates went on"
end_held $cpid

# A clean stop puts the host back as the stack found it: the TUN is gone,
# the local rule is at priority 0 again, no policy rule of ours is left,
# the sysctls have their old values.
kill -TERM "$pid_SYSB"; wait "$pid_SYSB" 2>/dev/null
on HB ip link show tcpip0 >/dev/null 2>&1 && fail "tcpip0 still there after SYSB stopped"
rules=$(on HB ip -6 rule show | tr -s ' \t' ' ')
[ "$rules" = "$(printf '0: from all lookup local\n32766: from all lookup main')" ] ||
	fail "policy rules left on HB after a clean stop: $rules"
[ "$(on HB sysctl -n net.ipv6.conf.all.forwarding)$(on HB sysctl -n net.ipv4.tcp_early_demux)" = 01 ] ||
	fail "sysctls not restored on HB: forwarding $(on HB sysctl -n net.ipv6.conf.all.forwarding), tcp_early_demux $(on HB sysctl -n net.ipv4.tcp_early_demux)"
rules4=$(on HB ip -4 rule show | tr -s ' \t' ' ')
[ "$rules4" = "$rules4before" ] || fail "IPv4 policy rules left on HB after a clean stop: $rules4"
# shellcheck disable=SC2086
v4after=$(on HB sysctl -n $v4sysctls | tr '\n' ' ')
[ "$v4after" = "$v4before" ] ||
	fail "IPv4 sysctls not restored on HB ($v4sysctls): $v4after, before: $v4before"
ok "SYSB stopped cleanly: its host's rules and sysctls (IPv4 too) are as before it started"
# Under `make SANITIZE=1` a report in any daemon's log is a failure.
! grep -l "Sanitizer\|runtime error" "$tmp"/*/*.log || fail "sanitizer report in the logs above"
exit 0

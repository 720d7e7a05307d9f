# kdp_lib.sh - the three-namespace topology of the kernel data path's test
# and benchmark (tests/netns/test_kdp.sh, bench/kdp.sh), sourced from the
# top of the tree: a client, a routing stack and a target on one bridged
# LAN, addressed and routed as the launcher does it, without any daemon.
# Namespaces carry a unique suffix and are removed by the trap set here;
# kdp_serve starts a build/tests/kdpctl holding one kdp instance.
. tests/netns/lib.sh	# fail, ok, poll_until (its sysplex instance is unused)
KDPCTL=${KDPCTL:-build/tests/kdpctl}
S=${KDP_NS_PREFIX:-kdp}$(( $$ % 100000 ))$(printf '%x' $(( RANDOM % 16 )))
NS_LAN=$S-lan NS_CL=$S-cl NS_RS=$S-rs NS_TG=$S-tg
CLI=fd00:1::101 RS=fd00:1::1 TG=fd00:1::2
DVIPA=fd00:100::1 DVIPA2=fd00:100::2 RS_COA=fd00:10::1 TG_COA=fd00:10::2
tmp=$(mktemp -d)
pids=""

kdp_cleanup() {
	local p n
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	for n in $NS_CL $NS_RS $NS_TG $NS_LAN; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap kdp_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[ -x "$KDPCTL" ] || fail "no $KDPCTL (make builds it)"
in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }
# ask WHO REQUEST...: a request to the kdpctl started as WHO.
ask() { "$KDPCTL" ask "$tmp/$1.sock" "${@:2}"; }
# field NAME TEXT: the value of NAME=... in TEXT.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
mac_of() { in_ns "$1" cat /sys/class/net/lan0/address; }

# kdp_topology: the namespaces, the LAN, addresses and routes.
kdp_topology() {
	local i=0 n
	ip netns add $NS_LAN || fail "netns"
	in_ns $NS_LAN sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	in_ns $NS_LAN ip link add br0 type bridge mcast_snooping 0
	in_ns $NS_LAN ip link set br0 up
	for n in $NS_CL $NS_RS $NS_TG; do
		i=$((i + 1))
		ip netns add "$n"
		in_ns "$n" ip link set lo up
		# As the launcher makes every host: no DAD, IPv6 forwarding on.
		in_ns "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.forwarding=1
		in_ns $NS_LAN ip link add "$S$i" type veth peer name lan0 netns "$n"
		in_ns $NS_LAN ip link set "$S$i" master br0 up
		in_ns "$n" ip link set lan0 up
	done
	in_ns $NS_CL ip -6 addr add $CLI/64 dev lan0 nodad
	in_ns $NS_RS ip -6 addr add $RS/64 dev lan0 nodad
	in_ns $NS_TG ip -6 addr add $TG/64 dev lan0 nodad
	# Client: the DVIPA prefix on-link with the MTU the agent keeps (LAN -
	# 24), the care-of addresses through their systems (as the launcher).
	in_ns $NS_CL ip -6 route add fd00:100::/64 dev lan0 mtu 1476
	in_ns $NS_CL ip -6 route add $TG_COA/128 via $TG dev lan0
	in_ns $NS_CL ip -6 route add $RS_COA/128 via $RS dev lan0
	# Routing stack: answers for the DVIPAs (proxy NDP); the target's
	# care-of address through the target.
	in_ns $NS_RS sysctl -qw net.ipv6.conf.all.proxy_ndp=1 net.ipv6.neigh.lan0.proxy_delay=0
	in_ns $NS_RS ip -6 neigh add proxy $DVIPA dev lan0
	in_ns $NS_RS ip -6 neigh add proxy $DVIPA2 dev lan0
	in_ns $NS_RS ip -6 route add $TG_COA/128 via $TG dev lan0
	# Target: the DVIPA local on lo; its care-of address not local.
	in_ns $NS_TG ip -6 addr add $DVIPA/128 dev lo
}

# kdp_serve WHO NS ARGS...: kdpctl serve on lan0 of NS, answering as WHO;
# its pid is in pid_WHO.
kdp_serve() {
	local who=$1 ns=$2; shift 2
	ip netns exec "$ns" "$KDPCTL" serve -i lan0 -s "$tmp/$who.sock" "$@" 2>"$tmp/$who.err" &
	eval "pid_$who=$!"
	pids="$pids $!"
	poll_until 20 ask "$who" attached || fail "kdpctl $who: $(cat "$tmp/$who.err")"
}

#!/usr/bin/env bash
# Proves the kernel data path (kdp/) with real TCP through real namespaces,
# standalone (no daemons): a client, a routing stack and a target on one
# bridged LAN, the programs' tables filled by build/tests/kdpctl the way the
# daemons will fill them.
#  1. Routed: the routing stack's program forwards every packet of a known
#     connection (RH2 in, destination = the target's care-of address) and
#     the target's program strips it for the server bound to the DVIPA;
#     replies go straight back.  A 2 MB download arrives intact, a 64 MB
#     iperf3 upload completes, both with 0 packets leaking to the slow path
#     (nftables counts and drops what the programs leave: here the slow
#     path only forwards SYNs, as the daemon would), the client's FIN is
#     recorded, and the 64 KB GSO super-packets are forwarded whole (more
#     wire segments than program runs).
#  2. Bypass: with the client's program inserting the RH2 itself (one
#     per-connection binding, one per-home-address binding), the same
#     download and upload complete with 0 packets counted on the routing
#     stack (its entries for those connections and its program's counters
#     stay still) and 0 leaking anywhere.
#  3. Served by the routing stack itself: a connection whose target is the
#     routing stack is handed into the ingress of its TUN (as dp.c writes it
#     back), and a bypassed packet to its own care-of address is stripped
#     and handed over the same way; both downloads arrive intact with 0
#     packets leaking (the LAN-side path to that DVIPA is closed but for SYNs).
#  4. Lifetime: a tcx attachment disappears with its killed process; the
#     target's cls_bpf one (attach mode tc, used here on purpose) survives
#     kill -9 and is removed by kdpctl cleanup.
# Own namespaces with a unique suffix, removed by a trap; traffic only to
# those namespaces' addresses.
cd "$(dirname "$0")/../.."
. tests/netns/kdp_lib.sh
leaked() { in_ns "$1" nft list counter ip6 kdptest leaked | awk '/packets/ {print $2}'; }

kdp_topology
# The routing stack's slow path here is a stand-in for the daemon: plain
# forwarding of SYNs to the target; every other TCP packet for the DVIPAs
# that the program leaves is counted and dropped, so a fast-path miss cannot
# hide.  It also serves DVIPA2 itself (DESTIP ALL): the address local, a TUN
# as the daemon's (no reader here: only the program hands packets into it).
in_ns $NS_RS ip -6 route add $DVIPA/128 via $TG dev lan0
in_ns $NS_RS ip -6 addr add $DVIPA2/128 dev lo
in_ns $NS_RS ip tuntap add dev tcpip0 mode tun
in_ns $NS_RS ip link set tcpip0 addrgenmode none
in_ns $NS_RS ip link set tcpip0 up
in_ns $NS_RS nft -f - <<EOF || fail "nft on the routing stack"
table ip6 kdptest {
	counter leaked {}
	chain pre {
		type filter hook prerouting priority -150;
		iifname "lan0" ip6 daddr { $DVIPA, $DVIPA2 } tcp flags & (syn | ack) == syn accept
		iifname "lan0" ip6 daddr { $DVIPA, $DVIPA2, $RS_COA } meta l4proto tcp counter name leaked drop
	}
}
EOF
# The target's care-of address would lead into the daemon's TUN: what the
# program leaves is counted and dropped.
in_ns $NS_TG nft -f - <<EOF || fail "nft on the target"
table ip6 kdptest {
	counter leaked {}
	chain pre {
		type filter hook prerouting priority -150;
		ip6 daddr $TG_COA counter name leaked drop
	}
}
EOF
# GRO on the target's LAN device, so segments the sender's veth cut are
# merged again before the program (the statistics show it).
in_ns $NS_TG ethtool -K lan0 gro on >/dev/null 2>&1 || true

# ---- the programs -----------------------------------------------------------------
kdp_serve rs $NS_RS -r stack
kdp_serve tg $NS_TG -r stack -a tc
ask rs self $RS_COA tcpip0 >/dev/null && ask rs dvipa $DVIPA owned >/dev/null &&
	ask rs dvipa $DVIPA2 owned,target >/dev/null || fail "rs tables"
ask tg self $TG_COA >/dev/null && ask tg dvipa $DVIPA target >/dev/null || fail "tg tables"
a=$(ask rs attached); [ "$(field mode "$a")" = tcx ] || fail "routing stack not on tcx: $a"
a=$(ask tg attached); [ "$(field mode "$a")" = tc ] || fail "target not on cls_bpf: $a"
ok "programs attached: routing stack $(ask rs attached | cut -d' ' -f1), target $(ask tg attached | cut -d' ' -f1)"

# ---- servers ------------------------------------------------------------------------
ip netns exec $NS_TG "$BIN/sysplex-httpd" -a $DVIPA -p 8080 -n TARGET >"$tmp/httpd.log" 2>&1 &
pids="$pids $!"
ip netns exec $NS_RS "$BIN/sysplex-httpd" -a $DVIPA2 -p 8080 -n ROUTER >"$tmp/httpd2.log" 2>&1 &
pids="$pids $!"
ip netns exec $NS_TG iperf3 -s -B $DVIPA -p 5201 >"$tmp/iperf3s.log" 2>&1 &
pids="$pids $!"
listening() { in_ns "${2:-$NS_TG}" ss -Hltn "( sport = :$1 )" | grep -q .; }
poll_until 20 listening 8080 || fail "httpd does not listen"
poll_until 20 listening 8080 $NS_RS || fail "httpd on the routing stack does not listen"
poll_until 20 listening 5201 || fail "iperf3 does not listen"

SIZE=2000000
python3 -c "
import hashlib
h = hashlib.sha256(); n = $SIZE
while n > 0:
    k = min(n, 251 * 4096); h.update(bytes(i % 251 for i in range(k))); n -= k
print(h.hexdigest())" > "$tmp/expect"
download() {	# download CPORT [DVIPA]
	in_ns $NS_CL curl -s -m 120 --local-port "$1" "http://[${2:-$DVIPA}]:8080/bytes/$SIZE" |
		sha256sum | cut -d' ' -f1
}
# download_bound CPORT DVIPA COA: the same download, paced (1 MB/s), with a
# per-connection binding to COA installed once the connection is
# established, as the agent does after the Binding Update (a binding that
# exists before the connection's SYN is ended by it: a new connection).
download_bound() {
	local out=$tmp/bound.$1
	in_ns $NS_CL curl -s -m 120 --local-port "$1" "http://[$2]:8080/bytes/$SIZE?rate=1000000" |
		sha256sum | cut -d' ' -f1 > "$out" &
	local p=$!
	poll_until 20 sh -c "ip netns exec $NS_CL ss -Htn state established sport = :$1 | grep -q ." ||
		fail "connection ..$1 not established"
	ask cl bind-conn "$2" 8080 $CLI "$1" "$3" 600 >/dev/null || fail "bind-conn ..$1"
	wait $p
	cat "$out"
}
# One ephemeral port for iperf3's control connection, so the tables can
# name it in advance (the daemons learn ports from SYNs instead).
in_ns $NS_CL sysctl -qw net.ipv4.ip_local_port_range="42100 42100"
upload() {	# upload DATA_PORT
	in_ns $NS_CL timeout 120 iperf3 -c $DVIPA -p 5201 --cport "$1" -n 64M -J >"$tmp/iperf3c.json" 2>&1
}
route_conn() { ask rs conn $DVIPA "$1" $CLI "$2" $TG_COA >/dev/null || fail "conn $1 $2"; }

# ---- 1. routed through the routing stack's program ------------------------------
route_conn 8080 41001
route_conn 5201 42100
route_conn 5201 41002
[ "$(download 41001)" = "$(cat "$tmp/expect")" ] || fail "routed download corrupted or failed"
c=$(ask rs conn-get $DVIPA 8080 $CLI 41001)
[ "$(field pkts "$c")" -gt 10 ] || fail "routing stack did not forward the download's packets: $c"
[ "$(field fin_ms "$c")" -gt 0 ] || fail "client FIN not recorded: $c"
ok "2 MB download routed intact: the routing stack's program forwarded $(field pkts "$c") packets, FIN seen"
s_rs0=$(ask rs stats)
upload 41002 || fail "routed upload failed: $(tail -5 "$tmp/iperf3c.json")"
s_rs1=$(ask rs stats)
d=$(ask rs conn-get $DVIPA 5201 $CLI 41002)
[ "$(leaked $NS_RS)" = 0 ] || fail "$(leaked $NS_RS) packets left the fast path on the routing stack"
[ "$(leaked $NS_TG)" = 0 ] || fail "$(leaked $NS_TG) packets left the fast path on the target"
runs=$(( $(field fwd "$s_rs1") - $(field fwd "$s_rs0") )); segs=$(field pkts "$d")
[ "$runs" -gt 0 ] && [ "$segs" -gt "$runs" ] ||
	fail "no GSO super-packets forwarded: $segs segments in $runs program runs"
t=$(ask tg dvipa-get $DVIPA); st=$(ask tg stats)
# (A segment lost on the way and sent again counts twice before the loss;
# so "at least half": the transfer itself proves every byte got through.)
[ "$(field strip_pkts "$t")" -ge $(( segs / 2 )) ] || fail "target stripped too little of $segs: $t"
bps=$(jq '.end.sum_received.bits_per_second' "$tmp/iperf3c.json" 2>/dev/null)
ok "64 MB upload routed: $segs segments in $runs GSO packets (avg $(( segs / runs )) per packet), target stripped $(field strip_pkts "$t") segments in $(field strip "$st") runs, $(( ${bps%.*} / 1000000 )) Mbit/s; 0 leaked"

# ---- 2. bypass: the client's program inserts the RH2 ----------------------------
in_ns $NS_CL sysctl -qw net.ipv6.conf.lan0.forwarding=0
in_ns $NS_CL "$KDPCTL" serve -r client -i lan0 -s "$tmp/x.sock" 2>"$tmp/x.err"
[ $? = 3 ] && grep -q "forwarding is off on lan0" "$tmp/x.err" || fail "forwarding off not refused: $(cat "$tmp/x.err")"
in_ns $NS_CL sysctl -qw net.ipv6.conf.lan0.forwarding=1
kdp_serve cl $NS_CL -r client
ask cl prefix fd00:100::/64 >/dev/null || fail "prefix"
ask cl bind-home $DVIPA $TG_COA 600 >/dev/null || fail "bind-home"
in_ns $NS_CL sysctl -qw net.ipv4.ip_local_port_range="42101 42101"
# The routing stack has its VCRT entries too, as it would for bound
# connections: they must not count a single packet.
route_conn 8080 41003
route_conn 5201 42101
route_conn 5201 41004
s_rs0=$(ask rs stats); t0=$(ask tg dvipa-get $DVIPA)
[ "$(download_bound 41003 $DVIPA $TG_COA)" = "$(cat "$tmp/expect")" ] || fail "bypassed download corrupted or failed"
upload 41004 || fail "bypassed upload failed: $(tail -5 "$tmp/iperf3c.json")"
s_rs1=$(ask rs stats); t1=$(ask tg dvipa-get $DVIPA)
for p in "8080 41003" "5201 42101" "5201 41004"; do
	c=$(ask rs conn-get $DVIPA ${p% *} $CLI ${p#* })
	[ "$(field pkts "$c")" = 0 ] || fail "routing stack counted packets of bypassed ${p#* }: $c; client: $(ask cl stats); $(ask cl bind-conn-get $DVIPA 8080 $CLI 41003)"
done
[ "$(field fwd "$s_rs1")" = "$(field fwd "$s_rs0")" ] || fail "routing stack forwarded during the bypass"
[ "$(leaked $NS_RS)" = 0 ] && [ "$(leaked $NS_TG)" = 0 ] || fail "packets leaked during the bypass"
bc=$(ask cl bind-conn-get $DVIPA 8080 $CLI 41003); bh=$(ask cl bind-home-get $DVIPA); sc=$(ask cl stats)
[ "$(field pkts "$bc")" -gt 10 ] || fail "per-connection binding unused: $bc"
[ "$(field pkts "$bh")" -gt 1000 ] || fail "per-home binding unused: $bh"
runs=$(field bound "$sc"); segs=$(( $(field pkts "$bc") + $(field pkts "$bh") ))
[ "$segs" -gt "$runs" ] || fail "no GSO super-packets rewritten: $segs segments in $runs runs"
strip=$(( $(field strip_pkts "$t1") - $(field strip_pkts "$t0") ))
[ "$strip" -ge $(( segs / 2 )) ] || fail "target stripped $strip of $segs bypassed segments"
bps=$(jq '.end.sum_received.bits_per_second' "$tmp/iperf3c.json" 2>/dev/null)
ok "bypass: download intact and 64 MB upload ($(( ${bps%.*} / 1000000 )) Mbit/s) with 0 packets on the routing stack; client rewrote $segs segments in $runs GSO packets, target stripped $strip"

# ---- 3. served by the routing stack itself ---------------------------------------
ask rs conn $DVIPA2 8080 $CLI 41005 $RS_COA >/dev/null || fail "conn to self"
s_rs0=$(ask rs stats)
[ "$(download 41005 $DVIPA2)" = "$(cat "$tmp/expect")" ] || fail "download served by the routing stack failed"
s_rs1=$(ask rs stats)
c=$(ask rs conn-get $DVIPA2 8080 $CLI 41005)
local_runs=$(( $(field local "$s_rs1") - $(field local "$s_rs0") ))
[ "$local_runs" -gt 10 ] && [ "$(field pkts "$c")" -gt 10 ] || fail "not delivered by the program: $c; $s_rs1"
ask rs conn $DVIPA2 8080 $CLI 41006 $RS_COA >/dev/null || fail "conn to self"
[ "$(download_bound 41006 $DVIPA2 $RS_COA)" = "$(cat "$tmp/expect")" ] || fail "bypassed download to the routing stack failed"
d=$(ask rs dvipa-get $DVIPA2)
[ "$(field strip_pkts "$d")" -gt 10 ] || fail "routing stack did not strip for itself: $d"
[ "$(leaked $NS_RS)" = 0 ] || fail "$(leaked $NS_RS) packets left the fast path on the routing stack"
ok "served by the routing stack: $local_runs packets handed into its TUN's ingress, $(field strip_pkts "$d") bypassed ones stripped for itself; both downloads intact, 0 leaked"

# ---- 4. lifetime of attachments -----------------------------------------------------
kill -9 "$pid_rs"; wait "$pid_rs" 2>/dev/null
poll_until 20 sh -c "ip netns exec $NS_RS $KDPCTL attached lan0 | grep -q '^ingress=0 '" ||
	fail "tcx program outlived its killed process: $(in_ns $NS_RS "$KDPCTL" attached lan0)"
kill -9 "$pid_tg"; wait "$pid_tg" 2>/dev/null
a=$(in_ns $NS_TG "$KDPCTL" attached lan0)
[ "$(field ingress "$a")" = 1 ] || fail "cls_bpf leftover expected on the target: $a"
r=$(in_ns $NS_TG "$KDPCTL" cleanup lan0)
a=$(in_ns $NS_TG "$KDPCTL" attached lan0)
[ "$r" = removed=1 ] && [ "$(field ingress "$a")" = 0 ] || fail "cleanup: $r, then $a"
ok "killed: the tcx program went with its process; the cls_bpf leftover was removed by cleanup"
echo "PASS"

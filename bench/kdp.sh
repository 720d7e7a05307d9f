#!/usr/bin/env bash
# bench/kdp.sh - small-packet forwarding through the kernel data path (kdp/),
# standalone (no daemons; the topology of tests/netns/test_kdp.sh): one
# generator in the client namespace (build/bench/kdp_gen: AF_PACKET,
# sendmmsg, 74-byte TCP ACKs of one connection) sends for BENCH_SECONDS
#   (a) straight to the target, plain (the programs only look at it),
#   (b) straight to the target with an RH2, as a bypassed packet (stripped),
#   (c) to the DVIPA through the routing stack's program (RH2 inserted,
#       forwarded), stripped by the target's,
#   (d) the same through the routing stack by Linux's own IPv6 forwarding
#       (no connection entry: the program passes; a route to the target),
# and the target counts what arrives (nftables, after its program; dropped
# there so no RST goes back).  Prints packets/s received and (c)/(b), the
# figure "forwarding through the routing stack vs the same generator
# straight to the target".  All on one machine: the generator, the bridge
# and both programs share the CPUs.  Needs root.
cd "$(dirname "$0")/.."
KDP_NS_PREFIX=kb
. tests/netns/kdp_lib.sh
KDPGEN=${KDPGEN:-build/bench/kdp_gen}
SECS=${BENCH_SECONDS:-5}
fig() { local n=$1 v=$2 u=$3; shift 3; printf '%-32s %12s %-8s %s\n' "$n" "$v" "$u" "$*"; }
[ -x "$KDPGEN" ] || fail "no $KDPGEN (make builds it)"
echo "kdp bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $SECS s per measurement"

kdp_topology
in_ns $NS_TG nft -f - <<EOF || fail "nft on the target"
table ip6 kdpbench {
	counter rx {}
	chain pre {
		type filter hook prerouting priority -150;
		ip6 daddr $DVIPA tcp dport 9 counter name rx drop
	}
}
EOF
kdp_serve rs $NS_RS -r stack
kdp_serve tg $NS_TG -r stack
ask rs self $RS_COA >/dev/null && ask rs dvipa $DVIPA owned >/dev/null &&
	ask rs conn $DVIPA 9 $CLI 40000 $TG_COA >/dev/null || fail "rs tables"
ask tg self $TG_COA >/dev/null && ask tg dvipa $DVIPA target >/dev/null || fail "tg tables"
mac_rs=$(mac_of $NS_RS); mac_tg=$(mac_of $NS_TG)
rx() { in_ns $NS_TG nft list counter ip6 kdpbench rx | awk '/packets/ {print $2}'; }

# run NAME GENERATOR-ARGS...: one measurement; prints its figures.
run() {
	local name=$1 r0 r1 out sent secs; shift
	r0=$(rx)
	out=$(in_ns $NS_CL "$KDPGEN" -i lan0 -s $CLI -P 40000 -p 9 -t "$SECS" "$@") ||
		fail "generator: $out"
	r1=$(rx)
	sent=$(echo "$out" | awk '{print $2}'); secs=$(echo "$out" | awk '{print $4}')
	eval "rx_$name=$(awk -v n=$((r1 - r0)) -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
	fig "kdp_sent_pps_$name" "$(echo "$out" | awk '{print $6}')" pkt/s "generator"
	fig "kdp_rx_pps_$name" "$(eval echo \$rx_$name)" pkt/s "arrived at the server side ($((r1 - r0)) of $sent)"
}
run a_direct_plain -m "$mac_tg" -d $DVIPA
run b_direct_rh2 -m "$mac_tg" -d $TG_COA -H $DVIPA
run c_via_rs -m "$mac_rs" -d $DVIPA
c=$(ask rs conn-get $DVIPA 9 $CLI 40000)
fig kdp_rs_forwarded "$(field pkts "$c")" pkts "by the routing stack's program in (c)"
ask rs conn-del $DVIPA 9 $CLI 40000 >/dev/null || fail "conn-del"
in_ns $NS_RS ip -6 route add $DVIPA/128 via $TG dev lan0
run d_via_rs_linux -m "$mac_rs" -d $DVIPA
fig kdp_ratio_kdp_vs_linux "$(awk -v a="$rx_c_via_rs" -v b="$rx_d_via_rs_linux" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }')" x "(c) / (d): RH2 forwarding in BPF vs plain kernel forwarding"
fig kdp_ratio_rs_vs_direct "$(awk -v a="$rx_c_via_rs" -v b="$rx_b_direct_rh2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }')" x "(c) / (b): through the routing stack vs straight to the target"

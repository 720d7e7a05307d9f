#!/usr/bin/env bash
# bench/distributor.sh - what the distributor costs.  Prints figures;
# it is not a test: no thresholds, exit 0 whenever it could measure.
#
# Builds its own emulated sysplex (instance bd<pid>, bench/topology.lua) and
# drives it from CLIENT1 with wrk (-t2 -c32, BENCH_SECONDS each, default 5):
#  1. new connections/s (`Connection: close`, one request per connection) to
#       - DVIPA1 http://[fd00:100::1]:8080/  through the routing stack SYSA,
#         ROUNDROBIN over the targets, MOBILEIPV6 (each connection is bound)
#       - DVIPA2 http://[fd00:100::2]:8080/  through SYSA, NOMOBILEIPV6, one
#         target SYSC
#       - baseline http://[fd00:1::3]:8081/  straight to SYSC's own address
#         (an extra sysplex-httpd there), no distributor in the path
#     and each one's ratio to the baseline;
#  2. requests/s with keep-alive to the same three, ratios;
#  3. the routing stack's forwarding path in packets/s: the delta of SYSA's
#     SYSPLEX$STATS rx_pkts (plus, with DATAPATH BPF, the packets its
#     program forwarded) over (a) the keep-alive run to DVIPA2 and (b) an
#     `iperf3 -l 64 -N -M 88` small-segment upload to fd00:100::2:5201 (SYSC
#     runs `iperf3 -s`; GSO is turned off on CLIENT1's route device for it so
#     every segment is one packet), divided by the elapsed seconds, with
#     SYSA's tcpip-stack CPU% over the same window (utime+stime, /proc/PID/stat).
#  4. HAProxy (TCP mode, round robin, default threads) in SYSA's namespace
#     balancing sysplex-httpds on the three targets' own addresses: new
#     connections/s and keep-alive requests/s through it;
#  5. small packets: build/bench/kdp_gen (74-byte TCP ACKs, AF_PACKET +
#     sendmmsg) from CLIENT1 straight to SYSC, and to DVIPA2 through SYSA with
#     the 4-tuple of a held connection; packets/s arriving at SYSC.
# BENCH_DATAPATH=BPF|TUN builds the sysplex with that data path (run.sh runs
# this script in both).
# Output lines are "name value unit [comment]" (see bench/README.md).
#
# Environment: BIN (default bin), BENCH_SECONDS (5), BENCH_INSTANCE, and
# SYSPLEX_HOME (the tree whose sysplex/topologies/default.lua is used).  Root.
set -u
cd "$(dirname "$0")/.."
BIN=$(cd "${BIN:-bin}" && pwd) || exit 1
SECS=${BENCH_SECONDS:-5}
INST=${BENCH_INSTANCE:-bd$(( $$ % 100000 ))}
TOPO=$(pwd)/bench/topology.lua
RUN=/run/sysplex/$INST
HZ=$(getconf CLK_TCK)
export SYSPLEX_HOME=${SYSPLEX_HOME:-$(pwd)}

. "$(dirname "$0")/lib.sh"

PIDS=""
cleanup() {
	local p
	for p in $PIDS $(cat "$RUN/bench-iperf3.pid" "$RUN/haproxy.pid" 2>/dev/null); do kill "$p" 2>/dev/null; done
	sx down >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Packets the routing stack took: through its TUN, and (DATAPATH BPF)
# forwarded by its program (wire segments).
stat_rx() { cmdj SYSA 'SYSPLEX$STATS' | jq '.rx_pkts + ([.kernel.dvipas[]?.fwd_pkts] | add // 0)'; }

# survives: a 3 s, 10 Mbit/s iperf3 upload to fd00:100::2 completes (its
# connections stay in SYSA's VCRT; product bug 2 in bench/README.md drops
# them when SYSC is a destination of more than one DVIPA of SYSA).
survives() {
	sx exec CLIENT1 -- timeout 60 iperf3 -c fd00:100::2 -p 5201 -t 3 -b 10M -M 1380 -J 2>/dev/null |
		jq -e '.end.sum_received.bytes > 2500000' >/dev/null 2>&1
}
# plex_up [2|3]: the sysplex of bench/topology.lua (all of it, or the
# workaround with only DVIPA2 / DVIPA3), with the benchmark servers on SYSC.
plex_up() {
	BENCH_ONLY_DVIPA=${1:-} sx up "$TOPO" >/dev/null || die "sysplex up $TOPO failed"
	"$BIN/tcpip-stack" -n "$RUN/SYSA/profile" >/dev/null || die "SYSA profile does not parse"
	sx exec SYSC -- iperf3 -s -D -p 5201 -I "$RUN/bench-iperf3.pid" || die "iperf3 -s failed"
	"${SX[@]}" exec SYSC -- "$BIN/sysplex-httpd" -a fd00:1::3 -p 8081 -n SYSC >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	if [ "${1:-}" != 3 ]; then
		"${SX[@]}" exec SYSC -- "$BIN/sysplex-httpd" -a fd00:100::2 -p 8080 -n SYSC >/dev/null 2>&1 &
		PIDS="$PIDS $!"
	fi
	poll_until 30 sx exec CLIENT1 -- curl -s -f -m 5 -o /dev/null 'http://[fd00:1::3]:8081/' ||
		die "baseline server on SYSC does not answer"
}

[ "$(id -u)" = 0 ] || die "must run as root"
for p in wrk iperf3 jq curl; do command -v $p >/dev/null || die "$p is missing (make deps)"; done

say "== distributor.sh: instance $INST, ${SECS} s per measurement, wrk -t2 -c32"
plex_up
WORKAROUND=""
if ! rdy_stable 30 fd00:100::2:5201 fd00:100::2:8080 fd00:100::3:5201; then
	# Product bug 1 (bench/README.md): SYSC is a destination of three DVIPAs
	# of SYSA and only the one it reports last keeps Rdy > 0.
	say "NOTE: SYSA's VDPT does not keep Rdy > 0 for SYSC on both DVIPA2 and DVIPA3"
	say "      (product bug 1 in bench/README.md); measuring on the workaround topology"
	say "      BENCH_ONLY_DVIPA=2: DVIPA1 to SYSA+SYSB only, DVIPA2 to SYSC, no DVIPA3"
	WORKAROUND=1
elif ! survives; then
	say "NOTE: a connection to DVIPA2 does not survive 3 s (SYSA drops its VCRT"
	say "      entry: product bug 2 in bench/README.md); measuring on the workaround"
	say "      topology BENCH_ONLY_DVIPA=2: DVIPA1 to SYSA+SYSB only, DVIPA2 to SYSC"
	WORKAROUND=1
fi
if [ -n "$WORKAROUND" ]; then
	cleanup; PIDS=""
	plex_up 2
	rdy_stable 60 fd00:100::2:5201 fd00:100::2:8080 || die "DVIPA2 not ready even on the workaround topology"
	WORKAROUND=" (workaround topology)"
fi
say "ready$WORKAROUND: SYSA VDPT $(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' |
	jq -r '[.vdpt[] | "\(.dest)..\(.port)->\(.destname|sub("TCPCS$";""))=\(.rdy)"] | join(" ")')"

# wrk_run OUTVAR URL [wrk args...]: runs wrk from CLIENT1; sets OUTVAR to its output.
wrk_run() {
	local _var=$1 _url=$2; shift 2
	printf -v "$_var" '%s' "$(sx exec CLIENT1 -- wrk -t2 -c32 -d"$SECS" "$@" "$_url" 2>&1)"
}
wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' <<<"$1"; }
wrk_lat() { awk '/^ +Latency/ { print $2 }' <<<"$1"; }
wrk_max() { awk '/^ +Latency/ { print $4 }' <<<"$1"; }
wrk_err() {
	awk '/Socket errors:/ { gsub(",", ""); e = $4 + $6 + $8 + $10 }
	     /Non-2xx/ { n = $NF } END { printf "%d errors, %d non-2xx", e, n }' <<<"$1"
}

declare -A URL=(
	[dvipa1]='http://[fd00:100::1]:8080/'
	[dvipa2]='http://[fd00:100::2]:8080/'
	[base]='http://[fd00:1::3]:8081/'
)
declare -A DESC=(
	[dvipa1]='via SYSA, ROUNDROBIN, MOBILEIPV6'
	[dvipa2]='via SYSA, NOMOBILEIPV6, target SYSC'
	[base]='straight to SYSC fd00:1::3 (baseline)'
)
ORDER="base dvipa1 dvipa2"

say ""
say "-- new connections/s (Connection: close; one request per connection)"
declare -A CONN KA
# vdpt_conns: {"SYSA": TotalConn, ...} for DVIPA1..8080.
vdpt_conns() {
	cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -c '[.vdpt[] | select(.dest == "fd00:100::1")
		| {key: (.destname | sub("TCPCS$"; "")), value: .totalconn}] | from_entries'
}
for k in $ORDER; do
	v0=$(vdpt_conns)
	s0=$(cmdj SYSA 'SYSPLEX$STATS')
	wrk_run out "${URL[$k]}" -H 'Connection: close'
	s1=$(cmdj SYSA 'SYSPLEX$STATS')
	CONN[$k]=$(wrk_rps "$out")
	[ -n "${CONN[$k]}" ] || { echo "$out" >&2; die "wrk to ${URL[$k]} printed no rate"; }
	extra=""
	if [ "$k" = dvipa1 ]; then
		extra="; per target (VDPT TotalConn delta): $(jq -rn --argjson a "$v0" --argjson b "$(vdpt_conns)" \
			'[$b | to_entries[] | "\(.key) +\(.value - ($a[.key] // 0))"] | join(", ")')"
	fi
	if [ "$k" != base ]; then
		extra="$extra; SYSA new_conns +$(jq -n --argjson a "$s0" --argjson b "$s1" '$b.new_conns - $a.new_conns'), no_target +$(jq -n --argjson a "$s0" --argjson b "$s1" '$b.no_target - $a.no_target')"
	fi
	fig "conn_per_s_$k" "${CONN[$k]}" conn/s "$(ratio "${CONN[$k]}" "${CONN[base]}")x of baseline; ${DESC[$k]}; latency avg $(wrk_lat "$out") max $(wrk_max "$out"); $(wrk_err "$out")$extra"
done
mip=$(cmdj SYSA 'SYSPLEX$STATS' | jq -c .mip6)
say "   (SYSA mip6 so far: started $(jq .started <<<"$mip"), bound $(jq .bound <<<"$mip"), avg SYN->BU $(jq 'if .started > 0 then (.syn_to_bu_ms_sum / .started * 10 | round / 10) else "n/a" end' <<<"$mip") ms)"

say ""
say "-- requests/s with keep-alive"
PID_A=$(daemon_pid SYSA tcpip-stack)
PID_G=$(daemon_pid CLIENT1 client-agent)
for k in $ORDER; do
	if [ "$k" = dvipa2 ]; then
		r0=$(stat_rx); c0=$(cpu_ticks "$PID_A"); g0=$(cpu_ticks "$PID_G"); t0=$(now)
	fi
	wrk_run out "${URL[$k]}"
	if [ "$k" = dvipa2 ]; then
		t1=$(now); c1=$(cpu_ticks "$PID_A"); g1=$(cpu_ticks "$PID_G"); r1=$(stat_rx)
		KA_PPS=$(calc "($r1 - $r0) / ($t1 - $t0)" 0)
		KA_CPU=$(calc "($c1 - $c0) / $HZ / ($t1 - $t0) * 100" 1)
		KA_AGENT=$(calc "($g1 - $g0) / $HZ / ($t1 - $t0) * 100" 1)
	fi
	KA[$k]=$(wrk_rps "$out")
	[ -n "${KA[$k]}" ] || { echo "$out" >&2; die "wrk to ${URL[$k]} printed no rate"; }
	fig "req_per_s_$k" "${KA[$k]}" req/s "$(ratio "${KA[$k]}" "${KA[base]}")x of baseline; ${DESC[$k]}; latency avg $(wrk_lat "$out"); $(wrk_err "$out")"
done

say ""
say "-- routing stack (SYSA tcpip-stack pid $PID_A) forwarding path"
fig fwd_pps_http_keepalive "$KA_PPS" pkt/s "SYSA rx_pkts during the keep-alive run to DVIPA2; SYSA CPU ${KA_CPU}%, CLIENT1 client-agent CPU ${KA_AGENT}%"
# Small segments for real: MSS 88 and no GSO on CLIENT1's route to the DVIPA,
# else TCP coalesces the 64-byte writes into 64 KB GSO packets (one rx_pkt).
dev=$(sx exec CLIENT1 -- ip -6 route get fd00:100::2 | sed -n 's/.* dev \([^ ]*\).*/\1/p')
segs=$(sx exec CLIENT1 -- ip -d link show dev "$dev" | sed -n 's/.* gso_max_segs \([0-9]*\).*/\1/p')
sx exec CLIENT1 -- ip link set dev "$dev" gso_max_segs 1 || die "cannot turn GSO off on CLIENT1 $dev"
r0=$(stat_rx); c0=$(cpu_ticks "$PID_A"); g0=$(cpu_ticks "$PID_G"); t0=$(now)
ij=$(sx exec CLIENT1 -- iperf3 -c fd00:100::2 -p 5201 -t "$SECS" -l 64 -N -M 88 -J 2>&1)
t1=$(now); c1=$(cpu_ticks "$PID_A"); g1=$(cpu_ticks "$PID_G"); r1=$(stat_rx)
sx exec CLIENT1 -- ip link set dev "$dev" gso_max_segs "${segs:-65535}"
jq -e '.end.sum_sent' <<<"$ij" >/dev/null 2>&1 || { echo "$ij" | tail -5 >&2; die "iperf3 to fd00:100::2 failed"; }
SMALL_PPS=$(calc "($r1 - $r0) / ($t1 - $t0)" 0)
SMALL_CPU=$(calc "($c1 - $c0) / $HZ / ($t1 - $t0) * 100" 1)
SMALL_AGENT=$(calc "($g1 - $g0) / $HZ / ($t1 - $t0) * 100" 1)
SMALL_MBPS=$(jq '.end.sum_sent.bits_per_second / 1e6 * 10 | round / 10' <<<"$ij")
fig fwd_pps_small_segments "$SMALL_PPS" pkt/s "SYSA rx_pkts during iperf3 -l 64 -N -M 88 (GSO off on CLIENT1 $dev) to fd00:100::2 ($SMALL_MBPS Mbit/s of payload); SYSA CPU ${SMALL_CPU}%, CLIENT1 client-agent CPU ${SMALL_AGENT}%"

# ---- HAProxy: the same targets balanced by HAProxy (Debian package, TCP
# mode, round robin, default threads) in SYSA's namespace, the routing
# stack's place; its backends are sysplex-httpds on the targets' own
# addresses (SYSC's is the baseline server).
say ""
say "-- HAProxy (TCP mode) in SYSA's namespace, balancing SYSA, SYSB, SYSC"
if command -v haproxy >/dev/null; then
	for h in 1:SYSA 2:SYSB; do
		"${SX[@]}" exec "${h#*:}" -- "$BIN/sysplex-httpd" -a "fd00:1::${h%%:*}" -p 8081 -n "${h#*:}" >/dev/null 2>&1 &
		PIDS="$PIDS $!"
	done
	cat > "$RUN/haproxy.cfg" <<CFG
global
	log stdout format raw local0 emerg
	pidfile $RUN/haproxy.pid
defaults
	mode tcp
	timeout connect 5s
	timeout client 60s
	timeout server 60s
frontend fe
	bind [fd00:1::1]:9080
	default_backend be
backend be
	balance roundrobin
	server a [fd00:1::1]:8081
	server b [fd00:1::2]:8081
	server c [fd00:1::3]:8081
CFG
	sx exec SYSA -- haproxy -D -f "$RUN/haproxy.cfg" >/dev/null 2>&1 || die "haproxy did not start"
	PIDS="$PIDS $(cat "$RUN/haproxy.pid" 2>/dev/null)"
	poll_until 30 sx exec CLIENT1 -- curl -s -f -m 5 -o /dev/null 'http://[fd00:1::1]:9080/' ||
		die "haproxy on SYSA does not answer"
	wrk_run out 'http://[fd00:1::1]:9080/' -H 'Connection: close'
	CONN[haproxy]=$(wrk_rps "$out")
	fig conn_per_s_haproxy "${CONN[haproxy]}" conn/s "$(ratio "${CONN[haproxy]}" "${CONN[base]}")x of baseline; DVIPA1 $(ratio "${CONN[dvipa1]}" "${CONN[haproxy]}")x, DVIPA2 $(ratio "${CONN[dvipa2]}" "${CONN[haproxy]}")x of it; latency avg $(wrk_lat "$out"); $(wrk_err "$out")"
	wrk_run out 'http://[fd00:1::1]:9080/'
	KA[haproxy]=$(wrk_rps "$out")
	fig req_per_s_haproxy "${KA[haproxy]}" req/s "$(ratio "${KA[haproxy]}" "${KA[base]}")x of baseline; keep-alive; latency avg $(wrk_lat "$out"); $(wrk_err "$out")"
else
	say "NOTE: haproxy is not installed (make deps): no HAProxy figures"
fi

# ---- small packets: build/bench/kdp_gen (AF_PACKET, sendmmsg, 74-byte TCP
# ACKs) from CLIENT1 for BENCH_SECONDS, (a) straight to SYSC's own address,
# (b) to DVIPA2 through SYSA with the 4-tuple of a live connection (held
# open by curl), so the routing stack forwards them to SYSC (in the kernel
# with DATAPATH BPF, through its TUN with TUN).  SYSC counts what arrives
# (nftables, prerouting, then drops it so nothing answers).
say ""
say "-- small packets: generator straight to SYSC vs through the routing stack"
KDPGEN=${KDPGEN:-$(pwd)/build/bench/kdp_gen}
if [ -x "$KDPGEN" ]; then
	HPORT=41999
	"${SX[@]}" exec CLIENT1 -- curl -s --local-port $HPORT -o /dev/null \
		'http://[fd00:100::2]:8080/bytes/1000000000000000?rate=1000' >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	held() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq -e ".vcrt[] | select(.sport == $HPORT and .state == \"ESTABLISHED\")"; }
	poll_until 30 held || die "the held connection to DVIPA2 is not in SYSA's VCRT"
	sx exec SYSC -- nft -f - <<NFT || die "nft on SYSC"
table ip6 benchgen {
	counter rx {}
	chain pre {
		type filter hook prerouting priority -150;
		ip6 saddr fd00:1::101 tcp sport $HPORT tcp flags & (syn | fin | rst) == 0 tcp dport { 8080, 9 } meta length < 100 counter name rx drop
	}
}
NFT
	genrx() { sx exec SYSC -- nft list counter ip6 benchgen rx | awk '/packets/ {print $2}'; }
	mac() { sx exec "$1" -- cat /sys/class/net/lan0/address; }
	gen() {
		local r0 r1 out secs
		r0=$(genrx)
		out=$(sx exec CLIENT1 -- "$KDPGEN" -i lan0 -s fd00:1::101 -P $HPORT -t "$SECS" "$@") || die "kdp_gen: $out"
		r1=$(genrx)
		secs=$(echo "$out" | awk '{print $4}')
		echo "$(awk -v n=$((r1 - r0)) -v s="$secs" 'BEGIN { printf "%.0f", n / s }') $(echo "$out" | awk '{print $6}')"
	}
	read -r GEN_DIRECT GEN_DIRECT_SENT <<<"$(gen -m "$(mac SYSC)" -d fd00:1::3 -p 9)"
	fig small_pps_direct "$GEN_DIRECT" pkt/s "arrived at SYSC, straight to its address (generator sent $GEN_DIRECT_SENT/s)"
	k0=$(cmdj SYSA 'SYSPLEX$STATS')
	read -r GEN_RS GEN_RS_SENT <<<"$(gen -m "$(mac SYSA)" -d fd00:100::2 -p 8080)"
	k1=$(cmdj SYSA 'SYSPLEX$STATS')
	fig small_pps_via_rs "$GEN_RS" pkt/s "$(ratio "$GEN_RS" "$GEN_DIRECT")x of straight; through SYSA to DVIPA2 (generator sent $GEN_RS_SENT/s); SYSA forwarded: TUN +$(jq -n --argjson a "$k0" --argjson b "$k1" '$b.fwd_pkts - $a.fwd_pkts'), kernel +$(jq -n --argjson a "$k0" --argjson b "$k1" '($b.kernel.program.fwd // 0) - ($a.kernel.program.fwd // 0)')"
	sx exec SYSC -- nft delete table ip6 benchgen
else
	say "NOTE: no $KDPGEN (make builds it): no small-packet figures"
fi

say ""
say "datapath: $(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,CONFIG' | jq -r '.config.datapath + (if .config.datapath_reason then " (" + .config.datapath_reason + ")" else "" end)')"
say "summary$WORKAROUND: new conn/s  DVIPA1 ${CONN[dvipa1]} ($(ratio "${CONN[dvipa1]}" "${CONN[base]}")x), DVIPA2 ${CONN[dvipa2]} ($(ratio "${CONN[dvipa2]}" "${CONN[base]}")x), baseline ${CONN[base]}"
say "summary$WORKAROUND: keep-alive req/s  DVIPA1 ${KA[dvipa1]} ($(ratio "${KA[dvipa1]}" "${KA[base]}")x), DVIPA2 ${KA[dvipa2]} ($(ratio "${KA[dvipa2]}" "${KA[base]}")x), baseline ${KA[base]}"
say "summary$WORKAROUND: forwarding  $KA_PPS pkt/s (http keep-alive, CPU $KA_CPU%), $SMALL_PPS pkt/s (64-byte segments, CPU $SMALL_CPU%)"
exit 0

#!/usr/bin/env bash
# bench/run.sh - `make bench`: runs every benchmark in order and prints a
# summary table of the headline figures.  Benchmarks print numbers; nothing
# here passes or fails on a figure (exit 1 only when a benchmark could not
# run at all).
#
#   1. build/bench/vcrt_bench  VCRT and SQLite store micro-benchmark (if built)
#      build/bench/xcf_bench   the coupling bus's small-message rate, CURVE's cost
#   2. bench/distributor.sh    new connections/s, requests/s, forwarding pkt/s,
#                              HAProxy (TCP mode) in the routing stack's place,
#                              small packets (kdp_gen) straight vs via SYSA
#   3. bench/bypass.sh         bulk upload: physical vs routed vs bypass
#      (2 and 3 run twice: DATAPATH TUN, then BPF; the summary shows the
#      figures of both side by side with HAProxy and direct, and draws the
#      ratios as build/bench/datapath.png with gnuplot)
#   4. bench/takeover.sh       kill -9 of the routing stack (one LAN, routed): time to the first
#                              new connection served by the backup, losses,
#                              in the three- and the two-system sysplex
#   5. bench/kdp.sh            small packets through the kernel data path
#                              (eBPF, standalone) vs straight to the target
#   6. build/bench/kdp_events  connection events (tracepoint + ring buffer)
#                              vs the targets' 100 ms socket table dump, with
#                              1k/10k/100k idle connections held
#   7. bench/idle.sh           the stacks with 0/1k/10k/100k idle connections
#                              held: CPU, RSS, SQLite, new conn/s; events vs
#                              poll; chart build/bench/idle.svg
#
# Each networked benchmark builds and tears down its own emulated sysplex
# (instance bd<pid> / bp<pid>).  Environment: BIN (bin), BUILD (build),
# BENCH_SECONDS (5 s per measurement; the whole run takes about 2 minutes at
# 5).  Needs root.
set -u
cd "$(dirname "$0")/.."
export BIN=${BIN:-bin}
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "bench: must run as root" >&2; exit 1; }
LOG=$(mktemp -d /tmp/bench-run.XXXXXX)
trap 'rm -rf "$LOG"' EXIT
start=$(date +%s)
failed=""
# Context: the figures are only comparable on an otherwise idle machine.
others=$(ls /run/sysplex/*/state 2>/dev/null | wc -l)
echo "bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $others other sysplex instance(s) up"

step() {
	local name=$1; shift
	echo ""
	echo "######## $name"
	"$@" 2>&1 | tee "$LOG/$name.out"
	[ "${PIPESTATUS[0]}" = 0 ] || failed="$failed $name"
}

if [ -x "$BUILD/bench/vcrt_bench" ]; then
	step vcrt_bench "$BUILD/bench/vcrt_bench"
else
	echo "(vcrt_bench not built: $BUILD/bench/vcrt_bench; \`make progs\` builds it)"
fi
if [ -x "$BUILD/bench/xcf_bench" ]; then
	step xcf_bench "$BUILD/bench/xcf_bench"
else
	echo "(xcf_bench not built: $BUILD/bench/xcf_bench; \`make progs\` builds it)"
fi
# The data path's figures in both data paths, same run (TUN first).
for dp in TUN BPF; do
	step "distributor_$dp" env BENCH_DATAPATH=$dp bash bench/distributor.sh
	step "bypass_$dp" env BENCH_DATAPATH=$dp bash bench/bypass.sh
done
step takeover bash bench/takeover.sh
step kdp bash bench/kdp.sh
if [ -x "$BUILD/bench/kdp_events" ]; then
	step kdp_events "$BUILD/bench/kdp_events"
else
	echo "(kdp_events not built: $BUILD/bench/kdp_events; \`make progs\` builds it)"
fi
step idle env BUILD="$BUILD" bash bench/idle.sh

# v NAME: the value of result line NAME from any benchmark's output (the
# BPF runs' first: the default data path).
v() { cat "$LOG"/*_BPF.out "$LOG"/*.out 2>/dev/null | awk -v n="$1" '$1 == n { print $2; exit }'; }
# vd DATAPATH NAME: the value from that data path's runs.
vd() { cat "$LOG"/*_"$1".out 2>/dev/null | awk -v n="$2" '$1 == n { print $2; exit }'; }
# q A B: A / B to three decimals, "-" when either is missing.
q() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.3f", a / b; else print "-" }'; }
r() { awk -v a="$(v "$1")" -v b="$(v "$2")" 'BEGIN { if (a != "" && b > 0) printf "%.3f", a / b; else print "-" }'; }
row() { printf '  %-44s %14s %-8s %s\n' "$1" "${2:--}" "$3" "${4:-}"; }

echo ""
echo "######## summary ($(( $(date +%s) - start )) s, BENCH_SECONDS=${BENCH_SECONDS:-5}; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
row "VCRT lookups (1M entries)" "$(v vcrt_lookup_per_s)" ops/s
row "store rows written behind" "$(v store_rows_per_s)" rows/s
row "ZeroMQ msg/s  plain (1 thread, 100 B)" "$(v zmq_plain_per_s)" msg/s
row "ZeroMQ msg/s  CURVE" "$(v zmq_curve_per_s)" msg/s "x$(r zmq_curve_per_s zmq_plain_per_s) of plain"
row "XCF bus msg/s  directed (CURVE, ZAP, seq)" "$(v xcf_directed_per_s)" msg/s "x$(r xcf_directed_per_s zmq_plain_per_s) of plain ZeroMQ"
row "new conn/s  baseline SYSC own address" "$(v conn_per_s_base)" conn/s
row "new conn/s  DVIPA1 (MOBILEIPV6, RR)" "$(v conn_per_s_dvipa1)" conn/s "x$(r conn_per_s_dvipa1 conn_per_s_base) of baseline"
row "new conn/s  DVIPA2 (NOMOBILEIPV6, SYSC)" "$(v conn_per_s_dvipa2)" conn/s "x$(r conn_per_s_dvipa2 conn_per_s_base) of baseline"
row "keep-alive req/s  baseline" "$(v req_per_s_base)" req/s
row "keep-alive req/s  DVIPA1" "$(v req_per_s_dvipa1)" req/s "x$(r req_per_s_dvipa1 req_per_s_base) of baseline"
row "keep-alive req/s  DVIPA2" "$(v req_per_s_dvipa2)" req/s "x$(r req_per_s_dvipa2 req_per_s_base) of baseline"
row "routing stack pkt/s  (http keep-alive)" "$(v fwd_pps_http_keepalive)" pkt/s
row "routing stack pkt/s  (64-byte segments)" "$(v fwd_pps_small_segments)" pkt/s
row "upload (a) physical" "$(v gbps_a_physical)" Gbit/s
row "upload (b) routed, NOMOBILEIPV6" "$(v gbps_b_routed)" Gbit/s "x$(r gbps_b_routed gbps_a_physical) of (a)"
row "upload (c) bypass, MOBILEIPV6" "$(v gbps_c_bypass)" Gbit/s "x$(r gbps_c_bypass gbps_a_physical) of (a)   <== goal >= 0.8"
row "routing stack CPU per GB  (b) routed" "$(v cpu_s_per_gb_b)" s/GB
row "routing stack CPU per GB  (c) bypass" "$(v cpu_s_per_gb_c)" s/GB
row "bytes SYSA forwarded of (c)'s data conn" "$(v fwd_bytes_c_data_conn)" bytes
row "SYN -> BU, on the wire (fresh conn)" "$(v syn_to_bu_ms_wire)" ms
row "SYN -> BU, routing stack average" "$(v syn_to_bu_ms_avg)" ms
tk=$(cat "$LOG"/*.out 2>/dev/null | awk '/^  median/ { print $2, $5, $8; exit }')
tk2=$(cat "$LOG"/*.out 2>/dev/null | awk '/^  median/ { n++; if (n == 2) { print $2, $5, $8; exit } }')
row "takeover 3 systems: first new conn after kill -9 (median p90 p99)" "${tk:--}" ms "(keepalived VRRP default about 3000 ms)"
row "takeover 2 systems: first new conn after kill -9 (median p90 p99)" "${tk2:--}" ms "x$(r takeover_ms_median_2sys takeover_ms_median_3sys) of 3 systems"
tkr=$(cat "$LOG"/*.out 2>/dev/null | awk '/^  median/ { n++; if (n == 3) { print $2, $5, $8; exit } }')
tkb=$(cat "$LOG"/*.out 2>/dev/null | awk '/^  median/ { n++; if (n == 4) { print $2, $5, $8; exit } }')
row "takeover routed (OSPF): stack killed" "${tkr:--}" ms "x$(r takeover_ms_median_routed takeover_ms_median_3sys) of one LAN"
row "takeover routed: whole system killed (BFD)" "${tkb:--}" ms "x$(r takeover_ms_median_routed_bfd takeover_ms_median_3sys) of one LAN"
row "takeover: connections lost" "$(cat "$LOG"/*.out 2>/dev/null | awk '/connections lost:/ { print $3 " of " $5; exit }')" "" "(to surviving targets)"
row "kernel path pkt/s  straight to target (RH2)" "$(v kdp_rx_pps_b_direct_rh2)" pkt/s "(bench/kdp.sh, no daemons)"
row "kernel path pkt/s  via routing stack program" "$(v kdp_rx_pps_c_via_rs)" pkt/s "x$(r kdp_rx_pps_c_via_rs kdp_rx_pps_b_direct_rh2) of straight"
row "kernel path pkt/s  via Linux IPv6 forwarding" "$(v kdp_rx_pps_d_via_rs_linux)" pkt/s "x$(r kdp_rx_pps_c_via_rs kdp_rx_pps_d_via_rs_linux) BPF/Linux"
row "conn events: churn CPU/conn, no observer" "$(v churn_cpu_us_per_conn_none)" us "(build/bench/kdp_events)"
row "conn events: churn CPU/conn, events on" "$(v churn_cpu_us_per_conn_events)" us "x$(r churn_cpu_us_per_conn_events churn_cpu_us_per_conn_none) of none"
row "conn events: churn CPU/conn, destroy notif." "$(v churn_cpu_us_per_conn_destroy)" us "x$(r churn_cpu_us_per_conn_destroy churn_cpu_us_per_conn_none) of none (ends only)"
row "conn events: consumer per event" "$(v consume_ns_per_event)" ns
for n in 1000 10000 100000; do
	row "idle $n conns: 100 ms dump CPU" "$(v idle_dump_cpu_ms_per_s_$n)" ms/s
	row "idle $n conns: event path CPU" "$(v idle_events_cpu_ms_per_s_$n)" ms/s "dump/events x$(v idle_dump_over_events_$n)"
done
for n in 0 100000; do
	for m in events poll; do
		row "stacks, $n idle conns held ($m): CPU A/B/C" "$(v idle_${m}_${n}_SYSA_cpu)/$(v idle_${m}_${n}_SYSB_cpu)/$(v idle_${m}_${n}_SYSC_cpu)" "%" "new conn/s $(v idle_${m}_${n}_conn_s) (bench/idle.sh)"
	done
done
# The issue's table: each figure in the TUN and BPF data paths, HAProxy and
# direct side by side, with the ratios, and a chart of the ratios.
echo ""
echo "######## data paths side by side (same run)"
printf '  %-38s %11s %11s %11s %11s  %-7s %-7s %-7s %s\n' figure TUN BPF HAProxy direct TUN/dir BPF/dir HAP/dir goal
mkdir -p "$BUILD/bench"
DAT="$BUILD/bench/datapath.dat"
: > "$DAT"
# drow LABEL GOAL TUN_NAME BPF_NAME HAPROXY_NAME DIRECT_NAME (names in the
# runs of each data path; HAProxy and direct from the BPF run, "" none).
# Each data path's ratio is to the direct figure of its own run (the same
# instance, the same moment); the TUN run's direct is in parentheses.
drow() {
	local t b h d dt
	t=$(vd TUN "$3"); b=$(vd BPF "$4"); h=${5:+$(vd BPF "$5")}; d=$(vd BPF "$6"); dt=$(vd TUN "$6")
	printf '  %-38s %11s %11s %11s %11s  %-7s %-7s %-7s %s (TUN run direct %s)\n' "$1" "${t:--}" "${b:--}" \
		"${h:--}" "${d:--}" "$(q "$t" "$dt")" "$(q "$b" "$d")" "$(q "$h" "$d")" "$2" "${dt:--}"
	printf '"%s" %s %s %s\n' "$1" "$(q "$t" "$dt" | sed 's/^-$/NaN/')" "$(q "$b" "$d" | sed 's/^-$/NaN/')" \
		"$(q "$h" "$d" | sed 's/^-$/NaN/')" >> "$DAT"
}
drow "new conn/s DVIPA1 (RR, MOBILEIPV6)" ">=0.8" conn_per_s_dvipa1 conn_per_s_dvipa1 conn_per_s_haproxy conn_per_s_base
drow "new conn/s DVIPA2 (SYSC, NOMOBILEIPV6)" ">=0.8" conn_per_s_dvipa2 conn_per_s_dvipa2 conn_per_s_haproxy conn_per_s_base
drow "keep-alive req/s DVIPA1" ">=0.9" req_per_s_dvipa1 req_per_s_dvipa1 req_per_s_haproxy req_per_s_base
drow "keep-alive req/s DVIPA2" ">=0.9" req_per_s_dvipa2 req_per_s_dvipa2 req_per_s_haproxy req_per_s_base
drow "bulk upload routed (NOMOBILEIPV6)" ">=0.8" gbps_b_routed gbps_b_routed "" gbps_a_physical
drow "bulk upload bypassed (MOBILEIPV6)" ">=0.95" gbps_c_bypass gbps_c_bypass "" gbps_a_physical
drow "small packets via routing stack" ">=0.8" small_pps_via_rs small_pps_via_rs "" small_pps_direct
for dp in TUN BPF; do
	printf '  %-38s %11s %11s\n' "new conn/s DVIPA1 / HAProxy ($dp)" "$(q "$(vd $dp conn_per_s_dvipa1)" "$(vd $dp conn_per_s_haproxy)")" "goal >= 2"
done
if command -v gnuplot >/dev/null; then
	gnuplot <<GP 2>"$LOG/gnuplot.err" && echo "  chart: $BUILD/bench/datapath.png" || echo "  (no chart: $(head -1 "$LOG/gnuplot.err"))"
set terminal pngcairo size 1200,600 noenhanced
set output "$BUILD/bench/datapath.png"
set title "sysplex data paths: same-run ratio to direct (1 = as fast as straight to the target)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set ylabel "x of direct"
set xtics rotate by -20 scale 0
set key top right
set grid ytics
plot "$DAT" using 2:xtic(1) title "TUN", "" using 3 title "BPF", "" using 4 title "HAProxy"
GP
else
	echo "  (no chart: gnuplot is not installed; make deps)"
fi

if grep -q 'workaround topolog' "$LOG"/*.out 2>/dev/null; then
	echo "  NOTE: measured on the workaround topologies (bench/README.md, \"Product bugs\")"
fi
if [ -n "$failed" ]; then
	echo "bench: could not measure:$failed" >&2
	exit 1
fi
exit 0

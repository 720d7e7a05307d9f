#!/usr/bin/env bash
# bench/idle.sh - what idle connections cost the stacks: a sweep of
# concurrent idle connections (IDLE_LEVELS, default 0 1000 10000 100000)
# held from CLIENT1 and CLIENT2 to DVIPA1 port 7777 (tests/tools/idle_conns.py on
# every system, bench/idle_topology.lua: the default sysplex, no bypass),
# once with connection events (IDLE_MODES "events") and once with the
# targets polling their socket table (SYSPLEX_STACK_POLL=1, "poll").  At
# each level, for each stack: CPU per second while the connections are idle
# (BENCH_SECONDS, default 10), RSS and its growth per connection held, the
# SQLite file (stack.db + WAL); and new connections/s (wrk, one request per
# connection, `Connection: close`, to port 8080) measured with the level
# held (median of IDLE_RATE_RUNS, default 3), and each stack's CPU per 1,000
# of those new connections (ms), both with their ratio to the first level.  Result lines as the other benchmarks; the table goes to
# $BUILD/bench/idle.dat and a chart (gnuplot) to $BUILD/bench/idle.svg.
#
# IDLE_OPEN_RATE (2000): connections a second the holders open in all;
# IDLE_LEASE_MS: the couple data set lease of the run (bench/idle_topology.lua).
#
# Limits met on this machine: one process may open 20,000 descriptors (the
# hard limit; root here has no CAP_SYS_RESOURCE to raise it), so the clients
# run one holder process per 15,000 connections and every system
# IDLE_SERVERS (default 3) servers sharing the port (SO_REUSEPORT); a client
# address has about 28,000 ephemeral ports per destination (the clients
# widen ip_local_port_range and use IDLE_SRCS extra addresses each); by
# default a target tracks at most 65,536 connections and the routing stack
# routes at most 262,144: for larger levels the script starts the stacks
# with tables of 1.2 x the largest level (SYSPLEX_STACK_MAX_CONNS, tcpip-stack
# -C), and 1,000,000 also needs IDLE_SERVERS >= 17 and IDLE_SRCS >= 8 (and
# about 6 GB of kernel socket memory for both ends).
set -u
cd "$(dirname "$0")/.."
BIN=$(cd "${BIN:-bin}" && pwd) || exit 1
BUILD=${BUILD:-build}
SECS=${BENCH_SECONDS:-10}
LEVELS=${IDLE_LEVELS:-"0 1000 10000 100000"}
MODES=${IDLE_MODES:-"events poll"}
NSRC=${IDLE_SRCS:-4}
INST=${BENCH_INSTANCE:-bi$(( $$ % 100000 ))}
TOPO=$(pwd)/bench/idle_topology.lua
MAXLVL=$(printf '%s\n' $LEVELS | sort -n | tail -1)
if [ "$MAXLVL" -gt 150000 ] && [ -z "${SYSPLEX_STACK_MAX_CONNS:-}" ]; then
	export SYSPLEX_STACK_MAX_CONNS=$((MAXLVL * 6 / 5))
fi
RUN=/run/sysplex/$INST
HZ=$(getconf CLK_TCK)
OUT=$BUILD/bench
export SYSPLEX_HOME=${SYSPLEX_HOME:-$(pwd)}
. "$(dirname "$0")/lib.sh"
for p in wrk jq python3; do command -v $p >/dev/null || die "$p is missing (make deps)"; done
mkdir -p "$OUT"

PIDS=""
HOLDERS=""
cleanup() {
	local p
	for p in $HOLDERS $PIDS; do kill "$p" 2>/dev/null; done
	# The daemons' logs (lease lapses, ownership changes) outlive the run.
	[ -d "$RUN" ] && mkdir -p "$OUT/idle-logs" &&
		for p in SYSA SYSB SYSC; do cp "$RUN/$p/stack.log" "$OUT/idle-logs/$p.log" 2>/dev/null; done
	sx down >/dev/null 2>&1 || true
	rm -rf "${FIFOS:-}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
FIFOS=$(mktemp -d)

stack_pid() { daemon_pid "$1" tcpip-stack; }
# What disturbs a level: the stack's lease lapses, takeovers, removals from
# the sysplex and VCRTs kept over a lapse, counted in its log so far.
log_counts() {
	local l=$RUN/$1/stack.log
	printf '%s lease lapses (IXC467I EXPIRED), %s owned again with the VCRT kept (EZD1276I), %s takeovers (EZZ8301I), %s removals (IXC105I)' \
		"$(grep -c 'IXC467I.*EXPIRED' "$l" 2>/dev/null)" "$(grep -c EZD1276I "$l" 2>/dev/null)" \
		"$(grep -c EZZ8301I "$l" 2>/dev/null)" "$(grep -c IXC105I "$l" 2>/dev/null)"
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
db_kb() { du -k -c "$RUN/$1"/stack.db* 2>/dev/null | awk 'END { print $1 }'; }
vcrt_n() { cmdj SYSA 'SYSPLEX$STATS' | jq .vcrt; }

# plex MODE: a fresh sysplex, servers holding on every system, clients ready.
plex() {
	local h i
	sx down >/dev/null 2>&1
	if [ "$1" = poll ]; then
		SYSPLEX_STACK_POLL=1 sx up "$TOPO" >/dev/null || die "sysplex up $TOPO failed"
	else
		sx up "$TOPO" >/dev/null || die "sysplex up $TOPO failed"
	fi
	for h in SYSA SYSB SYSC; do
		for i in $(seq 1 "${IDLE_SERVERS:-3}"); do
			ip netns exec "$INST-$h" python3 tests/tools/idle_conns.py serve 7777 >/dev/null &
			PIDS="$PIDS $!"
		done
	done
	# Larger tables (-C) take longer to allocate and touch at start.
	poll_until 120 every_rdy || die "port 7777 not ready on every target"
	for h in CLIENT1 CLIENT2; do
		ip netns exec "$INST-$h" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
		for i in $(seq 1 "$NSRC"); do
			ip netns exec "$INST-$h" ip -6 addr add "$(src_of "$h" "$i")/64" dev lan0 nodad 2>/dev/null
		done
	done
}
every_rdy() {
	cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -e '[.vdpt[] | select(.port == 7777 and .rdy > 0)] | length == 3'
}
# src_of CLIENTn i: the i-th extra source address of a client.
src_of() { echo "fd00:1::${1#CLIENT}:$2"; }
srcs() { local i l=""; for i in $(seq 1 "$NSRC"); do l="$l${l:+,}$(src_of "$1" "$i")"; done; echo "$l"; }

# hold N: N more idle connections, half from each client, opened at most
# IDLE_OPEN_RATE (default 2000) a second in all (shared by the holders), so
# that building a large level does not itself starve the stacks' couple data
# set leases on a small machine; waits until they are established (the
# holders say so) and the routing stack routes them all.
HELD=0
OPEN_RATE=${IDLE_OPEN_RATE:-2000}
hold() {
	local n=$1 h f m nh rate t0
	[ "$n" -gt 0 ] || return 0
	nh=$((2 * $(chunks $((n / 2)) | wc -l)))
	rate=$(calc "$OPEN_RATE / $nh" 1)
	t0=$(now)
	for h in CLIENT1 CLIENT2; do
		# One process per 15,000 connections (the descriptor limit).
		for m in $(chunks $((n / 2))); do
			k=$((k + 1)); f=$FIFOS/$h.$k
			mkfifo "$f.in"
			ip netns exec "$INST-$h" python3 tests/tools/idle_conns.py hold fd00:100::1 7777 "$m" \
				"$(srcs $h)" "$rate" <"$f.in" >"$f.out" &
			HOLDERS="$HOLDERS $!"
			exec {fd}>"$f.in"	# keeps the holder's stdin open until we exit
			OUTS="$OUTS $f.out"
		done
	done
	for f in $OUTS; do
		poll_until $((900 + n / OPEN_RATE)) grep -q held "$f" || die "holder $f did not finish"
	done
	say "   holders: $(cat $OUTS | awk '{ h += $2; f += $4; r += $6 } END { print h " held, " f " failed, " r " retried" }') in $(calc "$(now) - $t0" 0) s (at most $OPEN_RATE/s), load $(cut -d' ' -f1 /proc/loadavg)"
	HELD=$((HELD + $(cat $OUTS | awk '{ h += $2 } END { print h + 0 }')))
	OUTS=""
	routed() { [ "$(vcrt_n)" -ge "$HELD" ]; }
	poll_until 120 routed || say "   (SYSA routes $(vcrt_n) of $HELD)"
}
# chunks N: N as parts of at most 15,000.
chunks() { local n=$1; while [ "$n" -gt 15000 ]; do echo 15000; n=$((n - 15000)); done; echo "$n"; }
OUTS=""
k=0

# conn_rate: new connections/s with what is held now (RATE): the median of
# IDLE_RATE_RUNS (3) wrk runs; sets KCONN[SYS] to the CPU of each stack's
# daemon per 1,000 new connections over all the runs (ms), a figure the
# other sessions' load on the machine disturbs far less than the rate.
declare -A KCONN=()
conn_rate() {
	local h r rates="" n=0 i
	declare -A c0=() p=()
	for h in SYSA SYSB SYSC; do p[$h]=$(stack_pid $h); c0[$h]=$(cpu_ticks "${p[$h]}"); done
	for i in $(seq 1 "${IDLE_RATE_RUNS:-3}"); do
		r=$(sx exec CLIENT1 -- wrk -t2 -c32 -d5 -H 'Connection: close' 'http://[fd00:100::1]:8080/' 2>&1 |
			awk '/^Requests\/sec:/ { print $2 }')
		rates="$rates ${r:-0}"
		n=$(calc "$n + ${r:-0} * 5" 0)
	done
	for h in SYSA SYSB SYSC; do
		KCONN[$h]=n/a
		[ "$n" -gt 0 ] && KCONN[$h]=$(calc "($(cpu_ticks "${p[$h]}") - ${c0[$h]}) * 1000 * 1000 / $HZ / $n" 1)
	done
	RATE=$(printf '%s\n' $rates | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
}
DAT=$OUT/idle.dat
printf '# mode level sysa_cpu sysb_cpu sysc_cpu sysa_rss_kb sysb_rss_kb sysc_rss_kb sysa_db_kb conn_s\n' >"$DAT"
say "== idle.sh: instance $INST, levels $LEVELS, modes $MODES, ${SECS} s idle per level"
for mode in $MODES; do
	plex "$mode"
	HELD=0
	declare -A rss0=() rssp=()
	prev=0
	for lvl in $LEVELS; do
		hold $((lvl - HELD))
		sleep 2	# the last handshakes' reports settle
		declare -A pid=() t0=() cpu=() rss=()
		for h in SYSA SYSB SYSC; do pid[$h]=$(stack_pid $h); t0[$h]=$(cpu_ticks "${pid[$h]}"); done
		a=$(now); sleep "$SECS"; b=$(now)
		for h in SYSA SYSB SYSC; do
			cpu[$h]=$(calc "($(cpu_ticks "${pid[$h]}") - ${t0[$h]}) * 100 / $HZ / ($b - $a)" 2)
			rss[$h]=$(rss_kb "${pid[$h]}")
			[ -n "${rss0[$h]:-}" ] || rss0[$h]=${rss[$h]}
		done
		conn_rate; rate=$RATE
		db=$(db_kb SYSA)
		for h in SYSA SYSB SYSC; do
			per=n/a; marg=n/a
			[ "$HELD" -gt 0 ] && per=$(calc "(${rss[$h]} - ${rss0[$h]}) * 1024 / $HELD" 0)
			[ "$HELD" -gt "$prev" ] && [ -n "${rssp[$h]:-}" ] &&
				marg=$(calc "(${rss[$h]} - ${rssp[$h]}) * 1024 / ($HELD - $prev)" 0)
			rssp[$h]=${rss[$h]}
			fig "idle_${mode}_${lvl}_${h}_cpu" "${cpu[$h]}" "%" "CPU of $h's stack per second, $HELD idle connections held"
			fig "idle_${mode}_${lvl}_${h}_rss" "$((rss[$h] / 1024))" MB "RSS of $h's stack; growth per held connection: ${per} B over level 0, ${marg} B over the previous level"
		done
		prev=$HELD
		fig "idle_${mode}_${lvl}_sqlite" "$db" KB "SYSA's stack.db + WAL"
		for h in SYSA SYSB SYSC; do
			say "   $h log: $(log_counts "$h")"
		done
		for h in SYSA SYSB; do
			say "   $h: $(cmdj $h 'SYSPLEX$STATS' | jq -c '{full_reports, vcrt, tracking, drops, lapse_holds, lapse_kept, lapse_dropped}')"
		done
		[ "$lvl" = "$(printf '%s\n' $LEVELS | head -1)" ] && { rate0=$rate; declare -A kconn0=(); for h in SYSA SYSB SYSC; do kconn0[$h]=${KCONN[$h]}; done; }
		fig "idle_${mode}_${lvl}_conn_s" "${rate:-n/a}" conn/s "new connections/s (median of ${IDLE_RATE_RUNS:-3} wrk -c32 runs, Connection: close) with $HELD held; x$(ratio "${rate:-0}" "${rate0:-0}") of the first level, load $(cut -d' ' -f1 /proc/loadavg)"
		for h in SYSA SYSB SYSC; do
			fig "idle_${mode}_${lvl}_${h}_ms_kconn" "${KCONN[$h]}" ms "CPU of $h's stack per 1,000 new connections with $HELD held; x$(ratio "${KCONN[$h]}" "${kconn0[$h]}") of the first level"
		done
		printf '%s %s %s %s %s %s %s %s %s %s\n' "$mode" "$HELD" "${cpu[SYSA]}" "${cpu[SYSB]}" \
			"${cpu[SYSC]}" "${rss[SYSA]}" "${rss[SYSB]}" "${rss[SYSC]}" "$db" "${rate:-0}" >>"$DAT"
	done
	for p in $HOLDERS; do kill "$p" 2>/dev/null; done
	HOLDERS=""
done

if command -v gnuplot >/dev/null; then
	gnuplot <<GP 2>/dev/null && say "   chart: $OUT/idle.svg"
set terminal svg size 1000,700
set output "$OUT/idle.svg"
set multiplot layout 2,1 title "idle connections: per-stack CPU and new connections/s"
set logscale x
set xlabel "idle connections held"
set ylabel "% of a core"
set key left top
plot for [m in "events poll"] "$DAT" using (strcol(1) eq m ? (\$2 > 0 ? \$2 : 100) : 1/0):3 with linespoints title m." SYSA", \
     for [m in "events poll"] "$DAT" using (strcol(1) eq m ? (\$2 > 0 ? \$2 : 100) : 1/0):5 with linespoints title m." SYSC"
set ylabel "new conn/s"
plot for [m in "events poll"] "$DAT" using (strcol(1) eq m ? (\$2 > 0 ? \$2 : 100) : 1/0):10 with linespoints title m
unset multiplot
GP
else
	say "   (no gnuplot: no chart; make deps installs gnuplot-nox)"
fi
exit 0

# lib.sh - helpers the benchmark scripts share (sourced once BIN and INST
# are set): the instance's launcher, result lines, polling, arithmetic, Rdy
# checks, the pid and CPU time of a daemon.
SX=("$BIN/sysplex" --instance "$INST")	# run directly when backgrounded: $! is the program
# BENCH_DATAPATH=BPF|TUN: `sx up` builds the instance with that data path
# (sysplex up --datapath); unset: the default (BPF where it loads).
sx() {
	if [ "${1:-}" = up ] && [ -n "${BENCH_DATAPATH:-}" ]; then
		shift
		"${SX[@]}" up --datapath "$BENCH_DATAPATH" "$@"
	else
		"${SX[@]}" "$@"
	fi
}
cmdj() { sx cmd --system "$1" --json "$2"; }
die() { echo "$(basename "$0"): $*" >&2; exit 1; }
say() { echo "$@"; }
# fig NAME VALUE UNIT [COMMENT...]: one result line.
fig() { local n=$1 v=$2 u=$3; shift 3; printf '%-32s %12s %-8s %s\n' "$n" "$v" "$u" "$*"; }
# poll_until TIMEOUT_S CMD...: runs CMD every 100 ms until it succeeds.
poll_until() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
# ratio A B: A / B to three decimals ("n/a" when B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

# rdy DVIPA PORT: succeeds when SYSA's VDPT shows Rdy > 0 for DVIPA..PORT.
rdy() {
	cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' |
		jq -e --arg d "$1" --argjson p "$2" \
			'[.vdpt[] | select(.dest == $d and .port == $p) | .rdy] | add // 0 | . > 0'
}
# rdy_stable TIMEOUT DVIPA:PORT...: Rdy > 0 for all of them at once within
# TIMEOUT s, then in every sample over 2.5 s (targets re-report every second).
all_rdy() {
	local dp
	for dp in "$@"; do rdy "${dp%:*}" "${dp##*:}" >/dev/null || return 1; done
}
rdy_stable() {
	local t=$1 end; shift
	poll_until "$t" all_rdy "$@" || return 1
	end=$(( $(date +%s%N) + 2500000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		all_rdy "$@" || return 1
		sleep 0.1
	done
}

# daemon_pid HOST PROGRAM
daemon_pid() {
	sx status --json | jq -r --arg h "$1" --arg p "$2" \
		'.hosts[] | select(.name == $h) | .daemons[] | select(.program == $p) | .pid'
}
# cpu_ticks PID: utime + stime (clock ticks).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

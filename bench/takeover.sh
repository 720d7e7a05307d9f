#!/usr/bin/env bash
# takeover.sh - the takeover benchmark: over RUNS (default 20) kill -9 / restart
# cycles of the routing stack SYSA in one emulated sysplex, the time from the
# kill to the first new connection served by the backup (median, p90, p99,
# max), and how many of 40 live connections to SYSB/SYSC were lost across all
# cycles.  Each cycle: 40 downloads (20 per client) held open (paced at
# 20 kB/s, a length they never reach) and routed to SYSB/SYSC (SYSA quiesced
# as a target so the kill measures takeover, not the loss of SYSA's own
# connections), kill -9 SYSA, a new connection from CLIENT2 every 10 ms
# (0.1 s timeout each, so the figure is at most about 110 ms late) until one
# is served, restart SYSA, wait for its takeback, then count the held
# connections that are no longer established and receiving (a lost one),
# and end them.
# Prints numbers; asserts nothing.  Reference: keepalived's VRRP default
# failover is about 3 s (advert_int 1 s x 3).
set -u
BIN=${BIN:-bin}; BIN=$(cd "$BIN" && pwd)
RUNS=${RUNS:-20}
INST=bt$$
DVIPA=fd00:100::1
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'kill $PIDS 2>/dev/null; sx down >/dev/null 2>&1' EXIT
owner() { for s in SYSA SYSB SYSC; do sx cmd --system $s SYSPLEX\$ROLE 2>/dev/null | grep -q ' ACTIVE DIST' && echo $s; done; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# rx HOST: "LOCALPORT BYTES_RECEIVED" of HOST's established connections to
# the DVIPA port (the kernel's counters).
rx() {
	ip netns exec "$INST-$1" ss -Htin state established dst "[$DVIPA]:8080" | awk '
		$0 !~ /^[ \t]/ { n = split($3, a, ":"); port = a[n]; next }
		{ for (i = 1; i <= NF; i++) if ($i ~ /^bytes_received:/) { split($i, b, ":"); print port, b[2] } }'
}
# moving HOST FILE: every connection of FILE (rx output) is still
# established and has received more since.
moving() {
	awk 'NR == FNR { now[$1] = $2; next } !($1 in now) || now[$1] + 0 <= $2 + 0 { bad++ } END { exit bad > 0 }' \
		<(rx "$1") "$2"
}
# lost HOST FILE: how many connections of FILE are not moving.
lost_n() {
	awk 'NR == FNR { now[$1] = $2; next } !($1 in now) || now[$1] + 0 <= $2 + 0 { bad++ } END { print bad + 0 }' \
		<(rx "$1") "$2"
}

sx up >/dev/null || { echo "bench/takeover: sysplex up failed" >&2; exit 1; }
tmp=$(mktemp -d)
live40() { [ "$(sx cmd --json 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.state == "ESTABLISHED")] | length')" -ge 40 ]; }
times=(); lost=0; total=0
for r in $(seq "$RUNS"); do
	sx cmd --system SYSA 'V TCPIP,TCPCS,SYSPLEX,QUIESCE,TARGET' >/dev/null
	PIDS=""
	for c in CLIENT1 CLIENT2; do
		for i in $(seq 20); do echo "url = \"http://[$DVIPA]:8080/bytes/1000000000000000?rate=20000\""; echo "output = /dev/null"; done > "$tmp/$c.cfg"
		ip netns exec "$INST-$c" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 20 \
			-w '%{http_code} %{size_download}\n' -K "$tmp/$c.cfg" > "$tmp/$c.$r" &
		PIDS="$PIDS $!"
	done
	poll_until 60 live40 || die "run $r: the 40 downloads are not all in SYSA's VCRT"
	t0=$(now_ms)
	sx kill SYSA >/dev/null
	while :; do
		if ip netns exec "$INST-CLIENT2" curl -s -m 0.1 -H 'Connection: close' "http://[$DVIPA]:8080/" 2>/dev/null | grep -q SYS; then
			break
		fi
		[ $(( $(now_ms) - t0 )) -gt 10000 ] && break
		sleep 0.01
	done
	times+=($(( $(now_ms) - t0 )))
	if [ -n "${BENCH_DEBUG:-}" ]; then
		echo "kill at $(date -d @$((t0 / 1000)) +%T).$((t0 % 1000))"
		grep -h "FAILED\|TAKEN" "/run/sysplex/$INST"/SYS[BC]/stack.log | tail -3
	fi
	sx restart SYSA >/dev/null
	isa() { [ "$(owner)" = SYSA ]; }
	poll_until 60 isa || die "run $r: SYSA did not take the DVIPA back"
	# Lost: no longer established, or received nothing more within 30 s.
	for c in CLIENT1 CLIENT2; do rx $c > "$tmp/$c.rx"; done
	poll_until 30 eval 'moving CLIENT1 "$tmp/CLIENT1.rx" && moving CLIENT2 "$tmp/CLIENT2.rx"'
	gone=$(( 40 - $(cat "$tmp"/CLIENT*.rx | wc -l) + $(lost_n CLIENT1 "$tmp/CLIENT1.rx") + $(lost_n CLIENT2 "$tmp/CLIENT2.rx") ))
	kill $PIDS 2>/dev/null; wait $PIDS 2>/dev/null
	lost=$((lost + gone)); total=$((total + 40))
	printf 'run %2d: first new connection after %5d ms; %d of 40 connections alive after the takeback\n' "$r" "${times[-1]}" "$((40 - gone))"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
n=${#sorted[@]}
pct() { local i=$(( ($1 * n + 99) / 100 - 1 )); [ $i -lt 0 ] && i=0; echo "${sorted[$i]}"; }
echo
echo "takeover over $n kill -9 runs of the routing stack (time to first new connection served):"
printf '  median %d ms   p90 %d ms   p99 %d ms   max %d ms\n' "$(pct 50)" "$(pct 90)" "$(pct 99)" "${sorted[$((n - 1))]}"
printf '  connections lost: %d of %d live connections to surviving targets\n' "$lost" "$total"
printf '  reference: keepalived VRRP default failover about 3000 ms; ratio median/3000 = %s\n' \
	"$(awk -v m="$(pct 50)" 'BEGIN { printf "%.2f", m / 3000 }')"
rm -rf "$tmp"

#!/usr/bin/env bash
# Proves: targets track connections from the kernel's events, not by
# polling, and report them incrementally; the routing stack's digest check
# repairs a view that lost reports.
#  1. every stack runs with connection events (SYSPLEX$STATS tracking.mode);
#  2. short connections (opened and closed by the client at once, well
#     within 10 ms, no data) are each reported established and ended by
#     their target, and leave the VCRT (a 100 ms poll sees almost none of
#     them: the routing stack's entries would only time out);
#  3. long connections (held downloads) appear in the VCRT as ESTABLISHED
#     and leave it when the test ends them;
#  4. reports lost on the way (SYSPLEX$EVDROP on SYSB: its next reports are
#     not sent) leave the routing stack's entries of SYSB's new connections
#     in SYN state; the digests differ, the routing stack asks SYSB for a
#     full report, and the entries become ESTABLISHED (without the digest
#     they would stay SYN and time out, breaking the connections); their
#     ends, dropped too, are repaired the same way.
. tests/netns/lib.sh
pids=""
trap 'end_held $pids; cleanup' EXIT

stats() { cmdj "$1" SYSPLEX\$STATS; }
vcrt() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT'; }

sx up >/dev/null || fail "sysplex up"
for s in SYSA SYSB SYSC; do
	m=$(stats $s | jq -r .tracking.mode)
	[ "$m" = EVENTS ] || fail "$s tracks connections by $m, not by events"
done
ok "every stack learns its connections from the kernel's events"

# 2. Short connections.
N=300
est0=$(stats SYSA | jq .tracking.est_rx); end0=$(stats SYSA | jq .tracking.end_rx)
events() { local s n=0; for s in SYSA SYSB SYSC; do n=$((n + $(stats $s | jq .tracking.events))); done; echo $n; }
repairs() { local s n=0; for s in SYSA SYSB SYSC; do n=$((n + $(stats $s | jq .tracking.repairs))); done; echo $n; }
ev0=$(events); rep0=$(repairs)
in_host CLIENT1 python3 - "$DVIPA" "$PORT" "$N" <<'PY' || fail "short connections"
import socket, sys, time
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
slow = 0
for i in range(n):
    t = time.monotonic()
    s = socket.create_connection((addr, port), timeout=10)
    s.close()
    if time.monotonic() - t > 0.010:
        slow += 1
print("  %d connections, %d took over 10 ms from connect to close" % (n, slow))
PY
reported() {
	local st; st=$(stats SYSA)
	[ $(( $(echo "$st" | jq .tracking.est_rx) - est0 )) -ge $N ] &&
		[ $(( $(echo "$st" | jq .tracking.end_rx) - end0 )) -ge $N ]
}
poll_until 60 reported ||
	fail "short connections reported: $(stats SYSA | jq -c .tracking) (before: est $est0 end $end0)"
empty() { [ "$(vcrt | jq '.vcrt | length')" = 0 ]; }
poll_until 60 empty || fail "VCRT not empty after the short connections: $(vcrt | jq -c .vcrt)"
ev=$(( $(events) - ev0 ))
# Each connection gives its target two events (established, ended); a
# 100 ms poll would have seen almost none of these connections at all.
[ "$ev" -ge "$N" ] || fail "the targets applied $ev connection events for $N connections"
ok "$N short connections each reported established and ended by their target ($ev events; $(( $(repairs) - rep0 )) changes found by the periodic check instead); VCRT empty"

# 3. Long connections.
for i in $(seq 1 12); do
	ip netns exec "$INST-CLIENT2" curl -s -o /dev/null "$(held_url 20000)" &
	pids="$pids $!"
done
est12() { [ "$(vcrt | jq '[.vcrt[] | select(.state == "ESTABLISHED")] | length')" = 12 ]; }
poll_until 60 est12 || fail "held connections in the VCRT: $(vcrt | jq -c .vcrt)"
ok "12 held connections ESTABLISHED in the VCRT"
end_held $pids; pids=""
poll_until 60 empty || fail "VCRT not empty after the held connections ended: $(vcrt | jq -c .vcrt)"
ok "they left the VCRT when they ended"

# 4. Lost reports repaired by the digest.  SYSB's table is empty first (so
# no full report asked for earlier is still on its way).
tgt_empty() { [ "$(stats SYSB | jq .tracking.connections)" = 0 ]; }
poll_until 60 tgt_empty || fail "SYSB still tracks $(stats SYSB | jq .tracking.connections) connections"
sleep 4	# longer than the routing stack's hold between two requests (STACK_SYNC_HOLD_MS)
sync0=$(stats SYSA | jq .tracking.sync_sent)
cmdj SYSB 'SYSPLEX$EVDROP 1000' >/dev/null || fail "SYSPLEX\$EVDROP"
for i in $(seq 1 9); do
	ip netns exec "$INST-CLIENT2" curl -s -o /dev/null "$(held_url 20000)" &
	pids="$pids $!"
done
onb() { vcrt | jq '[.vcrt[] | select(.destxcf == "fd00:10::2")] | length'; }
has_b() { [ "$(onb)" -ge 1 ]; }
poll_until 60 has_b || fail "no connection routed to SYSB: $(vcrt | jq -c .vcrt)"
est9() { [ "$(vcrt | jq '[.vcrt[] | select(.state == "ESTABLISHED")] | length')" = 9 ]; }
poll_until 60 est9 || fail "VCRT after lost reports: $(vcrt | jq -c .vcrt)"
dropped=$(stats SYSB | jq .tracking.dropped_reports)
[ "$dropped" -ge 1 ] || fail "SYSB dropped no report: the test proves nothing"
sync1=$(stats SYSA | jq .tracking.sync_sent)
[ "$sync1" -gt "$sync0" ] || fail "no full report was asked for ($sync0 -> $sync1; SYSA $(stats SYSA | jq -c .tracking); SYSB $(stats SYSB | jq -c .tracking); VCRT $(vcrt | jq -c .vcrt))"
ok "SYSB's $dropped lost reports: digests differed, full report asked ($((sync1 - sync0))x), $(onb) connections of SYSB ESTABLISHED"
end_held $pids; pids=""
poll_until 60 empty || fail "VCRT not empty after lost end reports: $(vcrt | jq -c .vcrt)"
ok "their ends, lost as well, repaired: VCRT empty ($(stats SYSB | jq .tracking.dropped_reports) reports of SYSB lost in all)"
exit 0

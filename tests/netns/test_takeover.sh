#!/usr/bin/env bash
# Proves: with 200 live long-running connections from both clients
# (bypassed and not), kill -9 of the routing stack's daemon loses no
# connection of the surviving targets: the backup SYSB takes the DVIPA over
# (EZZ8301I), rebuilds its
# VCRT from the targets' reports and serves new connections within 1 s; the
# SQLite file of the killed stack passes an integrity check; the restarted
# SYSA reloads it, rejoins and takes the DVIPA back (MOVEABLE IMMEDIATE,
# EZZ8303I on SYSB); the routing table agrees with the targets' tables; and
# every transfer routed to SYSB or SYSC completes (those terminated on SYSA
# itself are counted and reported).
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
N=100            # transfers per client
SIZE=300000      # bytes each, at 25 kB/s: about 12 s
owner() { for s in SYSA SYSB SYSC; do sx cmd --system $s SYSPLEX\$ROLE 2>/dev/null | grep -q ' ACTIVE DIST' && echo $s; done; }
records() { cmdj "$1" 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq .records; }

sx up >/dev/null || fail "sysplex up"
for c in CLIENT1 CLIENT2; do
	for i in $(seq $N); do echo "url = \"http://[$DVIPA]:$PORT/bytes/$SIZE?rate=25000\""; echo "output = /dev/null"; done > "$tmp/$c.cfg"
	ip netns exec "$INST-$c" curl -s --no-progress-meter -m 90 --parallel --parallel-immediate --parallel-max $N \
		-w '%{http_code} %{size_download} %{local_port}\n' -K "$tmp/$c.cfg" > "$tmp/$c.out" &
done
all_live() { [ "$(records SYSA)" -ge $((2 * N)) ]; }
poll_until 15 all_live || fail "only $(records SYSA) connections in the VCRT"
cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' > "$tmp/vcrt.before"
bound=$(jq '[.vcrt[] | select(.bypass == "BOUND")] | length' "$tmp/vcrt.before")
ok "$((2 * N)) live connections, $bound of them bypassed (bound)"

t0=$(date +%s%N)
sx kill SYSA >/dev/null || fail "sysplex kill SYSA"
served=""
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ]; do
	if r=$(ip netns exec "$INST-CLIENT2" curl -s -m 0.25 -H 'Connection: close' "http://[$DVIPA]:$PORT/") && [ -n "$r" ]; then
		served=$(( ($(date +%s%N) - t0) / 1000000 )); break
	fi
done
[ -n "$served" ] || fail "no new connection served within 5 s of the kill"
[ "$served" -lt 1000 ] || fail "first new connection after the kill took $served ms (want < 1000)"
ok "backup served a new connection $served ms after kill -9 of SYSA (by $r)"
[ "$(owner)" = SYSB ] || fail "owner after the kill: '$(owner)'"
grep -q "EZZ8301I VIPA $DVIPA TAKEN OVER FROM TCPCS ON SYSA" "/run/sysplex/$INST/SYSB/stack.log" || fail "no EZZ8301I on SYSB"
rebuilt() { [ "$(records SYSB)" -ge $((2 * N * 2 / 3 - 5)) ]; }
poll_until 5 rebuilt || fail "SYSB rebuilt only $(records SYSB) VCRT entries"
ok "SYSB owns the DVIPA and rebuilt its VCRT ($(records SYSB) entries) from the targets' reports"
[ "$(sqlite3 "/run/sysplex/$INST/SYSA/stack.db" 'PRAGMA integrity_check')" = ok ] || fail "SQLite file damaged by kill -9"
ok "SYSA's SQLite file passes PRAGMA integrity_check after kill -9"

sx restart SYSA >/dev/null || fail "sysplex restart SYSA"
back() { [ "$(owner)" = SYSA ]; }
poll_until 10 back || fail "SYSA did not take the DVIPA back (owner: $(owner))"
grep -q "EZZ8303I VIPA $DVIPA GIVEN TO TCPCS ON SYSA" "/run/sysplex/$INST/SYSB/stack.log" || fail "no EZZ8303I on SYSB"
grep -q "RELOADED" "/run/sysplex/$INST/SYSA/stack.log" || fail "restarted SYSA did not reload its SQLite state"
ok "restarted SYSA reloaded its tables and took the DVIPA back (takeback IMMEDIATE)"
agree() {
	local v; v=$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT')
	for t in SYSB:fd00:10::2 SYSC:fd00:10::3; do
		local s=${t%%:*} x=${t#*:}
		[ "$(echo "$v" | jq "[.vcrt[] | select(.destxcf == \"$x\")] | length")" = "$(records $s)" ] || return 1
	done
}
poll_until 10 agree || fail "routing table and targets' tables disagree"
ok "SYSA's VCRT agrees with the targets' tables"
wait
# Every transfer, by the target it was routed to before the kill.
for p in $(cat "$tmp"/CLIENT*.out | awk -v want="$SIZE" '$1 != 200 || $2 != want {print $3}'); do
	jq -r ".vcrt[] | select(.sport == $p) | .destxcf" "$tmp/vcrt.before"
done | sort | uniq -c > "$tmp/lost"
onA=$(jq '[.vcrt[] | select(.destxcf == "fd00:10::1")] | length' "$tmp/vcrt.before")
lostA=$(awk '$2 == "fd00:10::1" {print $1}' "$tmp/lost"); lostA=${lostA:-0}
lostBC=$(awk '$2 != "fd00:10::1" {n += $1} END {print n + 0}' "$tmp/lost")
[ "$lostBC" = 0 ] || fail "connections on surviving targets were lost: $(cat "$tmp/lost")"
ok "0 of $((2 * N - onA)) connections on SYSB/SYSC lost through takeover and takeback"
# Connections terminated on the killed stack itself are lost in z/OS (their
# TCP state lived there); here the kernel outlives the daemon, so most come
# back when it restarts.  Reported, not asserted.
echo "  info: $((onA - lostA)) of $onA connections terminated on SYSA itself revived after its restart"
exit 0

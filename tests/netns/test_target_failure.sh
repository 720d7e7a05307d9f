#!/usr/bin/env bash
# Proves: kill -9 of a target (SYSC) loses only SYSC's own
# connections; within 1 s SYSC has no VDPT entry (no new connection goes to
# it) and new connections succeed elsewhere; clients bound to SYSC get the
# Binding Update with care-of = home = DVIPA that deletes their bindings.  A
# target whose listener goes (Rdy 0) gets no new connections either.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
N=30
SIZE=200000
agent() { sx exec "$1" -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/$1"; }

sx up >/dev/null || fail "sysplex up"
for c in CLIENT1 CLIENT2; do
	for i in $(seq $N); do echo "url = \"http://[$DVIPA]:$PORT/bytes/$SIZE?rate=25000\""; echo "output = /dev/null"; done > "$tmp/$c.cfg"
	ip netns exec "$INST-$c" curl -s --no-progress-meter -m 30 --parallel --parallel-immediate --parallel-max $N \
		-w '%{http_code} %{size_download}\n' -K "$tmp/$c.cfg" > "$tmp/$c.out" &
done
live() { [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq .records)" -ge $((2 * N)) ]; }
poll_until 10 live || fail "connections did not all show up in the VCRT"
onc=$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.destxcf == "fd00:10::3")] | length')
bound_c=0
for c in CLIENT1 CLIENT2; do
	bound_c=$((bound_c + $(agent $c | jq '[.bindings[] | select(.careof == "fd00:10::3")] | length')))
done
ok "$((2 * N)) live connections, $onc on SYSC ($bound_c of them bound to it)"

t0=$(date +%s%N)
sx kill SYSC >/dev/null || fail "sysplex kill SYSC"
gone() { ! cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -e '.vdpt[] | select(.destxcf == "fd00:10::3" and .rdy > 0)' >/dev/null; }
poll_until 3 gone || fail "SYSC still ready in the VDPT"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ms -lt 1000 ] || fail "SYSC left the VDPT only after $ms ms"
ok "SYSC out of the VDPT $ms ms after kill -9"
for i in $(seq 12); do ip netns exec "$INST-CLIENT1" curl -s -m 3 -H 'Connection: close' "http://[$DVIPA]:$PORT/"; done > "$tmp/new"
[ "$(grep -c . "$tmp/new")" = 12 ] || fail "new connections failed: $(cat "$tmp/new")"
grep -q SYSC "$tmp/new" && fail "a new connection went to the dead SYSC"
ok "12 new connections succeeded on SYSA/SYSB"
unbound() {
	for c in CLIENT1 CLIENT2; do
		[ "$(agent $c | jq '[.bindings[] | select(.careof == "fd00:10::3")] | length')" = 0 ] || return 1
	done
}
poll_until 5 unbound || fail "bindings to SYSC not deleted"
[ $bound_c = 0 ] || [ "$(cmdj SYSA SYSPLEX\$STATS | jq .mip6.target_lost)" -ge 1 ] || fail "no target-lost BU counted"
ok "clients' bindings to SYSC deleted (BU with care-of = home = DVIPA)"
wait
okc=$(cat "$tmp"/CLIENT*.out | grep -c "^200 $SIZE\$")
[ "$okc" -ge $((2 * N - onc)) ] || fail "only $okc transfers completed; $((2 * N - onc)) were not on SYSC"
ok "$okc of $((2 * N)) transfers completed: only SYSC's own ($onc) could be lost"

# A target whose listener goes: Rdy 0, no new connections.
pid=$(awk '$1 == "proc" && $2 == "SYSB" && $3 == "httpd" {print $4}' "/run/sysplex/$INST/state")
kill "$pid"
rdy0() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -e '.vdpt[] | select(.destxcf == "fd00:10::2" and .rdy == 0)' >/dev/null; }
poll_until 2 rdy0 || fail "SYSB's Rdy did not drop to 0"
for i in $(seq 6); do ip netns exec "$INST-CLIENT2" curl -s -m 3 -H 'Connection: close' "http://[$DVIPA]:$PORT/"; done > "$tmp/new2"
[ "$(grep -cx SYSA "$tmp/new2")" = 6 ] || fail "with SYSB's listener gone and SYSC dead, not all went to SYSA: $(cat "$tmp/new2")"
ok "listener gone on SYSB: Rdy 0, new connections only to SYSA"
exit 0

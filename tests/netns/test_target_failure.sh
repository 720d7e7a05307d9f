#!/usr/bin/env bash
# Proves: kill -9 of a target (SYSC) loses only SYSC's own
# connections (60 connections held open by the test: every one on SYSA or
# SYSB is still alive and receiving afterwards); SYSC leaves the VDPT (the
# time is reported) and no new connection goes to it while new connections
# succeed elsewhere; clients bound to SYSC get the Binding Update with
# care-of = home = DVIPA that deletes their bindings.  A target whose
# listener goes (Rdy 0) gets no new connections either.
. tests/netns/lib.sh
tmp=$(mktemp -d); pids=""; trap 'kill $pids 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
N=30             # held connections per client, 25 kB/s each
agent() { sx exec "$1" -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/$1"; }

sx up >/dev/null || fail "sysplex up"
# Held open (paced, unbounded) until the test ends them.
for c in CLIENT1 CLIENT2; do
	for i in $(seq $N); do echo "url = \"$(held_url 25000)\""; echo "output = /dev/null"; done > "$tmp/$c.cfg"
	ip netns exec "$INST-$c" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max $N \
		-w '%{http_code} %{size_download} %{local_port} %{exitcode}\n' -K "$tmp/$c.cfg" > "$tmp/$c.out" &
	pids="$pids $!"
done
live() { [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.state == "ESTABLISHED")] | length')" -ge $((2 * N)) ]; }
poll_until 60 live || fail "connections did not all show up in the VCRT"
cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' > "$tmp/vcrt.before"
onc=$(jq '[.vcrt[] | select(.destxcf == "fd00:10::3")] | length' "$tmp/vcrt.before")
bound_c=0
for c in CLIENT1 CLIENT2; do
	bound_c=$((bound_c + $(agent $c | jq '[.bindings[] | select(.careof == "fd00:10::3")] | length')))
done
ok "$((2 * N)) live connections, $onc on SYSC ($bound_c of them bound to it)"

t0=$(date +%s%N)
sx kill SYSC >/dev/null || fail "sysplex kill SYSC"
gone() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jqe '[.vdpt[] | select(.destxcf == "fd00:10::3" and .rdy > 0)] | length == 0' >/dev/null; }
poll_until 30 gone || fail "SYSC still ready in the VDPT"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "SYSC out of the VDPT $ms ms after kill -9 (seen by polling)"
for i in $(seq 12); do ip netns exec "$INST-CLIENT1" curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/"; done > "$tmp/new"
[ "$(grep -c . "$tmp/new")" = 12 ] || fail "new connections failed: $(cat "$tmp/new")"
grep -q SYSC "$tmp/new" && fail "a new connection went to the dead SYSC"
ok "12 new connections succeeded on SYSA/SYSB"
unbound() {
	for c in CLIENT1 CLIENT2; do
		[ "$(agent $c | jq '[.bindings[] | select(.careof == "fd00:10::3")] | length')" = 0 ] || return 1
	done
}
poll_until 30 unbound || fail "bindings to SYSC not deleted"
[ $bound_c = 0 ] || [ "$(cmdj SYSA SYSPLEX\$STATS | jq .mip6.target_lost)" -ge 1 ] || fail "no target-lost BU counted"
ok "clients' bindings to SYSC deleted (BU with care-of = home = DVIPA)"
# Every connection on SYSA or SYSB must still be alive and receiving.
lost=""
for c in CLIENT1:fd00:1::101 CLIENT2:fd00:1::102; do
	h=${c%%:*} src=${c#*:}
	jq -r ".vcrt[] | select(.state == \"ESTABLISHED\" and .source == \"$src\" and .destxcf != \"fd00:10::3\") | .sport" "$tmp/vcrt.before" > "$tmp/$h.ab"
	rx_bytes "$h" > "$tmp/$h.rx"
	s=""
	for p in $(cat "$tmp/$h.ab"); do grep -q "^$p " "$tmp/$h.rx" || s="$s $p"; done
	[ ! -s "$tmp/$h.ab" ] || s="$s $(stalled "$h" "$tmp/$h.rx" 60 $(cat "$tmp/$h.ab"))"
	[ -z "${s// /}" ] || lost="$lost $h:$s"
done
[ -z "$lost" ] || fail "connections on SYSA/SYSB were lost:$lost; ended on their own: $(cat "$tmp"/CLIENT*.out)"
end_held $pids
ok "all $((2 * N - onc)) connections on SYSA/SYSB still receiving; only SYSC's own ($onc) could be lost"

# A target whose listener goes: Rdy 0, no new connections.
pid=$(awk '$1 == "proc" && $2 == "SYSB" && $3 == "httpd" {print $4}' "/run/sysplex/$INST/state")
kill "$pid"
rdy0() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jqe '.vdpt[] | select(.destxcf == "fd00:10::2" and .rdy == 0)' >/dev/null; }
poll_until 30 rdy0 || fail "SYSB's Rdy did not drop to 0"
for i in $(seq 6); do ip netns exec "$INST-CLIENT2" curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/"; done > "$tmp/new2"
[ "$(grep -cx SYSA "$tmp/new2")" = 6 ] || fail "with SYSB's listener gone and SYSC dead, not all went to SYSA: $(cat "$tmp/new2")"
ok "listener gone on SYSB: Rdy 0, new connections only to SYSA"
exit 0

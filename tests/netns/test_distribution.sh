#!/usr/bin/env bash
# Proves: the default emulated sysplex distributes real TCP
# connections.  300 curl requests, 150 from each client, reach all three
# targets with ROUNDROBIN within +-10% of even; the VDPT shows three ready
# targets; 50 concurrent connections (held open by the test) all get their
# answer and keep receiving, appear in the routing stack's VCRT while they
# live (with the targets' own VCRTs agreeing) and leave it when they end.
# In the kernel data path each VCRT entry has its kernel entry while it
# lives and not a moment longer, those of 5 IPv4 connections held at the
# same time (IPv4 DVIPA, GRE) included; the SYNs of the IPv6 connections
# were routed by SYSA's program from its schedule (SYSPLEX$STATS: the
# program's syn_fwd, the daemon's syn_taken records), and each VCRT entry
# made from its records names the target whose own VCRT holds the
# connection; DATAPATH=TUN: the displays say TUN.
. tests/netns/lib.sh
tmp=$(mktemp -d); cpid=""; c4pid=""; trap 'kill $cpid $c4pid 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
DVIPA4=10.100.0.1

sx up >/dev/null || fail "sysplex up"
ready3() { [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq --arg d "$DVIPA" '[.vdpt[] | select(.rdy > 0 and .port == 8080 and .dest == $d)] | length')" = 3 ]; }
poll_until 30 ready3 || fail "VDPT should list 3 ready targets: $(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT')"
ok "VDPT lists SYSA, SYSB, SYSC with Rdy > 0"

# 300 requests, each on its own connection (Connection: close).
for c in CLIENT1 CLIENT2; do
	for i in $(seq 150); do echo "url = \"http://[$DVIPA]:$PORT/\""; done > "$tmp/$c.cfg"
	in_host "$c" curl -s -m 60 -H 'Connection: close' -K "$tmp/$c.cfg" > "$tmp/$c.out" &
done
wait
cat "$tmp/CLIENT1.out" "$tmp/CLIENT2.out" > "$tmp/all"
total=$(wc -l < "$tmp/all")
[ "$total" = 300 ] || fail "expected 300 answers, got $total"
for s in SYSA SYSB SYSC; do
	k=$(grep -cx "$s" "$tmp/all")
	[ "$k" -ge 90 ] && [ "$k" -le 110 ] || fail "$s served $k of 300 (want 90..110)"
	echo "  $s served $k"
done
ok "300 requests spread evenly (ROUNDROBIN)"
tc=$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq '[.vdpt[].totalconn] | add')
[ "$tc" -ge 300 ] || fail "VDPT TOTALCONN sum $tc < 300"

# 50 concurrent downloads held open (paced, unbounded) until the test ends
# them.  A transfer that ends on its own prints its status line: a failure.
for i in $(seq 50); do echo "url = \"$(held_url 100000)\""; echo "output = /dev/null"; done > "$tmp/par.cfg"
ip netns exec "$INST-CLIENT1" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 50 \
	-w '%{http_code} %{size_download} %{exitcode}\n' -K "$tmp/par.cfg" > "$tmp/par.out" &
cpid=$!
# 5 IPv4 connections from CLIENT2, held the same way.
for i in $(seq 5); do echo "url = \"$(DVIPA=$DVIPA4 held_url 100000)\""; echo "output = /dev/null"; done > "$tmp/par4.cfg"
ip netns exec "$INST-CLIENT2" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 5 \
	-w '%{http_code} %{size_download} %{exitcode}\n' -K "$tmp/par4.cfg" > "$tmp/par4.out" &
c4pid=$!
# est DVIPA: the ESTABLISHED VCRT rows of the DVIPA on SYSA.
est() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq --arg d "$1" '[.vcrt[] | select(.dest == $d and .state == "ESTABLISHED")] | length'; }
live() { [ "$(est "$DVIPA")" -ge 50 ] && [ "$(est "$DVIPA4")" -ge 5 ]; }
poll_until 60 live || fail "VCRT never showed the 50 + 5 live connections: $(est "$DVIPA") + $(est "$DVIPA4")"
ok "VCRT shows 50 live connections to $DVIPA and 5 to $DVIPA4"
# paths DVIPA: the paths the VCRT DETAIL rows of the DVIPA name.
paths() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jq -r --arg d "$1" '[.vcrt[] | select(.dest == $d) | .path] | unique | join(",")'; }
if [ "${DATAPATH:-BPF}" = BPF ]; then
	# Every VCRT entry (IPv6 and IPv4) has its kernel entry, and the
	# kernel path carries it.
	kentries() { cmdj SYSA SYSPLEX\$STATS | jq .kernel.entries; }
	vrecords() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq .records; }
	poll_until 30 eval '[ "$(kentries)" = "$(vrecords)" ]' || fail "kernel entries $(kentries) != VCRT entries $(vrecords)"
	[ "$(paths "$DVIPA"),$(paths "$DVIPA4")" = BPF,BPF ] || fail "VCRT paths: $(paths "$DVIPA"),$(paths "$DVIPA4") (expected BPF)"
	ok "each of the $(kentries) VCRT entries ($DVIPA and $DVIPA4) has its kernel entry (PATH BPF)"
	# The SYNs: routed by the program (the 300 and the 50; IPv4 ones go
	# through the daemon), every record taken into the VCRT.
	kst() { cmdj SYSA SYSPLEX\$STATS | jq -c '.kernel | {syn_fwd: .program.syn_fwd, syn_busy: .program.syn_busy, pass_syn: .program.pass_syn, syn_taken, schedules}'; }
	taken() { cmdj SYSA SYSPLEX\$STATS | jq -e '.kernel.syn_taken == .kernel.program.syn_fwd and .kernel.syn_taken >= 340' >/dev/null; }
	poll_until 30 taken || fail "SYNs not routed by SYSA's program: $(kst)"
	ok "SYSA's program routed the new connections' SYNs from its schedule: $(kst)"
	# Each held connection's VCRT entry on SYSA names the target that has it.
	cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq -c --arg d "$DVIPA" \
		'[.vcrt[] | select(.dest == $d and .dport == 8080) | {k: "\(.source) \(.sport)", t: .destxcf}]' > "$tmp/sysa_rows"
	matched=0
	for s in SYSB SYSC; do
		x=$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -r --arg n "${s}TCPCS" --arg d "$DVIPA" \
			'[.vdpt[] | select(.destname == $n and .dest == $d) | .destxcf][0]')
		cmdj $s 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq -c --arg d "$DVIPA" \
			'[.vcrt[] | select(.dest == $d and .dport == 8080) | "\(.source) \(.sport)"]' > "$tmp/rows"
		bad=$(jq -n --slurpfile a "$tmp/sysa_rows" --slurpfile r "$tmp/rows" --arg x "$x" \
			'[$r[0][] as $k | $a[0][] | select(.k == $k and .t != $x)] | length')
		n=$(jq -n --slurpfile a "$tmp/sysa_rows" --slurpfile r "$tmp/rows" --arg x "$x" \
			'[$r[0][] as $k | $a[0][] | select(.k == $k and .t == $x)] | length')
		[ "$bad" = 0 ] || fail "$bad connection(s) held by $s named with another target in SYSA's VCRT"
		matched=$((matched + n))
	done
	[ "$matched" -ge 30 ] || fail "only $matched of the targets' connections found in SYSA's VCRT with their target"
	ok "SYSA's VCRT names the right target for the $matched connections SYSB and SYSC hold"
else
	[ "$(paths "$DVIPA"),$(paths "$DVIPA4")" = TUN,TUN ] || fail "VCRT paths: $(paths "$DVIPA"),$(paths "$DVIPA4") (expected TUN)"
fi
# Each target's own VCRT lists the connections it terminates.
tsum() {
	local sum=0 s r
	for s in SYSB SYSC; do
		r=$(cmdj $s 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.dport == 8080)] | length')
		sum=$((sum + r))
	done
	echo $sum
}
poll_until 30 eval '[ "$(tsum)" -ge 30 ]' || fail "targets SYSB+SYSC report only $(tsum) connections"
ok "targets' VCRTs list the connections they terminate ($(tsum) on SYSB+SYSC)"
rx_bytes CLIENT1 > "$tmp/rx"
[ "$(wc -l < "$tmp/rx")" = 50 ] || fail "$(wc -l < "$tmp/rx") of 50 connections established at the client"
s=$(stalled CLIENT1 "$tmp/rx" 60)
[ -z "$s" ] || fail "concurrent connection(s) ..$s stopped receiving"
[ ! -s "$tmp/par.out" ] || fail "held downloads ended on their own: $(sort "$tmp/par.out" | uniq -c)"
DVIPA=$DVIPA4 rx_bytes CLIENT2 > "$tmp/rx4"
[ "$(wc -l < "$tmp/rx4")" = 5 ] || fail "$(wc -l < "$tmp/rx4") of 5 IPv4 connections established at CLIENT2"
s=$(DVIPA=$DVIPA4 stalled CLIENT2 "$tmp/rx4" 60)
[ -z "$s" ] || fail "IPv4 connection(s) ..$s stopped receiving"
[ ! -s "$tmp/par4.out" ] || fail "held IPv4 downloads ended on their own: $(sort "$tmp/par4.out" | uniq -c)"
end_held $cpid $c4pid
ok "50 + 5 concurrent connections all answered and kept receiving until the test ended them"
gone() { [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq .records)" = 0 ]; }
poll_until 60 gone || fail "VCRT entries did not go after the connections ended"
ok "VCRT entries went when the connections ended"
if [ "${DATAPATH:-BPF}" = BPF ]; then
	# A kernel entry never outlives its VCRT entry: none is left now.
	k=$(cmdj SYSA SYSPLEX\$STATS | jq .kernel)
	[ "$(echo "$k" | jq .entries)" = 0 ] || fail "kernel entries left after the VCRT emptied: $k"
	ok "no kernel entry left ($(echo "$k" | jq -c '{conn_put, conn_del}'))"
fi
# The text form is z/OS-like.
sx cmd --system SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | grep -q '6 OF 6 RECORDS DISPLAYED' || fail "VDPT text trailer"
exit 0

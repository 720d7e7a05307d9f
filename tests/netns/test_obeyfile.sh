#!/usr/bin/env bash
# Proves: V TCPIP,tcpname,OBEYFILE,file changes a running sysplex's
# distribution, all or nothing, without losing connections.  Six downloads
# on DVIPA port 8080 are held open (paced) through everything below.
#  1. An OBEYFILE adds a second VIPADISTRIBUTE for the DVIPA (port 8081,
#     DESTIP ALL): the VDPT gets its rows and 30 requests to 8081 spread
#     over the three systems; VIPADCFG lists both statements.
#  2. An OBEYFILE with an error (deleting a port that is not distributed)
#     is refused with the start-up error (FILE:LINE: STATEMENT: why) and
#     changes nothing.
#  3. An OBEYFILE deletes the distribution of 8080: its VDPT rows go, new
#     connections to 8080 are the owner's own (SYSA answers them all),
#     8081 is still distributed, and the six held connections keep
#     receiving until the test ends them; their routes then leave the VCRT.
. tests/netns/lib.sh
tmp=$(mktemp -d); cpid=""; srvs=""
trap 'kill $cpid $srvs 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
sx up >/dev/null || fail "sysplex up"
for s in SYSA SYSB SYSC; do
	ip netns exec "$INST-$s" "$BIN/sysplex-httpd" -a "$DVIPA" -p 8081 -n "$s" > "$tmp/httpd-$s.log" 2>&1 &
	srvs="$srvs $!"
done

# The rows of the IPv6 DVIPA (the default topology has an IPv4 one too).
vdpt() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq --arg d "$DVIPA" '.vdpt |= map(select(.dest == $d))'; }
rows() { vdpt | jq "[.vdpt[] | select(.port == $1 and .rdy > 0)] | length"; }
poll_until 30 eval '[ "$(rows 8080)" = 3 ]' || fail "8080 not ready on 3 targets: $(vdpt)"

for i in $(seq 6); do echo "url = \"$(held_url 50000)\""; echo "output = /dev/null"; done > "$tmp/held.cfg"
ip netns exec "$INST-CLIENT1" curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 6 \
	-w '%{http_code} %{size_download} %{exitcode}\n' -K "$tmp/held.cfg" > "$tmp/held.out" &
cpid=$!
six() { [ "$(rx_bytes CLIENT1 | wc -l)" = 6 ]; }
poll_until 30 six || fail "the six held downloads did not start"
est() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.dport == 8080 and .state == "ESTABLISHED")] | length'; }
poll_until 30 eval '[ "$(est)" -ge 6 ]' || fail "the held connections are not in the VCRT"
targets=$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq -r '[.vcrt[] | select(.dport == 8080) | .destxcf] | unique | length')
[ "$targets" -ge 2 ] || fail "the held connections went to $targets target(s), want several"
ok "six downloads held open on 8080, over $targets targets"

obey() { sx cmd --system SYSA "V TCPIP,TCPCS,OBEYFILE,$1" 2>&1; }
get() { in_host CLIENT2 curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$1/"; }

# 1. Add a distribution for port 8081.
cat > "$tmp/Add.prof" <<'P'
; add port 8081 to DVIPA1, to every stack
VIPADYNAMIC
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN DVIPA1 PORT 8081 DESTIP ALL
ENDVIPADYNAMIC
P
out=$(obey "$tmp/Add.prof") || fail "OBEYFILE add: $out"
echo "$out" | grep -q "EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY: 1 CHANGE(S)" || fail "OBEYFILE add answer: $out"
poll_until 30 eval '[ "$(rows 8081)" = 3 ]' || fail "8081 not in the VDPT on 3 targets: $(vdpt)"
for i in $(seq 30); do get 8081; done | sort | uniq -c > "$tmp/8081"
[ "$(awk '$1 == 10' "$tmp/8081" | wc -l)" = 3 ] || fail "30 requests to 8081 not 10/10/10: $(cat "$tmp/8081")"
cfg=$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VIPADCFG')
[ "$(echo "$cfg" | jq --arg d "$DVIPA" '[.vipadcfg.distribute[] | select(.ipaddr == $d) | .ports[]] | sort | join(",")' -r)" = "8080,8081" ] || fail "VIPADCFG after add: $cfg"
ok "OBEYFILE added port 8081: VDPT rows, 10/10/10 over SYSA SYSB SYSC, VIPADCFG lists it"

# 2. A wrong OBEYFILE changes nothing.
cat > "$tmp/bad.prof" <<'P'
VIPADYNAMIC
  VIPADISTRIBUTE DELETE DVIPA1 PORT 8080 DESTIP ALL
  VIPADISTRIBUTE DELETE DVIPA1 PORT 22 DESTIP ALL
ENDVIPADYNAMIC
P
out=$(obey "$tmp/bad.prof") && fail "a wrong OBEYFILE was accepted: $out"
echo "$out" | grep -qF "EZZ0059I VARY OBEY FAILED, NOTHING WAS APPLIED: $tmp/bad.prof:3: VIPADISTRIBUTE: port 22 of fd00:100::1 is not distributed" ||
	fail "wrong OBEYFILE refusal: $out"
[ "$(rows 8080)" = 3 ] || fail "the refused OBEYFILE changed the VDPT: $(vdpt)"
ok "a wrong OBEYFILE is refused with FILE:LINE and changes nothing"

# 3. Delete the distribution of 8080.
cat > "$tmp/del.prof" <<'P'
VIPADYNAMIC
  VIPADISTRIBUTE DELETE DVIPA1 PORT 8080 DESTIP ALL
ENDVIPADYNAMIC
P
out=$(obey "$tmp/del.prof") || fail "OBEYFILE delete: $out"
echo "$out" | grep -q "EZZ0053I" || fail "OBEYFILE delete answer: $out"
[ "$(vdpt | jq '[.vdpt[] | select(.port == 8080)] | length')" = 0 ] || fail "8080 rows left: $(vdpt)"
for i in $(seq 9); do get 8080; done | sort -u > "$tmp/8080"
[ "$(cat "$tmp/8080")" = SYSA ] || fail "8080 after the delete answered by: $(cat "$tmp/8080")"
[ "$(for i in $(seq 9); do get 8081; done | sort -u | wc -l)" = 3 ] || fail "8081 no longer spread"
ok "distribution of 8080 deleted: no VDPT rows, SYSA answers 8080 itself, 8081 still spread"

rx_bytes CLIENT1 > "$tmp/rx"
[ "$(wc -l < "$tmp/rx")" = 6 ] || fail "$(wc -l < "$tmp/rx") of 6 held connections left"
s=$(stalled CLIENT1 "$tmp/rx" 60)
[ -z "$s" ] || fail "held connection(s) ..$s stopped receiving after the OBEYFILEs"
[ ! -s "$tmp/held.out" ] || fail "held downloads ended: $(cat "$tmp/held.out")"
end_held $cpid; cpid=""
ok "the six held connections kept receiving through both OBEYFILEs"
gone() { [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq '[.vcrt[] | select(.dport == 8080)] | length')" = 0 ]; }
poll_until 60 gone || fail "routes of the ended connections stayed: $(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT')"
ok "their routes left the VCRT when they ended"
exit 0

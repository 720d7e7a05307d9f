#!/usr/bin/env bash
# Proves (claim 1's binding refresh request): with IPCONFIG6 MIP6BINDLIFETIME
# 16 on the routing stack, a bound connection held open by the test (a paced
# endless download, ended by the test) outlives several binding lifetimes and
# stays bound the whole time: the routing stack's per-connection forwarded-
# packet counter never moves after the binding, and the client's binding
# entry never lapses.  Every refresh is visible on the client's wire (tshark
# -V dissects it) and in the daemons' counters: the agent's Binding Refresh
# Request (RH2, to the target), a fresh return routability test (HoTI and
# CoTI from the routing stack, HoT and CoT from the client), a new BU asking
# for 16 s and its BA.  Refreshes come once per lifetime, not faster (the
# agent times its request from the lifetime granted by the last BU).
. tests/netns/lib.sh
tmp=$(mktemp -d)
capture=""; dl=""
trap '[ -n "$dl" ] && kill $dl 2>/dev/null; [ -n "$capture" ] && kill $capture 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
LIFE=16		# seconds: MIP6BINDLIFETIME on SYSA (and SYSB, its backup)
CYCLES=5	# refreshes the connection must go through
SPORT=41301

agent() { sx exec CLIENT1 -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/CLIENT1"; }
conn() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jq -c ".vcrt[] | select(.sport == $SPORT)"; }

cat > "$tmp/topo.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
for i = 1, 2 do
	t.systems[i].profile = t.systems[i].profile:gsub("(IPCONFIG6 DYNAMICXCF %S+)", "%1 MIP6BINDLIFETIME $LIFE")
end
return t
LUA
sx up "$tmp/topo.lua" >/dev/null || fail "sysplex up"
[ "$(cmdj SYSA SYSPLEX\$STATS | jq .mip6.bind_lifetime)" = $LIFE ] || fail "SYSA does not ask for $LIFE s bindings"

# Every Mobility Header on CLIENT1's LAN interface, with or without an RH2;
# and UDP probes to port 9 of SYSA, which prove the capture live before the
# download starts (the binding BU follows the SYN within a millisecond, so
# "Capturing on" alone was not soon enough under load).
in_host CLIENT1 tshark -n -q -i lan0 \
	-f 'ip6 proto 135 or (ip6 proto 43 and ip6[40] == 135) or (udp dst port 9 and ip6 dst fd00:1::1)' \
	-w "$tmp/cap.pcapng" 2> "$tmp/tshark.err" &
capture=$!
cap_ready() { grep -q "Capturing on" "$tmp/tshark.err"; }
poll_until 15 cap_ready || fail "tshark did not start: $(cat "$tmp/tshark.err")"
cap_live() {
	in_host CLIENT1 python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"probe", ("fd00:1::1", 9))'
	[ "$(tshark -n -r "$tmp/cap.pcapng" -Y udp 2>/dev/null | wc -l)" -ge 1 ]
}
poll_until 15 cap_live || fail "the capture saw none of CLIENT1's probes"

# An endless download paced at 200 kB/s: alive until the test ends it.
ip netns exec "$INST-CLIENT1" curl -s -o /dev/null --local-port $SPORT \
	"$(held_url 200000)" &
dl=$!
# (The whole table goes in: a select that matches nothing makes jqe fail.)
bound() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jqe ".vcrt[] | select(.sport == $SPORT and .bypass == \"BOUND\")" >/dev/null; }
poll_until 20 bound || fail "connection ..$SPORT never bound: $(conn)"
f_bound=$(conn | jq .fwdpkts)
t_bound=$(date +%s)
ok "connection ..$SPORT bound to $(conn | jq -r .careof) ($f_bound packets forwarded before)"

# Until it has been refreshed CYCLES times: the routing stack forwards nothing
# more of it, and the client's entry for it is there at every sample.
samples=0; seqs=""
refreshed() { [ "$(agent | jq .counters.bu_refreshed)" -ge $CYCLES ]; }
deadline=$(( $(date +%s) + (CYCLES + 3) * LIFE + 60 ))
while :; do
	# Whether the last refresh is done is asked before the sample, so the
	# sample that ends the loop sees that refresh's sequence number.
	done_now=0; refreshed && done_now=1
	[ "$(date +%s)" -lt $deadline ] || fail "only $(agent | jq .counters.bu_refreshed) refreshes in $(( $(date +%s) - t_bound )) s: $(agent | jq -c .counters)"
	kill -0 $dl 2>/dev/null || fail "the download ended by itself"
	c=$(conn); [ -n "$c" ] || fail "connection ..$SPORT left the routing stack's VCRT"
	f=$(echo "$c" | jq .fwdpkts)
	[ "$f" = "$f_bound" ] || fail "routing stack forwarded packets of the bound connection: $f_bound -> $f (state $(echo "$c" | jq -c .))"
	b=$(agent | jq -c ".bindings[] | select(.client_port == $SPORT)")
	[ -n "$b" ] && [ "$(echo "$b" | jq .lifetime_left)" -gt 0 ] || fail "the client's binding lapsed: $(agent | jq -c .)"
	[ "$(echo "$b" | jq .lifetime)" = $LIFE ] || fail "binding granted for $(echo "$b" | jq .lifetime) s, not $LIFE"
	seqs="$seqs $(echo "$b" | jq .seq)"
	samples=$((samples + 1))
	[ $done_now = 1 ] && break
	sleep 0.5
done
t_end=$(date +%s)
nseq=$(echo $seqs | tr ' ' '\n' | sort -un | wc -l)
[ "$nseq" -gt $CYCLES ] || fail "the binding's sequence number took $nseq values over $samples samples"
ok "bound for $((t_end - t_bound)) s ($(awk "BEGIN { printf \"%.1f\", ($t_end - $t_bound) / $LIFE }") lifetimes), $CYCLES refreshes: 0 packets forwarded by the routing stack and the client's entry present over $samples samples ($nseq sequence numbers)"

kill $dl; wait $dl 2>/dev/null; dl=""
nobind() { [ "$(agent | jq .records)" = 0 ]; }
poll_until 20 nobind || fail "binding not deleted after the download was ended: $(agent | jq -c .)"
sleep 0.5	# the last deleting BU reaches the capture
kill $capture; wait $capture 2>/dev/null; capture=""

# The capture: the time, type and fields of every Mobility Header.
tshark -n -r "$tmp/cap.pcapng" -V > "$tmp/dissect.txt" 2>&1 || fail "tshark could not read the capture"
! grep -qi "malformed" "$tmp/dissect.txt" || fail "tshark reports malformed packets"
tshark -n -r "$tmp/cap.pcapng" -Y 'mipv6 && !icmpv6' -T fields -E separator=' ' \
	-e frame.time_relative -e mip6.mhtype -e mip6.bu.lifetime -e mip6.ba.status > "$tmp/mh.txt"
# Cycles end at each BU that binds (lifetime > 0); the first made the
# binding, each later one refreshed it and must follow a BRR and a complete
# new return routability test, and get an accepted BA; BUs at least LIFE/2
# apart.
awk -v life=$LIFE '
	function reset() { brr = hoti = coti = hot = cot = 0 }
	BEGIN { reset(); n = 0; bad = ""; mingap = 1e9 }
	$2 == 0 { brr++ } $2 == 1 { hoti++ } $2 == 2 { coti++ } $2 == 3 { hot++ } $2 == 4 { cot++ }
	$2 == 6 && $3 == 0 { ba++ }
	$2 == 5 && $3 > 0 {
		if ($3 * 4 != life) bad = bad " BU asks for " $3 * 4 " s;"
		if (n > 0) {
			if (!(brr && hoti && coti && hot && cot))
				bad = bad sprintf(" refresh %d: BRR %d HoTI %d CoTI %d HoT %d CoT %d;", n, brr, hoti, coti, hot, cot)
			if ($1 - last < mingap) mingap = $1 - last
		}
		last = $1; n++; reset()
	}
	END { printf "%d %d %.1f%s\n", n - 1, ba, mingap, bad == "" ? "" : " BAD:" bad }' "$tmp/mh.txt" > "$tmp/cycles"
read -r refreshes bas mingap rest < "$tmp/cycles"
[ -z "$rest" ] || fail "refresh cycles incomplete on the wire: $rest"
[ "$refreshes" -ge $CYCLES ] || fail "$refreshes refreshes on the wire, want $CYCLES: $(cat "$tmp/mh.txt")"
[ "$bas" -ge $((refreshes + 1)) ] || fail "$bas accepted BAs for $((refreshes + 1)) BUs"
awk -v g="$mingap" -v l=$LIFE 'BEGIN { exit !(g >= l / 2) }' || fail "refreshes $mingap s apart (binding lifetime $LIFE s)"
types=$(awk '{print $2}' "$tmp/mh.txt" | sort -un | tr '\n' ' ')
ok "on the wire: $refreshes refreshes, each BRR -> HoTI, CoTI, HoT, CoT -> BU ($LIFE s) -> BA; at least $mingap s apart; types $types"

a=$(agent | jq -c .counters); st=$(cmdj SYSA SYSPLEX\$STATS | jq -c .mip6)
[ "$(echo "$a" | jq '.tx[0]')" -ge $CYCLES ] || fail "agent sent $(echo "$a" | jq '.tx[0]') BRRs"
[ "$(echo "$st" | jq '.rx[0]')" -ge $CYCLES ] || fail "routing stack got $(echo "$st" | jq '.rx[0]') BRR copies"
[ "$(echo "$st" | jq .refreshed)" -ge $CYCLES ] || fail "routing stack counted $(echo "$st" | jq .refreshed) refreshes"
[ "$(echo "$st" | jq .gave_up)" = 0 ] || fail "routing stack gave up a binding: $st"
ok "counters: agent BRR sent $(echo "$a" | jq '.tx[0]'), BU refreshed $(echo "$a" | jq .bu_refreshed); routing stack BRR received $(echo "$st" | jq '.rx[0]'), refreshes $(echo "$st" | jq .refreshes)/$(echo "$st" | jq .refreshed), HoTI sent $(echo "$st" | jq '.tx[1]'), CoTI sent $(echo "$st" | jq '.tx[2]')"
exit 0

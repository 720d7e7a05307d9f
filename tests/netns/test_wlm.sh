#!/usr/bin/env bash
# Proves: DISTMETHOD BASEWLM shares new connections by the emulated WLM's
# system weights.  SYSA, SYSB, SYSC have capacities 100, 200, 300 (topology
# wlm{}): the VDPT shows WLM 21, 43, 64 with FLG B, and 384 requests (three
# rounds of the weights' sum) land within +-10% of the capacity shares.
# Raising SYSC's load to 80% from Lua (wlm()) gives weights 32, 64, 19 and
# the next 384 requests follow the new shares; V TCPIP,,WLM on the console
# takes it back and refuses bad operands.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/wlm.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("DISTMETHOD ROUNDROBIN", "DISTMETHOD BASEWLM")
t.systems[1].wlm = { capacity = 100 }
t.systems[2].wlm = { capacity = 200 }
t.systems[3].wlm = { capacity = 300, load = 0 }
return t
LUA
sx up "$tmp/wlm.lua" >/dev/null || fail "sysplex up"

# The rows of the IPv6 DVIPA (the default topology has an IPv4 one too).
vdpt() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq --arg d "$DVIPA" '.vdpt |= map(select(.dest == $d))'; }
# weights A B C: the VDPT's WLM column of SYSA, SYSB, SYSC (port 8080, Rdy > 0).
weights() {
	vdpt | jq -r '[.vdpt[] | select(.port == 8080 and .rdy > 0)] | sort_by(.destname) | map(.wlm) | join(" ")'
}
poll_until 30 eval '[ "$(weights)" = "21 43 64" ]' || fail "VDPT WLM weights $(weights), want 21 43 64: $(vdpt)"
[ "$(vdpt | jq -r '[.vdpt[] | .flg] | unique | join(",")')" = B ] || fail "FLG is not B: $(vdpt)"
sx cmd --system SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | grep -q 'WLM: 64  TSR: 100' || fail "VDPT text: $(sx cmd --system SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT')"
ok "VDPT: WLM 21 43 64 (capacities 100 200 300), FLG B"

# spread N WA WB WC: N requests (half from each client), each system's count
# within +-10% of N * W / (WA + WB + WC).
spread() {
	local n=$1 c s k want lo hi sum=$(( $2 + $3 + $4 )) w
	for c in CLIENT1 CLIENT2; do
		for i in $(seq $((n / 2))); do echo "url = \"http://[$DVIPA]:$PORT/\""; done > "$tmp/$c.cfg"
		in_host "$c" curl -s -m 60 -H 'Connection: close' -K "$tmp/$c.cfg" > "$tmp/$c.out" &
	done
	wait
	cat "$tmp/CLIENT1.out" "$tmp/CLIENT2.out" > "$tmp/all"
	[ "$(wc -l < "$tmp/all")" = "$n" ] || fail "expected $n answers, got $(wc -l < "$tmp/all")"
	set -- "$2" "$3" "$4"
	for s in SYSA SYSB SYSC; do
		w=$1; shift
		k=$(grep -cx "$s" "$tmp/all")
		want=$(( n * w / sum )); lo=$(( want * 9 / 10 )); hi=$(( (want * 11 + 9) / 10 ))
		[ "$k" -ge "$lo" ] && [ "$k" -le "$hi" ] || fail "$s served $k of $n (want $lo..$hi, weight $w of $sum)"
		echo "  $s served $k (want $want)"
	done
}
spread 384 21 43 64
ok "384 requests shared by capacity (BASEWLM)"

cat > "$tmp/load.lua" <<'LUA'
local r, err = wlm("SYSC", { load = 80 })
expect(r, "wlm(): " .. tostring(err))
LUA
sx run "$tmp/load.lua" > "$tmp/lua.out" 2>&1 || fail "Lua wlm(): $(cat "$tmp/lua.out")"
poll_until 30 eval '[ "$(weights)" = "32 64 19" ]' || fail "after SYSC LOAD 80: weights $(weights), want 32 64 19"
ok "Lua wlm(SYSC, load 80): weights 32 64 19"
spread 384 32 64 19
ok "384 requests follow the new shares"

out=$(sx cmd --system SYSC 'V TCPIP,TCPCS,WLM,LOAD=0,CAPACITY=300') || fail "V TCPIP,,WLM: $out"
echo "$out" | grep -q 'EZD1270I WLM SYSTEM SYSC: CAPACITY 300 LOAD 0%' || fail "V TCPIP,,WLM answer: $out"
poll_until 30 eval '[ "$(weights)" = "21 43 64" ]' || fail "after LOAD=0: weights $(weights)"
out=$(sx cmd --system SYSC 'V TCPIP,TCPCS,WLM,LOAD=101' 2>&1) && fail "LOAD=101 accepted: $out"
echo "$out" | grep -q 'LOAD must be' || fail "LOAD=101 refusal: $out"
out=$(sx cmd --system SYSC 'V TCPIP,TCPCS,WLM,SPEED=3' 2>&1) && fail "SPEED=3 accepted: $out"
echo "$out" | grep -q "unexpected operand" || fail "SPEED=3 refusal: $out"
ok "V TCPIP,,WLM sets the load back; bad operands are refused"
exit 0

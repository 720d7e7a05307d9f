#!/usr/bin/env bash
# Proves (claim 1 end to end): on a DVIPA with MOBILEIPV6, a 20 MB
# download from CLIENT1 is bound to its target after the return routability
# test; from then on the routing stack forwards no packet of that connection
# (its per-connection counter stops while the agent's direct counter grows)
# and the transfer completes intact.  Two connections from one client are
# bound to two different targets; the end of a connection deletes its
# binding; the target's VCRT shows the binding state it was sent (binding
# information request).  With NOMOBILEIPV6 every inbound packet goes through
# the routing stack and no binding is made.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
SIZE=20000000
python3 -c "
import sys, hashlib
h = hashlib.sha256(); pat = bytes(i % 251 for i in range(251 * 4096)); n = $SIZE
while n > 0:
    k = min(n, len(pat)); h.update(pat[:k]); n -= k
print(h.hexdigest())" > "$tmp/expect"

agent() { sx exec "$1" -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/$1"; }
vcrt() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL'; }

sx up >/dev/null || fail "sysplex up"
# One slow 20 MB download (about 5 s) so its states can be sampled.
sport=41001
ip netns exec "$INST-CLIENT1" sh -c "curl -s -m 60 --local-port $sport 'http://[$DVIPA]:$PORT/bytes/$SIZE?rate=4000000' | sha256sum" > "$tmp/got" &
cpid=$!
bound() { vcrt | jq -e ".vcrt[] | select(.sport == $sport and .bypass == \"BOUND\")" >/dev/null; }
poll_until 10 bound || fail "connection never bound: $(vcrt)"
c=$(vcrt | jq -c ".vcrt[] | select(.sport == $sport)")
careof=$(echo "$c" | jq -r .careof); dxcf=$(echo "$c" | jq -r .destxcf)
[ "$careof" = "$dxcf" ] || fail "care-of $careof is not the target $dxcf"
ok "connection ..$sport bound: care-of address = target $careof"
# From the moment it is bound until it leaves the VCRT, the routing stack
# must forward no packet of the connection.
f_bound=$(vcrt | jq ".vcrt[] | select(.sport == $sport) | .fwdpkts")
samples=0; fmax=$f_bound
while f=$(vcrt | jq ".vcrt[] | select(.sport == $sport) | .fwdpkts") && [ -n "$f" ]; do
	[ "$f" -gt "$fmax" ] && fmax=$f
	samples=$((samples + 1)); sleep 0.1
done
[ "$fmax" = "$f_bound" ] || fail "routing stack forwarded packets of the bound connection: $f_bound -> $fmax"
[ $samples -ge 3 ] || fail "too few samples ($samples) while bound: the check proves nothing"
direct=$(agent CLIENT1 | jq '.counters.direct_pkts')
[ "$direct" -gt 0 ] || fail "agent sent nothing direct"
ok "routing stack forwarded 0 packets of it over $samples samples while bound ($f_bound before the binding); the client sent $direct direct"
tsys=$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -r ".vdpt[] | select(.destxcf == \"$careof\") | .destname" | head -1 | sed 's/TCPCS$//')
wait $cpid || fail "download failed"
[ "$(cut -d' ' -f1 "$tmp/got")" = "$(cat "$tmp/expect")" ] || fail "download corrupted: $(cat "$tmp/got")"
ok "20 MB download intact (sha256)"
nobind() { [ "$(agent CLIENT1 | jq .records)" = 0 ]; }
poll_until 10 nobind || fail "binding not deleted after the connection ended: $(agent CLIENT1)"
ok "connection end deleted the binding (BU lifetime 0)"

# Two connections from one client: bound to two different targets.
pids=""
for i in 1 2; do
	ip netns exec "$INST-CLIENT1" curl -s -m 60 -o /dev/null -w '%{http_code} %{size_download}\n' \
		"http://[$DVIPA]:$PORT/bytes/6000000?rate=1000000" > "$tmp/two.$i" &
	pids="$pids $!"
	sleep 0.2
done
two() { [ "$(agent CLIENT1 | jq '[.bindings[] | select(.kind == "connection") | .careof] | unique | length')" -ge 2 ]; }
poll_until 10 two || fail "two connections were not bound to two targets: $(agent CLIENT1)"
ok "two connections from CLIENT1 bound to two different targets: $(agent CLIENT1 | jq -c '[.bindings[].careof]')"
for p in $pids; do wait $p || fail "a download failed"; done
cat "$tmp/two.1" "$tmp/two.2" | grep -c '^200 6000000$' | grep -qx 2 || fail "downloads incomplete: $(cat "$tmp"/two.*)"
stats=$(cmdj SYSA SYSPLEX\$STATS)
echo "  routing stack MIPv6 counters: $(echo "$stats" | jq -c .mip6)"
sx down >/dev/null

# NOMOBILEIPV6: the same download stays routed through the distributor.
cat > "$tmp/nomip6.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub(" MOBILEIPV6 ", " NOMOBILEIPV6 ")
return t
LUA
sx up "$tmp/nomip6.lua" >/dev/null || fail "sysplex up (NOMOBILEIPV6)"
sport=41002
ip netns exec "$INST-CLIENT1" curl -s -m 60 --local-port $sport -o /dev/null "http://[$DVIPA]:$PORT/bytes/$SIZE?rate=4000000" &
cpid=$!
live() { vcrt | jq -e ".vcrt[] | select(.sport == $sport and .state == \"ESTABLISHED\")" >/dev/null; }
poll_until 10 live || fail "no VCRT entry"
fmax=0; states=""
while c=$(vcrt | jq -c ".vcrt[] | select(.sport == $sport)") && [ -n "$c" ]; do
	f=$(echo "$c" | jq .fwdpkts); [ "$f" -gt "$fmax" ] && fmax=$f
	states="$states $(echo "$c" | jq -r .bypass)"; sleep 0.1
done
wait $cpid || fail "download failed"
echo "$states" | tr ' ' '\n' | grep -v '^$' | sort -u | grep -qvx NONE && fail "bypass state other than NONE with NOMOBILEIPV6:$states"
[ "$fmax" -ge 20 ] || fail "routing stack forwarded only $fmax packets of the connection"
[ "$(agent CLIENT1 | jq .counters.direct_pkts)" = 0 ] || fail "agent sent packets direct with NOMOBILEIPV6"
ok "NOMOBILEIPV6: all $fmax inbound packets through the routing stack, no binding"
exit 0

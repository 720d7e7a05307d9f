#!/usr/bin/env bash
# Proves (wire and security): a captured bypass exchange on
# CLIENT2's LAN interface is dissected by tshark -V as Mobile IPv6 with HoTI,
# HoT, CoTI, CoT, BU and BA, the expected mip6.* fields (nonce indices,
# authorization data, our vendor option, BA status 0, an RH2 carrying the
# DVIPA) and no malformed-packet warning.  (CLIENT2, because sysplex up's
# readiness probe runs from CLIENT1, whose tokens the routing stack may still
# hold.)  Replays of the captured BU while its binding lives (old sequence
# number; care-of address changed to one that did not complete the care-of
# test) and BUs forged with Scapy (wrong authenticator; unknown nonce index;
# H flag) are rejected, counted, and never change where traffic goes.
# With STANDARD=1 (test_mip6_wire_standard.sh) the clients run
# client-agent --standard, a plain RFC 6275 correspondent node: the same
# checks hold, with a per-home-address binding, and no vendor option in the
# CoT, the BU's answer or anything the client sends.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'kill $tpid $cpid 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
PY=/usr/bin/python3
tpid= cpid=
agent() { sx exec "$1" -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/$1"; }

STANDARD=${STANDARD:-0}
if [ "$STANDARD" = 1 ]; then
	KIND=home
	cat > "$tmp/std.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.clients[1].agent = "standard"
t.clients[2].agent = "standard"
return t
LUA
	sx up "$tmp/std.lua" >/dev/null || fail "sysplex up (standard correspondent nodes)"
	[ "$(agent CLIENT2 | jq -r .mode)" = standard ] || fail "CLIENT2's agent is not --standard"
else
	KIND=connection
	sx up >/dev/null || fail "sysplex up"
fi
ip netns exec "$INST-CLIENT2" tshark -n -q -i lan0 -f 'ip6 and not ip6 proto 6 and not icmp6' -w "$tmp/cap.pcapng" 2> "$tmp/tshark.err" &
tpid=$!
cap_ready() { grep -q "Capturing on" "$tmp/tshark.err"; }
poll_until 60 cap_ready || fail "tshark did not start: $(cat "$tmp/tshark.err")"
# "Capturing on" is printed before the capture is live, and with kernel
# connection events the return-routability test follows the SYN within a
# millisecond: UDP probes to port 9 of SYSA prove it live first.
cap_live() {
	ip netns exec "$INST-CLIENT2" python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"probe", ("fd00:1::1", 9))'
	[ "$(tshark -n -r "$tmp/cap.pcapng" -Y udp 2>/dev/null | wc -l)" -ge 1 ]
}
poll_until 60 cap_live || fail "the capture saw none of CLIENT2's probes"
# A download held open (paced, unbounded) until the replays are checked.
ip netns exec "$INST-CLIENT2" curl -s -o /dev/null "$(held_url 200000)" &
cpid=$!
bound() { agent CLIENT2 | jq --arg k "$KIND" -e '[.bindings[] | select(.kind == $k)] | length > 0' >/dev/null; }
poll_until 60 bound || fail "no binding while the connection lives: $(agent CLIENT2 | jq -c '{bindings, counters}'); the download $(kill -0 $cpid 2>/dev/null && echo runs || echo ended)"
have_ba() { tshark -n -r "$tmp/cap.pcapng" -Y 'mip6.mhtype == 6' 2>/dev/null | grep -q .; }
poll_until 60 have_ba || fail "no BA in the capture: $(tshark -n -r "$tmp/cap.pcapng" 2>&1 | tail -20; cat "$tmp/tshark.err")"
careof=$(agent CLIENT2 | jq --arg k "$KIND" -r '[.bindings[] | select(.kind == $k)][0].careof')
# Replays of the captured Binding Update while the binding exists: as it was
# (an old sequence number), and with the care-of address changed to an
# address that did not complete the care-of test (checksum recomputed).
cat > "$tmp/replay.py" <<PYEOF
import logging
logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
from scapy.all import rdpcap, send
from scapy.layers.inet6 import IPv6, MIP6MH_BU, MIP6OptAltCoA
bu = [p[IPv6] for p in rdpcap("$tmp/cap.pcapng") if p.haslayer(MIP6MH_BU) and p[MIP6MH_BU].mhtime > 0][0]
send(bu, verbose=0)
evil = bu.copy()
evil[MIP6OptAltCoA].acoa = "fd00:1::101"
evil[MIP6MH_BU].cksum = None
send(IPv6(bytes(evil)), verbose=0)
PYEOF
before=$(agent CLIENT2 | jq -c .counters.drops)
in_host CLIENT1 $PY "$tmp/replay.py" || fail "scapy replay failed"
replayed() { agent CLIENT2 | jqe '.counters.drops["BU with an old sequence number"] >= 1 and .counters.drops["BU with a wrong authenticator (discarded)"] >= 1' >/dev/null; }
poll_until 30 replayed || fail "replayed BUs not rejected as expected: before $before after $(agent CLIENT2 | jq -c .counters.drops)"
[ "$(agent CLIENT2 | jq --arg k "$KIND" -r '[.bindings[] | select(.kind == $k)][0].careof')" = "$careof" ] ||
	fail "a replayed BU changed the binding: $(agent CLIENT2 | jq -c '{bindings, counters}'); the download $(kill -0 $cpid 2>/dev/null && echo runs || echo ended)"
ok "replayed BU (old sequence number) and one with another care-of address rejected; binding unchanged ($careof)"
kill -0 $cpid 2>/dev/null || fail "the held download ended before the test ended it"
end_held $cpid
# Killing the client ends the connection with an RST: the agent ends the
# binding itself (conn_ended), or the routing stack's deleting BU (lifetime
# 0, bu_deleted) does if it comes first; a per-home-address binding only by
# the deleting BU.
gone() { agent CLIENT2 | jqe '.records == 0 and (.counters.bu_deleted + .counters.conn_ended) >= 1' >/dev/null; }
poll_until 30 gone || fail "binding not deleted after the test ended the connection: $(agent CLIENT2 | jq -c '{records, counters}')"
if [ "$STANDARD" = 1 ]; then
	# The node has taken the deleting BU; the capture, a process of its own,
	# may still have it in its buffer: stop it only once it wrote it.
	del_seen() { tshark -n -r "$tmp/cap.pcapng" -Y 'mip6.mhtype == 5 && mip6.bu.lifetime == 0' 2>/dev/null | grep -q .; }
	poll_until 30 del_seen || fail "no deleting BU to the standard node in the capture: $(agent CLIENT2 | jq -c .counters)"
fi
kill -TERM $tpid; wait $tpid 2>/dev/null
tshark -n -r "$tmp/cap.pcapng" -V > "$tmp/dissect.txt" 2>&1 || fail "tshark could not read the capture"
if grep -qiE 'malformed|Expert Info \(Error' "$tmp/dissect.txt"; then
	grep -iE -B5 'malformed|Expert Info \(Error' "$tmp/dissect.txt" | head -40
	fail "tshark reports malformed packets"
fi
types=$(tshark -n -r "$tmp/cap.pcapng" -Y 'mipv6 && !icmpv6' -T fields -e mip6.mhtype | sort -un | tr '\n' ' ')
for t in 1 2 3 4 5 6; do echo " $types" | grep -q " $t " || fail "MH type $t missing from the capture (have: $types)"; done
ok "tshark dissects HoTI, HoT, CoTI, CoT, BU, BA (types $types) with no malformed packet"
field() { tshark -n -r "$tmp/cap.pcapng" -Y "$1" -T fields -e "$2" | grep -v '^$' | head -1; }
[ -n "$(field 'mip6.mhtype == 5' mip6.bu.seqnr)" ] || fail "BU without a sequence number field"
[ -n "$(field 'mip6.mhtype == 5' mip6.ni.hni)" ] || fail "BU without Nonce Indices"
[ -n "$(field 'mip6.mhtype == 5' mip6.bad.auth)" ] || fail "BU without Binding Authorization Data"
if [ "$STANDARD" = 1 ]; then
	# The routing stack knows a standard node from its CoT: the BUs to it
	# carry no vendor option, and nothing the node sends carries one.
	[ -z "$(field 'mip6.mhtype == 5 && ipv6.dst == fd00:1::102' mip6.vsm.vendorId)" ] || fail "BU to a standard node with our vendor option"
	[ -z "$(field 'mipv6 && ipv6.src == fd00:1::102' mip6.vsm.vendorId)" ] || fail "the standard node sent a vendor option"
	[ "$(field 'mip6.mhtype == 5 && mip6.bu.lifetime == 0' ipv6.dst)" = fd00:1::102 ] || fail "no deleting BU to the standard node"
else
	[ "$(field 'mip6.mhtype == 5' mip6.vsm.vendorId)" = 2 ] || fail "BU without our vendor-specific option"
fi
[ "$(field 'mip6.mhtype == 6' mip6.ba.status)" = 0 ] || fail "no accepted BA"
[ "$(field 'mip6.mhtype == 6' ipv6.routing.type)" = 2 ] || fail "BA not sent with a Type 2 Routing Header"
[ "$(field 'mip6.mhtype == 6' ipv6.routing.mipv6.home_address)" = "$DVIPA" ] || fail "BA's RH2 home address is not the DVIPA"
[ -n "$(field 'mip6.mhtype == 4' mip6.hot.token)" ] || fail "CoT without a keygen token"
[ "$(field 'mip6.mhtype == 2' ipv6.src | cut -c1-8)" = "fd00:10:" ] || fail "CoTI source is not a target's care-of address"
data=$(tshark -n -r "$tmp/cap.pcapng" -Y 'ipv6.routing.type == 2 && tcp' -T fields -e ipv6.dst | sort -u | head -1)
[ -n "$data" ] || fail "no TCP segment sent direct with an RH2"
[ "$STANDARD" = 1 ] && vso="no vendor option to or from the standard node, its deleting BU" || vso="vendor option"
ok "fields: BU seq/nonce indices/auth/$vso, BA status 0 via RH2 home $DVIPA, TCP direct to $data"

# Forged Binding Updates from CLIENT2, pretending to be the routing stack.
before=$(agent CLIENT1 | jq .counters.bu_rejected)
cat > "$tmp/forge.py" <<PYEOF
import os, sys, logging
logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
from scapy.all import send
from scapy.layers.inet6 import IPv6, MIP6MH_BU, MIP6OptNonceIndices, MIP6OptAltCoA, MIP6OptBindingAuthData
dvipa, victim, attacker = "$DVIPA", "fd00:1::101", "fd00:1::102"
def bu(hni, flags="A"):
    auth = int.from_bytes(os.urandom(12), "big")
    return IPv6(src=dvipa, dst=victim) / MIP6MH_BU(seq=40000, flags=flags, mhtime=100, options=[
        MIP6OptNonceIndices(olen=4, hni=hni, coni=hni), MIP6OptAltCoA(acoa=attacker),
        MIP6OptBindingAuthData(olen=12, authenticator=auth)])
send(bu(1), verbose=0)                  # a live nonce index (a new agent's first), wrong authenticator
send(bu(1), verbose=0)
send(bu(1000), verbose=0)               # not issued yet (one every 30 s: hours away)
send(bu(60000), verbose=0)              # unknown nonce index
send(bu(1, flags="AH"), verbose=0)      # home registration
PYEOF
in_host CLIENT2 $PY "$tmp/forge.py" || fail "scapy could not send"
rej() { [ "$(agent CLIENT1 | jq .counters.bu_rejected)" -ge $((before + 5)) ]; }
poll_until 30 rej || fail "forged BUs not all rejected: $(agent CLIENT1 | jq -c .counters)"
a=$(agent CLIENT1)
[ "$(echo "$a" | jq .records)" = 0 ] || fail "a forged BU created a binding: $a"
echo "$a" | jqe '.counters.drops["BU with a wrong authenticator (discarded)"] >= 2' >/dev/null || fail "wrong authenticator not counted: $a"
echo "$a" | jqe '.counters.drops["BU with an unknown or expired nonce index"] >= 2' >/dev/null || fail "bad nonce not counted: $a"
echo "$a" | jqe '.counters.drops["BU with H flag: home registration not supported"] >= 1' >/dev/null || fail "H flag not counted: $a"
in_host CLIENT1 curl -s -m 30 "http://[$DVIPA]:$PORT/" | grep -q SYS || fail "traffic broken after forged BUs"
ok "forged BUs rejected and counted; no binding; traffic unaffected"
exit 0

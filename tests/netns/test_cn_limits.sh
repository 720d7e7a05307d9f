#!/usr/bin/env bash
# Proves: one mobile node cannot fill a client agent's binding cache, and a
# Binding Update replayed after its binding was deleted is rejected.  An
# attacker on CLIENT1 with two addresses of its own (fd00:1::a1 as home,
# fd00:1::a2 as care-of address) passes return routability with CLIENT2's
# agent honestly, then sends 20,000 authenticated per-connection BUs
# (tests/tools/mip6peer): the agent keeps at most its per-home quota of
# them (a quarter of the cache), evicting the attacker's own, and a real
# connection of CLIENT2 to the DVIPA is still bound by the routing stack's
# BU afterwards.  Then the attacker binds a connection, deletes it (BA 0)
# and replays the first BU byte for byte: BA 135 (sequence number).
. tests/netns/lib.sh
tmp=$(mktemp -d); cpid=""
trap 'kill $cpid 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT
MIP6PEER=${MIP6PEER:-build/tests/mip6peer}
[ -x "$MIP6PEER" ] || fail "no $MIP6PEER (make builds it)"
EVIL_HOME=fd00:1::a1 EVIL_COA=fd00:1::a2 CN=fd00:1::102
QUOTA=4096	# AGENT_CONNS_MAX / AGENT_QUOTA_DIV (client-agent/agent.h)
agent() { sx exec "$1" -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/$1"; }

sx up >/dev/null || fail "sysplex up"
for a in $EVIL_HOME $EVIL_COA; do in_host CLIENT1 ip -6 addr add $a/64 dev lan0 nodad || fail "address $a"; done

out=$(in_host CLIENT1 "$MIP6PEER" -h $EVIL_HOME -c $EVIL_COA -d $CN flood 20000 10000) || fail "mip6peer flood: $out"
echo "  $out"
agent CLIENT2 > "$tmp/show"
held=$(jq --arg h $EVIL_HOME '[.bindings[] | select(.home == $h)] | length' "$tmp/show")
acc=$(jq .counters.bu_accepted "$tmp/show")
ev=$(jq .counters.bu_evicted "$tmp/show")
echo "  agent: $acc BUs accepted, $ev bindings evicted, $held of the attacker's held"
[ "$acc" -gt "$QUOTA" ] || fail "only $acc BUs accepted: the flood did not reach the quota"
[ "$held" -le "$QUOTA" ] || fail "the attacker holds $held bindings (quota $QUOTA)"
[ "$ev" -ge $((acc - QUOTA)) ] || fail "$ev evictions for $acc accepted BUs"
ok "20,000 BUs of one mobile node: it holds $held bindings (quota $QUOTA), its own evicted"

# A real connection of CLIENT2 is still bound by the routing stack's BU.
ip netns exec "$INST-CLIENT2" curl -s -o /dev/null "$(held_url 100000)" &
cpid=$!
bound() { agent CLIENT2 | jqe --arg d $DVIPA '[.bindings[] | select(.kind == "connection" and .home == $d)] | length > 0' >/dev/null; }
poll_until 60 bound || fail "CLIENT2's connection was not bound: $(agent CLIENT2 | jq -c .counters)"
end_held $cpid
cpid=""
ok "another mobile node's BU (the routing stack's) is still accepted"

out=$(in_host CLIENT1 "$MIP6PEER" -h $EVIL_HOME -c $EVIL_COA -d $CN replay 5000) || fail "mip6peer replay: $out"
[ "$out" = "delete 0 replay 135" ] || fail "replay after deletion: $out (want: delete 0 replay 135)"
ok "a BU replayed after its binding was deleted: BA 135 ($out)"
exit 0

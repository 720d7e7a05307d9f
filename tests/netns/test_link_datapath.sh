#!/usr/bin/env bash
# Proves: `sysplex link loss= delay=` works in the kernel data path
# (DATAPATH BPF, the default) as in the TUN one.
#  1. Loss: with loss=100 on CLIENT1 every packet it sends to the DVIPA
#     prefix is dropped, by its program (its loss counter grows), so a new
#     connection cannot be made; with loss=0 it can again.  The same on the
#     routing stack SYSA: its connections' SYNs are dropped.
#  2. Delay: with delay=300 on CLIENT1 its DVIPA traffic takes the agent's
#     TUN (table 101 routes the prefix into mip0), where the delay line is:
#     connecting takes at least 300 ms (a lower bound: the delay itself, not
#     a speed); with delay=0 the prefix is routed to the LAN again and the
#     kernel path carries it.
# With DATAPATH=TUN the same holds through the TUNs (the routes stay in mip0).
. tests/netns/lib.sh
want=${DATAPATH:-BPF}
sx up >/dev/null || fail "sysplex up"
agent() { sx exec "$1" -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/$1"; }
get() { in_host "$1" curl -s -o /dev/null -m "${2:-10}" -w '%{time_connect}' "http://[$DVIPA]:$PORT/"; }
prefix_dev() { in_host CLIENT1 ip -6 route show table 101 | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }' | head -1; }
[ "$(agent CLIENT1 | jq -r .datapath)" = "$want" ] || fail "CLIENT1's agent does not run $want: $(agent CLIENT1 | jq -c '{datapath, datapath_reason}')"
get CLIENT1 >/dev/null || fail "CLIENT1 cannot reach the DVIPA"

# 1. Loss.
l0=$(agent CLIENT1 | jq '.kernel.program.loss // 0')
sx link CLIENT1 loss=100 >/dev/null || fail "link CLIENT1 loss=100"
get CLIENT1 3 >/dev/null && fail "a connection was made with loss=100 on CLIENT1"
l1=$(agent CLIENT1 | jq '.kernel.program.loss // 0')
if [ "$want" = BPF ]; then
	[ "$l1" -gt "$l0" ] || fail "CLIENT1's program dropped nothing with loss=100 ($l0 -> $l1)"
fi
sx link CLIENT1 loss=0 >/dev/null || fail "link CLIENT1 loss=0"
poll_until 30 get CLIENT1 || fail "no connection after loss=0 on CLIENT1"
ok "loss=100 on CLIENT1: no connection (its program dropped $((l1 - l0))); loss=0: served again"
sx link SYSA loss=100 >/dev/null || fail "link SYSA loss=100"
get CLIENT2 3 >/dev/null && fail "a connection was made through SYSA with loss=100 on it"
sx link SYSA loss=0 >/dev/null || fail "link SYSA loss=0"
poll_until 30 get CLIENT2 || fail "no connection after loss=0 on SYSA"
ok "loss=100 on the routing stack: no connection; loss=0: served again"

# 2. Delay.
[ "$want" = BPF ] && { [ "$(prefix_dev)" = lan0 ] || fail "BPF: the prefix is routed to $(prefix_dev), not lan0"; }
sx link CLIENT1 delay=300 >/dev/null || fail "link CLIENT1 delay=300"
[ "$(prefix_dev)" = mip0 ] || fail "with a delay the prefix is routed to $(prefix_dev), not the agent's TUN"
tc=$(get CLIENT1) || fail "no connection with delay=300 on CLIENT1"
awk -v t="$tc" 'BEGIN { exit !(t >= 0.3) }' || fail "connected in $tc s with delay=300 ms on CLIENT1"
sx link CLIENT1 delay=0 >/dev/null || fail "link CLIENT1 delay=0"
if [ "$want" = BPF ]; then
	[ "$(prefix_dev)" = lan0 ] || fail "after the delay the prefix is routed to $(prefix_dev), not lan0"
	[ "$(agent CLIENT1 | jq .kernel.tun_only)" = false ] || fail "agent still in TUN-only mode"
fi
get CLIENT1 >/dev/null || fail "no connection after delay=0"
ok "delay=300 on CLIENT1: through the agent's TUN, connected in $tc s; delay=0: prefix on $(prefix_dev) again"
exit 0

#!/usr/bin/env bash
# Proves the launcher and the operator messages say what is true:
#  1. a topology whose xcf differs from the PROFILE's IPCONFIG6 DYNAMICXCF is
#     refused by `up` in the FILE: field: why form, before anything is built
#     (it was accepted, and one connection in three then timed out);
#  2. httpd.addr = "::" works: `up` is ready (its checks go to the DVIPA, and
#     the `::` listeners count for Rdy), and every system serves;
#     NETSTAT,CONN shows only the DVIPA's sockets (no coupling bus), in the
#     z/OS form (USER ID, CONN, STATE, then the sockets);
#  3. `status` shows a hung stack as hung and not answering, in text and
#     JSON, and unhealthy; healthy again after `resume`;
#  4. messages: loss=2.5 is refused as not a whole number; a failed QUIESCE
#     carries a failure message id, not EZD1198I's success; RESUME,PORT after
#     QUIESCE,TARGET fails and names RESUME,TARGET, and the VDPT agrees;
#     stacks and agents word `link` replies alike;
#  5. with xcf left out it is taken from the PROFILE (routes and all: every
#     request of 30 reaches its target); `link` on a client without an agent
#     says so, as D MIP6,BINDINGS does.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
topo() { # topo FILE LUA-LINES...: the default topology changed by the lines
	local f=$1; shift
	{ echo "local t = dofile(\"$(pwd)/sysplex/topologies/default.lua\")"; printf '%s\n' "$@"; echo "return t"; } > "$f"
}

# 1. xcf and DYNAMICXCF disagree.
topo "$tmp/badxcf.lua" 't.systems[3].xcf = "fd00:10::33"'
out=$(sx up "$tmp/badxcf.lua" 2>&1); rc=$?
[ $rc = 1 ] || fail "up with xcf != DYNAMICXCF exited $rc: $out"
echo "$out" | grep -qF "$tmp/badxcf.lua: systems[3] (SYSC).xcf: fd00:10::33 is not the PROFILE's IPCONFIG6 DYNAMICXCF fd00:10::3" ||
	fail "not a FILE: field: why refusal: $out"
[ -z "$(ip netns list | grep "^$INST-")" ] || fail "namespaces were built for a refused topology"
ok "xcf != DYNAMICXCF refused: $(echo "$out" | head -1)"

# 2. Servers listening on ::.
topo "$tmp/any.lua" 'for _, s in ipairs(t.systems) do s.httpd = { addr = "::", port = 8080 } end'
sx up "$tmp/any.lua" > "$tmp/up.out" 2>&1 || fail "up with httpd.addr = \"::\": $(cat "$tmp/up.out")"
rdy3() { [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq --arg d "$DVIPA" '[.vdpt[] | select(.rdy > 0 and .dest == $d)] | length')" = 3 ]; }
poll_until 30 rdy3 || fail "the :: listeners do not count for Rdy"
for i in $(seq 9); do in_host CLIENT1 curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/"; done | sort -u > "$tmp/names"
[ "$(cat "$tmp/names" | tr '\n' ' ')" = "SYSA SYSB SYSC " ] || fail "not every :: server answered: $(cat "$tmp/names")"
ok "httpd.addr = \"::\": up ready, Rdy 3, every system serves"
# NETSTAT,CONN: the DVIPA's sockets (here the :: listener), z/OS rows.
sx cmd --system SYSA 'D TCPIP,TCPCS,NETSTAT,CONN' > "$tmp/conn.txt" || fail "CONN"
grep -q '\.\.700[01]$' "$tmp/conn.txt" && fail "CONN lists the coupling bus's sockets: $(cat "$tmp/conn.txt")"
grep -A1 '^SYSPLEXH [0-9A-F]\{8\} LISTEN$' "$tmp/conn.txt" | grep -q 'LOCAL SOCKET:   ::\.\.8080' ||
	fail "CONN rows not in the z/OS form (USER ID CONN STATE): $(cat "$tmp/conn.txt")"
cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,CONN' | jqe --arg d "$DVIPA" '.records > 0 and ([.conn[] | .local == $d or .local == "::"] | all)' >/dev/null ||
	fail "CONN JSON shows other sockets: $(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,CONN')"
ok "NETSTAT,CONN: only the DVIPA's sockets, each under USER ID / CONN / STATE"

# 3. A hung stack.
sx hang SYSC >/dev/null || fail "hang SYSC"
sx status > "$tmp/st.txt"
grep -A1 "tcpip-stack .*HUNG" "$tmp/st.txt" | grep -q "answers no command" || fail "status text: $(cat "$tmp/st.txt")"
sx status --json > "$tmp/st.json"
jqe '.healthy == false and ([.hosts[] | select(.name == "SYSC") | .daemons[] | select(.role == "stack") |
	.state == "hung" and .answering == false] | all)' < "$tmp/st.json" >/dev/null || fail "status JSON: $(cat "$tmp/st.json")"
sx resume SYSC >/dev/null || fail "resume SYSC"
healthy() { sx status --json | jqe '.healthy and ([.hosts[].daemons[] | .state == "running"] | all)' >/dev/null; }
poll_until 30 healthy || fail "not healthy after resume: $(sx status)"
ok "a hung stack is shown HUNG / not answering (text and JSON), healthy again after resume"

# 4. Messages.
out=$(sx link CLIENT1 loss=2.5 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "whole number" || fail "loss=2.5: rc $rc: $out"
out=$(sx cmd --system SYSB 'V TCPIP,TCPCS,SYSPLEX,QUIESCE,PORT=9999' 2>&1); rc=$?
[ $rc = 8 ] || fail "QUIESCE,PORT=9999 gave rc $rc"
echo "$out" | grep -q "^EZD1199I .*FAILED" && ! echo "$out" | grep -q EZD1198I || fail "QUIESCE,PORT=9999: $out"
qflag() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -r '.vdpt[] | select(.destxcf == "fd00:10::2") | .quiesced'; }
sx cmd --system SYSB 'V TCPIP,TCPCS,SYSPLEX,QUIESCE,TARGET' >/dev/null || fail "QUIESCE,TARGET"
quiesced() { [ "$(qflag)" = true ]; }
poll_until 30 quiesced || fail "QUIESCE,TARGET not in the VDPT"
out=$(sx cmd --system SYSB 'V TCPIP,TCPCS,SYSPLEX,RESUME,PORT=8080' 2>&1); rc=$?
[ $rc = 8 ] && echo "$out" | grep -q "RESUME,TARGET" || fail "RESUME,PORT after QUIESCE,TARGET: rc $rc: $out"
[ "$(qflag)" = true ] || fail "the VDPT no longer shows SYSB QUIESCED"
out=$(sx cmd --system SYSB 'V TCPIP,TCPCS,SYSPLEX,RESUME,TARGET' 2>&1) || fail "RESUME,TARGET: $out"
echo "$out" | grep -q "^EZD1198I .*COMPLETED" || fail "RESUME,TARGET: $out"
resumed() { [ "$(qflag)" = false ]; }
poll_until 30 resumed || fail "RESUME,TARGET not in the VDPT"
a=$(sx link SYSA loss=0 delay=0) && b=$(sx link CLIENT1 loss=0 delay=0) || fail "link: $a $b"
echo "$a" | grep -qx "sysplex: SYSA: LINK OF SYSA: LOSS 0% DELAY 0 MS (IN THE STACK'S TUN DATA PATH)" &&
	echo "$b" | grep -qx "sysplex: CLIENT1: LINK OF CLIENT1: LOSS 0% DELAY 0 MS (IN THE AGENT'S TUN DATA PATH)" ||
	fail "link replies worded differently: '$a' / '$b'"
ok "messages: whole-number loss, EZD1199I failures, RESUME,PORT under QUIESCE,TARGET explained, one link wording"
sx down >/dev/null

# 5. xcf taken from the PROFILE; a client without an agent.
topo "$tmp/noxcf.lua" 't.systems[3].xcf = nil' 't.clients[2].agent = false'
sx up "$tmp/noxcf.lua" > "$tmp/up.out" 2>&1 || fail "up with SYSC's xcf left out: $(cat "$tmp/up.out")"
[ "$(sx status --json | jq -r '.hosts[] | select(.name == "SYSC") | .xcf')" = fd00:10::3 ] || fail "SYSC's xcf not taken from its PROFILE"
for i in $(seq 30); do
	in_host CLIENT1 curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/" || fail "request $i failed"
done | sort | uniq -c > "$tmp/spread"
[ "$(wc -l < "$tmp/spread")" = 3 ] || fail "not every system served: $(cat "$tmp/spread")"
out=$(sx link CLIENT2 loss=5 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "no client agent runs there" || fail "link on a client without an agent: rc $rc: $out"
ok "xcf taken from the PROFILE (30 of 30 served by $(awk '{print $2}' "$tmp/spread" | tr '\n' ' ')); link on a client without an agent explained"
exit 0

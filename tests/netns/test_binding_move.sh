#!/usr/bin/env bash
# Proves: a planned move of the DVIPA never leaves a binding behind.  Three
# connections from CLIENT1 on fixed local ports, each held open by a client
# that sends a request every 100 ms until the test tells it to stop (then it
# asks for `Connection: close` and both sides close in order), are bound to
# their targets (SYSB and SYSC; SYSA runs no server here); then the DVIPA
# moves while they run:
#  1. V TCPIP,TCPCS,SYSPLEX,DEACTIVATE,DVIPA=... on SYSA (SYSB takes over),
#  2. REACTIVATE on SYSA (SYSA takes it back from SYSB: takeback),
#  3. V TCPIP,TCPCS,SYSPLEX,LEAVEGROUP on SYSA (SYSB takes over).
# Each time the connections stay bound under the new routing stack, then the
# test ends them, and then: the agent accepted the new owner's three
# deleting BUs (bu_deleted + 3), rejected none, holds no binding
# (`client-agent --show --json`), and new connections from the same client
# ports reach the new routing stack (its VDPT TOTALCONN grows by 3).  Before
# the fix the new owner numbered its BUs from its own counter, the agent
# rejected the deletions ("old sequence number"), the bindings lived on for
# 420 s and new connections on those ports went straight to a target, unseen.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT

cat > "$tmp/topo.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].httpd = nil
return t
LUA
sx up "$tmp/topo.lua" >/dev/null || fail "sysplex up"
agent() { sx exec CLIENT1 -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/CLIENT1"; }
routing_is() { sx cmd --system "$1" 'SYSPLEX$ROLE' | grep -q "^$DVIPA ACTIVE DIST"; }
totalconn() { cmdj "$1" 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq '[.vdpt[].totalconn] | add // 0'; }
vary() { out=$(sx cmd --system SYSA "V TCPIP,TCPCS,SYSPLEX,$1") || fail "$1: $out"; }

# A connection held open: a request every 100 ms until STOPFILE exists, then
# a last one with Connection: close; exit 0 when every answer was a 200.
cat > "$tmp/hold.py" <<'PY'
import os, socket, sys, time
dvipa, port, lport, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", lport))
s.settimeout(30)
s.connect((dvipa, port))
buf = b""
def answer():
    global buf
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            sys.exit("connection closed early")
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 200"):
        sys.exit("answer: %r" % head[:40])
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            sys.exit("connection closed early")
        buf += d
    buf = buf[n:]
while not os.path.exists(stop):
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    answer()
    time.sleep(0.1)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
answer()
while s.recv(65536):
    pass
s.close()
PY

# run_phase NAME FIRSTPORT ACTION NEWOWNER OLDOWNER
run_phase() {
	local name=$1 p0=$2 action=$3 owner=$4 old=$5 pids="" p n before deleted0 rejected0
	local ports="$p0 $((p0 + 1)) $((p0 + 2))" stop="$tmp/stop.$2"
	for p in $ports; do
		ip netns exec "$INST-CLIENT1" python3 "$tmp/hold.py" "$DVIPA" "$PORT" "$p" "$stop" 2> "$tmp/hold.$p" &
		pids="$pids $!"
	done
	bound3() {
		[ "$(agent | jq --arg p "$ports" '[.bindings[] | select(.kind == "connection" and
			(.client_port | tostring | IN($p | split(" ")[])))] | length')" = 3 ]
	}
	poll_until 30 bound3 || fail "$name: the three connections were not bound: $(agent)"
	ok "$name: 3 connections bound: $(agent | jq -c '[.bindings[] | {client_port, careof, seq}]')"
	rejected0=$(agent | jq .counters.bu_rejected)
	deleted0=$(agent | jq .counters.bu_deleted)
	vary "$action"
	poll_until 30 routing_is "$owner" || fail "$name: $owner did not become the routing stack"
	# The connections go on under the new owner, which learned them (bound).
	learned() {
		[ "$(cmdj "$owner" 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jq --arg p "$ports" '[.vcrt[] |
			select((.sport | tostring | IN($p | split(" ")[])) and .bypass == "BOUND")] | length')" = 3 ]
	}
	poll_until 30 learned || fail "$name: $owner does not route the 3 bound connections: $(cmdj "$owner" 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL')"
	for p in $pids; do kill -0 "$p" 2>/dev/null || fail "$name: a connection ended during the move"; done
	ok "$name: $owner took over; the connections go on, bound"
	touch "$stop"
	for p in $pids; do wait "$p" || fail "$name: a held connection failed: $(cat "$tmp"/hold.*)"; done
	deleted3() { [ "$(agent | jq .counters.bu_deleted)" -ge $((deleted0 + 3)) ]; }
	poll_until 30 deleted3 || fail "$name: the new owner's deleting BUs were not accepted: $(agent | jq -c .counters)"
	n=$(agent | jq .counters.bu_rejected)
	[ "$n" = "$rejected0" ] || fail "$name: the agent rejected $((n - rejected0)) BU(s): $(agent | jq -c .counters.drops)"
	nobind() { [ "$(agent | jq .records)" = 0 ]; }
	poll_until 30 nobind || fail "$name: bindings outlived their connections: $(agent | jq -c .bindings)"
	ok "$name: connections ended: 3 deleting BUs accepted, none rejected, no binding left"
	# The old owner forwards what still reaches it for a while (MOVING).
	settled() { ! sx cmd --system "$old" 'SYSPLEX$ROLE' | grep -q "^$DVIPA MOVING"; }
	poll_until 30 settled || fail "$name: $old stays MOVING"
	before=$(totalconn "$owner")
	for p in $ports; do
		again() { in_host CLIENT1 curl -s -m 10 --local-port "$p" -o /dev/null -w '%{http_code}' "http://[$DVIPA]:$PORT/" | grep -q 200; }
		poll_until 30 again || fail "$name: no new connection from port $p"
	done
	[ "$(totalconn "$owner")" -ge $((before + 3)) ] ||
		fail "$name: new connections from those ports bypassed $owner (TOTALCONN $before -> $(totalconn "$owner"))"
	ok "$name: new connections from the same ports reached $owner (TOTALCONN $before -> $(totalconn "$owner"))"
}

run_phase DEACTIVATE 42001 "DEACTIVATE,DVIPA=$DVIPA" SYSB SYSA
run_phase "REACTIVATE (takeback)" 42011 "REACTIVATE,DVIPA=$DVIPA" SYSA SYSB
run_phase LEAVEGROUP 42021 LEAVEGROUP SYSB SYSA
exit 0

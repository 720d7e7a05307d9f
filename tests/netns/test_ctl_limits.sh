#!/usr/bin/env bash
# Proves: the control sockets take any line without harm.
#  - SYSPLEX$LINK with 16 operands (the most a command takes) works, and with
#    more is refused with one line, from `sysplex cmd`, the console and Lua;
#    the stack keeps running (before the fix the 16th operand was written
#    past the operand array: a crash under ASan);
#  - a line longer than the control socket's buffer is refused whole with one
#    line by the stack and by a client agent, and nothing of it is executed
#    (before, the first 1024 bytes were run: here, LOSS=50);
#  - afterwards every stack still answers and the DVIPA still serves.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT

sx up >/dev/null || fail "sysplex up"
pids() { sx status --json | jq -c '[.hosts[].daemons[] | select(.role == "stack") | .pid]'; }
before=$(pids)

ops() { local n=$1 i s=""; for i in $(seq "$n"); do s="$s${s:+,}LOSS=0"; done; echo "$s"; }
out=$(sx cmd --system SYSA "SYSPLEX\$LINK $(ops 16)" 2>&1) || fail "16 operands refused: $out"
echo "$out" | grep -q "LOSS 0%" || fail "16 operands: unexpected answer: $out"
for n in 17 40; do
	out=$(sx cmd --system SYSA "SYSPLEX\$LINK $(ops $n)" 2>&1); rc=$?
	[ $rc = 8 ] || fail "$n operands gave rc $rc: $out"
	[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "too many operands" ||
		fail "$n operands: not a one-line refusal: $out"
done
out=$(sx cmd --system SYSB "D TCPIP,TCPCS,NETSTAT,VDPT,$(ops 20)" 2>&1); rc=$?
[ $rc = 8 ] && echo "$out" | grep -q "too many operands" || fail "D with 21 operands: rc $rc: $out"
ok "16 operands taken, more refused with one line (sysplex cmd)"

printf 'SYSPLEX$LINK %s\nSYSPLEX$LINK %s\n' "$(ops 16)" "$(ops 30)" | sx console --system SYSC > "$tmp/con" 2>&1
rc=$?
[ $rc = 8 ] || fail "console exit $rc: $(cat "$tmp/con")"
grep -q "LOSS 0%" "$tmp/con" && grep -q "too many operands" "$tmp/con" || fail "console answers: $(cat "$tmp/con")"
ok "console: the same"

cat > "$tmp/ops.lua" <<'LUA'
local function ops(n) local t = {} for i = 1, n do t[i] = "LOSS=0" end return table.concat(t, ",") end
local r, err = cmd("SYSB", "SYSPLEX$LINK " .. ops(16))
expect(r ~= nil, "16 operands accepted from Lua: " .. tostring(err))
r, err = cmd("SYSB", "SYSPLEX$LINK " .. ops(17))
expect(r == nil and tostring(err):find("too many operands") ~= nil, "17 operands refused from Lua: " .. tostring(err))
LUA
sx run "$tmp/ops.lua" > "$tmp/lua" 2>&1 || fail "Lua: $(cat "$tmp/lua")"
ok "Lua: the same"

# A line longer than the buffer whose first 1024 bytes are a valid command.
long="SYSPLEX\$LINK LOSS=50,DELAY=$(head -c 1990 /dev/zero | tr '\0' 0)"
raw() { # raw SOCKET LINE: the whole reply of a daemon's control socket
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(sys.argv[2].encode() + b"\n")
except OSError:
    pass  # the daemon may answer and close before it read everything
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
PY
}
for d in SYSA/ctl.sock CLIENT1/agent.ctl; do
	out=$(raw "/run/sysplex/$INST/$d" "$long")
	[ "$(echo "$out" | head -1)" = "RC=8" ] || fail "$d: long line not refused: $out"
	[ "$(echo "$out" | wc -l)" = 2 ] && echo "$out" | grep -q "too long" || fail "$d: not a one-line refusal: $out"
	now=$(raw "/run/sysplex/$INST/$d" 'SYSPLEX$LINK')
	echo "$now" | grep -q "LOSS 0%" || fail "$d: part of the long line was executed: $now"
done
out=$(sx cmd --system SYSA "$long" 2>&1); rc=$?
[ $rc = 8 ] && echo "$out" | grep -q "too long" || fail "sysplex cmd with a long line: rc $rc: $out"
ok "lines longer than the buffer refused whole by the stack and the agent; nothing executed"

[ "$(pids)" = "$before" ] || fail "a stack was restarted or died: $before -> $(pids)"
sx status --json | jqe '[.hosts[].daemons[] | .alive] | all' >/dev/null || fail "a daemon died: $(sx status)"
for s in SYSA SYSB SYSC; do cmdj $s 'D TCPIP,TCPCS,NETSTAT,VIPADYN' | jqe .vipadyn >/dev/null || fail "$s does not answer"; done
in_host CLIENT1 curl -s -m 30 "http://[$DVIPA]:$PORT/" | grep -q SYS || fail "the DVIPA does not serve"
ok "every stack alive and answering; the DVIPA serves"
exit 0

#!/usr/bin/env bash
# Proves (console): against the default sysplex, every display
#   D TCPIP,TCPCS,NETSTAT,VIPADCFG|VIPADYN|VDPT[,DETAIL]|VCRT[,DETAIL]|HOME|CONN,
#   D TCPIP,,SYSPLEX,VIPADYN|GROUP, D XCF,GROUP[,EZBTCPCS], D MIP6,BINDINGS[,CLIENTn]
# answers in z/OS text and as JSON with the expected content, through
# `sysplex cmd` and through `sysplex console` fed on stdin; ROUTE sys,... and
# ROUTE *ALL,... reach the named stacks; every V TCPIP,,SYSPLEX action works
# in both forms and the sysplex returns to its start state; bad commands get
# one line naming what was expected with the closest word, in text and JSON,
# and leave the stacks working; the interactive console (a pty) completes
# command words with TAB and keeps its history in ~/.sysplex_history.
. tests/netns/lib.sh
tmp=$(mktemp -d); pids=""; trap 'kill $pids 2>/dev/null; cleanup; rm -rf "$tmp"' EXIT

sx up >/dev/null || fail "sysplex up"
# Two connections held open (paced, unbounded) so that VCRT, CONN and the
# binding caches have rows; the test ends them after the displays.
for c in CLIENT1 CLIENT2; do
	ip netns exec "$INST-$c" curl -s -o /dev/null "$(held_url 500000)" &
	pids="$pids $!"
done
live() { [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq .records)" -ge 2 ]; }
poll_until 60 live || fail "no live connections in the VCRT"

# cmd TEXT: the text form, then the JSON form checked with a jq filter.
# check CMD TEXT-REGEX JQ-FILTER [SYS]
check() {
	local c=$1 re=$2 jqf=$3 sys=${4:-}
	local t j
	t=$(sx cmd ${sys:+--system $sys} "$c") || fail "$c: exit $?: $t"
	echo "$t" | grep -Eq "$re" || fail "$c: text lacks /$re/: $t"
	j=$(sx cmd ${sys:+--system $sys} --json "$c") || fail "$c --json: exit $?: $j"
	echo "$j" | jqe "$jqf" >/dev/null || fail "$c --json: not ($jqf): $j"
	echo "$c" >> "$tmp/cmds"
}
N='EZD0101I NETSTAT CS V2R5 TCPCS [0-9]+'
check 'D TCPIP,TCPCS,NETSTAT,VIPADCFG' "$N" '.vipadcfg.define[0].ipaddr == "fd00:100::1" and .vipadcfg.distribute[0].ports == [8080]' SYSA
check 'D TCPIP,TCPCS,NETSTAT,VIPADCFG' "RANK: 100" '.vipadcfg.backup[0].rank == 100' SYSB
check 'D TCPIP,TCPCS,NETSTAT,VIPADYN' "$N.*|ACTIVE" '.vipadyn[0].status == "ACTIVE" and (.vipadyn[0].diststat | test("DIST"))' SYSA
check 'D TCPIP,TCPCS,NETSTAT,VIPADYN' "BACKUP" '.vipadyn[0].status == "BACKUP" and .vipadyn[0].rank == 100' SYSB
# Two DVIPAs (IPv6 and IPv4) with three targets each.
check 'D TCPIP,TCPCS,NETSTAT,VDPT' '6 OF 6 RECORDS DISPLAYED' '.records == 6 and ([.vdpt[] | select(.rdy > 0)] | length) == 6'
check 'D TCPIP,TCPCS,NETSTAT,VDPT,DETAIL' 'DESTNAME' '.records == 6 and (.vdpt[0] | has("actconn"))'
check 'D TCPIP,TCPCS,NETSTAT,VCRT' 'RECORDS DISPLAYED' '.role == "distributor" and .records >= 2'
check 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' 'RECORDS DISPLAYED' '[.vcrt[] | select(.bypass != null and .fwdpkts != null)] | length >= 2'
check 'D TCPIP,TCPCS,NETSTAT,HOME' "$N" '[.home[] | select(.address == "fd00:1::1")] | length == 1'
check 'D TCPIP,TCPCS,NETSTAT,CONN' "$N" '[.conn[] | select(.state == "LISTEN" and .lport == 8080)] | length >= 1' SYSB
check 'D TCPIP,,SYSPLEX,VIPADYN' 'IPADDR: 10.100.0.1' '.records == 6 and ([.sysplex_vipadyn[].mvsname] | unique) == ["SYSA","SYSB","SYSC"]'
check 'D TCPIP,,SYSPLEX,GROUP' 'EZBTCPCS' '.group == "EZBTCPCS" and ([.members[] | select(.status == "ACTIVE")] | length) == 3'
check 'D XCF,GROUP' 'EZBTCPCS' '.groups[0].name == "EZBTCPCS" and .groups[0].members == 3'
check 'D XCF,GROUP,EZBTCPCS' 'SYSBTCPCS' '[.members[].member] | index("SYSCTCPCS") != null'
check 'D MIP6,BINDINGS' 'END OF THE REPORT' '(.bindings | type) == "array" and ([.clients[].host] == ["CLIENT1","CLIENT2"]) and (.counters | has("direct_pkts"))'
check 'D MIP6,BINDINGS,CLIENT1' 'CLIENT: CLIENT1' '[.clients[].host] == ["CLIENT1"] and ([.bindings[] | select(.host != "CLIENT1")] | length) == 0'
ok "every display answers in text and JSON ($(wc -l < "$tmp/cmds") commands)"

# ROUTE: the same as --system.
j=$(sx cmd --json 'ROUTE SYSB,D TCPIP,TCPCS,NETSTAT,VIPADYN') || fail "ROUTE SYSB"
[ "$(echo "$j" | jq -r '.system + " " + .vipadyn[0].status')" = "SYSB BACKUP" ] || fail "ROUTE SYSB answered: $j"
sx cmd 'RO SYSC,D TCPIP,TCPCS,NETSTAT,VIPADYN' | grep -q 'DEST' || fail "RO SYSC"
j=$(sx cmd --json 'ROUTE *ALL,D TCPIP,,SYSPLEX,GROUP') || fail "ROUTE *ALL"
[ "$(echo "$j" | jq -c 'keys')" = '["SYSA","SYSB","SYSC"]' ] || fail "ROUTE *ALL: $j"
[ "$(sx cmd 'ROUTE *ALL,D XCF,GROUP' | grep -c 'RESPONSES')" = 3 ] || fail "ROUTE *ALL text"
ok "ROUTE sys,... and ROUTE *ALL,..."

# The console on stdin: the same displays, text then JSON, then ROUTE.
{ cat "$tmp/cmds"; echo 'JSON ON'; cat "$tmp/cmds"; echo 'SYSTEM SYSB'; echo 'D TCPIP,TCPCS,NETSTAT,VIPADYN'; echo 'ROUTE SYSC,D TCPIP,TCPCS,NETSTAT,VIPADYN'; echo EXIT; } |
	sx console > "$tmp/console" 2>&1 || fail "console exited $?: $(tail -5 "$tmp/console")"
n=$(wc -l < "$tmp/cmds")
j=$(grep -c '^{' "$tmp/console")
[ "$j" = $((n + 2)) ] || fail "console: $j JSON answers for $((n + 2)) commands"
grep '^{' "$tmp/console" | jqe . >/dev/null || fail "console: an answer is not JSON"
[ "$(grep '^{' "$tmp/console" | tail -2 | jq -r .system | tr '\n' ' ')" = "SYSB SYSC " ] || fail "console SYSTEM/ROUTE went elsewhere"
[ "$(grep -c 'END OF THE REPORT' "$tmp/console")" -ge 10 ] || fail "console text answers: $(head -40 "$tmp/console")"
ok "the console on stdin answers all $n displays in text and JSON; SYSTEM and ROUTE switch stacks"
for p in $pids; do kill -0 $p 2>/dev/null || fail "a held download ended before the test ended it"; done
end_held $pids

# Actions, each in both forms; the sysplex returns to its start state.
vary() { # SYS FORM ACTION
	local out
	if [ "$2" = json ]; then
		out=$(sx cmd --system "$1" --json "V TCPIP,TCPCS,SYSPLEX,$3") || fail "$1 $3: $out"
		echo "$out" | jqe '.ok == true and (.message | test("^EZ"))' >/dev/null || fail "$1 $3 JSON: $out"
	else
		out=$(sx cmd --system "$1" "V TCPIP,TCPCS,SYSPLEX,$3") || fail "$1 $3: $out"
		echo "$out" | grep -Eq '^EZ[A-Z][0-9]{4}I ' || fail "$1 $3 text: $out"
	fi
}
qflag() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -r '.vdpt[] | select(.destxcf == "fd00:10::2") | .quiesced'; }
vary SYSB text QUIESCE,PORT=8080;  [ "$(qflag)" = true ] || fail "QUIESCE,PORT not in the VDPT"
vary SYSB json RESUME,PORT=8080;   [ "$(qflag)" = false ] || fail "RESUME,PORT not in the VDPT"
vary SYSB json QUIESCE,TARGET;     [ "$(qflag)" = true ] || fail "QUIESCE,TARGET not in the VDPT"
vary SYSB text RESUME,TARGET;      [ "$(qflag)" = false ] || fail "RESUME,TARGET not in the VDPT"
member() { cmdj SYSA 'D XCF,GROUP,EZBTCPCS' | jq -r ".members[] | select(.mvsname == \"$1\") | .status"; }
vary SYSC text LEAVEGROUP
left() { [ "$(member SYSC)" != ACTIVE ]; }
poll_until 30 left || fail "SYSC still ACTIVE after LEAVEGROUP"
vary SYSC json JOINGROUP
joined() { [ "$(member SYSC)" = ACTIVE ] && [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq '[.vdpt[] | select(.rdy > 0)] | length')" = 6 ]; }
poll_until 30 joined || fail "SYSC not back after JOINGROUP"
owner() { for s in SYSA SYSB SYSC; do sx cmd --system $s SYSPLEX\$ROLE | grep -q "^$DVIPA ACTIVE DIST" && echo $s; done; }
vary SYSA json DEACTIVATE,DVIPA=$DVIPA
b_owns() { [ "$(owner)" = SYSB ]; }
poll_until 30 b_owns || fail "DEACTIVATE: owner is '$(owner)', not SYSB"
vary SYSA text REACTIVATE,DVIPA=$DVIPA
a_owns() { [ "$(owner)" = SYSA ]; }
poll_until 30 a_owns || fail "REACTIVATE: owner is '$(owner)', not SYSA"
ok "V TCPIP,,SYSPLEX QUIESCE/RESUME (PORT, TARGET), LEAVEGROUP/JOINGROUP, DEACTIVATE/REACTIVATE in text and JSON"

# Bad commands: one line, exit 8, the closest word suggested; JSON {"error"}.
bad() { # COMMAND SUGGESTION
	local out rc
	out=$(sx cmd "$1" 2>&1); rc=$?
	[ $rc = 8 ] || fail "bad command '$1' exited $rc"
	[ "$(echo "$out" | wc -l)" = 1 ] || fail "bad command '$1': not one line: $out"
	[ -z "$2" ] || echo "$out" | grep -q "did you mean $2?" || fail "bad command '$1': no suggestion $2: $out"
	out=$(sx cmd --json "$1" 2>&1)
	[ -z "$2" ] || echo "$out" | jqe '.error | test("did you mean")' >/dev/null || fail "bad command '$1' JSON: $out"
	echo "$1" >> "$tmp/bad"
}
bad 'D TCPIP,TCPCS,NETSTAT,VDPX' VDPT
bad 'D TCPIP,TCPCS,NETSTT,VDPT' NETSTAT
bad 'DX TCPIP,TCPCS,NETSTAT,VDPT' D
bad 'D TCPIP,,SYSPLEX,GRUOP' GROUP
bad 'V TCPIP,TCPCS,SYSPLEX,QUIESC,PORT=8080' QUIESCE
bad 'D MIP6,BINDING5' BINDINGS
bad 'D MIP6,BINDINGS,CLIENT9' CLIENT1
bad 'ROUTE SYSX,D XCF,GROUP' SYSA
bad 'ROUTE SYSB' ''
bad 'D XCF,GROUP,EZBTCPCX' ''
bad 'V TCPIP,TCPCS,SYSPLEX,QUIESCE,PORT=99999' ''
{ cat "$tmp/bad"; echo 'SYSTEM SYSQ'; echo 'JSON MAYBE'; echo 'HALP'; } | sx console > "$tmp/badc" 2>&1
rc=$?
[ $rc = 8 ] || fail "console with bad commands exited $rc"
[ "$(wc -l < "$tmp/badc")" = $(( $(wc -l < "$tmp/bad") + 3 )) ] || fail "console: not one line per bad command: $(cat "$tmp/badc")"
grep -q "unknown command 'HALP'.*did you mean HELP" "$tmp/badc" || fail "console verb suggestion: $(cat "$tmp/badc")"
ip netns exec "$INST-CLIENT1" curl -s -m 30 "http://[$DVIPA]:$PORT/" | grep -q SYS || fail "stacks broken after bad commands"
ok "$(wc -l < "$tmp/bad") bad commands: one line each with the closest word, exit 8, in cmd and console"

# The interactive console on a pty: TAB completion and history.
export HOME=$tmp
python3 - "$BIN/sysplex" "$INST" > "$tmp/pty" 2>&1 <<'PY' || fail "interactive console: $(cat "$tmp/pty")"
import os, pty, sys, time, select
exe, inst = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(exe, [exe, "--instance", inst, "console", "--system", "SYSB"])
pending = b""
def read_until(token, timeout=60):
    """Returns the output up to and including token; keeps the rest."""
    global pending
    end = time.time() + timeout
    while token not in pending:
        if time.time() > end:
            sys.exit("timeout waiting for %r, got %r" % (token, pending[-500:]))
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            pending += os.read(fd, 65536)
    i = pending.index(token) + len(token)
    out, pending = pending[:i], pending[i:]
    return out
read_until(b"SYSB> ")
# "d tcpi" TAB -> "D TCPIP", "NETS" TAB -> "NETSTAT", "VIPADY" TAB -> "VIPADYN":
# the completed line runs and answers with SYSB's VIPADYN.
os.write(fd, b"d tcpi\t")
time.sleep(0.2)
os.write(fd, b",TCPCS,NETS\t")
time.sleep(0.2)
os.write(fd, b",VIPADY\t")
time.sleep(0.2)
os.write(fd, b"\r")
out = read_until(b"END OF THE REPORT")
assert b"BACKUP" in out, out
read_until(b"SYSB> ")
os.write(fd, b"SYSTE\tsysc\r")
read_until(b"SYSC> ")
os.write(fd, b"exit\r")
os.waitpid(pid, 0)
print("completion ok")
PY
# libedit's history file encodes blanks as \040.
grep -q 'TCPIP,TCPCS,NETSTAT,VIPADYN' "$tmp/.sysplex_history" && grep -q 'SYSTEM' "$tmp/.sysplex_history" || fail "history file: $(cat "$tmp/.sysplex_history" 2>&1)"
ok "interactive console: TAB completion (D TCPIP,TCPCS,NETSTAT,VIPADYN, SYSTEM) and ~/.sysplex_history"
exit 0

#!/usr/bin/env bash
# Proves (bad input): a malformed profile never starts a daemon; bad
# operator commands get a one-line error and leave the stack working; a
# routing stack whose SQLite file is deleted reports it, recreates it with
# its tables, and keeps forwarding.  The sample servers outlive clients that
# vanish in the middle of paced responses (50 held downloads killed: every
# server still runs, and under SANITIZE=1 none reported a memory error).
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT

printf 'IPCONFIG6 DYNAMICXCF fd00:10::9\nVIPADYNAMIC\n VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1\n VIPADISTRIBUTE DEFINE DVIPA1 PORT 99999 DESTIP ALL\nENDVIPADYNAMIC\n' > "$tmp/bad.profile"
printf 'SYSPLEX T\nMEMBER SYSZ TCPCS ipc://%s/xcf/SYSZ\n' "$tmp" > "$tmp/couple.cfg"
out=$("$BIN/tcpip-stack" -p "$tmp/bad.profile" -c "$tmp/couple.cfg" -s SYSZ -i lo -d "$tmp/z" 2>&1)
rc=$?
[ $rc = 1 ] || fail "daemon with a malformed profile exited $rc"
echo "$out" | grep -q "bad.profile:4: VIPADISTRIBUTE" || fail "error does not name file:line and statement: $out"
[ ! -e "$tmp/z/ctl.sock" ] || fail "daemon started anyway"
ok "malformed profile refused: $out"

sx up >/dev/null || fail "sysplex up"
for c in 'D TCPIP,TCPCS,NETSTAT,VCRTX' 'D TCPIP,TCPCS,NETSTT,VCRT' 'FOO' 'D TCPIP,OTHER,NETSTAT,VDPT' "$(head -c 3000 /dev/urandom | tr -d '\0\n' | head -c 900)"; do
	out=$(sx cmd --system SYSA "$c" 2>&1); rc=$?
	[ $rc = 8 ] || fail "bad command '$c' gave rc $rc"
	[ "$(echo "$out" | wc -l)" -le 1 ] || fail "bad command answer is not one line: $out"
done
sx cmd --system SYSA 'D TCPIP,TCPCS,NETSTAT,VCRTX' | grep -q 'did you mean VCRT' || fail "no suggestion for VCRTX"
sx cmd --system SYSA --json 'D TCPIP,TCPCS,NETSTAT,VCRTX' | jqe .error >/dev/null || fail "JSON error form"
ok "bad commands rejected with one line (closest word suggested)"
in_host CLIENT1 curl -s -m 30 "http://[$DVIPA]:$PORT/" | grep -q SYS || fail "stack broken after bad commands"

db=/run/sysplex/$INST/SYSA/stack.db
[ -s "$db" ] || fail "no SQLite file $db"
rm -f "$db" "$db-wal" "$db-shm"
for i in $(seq 20); do
	in_host CLIENT2 curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/" | grep -q SYS || fail "request $i failed after losing stack.db"
done
ok "forwarding continued after stack.db was deleted"
re() { [ "$(cmdj SYSA SYSPLEX\$STATS | jq .store.reopened)" -ge 1 ] && [ -s "$db" ]; }
poll_until 30 re || fail "store did not recreate stack.db: $(cmdj SYSA SYSPLEX\$STATS | jq .store)"
# Three ready targets for each of the two DVIPAs (IPv6, IPv4).
rows() { [ "$(sqlite3 "$db" 'select count(*) from vdpt where rdy > 0')" = 6 ]; }
poll_until 30 rows || fail "recreated stack.db lacks the VDPT rows"
grep -q "stack.db" "/run/sysplex/$INST/SYSA/stack.log" || fail "loss of stack.db not reported in the log"
ok "stack.db recreated with its tables and the loss reported"

# Clients that vanish while their paced responses wait for their allowance.
servers_ok() {
	local s pid
	for s in SYSA SYSB SYSC; do
		pid=$(awk -v h=$s '$1 == "proc" && $2 == h && $3 == "httpd" {print $4}' "/run/sysplex/$INST/state")
		if grep -qE 'AddressSanitizer|runtime error' "/run/sysplex/$INST/$s/httpd.log"; then
			fail "$s's sample server: $(grep -m1 -A4 -E 'AddressSanitizer|runtime error' "/run/sysplex/$INST/$s/httpd.log" | tr '\n' ' ')"
		fi
		kill -0 "$pid" 2>/dev/null || fail "$s's sample server died: $(tail -5 "/run/sysplex/$INST/$s/httpd.log")"
	done
}
for round in 1 2 3 4 5; do
	pids=""
	for i in $(seq 10); do
		ip netns exec "$INST-CLIENT1" curl -s -o /dev/null "$(held_url 200000)" &
		pids="$pids $!"
	done
	ten() { [ "$(rx_bytes CLIENT1 | wc -l)" -ge 10 ]; }
	poll_until 60 ten || { servers_ok; fail "round $round: the 10 held downloads did not all start"; }
	end_held $pids
done
servers_ok
in_host CLIENT2 curl -s -m 30 "http://[$DVIPA]:$PORT/" | grep -q SYS || fail "no answer after the vanished clients"
ok "50 held downloads whose clients vanished: every sample server still runs and answers"
exit 0

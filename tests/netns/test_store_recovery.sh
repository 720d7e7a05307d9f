#!/usr/bin/env bash
# Proves: a bad stack.db never stops the routing stack.  SYSA (the
# VIPADEFINE owner) is killed, its stack.db spoiled, and SYSA restarted; it
# takes the DVIPA back and must keep distributing real curl traffic (its own
# VDPT TOTALCONN grows, the same process stays alive):
#  1. random bytes in stack.db: moved aside to stack.db.bad-* unchanged, a new
#     file written with the VDPT, EZD1218E once in the log, and
#     `D TCPIP,TCPCS,NETSTAT,CONFIG` shows the store ACTIVE and where the old
#     file went;
#  2. a stack.db of another schema version: the same;
#  3. a stack.db that can be neither written nor moved (a read-only bind
#     mount of the file onto itself): the stack runs without persistence,
#     says so once (EZD1219E) and CONFIG shows DISABLED with the reason; once
#     the mount is gone it writes the file again by itself (EZD1220I).
# Before the fix the stack logged "persistence disabled" and crashed at the
# first listener report or SYN, and again after every restart.
. tests/netns/lib.sh
tmp=$(mktemp -d)
dir=/run/sysplex/$INST/SYSA
db=$dir/stack.db
# The stack runs in a mount namespace of its own (ip netns exec), a copy of
# ours taken at its start: unmount there too, unmounts need not propagate.
unmount() {
	local p
	p=$(sx status --json 2>/dev/null | jq -r '.hosts[]? | select(.name == "SYSA") | .daemons[] | select(.role == "stack") | .pid' 2>/dev/null)
	[ -n "$p" ] && nsenter -t "$p" -m sh -c "while umount '$db' 2>/dev/null; do :; done"
	while umount "$db" 2>/dev/null; do :; done
}
trap 'unmount; cleanup; rm -rf "$tmp"' EXIT

sx up >/dev/null || fail "sysplex up"
log=$dir/stack.log
config() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,CONFIG'; }
stack_pid() { sx status --json | jq -r '.hosts[] | select(.name == "SYSA") | .daemons[] | select(.role == "stack") | .pid'; }
sysa_routes() { sx cmd --system SYSA 'SYSPLEX$ROLE' | grep -q "^$DVIPA ACTIVE DIST"; }
totalconn() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq '[.vdpt[].totalconn] | add // 0'; }
sysb_backup() { sx cmd --system SYSB 'SYSPLEX$ROLE' | grep -q "^$DVIPA BACKUP"; }
ready3() { [ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq --arg d "$DVIPA" '[.vdpt[] | select(.rdy > 0 and .dest == $d)] | length')" = 3 ]; }

# Kills SYSA, runs "$@" to spoil its stack.db, restarts it, and checks that it
# takes the DVIPA back and distributes 20 new connections itself.
spoil_and_restart() {
	local what=$1 pid before n; shift
	sx kill SYSA >/dev/null || fail "$what: kill SYSA"
	"$@" || fail "$what: could not spoil $db"
	sx restart SYSA >/dev/null || fail "$what: restart SYSA: $(tail -5 "$log")"
	pid=$(stack_pid)
	poll_until 30 sysa_routes || fail "$what: SYSA did not take the DVIPA back: $(tail -5 "$log")"
	poll_until 30 ready3 || fail "$what: SYSA's VDPT never showed 3 ready targets: $(tail -5 "$log")"
	# SYSB forwards what still reaches it for a while after the takeback
	# (MOVING): count only once it is a plain backup again.
	poll_until 30 sysb_backup || fail "$what: SYSB did not return to BACKUP"
	before=$(totalconn)
	for n in $(seq 20); do
		in_host CLIENT1 curl -s -m 10 -H 'Connection: close' "http://[$DVIPA]:$PORT/" | grep -q SYS ||
			fail "$what: request $n failed: $(tail -5 "$log")"
	done
	[ "$(totalconn)" -ge $((before + 20)) ] || fail "$what: SYSA did not distribute the requests ($before -> $(totalconn))"
	[ "$(stack_pid)" = "$pid" ] && kill -0 "$pid" || fail "$what: SYSA's stack died: $(tail -5 "$log")"
	ok "$what: SYSA took the DVIPA back and distributed 20 requests, same process"
}

# 1. Random bytes.
garbage() { rm -f "$db-wal" "$db-shm" && head -c 65536 /dev/urandom > "$db" && cp "$db" "$tmp/garbage"; }
spoil_and_restart "random bytes" garbage
moved=$(config | jq -r .persistence.moved_to)
[ "$(config | jq -r .persistence.status)" = ACTIVE ] || fail "store not ACTIVE: $(config)"
case $moved in "$db".bad-*) ;; *) fail "moved_to is '$moved': $(config)";; esac
cmp -s "$moved" "$tmp/garbage" || fail "the bad file was not kept unchanged at $moved"
# Three ready targets for each of the two DVIPAs (IPv6, IPv4).
rows() { [ "$(sqlite3 "$db" 'select count(*) from vdpt where rdy > 0')" = 6 ]; }
poll_until 30 rows || fail "the new stack.db lacks the VDPT rows"
[ "$(grep -c EZD1218E "$log")" = 1 ] || fail "EZD1218E not logged exactly once: $(grep EZD121 "$log")"
sx cmd --system SYSA 'D TCPIP,TCPCS,NETSTAT,CONFIG' | grep -q "UNUSABLE FILE MOVED TO: $moved" ||
	fail "CONFIG text does not show the moved file: $(sx cmd --system SYSA 'D TCPIP,TCPCS,NETSTAT,CONFIG')"
ok "random bytes: kept as $(basename "$moved"), new file written, said once in the log and in NETSTAT,CONFIG"

# 2. Another schema version.
other_version() { sqlite3 "$db" "UPDATE meta SET value = 7 WHERE key = 'schema_version'"; }
spoil_and_restart "schema version 7" other_version
config | jqe '.persistence.status == "ACTIVE" and (.persistence.moved_reason | test("schema version 7"))' >/dev/null ||
	fail "schema version 7: $(config)"
moved=$(config | jq -r .persistence.moved_to)
[ "$(sqlite3 "$moved" "select value from meta where key = 'schema_version'")" = 7 ] || fail "the moved file is not the version-7 one"
poll_until 30 rows || fail "the new stack.db lacks the VDPT rows"
[ "$(sqlite3 "$db" "select value from meta where key = 'schema_version'")" = 1 ] || fail "the new stack.db is not version 1"
ok "schema version 7: kept as $(basename "$moved"), a version-1 file made"

# 3. Neither writable nor movable.
read_only() { mount --bind "$db" "$db" && mount -o remount,ro,bind "$db"; }
spoil_and_restart "read-only file" read_only
config | jqe '.persistence.status == "DISABLED" and (.persistence.disabled_reason | test("cannot move it aside"))' >/dev/null ||
	fail "read-only file: $(config)"
[ "$(grep -c EZD1219E "$log")" = 1 ] || fail "EZD1219E not logged exactly once: $(grep EZD121 "$log")"
sx cmd --system SYSA 'D TCPIP,TCPCS,NETSTAT,CONFIG' | grep -q "STATUS: DISABLED" || fail "CONFIG text does not say DISABLED"
ok "read-only file: runs without persistence, said once (EZD1219E) and shown as DISABLED"
unmount
active() { config | jqe '.persistence.status == "ACTIVE"' >/dev/null && rows; }
poll_until 60 active || fail "persistence did not resume once the file was writable: $(config)"
grep -q EZD1220I "$log" || fail "EZD1220I not logged"
for n in $(seq 5); do
	in_host CLIENT2 curl -s -m 10 "http://[$DVIPA]:$PORT/" | grep -q SYS || fail "request $n after resuming failed"
done
ok "the file writable again: persistence resumed by itself (EZD1220I), the VDPT rewritten"
exit 0

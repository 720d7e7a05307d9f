#!/usr/bin/env bash
# Proves (Sysplex Failure Management, sequential failures): in the four-system
# sysplex of sysplex/topologies/four.lua (SYSA VIPADEFINE, SYSB VIPABACKUP
# 100, SYSC VIPABACKUP 50, SYSD a target), kill -9 SYSA: SFM partitions it out
# and SYSB takes over; kill -9 SYSB too: the sysplex shrinks to SYSC and SYSD
# (two of the four systems, the first-listed one gone) and SYSC takes over and
# serves; restart SYSA and SYSB: both rejoin as new incarnations and the DVIPA
# returns to SYSA.  Never two owners at once all along.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'sfm_cleanup; cleanup; rm -rf "$tmp"' EXIT
. tests/netns/sfm_lib.sh
SYSTEMS="SYSA SYSB SYSC SYSD"

sx up sysplex/topologies/four.lua >/dev/null || fail "sysplex up four.lua"
is_owner SYSA || fail "SYSA does not own the DVIPA after up (owner: '$(owner_of $SYSTEMS)')"
watch_start "$DVIPA" $SYSTEMS

sx kill SYSA >/dev/null || fail "sysplex kill SYSA"
poll_until 30 is_owner SYSB || fail "SYSB did not take over from SYSA (owner '$(owner_of $SYSTEMS)')"
poll_until 20 serve CLIENT1 || fail "no service with SYSB routing"
ok "kill -9 SYSA: SYSB (rank 100) took over and serves"

sx kill SYSB >/dev/null || fail "sysplex kill SYSB"
poll_until 30 is_owner SYSC || fail "SYSC did not take over from SYSB (owner '$(owner_of $SYSTEMS)')"
for s in SYSA SYSB; do
	[ "$(slot $s SYSD status)" = PARTITIONED ] || fail "$s's slot as SYSD reads it: $(slot $s SYSD status)"
	[ "$(member $s SYSD)" = PARTITIONED ] || fail "SYSD sees $s as $(member $s SYSD) in EZBTCPCS"
done
poll_until 10 grep -q "IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR SYSB" "/run/sysplex/$INST/SYSC/stack.log" \
	|| fail "no IXC105I for SYSB on SYSC"
for i in 1 2 3 4 5 6; do poll_until 20 serve CLIENT2 || fail "connection $i not served with SYSC routing"; done
ok "kill -9 SYSB: the sysplex shrank to SYSC and SYSD; SYSC (rank 50) took over and serves"

incA=$(slot SYSA SYSC incarnation); incB=$(slot SYSB SYSC incarnation)
sx restart SYSA >/dev/null || fail "sysplex restart SYSA"
sx restart SYSB >/dev/null || fail "sysplex restart SYSB"
poll_until 30 is_owner SYSA || fail "the DVIPA did not return to SYSA (owner '$(owner_of $SYSTEMS)')"
for s in SYSA SYSB; do
	[ "$(slot $s SYSD status)" = ACTIVE ] || fail "$s's slot after its restart: $(slot $s SYSD status)"
done
[ "$(slot SYSA SYSD incarnation)" != "$incA" ] && [ "$(slot SYSB SYSD incarnation)" != "$incB" ] \
	|| fail "SYSA or SYSB kept its old incarnation"
members() { for s in $SYSTEMS; do [ "$(member $s SYSC)" = ACTIVE ] || return 1; done; }
poll_until 10 members || fail "not every system is ACTIVE in EZBTCPCS as SYSC sees it"
poll_until 20 serve CLIENT1 || fail "no service after SYSA took the DVIPA back"
ok "SYSA and SYSB restarted: both rejoined as new incarnations, the DVIPA returned to SYSA"
watch_check "sequential failures and restarts"
exit 0

#!/usr/bin/env bash
# Proves (Sysplex Failure Management, a system that loses the couple data
# set; `sysplex cds-loss` makes every CDS operation of that stack fail):
#   - a target (SYSC) that loses it stops being a member once it cannot renew
#     its lease, is partitioned out by the others, the owner SYSA keeps the
#     DVIPA all along; after cds-restore SYSC rejoins as a new incarnation;
#   - the owner (SYSA) that loses it owns nothing once its lease ran out
#     (EZZ8302I ... NO VALID LEASE), is partitioned out, SYSB takes over only
#     after that; D XCF,COUPLE on SYSA says the data set is not reachable;
#     after cds-restore SYSA rejoins as a new incarnation and takes the DVIPA
#     back.
# Never two owners at once; clients served throughout (after the takeover).
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'sfm_cleanup; cleanup; rm -rf "$tmp"' EXIT
. tests/netns/sfm_lib.sh
SYSTEMS="SYSA SYSB SYSC"

sx up >/dev/null || fail "sysplex up"
watch_start "$DVIPA" $SYSTEMS

# 1. A target loses the couple data set.
incC=$(slot SYSC SYSA incarnation)
sx cds-loss SYSC >/dev/null || fail "sysplex cds-loss SYSC"
outC() { [ "$(slot SYSC SYSA status)" = PARTITIONED ]; }
poll_until 30 outC || fail "SYSC was not partitioned out (slot: $(slot SYSC SYSA status))"
poll_until 10 grep -q "IXC105I SYSC IS NO LONGER ACTIVE IN SYSPLEX .*COUPLE DATA SET IS NOT REACHABLE" \
	"/run/sysplex/$INST/SYSC/stack.log" || fail "SYSC did not say it left for lack of the couple data set"
is_owner SYSA || fail "the owner changed while a target lost the couple data set: '$(owner_of $SYSTEMS)'"
poll_until 20 serve CLIENT1 || fail "no service while SYSC is out"
ok "SYSC lost the couple data set: it left, SFM partitioned it out, SYSA kept the DVIPA"
sx cds-restore SYSC >/dev/null || fail "sysplex cds-restore SYSC"
backC() { [ "$(slot SYSC SYSA status)" = ACTIVE ] && [ "$(member SYSC SYSA)" = ACTIVE ]; }
poll_until 30 backC || fail "SYSC did not rejoin after cds-restore"
[ "$(slot SYSC SYSA incarnation)" != "$incC" ] || fail "SYSC rejoined under its old incarnation"
ok "cds-restore SYSC: it rejoined as a new incarnation"

# 2. The owner loses the couple data set.
incA=$(slot SYSA SYSB incarnation)
sx cds-loss SYSA >/dev/null || fail "sysplex cds-loss SYSA"
v=$(cmdj SYSA 'D XCF,COUPLE')
[ "$(echo "$v" | jq -r .fault)" = true ] || fail "D XCF,COUPLE on SYSA does not show the fault: $v"
lost() { [ "$(cmdj SYSA 'D XCF,COUPLE' | jq -r .reachable)" = false ]; }
poll_until 10 lost || fail "D XCF,COUPLE on SYSA still says reachable"
poll_until 30 is_owner SYSB || fail "SYSB did not take over (owner '$(owner_of $SYSTEMS)')"
poll_until 10 grep -q "EZZ8302I VIPA $DVIPA GIVEN UP BY TCPCS: NO VALID LEASE ON THE COUPLE DATA SET" \
	"/run/sysplex/$INST/SYSA/stack.log" || fail "SYSA did not give the DVIPA up for lack of a lease"
[ "$(slot SYSA SYSB status)" = PARTITIONED ] || fail "SYSA's slot as SYSB reads it: $(slot SYSA SYSB status)"
poll_until 20 serve CLIENT2 || fail "no service with SYSB routing"
ok "SYSA lost the couple data set: its lease ran out, it gave the DVIPA up, SFM partitioned it out, SYSB took over"
sx cds-restore SYSA >/dev/null || fail "sysplex cds-restore SYSA"
poll_until 30 is_owner SYSA || fail "SYSA did not take the DVIPA back after cds-restore (owner '$(owner_of $SYSTEMS)')"
[ "$(slot SYSA SYSB incarnation)" != "$incA" ] || fail "SYSA rejoined under its old incarnation"
poll_until 20 serve CLIENT1 || fail "no service after SYSA took the DVIPA back"
ok "cds-restore SYSA: it rejoined as a new incarnation and took the DVIPA back"
watch_check "couple data set lost and restored"

# Bad input: the fault command names a system; the stack checks its operand.
sx cds-loss SYSX >/dev/null 2>&1 && fail "cds-loss of an unknown system succeeded"
out=$(sx cmd --system SYSA 'SYSPLEX$CDS BOGUS')
echo "$out" | grep -q 'expected SYSPLEX\$CDS LOSS or SYSPLEX\$CDS RESTORE' || fail "bad SYSPLEX\$CDS operand: $out"
ok "cds-loss of an unknown system and a bad SYSPLEX\$CDS operand are refused"
exit 0

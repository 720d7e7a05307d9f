#!/usr/bin/env bash
# Proves (Sysplex Failure Management, partitions where both sides still reach
# the couple data set): the SFM policy decides, the losing side is pilled and
# gives everything up, the winner takes over only after the loser's lease ran
# out, and after the heal every loser learns it was partitioned out and
# rejoins as a new incarnation.  Never two owners at once, before, during and
# after each partition:
#   two systems A|B, equal weights: the tie goes to the first-listed SYSA,
#     which keeps the DVIPA; SYSB is removed;
#   two systems A|B, SYSB WEIGHT 10: SYSB's side wins and takes the DVIPA
#     over, SYSA is removed; after the heal SYSA takes it back;
#   four systems A,B|C,D (tie; SYSA's side wins) and A|B,C,D (SYSB's side
#     wins and SYSB takes over; after the heal SYSA takes it back).
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'sfm_cleanup; cleanup; rm -rf "$tmp"' EXIT
. tests/netns/sfm_lib.sh

incs() { for s in $SYSTEMS; do echo "$s $(slot $s $1 incarnation)"; done; }
# partition_round SIDE1 SIDE2 OWNER_DURING LOSERS OWNER_AFTER
partition_round() {
	local a=$1 b=$2 during=$3 losers=$4 after=$5 s first=${SYSTEMS%% *} from
	from=$(echo $SYSTEMS | tr ' ' '\n' | grep -v -x -F "$(echo $losers | tr ' ' '\n')" | head -1)
	incs "$from" > "$tmp/inc.before"
	watch_start "$DVIPA" $SYSTEMS
	sx partition "$a" "$b" >/dev/null || fail "sysplex partition $a $b"
	out() { for s in $losers; do [ "$(slot $s $from status)" = PARTITIONED ] || return 1; done; }
	poll_until 30 out || fail "$a|$b: not all of '$losers' partitioned out ($(for s in $losers; do echo -n "$s=$(slot $s $from status) "; done))"
	poll_until 30 is_owner "$during" || fail "$a|$b: owner '$(owner_of $SYSTEMS)' (want $during)"
	for s in $losers; do
		poll_until 10 grep -q "IXC105I $s IS NO LONGER ACTIVE IN SYSPLEX .*PARTITIONED OUT BY" "/run/sysplex/$INST/$s/stack.log" ||
			fail "$a|$b: $s did not learn it was partitioned out"
	done
	poll_until 20 serve CLIENT1 || fail "$a|$b: no service during the partition"
	ok "partition $a|$b: '$losers' partitioned out by SFM, $during owns and serves"
	sx heal >/dev/null || fail "sysplex heal"
	back() { for s in $SYSTEMS; do [ "$(slot $s $from status)" = ACTIVE ] || return 1; done; }
	poll_until 30 back || fail "$a|$b: after the heal not every system is back ($(for s in $SYSTEMS; do echo -n "$s=$(slot $s $from status) "; done))"
	incs "$from" > "$tmp/inc.after"
	for s in $losers; do
		[ "$(grep "^$s " "$tmp/inc.before")" != "$(grep "^$s " "$tmp/inc.after")" ] || fail "$s rejoined under its old incarnation"
	done
	poll_until 30 is_owner "$after" || fail "$a|$b: owner '$(owner_of $SYSTEMS)' after the heal (want $after)"
	poll_until 20 serve CLIENT1 || fail "$a|$b: no service after the heal"
	watch_check "$a|$b and heal: '$losers' rejoined as new incarnations, $after owns"
}

# Two systems, equal weights.
SYSTEMS="SYSA SYSB"
sx up sysplex/topologies/two.lua >/dev/null || fail "sysplex up two.lua"
partition_round SYSA SYSB SYSA SYSB SYSA
grep -q "IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR SYSB REQUESTED BY SYSA. REASON: XCF SIGNALLING LOST (SFM WEIGHT)" \
	"/run/sysplex/$INST/SYSA/stack.log" || fail "SYSA did not partition SYSB out by the SFM policy"
sx down >/dev/null

# Two systems, SYSB heavier.
cat > "$tmp/two-weighted.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/two.lua")
t.systems[2].weight = 10
return t
LUA
sx up "$tmp/two-weighted.lua" >/dev/null || fail "sysplex up (SYSB WEIGHT 10)"
grep -q 'MEMBER SYSB TCPCS .* WEIGHT 10' "/run/sysplex/$INST/couple.cfg" || fail "no WEIGHT 10 in couple.cfg"
[ "$(slot SYSB SYSA weight)" = 10 ] || fail "SYSB's weight in the couple data set: $(slot SYSB SYSA weight)"
partition_round SYSA SYSB SYSB SYSA SYSA
sx down >/dev/null

# Four systems.
SYSTEMS="SYSA SYSB SYSC SYSD"
sx up sysplex/topologies/four.lua >/dev/null || fail "sysplex up four.lua"
partition_round SYSA,SYSB SYSC,SYSD SYSA "SYSC SYSD" SYSA
partition_round SYSA SYSB,SYSC,SYSD SYSB SYSA SYSA
exit 0

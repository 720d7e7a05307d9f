#!/usr/bin/env bash
# Proves (WHENIDLE on every way back): with SYSA's VIPADEFINE MOVEABLE
# WHENIDLE, whichever way SYSA lost the DVIPA and came back - a partition
# (partitioned out by SFM, rejoins after the heal), the couple data set lost
# (cds-loss, rejoins after cds-restore), LEAVEGROUP then JOINGROUP - it comes
# back as a new incarnation that owns nothing, and does not take the DVIPA
# back while SYSB still routes live connections; it takes it back once they
# have ended.  Never two owners at once.  (A restart: test_whenidle.sh; a
# hang: test_sfm_hang.sh.)
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'sfm_cleanup; cleanup; rm -rf "$tmp"' EXIT
. tests/netns/sfm_lib.sh
SYSTEMS="SYSA SYSB SYSC"
cat > "$tmp/topo.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("MOVEABLE IMMEDIATE", "MOVEABLE WHENIDLE")
return t
LUA
b_owns() { [ "$(owner_of SYSB SYSC)" = SYSB ]; }
a_back() { [ "$(slot SYSA SYSB status)" = ACTIVE ] && [ "$(member SYSA SYSB)" = ACTIVE ]; }

sx up "$tmp/topo.lua" >/dev/null || fail "sysplex up"
is_owner SYSA || fail "SYSA does not own the DVIPA after up"
base=47000
# path NAME 'OUT COMMAND' 'BACK COMMAND'
path() {
	local name=$1 out=$2 back=$3 ports n
	base=$((base + 10)); ports=$(seq $base $((base + 3)))
	watch_start "$DVIPA" $SYSTEMS
	eval "$out" >/dev/null || fail "$name: $out"
	poll_until 30 b_owns || fail "$name: SYSB did not take the DVIPA over (owner '$(owner_of SYSB SYSC)')"
	dl_start CLIENT1 $ports
	routed() { for p in $ports; do [ -n "$(routed_to SYSB $p)" ] || return 1; done; }
	poll_until 20 routed || fail "$name: SYSB does not route the downloads: $(routing_diag SYSB CLIENT1 $ports)"
	eval "$back" >/dev/null || fail "$name: $back"
	poll_until 30 a_back || fail "$name: SYSA did not come back ($(slot SYSA SYSB status), $(member SYSA SYSB))"
	n=$(whenidle_hold "$name" $ports) || exit 1
	dl_stop
	poll_until 30 is_owner SYSA || fail "$name: SYSA did not take the DVIPA back once SYSB was idle (owner '$(owner_of $SYSTEMS)')"
	listening $SYSTEMS
	watch_check "$name: SYSA back, waited $n samples while SYSB routed connections (WHENIDLE), then took the DVIPA back"
}
path "partition and heal" "sx partition SYSA SYSB,SYSC" "sx heal"
path "couple data set lost and restored" "sx cds-loss SYSA" "sx cds-restore SYSA"
path "LEAVEGROUP, JOINGROUP" "sx cmd --system SYSA 'V TCPIP,TCPCS,SYSPLEX,LEAVEGROUP'" \
	"sx cmd --system SYSA 'V TCPIP,TCPCS,SYSPLEX,JOINGROUP'"
exit 0

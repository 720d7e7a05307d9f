#!/usr/bin/env bash
# Proves (partitions): with the coupling bus over the LAN, an
# nftables partition between SYSA and {SYSB, SYSC} never leaves the DVIPA with
# two active owners at any sampled instant: Sysplex Failure Management keeps
# the heavier side, SYSA is partitioned out and gives the DVIPA up, and SYSB
# takes over; clients keep being served.  After the heal, still at most one
# owner at every sample, SYSA rejoins and takes the DVIPA back and service
# resumes.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
owners() {
	local n=0 who=""
	for s in SYSA SYSB SYSC; do
		if sx cmd --system $s SYSPLEX\$ROLE 2>/dev/null | grep -q "^$DVIPA ACTIVE DIST"; then n=$((n + 1)); who="$who$s"; fi
	done
	echo "$n $who"
}
# sample WANT: samples ownership, failing on two owners, until WANT is the
# only owner (at most 60 s), then 2 s more; leaves the last owner in $last.
sample() {
	local want=$1 deadline=$(( $(date +%s) + 60 )) end="" o
	while :; do
		o=$(owners); [ "${o%% *}" -le 1 ] || fail "two owners at once: $o"
		samples=$((samples + 1)); last=${o#* }
		if [ -z "$end" ]; then
			[ "$o" = "1 $want" ] && end=$(( $(date +%s%N) + 2000000000 ))
			[ -n "$end" ] || [ "$(date +%s)" -lt $deadline ] || fail "$want did not become the only owner (owners: $o)"
		elif [ "$(date +%s%N)" -ge "$end" ]; then
			break
		fi
	done
}
sx up >/dev/null || fail "sysplex up"
grep -q 'tcp://' "/run/sysplex/$INST/couple.cfg" || fail "the bus does not run over the LAN (couple.cfg)"
samples=0
sx partition SYSA SYSB,SYSC >/dev/null || fail "sysplex partition"
sample SYSB
[ "$last" = SYSB ] || fail "after the partition the owner is '$last' (want SYSB)"
ip netns exec "$INST-CLIENT1" curl -s -m 30 "http://[$DVIPA]:$PORT/" | grep -q SYS || fail "no service during the partition"
ok "partition: at most one owner in $samples samples, SYSB took over, clients served"
samples=0
sx heal >/dev/null || fail "sysplex heal"
sample SYSA
[ "$last" = SYSA ] || fail "after the heal the owner is '$last' (want SYSA, takeback)"
for i in 1 2 3; do ip netns exec "$INST-CLIENT2" curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/"; done | grep -c SYS | grep -qx 3 || fail "service did not resume after the heal"
ok "heal: at most one owner in $samples samples, SYSA took it back, service resumed"
exit 0

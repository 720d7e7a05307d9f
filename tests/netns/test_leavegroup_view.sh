#!/usr/bin/env bash
# Proves (group displays on a stack that did LEAVEGROUP): only that stack
# left, so its D XCF,GROUP,EZBTCPCS and D TCPIP,,SYSPLEX,GROUP show itself
# LEFT and the others as they are (ACTIVE: it still hears them), in text and
# JSON; its NETSTAT,VIPADYN lists no dynamic VIPA (they are deleted while it is
# out of the group; VIPADCFG keeps the definitions) instead of a BACKUP with
# an empty DISTSTAT.  Both for a target (SYSC) and for the routing stack
# (SYSA); after JOINGROUP everything is back.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
status_of() { cmdj "$1" "$2" | jq -r ".members[] | select(.mvsname == \"$3\") | .status"; }

sx up >/dev/null || fail "sysplex up"
for s in SYSC SYSA; do
	r=$(cmdj $s 'V TCPIP,TCPCS,SYSPLEX,LEAVEGROUP') || fail "$s: LEAVEGROUP: $r"
	for d in 'D XCF,GROUP,EZBTCPCS' 'D TCPIP,,SYSPLEX,GROUP'; do
		[ "$(status_of $s "$d" $s)" = LEFT ] || fail "$s: $d shows itself $(status_of $s "$d" $s), not LEFT"
		for o in SYSA SYSB SYSC; do
			[ $o = $s ] && continue
			want=ACTIVE; [ $o = SYSC ] && want=LEFT	# SYSC left first
			got=$(status_of $s "$d" $o)
			[ "$got" = "$want" ] || fail "$s left, yet $d on $s shows $o $got"
		done
		sx cmd --system $s "$d" | grep -q "^ *${s}TCPCS .*LEFT" ||
			fail "$s: text $d: $(sx cmd --system $s "$d" | tr '\n' ';')"
	done
	v=$(cmdj $s 'D TCPIP,TCPCS,NETSTAT,VIPADYN')
	[ "$(echo "$v" | jq .records)" = 0 ] && [ "$(echo "$v" | jq .member)" = false ] ||
		fail "$s left, yet NETSTAT,VIPADYN shows: $v"
	sx cmd --system $s 'D TCPIP,TCPCS,NETSTAT,VIPADYN' | grep -q 'EZZ8269I TCPCS IS NOT A MEMBER OF A SYSPLEX GROUP' ||
		fail "$s: text VIPADYN does not say it is out of the group"
	[ $s = SYSC ] || [ "$(cmdj $s 'D TCPIP,TCPCS,NETSTAT,VIPADCFG' | jq '.vipadcfg.define | length')" = 2 ] ||
		fail "$s: VIPADCFG lost the two VIPADEFINEs (IPv6, IPv4) while out of the group"
	ok "$s did LEAVEGROUP: its group displays show only itself LEFT, VIPADYN lists no dynamic VIPA"
done
for s in SYSA SYSC; do
	r=$(cmdj $s 'V TCPIP,TCPCS,SYSPLEX,JOINGROUP') || fail "$s: JOINGROUP: $r"
done
all() { for s in SYSA SYSB SYSC; do [ "$(status_of SYSB 'D XCF,GROUP,EZBTCPCS' $s)" = ACTIVE ] || return 1; done; }
poll_until 30 all || fail "not every stack is back in EZBTCPCS"
owner() { sx cmd --system SYSA 'SYSPLEX$ROLE' | grep -q "^$DVIPA ACTIVE DIST"; }
poll_until 30 owner || fail "SYSA did not take the DVIPA back after JOINGROUP"
[ "$(cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VIPADYN' | jq -r '.vipadyn[0].status')" = ACTIVE ] || fail "SYSA's VIPADYN after JOINGROUP"
ok "after JOINGROUP every stack is ACTIVE again and SYSA owns the DVIPA"
exit 0

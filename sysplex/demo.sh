#!/usr/bin/env bash
# demo.sh - `make demo`: starts the default emulated sysplex, shows a person
# connections spread over SYSA/SYSB/SYSC, the routing stack's VDPT and VCRT
# with live connections, a connection moving from "via SYSA" to "direct to
# the target" (Mobile IPv6 bypass), the same spread over IPv4 DVIPA 10.100.0.1
# (always routed: GRE over the IPv4 DYNAMICXCF addresses), then tears
# everything down.
set -u
BIN=${BIN:-bin}
BIN=$(cd "$BIN" && pwd)
INST=demo
DVIPA=fd00:100::1
DVIPA4=10.100.0.1
sx() { "$BIN/sysplex" --instance "$INST" "$@"; }
trap 'echo; echo "== sysplex down"; sx down' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then echo "make demo: run as root (namespaces, TUN devices)" >&2; exit 1; fi
sx down >/dev/null 2>&1
say "sysplex up  (SYSA routing stack, SYSB backup, SYSC; CLIENT1, CLIENT2; DVIPAs $DVIPA and $DVIPA4 port 8080)"
sx up || exit 1
sx status

say "D TCPIP,,SYSPLEX-style view of each stack (VIPADYN)"
for s in SYSA SYSB SYSC; do echo "-- $s"; sx cmd --system $s 'D TCPIP,TCPCS,NETSTAT,VIPADYN'; done

say "60 new connections: 30 from CLIENT1, 30 from CLIENT2 (curl http://[$DVIPA]:8080/)"
tmp=$(mktemp -d)
for c in CLIENT1 CLIENT2; do
	for i in $(seq 30); do echo "url = \"http://[$DVIPA]:8080/\""; done > "$tmp/$c.cfg"
	sx exec $c -- curl -s -m 10 -H 'Connection: close' -K "$tmp/$c.cfg" > "$tmp/$c.out"
done
printf '%-10s %6s %6s %6s\n' CLIENT SYSA SYSB SYSC
for c in CLIENT1 CLIENT2; do
	printf '%-10s %6d %6d %6d\n' $c "$(grep -cx SYSA "$tmp/$c.out")" "$(grep -cx SYSB "$tmp/$c.out")" "$(grep -cx SYSC "$tmp/$c.out")"
done

say "60 new IPv4 connections to $DVIPA4 (curl http://$DVIPA4:8080/): routed, in GRE to each target's IPv4 DYNAMICXCF address"
for c in CLIENT1 CLIENT2; do
	for i in $(seq 30); do echo "url = \"http://$DVIPA4:8080/\""; done > "$tmp/$c.cfg"
	sx exec $c -- curl -s -m 10 -H 'Connection: close' -K "$tmp/$c.cfg" > "$tmp/$c.out"
done
printf '%-10s %6s %6s %6s\n' CLIENT SYSA SYSB SYSC
for c in CLIENT1 CLIENT2; do
	printf '%-10s %6d %6d %6d\n' $c "$(grep -cx SYSA "$tmp/$c.out")" "$(grep -cx SYSB "$tmp/$c.out")" "$(grep -cx SYSC "$tmp/$c.out")"
done

say "D TCPIP,TCPCS,NETSTAT,VDPT  (on the routing stack: both DVIPAs)"
sx cmd 'D TCPIP,TCPCS,NETSTAT,VDPT'

say "6 slow downloads in flight; D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL"
for i in 1 2 3; do
	sx exec CLIENT1 -- curl -s -m 20 -o /dev/null "http://[$DVIPA]:8080/bytes/1000000?rate=200000" &
	sx exec CLIENT2 -- curl -s -m 20 -o /dev/null "http://[$DVIPA]:8080/bytes/1000000?rate=200000" &
done
# (wait until the 60 short connections above have left the table)
for i in $(seq 80); do
	[ "$(sx cmd --json 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq .records)" = 6 ] && break; sleep 0.1
done
sx cmd 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL'
echo "-- the same connections as SYSB sees them (a target shows those it terminates):"
sx cmd --system SYSB 'D TCPIP,TCPCS,NETSTAT,VCRT'
wait
say "after the downloads ended: VCRT"
for i in $(seq 50); do
	[ "$(sx cmd --json 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq .records)" = 0 ] && break; sleep 0.1
done
sx cmd 'D TCPIP,TCPCS,NETSTAT,VCRT'

say "Mobile IPv6 bypass (claim 1): one download from CLIENT1, watched as it moves off the routing stack"
echo "  (DVIPA1 has MOBILEIPV6: after the target reports the connection, SYSA runs the return"
echo "   routability test with the client and sends a Binding Update naming the target)"
t0=$(date +%s%N)
sx exec CLIENT1 -- curl -s -m 30 --local-port 45000 -o /dev/null "http://[$DVIPA]:8080/bytes/12000000?rate=3000000" &
last=""
for i in $(seq 400); do
	c=$(sx cmd --json 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jq -c '.vcrt[] | select(.sport == 45000)')
	[ -z "$c" ] && continue
	b=$(echo "$c" | jq -r .bypass); f=$(echo "$c" | jq -r .fwdpkts); d=$(echo "$c" | jq -r .destxcf)
	t=$(sx cmd --json 'D TCPIP,TCPCS,NETSTAT,VDPT' | jq -r ".vdpt[] | select(.destxcf == \"$d\") | .destname" | head -1 | sed 's/TCPCS$//')
	case $b in
	BOUND) line="direct to $t (care-of $(echo "$c" | jq -r .careof)), bound $(echo "$c" | jq -r .bound_after_ms) ms after the SYN; SYSA forwarded $f packets before, none since";;
	TESTING) line="via SYSA to $t: return routability test running ($f packets forwarded)";;
	*) line="via SYSA to $t ($f packets forwarded by the routing stack)";;
	esac
	[ "$line" != "$last" ] && printf '  %5d ms  [fd00:1::101]:45000  %s\n' $(( ($(date +%s%N) - t0) / 1000000 )) "$line"
	last=$line
	[ "$b" = BOUND ] && break
done
echo "-- CLIENT1's binding cache (client-agent --show):"
sx exec CLIENT1 -- "$BIN/client-agent" --show -d "/run/sysplex/$INST/CLIENT1"
wait
echo "-- after the download: the Binding Update with lifetime 0 deleted the entry:"
for i in $(seq 30); do
	[ "$(sx exec CLIENT1 -- "$BIN/client-agent" --show --json -d "/run/sysplex/$INST/CLIENT1" | jq .records)" = 0 ] && break; sleep 0.1
done
sx exec CLIENT1 -- "$BIN/client-agent" --show -d "/run/sysplex/$INST/CLIENT1"
echo "-- routing stack's Mobile IPv6 counters:"
sx cmd --json 'SYSPLEX$STATS' | jq -c .mip6
rm -rf "$tmp"

#!/usr/bin/env bash
# Proves: with TIMEDAFFINITY on the VIPADISTRIBUTE, every new connection of a
# client goes to the target of its previous one (10 of 10 from each client),
# while different clients can still land on different targets; when that
# target's listener goes, the client moves on.  Without it (the default
# topology, tested elsewhere) connections rotate.
. tests/netns/lib.sh
tmp=$(mktemp -d); trap 'cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/aff.lua" <<LUA
local t = dofile("$(pwd)/sysplex/topologies/default.lua")
t.systems[1].profile = t.systems[1].profile:gsub("DISTMETHOD ROUNDROBIN", "DISTMETHOD ROUNDROBIN TIMEDAFFINITY 30")
return t
LUA
sx up "$tmp/aff.lua" >/dev/null || fail "sysplex up"
for c in CLIENT1 CLIENT2; do
	for i in $(seq 10); do ip netns exec "$INST-$c" curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/"; done > "$tmp/$c"
	[ "$(sort -u "$tmp/$c" | wc -l)" = 1 ] || fail "$c spread over targets despite TIMEDAFFINITY: $(sort "$tmp/$c" | uniq -c)"
	ok "$c: 10 of 10 connections to $(head -1 "$tmp/$c")"
done
t=$(head -1 "$tmp/CLIENT1")
pid=$(awk -v h="$t" '$1 == "proc" && $2 == h && $3 == "httpd" {print $4}' "/run/sysplex/$INST/state")
kill "$pid"
rdy0() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VDPT' | jqe ".vdpt[] | select(.destname == \"${t}TCPCS\" and .rdy == 0)" >/dev/null; }
poll_until 30 rdy0 || fail "$t's Rdy did not drop"
r=$(ip netns exec "$INST-CLIENT1" curl -s -m 30 -H 'Connection: close' "http://[$DVIPA]:$PORT/")
[ -n "$r" ] && [ "$r" != "$t" ] || fail "with $t's listener gone the client got '$r'"
ok "listener gone on $t: CLIENT1's next connection went to $r"
exit 0

#!/usr/bin/env bash
# Proves (the coupling bus is authenticated): from a client host,
#  - a plain ZeroMQ SUB, and a CURVE SUB with a key of its own that knows the
#    members' public keys, connected to every member's bus endpoints, receive
#    nothing (no heartbeat, no incarnation) while the sysplex runs;
#  - a DEALER with SYSB's name as routing id, connected to SYSA's ROUTER,
#    sending forged VIPA_ADVs and TGT_CONNs as SYSB (in this envelope version
#    and the previous one), delivers nothing: SYSA keeps its DVIPA (the same
#    activation), no forged VCRT entry appears;
#  - the same from a CURVE client with a key that is not in the couple data
#    set: refused by SYSA's ZAP handler, counted and logged with its address;
#  - the keys: one per system, secret key files 0600 in each system's state
#    directory, public keys in the couple config and the couple data set; a
#    stack given a key that is not its own refuses to start;
#    `tcpip-stack --keygen DIR` makes a key file and prints its public key,
#    and never overwrites one.
# Against a build without authentication (the issue's finding) the first two
# fail: the SUB hears heartbeats and the forged TGT_CONN becomes a VCRT entry.
. tests/netns/lib.sh
XCFPROBE=${XCFPROBE:-build/tests/xcfprobe}
[ -x "$XCFPROBE" ] || fail "no $XCFPROBE (make builds it)"
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT

sx up >/dev/null || fail "sysplex up"
cfg=/run/sysplex/$INST/couple.cfg
key_of() { awk -v s="$1" '$1 == "MEMBER" && $2 == s { for (i = 5; i < NF; i++) if ($i == "KEY") print $(i + 1) }' "$cfg"; }
ep_of() { awk -v s="$1" '$1 == "MEMBER" && $2 == s { print $4 }' "$cfg"; }

# ---- the keys --------------------------------------------------------------------
for s in SYSA SYSB SYSC; do
	f=/run/sysplex/$INST/$s/xcf.key
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f has mode $(stat -c %a "$f")"
	k=$(key_of $s)
	[ ${#k} = 40 ] || fail "no KEY for $s in $cfg"
	grep -qxF "PUBLIC $k" "$f" || fail "$f is not the key pair of $s's KEY"
	[ "$(sqlite3 "/run/sysplex/$INST/cds.db" "select pubkey from cds_slot where sysname = '$s'")" = "$k" ] ||
		fail "the couple data set does not list $s's key"
done
[ "$(for s in SYSA SYSB SYSC; do key_of $s; done | sort -u | wc -l)" = 3 ] || fail "keys are not one per system"
ok "one key pair per system: secret keys 0600 in each state directory, public keys in couple.cfg and cds.db"

pub=$("$BIN/tcpip-stack" --keygen "$tmp" 2>"$tmp/keygen.err") || fail "--keygen: $(cat "$tmp/keygen.err")"
[ ${#pub} = 40 ] && grep -qxF "PUBLIC $pub" "$tmp/xcf.key" || fail "--keygen printed '$pub'"
[ "$(stat -c %a "$tmp/xcf.key")" = 600 ] || fail "--keygen made a key file of mode $(stat -c %a "$tmp/xcf.key")"
"$BIN/tcpip-stack" --keygen "$tmp" >/dev/null 2>"$tmp/keygen.err" && fail "--keygen overwrote a key file"
grep -q "exists already" "$tmp/keygen.err" || fail "--keygen's refusal: $(cat "$tmp/keygen.err")"
mkdir "$tmp/z"
out=$("$BIN/tcpip-stack" -p "/run/sysplex/$INST/SYSA/profile" -c "$cfg" -s SYSA -i lo -d "$tmp/z" \
	-k "$tmp/xcf.key" 2>&1) && fail "a stack started with a key that is not its own"
echo "$out" | grep -qF "belongs to public key $pub" || fail "wrong key refused without a reason: $out"
chmod 644 "$tmp/xcf.key"
out=$("$BIN/tcpip-stack" -p "/run/sysplex/$INST/SYSA/profile" -c "$cfg" -s SYSA -i lo -d "$tmp/z" \
	-k "$tmp/xcf.key" 2>&1) && fail "a stack started with a key file open to others"
echo "$out" | grep -q "mode 0644" || fail "open key file refused without a reason: $out"
ok "--keygen makes a 0600 key file and prints its public key, never overwrites; a wrong or open key is refused"

# ---- outsiders on the bus ------------------------------------------------------------
role_line() { sx cmd --system SYSA 'SYSPLEX$ROLE' | awk -v d="$DVIPA" '$1 == d'; }
since() { role_line | sed -n 's/.*SINCE=\([0-9]*\).*/\1/p'; }
s0=$(since)
[ -n "$s0" ] || fail "SYSA does not own $DVIPA: $(role_line)"
eps=""; keyed=""
for s in SYSA SYSB SYSC; do
	base=$(ep_of $s); k=$(key_of $s)
	grp=$(echo "$base" | awk -F: '{ p = $NF; sub(/:[0-9]+$/, ""); print $0 ":" p + 1 }')
	eps="$eps $base $grp"; keyed="$keyed -k $k $base -k $k $grp"
done
out=$(in_host CLIENT2 "$XCFPROBE" listen 3 $eps) || fail "xcfprobe listen"
[ "$out" = "frames 0" ] || fail "a plain SUB on the members' endpoints received: $out"
out=$(in_host CLIENT2 "$XCFPROBE" listen 3 $keyed) || fail "xcfprobe listen -k"
[ "$out" = "frames 0" ] || fail "a CURVE SUB with its own key received: $out"
ok "a plain SUB and a CURVE SUB with an unlisted key, on every member's endpoints, received nothing in 3 s"

a_rtr=$(ep_of SYSA)
b_grp=$(ep_of SYSB | awk -F: '{ p = $NF; sub(/:[0-9]+$/, ""); print $0 ":" p + 1 }')
refused() { cmdj SYSA 'SYSPLEX$STATS' | jq '.drops.xcf["XCF connection refused: key not a member'"'"'s"] // 0'; }
r0=$(refused)
forged() { cmdj SYSA 'D TCPIP,TCPCS,NETSTAT,VCRT,DETAIL' | jq -c '[.vcrt[] | select(.source == "fd00:1::99")]'; }
# watch_forged PID: samples SYSA's VCRT while the attack PID runs: a forged
# entry must never appear (the target's next full report would sweep it).
watch_forged() {
	local n=0 f
	while kill -0 "$1" 2>/dev/null; do
		f=$(forged)
		[ "$f" = "[]" ] || { kill "$1"; fail "a forged TGT_CONN made a VCRT entry: $f"; }
		n=$((n + 1)); sleep 0.2
	done
	[ $n -ge 5 ] || fail "only $n samples during the attack"
}
in_host CLIENT2 "$XCFPROBE" attack 6 "$a_rtr" "$b_grp" SYSBTCPCS "$DVIPA" > "$tmp/attack1" &
apid=$!
watch_forged $apid
wait $apid || fail "xcfprobe attack"
grep -q '^sub_frames 0 ' "$tmp/attack1" || fail "the attacker heard the bus: $(cat "$tmp/attack1")"
in_host CLIENT2 "$XCFPROBE" attack 6 "$a_rtr" "$b_grp" SYSBTCPCS "$DVIPA" "$(key_of SYSA)" > "$tmp/attack2" &
apid=$!
watch_forged $apid
wait $apid || fail "xcfprobe attack (CURVE)"
more_refused() { [ "$(refused)" -gt "$r0" ]; }
poll_until 30 more_refused ||
	fail "the unlisted key was not refused and counted: $(cmdj SYSA 'SYSPLEX$STATS' | jq -c .drops.xcf)"
grep -q 'XCF CONNECTION FROM .*fd00:1::102.* REFUSED: KEY .* IS NOT IN THE COUPLE DATA SET' \
	"/run/sysplex/$INST/SYSA/stack.log" || fail "the refused key is not logged with its address"
[ "$(since)" = "$s0" ] || fail "SYSA's ownership of $DVIPA changed: SINCE $s0 -> $(since) ($(role_line))"
for s in SYSA SYSB SYSC; do
	cmdj $s 'D XCF,GROUP,EZBTCPCS' | jqe '[.members[] | select(.status == "ACTIVE")] | length == 3' >/dev/null ||
		fail "$s's view of the group changed: $(cmdj $s 'D XCF,GROUP,EZBTCPCS' | jq -c .members)"
done
in_host CLIENT1 curl -s -m 30 "http://[$DVIPA]:$PORT/" | grep -q SYS || fail "the sysplex no longer serves"
ok "forged VIPA_ADV/TGT_CONN as SYSB (plain, and CURVE with an unlisted key: refused and counted, $(( $(refused) - r0 )) times) delivered nothing: SYSA kept $DVIPA, no forged VCRT entry"

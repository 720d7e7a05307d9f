# sfm_lib.sh - helpers of the Sysplex Failure Management tests (sourced after
# lib.sh, with $tmp set): an ownership watcher that does not depend on speed,
# endless paced downloads the test ends itself, and couple data set queries.

# ---- ownership watch ----------------------------------------------------------
# watch_start DVIPA SYS...: every system named is asked SYSPLEX$ROLE about
# every 50 ms, each by its own loop (a hung stack does not slow the others'
# samples).  An ACTIVE answer carries SINCE (its activation) and NOW (the
# answer) on the host's one monotonic clock: that stack owned the DVIPA all
# through [SINCE, NOW].  watch_stop prints every pair of such intervals of two
# systems that overlap by at least a millisecond (the clock's resolution: a
# handover in which one stack gives up and the other activates within the
# same millisecond shows as two intervals touching at one instant, which is
# no overlap) - two owners at the same instant, proven - and a last
# line "answers N active M doubles D".  Two answers taken at two instants of
# a handover never count: only overlapping proven ownership does.
watch_start() {
	local d=$1 s; shift
	WATCH_DIR=$(mktemp -d -p "$tmp")
	WATCH_PIDS=""
	for s in "$@"; do
		# One small perl loop per system talks to its ctl.sock directly (no
		# process per sample: the watch must not load the machine it
		# watches).
		perl -MIO::Socket::UNIX -MIO::Select -e '
			my ($sock, $dir, $sys, $dvipa) = @ARGV;
			$| = 1;
			while (-d $dir && ! -e "$dir/stop") {
				my $c = IO::Socket::UNIX->new(Peer => $sock);
				my $ans = "";
				if ($c) {
					print $c "SYSPLEX\$ROLE\n";
					my $sel = IO::Select->new($c);
					while ($sel->can_read(3)) {
						my $n = sysread($c, my $buf, 4096);
						last unless $n;
						$ans .= $buf;
					}
					close $c;
				}
				my ($line) = grep { /^\Q$dvipa\E ACTIVE DIST/ } split /\n/, $ans;
				if (open my $f, ">>", "$dir/answers") {
					print $f "$sys " . ($line // "none") . "\n";
					close $f;
				}
				select(undef, undef, undef, 0.05);
			}' "/run/sysplex/$INST/$s/ctl.sock" "$WATCH_DIR" "$s" "$d" &
		WATCH_PIDS="$WATCH_PIDS $!"
	done
}
watch_stop() {
	touch "$WATCH_DIR/stop"
	wait $WATCH_PIDS 2>/dev/null
	WATCH_PIDS=""
	awk '
	{ n++ }
	$2 != "none" {
		act++; s = $1; since = ""; now = ""
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^SINCE=/) since = substr($i, 7) + 0
			if ($i ~ /^NOW=/) now = substr($i, 5) + 0
		}
		if (since == "" || now == "") { print "answer without SINCE/NOW: " $0; d++; next }
		if ((s in cs) && cs[s] == since) { if (now > cl[s]) cl[s] = now }
		else { cs[s] = since; cl[s] = now }
		for (t in cs) {
			if (t == s) continue
			lo = cs[s] > cs[t] ? cs[s] : cs[t]
			hi = cl[s] < cl[t] ? cl[s] : cl[t]
			if (lo >= hi) continue
			k = s < t ? s ":" cs[s] ":" t ":" cs[t] : t ":" cs[t] ":" s ":" cs[s]
			if (k in seen) continue
			seen[k] = 1; d++
			printf "two owners: %s ACTIVE %d..%d and %s ACTIVE %d..%d\n", s, cs[s], cl[s], t, cs[t], cl[t]
		}
	}
	END { printf "answers %d active %d doubles %d\n", n, act, d + 0 }' "$WATCH_DIR/answers"
}
# sfm_cleanup: for the tests' EXIT trap (before lib.sh's cleanup, which keeps
# a failed test's logs): ends the watch loops and downloads a failed test
# left running.
sfm_cleanup() {
	[ -n "${WATCH_PIDS:-}" ] && kill $WATCH_PIDS 2>/dev/null
	WATCH_PIDS=""
	dl_stop
}
# watch_check WHAT: stops the watch and fails on two owners at once.
watch_check() {
	local out; out=$(watch_stop)
	echo "$out" | grep -q ' doubles 0$' || fail "$1: $(echo "$out" | tr '\n' ';')"
	ok "$1: never two owners at once ($(echo "$out" | tail -1))"
}

# ---- who owns, who serves --------------------------------------------------------
owner_of() { # SYS...: the systems reporting the DVIPA ACTIVE and distributing
	local s o=""
	for s in "$@"; do
		sx cmd --timeout 3 --system "$s" 'SYSPLEX$ROLE' 2>/dev/null | grep -q "^$DVIPA ACTIVE DIST" && o="$o $s"
	done
	echo $o
}
is_owner() { [ "$(owner_of $SYSTEMS)" = "$1" ]; }
serve() { # CLIENT: one new connection to the DVIPA, answered by a system
	ip netns exec "$INST-$1" curl -s -m 2 -H 'Connection: close' "http://[$DVIPA]:$PORT/" | grep -q '^SYS'
}
# served_within CLIENT MS T0: first new connection served after T0 (date
# +%s%N); prints the ms it took; fails after MS.
served_after() {
	local c=$1 limit=$2 t0=$3
	while :; do
		if ip netns exec "$INST-$c" curl -s -m 0.25 -H 'Connection: close' "http://[$DVIPA]:$PORT/" 2>/dev/null | grep -q '^SYS'; then
			echo $(( ($(date +%s%N) - t0) / 1000000 )); return 0
		fi
		[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt "$limit" ] || return 1
	done
}

# ---- endless paced downloads ------------------------------------------------------
# dl_start CLIENT PORT...: one held download per local port (held_url,
# 20 kB/s): it never ends by itself; dl_stop ends them all.
dl_start() {
	local c=$1 p; shift
	for p in "$@"; do
		ip netns exec "$INST-$c" curl -s -o "$tmp/dl.$p" --local-port "$p" \
			"$(held_url 20000)" &
		echo $! > "$tmp/dl.$p.pid"
	done
}
dl_size() { stat -c %s "$tmp/dl.$1" 2>/dev/null || echo 0; }
dl_alive() { kill -0 "$(cat "$tmp/dl.$1.pid")" 2>/dev/null; }
# dl_grows PORT...: every one is alive and receives at least 20 kB more
# (polled, generous deadline).
dl_grows() {
	local p deadline=$(( $(date +%s) + 20 )); declare -A base
	for p in "$@"; do base[$p]=$(dl_size "$p"); done
	for p in "$@"; do
		while [ "$(dl_size "$p")" -lt $(( ${base[$p]} + 20000 )) ]; do
			dl_alive "$p" || return 1
			[ "$(date +%s)" -lt "$deadline" ] || return 1
			sleep 0.1
		done
	done
}
dl_stop() {
	local f
	for f in "$tmp"/dl.*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	for f in "$tmp"/dl.*.pid; do [ -e "$f" ] && { wait "$(cat "$f")" 2>/dev/null; rm -f "$f"; }; done
	return 0
}
# listening SYS...: every system's sample server still listens on 8080 (the
# downloads the test ended must not have taken a server down).
listening() {
	local s
	for s in "$@"; do
		[ -n "$(ip netns exec "$INST-$s" ss -Hltn 'sport = :8080' 2>/dev/null)" ] ||
			fail "the sample server of $s no longer listens after the test ended its downloads ($(tail -3 "/run/sysplex/$INST/$s/httpd.log" | tr '\n' ' '))"
	done
}
# routed_to SYS PORT: the target (DYNAMICXCF address) the routing stack SYS
# has for the connection from local port PORT.
routed_to() {
	cmdj "$1" 'D TCPIP,TCPCS,NETSTAT,VCRT' | jq -r ".vcrt[] | select(.sport == $2) | .destxcf"
}

# whenidle_hold WHAT PORT...: for 3 s SYSB stays the owner (WHENIDLE: it
# routes the downloads on PORT...), and they keep flowing; prints the samples.
whenidle_hold() {
	local what=$1 n=0 o end=$(( $(date +%s) + 3 )); shift
	while [ "$(date +%s)" -lt "$end" ]; do
		o=$(owner_of $SYSTEMS); [ "$o" = SYSB ] || fail "$what: owner '$o' while SYSB still routes connections (WHENIDLE)"
		n=$((n + 1)); sleep 0.1
	done
	dl_grows "$@" || fail "$what: a download through SYSB stalled or ended"
	echo $n
}

# routing_diag SYS CLIENT PORT...: one line on where the downloads are, for
# a failure message: each port's target in SYS's VCRT (- when absent), the
# client's neighbour entry for the DVIPA, SYS's drop counters.
routing_diag() {
	local s=$1 c=$2 p; shift 2
	for p in "$@"; do echo -n "$p:$(routed_to "$s" "$p" | head -1) "; done
	echo -n "| $c neigh: $(ip netns exec "$INST-$c" ip -6 neigh show "$DVIPA" 2>/dev/null | tr '\n' ' ')"
	echo -n "| $s drops: $(cmdj "$s" 'SYSPLEX$STATS' 2>/dev/null | jq -c .drops.tun 2>/dev/null)"
	echo -n "| $s VDPT: $(cmdj "$s" 'D TCPIP,TCPCS,NETSTAT,VDPT' 2>/dev/null | jq -c '[.vdpt[] | [.destxcf, .rdy, .quiesced]]' 2>/dev/null)"
	echo -n "| stack drops: $(for t in $SYSTEMS; do echo -n "$t=$(cmdj "$t" 'SYSPLEX$STATS' 2>/dev/null | jq -c '.drops.stack' 2>/dev/null) "; done)"
	echo -n "| listeners: $(for t in $SYSTEMS; do echo -n "$t=$(ip netns exec "$INST-$t" ss -Hltn 'sport = :8080' 2>/dev/null | awk '{print $4}' | tr '\n' ',') "; done)"
	echo -n "| roles: $(for t in $SYSTEMS; do echo -n "$t=$(sx cmd --timeout 2 --system $t 'SYSPLEX$ROLE' 2>/dev/null | cut -d' ' -f2,3 | tr '\n' ' ')"; done)"
	echo "| curls alive: $(for p in "$@"; do dl_alive "$p" && echo -n "$p "; done)"
}

# ---- the couple data set -------------------------------------------------------------
# slot SYS FROM FIELD: a field of SYS's slot in the couple data set as FROM
# reads it (D XCF,COUPLE).
slot() { cmdj "$2" 'D XCF,COUPLE' | jq -r ".slots[] | select(.system == \"$1\") | .$3"; }
# member SYS FROM: SYS's status in EZBTCPCS as FROM sees it.
member() { cmdj "$2" 'D XCF,GROUP,EZBTCPCS' | jq -r ".members[] | select(.mvsname == \"$1\") | .status"; }

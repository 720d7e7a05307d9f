#!/usr/bin/env bash
# Proves `make install` and `make uninstall` (PREFIX, DESTDIR, manifest):
#  1. `make install DESTDIR=$tmp PREFIX=/usr/local` puts the programs, the
#     manual pages, the scenarios, the topologies, the docs and the systemd
#     units where sysplex(8) says, and its manifest names exactly the files
#     it wrote and the directories it made;
#  2. the installed programs run from there: their --version is the build's,
#     the installed pages render with `man -l`, the installed tcpip-stack
#     checks a profile, the units pass `systemd-analyze verify`; and the
#     installed launcher, run from / with no source tree to look in, builds
#     the default sysplex from its shipped topology with the daemons next to
#     it (the stacks' executables are the installed ones) and the DVIPA
#     serves; a scenario's up("two.lua") finds the shipped two.lua;
#  3. `make uninstall` removes exactly that: $tmp is left as it was before
#     (a directory and a file that were there before the install stay),
#     also after installing twice; a DESTDIR that does not exist is made.
. tests/netns/lib.sh
top=$(pwd)
tmp=$(mktemp -d) work=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp" "$work"' EXIT
san=0; [ "$(basename "$BIN")" = bin-san ] && san=1
mk() { make -s --no-print-directory -C "$top" SANITIZE=$san PREFIX=/usr/local DESTDIR="$tmp" "$@"; }
P=$tmp/usr/local
# Something of the admin's under the prefix, before the install.
mkdir -p "$P/share/man" && echo mine > "$P/share/man/keep"
(cd "$tmp" && find . | sort) > "$work/before"

# 1. Install.
mk install > "$work/install.out" 2>&1 || fail "make install: $(tail -5 "$work/install.out")"
for f in sbin/sysplex sbin/tcpip-stack sbin/client-agent sbin/sysplex-httpd; do
	[ -x "$P/$f" ] || fail "$P/$f is not installed or not executable"
done
for f in man8/sysplex.8 man8/tcpip-stack.8 man8/client-agent.8 man8/sysplex-httpd.8 \
	 man5/sysplex-profile.5 man7/sysplex-lua.7; do
	[ -f "$P/share/man/$f" ] || fail "manual page $f is not installed"
done
for f in lua-scripts/*.lua sysplex/topologies/*.lua; do
	[ -f "$P/share/sysplex/$(basename "$(dirname "$f")")/$(basename "$f")" ] || fail "$f is not installed"
done
for u in tcpip-stack@.service client-agent@.service sysplex-cds@.service; do
	[ -f "$P/lib/systemd/system/$u" ] || fail "unit $u is not installed"
done
manifest=$P/share/sysplex/install-manifest
[ -f "$manifest" ] || fail "no manifest $manifest"
(cd "$tmp" && find . -type f ! -path ./usr/local/share/man/keep | sed 's|^\.||' | sort) > "$work/files"
sed -n 's/^f //p' "$manifest" | sort > "$work/listed"
grep -qx "${manifest#$tmp}" "$work/files" && sed -i "\|^${manifest#$tmp}\$|d" "$work/files"
diff "$work/files" "$work/listed" > "$work/diff" || fail "the manifest does not list exactly the files installed: $(cat "$work/diff")"
grep -q '^d /usr/local/share/man$' "$manifest" && fail "the manifest claims share/man, which existed before"
ok "installed $(wc -l < "$work/listed") files, every one in the manifest, and only those"

# 2. Run the installed programs.
for p in sysplex tcpip-stack client-agent sysplex-httpd; do
	[ "$("$P/sbin/$p" --version)" = "$("$BIN/$p" --version)" ] || fail "installed $p --version differs from the build's"
done
for f in "$P"/share/man/man*/*; do
	[ "$(MANWIDTH=80 man -l "$f" 2>&1 >/dev/null)" = "" ] || fail "man -l $f complains"
	MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q '^NAME' || fail "man -l $f renders no NAME"
done
printf 'IPCONFIG6 DYNAMICXCF fd00:10::1\nVIPADYNAMIC\n VIPADEFINE MOVEABLE IMMEDIATE DVIPA1 fd00:100::1\nENDVIPADYNAMIC\n' > "$work/p"
"$P/sbin/tcpip-stack" -n "$work/p" | grep -q 'VIPADEFINE' || fail "the installed tcpip-stack -n does not check a profile"
for u in tcpip-stack client-agent sysplex-cds; do
	# The units name /usr/local/sbin; verify a copy that names the DESTDIR.
	sed "s|/usr/local/sbin|$P/sbin|g" "$P/lib/systemd/system/$u@.service" > "$work/$u@.service"
	systemd-analyze verify --man=no "$work/$u@X.service" > "$work/verify" 2>&1 ||
		fail "systemd-analyze verify $u@.service: $(cat "$work/verify")"
done
ok "installed programs run (--version $("$P/sbin/sysplex" --version)); pages render; units verify"

sxi() { (cd / && env -u SYSPLEX_HOME -u SYSPLEX_BIN_DIR "$P/sbin/sysplex" --instance "$INST" "$@"); }
sxi up --timeout 60 > "$work/up.out" 2>&1 || fail "installed sysplex up: $(tail -5 "$work/up.out")"
grep -q "$P/share/sysplex/topologies/default.lua" "$work/up.out" "/run/sysplex/$INST/couple.cfg" ||
	fail "the installed launcher did not use its shipped default topology: $(cat "$work/up.out")"
pid=$(sxi status --json | jq -r '[.hosts[] | select(.name == "SYSA") | .daemons[] | select(.role == "stack") | .pid][0]')
[ "$(readlink "/proc/$pid/exe")" = "$P/sbin/tcpip-stack" ] || fail "SYSA's stack runs $(readlink "/proc/$pid/exe"), not the installed one"
name=$(in_host CLIENT1 curl -s -m 20 "http://[$DVIPA]:$PORT/") && [ -n "$name" ] || fail "the DVIPA does not serve"
ok "installed launcher: default topology from share/sysplex, stack $P/sbin/tcpip-stack, DVIPA served by $name"
sxi down > /dev/null 2>&1 || fail "installed sysplex down"
cat > "$work/scenario.lua" <<'LUA'
up("two.lua")
expect(#systems() == 2, "up(\"two.lua\") is the shipped two-system topology")
LUA
sxi run --timeout 120 "$work/scenario.lua" > "$work/run.out" 2>&1 || fail "up(\"two.lua\"): $(tail -5 "$work/run.out")"
ok "a scenario's up(\"two.lua\") found the shipped topology"

# 3. Uninstall, also after a second install.
mk install > "$work/install2.out" 2>&1 || fail "second make install: $(tail -5 "$work/install2.out")"
mk uninstall > "$work/uninstall.out" 2>&1 || fail "make uninstall: $(tail -5 "$work/uninstall.out")"
(cd "$tmp" && find . | sort) > "$work/after"
diff "$work/before" "$work/after" > "$work/diff" || fail "make uninstall left or removed something: $(cat "$work/diff")"
[ "$(cat "$P/share/man/keep")" = mine ] || fail "the admin's file under share/man is gone"
mk uninstall > /dev/null 2>&1 && fail "a second make uninstall found a manifest"
# A DESTDIR that does not exist yet is made (and stays: it is not the install's).
make -s --no-print-directory -C "$top" SANITIZE=$san DESTDIR="$work/new/root" install > "$work/new.out" 2>&1 ||
	fail "make install into a new DESTDIR: $(tail -3 "$work/new.out")"
make -s --no-print-directory -C "$top" SANITIZE=$san DESTDIR="$work/new/root" uninstall > /dev/null 2>&1 &&
	[ -z "$(ls -A "$work/new/root")" ] || fail "install/uninstall into a new DESTDIR left $(ls -A "$work/new/root")"
ok "make uninstall left $tmp as it was before the install"

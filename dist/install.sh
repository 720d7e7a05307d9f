#!/bin/sh
# install.sh - `make install` and `make uninstall`, with a manifest.
#
#   install.sh install MANIFEST MODE SRC DEST [MODE SRC DEST ...]
#   install.sh uninstall MANIFEST
#
# DEST and MANIFEST are paths on the installed system; $DESTDIR is put in
# front of every path written or removed.  install copies each SRC to DEST
# with MODE and records in MANIFEST every file it wrote ("f PATH") and every
# directory it had to create ("d PATH"; DESTDIR itself is made when
# missing, and not recorded); installing again adds to the manifest.  uninstall removes exactly the files recorded, then the recorded
# directories that are empty (the deepest first), then the manifest: what
# was there before the first install stays.
set -eu
D=${DESTDIR:-}

fail() { echo "install.sh: $*" >&2; exit 1; }

case "${1:-}" in
install)
	[ $# -ge 2 ] && [ $(( ($# - 2) % 3 )) = 0 ] || fail "usage: install.sh install MANIFEST [MODE SRC DEST]..."
	manifest=$2; shift 2
	new=$(mktemp); trap 'rm -f "$new"' EXIT
	[ -f "$D$manifest" ] && cat "$D$manifest" > "$new"
	# mkdirs PATH: creates the missing directories of PATH, outermost
	# first, and records each.
	# DESTDIR itself, when missing, is made and not recorded.
	mkdirs() {
		[ -d "$D$1" ] && return 0
		if [ "$1" = / ]; then
			mkdir -p "$D" || fail "cannot create $D"
			return 0
		fi
		mkdirs "$(dirname "$1")"
		mkdir "$D$1" || fail "cannot create $D$1"
		echo "d $1" >> "$new"
	}
	mkdirs "$(dirname "$manifest")"
	while [ $# -gt 0 ]; do
		mode=$1 src=$2 dest=$3; shift 3
		[ -f "$src" ] || fail "$src is missing (run make first)"
		mkdirs "$(dirname "$dest")"
		install -m "$mode" "$src" "$D$dest"
		echo "  INSTALL $D$dest"
		echo "f $dest" >> "$new"
	done
	# Each path once, in the order first recorded.
	awk '!seen[$0]++' "$new" > "$D$manifest"
	;;
uninstall)
	[ $# = 2 ] || fail "usage: install.sh uninstall MANIFEST"
	manifest=$2
	[ -f "$D$manifest" ] || fail "no manifest $D$manifest: nothing installed with this PREFIX and DESTDIR"
	dirs=$(sed -n 's/^d //p' "$D$manifest" | sort -r)
	while read -r kind path; do
		[ "$kind" = f ] || continue
		rm -f "$D$path" && echo "  REMOVE  $D$path"
	done < "$D$manifest"
	rm -f "$D$manifest"
	# The directories install created, the deepest first, when empty.
	echo "$dirs" | while IFS= read -r dir; do
		[ -n "$dir" ] && rmdir "$D$dir" 2>/dev/null && echo "  RMDIR   $D$dir"
		true
	done
	;;
*)
	fail "usage: install.sh install|uninstall MANIFEST ..."
	;;
esac

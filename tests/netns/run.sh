#!/usr/bin/env bash
# run.sh - runs every tests/netns/test_*.sh (each builds and removes its own
# emulated sysplex) and prints "N passed, M failed".  LONG=1 adds the
# long_*.sh variants.  Needs root.
set -u
cd "$(dirname "$0")/../.."
export BIN=${BIN:-bin}
if [ "$(id -u)" != 0 ]; then echo "tests/netns: must run as root" >&2; exit 1; fi
pass=0; failed=0; names=""
tests=$(ls tests/netns/test_*.sh)
[ "${LONG:-0}" = 1 ] && tests="$tests $(ls tests/netns/long_*.sh 2>/dev/null)"
for t in $tests; do
	echo "== $t"
	start=$(date +%s)
	if timeout 600 bash "$t"; then
		echo "   PASS $t ($(( $(date +%s) - start )) s)"; pass=$((pass + 1))
	else
		echo "   FAIL $t ($(( $(date +%s) - start )) s)"; failed=$((failed + 1)); names="$names $t"
	fi
done
[ -n "$names" ] && echo "failed:$names"
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]

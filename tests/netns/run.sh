#!/usr/bin/env bash
# run.sh - runs every tests/netns/test_*.sh (each builds and removes its own
# emulated sysplex) and prints "N passed, M failed".  LONG=1 adds the
# long_*.sh variants.  The tests run in the default data path (the kernel
# fast path where it loads); the data path's own tests (distribution,
# bypass, takeover, target failure, partition, IPv4) run a second time with
# DATAPATH=TUN.  DATAPATH=BPF|TUN in the environment runs everything in that
# one data path only.  Needs root.
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
# The data path's tests again with DATAPATH TUN (every packet through the
# daemons' TUNs; the runs above take the default, the kernel fast path).
if [ -z "${DATAPATH:-}" ]; then
	for t in test_distribution test_bypass test_takeover test_target_failure test_partition test_ip4; do
		t=tests/netns/$t.sh
		echo "== $t (DATAPATH TUN)"
		start=$(date +%s)
		if DATAPATH=TUN timeout 600 bash "$t"; then
			echo "   PASS $t TUN ($(( $(date +%s) - start )) s)"; pass=$((pass + 1))
		else
			echo "   FAIL $t TUN ($(( $(date +%s) - start )) s)"; failed=$((failed + 1)); names="$names $t(TUN)"
		fi
	done
fi
[ -n "$names" ] && echo "failed:$names"
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# stress.sh - `make test-stress`: runs a command (the test suite) while every
# CPU is kept busy, as on a slow, loaded machine.
#
#   tests/stress.sh COMMAND [ARG...]
#
# Starts `stress-ng --cpu N` (N = nproc, STRESS_CPUS overrides) at nice 19,
# so the suite still progresses but competes for every core; runs COMMAND;
# always stops the load (trap, also on Ctrl-C), and prints how long COMMAND
# took under load.  Exits with COMMAND's status.
set -u
command -v stress-ng >/dev/null || { echo "test-stress: stress-ng is missing (make deps)" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: tests/stress.sh COMMAND [ARG...]" >&2; exit 2; }
n=${STRESS_CPUS:-$(nproc)}
# Its own session, so that the trap can stop stress-ng and its workers as a group.
setsid nice -n 19 stress-ng --cpu "$n" --quiet &
spid=$!
stop() {
	kill -TERM -- "-$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}
trap stop EXIT
trap 'exit 130' INT TERM
# The workers are running once the group has n + 1 processes.
for _ in $(seq 100); do
	[ "$(pgrep -c -g "$spid" 2>/dev/null || echo 0)" -gt "$n" ] && break
	sleep 0.1
done
echo "test-stress: stress-ng --cpu $n at nice 19 (process group $spid); load average $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
"$@"
rc=$?
secs=$(( $(date +%s) - start ))
echo "test-stress: the suite took $((secs / 60)) min $((secs % 60)) s under load (exit $rc; load average $(cut -d' ' -f1-3 /proc/loadavg))"
exit $rc

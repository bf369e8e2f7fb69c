#!/usr/bin/env bash
set -euo pipefail
if [ "${RTC_NETNS:-}" = 1 ]; then exec "$@"; fi
export RTC_NETNS=1
# A network namespace (lo, a veth pair, a default route: Firefox gathers
# nothing without one) and a PID namespace: when the command ends or is
# killed (meson's timeout), every process it started (browsers, pipelines,
# peers) is killed with it instead of loading the machine for the next test.
# /proc is the PID namespace's own (--mount-proc): a test or bench that
# reads /proc/<pid> of a process it started finds that process.
exec unshare --net --pid --fork --kill-child --mount-proc bash -c 'ip link set lo up; ip link add rtc0 type veth peer name rtc1; ip addr add 10.213.0.1/24 dev rtc0; ip addr add 10.213.0.2/24 dev rtc1; ip link set rtc0 up; ip link set rtc1 up; ip route add default dev rtc0; exec "$@"' bash "$@"

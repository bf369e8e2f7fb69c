#!/usr/bin/env bash
set -euo pipefail
if [ "${RTC_NETNS:-}" = 1 ]; then exec "$@"; fi
export RTC_NETNS=1
exec unshare --net bash -c 'ip link set lo up; ip link add rtc0 type veth peer name rtc1; ip addr add 10.213.0.1/24 dev rtc0; ip addr add 10.213.0.2/24 dev rtc1; ip link set rtc0 up; ip link set rtc1 up; ip route add default dev rtc0; exec "$@"' bash "$@"

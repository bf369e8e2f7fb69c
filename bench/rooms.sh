#!/usr/bin/env bash
# Rooms of 2, 4, 6 headless Chromium participants in a webrtcroom hosted by
# gst-launch-1.0, in a private network namespace: server CPU/RSS per
# participant, join time, glass-to-glass latency against a direct
# Chromium pair in the same run. Builds first; prints a table, writes JSON
# (bench/out/rooms-<date>.json unless --json FILE). See bench/README.md.
#   bash bench/rooms.sh [--sizes 2,4,6] [--seconds 20] [--pair-seconds 15]
#                       [--settle 10] [--fps 24] [--room 'PROP=VALUE ...'] [--json FILE]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/build.sh build >/dev/null
[ -d tests/browser/node_modules ] || (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
export GST_PLUGIN_PATH="$here/build/ext/rtcbridge"
export GST_REGISTRY="$here/build/bench-registry.dat"
export GST_DEBUG="${GST_DEBUG:-*:1}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
exec bash tests/netns-run.sh node bench/rooms.mjs "$@"

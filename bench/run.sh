#!/usr/bin/env bash
# Runs the benchmarks and prints their figures (never pass/fail on speed).
#   bash bench/run.sh [ttff|chromium|fanout|ice-share|stats|fanout-shared|joiners|churn|cycles|latency|ingest|data|cc|rooms|voice|crowd|fuzz]...
#   (default: all but fuzz and cycles)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/build.sh build >/dev/null
[ -d tests/browser/node_modules ] || (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
export GST_PLUGIN_PATH="$here/build/ext/rtcbridge"
export GST_REGISTRY="$here/build/bench-registry.dat"
export GST_DEBUG="${GST_DEBUG:-*:1}"
what=${*:-ttff chromium fanout ice-share latency ingest data cc rooms voice crowd joiners churn}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
echo "software: $(gst-launch-1.0 --version | sed -n 2p), $(chromium --version 2>/dev/null | head -1)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo
for w in $what; do
  case "$w" in
    ttff) bash tests/netns-run.sh build/bench/bench-ttff --sessions 30 --codec VP8 ;;
    chromium) bash tests/netns-run.sh node bench/ttff_chromium.mjs 20 ;;
    fanout) [ -d bench/node_modules ] || (cd bench && npm ci --no-audit --no-fund --loglevel=error)
            bash tests/netns-run.sh node bench/fanout.mjs ;;
    joiners) [ -d bench/node_modules ] || (cd bench && npm ci --no-audit --no-fund --loglevel=error)
             bash tests/netns-run.sh node bench/fanout.mjs --joiners 100 --within 10 ;;
    churn) [ -d bench/node_modules ] || (cd bench && npm ci --no-audit --no-fund --loglevel=error)
           bash tests/netns-run.sh node bench/fanout.mjs --churn 100 --env MALLOC_ARENA_MAX=1 ;;
    cycles) [ -d bench/node_modules ] || (cd bench && npm ci --no-audit --no-fund --loglevel=error)
            bash tests/netns-run.sh node bench/fanout.mjs --churn 1000 ;;
    stats) [ -d bench/node_modules ] || (cd bench && npm ci --no-audit --no-fund --loglevel=error)
           bash tests/netns-run.sh node bench/fanout.mjs --stats-cost 3 --steps 1,16 ;;
    ice-share) build/bench/bench-ice-share ;;
    fanout-shared) bash tests/netns-run.sh /usr/bin/python3 bench/fanout.py --viewers-bin build/bench/bench-viewers ;;
    latency) bash tests/netns-run.sh build/bench/bench-latency --seconds 10 ;;
    ingest) bash tests/netns-run.sh build/bench/bench-ingest-ttff --sessions 20
            bash tests/netns-run.sh build/bench/bench-ingest-ttff --sessions 20 --latency 0 ;;
    data) bash tests/netns-run.sh node bench/datachannel.mjs 50 3 ;;
    cc) bash tests/netns-run.sh node bench/cc.mjs variable tcp fairness ;;
    rooms) bash tests/netns-run.sh node bench/rooms.mjs ;;
    voice) bash tests/netns-run.sh /usr/bin/python3 bench/voice.py ;;
    crowd) bash tests/netns-run.sh /usr/bin/python3 bench/crowd.py ;;
    # the libFuzzer targets, 400 s each (about 20 million executions in all)
    fuzz) bash scripts/run-fuzz.sh "${FUZZ_SECONDS:-400}" ;;
    *) echo "unknown benchmark $w" >&2; exit 2 ;;
  esac
  echo
done

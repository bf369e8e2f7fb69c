#!/usr/bin/env bash
# The examples start, announce their page, and serve it.
#   examples-smoke.sh PUBLISH_BINARY EXAMPLES_DIR
set -uo pipefail
bin=$1
dir=$2
fail=0
check() { # name stream command...
  local name=$1 stream=$2; shift 2
  local log; log=$(mktemp)
  "$@" >"$log" 2>&1 &
  local pid=$!
  local url=""
  for _ in $(seq 100); do
    url=$(grep -o 'http://[0-9.:]*/\(view\|publish\)/[a-z]*' "$log" | head -1)
    [ -z "$url" ] || break
    grep -q "webrtc\(publish\|subscribe\)-listening" "$log" && url=$(sed -n 's/.*url=(string)\(http[^,;]*\).*/\1/p' "$log" | head -1) && break
    sleep 0.1
  done
  if [ -n "$url" ] && curl -sf "$(echo "$url" | sed 's,\(http://[^/]*\)/.*,\1,')/streams.json" | grep -q "\"$stream\""; then
    echo "PASS: $name ($url)"
  else
    echo "FAIL: $name"; cat "$log"; fail=1
  fi
  kill -INT $pid 2>/dev/null
  for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then echo "FAIL: $name did not stop on SIGINT"; kill -9 $pid; fail=1; fi
  wait $pid 2>/dev/null
  rm -f "$log"
}
check publish.c live "$bin" 0
check publish.py live /usr/bin/python3 "$dir/publish.py" 0
out=$(mktemp -d)
check ingest.sh live bash "$dir/ingest.sh" file "$out" 0
check receive_camera.py live env SINKS=fake /usr/bin/python3 "$dir/receive_camera.py" 0
check relay.sh cam bash "$dir/relay.sh" receive 127.0.0.1
rm -rf "$out"
exit $fail

#!/usr/bin/env bash
# The examples start, announce their page, and serve it.
#   examples-smoke.sh PUBLISH_BINARY EXAMPLES_DIR
set -uo pipefail
bin=$1
dir=$2
fail=0
check() { # name command...
  local name=$1; shift
  local log; log=$(mktemp)
  "$@" >"$log" 2>&1 &
  local pid=$!
  local url=""
  for _ in $(seq 100); do
    url=$(grep -o 'http://[0-9.:]*/view/live' "$log" | head -1)
    [ -z "$url" ] || break
    grep -q "webrtcpublish-listening" "$log" && url=$(sed -n 's/.*url=(string)\(http[^,;]*\).*/\1/p' "$log" | head -1) && break
    sleep 0.1
  done
  if [ -n "$url" ] && curl -sf "${url%/view/live}/streams.json" | grep -q '"live"'; then
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
check publish.c "$bin" 0
check publish.py /usr/bin/python3 "$dir/publish.py" 0
exit $fail

#!/usr/bin/env bash
# The examples start, announce their page, and serve it; the two
# "bring your own signalling" programs stream to each other.
#   examples-smoke.sh PUBLISH_BINARY EXAMPLES_DIR SIGNALLER_BINARY
set -uo pipefail
bin=$1
dir=$2
signaller=$3
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

# Bring your own signalling: signaller.c and signaller.py speak one protocol
# over TCP; each one's publisher streams to the other's subscriber, which
# must decode 60 video frames. (signaller.py needs the GstRtc-1.0 typelib:
# GI_TYPELIB_PATH and LD_LIBRARY_PATH from tests/meson.build.)
logs=$(mktemp -d)
python_signaller=(/usr/bin/python3 "$dir/signaller.py")
py=signaller.py
if ! /usr/bin/python3 -c 'import gi; gi.require_version("GstRtc", "1.0")' 2>/dev/null; then
  echo "SKIP: signaller.py (built without introspection: no GstRtc-1.0 typelib); signaller.c in its place"
  python_signaller=("$signaller")
  py=signaller.c
fi
sig_fail() { # what logs...
  echo "FAIL: $1"; shift
  for f in "$@"; do echo "--- $(basename "$f")"; cat "$f"; done
  fail=1
}
sig_stop() { # name pid log: SIGINT, and it exits 0 within 5 s
  kill -INT "$2" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$2" 2>/dev/null; then
    kill -9 "$2"; wait "$2" 2>/dev/null; sig_fail "$1 did not stop on SIGINT" "$3"
  elif ! wait "$2"; then
    sig_fail "$1 failed after SIGINT" "$3"
  fi
}
sig_wait() { # name pid log seconds: it exits 0 by itself within the time
  for _ in $(seq $(($4 * 10))); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$2" 2>/dev/null; then
    kill -9 "$2"; wait "$2" 2>/dev/null; sig_fail "$1 did not stop in time" "$3"
  elif wait "$2"; then
    echo "PASS: $1"
  else
    sig_fail "$1 failed" "$3"
  fi
}

# C publisher -> Python subscriber. The publisher starts first and retries
# until the port opens; when the first subscriber has gone, a second one on
# the same port gets a new session from the same publisher.
"$signaller" connect 127.0.0.1:7001 >"$logs/c-pub" 2>&1 &
pub=$!
for n in 1 2; do
  "${python_signaller[@]}" serve 7001 --frames 60 --timeout 20 >"$logs/py-sub$n" 2>&1 &
  sig_wait "signaller.c -> $py, subscriber $n" $! "$logs/py-sub$n" 25
done
grep -q "went away" "$logs/c-pub" || sig_fail "signaller.c: no word that the peer went away" "$logs/c-pub"
sig_stop "signaller.c connect" $pub "$logs/c-pub"

# Python publisher -> C subscriber; the publisher stops after --seconds.
"$signaller" serve 7002 --frames 60 --timeout 20 >"$logs/c-sub" 2>&1 &
sub=$!
"${python_signaller[@]}" connect 127.0.0.1:7002 --seconds 8 >"$logs/py-pub" 2>&1 &
pub=$!
sig_wait "$py -> signaller.c" $sub "$logs/c-sub" 25
sig_wait "$py connect --seconds" $pub "$logs/py-pub" 10

# No publisher: --frames fails after --timeout.
if "$signaller" serve 7003 --frames 1 --timeout 1 >"$logs/alone" 2>&1; then
  sig_fail "signaller.c serve --frames: success without a publisher" "$logs/alone"
fi
if "${python_signaller[@]}" serve 7003 --frames 1 --timeout 1 >"$logs/alone" 2>&1; then
  sig_fail "$py serve --frames: success without a publisher" "$logs/alone"
fi
rm -rf "$logs"
exit $fail

#!/usr/bin/env bash
# The whole test suite: installs what is needed, builds with warnings as
# errors, checks formatting, runs every test (unit, in-process end to end,
# HTTP bad input, data channels, headless Chromium and Firefox, aiortc), then runs the end-to-end tests
# again under AddressSanitizer/UBSan. Prints "N passed, N failed" last.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

bash scripts/install-deps.sh || exit 1
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || exit 1

passed=0
failed=0
record() { # name status
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS: $1"; else failed=$((failed + 1)); echo "FAIL: $1"; fi
}

bash scripts/check-format.sh
record format $?

if bash scripts/build.sh build; then
  meson test -C build --print-errorlogs --num-processes 2
  st=$?
  # meson's own summary has the per-test counts; count each test here too
  while read -r name result; do
    case "$result" in OK) record "$name" 0 ;; SKIP) echo "SKIP: $name"; failed=$((failed + 1)) ;; *) record "$name" 1 ;; esac
  done < <(python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    print(t["name"].split(" / ")[-1].replace(" ", "_"), t["result"])
PY
)
  [ $st -eq 0 ] || echo "meson test exited $st"
else
  record build 1
fi

# The in-process end-to-end tests again, under ASan + UBSan.
if bash scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dexamples=disabled \
    -Dintrospection=disabled; then
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build-asan --print-errorlogs --num-processes 1 --suite check \
    webrtcpublish_e2e webrtcpublish_http webrtcsubscribe_e2e webrtcsubscribe_http webrtcdata \
    rtcgcc_element signallers
  record asan-e2e $?
else
  record build-asan 1
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

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
# Why each failed test failed, from meson's log: its failure lines (check's
# ":F:"/":E:", assertions, "not ok", errors) and its last lines, printed
# again at the end where a short CI log excerpt still shows them.
reasons=""
failure_reasons() { # testlog.json
  reasons+=$(python3 - "$1" <<'PY'
import json, re, sys
pat = re.compile(r':[FE]:|not ok|Assertion|assert|ERROR|Error|error:|FAIL|timed out|Timeout', re.I)
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["result"] in ("OK", "EXPECTEDFAIL"):
        continue
    out = (t.get("stdout") or "") + (t.get("stderr") or "")
    lines = out.splitlines()
    hits = [l for l in lines if pat.search(l)][-12:]
    print(f"--- {t['name'].split(' / ')[-1]}: {t['result']} after {t.get('duration', 0):.0f} s")
    # What a test printed to explain its first failure ("diag ..." lines).
    diags = [l for l in lines if l.startswith("diag ")][:20]
    for l in diags + hits + ["  (last lines)"] + lines[-6:]:
        print("  " + l[:300])
    # A crash: the crashed thread's stack (tests/check/lib/rtctestcrash.c).
    text = "\n".join(lines)
    for block in re.split(r"\n(?=Thread \d+ )", text):
        if "rtc_test_on_crash" in block:
            print("  (the crashed thread)")
            for l in block.splitlines()[:40]:
                print("  " + l[:300])
PY
)$'\n'
}
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
  failure_reasons build/meson-logs/testlog.json
else
  record build 1
fi

# The in-process end-to-end tests again, under ASan + UBSan, two at a time:
# they mostly wait (timeouts, peers), so their times are about those of the
# main run (2026-12-05: 257 s in all, against 480 s one at a time).
if bash scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dexamples=disabled \
    -Dintrospection=disabled; then
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 --suite check \
    webrtcpublish_e2e webrtcpublish_http webrtcsubscribe_e2e webrtcsubscribe_http webrtcdata \
    webrtcdata_control \
    rtcgcc_element signallers
  st=$?
  record asan-e2e $st
  [ $st -eq 0 ] || failure_reasons build-asan/meson-logs/testlog.json
else
  record build-asan 1
fi

# The libFuzzer targets, 15 s each, in their own clang build directory
# (tests/fuzz; only the targets and the sources they call are built there).
bash scripts/run-fuzz.sh 15
record fuzz $?

if [ -n "${reasons//[$'\n']/}" ]; then
  echo
  echo "Why the failed tests failed:"
  printf '%s' "$reasons"
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

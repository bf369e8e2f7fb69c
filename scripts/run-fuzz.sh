#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and
# UBSan in their own build directory, and runs each for a while on a copy of
# its seed corpus (the git tree is never written). Prints each target's
# executions and crashes; exits non-zero on any crash or build failure.
#   bash scripts/run-fuzz.sh [SECONDS_PER_TARGET] [BUILD_DIR] [TARGET...]
# Defaults: 20 s, build-fuzz, every target.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
seconds=${1:-20}
builddir=${2:-build-fuzz}
shift 2 2>/dev/null || shift $#
targets=${*:-fuzz_offer fuzz_sdpfrag fuzz_navigation fuzz_link_header fuzz_gcc fuzz_room_message fuzz_jwt}

work=$(mktemp -d "${TMPDIR:-/tmp}/rtc-fuzz.XXXXXX")
if [ ! -f "$builddir/build.ninja" ]; then
  # Only tests/fuzz is built in this directory (ninja's "fuzz" alias), so
  # the options only need to let meson configure the rest.
  CC=clang CXX=clang++ meson setup "$builddir" -Dfuzz=enabled -Db_sanitize=address,undefined \
      -Db_lundef=false -Dexamples=disabled -Dintrospection=disabled >"$work/setup.log" 2>&1 || {
    cat "$work/setup.log"; echo "run-fuzz: meson setup failed"; exit 1; }
fi
ninja -C "$builddir" -j2 fuzz || { echo "run-fuzz: build failed"; exit 1; }
# A GLib critical is a crash; leaks are reported (libFuzzer checks each input).
export G_DEBUG=fatal-criticals
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export GST_DEBUG=${GST_DEBUG:-*:0}
total=0
crashed=0
summary=""
for t in $targets; do
  bin="$builddir/tests/fuzz/$t"
  [ -x "$bin" ] || { echo "run-fuzz: no target $t"; exit 2; }
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp tests/fuzz/corpus/"$t"/* "$work/$t/corpus/" 2>/dev/null || true
  { timeout $((seconds + 120)) "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" \
    >"$work/$t/log" 2>&1; } 2>/dev/null
  st=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -1)
  crashes=$(find "$work/$t/artifacts" -type f | wc -l)
  if [ "$st" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  total=$((total + ${execs:-0}))
  line=$(printf '%-18s %10s executions  %d crashes  (%s s, %d inputs in corpus)' "$t" \
    "${execs:-?}" "$crashes" "$seconds" "$(find "$work/$t/corpus" -type f | wc -l)")
  echo "$line"
  summary+="$line"$'\n'
  if [ "$crashes" -ne 0 ]; then
    crashed=$((crashed + 1))
    grep -E -A25 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error|CRITICAL|deadly signal' \
      "$work/$t/log" | head -60
    ls "$work/$t/artifacts"
  fi
done
if [ "$crashed" -ne 0 ]; then
  echo
  printf '%s' "$summary"
fi
echo "fuzz: $total executions in total, $crashed target(s) crashed"
if [ "$crashed" -ne 0 ]; then
  echo "fuzz: logs and crashing inputs kept in $work (add a fixed input to tests/fuzz/corpus/<target>/)"
  exit 1
fi
rm -rf "$work"

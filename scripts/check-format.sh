#!/usr/bin/env bash
# Fails when a C/C++ source is not formatted by the committed .clang-format.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
files=$(git ls-files '*.cpp' '*.h' '*.c' 2>/dev/null || find gst ext tests bench examples -name '*.cpp' -o -name '*.h')
clang-format --dry-run -Werror $files
echo "format: $(echo "$files" | wc -w) files checked"

#!/usr/bin/env bash
# Configures (once) and builds the project into the given directory.
#   bash scripts/build.sh [builddir] [extra meson options...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
builddir=${1:-build}
shift || true
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" -Dwerror=true "$@"
fi
ninja -C "$builddir"

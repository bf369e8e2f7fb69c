#!/usr/bin/env bash
# Installs every Debian package the project needs to build, run and test.
# Idempotent and non-interactive; safe to run again. Needs root (or sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  # build
  build-essential pkg-config meson ninja-build clang-format git
  # GStreamer 1.22 and the plugins the elements use at run time
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice gstreamer1.0-tools
  # the embedded server, JSON, ICE, JSON Web Tokens
  libsoup-3.0-dev libjson-glib-dev libnice-dev libjwt-dev
  # the public library's introspection data (GstRtc-1.0 typelib, used from Python)
  gobject-introspection libgirepository1.0-dev gir1.2-gst-plugins-bad-1.0
  # tests
  check libssl-dev valgrind gdb iproute2 procps curl openssl chromium firefox-esr python3 python3-aiortc python3-prometheus-client python3-websockets python3-numpy python3-gi gir1.2-gst-plugins-base-1.0 gir1.2-gstreamer-1.0
  # a real SFU to publish into and subscribe from (the Janus VideoRoom signaller tests)
  janus
  # a real TURN server (tests/browser/turn.test.mjs: relayed viewers, short-lived credentials;
  # certutil puts the test CA of its TLS listener in the browser's certificate store)
  coturn libnss3-tools
  # the libFuzzer targets (tests/fuzz): clang 14 and its runtimes (libFuzzer,
  # ASan, UBSan), which clang only recommends
  clang libclang-rt-14-dev
  # benchmarks (plots of the congestion control runs)
  time python3-matplotlib
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js + npm for the browser test driver (playwright-core); the machine may already have them.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

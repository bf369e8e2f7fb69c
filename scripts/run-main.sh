#!/usr/bin/env bash
# The main job: install what is needed, build, and publish a live test
# pattern with a tone through the embedded server. Open the printed URL.
#   bash scripts/run-main.sh [extra webrtcpublish properties, e.g. port=9000]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

bash scripts/install-deps.sh
bash scripts/build.sh build

export GST_PLUGIN_PATH="$here/build/ext/rtcbridge${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
port=8080
for arg in "$@"; do
  case "$arg" in port=*) port=${arg#port=} ;; esac
done
echo
echo "Publishing a test pattern with audio. Open http://127.0.0.1:${port}/ in a browser"
echo "(the viewer page for this stream: http://127.0.0.1:${port}/view/live). Ctrl+C stops."
echo
exec gst-launch-1.0 -e \
  videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1 ! \
  webrtcpublish name=pub "$@" \
  audiotestsrc is-live=true wave=ticks ! pub.

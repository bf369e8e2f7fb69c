#!/usr/bin/env bash
# Data channels from gst-launch-1.0 (docs/reference.md, "Data channels").
#
#   examples/data.sh subtitles [FILE.srt] [PORT]
#       A test pattern with subtitles beside it on the "subtitles" channel:
#       each one leaves at its time (the pad syncs to the clock), and the
#       viewer page shows them in its Data panel. Default file:
#       examples/sample.srt.
#   examples/data.sh chatlog FILE [PORT]
#       Every chat message viewers send from the viewer page, one line each,
#       appended to FILE as it arrives.
#
# PORT defaults to 8080; 0 picks a free one (see the webrtcpublish-listening
# message). Then open http://127.0.0.1:PORT/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:-}
case "$mode" in
  subtitles)
    srt=${2:-$here/sample.srt}
    port=${3:-8080}
    exec gst-launch-1.0 -m \
      videotestsrc is-live=true ! video/x-raw,width=640,height=360 ! webrtcpublish name=pub port="$port" \
      filesrc location="$srt" ! subparse ! pub.data_send_subtitles
    ;;
  chatlog)
    log=${2:?usage: data.sh chatlog FILE [PORT]}
    port=${3:-8080}
    # data_recv_chat::newline=true sets the pad's property once the pad exists.
    exec gst-launch-1.0 -e -m \
      videotestsrc is-live=true ! video/x-raw,width=640,height=360 \
      ! webrtcpublish name=pub port="$port" data_recv_chat::newline=true \
      pub.data_recv_chat ! filesink location="$log" append=true buffer-mode=unbuffered
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac

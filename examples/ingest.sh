#!/usr/bin/env bash
# Broadcast ingest: OBS, a browser or any WHIP client publishes to
#   http://<host>:<port>/whip/live
# and the stream is written without re-encoding (H.264 passed through,
# decode=false) while publishers come and go:
#   file: an MP4 with video and Opus audio that keeps growing across
#         reconnects; Ctrl-C finishes it
#   hls:  HLS segments and a playlist (video), for any HLS player or CDN
#
#   examples/ingest.sh file|hls [OUTDIR] [PORT] [ADDRESS]
#                       (defaults: ./ingest 8080 127.0.0.1)
# Use ADDRESS 0.0.0.0 to accept publishers from other machines; then set a
# token (TOKEN=... in the environment) and give OBS the same Bearer Token.
set -euo pipefail
mode=${1:-}
out=${2:-ingest}
port=${3:-8080}
address=${4:-127.0.0.1}
token=${TOKEN:+auth-token=$TOKEN}
mkdir -p "$out"
src="webrtcsubscribe name=in stream-name=live address=$address port=$port $token \
codec-preferences=H264,OPUS decode=false"
case "$mode" in
  file)
    # shellcheck disable=SC2086
    exec gst-launch-1.0 -e -m $src \
      in.video_0 ! queue ! h264parse ! mp4mux name=mux ! filesink location="$out/recording.mp4" \
      in.audio_0 ! queue ! opusparse ! mux.
    ;;
  hls)
    # shellcheck disable=SC2086
    exec gst-launch-1.0 -e -m $src \
      in.video_0 ! queue ! h264parse ! hlssink2 location="$out/segment%05d.ts" \
        playlist-location="$out/playlist.m3u8" target-duration=2 max-files=30
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac

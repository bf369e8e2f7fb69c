#!/usr/bin/env bash
# Broadcast ingest: OBS, a browser or any WHIP client publishes to
#   http://<host>:<port>/whip/<name>
# and the stream is written, without re-encoding, to an MP4 file and to HLS
# segments, while publishers come and go (the file keeps growing across
# reconnects). Ctrl-C finishes the file.
#
#   examples/ingest.sh [OUTDIR] [PORT] [ADDRESS]     (defaults: ./ingest 8080 127.0.0.1)
# Use ADDRESS 0.0.0.0 to accept publishers from other machines (set a token:
# add auth-token=... below, and give OBS the same "Bearer Token").
set -euo pipefail
out=${1:-ingest}
port=${2:-8080}
address=${3:-127.0.0.1}
mkdir -p "$out"
# H.264 only, passed through (decode=false): what OBS and browsers send
# for broadcast. Opus audio goes into the MP4.
exec gst-launch-1.0 -e -m \
  webrtcsubscribe name=in stream-name=live address="$address" port="$port" \
    codec-preferences=H264,OPUS decode=false \
  in.video_0 ! h264parse config-interval=-1 ! tee name=v \
    v. ! queue ! mp4mux name=mux fragment-duration=1000 ! filesink location="$out/recording.mp4" \
    v. ! queue ! hlssink2 location="$out/segment%05d.ts" playlist-location="$out/playlist.m3u8" \
         target-duration=2 max-files=30 \
  in.audio_0 ! queue ! opusparse ! mux.

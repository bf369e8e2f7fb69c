#!/usr/bin/env bash
# What webrtcroom's noise-suppression costs: CPU per second of audio for
# webrtcdsp (noise suppression alone, as the room sets it up, level high)
# over a minute of white noise at 48 kHz in 10 ms buffers, mono and stereo,
# against the same pipeline without it, in the same run.
set -euo pipefail
cpu_s() { # the pipeline's user + system CPU seconds
  /usr/bin/time -f '%U %S' gst-launch-1.0 -q audiotestsrc wave=white-noise num-buffers=6000 \
    samplesperbuffer=480 ! "audio/x-raw,rate=48000,channels=$1,format=S16LE" ! $2 fakesink \
    2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'
}
DSP='webrtcdsp echo-cancel=false gain-control=false noise-suppression=true noise-suppression-level=high !'
for ch in 1 2; do
  base=$(cpu_s "$ch" '')
  with=$(cpu_s "$ch" "$DSP")
  awk -v ch="$ch" -v b="$base" -v w="$with" 'BEGIN {
    printf "channels=%d: %.1f ms CPU per second of audio with noise suppression, %.1f without (%.1f ms/s for it)\n",
      ch, w * 1000 / 60, b * 1000 / 60, (w - b) * 1000 / 60 }'
done

#!/usr/bin/env bash
# Relay between two machines over WebRTC (WHIP), no other server needed.
#
# On the receiving machine (B): receive over WHIP and serve the stream to
# browsers again over WHEP (view it at http://B:8080/view/cam):
#   examples/relay.sh receive [ADDRESS] [TOKEN]
# On the sending machine (A): a camera (or a test pattern) pushed to B:
#   examples/relay.sh send http://B:8080/whip/cam [TOKEN]
#
# ADDRESS defaults to 0.0.0.0 (reachable from A); TOKEN, when given, must
# match on both sides. A reconnects by itself with back-off when B restarts.
# Over plain HTTP a token crosses the network in clear text: the elements
# refuse that unless told (insecure-auth=true, set here for a trusted LAN;
# use HTTPS — tls-certificate-file on B, an https:// URL on A — elsewhere).
set -euo pipefail
mode=${1:-}
case "$mode" in
  receive)
    address=${2:-0.0.0.0}
    token=${3:+auth-token=$3 insecure-auth=true}
    # decode=false + the same codec on both legs: relayed without re-encoding.
    exec gst-launch-1.0 -e -m \
      webrtcsubscribe name=in stream-name=cam address="$address" port=8080 $token \
        codec-preferences=VP8,OPUS decode=false \
      webrtcpublish name=out stream-name=cam address="$address" port=8080 \
        codec-preferences=VP8,OPUS \
      in.video_0 ! queue ! out. \
      in.audio_0 ! queue ! out.
    ;;
  send)
    url=${2:?the receiver WHIP URL, e.g. http://B:8080/whip/cam}
    token=${3:+auth-token=$3 insecure-auth=true}
    if [ -e /dev/video0 ]; then video="v4l2src ! videoconvert"; else video="videotestsrc is-live=true"; fi
    # shellcheck disable=SC2086
    exec gst-launch-1.0 -e -m \
      $video ! video/x-raw,width=1280,height=720 ! webrtcpublish name=pub whip-url="$url" $token \
      audiotestsrc is-live=true wave=ticks ! pub.
    ;;
  *)
    sed -n '2,12p' "$0"
    exit 2
    ;;
esac

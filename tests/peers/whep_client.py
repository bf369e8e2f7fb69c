#!/usr/bin/python3
"""A WHEP client on aiortc, an independent WebRTC stack: watches a stream,
decodes video frames (and audio), reports one JSON line, DELETEs the session.

  whep_client.py URL [--frames N] [--timeout S] [--audio]
                 [--expect-width W] [--expect-height H] [--token T] [--retry-503 S]
Exit 0 when the frames (and audio) arrived with the expected size."""
import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def http(method, url, body=None, content_type=None, token=None):
    req = urllib.request.Request(url, data=body, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode(errors="replace")


async def run(args):
    result = {"ok": False, "frames": 0, "width": 0, "height": 0, "audio_frames": 0,
              "first_frame_ms": None, "delete_status": None}
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    if args.audio:
        pc.addTransceiver("audio", direction="recvonly")
    tracks = {}
    got_tracks = asyncio.Event()

    @pc.on("track")
    def on_track(track):
        tracks[track.kind] = track
        if "video" in tracks and (not args.audio or "audio" in tracks):
            got_tracks.set()

    await pc.setLocalDescription(await pc.createOffer())  # gathers candidates
    t0 = time.monotonic()
    while True:
        status, headers, body = await asyncio.to_thread(
            http, "POST", args.url, pc.localDescription.sdp.encode(), "application/sdp", args.token)
        # A busy server (503) says when to come back: with --retry-503, do.
        if status != 503 or time.monotonic() - t0 >= args.retry_503:
            break
        result["refused"] = result.get("refused", 0) + 1
        await asyncio.sleep(float(headers.get("Retry-After") or headers.get("retry-after") or 1))
    result["admitted_ms"] = round((time.monotonic() - t0) * 1000)
    if status != 201:
        result.update(status=status, error=body.strip())
        await pc.close()
        return result, 2
    location = headers.get("Location") or headers.get("location")
    location = urllib.parse.urljoin(args.url, location) if location else None
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    log("answer received, session", location)

    async def video():
        await got_tracks.wait()
        while result["frames"] < args.frames:
            frame = await tracks["video"].recv()
            if result["frames"] == 0:
                result["first_frame_ms"] = round((time.monotonic() - t0) * 1000)
            result["frames"] += 1
            result["width"], result["height"] = frame.width, frame.height

    async def audio():
        await got_tracks.wait()
        while result["audio_frames"] < 10:
            await tracks["audio"].recv()
            result["audio_frames"] += 1

    try:
        jobs = [video()] + ([audio()] if args.audio else [])
        await asyncio.wait_for(asyncio.gather(*jobs), args.timeout)
    except asyncio.TimeoutError:
        log("timed out after", args.timeout, "s")
    if args.metrics_url and location:
        # The server's /metrics beside what this peer received: packets
        # counted here before and after the scrape (aiortc counts no bytes).
        async def received():
            n = 0
            for st in (await pc.getStats()).values():
                if st.type == "inbound-rtp":
                    n += st.packetsReceived + max(st.packetsLost, 0)
            return n
        before = await received()
        status, _, text = await asyncio.to_thread(http, "GET", args.metrics_url,
                                                  token=args.token)
        after = await received()
        result["metrics"] = {"status": status, "text": text,
                             "session": location.rstrip("/").rsplit("/", 1)[-1],
                             "received_before": before, "received_after": after}
    if location:
        result["delete_status"] = (await asyncio.to_thread(http, "DELETE", location,
                                                           token=args.token))[0]
    await pc.close()

    missing = []
    if result["frames"] < args.frames:
        missing.append("%d of %d video frames" % (result["frames"], args.frames))
    if args.audio and result["audio_frames"] < 10:
        missing.append("%d of 10 audio frames" % result["audio_frames"])
    if args.expect_width and result["width"] != args.expect_width:
        missing.append("width %d, expected %d" % (result["width"], args.expect_width))
    if args.expect_height and result["height"] != args.expect_height:
        missing.append("height %d, expected %d" % (result["height"], args.expect_height))
    result["ok"] = not missing
    if missing:
        result["error"] = "; ".join(missing)
    return result, 0 if result["ok"] else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url")
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--audio", action="store_true")
    p.add_argument("--expect-width", type=int)
    p.add_argument("--expect-height", type=int)
    p.add_argument("--token")
    p.add_argument("--metrics-url", help="scrape this /metrics once the frames are in (the "
                   "result's 'metrics': the text and the packets received around it)")
    p.add_argument("--retry-503", type=float, default=0,
                   help="on 503, try again after Retry-After for up to this many seconds")
    args = p.parse_args()
    try:
        result, code = asyncio.run(asyncio.wait_for(run(args), args.timeout + 15))
    except Exception as e:  # network errors, timeouts: one clean JSON line
        result, code = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}, 2
    print(json.dumps(result), flush=True)
    sys.exit(code)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A WHIP publisher on aiortc, an independent WebRTC stack: sends a moving
320x240 test picture (and a tone) to a WHIP URL for a while, then DELETEs
its session. Reports one JSON line.

  whip_publisher.py URL [--seconds S] [--width W] [--height H] [--token T]"""
import argparse
import asyncio
import fractions
import json
import math
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import av
import numpy
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack


class Pattern(VideoStreamTrack):
    """Frames of the requested size whose content changes every frame."""

    def __init__(self, width, height):
        super().__init__()
        self.width, self.height, self.n = width, height, 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        img = numpy.zeros((self.height, self.width, 3), numpy.uint8)
        x = (self.n * 4) % self.width
        img[:, x:x + 16, :] = 255
        img[:, :, 1] = (self.n * 3) % 256
        self.n += 1
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class Tone(AudioStreamTrack):
    async def recv(self):
        frame = await super().recv()
        samples = frame.samples
        t = numpy.arange(samples) / 48000.0
        data = (numpy.sin(2 * math.pi * 440 * t) * 8000).astype(numpy.int16)
        out = av.AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
        out.sample_rate, out.pts, out.time_base = 48000, frame.pts, fractions.Fraction(1, 48000)
        return out


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
    result = {"ok": False, "status": None, "connected": False, "delete_status": None}
    pc = RTCPeerConnection()
    pc.addTransceiver(Pattern(args.width, args.height), direction="sendonly")
    pc.addTransceiver(Tone(), direction="sendonly")
    connected = asyncio.Event()

    @pc.on("connectionstatechange")
    def on_state():
        if pc.connectionState == "connected":
            connected.set()

    await pc.setLocalDescription(await pc.createOffer())  # gathers candidates
    status, headers, body = await asyncio.to_thread(
        http, "POST", args.url, pc.localDescription.sdp.encode(), "application/sdp", args.token)
    result["status"] = status
    if status != 201:
        result["error"] = body.strip()
        await pc.close()
        return result, 2
    location = headers.get("Location") or headers.get("location")
    location = urllib.parse.urljoin(args.url, location)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    try:
        await asyncio.wait_for(connected.wait(), 20)
        result["connected"] = True
    except asyncio.TimeoutError:
        result["error"] = "did not connect"
    if result["connected"]:
        await asyncio.sleep(args.seconds)
    status, _, _ = await asyncio.to_thread(http, "DELETE", location, None, None, args.token)
    result["delete_status"] = status
    await pc.close()
    result["ok"] = result["connected"] and status == 200
    return result, 0 if result["ok"] else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--token")
    args = p.parse_args()
    t0 = time.monotonic()
    result, code = asyncio.run(run(args))
    result["elapsed_s"] = round(time.monotonic() - t0, 2)
    print(json.dumps(result), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())

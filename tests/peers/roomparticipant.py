#!/usr/bin/python3
"""A room participant on aiortc, an independent WebRTC stack: speaks the room
protocol (docs/room-protocol.md) to a room hosted by webrtcroom, publishes a
synthetic camera and/or microphone and counts what it decodes of everyone
else's tracks.

  roomparticipant.py ws://127.0.0.1:PORT/room/NAME --name Aio [--token T]
                     [--seconds N] [--video] [--audio] [--leave-after N]
                     [--size WxH] [--fps F]

Prints one JSON line per second on stdout, and a last one (with "final":
true) on exit:
  {"id", "name", "state", "roster": [{id, name, pipeline, tracks}],
   "tracks": [{mid, participant, track, kind, label, active, direction,
               frames, width, height, samples}],
   "published": [{mid, kind, label}], "errors": [...]}
"roster" lists everyone else in the room (not this participant). A track
entry is one remote track as the room's description.tracks maps it to a mid;
"active" is false once the room stopped sending it (its m-line inactive or
recycled), "direction" is the room's direction on that m-line in its latest
offer (sendonly, inactive), "frames" counts decoded video frames or audio
frames (20 ms of Opus each), "samples" decoded audio samples.

Exit status: 0 when it ran as asked (joined, stayed, left) and nothing went
wrong; 1 when it ran but errors were recorded (an `error` from the room, a
description aiortc could not take); 2 when it could not join or the room
closed the socket. The reasons go to stderr (and to "errors").

This client never offers: it publishes on the room's first offer's receiving
m-lines and answers every offer of the room. Usable as a library too:
RoomParticipant(url, name, video=True, ...).run(seconds, leave_after, cb).

What aiortc 1.4 (Debian's python3-aiortc) needs, besides the protocol
(details at fix_room_offer and _refresh_receivers):
  * webrtcbin offers every bundled m-line but the first with port 0 and
    a=bundle-only (RFC 8843). aiortc 1.4 does not look at the port, so that
    works as is; the lines still get port 9 before aiortc sees them, so that
    an aiortc that reads port 0 as "rejected" keeps working.
  * aiortc 1.4 refuses an offer whose a=setup is not actpass. The room's
    offers say actpass as long as the client never offered (always, here);
    after a client's own offer the room keeps the DTLS role of the first
    exchange and may offer a=setup:passive: rewritten to actpass (aiortc's
    DTLS transport keeps its role, the answer says active again).
  * aiortc gathers before its answer is set and writes the candidates in the
    SDP; it never trickles. The room takes the answer's candidates (webrtcbin
    adds those of the first, bundling, m-line); they are also sent as
    `candidate` messages and then null (--no-trickle: SDP only).
  * aiortc registers a receiving m-line's SSRCs only once: an m-line the room
    recycles for another track (new SSRCs, the same payload type as other
    lines) would lose its packets; the SSRCs of every room offer are
    registered again.
  * Not in aiortc 1.4: transport-wide congestion control (the TWCC extension
    and transport-cc are left out of the answer: the room gets no TWCC
    feedback from aiortc), VP9 (a room whose only video codec is VP9 cannot
    be joined: "Failed to set remote video description send parameters"),
    simulcast, ICE-TCP (the room's TCP candidates are skipped).
"""
import argparse
import asyncio
import fractions
import json
import re
import signal
import sys
import time

import av
import numpy
import websockets
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp

PROTOCOL = "rtcbridge-room.v1"
KEEPALIVE_S = 5.0


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---- synthetic media ----

class PatternVideoTrack(VideoStreamTrack):
    """A moving pattern: a horizontal gradient that scrolls, a white square
    that runs along a diagonal, the chroma slowly cycling. yuv420p straight
    from numpy (no colour conversion)."""

    def __init__(self, width=320, height=240, fps=15):
        super().__init__()
        self.width, self.height, self.fps = width & ~1, height & ~1, fps
        self.count = 0
        x = numpy.arange(self.width, dtype=numpy.uint16)
        self._ramp = numpy.tile((x * 255 // max(1, self.width - 1)).astype(numpy.uint8),
                                (self.height, 1))

    async def next_timestamp(self):
        # VideoStreamTrack's clock is fixed at 30 fps; this one runs at self.fps.
        if self.readyState != "live":
            raise MediaStreamError
        step = 90000 // self.fps
        if hasattr(self, "_timestamp"):
            self._timestamp += step
            wait = self._start + self._timestamp / 90000 - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        else:
            self._start = time.time()
            self._timestamp = 0
        return self._timestamp, fractions.Fraction(1, 90000)

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        w, h, n = self.width, self.height, self.count
        self.count += 1
        y = numpy.roll(self._ramp, (n * 4) % w, axis=1)
        side = max(8, min(w, h) // 6)
        px = (n * 5) % max(1, w - side)
        py = (n * 3) % max(1, h - side)
        y[py:py + side, px:px + side] = 235
        u = numpy.full((h // 2, w // 2), 128 + int(60 * numpy.sin(n / 20)), numpy.uint8)
        v = numpy.full((h // 2, w // 2), 128 + int(60 * numpy.cos(n / 20)), numpy.uint8)
        data = numpy.concatenate([y, u.reshape(-1, w), v.reshape(-1, w)])
        frame = av.VideoFrame.from_ndarray(data, format="yuv420p")
        frame.pts = pts
        frame.time_base = time_base
        return frame


class ToneAudioTrack(AudioStreamTrack):
    """A sine tone, 48 kHz mono s16, 20 ms per frame."""

    def __init__(self, frequency=440.0, rate=48000):
        super().__init__()
        self.frequency, self.rate = frequency, rate
        self.samples = rate // 50
        self._phase = 0

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        if hasattr(self, "_timestamp"):
            self._timestamp += self.samples
            wait = self._start + self._timestamp / self.rate - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        else:
            self._start = time.time()
            self._timestamp = 0
        t = (self._phase + numpy.arange(self.samples)) / self.rate
        self._phase += self.samples
        pcm = (numpy.sin(2 * numpy.pi * self.frequency * t) * 8000).astype(numpy.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self._timestamp
        frame.time_base = fractions.Fraction(1, self.rate)
        return frame


# ---- SDP helpers ----

def sdp_sections(sdp):
    """The m-sections of @sdp: [{kind, port, mid, direction, used, ssrcs, fid}]."""
    out = []
    for text in re.split(r"\r?\nm=", sdp)[1:]:
        head = text.split("\n", 1)[0].split()
        kind, port = head[0], int(head[1])
        mid = re.search(r"\na=mid:(\S+)", text)
        dirm = re.search(r"\na=(sendrecv|sendonly|recvonly|inactive)\b", text)
        # Port 0 with a=bundle-only (RFC 8843, what webrtcbin offers for
        # every bundled m-line but the first) is in use; port 0 alone is not.
        used = port != 0 or re.search(r"\na=bundle-only\b", text) is not None
        ssrcs = []
        for s in re.findall(r"\na=ssrc:(\d+) ", text):
            if int(s) not in ssrcs:
                ssrcs.append(int(s))
        fid = [tuple(int(x) for x in g.split()) for g in re.findall(r"\na=ssrc-group:FID ([\d ]+)", text)]
        out.append({"kind": kind, "port": port, "mid": mid.group(1) if mid else None,
                    "direction": dirm.group(1) if dirm else "sendrecv", "used": used,
                    "ssrcs": ssrcs, "fid": fid})
    return out


def fix_room_offer(sdp):
    """The room's offer as aiortc 1.4 takes it.

    - webrtcbin offers every bundled m-line but the first with port 0 and
      a=bundle-only (RFC 8843). In plain SDP offer/answer (RFC 3264) port 0
      means "rejected"; aiortc 1.4 happens not to look at the port, but the
      line must not be taken for rejected by whatever reads it, so it gets
      port 9 (the discard port the RFC 8843 answerer would use anyway). A
      port 0 without a=bundle-only (really rejected) stays 0.
    - aiortc 1.4 refuses an offer whose setup is not actpass ("DTLS setup
      attribute must be 'actpass' for an offer"). The room's offers say
      actpass while the room has always been the offerer (this client never
      offers), but the room keeps the DTLS role of the first exchange in its
      descriptions (gst/rtc/rtcpeersession.cpp keep_dtls_role): once it has
      answered a client's offer its later offers may say a=setup:passive.
      passive/active become actpass; aiortc's DTLS transport keeps the role
      it already has (client) and answers a=setup:active again, which is
      what the room expects.
    """
    parts = re.split(r"(\r?\nm=)", sdp)
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        sep, body = parts[i], parts[i + 1]
        head, _, rest = body.partition("\n")
        bits = head.split(" ")
        if len(bits) > 1 and bits[1] == "0" and re.search(r"\na=bundle-only\b", "\n" + rest):
            bits[1] = "9"
            head = " ".join(bits)
        body = head + "\n" + rest
        body = re.sub(r"(?m)^a=setup:(passive|active)(\r?)$", r"a=setup:actpass\2", body)
        out.append(sep + body)
    return "".join(out)


def candidates_of(sdp):
    """[(mline index, mid, "candidate:...")] of @sdp."""
    out = []
    for index, text in enumerate(re.split(r"\r?\nm=", sdp)[1:]):
        mid = re.search(r"\na=mid:(\S+)", text)
        for c in re.findall(r"\na=(candidate:[^\r\n]+)", text):
            out.append((index, mid.group(1) if mid else None, c))
    return out


# ---- the participant ----

class RoomError(Exception):
    """The room refused us or closed the socket."""


class RoomParticipant:
    def __init__(self, url, name, token=None, video=False, audio=False,
                 size=(320, 240), fps=15, trickle=True, verbose=0, refresh_ssrcs=True):
        self.url, self.name, self.token = url, name, token
        self.trickle, self.verbose, self.refresh_ssrcs = trickle, verbose, refresh_ssrcs
        self.video = PatternVideoTrack(size[0], size[1], fps) if video else None
        self.audio = ToneAudioTrack() if audio else None
        self.id = None
        self.secret = None
        self.state = "new"
        self.roster = {}  # id -> {id, name, pipeline, tracks: [track]}
        self.errors = []
        self.room_errors = []  # the room's `error` messages
        self.entries = []  # every remote track seen, in order
        self.current = {}  # mid -> entry the room sends on that mid now
        self.track_map = {}  # the room's latest description.tracks
        self.room_sdp = None  # the room's latest offer (as given to aiortc, which drops a=bundle-only)
        self.own = {}  # mid -> {kind, label, track, announced}
        self.pc = None
        self.ws = None
        self.close_code = None
        self.close_reason = ""
        self._first_done = False
        self._pending_candidates = []
        self._tasks = []
        self._welcome = asyncio.Event()
        self._closed = asyncio.Event()
        self._leaving = False
        self._stop = asyncio.Event()
        self._last_sent = 0.0

    # -- reporting --

    def error(self, text):
        log("%s: %s" % (self.name, text))
        self.errors.append(text)

    def report(self, final=False):
        tracks = []
        for e in self.entries:
            tracks.append({k: e[k] for k in ("mid", "participant", "track", "kind", "label", "active",
                                                "direction", "frames", "width", "height", "samples")})
        out = {"id": self.id, "name": self.name, "state": self.state,
               "roster": [dict(p, tracks=[dict(t) for t in p["tracks"]]) for p in self.roster.values()],
               "tracks": tracks,
               "published": [{"mid": m, "kind": o["kind"], "label": o["label"]}
                             for m, o in self.own.items() if o["announced"]],
               "connection": self.pc.connectionState if self.pc else None,
               "errors": list(self.errors)}
        if final:
            out["final"] = True
            out["close"] = {"code": self.close_code, "reason": self.close_reason}
        return out

    # -- WebSocket --

    async def send(self, msg):
        if self.verbose:
            log(self.name, ">", json.dumps(msg)[:300])
            if self.verbose > 1 and msg["type"] == "description":
                log(msg["sdp"]["sdp"])
        if self.ws is None:
            return
        try:
            await self.ws.send(json.dumps(msg))
            self._last_sent = time.monotonic()
        except websockets.ConnectionClosed:
            pass

    async def connect(self, timeout=10):
        """Opens the socket and joins; returns once welcomed (RoomError if not)."""
        self.state = "joining"
        try:
            self.ws = await asyncio.wait_for(
                websockets.connect(self.url, subprotocols=[PROTOCOL], max_size=2 ** 20,
                                   compression=None, ping_interval=None), timeout)
        except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as e:
            self.state = "closed"
            raise RoomError("cannot open %s: %s" % (self.url, e))
        join = {"type": "join", "v": 1, "name": self.name}
        if self.token:
            join["token"] = self.token
        await self.send(join)
        self._tasks.append(asyncio.ensure_future(self._reader()))
        self._tasks.append(asyncio.ensure_future(self._keepalive()))
        waits = [asyncio.ensure_future(self._welcome.wait()), asyncio.ensure_future(self._closed.wait())]
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
        if not self._welcome.is_set():
            why = self.room_errors[-1]["message"] if self.room_errors else (
                "socket closed (%s %s)" % (self.close_code, self.close_reason) if self._closed.is_set()
                else "no welcome within %g s" % timeout)
            raise RoomError("join refused: %s" % why)

    async def _reader(self):
        queue = asyncio.Queue()
        worker = asyncio.ensure_future(self._worker(queue))
        try:
            async for raw in self.ws:
                try:
                    msg = json.loads(raw)
                except (TypeError, ValueError):
                    self.error("a frame that is not JSON: %r" % (raw[:80],))
                    continue
                if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
                    self.error("a frame without type: %r" % (raw[:80],))
                    continue
                if self.verbose:
                    log(self.name, "<", raw[:300] if msg["type"] != "description" else
                        json.dumps({k: v for k, v in msg.items() if k != "sdp"}))
                    if self.verbose > 1 and msg["type"] == "description":
                        log(str((msg.get("sdp") or {}).get("sdp")))
                if msg["type"] == "ping":  # at once, not behind a negotiation
                    pong = {"type": "pong"}
                    if "ts" in msg:
                        pong["ts"] = msg["ts"]
                    await self.send(pong)
                    continue
                queue.put_nowait(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason or ""
            await queue.put(None)
            try:
                await asyncio.wait_for(worker, 10)
            except asyncio.TimeoutError:
                worker.cancel()
            if not self._leaving:
                self.error("the room closed the socket: %s %s" % (self.close_code, self.close_reason))
            self.state = "closed"
            self._closed.set()

    async def _worker(self, queue):
        # The room's messages one at a time, in order (descriptions and
        # candidates depend on each other).
        while True:
            msg = await queue.get()
            if msg is None:
                return
            try:
                await self._on_message(msg)
            except Exception as e:  # a failure handling one message: recorded, go on
                self.error("handling %s: %s: %s" % (msg.get("type"), type(e).__name__, e))

    async def _keepalive(self):
        while not self._closed.is_set():
            await asyncio.sleep(1)
            if self.state == "joined" and time.monotonic() - self._last_sent >= KEEPALIVE_S:
                await self.send({"type": "ping", "ts": int(time.time() * 1000)})

    # -- the room's messages --

    async def _on_message(self, msg):
        t = msg["type"]
        if t == "welcome":
            self._on_welcome(msg)
        elif t == "description":
            await self._on_description(msg)
        elif t == "candidate":
            await self._on_candidate(msg)
        elif t == "joined":
            self._add_participant(msg.get("participant"))
        elif t == "left":
            # Its m-lines go inactive with the room's next offer.
            self.roster.pop(msg.get("id"), None)
        elif t == "track":
            p = self.roster.get(msg.get("participant"))
            tr = msg.get("track") or {}
            if p is not None and isinstance(tr, dict):
                p["tracks"] = [x for x in p["tracks"] if x.get("id") != tr.get("id")]
                if msg.get("action") == "published":
                    p["tracks"].append(dict(tr))
        elif t == "mute":
            p = self.roster.get(msg.get("participant"))
            for tr in (p["tracks"] if p else []):
                if tr.get("id") == msg.get("track"):
                    tr["muted"] = bool(msg.get("muted"))
        elif t == "error":
            self.room_errors.append(msg)
            text = "room error %s: %s" % (msg.get("code"), msg.get("message"))
            if msg.get("ref"):
                text += " (ref %s)" % msg["ref"]
            self.error(text)
        # pong, chat and anything newer: nothing to do

    def _add_participant(self, p):
        if not isinstance(p, dict) or not isinstance(p.get("id"), str) or p["id"] == self.id:
            return
        self.roster[p["id"]] = {"id": p["id"], "name": p.get("name", ""),
                                "pipeline": bool(p.get("pipeline")),
                                "tracks": [dict(x) for x in p.get("tracks") or [] if isinstance(x, dict)]}

    def _on_welcome(self, msg):
        if self.id is not None:
            self.error("a second welcome")
            return
        self.id, self.secret = msg.get("id"), msg.get("secret")
        for p in msg.get("roster") or []:
            self._add_participant(p)
        servers = []
        for s in msg.get("ice_servers") or []:
            try:
                servers.append(RTCIceServer(urls=s["urls"], username=s.get("username"),
                                            credential=s.get("credential")))
            except (KeyError, TypeError):
                pass
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))

        @self.pc.on("track")
        def on_track(track):
            self._tasks.append(asyncio.ensure_future(self._consume(track)))

        self.state = "joined"
        self._welcome.set()

    async def _on_description(self, msg):
        pc = self.pc
        desc = msg.get("sdp")
        if pc is None or not isinstance(desc, dict):
            self.error("a description before welcome or without sdp")
            return
        if isinstance(msg.get("tracks"), dict):
            self.track_map = msg["tracks"]
        if desc.get("type") != "offer":
            # This client never offers: it publishes on the first offer's lines.
            self.error("an unexpected %s from the room" % desc.get("type"))
            return
        sdp = fix_room_offer(desc.get("sdp", ""))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        self.room_sdp = sdp
        if not self._first_done:
            self._claim_receiving_lines(sdp)
        await self._flush_candidates()
        await pc.setLocalDescription(await pc.createAnswer())
        answer = pc.localDescription.sdp
        await self.send({"type": "description", "sdp": {"type": "answer", "sdp": answer}})
        if not self._first_done:
            self._first_done = True
            if self.trickle:
                # Bundled: the first m-line's candidates are everyone's.
                for index, mid, cand in candidates_of(answer):
                    if index != 0:
                        continue
                    await self.send({"type": "candidate", "candidate": {
                        "candidate": cand, "sdpMid": mid, "sdpMLineIndex": index}})
                await self.send({"type": "candidate", "candidate": None})
        await self._announce()
        if self.refresh_ssrcs:
            self._refresh_receivers()
        self._reconcile()

    def _claim_receiving_lines(self, sdp):
        """The first offer's m-lines the room receives on are ours to send on:
        the camera on the video one, the microphone on the audio one."""
        by_mid = {t.mid: t for t in self.pc.getTransceivers() if t.mid}
        for s in sdp_sections(sdp):
            if s["direction"] != "recvonly" or not s["used"] or s["kind"] not in ("audio", "video"):
                continue
            t = by_mid.get(s["mid"])
            track = self.video if s["kind"] == "video" else self.audio
            if t is None or track is None or any(o["track"] is track for o in self.own.values()):
                continue
            t.sender.replaceTrack(track)
            t.direction = "sendonly"
            self.own[s["mid"]] = {"kind": s["kind"], "label": "camera" if s["kind"] == "video" else "microphone",
                                  "track": track, "announced": False}
        for kind, track in (("video", self.video), ("audio", self.audio)):
            if track is not None and not any(o["track"] is track for o in self.own.values()):
                self.error("the room's first offer has no %s m-line to publish on" % kind)

    async def _announce(self):
        by_mid = {t.mid: t for t in self.pc.getTransceivers() if t.mid}
        for mid, o in self.own.items():
            t = by_mid.get(mid)
            if o["announced"] or t is None or t.currentDirection not in ("sendonly", "sendrecv"):
                continue
            o["announced"] = True
            await self.send({"type": "track", "action": "publish", "mid": mid,
                             "kind": o["kind"], "label": o["label"]})

    def _refresh_receivers(self):
        """Workaround: aiortc 1.4's RTCRtpReceiver.receive() registers the
        SSRCs of its m-line once, the first time; when the room recycles an
        m-line for another participant's track (new SSRCs, same payload
        types as other lines) aiortc's RTP router drops the new SSRC's
        packets. Registers what the room's latest offer announces."""
        by_mid = {t.mid: t for t in self.pc.getTransceivers() if t.mid}
        for s in sdp_sections(self.room_sdp):
            t = by_mid.get(s["mid"])
            if t is None or not s["ssrcs"] or s["direction"] not in ("sendonly", "sendrecv"):
                continue
            try:
                receiver = t.receiver
                router = receiver._RTCRtpReceiver__transport._rtp_router
                if receiver not in router.receivers:
                    continue  # not receiving yet: receive() registers them
                for ssrc in s["ssrcs"]:
                    router.ssrc_table[ssrc] = receiver
                rtx = receiver._RTCRtpReceiver__rtx_ssrc
                for group in s["fid"]:
                    if len(group) == 2:
                        rtx[group[1]] = group[0]
            except AttributeError as e:  # another aiortc: nothing to work around
                self.error("cannot refresh the receivers' SSRCs: %s" % e)
                return

    def _reconcile(self):
        """Which remote track each mid carries now (description.tracks and
        the room's direction on that m-line)."""
        sections = sdp_sections(self.room_sdp)
        sending = {s["mid"] for s in sections if s["used"] and s["direction"] in ("sendonly", "sendrecv")}
        directions = {s["mid"]: s["direction"] if s["used"] else "rejected" for s in sections}
        want = {}
        for mid, info in self.track_map.items():
            if mid in sending and isinstance(info, dict) and mid not in self.own:
                want[mid] = info
        for mid, e in list(self.current.items()):
            info = want.get(mid)
            if info is None or info.get("participant") != e["participant"] or info.get("track") != e["track"]:
                e["active"] = False
                del self.current[mid]
        for mid, info in want.items():
            if mid in self.current:
                continue
            e = {"mid": mid, "participant": info.get("participant"), "track": info.get("track"),
                 "kind": info.get("kind"), "label": info.get("label"), "active": True,
                 "frames": 0, "width": 0, "height": 0, "samples": 0}
            self.entries.append(e)
            self.current[mid] = e
        for e in self.entries:  # the room's direction on the m-line now
            e["direction"] = directions.get(e["mid"])

    async def _consume(self, track):
        """Reads (decodes) one remote track until it ends; counts what it
        gets for whichever remote track its mid carries at the time."""
        t = next((x for x in self.pc.getTransceivers() if x.receiver.track is track), None)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            mid = t.mid if t else None
            e = self.current.get(mid)
            if e is None:
                continue  # an m-line the room does not send on (any more)
            e["frames"] += 1
            if track.kind == "video":
                e["width"], e["height"] = frame.width, frame.height
            else:
                e["samples"] += frame.samples

    async def _on_candidate(self, msg):
        c = msg.get("candidate")
        if not isinstance(c, dict) or not c.get("candidate"):
            return  # null or "": the end of the room's candidates
        if self.room_sdp is None:
            self._pending_candidates.append(c)
            return
        await self._add_candidate(c)

    async def _flush_candidates(self):
        pending, self._pending_candidates = self._pending_candidates, []
        for c in pending:
            await self._add_candidate(c)

    async def _add_candidate(self, c):
        text = c["candidate"]
        if text.startswith("candidate:"):
            text = text[len("candidate:"):]
        try:
            cand = candidate_from_sdp(text)
        except (AssertionError, ValueError, IndexError):
            self.error("a candidate aiortc cannot parse: %s" % c["candidate"])
            return
        if cand.protocol.lower() != "udp":
            return  # aioice does no ICE-TCP
        mid = c.get("sdpMid")
        index = c.get("sdpMLineIndex")
        sections = sdp_sections(self.room_sdp)
        if isinstance(index, int) and 0 <= index < len(sections):
            mid = sections[index]["mid"]  # sdpMLineIndex wins
        # aiortc adds a candidate only to the transport of the m-line that
        # owns it (the first of the bundle): the others share it.
        bundle = re.search(r"\na=group:BUNDLE ([^\r\n]+)", self.room_sdp)
        if bundle and mid in bundle.group(1).split():
            mid = bundle.group(1).split()[0]
        cand.sdpMid, cand.sdpMLineIndex = mid, index
        await self.pc.addIceCandidate(cand)

    # -- running --

    async def leave(self, timeout=5):
        if self._closed.is_set():
            return
        self._leaving = True
        await self.send({"type": "leave"})
        try:
            await asyncio.wait_for(self._closed.wait(), timeout)  # the room closes (1000)
        except asyncio.TimeoutError:
            self.error("the room did not close the socket after leave")
            await self.ws.close()
        if self.close_code not in (1000, None):
            self.error("closed with %s %s after leave" % (self.close_code, self.close_reason))

    async def close(self):
        self._leaving = True
        if self.ws is not None and not self._closed.is_set():
            await self.ws.close()
        for task in self._tasks:
            task.cancel()
        for tr in (self.video, self.audio):
            if tr is not None:
                tr.stop()
        if self.pc is not None:
            await self.pc.close()
        self.state = "closed"

    def stop(self):
        """Makes run() leave now (e.g. on SIGINT)."""
        self._stop.set()

    async def run(self, seconds, leave_after=None, on_report=None):
        """Joins, stays @seconds (or leaves after @leave_after), reporting
        every second; returns the exit status (0, 1, 2)."""
        status = 0
        try:
            await self.connect()
            start = time.monotonic()
            end = start + (leave_after if leave_after is not None else seconds)
            while time.monotonic() < end and not self._closed.is_set() and not self._stop.is_set():
                try:
                    await asyncio.wait_for(self._stop.wait(), min(1.0, max(0.0, end - time.monotonic())))
                except asyncio.TimeoutError:
                    pass
                if on_report:
                    on_report(self.report())
            if self._closed.is_set():
                status = 2
            else:
                await self.leave()
        except RoomError as e:
            self.error(str(e))
            status = 2
        finally:
            await self.close()
        if status == 0 and self.errors:
            status = 1
        return status


def main():
    p = argparse.ArgumentParser(description="A room participant on aiortc: joins a webrtcroom room, "
                                "publishes synthetic media, prints what it decodes as JSON lines.")
    p.add_argument("url")
    p.add_argument("--name", default="Aio")
    p.add_argument("--token")
    p.add_argument("--seconds", type=float, default=10,
                   help="stay this long after the welcome, then leave (default 10)")
    p.add_argument("--leave-after", type=float,
                   help="leave this many seconds after the welcome (instead of --seconds)")
    p.add_argument("--video", action="store_true", help="publish a moving pattern (camera)")
    p.add_argument("--audio", action="store_true", help="publish a 440 Hz tone (microphone)")
    p.add_argument("--size", default="320x240", help="video size WxH")
    p.add_argument("--fps", type=int, default=15)
    p.add_argument("--no-trickle", action="store_true",
                   help="send candidates only in the answer's SDP")
    p.add_argument("--no-ssrc-refresh", action="store_true",
                   help="leave aiortc's SSRC table alone (shows what recycled m-lines do without the workaround)")
    p.add_argument("--verbose", "-v", action="count", default=0,
                   help="log the messages on stderr (twice: with the SDP)")
    args = p.parse_args()
    w, h = (int(x) for x in args.size.lower().split("x"))

    def emit(report):
        print(json.dumps(report), flush=True)

    async def go():
        part = RoomParticipant(args.url, args.name, token=args.token, video=args.video,
                               audio=args.audio, size=(w, h), fps=args.fps,
                               trickle=not args.no_trickle, verbose=args.verbose,
                               refresh_ssrcs=not args.no_ssrc_refresh)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, part.stop)  # leave cleanly, then the final line
        status = await part.run(args.seconds, args.leave_after, emit)
        emit(part.report(final=True))
        if status:
            log("%s: exit %d: %s" % (args.name, status, "; ".join(part.errors) or "failed"))
        return status

    sys.exit(asyncio.run(go()))


if __name__ == "__main__":
    main()

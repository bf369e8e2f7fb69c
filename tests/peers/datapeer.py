#!/usr/bin/python3
"""A webrtcpublish pipeline with data channels (GObject introspection),
driven over stdin/stdout by the browser data tests and the data benchmark.

    datapeer.py [--video=WxH@FPS] [property=value ...]

The pipeline is "videotestsrc is-live=true ! webrtcpublish name=pub port=0
data-channels=chat,file,telemetry navigation=true <properties>", with a
probe on the video source that reports navigation events. The video is
640x360@30 unless --video says otherwise (the data benchmark makes it
small, so that encoding it does not take the CPU the channel is measured
with).

Prints "LISTENING <port>", then one "EVENT <json>" line per event:
  {"type": "opened"|"closed", "session", "label"}
  {"type": "file", "session", "name", "size", "sha256", "ok"}   (file protocol)
  {"type": "navigation", "event", "x", "y", "button", "key"}
  {"type": "warning", "message"}
  {"type": "reply", "id", ...}                                   (to a command)

Commands, one JSON object a line on stdin, each answered by a reply:
  {"id", "cmd": "send", "label", "text"|"size", "session"?}   one message
  {"id", "cmd": "send-many", "label", "n", "prefix", "session"?}
  {"id", "cmd": "send-file", "label", "size", "name", "session"?}
  {"id", "cmd": "send-bulk", "label", "size", "chunk", "session"?}
      size bytes in chunk-byte binary messages, as fast as the channel takes
  {"id", "cmd": "stats"}   what arrived, per session and label: texts,
      binary bytes, and for texts "<prefix><n>" whether n ran 0, 1, 2...
      without a gap ("in_order")
  {"id", "cmd": "latency-send", "label", "n", "hz", "size"}  n text
      messages "t:<wall clock ms>", padded to size bytes, at hz
  {"id", "cmd": "latency", "label"}  one-way delays (ms) of the "t:..."
      messages received on label so far (same machine, same wall clock)
Stops on SIGINT/SIGTERM or when stdin closes."""
import hashlib
import json
import os
import re
import signal
import struct
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstVideo  # noqa: E402

out_lock = threading.Lock()


def emit(obj):
    with out_lock:
        print("EVENT " + json.dumps(obj), flush=True)


def pattern(size, seed):
    """Deterministic bytes (so both sides can check them)."""
    block = hashlib.sha256(str(seed).encode()).digest() * 512  # 16 KiB
    reps = size // len(block) + 1
    return (block * reps)[:size]


class Peer:
    def __init__(self, props):
        width, height, fps = 640, 360, 30
        for p in [p for p in props if p.startswith("--video=")]:
            size, fps = p[len("--video="):].split("@")
            width, height = (int(v) for v in size.split("x"))
            fps = int(fps)
            props.remove(p)
        self.pipeline = Gst.parse_launch(
            "videotestsrc name=vsrc is-live=true ! video/x-raw,width=%d,height=%d,framerate=%d/1 "
            "! webrtcpublish name=pub port=0 data-channels=chat,file,telemetry navigation=true "
            % (width, height, fps) + " ".join(props))
        self.pub = self.pipeline.get_by_name("pub")
        self.lock = threading.Lock()
        self.stats = {}
        self.incoming = {}
        self.pings = {}
        self.pub.connect("data-channel-opened", self.on_opened)
        self.pub.connect("data-channel-closed", self.on_closed)
        self.pub.connect("string-received", self.on_string)
        self.pub.connect("data-received", self.on_data)
        src = self.pipeline.get_by_name("vsrc").get_static_pad("src")
        src.add_probe(Gst.PadProbeType.EVENT_UPSTREAM, self.on_upstream)

    def entry(self, session, label):
        key = session + "/" + label
        if key not in self.stats:
            self.stats[key] = {"session": session, "label": label, "texts": 0, "bytes": 0,
                               "binary": 0, "next": {}, "in_order": True, "last": ""}
        return self.stats[key]

    def on_opened(self, _el, session, label):
        emit({"type": "opened", "session": session, "label": label})

    def on_closed(self, _el, session, label):
        emit({"type": "closed", "session": session, "label": label})

    def on_string(self, _el, session, label, text):
        if label == "file":
            self.file_message(session, text, None)
            return
        m = re.match(r"^t:(\d+(?:\.\d+)?) *$", text)
        if m:  # a latency probe
            with self.lock:
                self.pings.setdefault(label, []).append(time.time() * 1000 - float(m.group(1)))
            return
        with self.lock:
            e = self.entry(session, label)
            e["texts"] += 1
            e["last"] = text[:200]
            m = re.match(r"^(.*?)(\d+)$", text)
            if m:
                prefix, n = m.group(1), int(m.group(2))
                if e["next"].get(prefix, 0) != n:
                    e["in_order"] = False
                e["next"][prefix] = n + 1

    def on_data(self, _el, session, label, data):
        raw = data.get_data() or b""
        if label == "file":
            self.file_message(session, None, raw)
            return
        with self.lock:
            e = self.entry(session, label)
            e["binary"] += 1
            e["bytes"] += len(raw)

    def file_message(self, session, text, raw):
        if text is not None:
            try:
                m = json.loads(text)
            except ValueError:
                emit({"type": "file-error", "session": session, "message": "not JSON"})
                return
            key = (session, m.get("id"))
            if m.get("type") == "file-start":
                self.incoming[key] = {"name": m.get("name"), "size": m.get("size"),
                                      "sha": hashlib.sha256(), "got": 0}
            elif m.get("type") == "file-end" and key in self.incoming:
                f = self.incoming.pop(key)
                digest = f["sha"].hexdigest()
                emit({"type": "file", "session": session, "name": f["name"], "size": f["got"],
                      "sha256": digest,
                      "ok": digest == m.get("sha256") and f["got"] == f["size"]})
            return
        if len(raw) < 4:
            emit({"type": "file-error", "session": session, "message": "short chunk"})
            return
        (fid,) = struct.unpack(">I", raw[:4])
        f = self.incoming.get((session, fid))
        if f is None:
            emit({"type": "file-error", "session": session, "message": "unknown transfer"})
            return
        f["sha"].update(raw[4:])
        f["got"] += len(raw) - 4

    def on_upstream(self, _pad, info):
        ev = info.get_event()
        kind = GstVideo.Navigation.event_get_type(ev)
        out = None
        if kind in (GstVideo.NavigationEventType.MOUSE_BUTTON_PRESS,
                    GstVideo.NavigationEventType.MOUSE_BUTTON_RELEASE):
            ok, button, x, y = GstVideo.Navigation.event_parse_mouse_button_event(ev)
            out = {"event": "mouse-button-press" if kind ==
                   GstVideo.NavigationEventType.MOUSE_BUTTON_PRESS else "mouse-button-release",
                   "button": button, "x": x, "y": y}
        elif kind == GstVideo.NavigationEventType.KEY_PRESS:
            ok, key = GstVideo.Navigation.event_parse_key_event(ev)
            out = {"event": "key-press", "key": key}
        if out:
            out["type"] = "navigation"
            emit(out)
        return Gst.PadProbeReturn.OK

    # ---- commands (a worker thread each: sends may wait for back-pressure)

    def send(self, session, label, text=None, data=None):
        if text is not None:
            return self.pub.emit("send-string", session, label, text)
        return self.pub.emit("send-data", session, label, GLib.Bytes.new(data))

    def run(self, cmd):
        c = cmd.get("cmd")
        session = cmd.get("session")
        label = cmd.get("label", "chat")
        if c == "send":
            if "text" in cmd:
                return {"ok": self.send(session, label, text=cmd["text"])}
            return {"ok": self.send(session, label, data=pattern(cmd["size"], cmd.get("seed", 0)))}
        if c == "send-many":
            prefix = cmd.get("prefix", "m-")
            ok = all(self.send(session, label, text="%s%d" % (prefix, i))
                     for i in range(cmd["n"]))
            return {"ok": ok}
        if c == "send-file":
            size = cmd["size"]
            body = pattern(size, cmd.get("seed", 1))
            fid = cmd.get("fid", 7)
            name = cmd.get("name", "file.bin")
            ok = self.send(session, label, text=json.dumps(
                {"type": "file-start", "id": fid, "name": name, "size": size,
                 "mime": "application/octet-stream"}))
            chunk = 16384 - 4
            for off in range(0, size, chunk):
                if not self.send(session, label, data=struct.pack(">I", fid) + body[off:off + chunk]):
                    ok = False
                    if session:  # that viewer left
                        break
            digest = hashlib.sha256(body).hexdigest()
            ok = self.send(session, label, text=json.dumps(
                {"type": "file-end", "id": fid, "sha256": digest})) and ok
            return {"ok": ok, "sha256": digest}
        if c == "stats":
            with self.lock:
                return {"stats": list(self.stats.values()),
                        "viewers": self.pub.get_property("n-viewers")}
        if c == "send-bulk":
            size, chunk = cmd["size"], cmd.get("chunk", 16384)
            payload = GLib.Bytes.new(pattern(chunk, 3))
            start = time.monotonic()
            ok = True
            for _ in range(size // chunk):
                ok = self.pub.emit("send-data", session, label, payload) and ok
            return {"ok": ok, "seconds": time.monotonic() - start}
        if c == "latency-send":
            n, hz, size = cmd.get("n", 100), cmd.get("hz", 10), cmd.get("size", 100)
            ok = True
            for _ in range(n):
                stamp = "t:%.3f" % (time.time() * 1000)
                ok = self.send(session, label, text=stamp + " " * max(0, size - len(stamp))) and ok
                time.sleep(1.0 / hz)
            return {"ok": ok}
        if c == "latency":
            with self.lock:
                return {"delays": self.pings.pop(label, [])}
        return {"error": "unknown command %s" % c}


def main():
    Gst.init(None)
    peer = Peer(sys.argv[1:])
    loop = GLib.MainLoop()

    def on_message(_bus, msg):
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ELEMENT and s is not None:
            if s.get_name() == "webrtcpublish-listening":
                print("LISTENING %d" % s.get_value("port"), flush=True)
        elif msg.type == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            emit({"type": "warning", "message": err.message})
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            emit({"type": "error", "message": err.message, "debug": dbg})
        return True

    peer.pipeline.get_bus().add_watch(GLib.PRIORITY_DEFAULT, on_message)

    def reader():
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            cmd = json.loads(line)

            def work(cmd=cmd):
                try:
                    reply = peer.run(cmd)
                except Exception as e:  # report, keep running
                    reply = {"error": repr(e)}
                reply.update({"type": "reply", "id": cmd.get("id")})
                emit(reply)
            threading.Thread(target=work, daemon=True).start()
        GLib.idle_add(loop.quit)

    threading.Thread(target=reader, daemon=True).start()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    peer.pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    peer.pipeline.set_state(Gst.State.NULL)
    os._exit(0)


if __name__ == "__main__":
    main()

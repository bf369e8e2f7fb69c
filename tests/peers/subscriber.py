#!/usr/bin/python3
"""A webrtcsubscribe pipeline (through GObject introspection) that reports
what reaches it, for the browser, aiortc and cross-process tests.

    subscriber.py [property=value ...]

Prints "LISTENING <port>" once the WHIP server runs (server mode), then a
"STATS {json}" line every 0.5 s: video frames, their size, audio buffers,
publisher connected/disconnected messages and errors. Stops on SIGINT or
SIGTERM, or when stdin closes."""
import json
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    Gst.init(None)
    props = " ".join(sys.argv[1:])
    pipeline = Gst.parse_launch(
        "webrtcsubscribe name=sub %s sub.video_0 ! fakesink name=vsink sync=false "
        "sub.audio_0 ! fakesink name=asink sync=false" % props)
    stats = {"video_frames": 0, "width": 0, "height": 0, "video_caps": "",
             "audio_buffers": 0, "connected": 0, "disconnected": 0, "errors": [],
             "warnings": 0}
    lock = threading.Lock()

    def counter(key):
        def probe(pad, info):
            with lock:
                stats[key] += 1
            return Gst.PadProbeReturn.OK
        return probe

    vpad = pipeline.get_by_name("vsink").get_static_pad("sink")
    vpad.add_probe(Gst.PadProbeType.BUFFER, counter("video_frames"))
    pipeline.get_by_name("asink").get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER, counter("audio_buffers"))

    loop = GLib.MainLoop()

    def on_message(bus, msg):
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ELEMENT and s is not None:
            name = s.get_name()
            if name == "webrtcsubscribe-listening":
                print("LISTENING %d" % s.get_value("port"), flush=True)
            elif name == "webrtcsubscribe-publisher-connected":
                stats["connected"] += 1
            elif name == "webrtcsubscribe-publisher-disconnected":
                stats["disconnected"] += 1
        elif msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            stats["errors"].append(err.message)
        elif msg.type == Gst.MessageType.WARNING:
            stats["warnings"] += 1
        return True

    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, on_message)

    def report():
        caps = vpad.get_current_caps()
        with lock:
            if caps is not None:
                st = caps.get_structure(0)
                stats["video_caps"] = st.get_name()
                stats["width"] = st.get_value("width") if st.has_field("width") else 0
                stats["height"] = st.get_value("height") if st.has_field("height") else 0
            line = json.dumps(stats)
        print("STATS " + line, flush=True)
        return True

    GLib.timeout_add(500, report)
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, lambda *a: loop.quit() or False)

    def watch_stdin():
        sys.stdin.read()
        GLib.idle_add(loop.quit)

    threading.Thread(target=watch_stdin, daemon=True).start()
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("STATS " + json.dumps(dict(stats, errors=["could not start"])), flush=True)
        return 1
    loop.run()
    report()
    pipeline.set_state(Gst.State.NULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Receive a browser's camera and microphone into a pipeline.

Runs webrtcsubscribe's embedded server, prints the publish page to open in
a browser (Chromium, Firefox), and plays what arrives (autovideosink /
autoaudiosink; set SINKS=fake for a machine without display or sound).
Publishers may come and go: the pipeline keeps running.

    GST_PLUGIN_PATH=build/ext/rtcbridge python3 examples/receive_camera.py [PORT]
"""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)
port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
fake = os.environ.get("SINKS") == "fake"
vsink = "fakesink" if fake else "autovideosink"
asink = "fakesink" if fake else "autoaudiosink"
pipeline = Gst.parse_launch(
    "webrtcsubscribe name=in stream-name=live port=%d "
    "in.video_0 ! queue ! videoconvert ! %s "
    "in.audio_0 ! queue ! audioconvert ! audioresample ! %s" % (port, vsink, asink))
loop = GLib.MainLoop()


def on_message(bus, msg):
    s = msg.get_structure()
    if msg.type == Gst.MessageType.ELEMENT and s is not None:
        name = s.get_name()
        if name == "webrtcsubscribe-listening":
            print("open %s in a browser and press Start" % s.get_value("url"), flush=True)
        elif name == "webrtcsubscribe-publisher-connected":
            print("publisher %s connected (%s)" % (s.get_value("remote-address"),
                                                   s.get_value("codecs")), flush=True)
        elif name == "webrtcsubscribe-publisher-disconnected":
            print("publisher left: %s" % s.get_value("reason"), flush=True)
    elif msg.type == Gst.MessageType.LATENCY:
        pipeline.recalculate_latency()
    elif msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        print("error: %s (%s)" % (err.message, debug), file=sys.stderr)
        loop.quit()
    return True


pipeline.get_bus().add_watch(GLib.PRIORITY_DEFAULT, on_message)
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, lambda: loop.quit() or False)
if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
    sys.exit(1)
loop.run()
pipeline.set_state(Gst.State.NULL)

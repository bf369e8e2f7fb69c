#!/usr/bin/python3
"""Embeds webrtcpublish from Python (GObject introspection): publishes a
test pattern with audio and logs viewers.

  GST_PLUGIN_PATH=build/ext/rtcbridge /usr/bin/python3 examples/publish.py [port]
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)
pipeline = Gst.parse_launch(
    "videotestsrc is-live=true ! webrtcpublish name=pub audiotestsrc is-live=true ! pub.")
pub = pipeline.get_by_name("pub")
pub.set_property("port", int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
pub.connect("viewer-created", lambda el, vid, webrtcbin: print("negotiating with", vid))
loop = GLib.MainLoop()


def on_message(bus, msg):
    s = msg.get_structure()
    if msg.type == Gst.MessageType.ELEMENT and s.get_name().startswith("webrtcpublish-"):
        print(s.to_string())
    elif msg.type == Gst.MessageType.ERROR:
        print("error:", msg.parse_error()[0].message)
        loop.quit()
    return True


pipeline.get_bus().add_watch(GLib.PRIORITY_DEFAULT, on_message)
for sig in (2, 15):  # SIGINT, SIGTERM: stop cleanly
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
pipeline.set_state(Gst.State.PLAYING)
try:
    loop.run()
finally:
    pipeline.set_state(Gst.State.NULL)

#!/usr/bin/python3
"""Chat and file sharing between viewers, relayed by the pipeline's
application API: every chat message and file a viewer sends on the viewer
page reaches every other viewer of the stream.

  GST_PLUGIN_PATH=build/ext/rtcbridge /usr/bin/python3 examples/data_relay.py [port]

then open http://127.0.0.1:<port>/view/live in several tabs. Uses the
signals of webrtcpublish: data-channel-opened/-closed to know who is there,
string-received/data-received for what they send, send-string/send-data
to pass it on (the file protocol's chunks carry their transfer id, so
files from several viewers at once stay apart).
"""
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)
pipeline = Gst.parse_launch(
    "videotestsrc is-live=true ! video/x-raw,width=640,height=360 "
    "! webrtcpublish name=pub data-channels=chat,file")
pub = pipeline.get_by_name("pub")
pub.set_property("port", int(sys.argv[1]) if len(sys.argv) > 1 else 8080)

lock = threading.Lock()
open_channels = {}  # label -> set of session ids


def others(label, session):
    with lock:
        return [s for s in open_channels.get(label, ()) if s != session]


def on_opened(_el, session, label):
    with lock:
        open_channels.setdefault(label, set()).add(session)
    if label == "chat":
        pub.emit("send-string", session, "chat", "relay: %d viewer(s) here" %
                 len(open_channels["chat"]))


def on_closed(_el, session, label):
    with lock:
        open_channels.get(label, set()).discard(session)


# Both run on the sender's webrtcbin thread; send-* waits while a reliable
# channel is over its buffer limit, which slows that sender down to the
# pace of the slowest receiver instead of piling up memory.
def on_string(_el, session, label, text):
    for other in others(label, session):
        out = "%s: %s" % (session[:8], text) if label == "chat" else text
        pub.emit("send-string", other, label, out)


def on_data(_el, session, label, data):
    for other in others(label, session):
        pub.emit("send-data", other, label, data)


pub.connect("data-channel-opened", on_opened)
pub.connect("data-channel-closed", on_closed)
pub.connect("string-received", on_string)
pub.connect("data-received", on_data)

loop = GLib.MainLoop()


def on_message(_bus, msg):
    s = msg.get_structure()
    if msg.type == Gst.MessageType.ELEMENT and s.get_name() == "webrtcpublish-listening":
        print("relaying chat and files at", s.get_value("url"), flush=True)
    elif msg.type == Gst.MessageType.ERROR:
        print("error:", msg.parse_error()[0].message)
        loop.quit()
    return True


pipeline.get_bus().add_watch(GLib.PRIORITY_DEFAULT, on_message)
for sig in (2, 15):  # SIGINT, SIGTERM
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
pipeline.set_state(Gst.State.PLAYING)
try:
    loop.run()
finally:
    pipeline.set_state(Gst.State.NULL)

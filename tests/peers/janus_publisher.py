#!/usr/bin/python3
"""A webrtcpublish pipeline that publishes 640x360 video and audio into a
Janus VideoRoom with the Janus signaller (GstRtcJanusSignaller, through the
GstRtc-1.0 typelib), for the browser test tests/browser/janus.test.mjs.

    janus_publisher.py <janus url> <display name> [room]

Prints "STATE <state> <detail>" for each state the signaller reports (the
element's "webrtcpublish-client-state" bus messages), "PUBLISHING <detail>"
once Janus has answered our offer, and "ERROR <message>" for an error (then
exits 1). Stops cleanly on SIGTERM or SIGINT (exit 0)."""
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtc", "1.0")
from gi.repository import GLib, GObject, Gst, GstRtc  # noqa: E402

LAUNCH = ("videotestsrc is-live=true pattern=smpte ! "
          "video/x-raw,width=640,height=360,framerate=30/1 ! webrtcpublish name=pub "
          "audiotestsrc is-live=true wave=ticks ! pub.")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    url, display = sys.argv[1], sys.argv[2]
    room = int(sys.argv[3]) if len(sys.argv) > 3 else 1234
    Gst.init(None)
    gtype = Gst.DynamicTypeFactory.load("GstRtcJanusSignaller")
    if gtype == GObject.TYPE_INVALID:  # a GType is truthy even when invalid
        print("ERROR no GstRtcJanusSignaller: is the rtcbridge plugin in GST_PLUGIN_PATH?",
              flush=True)
        return 1
    signaller = GObject.new(gtype, url=url, room=room, display=display,
                            role=GstRtc.SignallerRole.OFFERER)
    pipeline = Gst.parse_launch(LAUNCH)
    pipeline.get_by_name("pub").set_property("signaller", signaller)

    loop = GLib.MainLoop()
    result = {"code": 0}

    def on_message(bus, msg):
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ELEMENT and s is not None \
                and s.get_name() == "webrtcpublish-client-state":
            state, detail = s.get_string("state"), s.get_string("detail")
            print("STATE %s %s" % (state, detail), flush=True)
            if state == "publishing":
                print("PUBLISHING %s" % detail, flush=True)
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print("ERROR %s (%s)" % (err.message, debug), flush=True)
            result["code"] = 1
            loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, on_message)
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, lambda *a: loop.quit() or False)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("ERROR the pipeline did not start", flush=True)
        pipeline.set_state(Gst.State.NULL)
        return 1
    loop.run()
    # Leaves the room: the signaller destroys its Janus session on stop.
    pipeline.set_state(Gst.State.NULL)
    return result["code"]


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A signaller written in Python (GObject introspection, GstRtc-1.0) carries
a session between two pipelines in one process: webrtcpublish offers
through one end, webrtcsubscribe answers through the other. The
subscriber decodes video and audio, and the chat messages it receives carry
a GstRtcDataMeta read through introspection.

The two ends hand messages over on the GLib main loop, as a network
connection would deliver them; the elements call the vfuncs from their
control threads."""
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtc", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, GObject, Gst, GstRtc, GstSdp, GstWebRTC  # noqa: E402

Gst.init(None)


class PySignaller(GObject.Object, GstRtc.Signaller):
    """One end of an in-process link. The offerer asks its element for a
    session once both ends run; descriptions and candidates cross over."""

    def __init__(self, role, trickle=True):
        super().__init__()
        self.role = role
        self.trickle = trickle
        self.peer = None
        self.started = False
        self.sent = []  # what the element sent: ("description", type) / ("candidate",)

    def deliver(self, fn):
        """Runs fn on the peer later, on the main loop."""
        peer = self.peer

        def run():
            if peer.started:
                fn(peer)
            return GLib.SOURCE_REMOVE

        GLib.idle_add(run)

    # -- vfuncs (element -> signaller) --
    def do_start(self):
        self.started = True
        offerer = self if self.role == GstRtc.SignallerRole.OFFERER else self.peer
        if offerer.started and offerer.peer.started:
            GLib.idle_add(lambda: offerer.emit("session-requested", "py-1", "python peer", None))
        return True

    def do_stop(self):
        self.started = False

    def do_get_role(self):
        return self.role

    def do_get_trickle(self):
        return self.trickle

    def do_send_description(self, session_id, description):
        self.sent.append(("description", description.type))
        text = description.sdp.as_text()

        def arrive(peer):
            _, sdp = GstSdp.SDPMessage.new_from_text(text)
            desc = GstWebRTC.WebRTCSessionDescription.new(description.type, sdp)
            if description.type == GstWebRTC.WebRTCSDPType.OFFER:
                peer.emit("session-requested", session_id, "python peer", desc)
            else:
                peer.emit("session-description", session_id, desc)

        self.deliver(arrive)

    def do_send_ice_candidate(self, session_id, mline, candidate):
        if candidate is None:
            return
        self.sent.append(("candidate",))
        self.deliver(lambda peer: peer.emit("ice-candidate", session_id, mline, candidate))

    def do_reject_session(self, session_id, error):
        print("rejected %s: %s" % (session_id, error.message if error else "?"), flush=True)
        self.deliver(lambda peer: peer.emit("session-ended", session_id))

    def do_end_session(self, session_id):
        self.deliver(lambda peer: peer.emit("session-ended", session_id))



def main():
    # The error domain a GLib.Error from the elements carries.
    domain = GLib.quark_to_string(GstRtc.signaller_error_quark())
    assert domain == "gst-rtc-signaller-error-quark", domain

    offerer = PySignaller(GstRtc.SignallerRole.OFFERER)
    answerer = PySignaller(GstRtc.SignallerRole.ANSWERER)
    offerer.peer, answerer.peer = answerer, offerer

    sub = Gst.parse_launch(
        "webrtcsubscribe name=sub sub.video_0 ! fakesink name=vsink sync=false async=false "
        "signal-handoffs=true sub.audio_0 ! fakesink name=asink sync=false async=false "
        "signal-handoffs=true sub.data_recv_chat ! fakesink name=chat sync=false async=false "
        "signal-handoffs=true")
    pub = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
        "webrtcpublish name=pub data-channels=chat audiotestsrc is-live=true ! pub.")
    sub.get_by_name("sub").set_property("signaller", answerer)
    pub.get_by_name("pub").set_property("signaller", offerer)
    assert pub.get_by_name("pub").get_property("signaller") is offerer

    counts = {"video": 0, "audio": 0}
    chats = []
    size = {}
    lock = threading.Lock()

    def on_video(sink, buf, pad):
        with lock:
            counts["video"] += 1
            if not size:
                s = pad.get_current_caps().get_structure(0)
                size["w"], size["h"] = s.get_value("width"), s.get_value("height")

    def on_audio(sink, buf, pad):
        with lock:
            counts["audio"] += 1

    def on_chat(sink, buf, pad):
        meta = GstRtc.buffer_get_data_meta(buf)
        ok, info = buf.map(Gst.MapFlags.READ)
        text = bytes(info.data).decode()
        buf.unmap(info)
        with lock:
            chats.append((text, meta.session_id if meta else None, meta.label if meta else None,
                          meta.binary if meta else None))

    sub.get_by_name("vsink").connect("handoff", on_video)
    sub.get_by_name("asink").connect("handoff", on_audio)
    sub.get_by_name("chat").connect("handoff", on_chat)

    errors = []

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            errors.append("%s: %s (%s)" % (msg.src.get_name(), err.message, dbg))
        return True

    for p in (sub, pub):
        bus = p.get_bus()
        bus.add_signal_watch()
        bus.connect("message", on_message)

    sub.set_state(Gst.State.PLAYING)
    pub.set_state(Gst.State.PLAYING)

    loop = GLib.MainLoop()
    deadline = time.monotonic() + 60
    result = {"ok": False}

    def check():
        with lock:
            media = counts["video"] >= 60 and counts["audio"] >= 20
            have_chat = len(chats) > 0
        if media and not have_chat:
            pub.get_by_name("pub").emit("send-string", None, "chat", "hello from python")
        if (media and have_chat) or errors or time.monotonic() > deadline:
            result["ok"] = media and have_chat and not errors
            loop.quit()
            return GLib.SOURCE_REMOVE
        return GLib.SOURCE_CONTINUE

    GLib.timeout_add(100, check)
    loop.run()
    pub.set_state(Gst.State.NULL)
    sub.set_state(Gst.State.NULL)

    print("video %d, audio %d, size %s, chats %s, errors %s" %
          (counts["video"], counts["audio"], size, chats[:1], errors), flush=True)
    assert not errors, errors
    assert result["ok"], "the session did not carry media and data in time"
    assert size == {"w": 320, "h": 240}, size
    text, session, label, binary = chats[0]
    assert text == "hello from python", text
    assert session == "py-1", session
    assert label == "chat", label
    assert binary is False, binary
    # The element offered through the Python offerer and answered through
    # the Python answerer; both trickled candidates.
    assert ("description", GstWebRTC.WebRTCSDPType.OFFER) in offerer.sent, offerer.sent
    assert ("description", GstWebRTC.WebRTCSDPType.ANSWER) in answerer.sent, answerer.sent
    assert ("candidate",) in offerer.sent and ("candidate",) in answerer.sent
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

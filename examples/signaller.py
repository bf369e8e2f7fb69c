#!/usr/bin/python3
"""Bring your own signalling, in Python: a GstRtc.Signaller over a plain TCP
connection, and the two programs that use it.

    signaller.py serve <port> [--frames N] [--timeout S]
        webrtcsubscribe answers the offers of the peers that connect, and
        counts the video frames and audio buffers it decodes
    signaller.py connect <host:port> [--seconds S]
        webrtcpublish sends a test pattern and a tone; it makes the offers

    GST_PLUGIN_PATH=build/ext/rtcbridge GI_TYPELIB_PATH=build/gst/rtcbridge \\
      LD_LIBRARY_PATH=build/gst/rtcbridge /usr/bin/python3 examples/signaller.py serve 9000

examples/signaller.c (the signaller: tcpsignaller.c) is the same in C: either
program talks to either.

The protocol, "rtcbridge-tcp 1": UTF-8 lines ending in "\\n", fields
separated by one space. Each end sends hello first.

    hello rtcbridge-tcp 1
    offer <session> <sdp>        connect -> serve: a new session
    answer <session> <sdp>       serve -> connect
    candidate <session> <mline> <candidate>
                                 both ways: the rest of the line is the
                                 candidate ("candidate:1 1 UDP ...")
    reject <session> <reason>    serve -> connect: the offer is refused; the
                                 rest of the line says why
    bye <session>                both ways: the sender ended the session

<sdp> is the description in base64 (SDP has line breaks). <session> is
chosen by the connecting side: 1 to 64 of [A-Za-z0-9._-]. Lines of an
unknown kind are ignored; a malformed line closes the connection. There is
no authentication and the signalling is not encrypted (the media is:
DTLS-SRTP): for networks you trust.

The connecting side has one session at a time. When the connection drops,
its element hears that the session ended and the signaller connects again
every retry_delay_ms; when the peer ends or refuses a session, it asks its
element for a new one after retry_delay_ms. The serving side takes any
number of connections; its element decides how many publishers it takes.

Threading: the elements call the vfuncs (do_*) from their control threads.
They post what they need to the signaller's own I/O thread (a GLib main
context of its own), which owns the connections and the session table and
emits every signal. do_stop posts the shutdown and joins that thread, so no
signal comes after it returns; a vfunc after it is dropped (at the end of
the stream an offering element stops its signaller first and ends its
sessions after, so the byes are do_stop's).
"""
import argparse
import base64
import binascii
import collections
import re
import secrets
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtc", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import Gio, GLib, GObject, Gst, GstRtc, GstSdp, GstWebRTC  # noqa: E402

HELLO = "hello rtcbridge-tcp 1"
MAX_LINE = 256 * 1024
SESSION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
SESSION_KINDS = ("offer", "answer", "candidate", "reject", "bye")
# At stop, how long the last lines (bye) may take to leave.
SHUTDOWN_WRITE_TIMEOUT_MS = 1000
OFFERER = GstRtc.SignallerRole.OFFERER
ANSWERER = GstRtc.SignallerRole.ANSWERER


def encode_description(description):
    return base64.b64encode(description.sdp.as_text().encode()).decode()


def decode_description(sdp_type, b64):
    """The description in a line, or None when it is not base64 of an SDP
    with media."""
    try:
        text = base64.b64decode(b64 or "", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    result, sdp = GstSdp.SDPMessage.new_from_text(text)
    if result != GstSdp.SDPResult.OK or sdp.medias_len() == 0:
        return None
    return GstWebRTC.WebRTCSessionDescription.new(sdp_type, sdp)


def remote_address(connection):
    """"host:port", or "[host]:port" for IPv6."""
    try:
        remote = connection.get_remote_address()
        host = remote.get_address().to_string()
    except (GLib.Error, AttributeError):
        return "?"
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, remote.get_port())


class Peer:
    """One connection. I/O thread only."""

    def __init__(self, io, connection):
        self.io = io
        self.connection = connection
        self.input = Gio.DataInputStream.new(connection.get_input_stream())
        self.input.set_newline_type(Gio.DataStreamNewlineType.LF)
        self.output = connection.get_output_stream()
        self.reading = Gio.Cancellable()  # stops reading when the peer is dropped
        self.outbox = collections.deque()  # bytes to write; the head is being written
        self.writing = False
        self.in_flight = 0  # operations that still use the connection
        self.address = remote_address(connection)
        self.greeted = False
        self.closed = False

    def send(self, line):
        if self.closed:
            return
        self.outbox.append((line + "\n").encode())
        self.flush()

    def flush(self):
        if self.writing or self.closed or not self.outbox:
            return
        self.writing = True
        self._begin()
        self.output.write_bytes_async(GLib.Bytes.new(self.outbox[0]), GLib.PRIORITY_DEFAULT,
                                      self.io.writes, self._on_written)

    def _on_written(self, stream, result):
        self.writing = False
        try:
            written = stream.write_bytes_finish(result)
        except GLib.Error as e:
            self.io.peer_lost(self, e.message)
        else:
            head = self.outbox.popleft()
            if written < len(head):
                self.outbox.appendleft(head[written:])
            self.flush()
        self._end()

    def read(self):
        self._begin()
        self.input.read_line_async(GLib.PRIORITY_DEFAULT, self.reading, self._on_line)

    def _on_line(self, stream, result):
        io = self.io
        try:
            line, _ = stream.read_line_finish_utf8(result)
            error = None
        except GLib.Error as e:
            line, error = None, e.message
        if io.stopping or self.closed:
            pass  # dropped: nothing more from this peer
        elif line is None:
            io.peer_lost(self, error or "it closed the connection")
        elif len(line) > MAX_LINE:
            io.peer_lost(self, "protocol error: a line too long")
        else:
            io.handle_line(self, line.rstrip("\r"))
            if not self.closed:
                self.read()
        self._end()

    def _begin(self):
        self.in_flight += 1
        self.io.pending += 1

    def _end(self):
        self.in_flight -= 1
        self.io.pending -= 1
        if self.closed and self.in_flight == 0:
            self.connection.close(None)


class Io:
    """The signaller while started: its thread and main context, the
    connections and the sessions. Everything here belongs to the I/O
    thread."""

    def __init__(self, signaller, role, address, port, retry_delay_ms):
        self.signaller = signaller
        self.role = role
        self.address = address
        self.retry_delay_ms = retry_delay_ms
        self.context = GLib.MainContext()
        self.loop = GLib.MainLoop(self.context)
        self.connecting = Gio.Cancellable()
        self.writes = Gio.Cancellable()  # cancelled when the last lines take too long at stop
        self.peers = []
        self.sessions = {}  # id -> Peer
        self.retry = None  # offerer: the next connection or session request
        self.deadline = None  # at stop: cancels the writes
        self.session_prefix = secrets.token_hex(4)
        self.serial = 0
        self.failures = 0  # offerer: connection attempts failed in a row
        self.pending = 0  # asynchronous operations in flight
        self.stopping = False
        self.service = self.client = None
        if role == OFFERER:
            # Checked here so that a typo is an element error, not endless retries.
            parsed = Gio.NetworkAddress.parse(address or "", 0)  # raises GLib.Error
            if parsed.get_port() == 0:
                raise GLib.Error.new_literal(Gio.io_error_quark(), "'%s' is not host:port"
                                             % address, Gio.IOErrorEnum.INVALID_ARGUMENT)
            self.client = Gio.SocketClient()
        else:
            # Not accepting yet: the I/O thread starts it, so that the accepts
            # run on its context.
            self.service = Gio.SocketService(active=False)
            self.service.add_inet_port(port, None)  # raises GLib.Error (port in use)
            self.service.connect("incoming", self.on_incoming)
        self.thread = threading.Thread(target=self.run, name="tcpsignaller", daemon=True)

    # -- from other threads --

    def post(self, fn, *args):
        """Runs fn(*args) on the I/O thread. An idle source rather than
        MainContext.invoke, which would run fn on the calling thread while
        the I/O thread does not own the context yet."""
        source = GLib.idle_source_new()
        source.set_callback(lambda *_: fn(*args) and False)
        source.attach(self.context)

    def run(self):
        self.context.push_thread_default()
        if self.service:
            self.service.start()
        else:
            self.connect()
        self.loop.run()
        # The operations in flight finish (cancelled, or the last writes).
        while self.pending > 0:
            self.context.iteration(True)
        self.deadline.destroy()
        while self.context.iteration(False):
            pass
        for peer in self.peers:
            peer.connection.close(None)
        self.context.pop_thread_default()

    # -- I/O thread --

    def emit_state(self, state, detail):
        self.signaller.emit("state-changed", state, detail)

    def schedule_retry(self):
        if self.stopping or self.retry:
            return
        self.retry = GLib.timeout_source_new(self.retry_delay_ms)
        self.retry.set_callback(self.on_retry)
        self.retry.attach(self.context)

    def on_retry(self, *_):
        self.retry = None
        if self.peers:
            self.request_session()
        else:
            self.connect()
        return GLib.SOURCE_REMOVE

    def request_session(self):
        """Offerer, connected and greeted, no session: asks the element for one."""
        peer = self.peers[0] if self.peers else None
        if self.stopping or not peer or not peer.greeted or self.sessions:
            return
        self.serial += 1
        session_id = "%s-%d" % (self.session_prefix, self.serial)
        self.sessions[session_id] = peer
        self.signaller.emit("session-requested", session_id, peer.address, None)

    def session_over(self, session_id, state, detail):
        """The peer ended the session (bye, reject), or it cannot go on:
        state and detail say why."""
        self.sessions.pop(session_id, None)
        if self.role == OFFERER:
            self.emit_state(state, "%s; a new session in %d ms" % (detail, self.retry_delay_ms))
            self.schedule_retry()
        else:
            self.emit_state(state, detail)
        self.signaller.emit("session-ended", session_id)

    def handle_line(self, peer, line):
        if not peer.greeted:
            if line != HELLO:
                self.peer_lost(peer, "protocol error: not an rtcbridge-tcp 1 peer")
                return
            peer.greeted = True
            if self.role == OFFERER:
                self.request_session()
            return
        fields = line.split(" ", 2)  # kind, session, the rest
        kind = fields[0]
        if kind not in SESSION_KINDS:
            return  # unknown kinds are ignored
        session_id = fields[1] if len(fields) > 1 else ""
        rest = fields[2] if len(fields) > 2 else None
        if not SESSION_ID.match(session_id):
            self.peer_lost(peer, "protocol error: a bad session id")
            return
        self.handle_session_line(peer, kind, session_id, rest)

    def handle_session_line(self, peer, kind, session_id, rest):
        owner = self.sessions.get(session_id)
        if kind == "offer":
            if self.role == OFFERER:
                self.peer_lost(peer, "protocol error: an offer sent to the offering side")
                return
            if owner:
                peer.send("reject %s the session id is taken" % session_id)
                return
            offer = decode_description(GstWebRTC.WebRTCSDPType.OFFER, rest)
            if not offer:
                peer.send("reject %s malformed offer" % session_id)
                return
            self.sessions[session_id] = peer
            self.signaller.emit("session-requested", session_id, peer.address, offer)
            return
        if owner is not peer:
            return  # lines about a session that just ended can cross our bye
        if kind == "answer":
            answer = (decode_description(GstWebRTC.WebRTCSDPType.ANSWER, rest)
                      if self.role == OFFERER else None)
            if not answer:
                peer.send("bye %s" % session_id)
                self.session_over(session_id, "failed", "a malformed or unexpected answer")
                return
            self.signaller.emit("session-description", session_id, answer)
        elif kind == "candidate":
            mline, _, candidate = (rest or "").partition(" ")
            if not mline.isdigit() or int(mline) > 65535 or not candidate:
                self.peer_lost(peer, "protocol error: malformed candidate")
                return
            self.signaller.emit("ice-candidate", session_id, int(mline), candidate)
        elif kind == "reject":
            self.session_over(session_id, "rejected", "%s refused session %s: %s"
                              % (peer.address, session_id, rest or "no reason given"))
        else:  # bye
            self.session_over(session_id, "ended",
                              "%s ended session %s" % (peer.address, session_id))

    def peer_add(self, connection):
        peer = Peer(self, connection)
        self.peers.append(peer)
        self.emit_state("connected", peer.address)
        peer.send(HELLO)
        peer.read()

    def peer_lost(self, peer, why):
        """The peer went away or broke the protocol: its sessions end."""
        if peer.closed or self.stopping:
            return
        peer.closed = True
        peer.reading.cancel()
        while len(peer.outbox) > (1 if peer.writing else 0):
            peer.outbox.pop()
        self.peers.remove(peer)
        again = "; connecting again in %d ms" % self.retry_delay_ms if self.role == OFFERER else ""
        self.emit_state("disconnected", "%s went away: %s%s" % (peer.address, why, again))
        for session_id in [s for s, p in self.sessions.items() if p is peer]:
            del self.sessions[session_id]
            self.signaller.emit("session-ended", session_id)
        if self.role == OFFERER:
            self.schedule_retry()

    def connect(self):
        """Offerer: connects to the peer."""
        if self.stopping or self.peers:
            return
        if self.failures == 0:
            self.emit_state("connecting", self.address)
        self.pending += 1
        self.client.connect_to_host_async(self.address, 0, self.connecting, self.on_connected)

    def on_connected(self, client, result):
        self.pending -= 1
        try:
            connection = client.connect_to_host_finish(result)
        except GLib.Error as e:
            if not self.stopping:
                self.failures += 1
                if self.failures == 1:  # said once: the peer may not be up yet
                    self.emit_state("retrying", "%s: %s; trying again every %d ms"
                                    % (self.address, e.message, self.retry_delay_ms))
                self.schedule_retry()
            return
        if self.stopping:
            connection.close(None)
        else:
            self.failures = 0
            self.peer_add(connection)  # the session is asked for once its hello comes

    def on_incoming(self, service, connection, source):
        """Answerer: a peer connected."""
        if not self.stopping:
            self.peer_add(connection)
        return True

    def outgoing(self, session_id, line, ends):
        """A line for a session, from a vfunc."""
        peer = self.sessions.get(session_id)
        if not peer:
            return  # the session is over
        if line:
            peer.send(line)
        if ends:
            del self.sessions[session_id]
            if self.role == OFFERER:
                self.schedule_retry()  # e.g. after a failed ICE connection

    def shutdown(self):
        """stop(): every session ends (bye), every connection closes once its
        last lines are written, nothing more is emitted."""
        self.stopping = True
        if self.retry:
            self.retry.destroy()
            self.retry = None
        if self.service:
            self.service.stop()
            self.service.close()
        self.connecting.cancel()
        for session_id, peer in self.sessions.items():
            peer.send("bye %s" % session_id)
        self.sessions.clear()
        for peer in self.peers:
            peer.reading.cancel()
        self.deadline = GLib.timeout_source_new(SHUTDOWN_WRITE_TIMEOUT_MS)
        self.deadline.set_callback(lambda *_: self.writes.cancel() or False)
        self.deadline.attach(self.context)
        self.loop.quit()


class TcpSignaller(GObject.Object, GstRtc.Signaller):
    """A GstRtc.Signaller over TCP, in either role (see the top of the file).
    role, address (offerer: host:port), port (answerer) and retry_delay_ms
    are read at start."""

    def __init__(self, role, address=None, port=9000, retry_delay_ms=1000):
        super().__init__()
        self.role = role
        self.address = address
        self.port = port
        self.retry_delay_ms = retry_delay_ms
        self.lock = threading.Lock()  # guards io; nothing waits with it held
        self.io = None  # while started

    def _post_outgoing(self, session_id, line, ends):
        """Hands a line for a session to the I/O thread; dropped when stopped."""
        with self.lock:
            if self.io:
                self.io.post(self.io.outgoing, session_id, line, ends)

    # -- the vfuncs --

    def do_start(self):
        with self.lock:
            if self.io:
                return True
        # Raising GLib.Error fails the start: the element posts it as an error.
        io = Io(self, self.role, self.address, self.port, self.retry_delay_ms)
        with self.lock:
            self.io = io
        io.thread.start()
        return True

    def do_stop(self):
        with self.lock:
            io, self.io = self.io, None
        if io:
            io.post(io.shutdown)
            io.thread.join()

    def do_get_role(self):
        return self.role

    def do_get_trickle(self):
        return True

    def do_send_description(self, session_id, description):
        kinds = {GstWebRTC.WebRTCSDPType.OFFER: "offer", GstWebRTC.WebRTCSDPType.ANSWER: "answer"}
        kind = kinds.get(description.type)
        if kind:
            line = "%s %s %s" % (kind, session_id, encode_description(description))
            self._post_outgoing(session_id, line, False)

    def do_send_ice_candidate(self, session_id, mline, candidate):
        # webrtcbin needs no end-of-candidates; a line break would end the line.
        if candidate and "\n" not in candidate and "\r" not in candidate:
            self._post_outgoing(session_id,
                       "candidate %s %d %s" % (session_id, mline, candidate), False)

    def do_reject_session(self, session_id, error):
        line = None
        # An offerer's peer never heard of the session: nothing to tell it.
        if self.role == ANSWERER:
            reason = error.message if error else "refused"
            line = "reject %s %s" % (session_id, " ".join(reason.splitlines()))
        self._post_outgoing(session_id, line, True)

    def do_end_session(self, session_id):
        self._post_outgoing(session_id, "bye %s" % session_id, True)


# -- the programs --------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(
        description="WebRTC with your own signalling: a GstRtc.Signaller over TCP "
                    "(see the top of signaller.py)")
    parser.add_argument("mode", choices=("serve", "connect"))
    parser.add_argument("target", help="serve: PORT; connect: HOST:PORT")
    parser.add_argument("--frames", type=int, default=0,
                        help="serve: exit 0 once N video frames are decoded, 1 after --timeout")
    parser.add_argument("--timeout", type=int, default=30,
                        help="serve: seconds to wait for --frames (default 30)")
    parser.add_argument("--seconds", type=int, default=0,
                        help="connect: stop after S seconds (default: at Ctrl-C)")
    args = parser.parse_args()
    serve = args.mode == "serve"
    if serve and not (args.target.isdigit() and 1 <= int(args.target) <= 65535):
        parser.error("serve needs a port, 1 to 65535")
    if args.frames < 0 or args.timeout <= 0 or args.seconds < 0:
        parser.error("--frames, --timeout and --seconds take positive numbers")

    Gst.init(None)
    if serve:
        pipeline = Gst.parse_launch(
            "webrtcsubscribe name=rtc "
            "rtc.video_0 ! fakesink name=video sync=false signal-handoffs=true "
            "rtc.audio_0 ! fakesink name=audio sync=false signal-handoffs=true")
        signaller = TcpSignaller(ANSWERER, port=int(args.target))
    else:
        pipeline = Gst.parse_launch(
            "videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! "
            "webrtcpublish name=rtc audiotestsrc is-live=true ! rtc.")
        signaller = TcpSignaller(OFFERER, address=args.target)
    pipeline.get_by_name("rtc").set_property("signaller", signaller)

    loop = GLib.MainLoop()
    state = {"exit": 0, "stopping": False, "printed": 0}
    counts = {"video": 0, "audio": 0}
    lock = threading.Lock()  # counts: the streaming threads count

    def done():
        print("decoded %d video frames: done" % counts["video"], flush=True)
        state["exit"] = 0
        loop.quit()

    def on_video_frame(sink, buffer, pad):
        with lock:
            counts["video"] += 1
            n = counts["video"]
        caps = pad.get_current_caps() if n == 1 else None
        if caps:
            s = caps.get_structure(0)
            print("first video frame: %dx%d" % (s.get_value("width"), s.get_value("height")),
                  flush=True)
        if n == args.frames:
            GLib.idle_add(done)

    def on_audio_buffer(sink, buffer, pad):
        with lock:
            counts["audio"] += 1

    def on_tick():
        with lock:
            video, audio = counts["video"], counts["audio"]
        if video != state["printed"]:
            print("video frames %d, audio buffers %d" % (video, audio), flush=True)
        state["printed"] = video
        return GLib.SOURCE_CONTINUE

    def on_timeout():
        print("timed out: %d of %d video frames" % (counts["video"], args.frames),
              file=sys.stderr, flush=True)
        state["exit"] = 1
        loop.quit()

    def on_eos_late():
        print("no end of stream in time: stopping anyway", file=sys.stderr, flush=True)
        loop.quit()

    def on_stop():
        """--seconds, Ctrl-C, SIGTERM. A publisher ends its stream (its
        sessions end and its signaller says bye); a second signal, or a
        subscriber, quits."""
        if serve or state["stopping"]:
            loop.quit()
            return GLib.SOURCE_CONTINUE
        state["stopping"] = True
        print("stopping", flush=True)
        pipeline.send_event(Gst.Event.new_eos())
        GLib.timeout_add_seconds(3, on_eos_late)
        return GLib.SOURCE_CONTINUE

    def on_message(bus, msg):
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ELEMENT and s is not None:
            name, get = s.get_name(), s.get_value
            if name.endswith("-client-state"):
                print("signalling: %s (%s)" % (get("state"), get("detail")), flush=True)
            elif name == "webrtcsubscribe-publisher-connected":
                print("publisher %s connected (%s)" % (get("remote-address"), get("codecs")),
                      flush=True)
            elif name == "webrtcsubscribe-publisher-disconnected":
                print("publisher %s left: %s" % (get("remote-address"), get("reason")),
                      flush=True)
            elif name == "webrtcpublish-viewer-added":
                print("streaming to %s (%s)" % (get("remote-address"), get("codecs")),
                      flush=True)
            elif name == "webrtcpublish-viewer-removed":
                print("stopped streaming to %s: %s" % (get("remote-address"), get("reason")),
                      flush=True)
        elif msg.type == Gst.MessageType.WARNING:
            print("warning: %s" % msg.parse_warning()[0].message, file=sys.stderr, flush=True)
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print("error: %s (%s)" % (err.message, debug or ""), file=sys.stderr, flush=True)
            state["exit"] = 1
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, on_message)
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, on_stop)
    if serve:
        pipeline.get_by_name("video").connect("handoff", on_video_frame)
        pipeline.get_by_name("audio").connect("handoff", on_audio_buffer)
        GLib.timeout_add_seconds(2, on_tick)
        if args.frames:
            state["exit"] = 1  # until the frames are in
            GLib.timeout_add_seconds(args.timeout, on_timeout)
    elif args.seconds:
        GLib.timeout_add_seconds(args.seconds, lambda: on_stop() and False)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        # The error (e.g. the port in use) is on the bus.
        while GLib.MainContext.default().iteration(False):
            pass
        state["exit"] = 1
    else:
        print("waiting for publishers on port %s" % args.target if serve
              else "publishing to %s" % args.target, flush=True)
        loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_watch()
    if serve:
        print("video frames %d, audio buffers %d" % (counts["video"], counts["audio"]),
              flush=True)
    return state["exit"]


if __name__ == "__main__":
    sys.exit(main())

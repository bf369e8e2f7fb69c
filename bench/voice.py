#!/usr/bin/python3
"""Voice rooms: webrtcroom audio-mode=mix against audio-mode=forward, same
participants, same run.

CPU: for N = 4, 8, 16 participants (pipelines in this process, each a
webrtcroom joining with room-url and sending a live tone, decode=false so
that they cost little), the host (its own gst-launch-1.0 process) CPU over
--seconds after --settle, per participant, in both modes.

Mouth-to-ear: a participant's tone is gated (volume mute) on for 300 ms
every second; another participant detects its onset with `level` (10 ms
intervals, RMS above -35 dBFS) in what it receives: through the mixing
room (the room's mix), through the forwarding room (the talker's track)
and through a direct call (webrtcpublish -> webrtcsubscribe over the
loopback signaller, one hop, no server) in the same run. Latency = onset
detected - gate opened, both on this process's monotonic clock; the first
sample after the gate can be up to one 10 ms source buffer early.

Run inside tests/netns-run.sh (bench/run.sh voice does)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procstat import cpu_seconds, status  # noqa: E402

Gst.init(None)


class Loop:
    """A GLib main loop on its own thread (bus watches, pad-added)."""

    def __init__(self):
        self.loop = GLib.MainLoop()
        threading.Thread(target=self.loop.run, daemon=True).start()

    def call(self, fn):
        done = threading.Event()
        out = []

        def run():
            out.append(fn())
            done.set()
            return False

        GLib.idle_add(run)
        done.wait(10)
        return out[0] if out else None


class Host:
    def __init__(self, mode, room):
        self.proc = subprocess.Popen(
            ["gst-launch-1.0", "-m", "webrtcroom", "port=0", "room-name=" + room,
             "audio-mode=" + mode.rstrip("0123456789")] + (
                ["mix-frame-ms=" + mode[3:]] if mode.startswith("mix") and mode[3:] else []) + [
             "congestion-control=none", "max-participants=32",
             "handshake-timeout=60000"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.port = None
        self.joined = 0
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(20):
            raise RuntimeError("the host did not start")

    def _read(self):
        for line in self.proc.stdout:
            if "webrtcroom-listening" in line and "port=(uint)" in line:
                self.port = int(line.split("port=(uint)")[1].split(",")[0].split(";")[0])
                self.ready.set()
            if "webrtcroom-participant-joined" in line:
                self.joined += 1

    def stop(self):
        self.proc.send_signal(2)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Onsets:
    """Level messages of one pipeline: the times (monotonic) the RMS went
    above the threshold after being under it."""

    def __init__(self, threshold=-35.0):
        self.threshold = threshold
        self.loud = False
        self.times = []

    def on_message(self, _bus, msg):
        s = msg.get_structure()
        if msg.type != Gst.MessageType.ELEMENT or not s or s.get_name() != "level":
            return
        rms = max(s.get_value("rms"))
        loud = rms > self.threshold
        if loud and not self.loud:
            self.times.append(time.monotonic())
        self.loud = loud


def listen(pipeline, element, pad_name, onsets):
    """Links @element's pad @pad_name (when it comes) to level ! fakesink."""

    def on_pad(_el, pad):
        if pad.get_name() != pad_name:
            return
        sink = Gst.parse_bin_from_description(
            "queue ! audioconvert ! level interval=10000000 post-messages=true ! "
            "fakesink sync=false async=false", True)
        pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    element.connect("pad-added", on_pad)
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", onsets.on_message)


def member(url, name, freq, decode=False, gate=False):
    desc = ("webrtcroom name=room handshake-timeout=60000 decode=%s room-url=%s "
            "signaller::display-name=%s audiotestsrc is-live=true samplesperbuffer=480 "
            "freq=%d volume=0.3 ! volume name=gate mute=%s ! room.audio_0"
            % ("true" if decode else "false", url, name, freq, "true" if gate else "false"))
    return launch(desc)


def launch(desc):
    """A pipeline for @desc, even when it is one element."""
    e = Gst.parse_launch(desc)
    if isinstance(e, Gst.Pipeline):
        return e
    p = Gst.Pipeline()
    p.add(e)
    return p


def participant_id(pipeline):
    room = pipeline.get_by_name("room")
    sig = room.get_property("signaller")
    return sig.get_property("participant-id") if sig else None


def bursts(gate, onsets, n, on_ms=300, period_ms=1000):
    """Opens @gate @n times; the delay from each opening to the next onset."""
    delays = []
    for _ in range(n):
        t0 = time.monotonic()
        gate.set_property("mute", False)
        time.sleep(on_ms / 1000)
        gate.set_property("mute", True)
        time.sleep((period_ms - on_ms) / 1000)
        after = [t for t in onsets.times if t >= t0]
        if after and after[0] - t0 < period_ms / 1000:
            delays.append((after[0] - t0) * 1000)
    return delays


def room_run(mode, n, args, measure_latency):
    room = "voice%d%s" % (n, mode)
    host = Host(mode, room)
    url = "ws://127.0.0.1:%d/room/%s" % (host.port, room)
    pipes = []
    onsets = Onsets()
    try:
        # The talker (gated) and the listener (decodes what it receives) first.
        talker = member(url, "talker", 1000, gate=True)
        talker.set_state(Gst.State.PLAYING)
        pipes.append(talker)
        deadline = time.monotonic() + 30
        while not participant_id(talker) and time.monotonic() < deadline:
            time.sleep(0.1)
        tid = participant_id(talker)
        listener = member(url, "listener", 0, decode=True)
        listener.get_by_name("gate").set_property("mute", True)
        pad = "participant_room_audio_0" if mode.startswith("mix") else "participant_%s_audio_0" % tid
        listen(listener, listener.get_by_name("room"), pad, onsets)
        listener.set_state(Gst.State.PLAYING)
        pipes.append(listener)
        for i in range(2, n):
            # Quiet while the talker's onsets are timed (they would mask them).
            p = member(url, "p%d" % i, 300 + 50 * i, gate=measure_latency)
            p.set_state(Gst.State.PLAYING)
            pipes.append(p)
        deadline = time.monotonic() + 60
        while host.joined < n and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(args.settle)
        out = {"mode": mode, "n": n, "joined": host.joined}
        if measure_latency:
            out["latency_ms"] = bursts(talker.get_by_name("gate"), onsets, args.bursts)
            return out
        c0, t0 = cpu_seconds(host.proc.pid), time.monotonic()
        time.sleep(args.seconds)
        c1, t1 = cpu_seconds(host.proc.pid), time.monotonic()
        out["cpu_ms_per_s"] = (c1 - c0) / (t1 - t0) * 1000
        out["rss_mb"] = status(host.proc.pid, "VmRSS") / 1024
        out["threads"] = status(host.proc.pid, "Threads")
        return out
    finally:
        for p in pipes:
            p.set_state(Gst.State.NULL)
        host.stop()


def direct_run(args):
    onsets = Onsets()
    sub = launch(
        "webrtcsubscribe name=sub signaller-type=GstRtcLoopbackSignaller signaller::channel=direct "
        "signaller::role=answerer")
    listen(sub, sub.get_by_name("sub"), "audio_0", onsets)
    pub = launch(
        "audiotestsrc is-live=true samplesperbuffer=480 freq=1000 volume=0.3 ! "
        "volume name=gate mute=true ! webrtcpublish name=pub port=0 "
        "signaller-type=GstRtcLoopbackSignaller signaller::channel=direct signaller::role=offerer")
    try:
        sub.set_state(Gst.State.PLAYING)
        pub.set_state(Gst.State.PLAYING)
        time.sleep(args.settle)
        return {"mode": "direct", "latency_ms": bursts(pub.get_by_name("gate"), onsets, args.bursts)}
    finally:
        pub.set_state(Gst.State.NULL)
        sub.set_state(Gst.State.NULL)


def p50(v):
    return statistics.median(v) if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="4,8,16")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--settle", type=float, default=8)
    ap.add_argument("--bursts", type=int, default=10)
    ap.add_argument("--latency-n", type=int, default=4, help="participants in the latency runs")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    Loop()
    sizes = [int(x) for x in args.sizes.split(",")]
    results = [direct_run(args)]
    modes = ("mix", "mix10", "forward")  # mix: 20 ms frames (the default); mix10: mix-frame-ms=10
    for mode in modes:
        results.append(room_run(mode, args.latency_n, args, measure_latency=True))
        print(json.dumps(results[-1]), file=sys.stderr)
    for n in sizes:
        for mode in modes:
            results.append(room_run(mode, n, args, measure_latency=False))
            print(json.dumps(results[-1]), file=sys.stderr)
    print("mouth-to-ear (tone onset sent -> detected), p50 / max (bursts detected):")
    for r in results[:1 + len(modes)]:
        v = r["latency_ms"]
        print("  %-30s %s" % (r["mode"] if r["mode"] == "direct" else "room, %s, N=%d" % (r["mode"], r["n"]),
                              "%.1f / %.1f ms (%d of %d)" % (p50(v), max(v), len(v), args.bursts) if v else
                              "none detected"))
    print()
    print("| N | mode | joined | host CPU ms/s (per participant) | RSS MB | threads |")
    print("|---|---|---|---|---|---|")
    cpu = results[1 + len(modes):]
    for r in cpu:
        print("| %d | %s | %d | %.0f (%.1f) | %.0f | %d |"
              % (r["n"], r["mode"], r["joined"], r["cpu_ms_per_s"], r["cpu_ms_per_s"] / r["n"],
                 r["rss_mb"], r["threads"]))
    for n in sizes:
        m = {r["mode"]: r for r in cpu if r["n"] == n}
        if m.get("forward", {}).get("cpu_ms_per_s", 0) > 0:
            print("N=%d: mixing / forwarding host CPU = %.2f (20 ms frames), %.2f (10 ms)" % (
                n, m["mix"]["cpu_ms_per_s"] / m["forward"]["cpu_ms_per_s"],
                m["mix10"]["cpu_ms_per_s"] / m["forward"]["cpu_ms_per_s"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

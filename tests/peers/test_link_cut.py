#!/usr/bin/python3
"""The link to one viewer cut for 5 s and restored (issue 14, faults).

Two network namespaces joined by the user-space path of tests/netem
(netem.py, a "cut": every packet offered in those seconds is lost, both
ways). webrtcpublish (gst-launch-1.0) in A; two webrtcsubscribe viewers,
each its own process: "far" in B, across the path, and "near" in A
(loopback). Each viewer prints the time of every second's last decoded
frame.

Checked: the far viewer plays before the cut, gets nothing during it, and
plays again within 15 s of the link's return (the session survives: no new
POST is needed, the peer connection picks up on the same pair and the
publisher answers the keyframe request); the near viewer never notices
(no gap over 1 s in its frames while the other's link is down); the
publisher is still running at the end and posted no error.

Figures (printed): how long after the link returned the far viewer
decoded again, and the near viewer's longest gap."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NETEM = os.path.join(HERE, "..", "netem", "netem.py")
NAME = "cut1"
A, B = "10.82.0.1", "10.82.0.2"
CUT = (10.0, 15.0)  # seconds after the path is up
END = 28.0
PORT = 8080

VIEWER = r"""
import sys, time, gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst, GLib
Gst.init(None)
p = Gst.parse_launch("webrtcsubscribe name=sub whep-url=%s sub.video_0 ! "
                     "fakesink name=s sync=false signal-handoffs=true" % sys.argv[1])
t0 = float(sys.argv[2])
def handoff(*_):
    print("frame %.3f" % (time.time() - t0), flush=True)
p.get_by_name("s").connect("handoff", handoff)
bus = p.get_bus()
p.set_state(Gst.State.PLAYING)
while True:
    m = bus.timed_pop_filtered(100 * Gst.MSECOND, Gst.MessageType.ERROR)
    if m:
        print("error %s" % m.parse_error()[0].message, flush=True)
"""


def start_netem():
    cfg = {"name": NAME, "seed": 1, "a": A, "b": B,
           "ab": {"schedule": [[0, 20_000_000]], "delay_ms": 10, "cuts": [list(CUT)]},
           "ba": {"schedule": [[0, 20_000_000]], "delay_ms": 10, "cuts": [list(CUT)]}}
    f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(cfg, f)
    f.close()
    proc = subprocess.Popen(["/usr/bin/python3", NETEM, "run", f.name], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if line != "READY":
        sys.exit("netem did not start: %r" % line)
    t0 = time.time()
    # Drain its statistics so that it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, t0


class Lines:
    """A process's stdout lines, with when they came."""

    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def frames(self):
        return [float(x.split()[1]) for x in list(self.lines) if x.startswith("frame ")]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def longest_gap(frames, start, end):
    inside = [t for t in frames if start <= t <= end]
    points = [start] + inside + [end]
    return max(b - a for a, b in zip(points, points[1:]))


def main():
    netem, t0 = start_netem()
    procs = []
    failures = []
    try:
        publisher = Lines(["ip", "netns", "exec", NAME + "a", "gst-launch-1.0", "-m",
                           "videotestsrc", "is-live=true", "!",
                           "video/x-raw,width=320,height=240,framerate=30/1", "!",
                           "webrtcpublish", "address=0.0.0.0", "port=%d" % PORT])
        procs.append(publisher)
        time.sleep(2)
        far = Lines(["ip", "netns", "exec", NAME + "b", "/usr/bin/python3", "-c", VIEWER,
                     "http://%s:%d/whep/live" % (A, PORT), str(t0)])
        near = Lines(["ip", "netns", "exec", NAME + "a", "/usr/bin/python3", "-c", VIEWER,
                      "http://127.0.0.1:%d/whep/live" % PORT, str(t0)])
        procs += [far, near]
        while time.time() - t0 < END:
            time.sleep(0.5)
        ff, nf = far.frames(), near.frames()
        before = [t for t in ff if CUT[0] - 4 <= t < CUT[0]]
        during = [t for t in ff if CUT[0] + 0.5 <= t < CUT[1]]
        after = [t for t in ff if t >= CUT[1]]
        resumed = after[0] - CUT[1] if after else None
        near_gap = longest_gap(nf, CUT[0] - 4, END - 1) if nf else END
        print("far viewer: %d frames in the 4 s before the cut, %d during it, first after the "
              "link returned: %s" % (len(before), len(during),
                                     "%.2f s later" % resumed if resumed is not None else "none"))
        print("near viewer: %d frames, longest gap %.3f s (from 4 s before the cut to the end)"
              % (len(nf), near_gap))
        if len(before) < 30:
            failures.append("the far viewer was not playing before the cut (%d frames)"
                            % len(before))
        if during:
            failures.append("the far viewer decoded %d frames while its link was down"
                            % len(during))
        if resumed is None or resumed > 15:
            failures.append("the far viewer did not play again within 15 s of the link's return")
        elif len([t for t in after if t >= END - 5]) < 30:
            failures.append("the far viewer stopped again after it resumed")
        if near_gap > 1.0:
            failures.append("the near viewer had a %.2f s gap while the far one's link was cut"
                            % near_gap)
        if publisher.proc.poll() is not None:
            failures.append("the publisher exited (%s)" % publisher.proc.returncode)
        errors = [x for x in publisher.lines + far.lines + near.lines
                  if x.startswith("error ") or "ERROR" in x]
        if errors:
            failures.append("errors: %s" % errors[:3])
    finally:
        for p in procs:
            p.stop()
        netem.terminate()
        netem.wait(10)
    for f in failures:
        print("FAIL:", f)
    print("link cut: %s" % ("ok" if not failures else "%d failures" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Publisher CPU, memory and threads as viewers grow 1 -> 2 -> 4 -> 8 -> 16,
with shared encoding. The publisher is its own gst-launch-1.0 process (one
VP8 640x360 30 fps noise stream at 2 Mb/s (as the reference), no audio); the viewers live in another
process (bench-viewers: webrtcbin receivers that do not decode). For each
step the publisher's /proc/PID/stat CPU time is sampled over --seconds.
Run inside tests/netns-run.sh (bench/run.sh does)."""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "peers"))
from publisher import Publisher  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procstat import cpu_seconds, status  # noqa: E402


class PacketCounter:
    """Reads bench-viewers' "packets TOTAL MONOTONIC_US" lines."""

    def __init__(self, proc):
        self.last = (0, 0)
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for line in proc.stdout:
            parts = line.split()
            if parts and parts[0] == "packets":
                self.last = (int(parts[1]), int(parts[2]))


def measure(pid, seconds, counter=None, n=0):
    c0, t0 = cpu_seconds(pid), time.monotonic()
    p0 = counter.last if counter else None
    time.sleep(seconds)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    rate = 0.0
    if counter and n:
        p1 = counter.last
        if p1[1] > p0[1]:
            rate = (p1[0] - p0[0]) / ((p1[1] - p0[1]) / 1e6) / n
    return ((c1 - c0) / (t1 - t0) * 1000.0, status(pid, "VmRSS") / 1024.0,
            status(pid, "Threads"), rate)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--viewers-bin", required=True)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--steps", default="1,2,4,8,16")
    args = ap.parse_args()
    pub = Publisher(["videotestsrc", "is-live=true", "pattern=snow", "!",
                     "video/x-raw,width=640,height=360,framerate=30/1", "!",
                     "webrtcpublish", "name=pub", "port=0", "video-bitrate=2000000",
                     "codec-preferences=VP8"])
    url = "http://127.0.0.1:%d/whep/live" % pub.port
    rows = []
    try:
        time.sleep(2)
        rows.append((0,) + measure(pub.proc.pid, args.seconds))
        for n in [int(x) for x in args.steps.split(",")]:
            viewers = subprocess.Popen([args.viewers_bin, url, str(n)],
                                       stdout=subprocess.PIPE, text=True)
            line = viewers.stdout.readline().strip()
            if line != "receiving %d of %d" % (n, n):
                print("  %d viewers: %s" % (n, line or "viewers process failed"))
            counter = PacketCounter(viewers)
            time.sleep(2)
            rows.append((n,) + measure(pub.proc.pid, args.seconds, counter, n))
            viewers.terminate()
            viewers.wait(30)
            time.sleep(2)
    finally:
        pub.stop()
    print("publisher fan-out: VP8 640x360@30 (snow) at 2 Mb/s, one shared encoder, %g s per step"
          % args.seconds)
    print("  %8s %10s %7s %8s %13s %12s %15s %15s" % (
        "viewers", "CPU ms/s", "RSS MB", "threads", "pkts/s/viewer", "dCPU/viewer",
        "dRSS MB/viewer", "dthreads/viewer"))
    base = rows[1] if len(rows) > 1 else rows[0]
    for n, cpu, rss, threads, rate in rows:
        if n > base[0]:
            extra = n - base[0]
            per = "%12.2f %15.2f %15.2f" % ((cpu - base[1]) / extra, (rss - base[2]) / extra,
                                           (threads - base[3]) / extra)
        else:
            per = "%12s %15s %15s" % ("-", "-", "-")
        print("  %8d %10.1f %7.1f %8d %13.0f %s" % (n, cpu, rss, threads, rate, per))
    print("  (per-viewer columns are relative to 1 viewer; CPU ms/s = milliseconds of CPU per "
          "second of wall time, all threads)")


if __name__ == "__main__":
    main()

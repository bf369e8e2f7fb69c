#!/usr/bin/python3
"""A crowd of joiners: a flood of WHEP offers that never connect (a stored
Chromium offer whose candidates lead nowhere), and one real viewer (aiortc,
tests/peers/whep_client.py) arriving during it, against webrtcpublish with
max-handshakes=0 (no bound: what it was) and with the default bound, in
the same run.

Printed per run: answers (201) and refusals (503), answer time p50/max,
the publisher's peak threads and descriptors, how long after the flood its
threads were back near where they started (the abandoned sessions
released: they end at handshake-timeout), and the real viewer's time until
admitted (it retries on 503 after Retry-After) and until its first frame.

Run inside tests/netns-run.sh (bench/run.sh crowd does):
  crowd.py [--offers 300] [--parallel 50] [--bounds 0,32]"""
import argparse
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OFFER = open(os.path.join(HERE, "..", "tests", "fixtures", "offers", "chromium.sdp"), "rb").read()
WHEP_CLIENT = os.path.join(HERE, "..", "tests", "peers", "whep_client.py")
HANDSHAKE_TIMEOUT_MS = 15000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def post(url):
    req = urllib.request.Request(url, data=OFFER, method="POST")
    req.add_header("Content-Type", "application/sdp")
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status = resp.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = 0
    return status, (time.monotonic() - t0) * 1000


def proc_counts(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            threads = next(int(l.split()[1]) for l in f if l.startswith("Threads:"))
        return threads, len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, StopIteration):
        return 0, 0


def run(bound, args):
    port = free_port()
    pub = subprocess.Popen(
        ["gst-launch-1.0", "videotestsrc", "is-live=true", "!",
         "video/x-raw,width=320,height=240,framerate=15/1", "!", "webrtcpublish",
         "port=%d" % port, "handshake-timeout=%d" % HANDSHAKE_TIMEOUT_MS,
         "max-handshakes=%d" % bound],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d/whep/live" % port
    end = time.monotonic() + 20
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.2)
    time.sleep(2)
    base_threads, base_fds = proc_counts(pub.pid)
    peak = [base_threads, base_fds]
    sampling = [True]

    def sample():
        while sampling[0]:
            t, f = proc_counts(pub.pid)
            peak[0], peak[1] = max(peak[0], t), max(peak[1], f)
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    viewer_out = {}

    def viewer():
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/python3", WHEP_CLIENT, url, "--frames", "10", "--timeout", "60",
                            "--retry-503", "60"], capture_output=True, text=True)
        try:
            viewer_out.update(json.loads(p.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            viewer_out["error"] = p.stderr[-500:]
        viewer_out["total_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    v = threading.Thread(target=viewer)
    with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
        futures = [pool.submit(post, url) for _ in range(args.offers)]
        time.sleep(1)
        v.start()  # a real viewer in the middle of the flood
        results = [f.result() for f in futures]
    flood_s = time.monotonic() - t0
    flood_end = time.monotonic()
    v.join()
    # Released: threads back within 10 of where they started.
    released_s = None
    while time.monotonic() - flood_end < HANDSHAKE_TIMEOUT_MS / 1000 + 120:
        if proc_counts(pub.pid)[0] <= base_threads + 10:
            released_s = time.monotonic() - flood_end
            break
        time.sleep(0.25)
    sampling[0] = False
    sampler.join()
    pub.terminate()
    try:
        pub.wait(10)
    except subprocess.TimeoutExpired:
        pub.kill()
    ok = sorted(ms for s, ms in results if s == 201)
    return {
        "max_handshakes": bound, "offers": args.offers, "answered": len(ok),
        "refused_503": sum(1 for s, _ in results if s == 503),
        "other": sorted({s for s, _ in results if s not in (201, 503)}),
        "answer_ms_p50": ok[len(ok) // 2] if ok else None, "answer_ms_max": ok[-1] if ok else None,
        "flood_s": round(flood_s, 1), "threads": [base_threads, peak[0]], "fds": [base_fds, peak[1]],
        "released_s_after_flood": None if released_s is None else round(released_s, 1),
        "viewer": {k: viewer_out.get(k) for k in ("ok", "refused", "admitted_ms", "first_frame_ms",
                                                  "error")},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--offers", type=int, default=300)
    ap.add_argument("--parallel", type=int, default=50)
    ap.add_argument("--bounds", default="0,32", help="max-handshakes values to run (0: no bound)")
    args = ap.parse_args()
    rows = []
    for b in [int(x) for x in args.bounds.split(",")]:
        rows.append(run(b, args))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print("%d abandoned WHEP offers, %d at a time; handshake-timeout %d ms; a real viewer 1 s in"
          % (args.offers, args.parallel, HANDSHAKE_TIMEOUT_MS))
    print("| max-handshakes | 201 / 503 | answer p50 / max ms | threads start / peak | fds start / peak "
          "| released after the flood | real viewer: admitted / first frame ms (503s) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        v = r["viewer"]
        print("| %s | %d / %d | %s / %s | %d / %d | %d / %d | %s | %s |" % (
            r["max_handshakes"] or "0 (none)", r["answered"], r["refused_503"],
            r["answer_ms_p50"] and round(r["answer_ms_p50"]), r["answer_ms_max"] and round(r["answer_ms_max"]),
            r["threads"][0], r["threads"][1], r["fds"][0], r["fds"][1],
            "%s s" % r["released_s_after_flood"] if r["released_s_after_flood"] is not None else "not in time",
            "%s / %s (%s)" % (v.get("admitted_ms"), v.get("first_frame_ms"), v.get("refused") or 0)
            if v.get("ok") else "failed: %s" % (v.get("error") or "")[:80]))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""webrtcpublish and webrtcsubscribe in separate gst-launch-1.0 processes:
  1. webrtcpublish (WHIP client) -> webrtcsubscribe (WHIP server)
  2. webrtcsubscribe (WHEP client) <- webrtcpublish (WHEP server)
The receiving process must render >= 60 frames of 320x240; stopping the
sender with Ctrl-C (-e) must end the session cleanly. Run inside
tests/netns-run.sh."""
import re
import subprocess
import sys
import threading
import time

SOURCE = ["videotestsrc", "is-live=true", "!", "video/x-raw,width=320,height=240,framerate=30/1"]
RENDER = ["fpsdisplaysink", "video-sink=fakesink", "text-overlay=false", "sync=false",
          "signal-fps-measurements=true", "fps-update-interval=250"]


class Launch:
    def __init__(self, args):
        self.proc = subprocess.Popen(["gst-launch-1.0", "-e", "-m", "-v"] + args,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.out = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.out.append(line)

    def text(self):
        return "".join(self.out)

    def wait_for(self, pattern, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(pattern, self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        return re.search(pattern, self.text())

    def rendered(self):
        counts = re.findall(r"rendered: (\d+)", self.text())
        return int(counts[-1]) if counts else 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def check_receiver(rx, what):
    end = time.monotonic() + 60
    while rx.rendered() < 60 and time.monotonic() < end and rx.proc.poll() is None:
        time.sleep(0.25)
    assert rx.rendered() >= 60, "%s: %d frames\n%s" % (what, rx.rendered(), rx.text()[-3000:])
    caps = re.search(r"video_0: caps = video/x-raw.*width=\(int\)(\d+), height=\(int\)(\d+)",
                     rx.text())
    assert caps and caps.groups() == ("320", "240"), "%s: caps %s" % (
        what, caps.groups() if caps else None)
    assert "ERROR" not in rx.text(), rx.text()[-3000:]


def whip():
    rx = Launch(["webrtcsubscribe", "name=s", "port=0", "s.video_0", "!"] + RENDER)
    tx = None
    try:
        m = rx.wait_for(r"webrtcsubscribe-listening.*port=\(uint\)(\d+)", 30)
        assert m, rx.text()[-2000:]
        url = "http://127.0.0.1:%s/whip/live" % m.group(1)
        tx = Launch(SOURCE + ["!", "webrtcpublish", "whip-url=" + url])
        check_receiver(rx, "WHIP")
        code = tx.stop()
        assert code == 0, "sender exit %s:\n%s" % (code, tx.text()[-3000:])
        assert rx.wait_for(r"webrtcsubscribe-publisher-disconnected", 10), \
            "the sender's EOS did not end the session\n" + rx.text()[-2000:]
        assert re.search(r"webrtcpublish-client-state.*state=\(string\)stopped", tx.text()), \
            "no stopped state:\n" + "\n".join(
                l for l in tx.text().splitlines() if "client-state" in l or "EOS" in l)
        print("WHIP: %d frames" % rx.rendered())
    finally:
        if tx:
            tx.stop()
        rx.stop()


def whep():
    tx = Launch(SOURCE + ["!", "webrtcpublish", "port=0"])
    rx = None
    try:
        m = tx.wait_for(r"webrtcpublish-listening.*port=\(uint\)(\d+)", 30)
        assert m, tx.text()[-2000:]
        url = "http://127.0.0.1:%s/whep/live" % m.group(1)
        rx = Launch(["webrtcsubscribe", "name=s", "whep-url=" + url, "s.video_0", "!"] + RENDER)
        check_receiver(rx, "WHEP")
        assert rx.stop() == 0, rx.text()[-3000:]
        assert tx.wait_for(r"webrtcpublish-viewer-removed", 10), \
            "the receiver's stop did not DELETE its session\n" + tx.text()[-2000:]
        print("WHEP: %d frames" % rx.rendered())
    finally:
        if rx:
            rx.stop()
        tx.stop()


passed = failed = 0
for name, fn in (("whip", whip), ("whep", whep)):
    try:
        fn()
        passed += 1
    except Exception as e:  # report and go on
        print("FAIL %s: %s" % (name, e))
        failed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

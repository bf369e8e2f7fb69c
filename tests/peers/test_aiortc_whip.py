#!/usr/bin/python3
"""An independent WebRTC stack (aiortc) publishes over WHIP into
webrtcsubscribe: the pipeline must decode >= 60 frames of the sent size and
receive audio, with VP8 and with H.264, and hear the publisher's DELETE.
Run inside tests/netns-run.sh."""
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(__file__)


class Subscriber:
    def __init__(self, props):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "subscriber.py"), "port=0"] + props,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.port, self.stats, self.lines = None, None, []
        ready = threading.Event()

        def read():
            for line in self.proc.stdout:
                if line.startswith("STATS "):
                    self.stats = json.loads(line[6:])
                else:
                    self.lines.append(line)
                if line.startswith("LISTENING "):
                    self.port = int(line.split()[1])
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(30) or self.port is None:
            self.stop()
            raise RuntimeError("subscriber did not start:\n" + "".join(self.lines[-30:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def publish(codecs):
    sub = Subscriber(["codec-preferences=" + codecs])
    try:
        url = "http://127.0.0.1:%d/whip/live" % sub.port
        run = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "whip_publisher.py"), url,
                              "--seconds", "4"], capture_output=True, text=True, timeout=120)
        sys.stderr.write(run.stderr[-3000:])
        lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
        result = json.loads(lines[-1]) if lines else {"ok": False, "error": "no output"}
        time.sleep(1)
        stats = sub.stats or {}
        print(codecs, json.dumps(result), json.dumps(stats))
        assert result.get("ok"), result
        assert stats["video_frames"] >= 60, stats
        assert (stats["width"], stats["height"]) == (320, 240), stats
        assert stats["audio_buffers"] >= 20, stats
        assert stats["connected"] == 1 and stats["disconnected"] == 1, stats
        assert stats["errors"] == [], stats
    finally:
        sub.stop()


passed = failed = 0
for codecs in ("VP8,OPUS", "H264,OPUS"):
    try:
        publish(codecs)
        passed += 1
    except Exception as e:  # report and go on
        print("FAIL %s: %s" % (codecs, e))
        failed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

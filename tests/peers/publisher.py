"""Starts a webrtcpublish pipeline with gst-launch-1.0 on a free port and
tells the port (read from the element's "webrtcpublish-listening" bus
message, which gst-launch -m prints). Used by the peer and browser tests."""
import re
import subprocess
import threading
import time


class Publisher:
    def __init__(self, launch, timeout=30):
        self.proc = subprocess.Popen(
            ["gst-launch-1.0", "-m"] + launch,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.port = None
        self.lines = []
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(timeout) or self.port is None:
            self.stop()
            raise RuntimeError("publisher did not start:\n" + "".join(self.lines[-30:]))

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.search(r"webrtcpublish-listening.*port=\(uint\)(\d+)", line)
            if m and self.port is None:
                self.port = int(m.group(1))
                self._ready.set()
        self._ready.set()

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        return "".join(self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: gst-launch stops cleanly
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

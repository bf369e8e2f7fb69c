#!/usr/bin/python3
"""An independent WebRTC stack (aiortc) watches webrtcpublish over WHEP:
it must decode >= 60 video frames of the published size and receive audio,
and leave cleanly with DELETE. Then an H.264-preferring publisher is watched
too. Run inside tests/netns-run.sh."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from publisher import Publisher  # noqa: E402

CLIENT = os.path.join(os.path.dirname(__file__), "whep_client.py")


def watch(codecs):
    pub = Publisher(["videotestsrc", "is-live=true", "!",
                     "video/x-raw,width=320,height=240,framerate=30/1", "!",
                     "webrtcpublish", "name=pub", "port=0", "codec-preferences=" + codecs,
                     "audiotestsrc", "is-live=true", "!", "pub."])
    try:
        url = "http://127.0.0.1:%d/whep/live" % pub.port
        run = subprocess.run(["/usr/bin/python3", CLIENT, url, "--frames", "60", "--audio",
                              "--expect-width", "320", "--expect-height", "240",
                              "--timeout", "60"],
                             capture_output=True, text=True, timeout=120)
        sys.stderr.write(run.stderr[-3000:])
        lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
        result = json.loads(lines[-1]) if lines else {"ok": False, "error": "no output"}
        print(codecs, json.dumps(result))
        assert run.returncode == 0 and result.get("ok"), result
        assert result["frames"] >= 60 and result["width"] == 320 and result["height"] == 240
        assert result["audio_frames"] >= 10
        assert result["delete_status"] == 200, result
        assert pub.alive(), "the publisher died:\n" + pub.output()[-2000:]
    finally:
        pub.stop()


passed = failed = 0
for codecs in ("VP8,OPUS", "H264,OPUS"):
    try:
        watch(codecs)
        passed += 1
    except Exception as e:  # report and go on
        print("FAIL %s: %s" % (codecs, e))
        failed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

#!/usr/bin/python3
"""An independent WebRTC stack (aiortc) watches webrtcpublish over WHEP:
it must decode >= 60 video frames of the published size and receive audio,
and leave cleanly with DELETE. Then an H.264-preferring publisher is watched
too. Meanwhile the server's /metrics, read with Prometheus' own parser,
must count for the session the packets aiortc received (within 5 %),
and once aiortc has left, the gauges drop to 0, its session's series go
and the session-duration histogram counts it.
Run inside tests/netns-run.sh."""
import json
import os
import subprocess
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(__file__))
from publisher import Publisher  # noqa: E402

CLIENT = os.path.join(os.path.dirname(__file__), "whep_client.py")


def check_metrics(m, codecs):
    assert m["status"] == 200, m
    families = {f.name: f for f in text_string_to_metric_families(m["text"])}
    session = {"element": "webrtcpublish", "stream": "live", "session": m["session"]}

    def value(family, labels):
        for s in families[family].samples:
            if all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
        raise AssertionError("no %s%s in\n%s" % (family, labels, m["text"][:3000]))

    # The parser names counters without their _total.
    sent = value("rtc_session_sent_packets", session)
    before, after = m["received_before"], m["received_after"]
    print("packets: sent %d by /metrics, received %d..%d by aiortc" % (sent, before, after))
    assert before * 0.95 <= sent <= after * 1.05 + 10, (sent, before, after)
    assert value("rtc_session_sent_bytes", session) > sent * 10
    assert value("rtc_sessions", {"stream": "live"}) == 1
    assert value("rtc_sessions_connected", {"stream": "live"}) == 1
    assert value("rtc_session_connected", session) == 1
    info = [s for s in families["rtc_session_info"].samples
            if s.labels.get("session") == m["session"]]
    assert info and info[0].labels["codecs"] == codecs, info
    assert info[0].labels["local_candidate_type"] == "host", info
    # The connect-time histogram counted this session, in a bucket in order.
    buckets = [s for s in families["rtc_connect_time_seconds"].samples
               if s.name.endswith("_bucket")]
    counts = [s.value for s in buckets]
    assert counts == sorted(counts) and counts[-1] >= 1, buckets
    assert buckets[-1].labels["le"] == "+Inf", buckets
    # Media flowed once connected: counted too.
    first = [s.value for s in families["rtc_first_media_time_seconds"].samples
             if s.name.endswith("_count")]
    assert first and first[0] >= 1, first


def families_at(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return {f.name: f for f in text_string_to_metric_families(r.read().decode())}


def check_left(url, session):
    """After the viewer's DELETE: no session, no connected one, its own
    series gone, its life in the session-duration histogram."""
    deadline = time.time() + 15
    while True:
        fam = families_at(url)
        sessions = [s.value for s in fam["rtc_sessions"].samples]
        if sessions == [0] or time.time() > deadline:
            break
        time.sleep(0.25)
    assert sessions == [0], sessions
    assert [s.value for s in fam["rtc_sessions_connected"].samples] == [0]
    assert not [s for s in fam["rtc_session_connected"].samples
                if s.labels.get("session") == session], "the session's gauge stayed"
    lives = [s.value for s in fam["rtc_session_duration_seconds"].samples
             if s.name.endswith("_count")]
    assert lives == [1], lives
    print("after the viewer left: 0 sessions, its series gone, 1 life counted")


def watch(codecs):
    pub = Publisher(["videotestsrc", "is-live=true", "!",
                     "video/x-raw,width=320,height=240,framerate=30/1", "!",
                     "webrtcpublish", "name=pub", "port=0", "codec-preferences=" + codecs,
                     "audiotestsrc", "is-live=true", "!", "pub."])
    try:
        url = "http://127.0.0.1:%d/whep/live" % pub.port
        metrics_url = "http://127.0.0.1:%d/metrics" % pub.port
        run = subprocess.run(["/usr/bin/python3", CLIENT, url, "--frames", "60", "--audio",
                              "--expect-width", "320", "--expect-height", "240",
                              "--timeout", "60", "--metrics-url", metrics_url],
                             capture_output=True, text=True, timeout=120)
        sys.stderr.write(run.stderr[-3000:])
        lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
        result = json.loads(lines[-1]) if lines else {"ok": False, "error": "no output"}
        print(codecs, json.dumps(result))
        assert run.returncode == 0 and result.get("ok"), result
        assert result["frames"] >= 60 and result["width"] == 320 and result["height"] == 240
        assert result["audio_frames"] >= 10
        assert result["delete_status"] == 200, result
        check_metrics(result["metrics"], codecs)
        check_left(metrics_url, result["metrics"]["session"])
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

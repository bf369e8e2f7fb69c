#!/usr/bin/python3
"""Two participants on aiortc, an independent WebRTC stack, in a room hosted
by webrtcroom (gst-launch-1.0) that publishes a videotestsrc: each decodes
the pipeline's video (320x240) and the other participant's video (at the
size that one sends) and receives its audio; the host posts
webrtcroom-track-added for both participants' tracks; when B leaves, A's
roster drops B, B's m-lines go inactive and their counts stop, while the
pipeline's video keeps flowing to A; then W, an aiortc WHIP publisher,
joins over /whip-room/<room> with a camera and a microphone that A receives,
and leaves with its DELETE. Run inside tests/netns-run.sh:

  GST_PLUGIN_PATH=build/ext/rtcbridge tests/netns-run.sh \\
      /usr/bin/python3 tests/peers/test_room_aiortc.py
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PARTICIPANT = os.path.join(HERE, "roomparticipant.py")
WHIP_PUBLISHER = os.path.join(HERE, "whip_publisher.py")
BUILT = os.path.join(HERE, "..", "..", "build", "ext", "rtcbridge")
if not os.environ.get("GST_PLUGIN_PATH") and os.path.isdir(BUILT):
    os.environ["GST_PLUGIN_PATH"] = os.path.abspath(BUILT)

ROOM = "aio"
A_SIZE = (320, 240)
B_SIZE = (256, 192)  # another size than A's and the pipeline's: whose video is whose
B_STAYS = 12  # seconds B is in the room
A_STAYS = 34  # seconds A is in the room (B joins about 2 s after A; W after B left)
W_SIZE = (192, 144)  # the WHIP publisher's video


def free_port():
    """A port nothing listens on now (gst-launch cannot tell webrtcroom's
    port=0 choice, so the test picks one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process whose output (stdout and stderr together, or stdout
    only) is collected line by line by a thread."""

    def __init__(self, argv, merge=True):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                                     text=True)
        self.lines = []
        self.err = []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True).start()
        if not merge:
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True).start()

    @staticmethod
    def _read(stream, into):
        for line in stream:
            into.append(line)

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        return "".join(self.lines)

    def stop(self, sig=2, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)  # SIGINT: gst-launch and Python stop cleanly
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Participant(Proc):
    def __init__(self, url, name, *extra):
        super().__init__(["/usr/bin/python3", PARTICIPANT, url, "--name", name] + list(extra),
                         merge=False)
        self.name = name

    def reports(self):
        out = []
        for line in list(self.lines):
            try:
                out.append((json.loads(line)))
            except ValueError:
                pass
        return out

    def last(self):
        r = self.reports()
        return r[-1] if r else {}

    def wait_for(self, pred, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r = self.last()
            if r and pred(r):
                return r
            if not self.alive():
                break
            time.sleep(0.2)
        raise AssertionError("%s: %s not seen within %g s; last report: %s\n%s" % (
            self.name, what, timeout, json.dumps(self.last()), "".join(self.err[-20:])))

    def finish(self, timeout):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s did not exit within %g s" % (self.name, timeout))
        time.sleep(0.2)  # the reader thread gets the last line
        return self.proc.returncode


def tracks_of(report, participant, kind=None):
    return [t for t in report.get("tracks", []) if t["participant"] == participant
            and (kind is None or t["kind"] == kind)]


def one(report, participant, kind):
    found = tracks_of(report, participant, kind)
    assert len(found) == 1, "%s: expected one %s track of %s, got %s" % (
        report.get("name"), kind, participant, json.dumps(report.get("tracks")))
    return found[0]


def check_receives(report, other, other_size):
    """@report's participant decodes the pipeline's video, @other's video
    (of @other_size) and receives @other's audio."""
    who = report["name"]
    pv = one(report, "pipeline", "video")
    assert pv["active"] and pv["frames"] >= 30 and (pv["width"], pv["height"]) == (320, 240), \
        "%s: the pipeline's video: %s" % (who, pv)
    ov = one(report, other, "video")
    assert ov["active"] and ov["frames"] >= 30 and (ov["width"], ov["height"]) == other_size, \
        "%s: %s's video: %s" % (who, other, ov)
    oa = one(report, other, "audio")
    assert oa["active"] and oa["frames"] >= 50 and oa["samples"] >= 50 * 480, \
        "%s: %s's audio: %s" % (who, other, oa)


def run():
    port = free_port()
    host = Proc(["gst-launch-1.0", "-m", "webrtcroom", "name=room", "port=%d" % port,
                 "room-name=" + ROOM,
                 "videotestsrc", "is-live=true", "!",
                 "video/x-raw,width=320,height=240,framerate=15/1", "!", "room."])
    a = b = None
    try:
        end = time.monotonic() + 30
        while True:  # the embedded server listens once the pipeline runs
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                assert host.alive(), "the host did not start:\n" + host.output()[-3000:]
                assert time.monotonic() < end, "the host does not listen on %d" % port
                time.sleep(0.2)
        url = "ws://127.0.0.1:%d/room/%s" % (port, ROOM)

        a = Participant(url, "A", "--video", "--audio", "--size", "%dx%d" % A_SIZE,
                        "--seconds", str(A_STAYS))
        a_id = a.wait_for(lambda r: r.get("id") and r.get("published"), 20, "joined and published")["id"]
        b = Participant(url, "B", "--video", "--audio", "--size", "%dx%d" % B_SIZE,
                        "--leave-after", str(B_STAYS))
        b_id = b.wait_for(lambda r: r.get("id"), 20, "joined")["id"]

        # Both decode everything, a while before B leaves.
        b.wait_for(lambda r: len(r["tracks"]) == 3 and min(t["frames"] for t in r["tracks"]) >= 50,
                   B_STAYS, "the three remote tracks flowing")
        a_before = a.wait_for(lambda r: b_id in [p["id"] for p in r["roster"]] and len(tracks_of(r, b_id)) == 2
                              and min(t["frames"] for t in r["tracks"]) >= 50, 10,
                              "B's tracks flowing")
        check_receives(a_before, b_id, B_SIZE)
        check_receives(b.last(), a_id, A_SIZE)
        assert sorted(p["id"] for p in a_before["roster"]) == sorted(["pipeline", b_id]), a_before["roster"]
        assert sorted(p["id"] for p in b.last()["roster"]) == sorted(["pipeline", a_id]), b.last()["roster"]

        # B leaves: exit 0, its final line says so.
        code = b.finish(B_STAYS + 15)
        b_final = b.last()
        assert code == 0 and b_final.get("final"), "B exited %s: %s\n%s" % (
            code, json.dumps(b_final), "".join(b.err[-20:]))
        assert not b_final["errors"], b_final["errors"]
        assert b_final["close"]["code"] == 1000, b_final["close"]
        check_receives(b_final, a_id, A_SIZE)

        # A: B is gone from the roster, B's m-lines inactive.
        gone = a.wait_for(lambda r: b_id not in [p["id"] for p in r["roster"]] and tracks_of(r, b_id)
                          and all(t["direction"] == "inactive" and not t["active"] for t in tracks_of(r, b_id)),
                          10, "B gone and its m-lines inactive")
        gone_at = time.monotonic()

        # W: an aiortc WHIP publisher (no room protocol) POSTs to
        # /whip-room/<room>: A sees it join with its camera and microphone,
        # decodes its video and receives its audio; W DELETEs its session
        # and A sees it leave.
        w = Proc(["/usr/bin/python3", WHIP_PUBLISHER,
                  "http://127.0.0.1:%d/whip-room/%s?name=W" % (port, ROOM), "--seconds", "6",
                  "--width", str(W_SIZE[0]), "--height", str(W_SIZE[1])], merge=False)
        try:
            with_w = a.wait_for(lambda r: any(p["name"] == "W" for p in r["roster"]), 20, "W in the roster")
        except AssertionError:
            w.stop()
            print("W:", "".join(w.lines[-5:]), "".join(w.err[-20:]))
            raise
        w_id = next(p["id"] for p in with_w["roster"] if p["name"] == "W")
        w_entry = next(p for p in with_w["roster"] if p["id"] == w_id)
        assert sorted((t["kind"], t["label"]) for t in w_entry["tracks"]) == [
            ("audio", "microphone"), ("video", "camera")], w_entry
        w_seen = a.wait_for(lambda r: len(tracks_of(r, w_id)) == 2
                            and min(t["frames"] for t in tracks_of(r, w_id)) >= 30, 20,
                            "W's video and audio flowing")
        wv = one(w_seen, w_id, "video")
        assert (wv["width"], wv["height"]) == W_SIZE, "W's video at A: %s" % wv
        w.proc.wait(30)
        w_result = json.loads([line for line in w.lines if line.startswith("{")][-1])
        assert w_result["ok"] and w_result["status"] == 201 and w_result["delete_status"] == 200, w_result
        a.wait_for(lambda r: w_id not in [p["id"] for p in r["roster"]], 10, "W gone after its DELETE")

        code = a.finish(A_STAYS + 15)
        a_final = a.last()
        assert code == 0 and a_final.get("final"), "A exited %s: %s\n%s" % (
            code, json.dumps(a_final), "".join(a.err[-20:]))
        assert not a_final["errors"], a_final["errors"]
        assert a_final["close"]["code"] == 1000, a_final["close"]
        assert [p["id"] for p in a_final["roster"]] == ["pipeline"], a_final["roster"]
        stayed = time.monotonic() - gone_at
        assert stayed >= 5, "A left only %.1f s after B" % stayed
        # B's tracks stopped: not one frame more after their m-lines went inactive.
        for t in tracks_of(a_final, b_id):
            before = next(x for x in tracks_of(gone, b_id) if x["mid"] == t["mid"])
            assert t["frames"] == before["frames"] and t["direction"] == "inactive" and not t["active"], \
                "B's %s went on: %s, then %s" % (t["kind"], before, t)
        # The pipeline's video kept flowing (15 fps; at least a third of it).
        pv_then = one(gone, "pipeline", "video")["frames"]
        pv_now = one(a_final, "pipeline", "video")
        assert pv_now["active"] and pv_now["frames"] - pv_then >= 5 * stayed, \
            "the pipeline's video to A: %d frames in %.1f s" % (pv_now["frames"] - pv_then, stayed)
        # The host saw both participants' tracks.
        out = host.output()
        for pid in (a_id, b_id):
            for kind in ("video", "audio"):
                needle = "participant=(string)%s, name=(string)%s, pad=(string)participant_%s_%s_" % (
                    pid, "A" if pid == a_id else "B", pid, kind)
                assert any("webrtcroom-track-added" in line and needle in line for line in host.lines), \
                    "no webrtcroom-track-added for %s %s:\n%s" % (pid, kind, out[-3000:])
        # A's tracks went on reaching the room: not removed before A left.
        lines = list(host.lines)
        a_left = next((i for i, line in enumerate(lines) if "webrtcroom-participant-left" in line
                       and "id=(string)%s," % a_id in line), len(lines))
        a_removed = [line for line in lines[:a_left] if "webrtcroom-track-removed" in line
                     and "participant=(string)%s," % a_id in line]
        assert not a_removed, "A's tracks were removed while A was in the room: %s" % a_removed
        assert host.alive(), "the host died:\n" + out[-3000:]
        for line in host.lines:
            assert not line.startswith(("ERROR", "WARNING")), "the host: " + line

        print("A %s: pipeline video %d frames %dx%d, B's video %s, B's audio %s; after B left %d more "
              "pipeline frames in %.1f s" % (
                  a_id, pv_now["frames"], pv_now["width"], pv_now["height"],
                  json.dumps(one(a_final, b_id, "video")), json.dumps(one(a_final, b_id, "audio")),
                  pv_now["frames"] - pv_then, stayed))
        print("B %s: %s" % (b_id, json.dumps(b_final["tracks"])))
    finally:
        for p in (a, b):
            if p is not None:
                p.stop()
        host.stop()


def main():
    try:
        run()
    except AssertionError as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    print("PASS")
    sys.exit(0)


if __name__ == "__main__":
    main()

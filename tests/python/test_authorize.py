#!/usr/bin/env python3
"""An application decides who may do what, from Python: the "authorize"
signal of webrtcpublish's default signaller sees each offer (method, the
headers, what the built-in checks granted) and refuses it (403), lets it
through, or narrows its permissions in place (no remote control), which
the session's permissions then say (GstRtc.Signaller.session_permits)."""
import sys
import urllib.error
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtc", "1.0")
from gi.repository import Gst, GstRtc  # noqa: E402

Gst.init(None)
OFFER = open(sys.argv[1], "rb").read()


def main():
    pipeline = Gst.parse_launch("videotestsrc is-live=true ! webrtcpublish name=pub port=0")
    pub = pipeline.get_by_name("pub")
    sig = pub.get_child_by_name("signaller")
    seen = []

    def authorize(_sig, request):
        headers = request.get_value("headers")
        key = headers.get_value("x-api-key")
        seen.append((request.get_value("method"), request.get_value("path"),
                     request.get_value("permissions"), key))
        if key == "viewer":
            request.set_value("permissions", "view")
        return key in ("viewer", "operator")

    sig.connect("authorize", authorize)
    pipeline.set_state(Gst.State.PLAYING)
    pipeline.get_state(10 * Gst.SECOND)
    port = sig.get_property("port")

    def post(key):
        req = urllib.request.Request(
            "http://127.0.0.1:%d/whep/live" % port, data=OFFER,
            headers={"Content-Type": "application/sdp", "X-Api-Key": key})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, r.headers.get("Location", "")
        except urllib.error.HTTPError as e:
            return e.code, ""

    failures = []
    status, _ = post("stranger")
    if status != 403:
        failures.append("a stranger got %d, not 403" % status)
    status, viewer = post("viewer")
    if status != 201:
        failures.append("the viewer got %d" % status)
    status, operator = post("operator")
    if status != 201:
        failures.append("the operator got %d" % status)
    viewer_id = viewer.rsplit("/", 1)[-1]
    operator_id = operator.rsplit("/", 1)[-1]
    if viewer_id and GstRtc.Signaller.session_permits(sig, viewer_id, "control"):
        failures.append("the viewer may control the pipeline")
    if viewer_id and not GstRtc.Signaller.session_permits(sig, viewer_id, "view"):
        failures.append("the viewer may not view")
    if operator_id and not GstRtc.Signaller.session_permits(sig, operator_id, "control"):
        failures.append("the operator may not control the pipeline")
    expected = [("POST", "/whep/live", "view,publish,control", k)
                for k in ("stranger", "viewer", "operator")]
    if seen != expected:
        failures.append("the handler saw %r" % (seen,))
    pipeline.set_state(Gst.State.NULL)
    for f in failures:
        print("FAIL:", f)
    print("authorize from Python: %s" % ("ok" if not failures else "%d failures" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

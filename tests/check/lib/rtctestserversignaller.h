/* A GstRtcHttpServerSignaller on a free loopback port, with the test
 * playing its element (a Recorder of its signals; answer () calls the
 * vfunc) and its peers (post (): an offer over HTTP). For the unit tests
 * that link the signallers in (rtc_http_test_dep). Test thread. */
#pragma once

#include <gst/check/gstcheck.h>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <gst/rtcbridge/gstrtcsignaller.h>
#include "gstrtchttpserversignaller.h"
#include "rtctesthttp.h"
#include "rtctestsignalling.h"

struct Server {
  Recorder rec;
  GstRtcSignaller *sig = nullptr;
  std::string base, endpoint, offer = read_fixture ("offers/chromium.sdp");
  guint port = 0;

  explicit Server (GstRtcHttpProtocol protocol = GST_RTC_HTTP_PROTOCOL_WHEP,
                   std::function<void (GObject *)> configure = {})
  {
    fail_if (offer.empty ());
    sig = GST_RTC_SIGNALLER (g_object_new (GST_TYPE_RTC_HTTP_SERVER_SIGNALLER, "address",
                                           "127.0.0.1", "port", 0, "protocol", protocol, nullptr));
    gst_object_ref_sink (sig);
    if (configure)
      configure (G_OBJECT (sig));
    rec.attach (sig);
    g_autoptr (GError) error = nullptr;
    fail_unless (gst_rtc_signaller_start (sig, &error), "start: %s", error ? error->message : "?");
    g_autofree gchar *name = nullptr;
    g_object_get (sig, "port", &port, "stream-name", &name, nullptr);
    fail_unless (port > 0);
    base = "http://127.0.0.1:" + std::to_string (port);
    endpoint = base + (protocol == GST_RTC_HTTP_PROTOCOL_WHIP ? "/whip/" : "/whep/") + name;
  }
  ~Server ()
  {
    gst_rtc_signaller_stop (sig);
    rec.detach (sig);
    gst_object_unref (sig);
  }
  std::unique_ptr<Async> post (const std::map<std::string, std::string> &headers = {},
                               const std::string &type = "application/sdp")
  {
    std::string url = endpoint, body = offer;
    return std::make_unique<Async> (
        [url, body, headers, type] { return http_request ("POST", url, type, body, headers); });
  }
  void answer (const std::string &id)
  {
    g_autoptr (GstWebRTCSessionDescription) a =
        description (GST_WEBRTC_SDP_TYPE_ANSWER, ANSWER_SDP);
    gst_rtc_signaller_send_description (sig, id.c_str (), a);
  }
  /* POST, answer: the session's URL. */
  std::string session (guint n = 1)
  {
    auto p = post ();
    Event e = rec.wait ("session-requested", n);
    answer (e.id);
    fail_unless_equals_int (p->get ().status, 201);
    return base + p->get ().header ("location");
  }
};

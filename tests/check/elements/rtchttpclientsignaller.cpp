/* The WHEP/WHIP client signaller without any element, against the GstRtcSignaller
 * contract (gst/rtcbridge/gstrtcsignaller.h): the test plays the element
 * (it records the signals and calls the vfuncs) and the peer (libsoup
 * requests to the server signaller; a small SoupServer for the client).
 * The signallers are linked into the test; no plugin is loaded. */
#include <gst/check/gstcheck.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gst/rtcbridge/gstrtcsignaller.h>
#include "gstrtchttpclientsignaller.h"
#include "gstrtchttpserversignaller.h"
#include "rtchttpclient.h"
#include "rtctesthttp.h"
#include "rtctestsignalling.h"
#include "rtctestsocket.h"
#include "rtctestutil.h"

namespace {} // namespace

/* ---- the client signaller ----------------------------------------------- */

/* What a WHIP server normally answers. */
FakeServer::Reply whip_reply (const FakeServer::Request &req, guint)
{
  FakeServer::Reply r;
  if (req.method == "POST") {
    r.status = 201;
    r.headers = {{"Location", "/whip/live/session-1"},
                 {"ETag", "\"etag-1\""},
                 {"Link", "<stun:stun.example.net:3478>; rel=\"ice-server\""},
                 {"Link", "<https://example.net/doc>; rel=\"help\""},
                 {"Link", "<turn:turn.example.net:3478?transport=udp>; rel=\"ice-server\"; "
                          "username=\"user\"; credential=\"pa ss\"; credential-type=\"password\""}};
    r.body = ANSWER_SDP;
  } else if (req.method == "PATCH") {
    r.status = 204;
  }
  return r;
}

struct Client {
  Recorder rec;
  GstRtcSignaller *sig = nullptr;
  std::string url;
  std::string offer_sdp;
  GstWebRTCSessionDescription *offer = nullptr;

  explicit Client (const std::string &u, guint retry_min_ms = 10) : url (u)
  {
    offer = description (GST_WEBRTC_SDP_TYPE_OFFER, read_fixture ("offers/firefox.sdp"));
    offer_sdp = sdp_text (offer->sdp);
    sig = GST_RTC_SIGNALLER (g_object_new (GST_TYPE_RTC_HTTP_CLIENT_SIGNALLER, "url", url.c_str (),
                                           "auth-token", "tok3n", "retry-delay-min", retry_min_ms,
                                           nullptr));
    gst_object_ref_sink (sig);
    rec.attach (sig);
  }
  ~Client ()
  {
    gst_rtc_signaller_stop (sig);
    rec.detach (sig);
    gst_object_unref (sig);
    gst_webrtc_session_description_free (offer);
  }
  void start ()
  {
    g_autoptr (GError) error = nullptr;
    fail_unless (gst_rtc_signaller_start (sig, &error), "%s", error ? error->message : "");
  }
  /* As an element does: an offer for every session asked for. */
  void offer_on_request ()
  {
    rec.on_session_requested = [this] (const Event &e) {
      gst_rtc_signaller_send_description (sig, e.id.c_str (), offer);
    };
  }
  std::string property (const char *name)
  {
    g_autofree gchar *v = nullptr;
    g_object_get (sig, name, &v, nullptr);
    return v ? v : "(null)";
  }
};

GST_START_TEST (test_client_offer_answer)
{
  FakeServer srv;
  srv.set_script (whip_reply);
  Client c (srv.base () + "/whip/live");
  fail_unless_equals_int (gst_rtc_signaller_get_role (c.sig), GST_RTC_SIGNALLER_ROLE_OFFERER);
  c.start ();
  Event e = c.rec.wait ("session-requested");
  fail_if (e.id.empty ());
  fail_unless (e.sdp.empty (), "an offerer's session-requested carries no offer");
  assert_str (e.text, c.url);
  fail_unless (c.rec.saw_state ("connecting", c.url));
  assert_str (c.property ("resource-url"), "(null)");

  gst_rtc_signaller_send_description (c.sig, e.id.c_str (), c.offer);
  FakeServer::Request post = srv.wait ("POST");
  assert_str (post.path, "/whip/live");
  assert_str (post.body, c.offer_sdp);
  assert_str (post.content_type, "application/sdp");
  assert_str (post.authorization, "Bearer tok3n");

  Event d = c.rec.wait ("session-description");
  assert_str (d.id, e.id);
  fail_unless_equals_int (d.type, GST_WEBRTC_SDP_TYPE_ANSWER);
  assert_str (d.sdp, sdp_normalized (ANSWER_SDP));
  std::string resource = srv.base () + "/whip/live/session-1";
  fail_unless (c.rec.saw_state ("answered", resource));
  assert_str (c.property ("resource-url"), resource);
  assert_str (
      c.property ("ice-servers"),
      "stun://stun.example.net:3478,turn://user:pa%20ss@turn.example.net:3478?transport=udp");

  /* An answer is not an offer: not sent. */
  g_autoptr (GstWebRTCSessionDescription) a = description (GST_WEBRTC_SDP_TYPE_ANSWER, ANSWER_SDP);
  gst_rtc_signaller_send_description (c.sig, e.id.c_str (), a);

  /* stop: DELETE of the session URL, with the token. */
  gst_rtc_signaller_stop (c.sig);
  FakeServer::Request del = srv.wait ("DELETE");
  assert_str (del.path, "/whip/live/session-1");
  assert_str (del.authorization, "Bearer tok3n");
  fail_unless (c.rec.saw_state ("stopped"));
  assert_str (c.property ("resource-url"), "(null)");
  fail_unless_equals_int (c.rec.count ("session-requested"), 1);
  fail_unless_equals_int (c.rec.count ("error") + c.rec.count ("session-ended"), 0);
  fail_unless_equals_int (srv.count ("POST"), 1);
}
GST_END_TEST;

GST_START_TEST (test_client_trickle)
{
  FakeServer srv;
  srv.set_script (whip_reply);
  srv.hold (true);
  Client c (srv.base () + "/whip/live");
  c.start ();
  Event e = c.rec.wait ("session-requested");
  gst_rtc_signaller_send_description (c.sig, e.id.c_str (), c.offer);
  srv.wait ("POST");
  gst_rtc_signaller_send_ice_candidate (c.sig, e.id.c_str (), 0, CANDIDATE);
  gst_rtc_signaller_send_ice_candidate (c.sig, e.id.c_str (), 1,
                                        "candidate:2 1 udp 1 10.213.0.9 50001 typ host");
  gst_rtc_signaller_send_ice_candidate (c.sig, "another-session", 0, CANDIDATE);
  gst_rtc_signaller_send_ice_candidate (c.sig, e.id.c_str (), 7, CANDIDATE); /* no m-line 7 */
  /* Queued until the 201: the session URL and ETag are not known yet. */
  g_usleep (300000);
  fail_unless_equals_int (srv.count ("PATCH"), 0);
  srv.hold (false);
  c.rec.wait ("session-description");
  FakeServer::Request p1 = srv.wait ("PATCH", 1), p2 = srv.wait ("PATCH", 2);
  for (auto &p : {p1, p2}) {
    assert_str (p.path, "/whip/live/session-1");
    assert_str (p.if_match, "\"etag-1\"");
    assert_str (p.content_type, "application/trickle-ice-sdpfrag");
    assert_str (p.authorization, "Bearer tok3n");
    fail_unless (p.body.find ("a=ice-ufrag:10067097\r\n") != std::string::npos, "%s",
                 p.body.c_str ());
    fail_unless (p.body.find ("a=ice-pwd:d6e83c7b834d1047446651f4844ef5ce\r\n") !=
                 std::string::npos);
  }
  /* Each candidate under the mid of its m-line (PATCHes may arrive in any order). */
  bool first_is_0 = p1.body.find ("a=mid:0\r\n") != std::string::npos;
  const std::string &mid0 = first_is_0 ? p1.body : p2.body, &mid1 = first_is_0 ? p2.body : p1.body;
  fail_unless (mid0.find (CANDIDATE_LINE) != std::string::npos, "%s", mid0.c_str ());
  fail_unless (mid1.find ("a=mid:1\r\na=candidate:2 1 udp") != std::string::npos, "%s",
               mid1.c_str ());
  /* After the 201: sent at once; the end of candidates too. */
  gst_rtc_signaller_send_ice_candidate (c.sig, e.id.c_str (), 0, nullptr);
  FakeServer::Request end = srv.wait ("PATCH", 3);
  fail_unless (end.body.find ("a=mid:0\r\na=end-of-candidates\r\n") != std::string::npos, "%s",
               end.body.c_str ());
  g_usleep (200000);
  fail_unless_equals_int (srv.count ("PATCH"), 3);
}
GST_END_TEST;

GST_START_TEST (test_client_redirect)
{
  for (guint code : {307u, 308u}) {
    FakeServer srv;
    std::string target = code == 307 ? "/whip/live" : srv.base () + "/whip/live";
    srv.set_script ([code, target] (const FakeServer::Request &req, guint n) {
      if (req.method == "POST" && req.path == "/old") {
        FakeServer::Reply r;
        r.status = code;
        r.headers = {{"Location", target}};
        return r;
      }
      return whip_reply (req, n);
    });
    Client c (srv.base () + "/old");
    c.offer_on_request ();
    c.start ();
    c.rec.wait ("session-description");
    assert_str (srv.wait ("POST", 1).path, "/old");
    FakeServer::Request again = srv.wait ("POST", 2);
    assert_str (again.path, "/whip/live");
    assert_str (again.body, c.offer_sdp);
    assert_str (again.authorization, "Bearer tok3n");
    assert_str (c.property ("resource-url"), (srv.base () + "/whip/live/session-1"));
    fail_unless_equals_int (c.rec.count ("session-requested"), 1);
  }
}
GST_END_TEST;

/* A redirect to another origin: the offer follows it, the bearer token
 * does not (nor to the session URL there); https never to plain http. */
GST_START_TEST (test_client_redirect_other_origin)
{
  FakeServer a, b;
  std::string target = b.base () + "/whip/live";
  a.set_script ([target] (const FakeServer::Request &, guint) {
    FakeServer::Reply r;
    r.status = 307;
    r.headers = {{"Location", target}};
    return r;
  });
  b.set_script (whip_reply);
  Client c (a.base () + "/whip/live");
  c.offer_on_request ();
  c.start ();
  c.rec.wait ("session-description");
  assert_str (a.wait ("POST", 1).authorization, "Bearer tok3n");
  FakeServer::Request there = b.wait ("POST", 1);
  assert_str (there.body, c.offer_sdp);
  assert_str (there.authorization, "");
  assert_str (c.property ("resource-url"), (b.base () + "/whip/live/session-1"));
  gst_rtc_signaller_stop (c.sig);
  assert_str (b.wait ("DELETE", 1).authorization, "");
  fail_unless_equals_int (a.count ("DELETE"), 0);

  /* The rules themselves (an https server needs a CA the client trusts). */
  fail_unless (rtc::http_same_origin ("http://h:80/a", "HTTP://H/b?c"));
  fail_unless (rtc::http_same_origin ("https://h/a", "https://h:443/"));
  fail_if (rtc::http_same_origin ("http://h/a", "https://h/a"));
  fail_if (rtc::http_same_origin ("http://h:8080/a", "http://h:8081/a"));
  fail_if (rtc::http_same_origin ("http://h/a", "http://evil.h/a"));
  fail_if (rtc::http_same_origin ("http://h/a", "not a url"));
  fail_unless (rtc::http_downgrades ("https://h/whip", "http://h/whip"));
  fail_unless (rtc::http_downgrades ("HTTPS://h/whip", "http://h/whip"));
  fail_if (rtc::http_downgrades ("https://h/whip", "https://i/whip"));
  fail_if (rtc::http_downgrades ("http://h/whip", "https://h/whip"));
}
GST_END_TEST;

/* A server that answers more than 64 KiB (with a Content-Length, or
 * chunked) is cut off: the attempt fails and is retried, no answer is
 * taken from it. */
GST_START_TEST (test_client_body_cap)
{
  for (bool chunked : {false, true}) {
    FakeServer srv;
    srv.set_script ([chunked] (const FakeServer::Request &req, guint n) {
      FakeServer::Reply r = whip_reply (req, n);
      if (req.method == "POST") {
        r.body += "a=x-padding:" + std::string (100 * 1024, 'x') + "\r\n";
        r.chunked = chunked;
      }
      return r;
    });
    Client c (srv.base () + "/whip/live");
    c.offer_on_request ();
    c.start ();
    /* (session-ended comes just before the state) */
    fail_unless (
        wait_until ([&] { return c.rec.saw_state ("retrying", "over 65536 bytes"); }, 20000),
        "chunked %d", chunked);
    fail_unless_equals_int (c.rec.count ("session-description"), 0);
    fail_unless (!c.rec.saw_state ("answered"));
  }
}
GST_END_TEST;

GST_START_TEST (test_client_retry_after)
{
  FakeServer srv;
  srv.set_script ([] (const FakeServer::Request &req, guint n) {
    if (req.method == "POST" && n == 1) {
      FakeServer::Reply r;
      r.status = 503;
      r.headers = {{"Retry-After", "1"}};
      return r;
    }
    return whip_reply (req, n);
  });
  Client c (srv.base () + "/whip/live");
  c.offer_on_request ();
  c.start ();
  Event one = c.rec.wait ("session-requested");
  Event ended = c.rec.wait ("session-ended");
  assert_str (ended.id, one.id);
  /* A new session after the server's delay (not retry-delay-min's 10 ms). */
  Event two = c.rec.wait ("session-requested", 2);
  fail_unless (two.id != one.id);
  fail_unless (c.rec.saw_state ("retrying", "1000 ms"));
  fail_unless (two.at_us - ended.at_us >= 900000, "retried after %" G_GINT64_FORMAT " us",
               two.at_us - ended.at_us);
  Event d = c.rec.wait ("session-description");
  assert_str (d.id, two.id);
  fail_unless_equals_int (c.rec.count ("error"), 0);
  /* A late offer for the ended session is not sent. */
  gst_rtc_signaller_send_description (c.sig, one.id.c_str (), c.offer);
  g_usleep (200000);
  fail_unless_equals_int (srv.count ("POST"), 2);
}
GST_END_TEST;

GST_START_TEST (test_client_fatal_or_retry)
{
  /* 4xx that retrying cannot fix: "error", no retry. 409/429/5xx: retry. */
  struct {
    guint status;
    bool fatal;
  } cases[] = {{400, true}, {401, true},  {403, true},  {404, true}, {415, true},
               {422, true}, {409, false}, {429, false}, {500, false}};
  for (auto &k : cases) {
    FakeServer srv;
    guint status = k.status;
    srv.set_script ([status] (const FakeServer::Request &, guint) {
      FakeServer::Reply r;
      r.status = status;
      return r;
    });
    Client c (srv.base () + "/whip/live");
    c.offer_on_request ();
    c.start ();
    if (k.fatal) {
      Event err = c.rec.wait ("error");
      fail_unless (err.text.find (std::to_string (status)) != std::string::npos, "%s",
                   err.text.c_str ());
      fail_unless (c.rec.saw_state ("failed"));
      g_usleep (300000); /* a retry would come after 10 ms */
      fail_unless (c.rec.count ("session-requested") == 1, "%u: retried", status);
      fail_unless_equals_int (srv.count ("POST"), 1);
    } else {
      c.rec.wait ("session-requested", 3);
      fail_unless (c.rec.count ("error") == 0, "%u: error", status);
      fail_unless (c.rec.saw_state ("retrying", std::to_string (status)));
    }
  }
}
GST_END_TEST;

GST_START_TEST (test_client_backoff)
{
  /* Failures without Retry-After: the delay doubles from min up to max. 201
   * without a Location and an unreachable server count as failures too. */
  FakeServer srv;
  srv.set_script ([] (const FakeServer::Request &, guint n) {
    FakeServer::Reply r;
    r.status = n % 2 ? 500 : 201;
    if (r.status == 201)
      r.body = ANSWER_SDP; /* but no Location */
    return r;
  });
  Client c (srv.base () + "/whip/live", 100);
  g_object_set (c.sig, "retry-delay-max", 400, nullptr);
  c.offer_on_request ();
  c.start ();
  c.rec.wait ("session-requested", 5);
  for (const char *delay : {"in 100 ms", "in 200 ms", "in 400 ms"})
    fail_unless (c.rec.saw_state ("retrying", delay), "no retry %s", delay);
  fail_unless (c.rec.saw_state ("retrying", "without a Location"));
  fail_unless_equals_int (c.rec.count ("session-description") + c.rec.count ("error"), 0);
  gst_rtc_signaller_stop (c.sig);
  fail_unless_equals_int (srv.count ("DELETE"), 0);

  /* Nothing listens there. */
  Client down ("http://127.0.0.1:1/whip/live");
  down.offer_on_request ();
  down.start ();
  down.rec.wait ("session-ended");
  down.rec.wait ("session-requested", 2);
  fail_unless (down.rec.saw_state ("retrying"));
}
GST_END_TEST;

GST_START_TEST (test_client_end_and_stop)
{
  FakeServer srv;
  srv.set_script (whip_reply);
  Client c (srv.base () + "/whip/live");
  c.offer_on_request ();
  c.start ();
  Event one = c.rec.wait ("session-requested");
  c.rec.wait ("session-description");
  /* The element ends the session: DELETE, then a new session after the back-off. */
  gst_rtc_signaller_end_session (c.sig, one.id.c_str ());
  assert_str (srv.wait ("DELETE").path, "/whip/live/session-1");
  Event two = c.rec.wait ("session-requested", 2);
  fail_unless (two.id != one.id);
  c.rec.wait ("session-description", 2);
  fail_unless_equals_int (c.rec.count ("session-ended"), 0);
  gst_rtc_signaller_end_session (c.sig, "another-session"); /* ignored */
  gst_rtc_signaller_stop (c.sig);
  srv.wait ("DELETE", 2);
  g_usleep (200000);
  fail_unless_equals_int (c.rec.count ("session-requested"), 2);

  /* stop before the answer: no DELETE (no session URL yet), no signal after it. */
  FakeServer held;
  held.set_script (whip_reply);
  held.hold (true);
  Client h (held.base () + "/whip/live");
  h.offer_on_request ();
  h.start ();
  held.wait ("POST");
  gst_rtc_signaller_stop (h.sig);
  held.hold (false);
  g_usleep (200000);
  fail_unless_equals_int (held.count ("DELETE"), 0);
  fail_unless_equals_int (h.rec.count ("session-description"), 0);

  /* Not an http(s) URL: start fails. */
  for (const char *bad : {"", "ftp://127.0.0.1/whip", "not a url"}) {
    Client b (bad);
    g_autoptr (GError) error = nullptr;
    fail_if (gst_rtc_signaller_start (b.sig, &error), "'%s' accepted", bad);
    fail_unless (error != nullptr);
  }
}
GST_END_TEST;

/* A POST waiting for its answer when the stream stops gets its 503, even
 * when the stream was the server's only user (the server goes with it). */
GST_START_TEST (test_client_url_without_host)
{
  Client c ("http://");
  c.offer_on_request ();
  GError *error = nullptr;
  fail_if (gst_rtc_signaller_start (c.sig, &error), "'http://' accepted");
  g_clear_error (&error);
}
GST_END_TEST;

static Suite *rtchttpclientsignaller_suite (void)
{
  Suite *s = suite_create ("rtchttpclientsignaller");
  TCase *tc = tcase_create ("client");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_client_offer_answer);
  tcase_add_test (tc, test_client_trickle);
  tcase_add_test (tc, test_client_redirect);
  tcase_add_test (tc, test_client_redirect_other_origin);
  tcase_add_test (tc, test_client_body_cap);
  tcase_add_test (tc, test_client_retry_after);
  tcase_add_test (tc, test_client_fatal_or_retry);
  tcase_add_test (tc, test_client_backoff);
  tcase_add_test (tc, test_client_end_and_stop);
  tcase_add_test (tc, test_client_url_without_host);
  return s;
}

int main (int argc, char **argv)
{
  /* The signallers are linked in: loading the plugin as well would register
   * their GTypes twice. Never scan or load a plugin. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtchttpclientsignaller_suite (), "rtchttpclientsignaller", __FILE__);
}

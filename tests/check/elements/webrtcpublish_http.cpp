/* The WHEP endpoint under bad and hostile input: every request gets the
 * right status, nothing crashes or leaks, the playing viewer is unaffected. */
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <cstring>
#include <map>

#include "rtctesthttp.h"
#include "rtctestutil.h"
#include "rtctestviewer.h"

#define LAUNCH                                                                                     \
  "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "                 \
  "webrtcpublish name=pub port=0 handshake-timeout=3000 audiotestsrc is-live=true ! pub."

/* Every test keeps one real viewer playing and checks it at the end. */
struct Fixture {
  TestPublisher p{LAUNCH};
  RtcTestViewer viewer{p.whep ()};
  Fixture ()
  {
    fail_unless (p.port > 0);
    viewer.start ();
    fail_unless (viewer.wait_video_frames (10), "the playing viewer got no frames");
  }
  void check_viewer_still_playing ()
  {
    guint before = viewer.video_frames ();
    fail_unless (viewer.wait_video_frames (before + 30), "the playing viewer stalled at %u",
                 viewer.video_frames ());
    viewer.stop (true);
  }
};

GST_START_TEST (test_bad_requests)
{
  Fixture f;
  std::string offer = read_fixture ("offers/chromium.sdp");
  HttpReply r;

  r = http_request ("POST", f.p.whep (), "application/sdp", "v=0\r\nthis is not sdp\r\n");
  fail_unless_equals_int (r.status, 400);
  fail_unless (r.body.find ("malformed") != std::string::npos, "%s", r.body.c_str ());

  r = http_request ("POST", f.p.whep (), "application/sdp", "");
  fail_unless_equals_int (r.status, 400);

  r = http_request ("POST", f.p.whep (), "text/plain", offer);
  fail_unless_equals_int (r.status, 415);
  fail_unless (r.header ("accept-post") == "application/sdp", "%s: %s", "accept-post",
               r.header ("accept-post").c_str ());

  std::string big (10 * 1024 * 1024, 'x');
  r = http_request ("POST", f.p.whep (), "application/sdp", big);
  fail_unless_equals_int (r.status, 413);

  r = http_request ("POST", f.p.whep ("nosuchstream"), "application/sdp", offer);
  fail_unless_equals_int (r.status, 404);

  r = http_request ("DELETE", f.p.whep () + "/00000000-0000-0000-0000-000000000000");
  fail_unless_equals_int (r.status, 404);

  r = http_request ("PATCH", f.p.whep () + "/unknown", "application/trickle-ice-sdpfrag",
                    "a=ice-ufrag:x\r\n");
  fail_unless_equals_int (r.status, 404);

  r = http_request ("GET", f.p.whep ());
  fail_unless_equals_int (r.status, 405);
  fail_unless (r.header ("allow").find ("POST") != std::string::npos);

  r = http_request ("PUT", f.p.whep (), "application/sdp", offer);
  fail_unless_equals_int (r.status, 405);

  /* Preflight: CORS allows the server's own pages only (the default). */
  std::string self = "http://127.0.0.1:" + std::to_string (f.p.port);
  r = http_request ("OPTIONS", f.p.whep (), "", "", {{"Origin", self}});
  fail_unless_equals_int (r.status, 204);
  fail_unless (r.header ("accept-post") == "application/sdp", "%s: %s", "accept-post",
               r.header ("accept-post").c_str ());
  fail_unless (r.header ("access-control-allow-origin") == self, "%s: %s",
               "access-control-allow-origin", r.header ("access-control-allow-origin").c_str ());
  r = http_request ("OPTIONS", f.p.whep (), "", "", {{"Origin", "https://evil.example"}});
  fail_unless (r.header ("access-control-allow-origin").empty (), "%s",
               r.header ("access-control-allow-origin").c_str ());

  /* A session: PATCH with the wrong type, a bad fragment, an ICE restart
   * (the element answers it with new credentials of its own). */
  r = http_request ("POST", f.p.whep (), "application/sdp", offer);
  fail_unless_equals_int (r.status, 201);
  std::string session = f.p.base () + r.header ("location");
  auto ufrag_of = [] (const std::string &sdp) {
    size_t at = sdp.find ("a=ice-ufrag:");
    fail_if (at == std::string::npos, "no ice-ufrag in %s", sdp.c_str ());
    at += strlen ("a=ice-ufrag:");
    return sdp.substr (at, sdp.find ('\r', at) - at);
  };
  std::string first_ufrag = ufrag_of (r.body);
  HttpReply pr = http_request ("PATCH", session, "application/sdp", "x");
  fail_unless_equals_int (pr.status, 415);
  pr = http_request ("PATCH", session, "application/trickle-ice-sdpfrag",
                     "m=audio 9 RTP/AVP 0\r\na=mid:nosuchmid\r\na=candidate:1 1 udp 1 10.213.0.9 9 "
                     "typ host\r\n");
  fail_unless_equals_int (pr.status, 400);
  pr = http_request ("PATCH", session, "application/trickle-ice-sdpfrag",
                     "a=ice-ufrag:newufrag\r\na=ice-pwd:newpassword0123456789ab\r\n");
  fail_unless_equals_int (pr.status, 200);
  fail_unless (
      g_str_has_prefix (pr.header ("content-type").c_str (), "application/trickle-ice-sdpfrag"));
  std::string second_ufrag = ufrag_of (pr.body);
  fail_unless (second_ufrag.size () >= 16 && second_ufrag != first_ufrag, "%s after %s",
               second_ufrag.c_str (), first_ufrag.c_str ());
  fail_unless (pr.body.find ("a=candidate:") != std::string::npos, "%s", pr.body.c_str ());
  fail_unless (pr.body.find ("a=end-of-candidates") != std::string::npos);
  pr = http_request ("DELETE", session);
  fail_unless_equals_int (pr.status, 200);
  pr = http_request ("DELETE", session);
  fail_unless_equals_int (pr.status, 404);

  fail_unless (wait_until ([&] { return f.p.viewers () == 1; }, 10000));
  f.check_viewer_still_playing ();
}
GST_END_TEST;

GST_START_TEST (test_vanishing_client)
{
  Fixture f;
  /* POSTs a valid offer and never connects. */
  std::string offer = read_fixture ("offers/chromium.sdp");
  HttpReply r = http_request ("POST", f.p.whep (), "application/sdp", offer);
  fail_unless_equals_int (r.status, 201);
  fail_unless_equals_int (f.p.viewers (), 2);
  /* handshake-timeout=3000: the half-open session is removed with a warning. */
  fail_unless (wait_until ([&] { return f.p.viewers () == 1; }, 15000));
  GstMessage *m = f.p.wait_message (GST_MESSAGE_WARNING);
  fail_unless (m != nullptr, "no warning for the vanished viewer");
  const GstStructure *details = nullptr;
  gst_message_parse_warning_details (m, &details);
  fail_unless (details && gst_structure_has_field (details, "viewer-id"));
  /* Its session URL is gone. */
  r = http_request ("DELETE", f.p.base () + r.header ("location"));
  fail_unless_equals_int (r.status, 404);
  f.check_viewer_still_playing ();
}
GST_END_TEST;

GST_START_TEST (test_quick_post_delete_pairs)
{
  Fixture f;
  std::string offer = read_fixture ("offers/chromium.sdp");
  long threads0 = thread_count ();
  for (int i = 0; i < 200; i++) {
    HttpReply r = http_request ("POST", f.p.whep (), "application/sdp", offer);
    fail_unless_equals_int (r.status, 201);
    HttpReply d = http_request ("DELETE", f.p.base () + r.header ("location"));
    fail_unless_equals_int (d.status, 200);
  }
  fail_unless (wait_until ([&] { return f.p.viewers () == 1; }, 20000));
  wait_until ([&] { return thread_count () <= threads0 + 2; }, 10000);
  long threads1 = thread_count ();
  g_print ("200 POST/DELETE pairs: threads %ld -> %ld\n", threads0, threads1);
  fail_unless (threads1 <= threads0 + 2, "threads grew from %ld to %ld", threads0, threads1);
  f.check_viewer_still_playing ();
}
GST_END_TEST;

GST_START_TEST (test_max_viewers_and_auth)
{
  TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 max-viewers=1 "
                   "auth-token=s3cret");
  fail_unless (p.port > 0);
  fail_unless (p.wait_caps ());
  std::string offer = read_fixture ("offers/chromium.sdp");
  HttpReply r = http_request ("POST", p.whep (), "application/sdp", offer);
  fail_unless_equals_int (r.status, 401);
  fail_unless (r.header ("www-authenticate") == "Bearer", "%s: %s", "www-authenticate",
               r.header ("www-authenticate").c_str ());
  r = http_request ("POST", p.whep (), "application/sdp", offer,
                    {{"Authorization", "Bearer wrong"}});
  fail_unless_equals_int (r.status, 401);
  r = http_request ("POST", p.whep (), "application/sdp", offer,
                    {{"Authorization", "Bearer s3cret"}});
  fail_unless_equals_int (r.status, 201);
  /* The session URL's key: 128 bits (32 hex digits) from /dev/urandom. */
  std::string location = r.header ("location");
  std::string key = location.substr (location.rfind ('/') + 1);
  fail_unless (key.size () == 32 && key.find_first_not_of ("0123456789abcdef") == std::string::npos,
               "session URL %s", location.c_str ());
  /* A token that only shares a prefix with the right one is refused too. */
  fail_unless_equals_int (http_request ("POST", p.whep (), "application/sdp", offer,
                                        {{"Authorization", "Bearer s3cre"}})
                              .status,
                          401);
  HttpReply full = http_request ("POST", p.whep (), "application/sdp", offer,
                                 {{"Authorization", "Bearer s3cret"}});
  fail_unless_equals_int (full.status, 503);
  fail_unless (!full.header ("retry-after").empty ());
  fail_unless (full.body.find ("max-viewers") != std::string::npos, "%s", full.body.c_str ());
  HttpReply d = http_request ("DELETE", p.base () + r.header ("location"));
  fail_unless_equals_int (d.status, 401);
  d = http_request ("DELETE", p.base () + r.header ("location"), "", "",
                    {{"Authorization", "Bearer s3cret"}});
  fail_unless_equals_int (d.status, 200);
}
GST_END_TEST;

/* max-handshakes: sessions still connecting are bounded; one more is
 * refused at once with 503 and Retry-After, a connected viewer does not
 * count, and once the abandoned ones expire (handshake-timeout) new ones
 * are taken again. */
GST_START_TEST (test_max_handshakes)
{
  TestPublisher p ("videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
                   "webrtcpublish name=pub port=0 max-handshakes=2 handshake-timeout=2000");
  fail_unless (p.port > 0);
  RtcTestViewer viewer (p.whep ());
  viewer.start ();
  fail_unless (viewer.wait_video_frames (10), "the real viewer got no frames");
  /* Offers whose peer never connects (a capture's candidates). */
  std::string offer = read_fixture ("offers/chromium.sdp");
  for (int i = 0; i < 2; i++)
    fail_unless_equals_int (http_request ("POST", p.whep (), "application/sdp", offer).status, 201);
  HttpReply busy = http_request ("POST", p.whep (), "application/sdp", offer);
  fail_unless_equals_int (busy.status, 503);
  fail_if (busy.header ("retry-after").empty ());
  fail_unless (busy.body.find ("max-handshakes") != std::string::npos, "%s", busy.body.c_str ());
  /* The two expire after handshake-timeout: room again. */
  guint status = 0;
  wait_until (
      [&] () {
        status = http_request ("POST", p.whep (), "application/sdp", offer).status;
        if (status != 201)
          g_usleep (300 * 1000);
        return status == 201;
      },
      15000);
  fail_unless_equals_int (status, 201);
  guint before = viewer.video_frames ();
  fail_unless (viewer.wait_video_frames (before + 30), "the real viewer stalled");
  viewer.stop (true);
}
GST_END_TEST;

/* By default only the server's own pages: a page elsewhere (which a
 * visitor's browser would let POST to 127.0.0.1) gets 403, as does a page
 * whose name was made to resolve to 127.0.0.1 (DNS rebinding: its Origin
 * matches its Host, the Host is not this loopback server's). */
GST_START_TEST (test_origin_default_same_origin)
{
  TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0");
  fail_unless (p.port > 0);
  fail_unless (p.wait_caps ());
  std::string offer = read_fixture ("offers/chromium.sdp");
  std::string self = "http://127.0.0.1:" + std::to_string (p.port);
  HttpReply r = http_request ("POST", p.whep (), "application/sdp", offer,
                              {{"Origin", "https://evil.example"}});
  fail_unless_equals_int (r.status, 403);
  fail_unless (r.header ("access-control-allow-origin").empty ());
  std::string rebound = "evil.example:" + std::to_string (p.port);
  r = http_request ("POST", p.whep (), "application/sdp", offer,
                    {{"Origin", "http://" + rebound}, {"Host", rebound}});
  fail_unless_equals_int (r.status, 403);
  fail_unless (r.body.find ("DNS rebinding") != std::string::npos, "%s", r.body.c_str ());
  r = http_request ("GET", self + "/view/live", "", "", {{"Host", rebound}});
  fail_unless_equals_int (r.status, 403);
  r = http_request ("POST", p.whep (), "application/sdp", offer, {{"Origin", self}});
  fail_unless_equals_int (r.status, 201);
  /* localhost is loopback too. */
  std::string local = "localhost:" + std::to_string (p.port);
  r = http_request ("POST", p.whep (), "application/sdp", offer,
                    {{"Origin", "http://" + local}, {"Host", local}});
  fail_unless_equals_int (r.status, 201);
}
GST_END_TEST;

GST_START_TEST (test_origin_allow_list)
{
  TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 "
                   "allowed-origins=https://good.example");
  fail_unless (p.port > 0);
  fail_unless (p.wait_caps ());
  std::string offer = read_fixture ("offers/chromium.sdp");
  HttpReply r = http_request ("POST", p.whep (), "application/sdp", offer,
                              {{"Origin", "https://evil.example"}});
  fail_unless_equals_int (r.status, 403);
  r = http_request ("POST", p.whep (), "application/sdp", offer,
                    {{"Origin", "https://good.example"}});
  fail_unless_equals_int (r.status, 201);
  fail_unless (r.header ("access-control-allow-origin") == "https://good.example", "%s: %s",
               "access-control-allow-origin", r.header ("access-control-allow-origin").c_str ());
}
GST_END_TEST;

GST_START_TEST (test_not_started_is_503)
{
  /* A source that never produces: no caps yet, so viewers are told to retry. */
  TestPublisher p ("appsrc is-live=true ! webrtcpublish name=pub port=0");
  fail_unless (p.port > 0);
  std::string offer = read_fixture ("offers/chromium.sdp");
  HttpReply r = http_request ("POST", p.whep (), "application/sdp", offer);
  fail_unless_equals_int (r.status, 503);
  fail_unless (!r.header ("retry-after").empty ());
}
GST_END_TEST;

/* /stats.json and /metrics (docs/stats.md): behind the stream's own token,
 * counting what the element refused, and off with serve-stats=false. */
GST_START_TEST (test_stats_endpoints)
{
  TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 max-viewers=1 "
                   "auth-token=s3cret");
  fail_unless (p.port > 0);
  fail_unless (p.wait_caps ());
  std::map<std::string, std::string> token = {{"Authorization", "Bearer s3cret"}};
  fail_unless_equals_int (http_request ("GET", p.base () + "/stats.json").status, 401);
  fail_unless_equals_int (http_request ("GET", p.base () + "/metrics").status, 401);
  fail_unless_equals_int (
      http_request ("GET", p.base () + "/metrics", "", "", {{"Authorization", "Bearer no"}}).status,
      401);
  /* One viewer that never connects, one refused by the element (full). */
  std::string offer = read_fixture ("offers/chromium.sdp");
  fail_unless_equals_int (http_request ("POST", p.whep (), "application/sdp", offer, token).status,
                          201);
  fail_unless_equals_int (http_request ("POST", p.whep (), "application/sdp", offer, token).status,
                          503);
  HttpReply j = http_request ("GET", p.base () + "/stats.json", "", "", token);
  fail_unless_equals_int (j.status, 200);
  fail_unless (j.header ("content-type").find ("application/json") == 0, "%s",
               j.header ("content-type").c_str ());
  JsonParser *parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (parser, j.body.c_str (), -1, nullptr), "%s",
               j.body.c_str ());
  JsonArray *streams = json_object_get_array_member (
      json_node_get_object (json_parser_get_root (parser)), "streams");
  fail_unless_equals_int (json_array_get_length (streams), 1);
  JsonObject *live = json_array_get_object_element (streams, 0);
  fail_unless_equals_string (json_object_get_string_member (live, "stream"), "live");
  fail_unless_equals_string (json_object_get_string_member (live, "element"), "webrtcpublish");
  fail_unless_equals_int (json_object_get_int_member (live, "n-sessions"), 1);
  fail_unless_equals_int (json_object_get_int_member (live, "handshakes"), 1);
  JsonObject *rejected = json_object_get_object_member (live, "rejected");
  fail_unless_equals_int (json_object_get_int_member (rejected, "unavailable"), 1);
  JsonArray *sessions = json_object_get_array_member (live, "sessions");
  fail_unless_equals_int (json_array_get_length (sessions), 1);
  fail_unless_equals_string (
      json_object_get_string_member (json_array_get_object_element (sessions, 0), "state"),
      "connecting");
  g_object_unref (parser);

  HttpReply m = http_request ("GET", p.base () + "/metrics", "", "", token);
  fail_unless_equals_int (m.status, 200);
  fail_unless (m.header ("content-type").find ("text/plain; version=0.0.4") == 0, "%s",
               m.header ("content-type").c_str ());
  for (const char *line :
       {"# TYPE rtc_rejected_total counter\n",
        "rtc_rejected_total{element=\"webrtcpublish\",stream=\"live\",reason=\"unavailable\"} 1\n",
        "rtc_sessions{element=\"webrtcpublish\",stream=\"live\"} 1\n",
        "rtc_handshakes{element=\"webrtcpublish\",stream=\"live\"} 1\n",
        "rtc_connect_time_seconds_bucket{element=\"webrtcpublish\",stream=\"live\",le=\"+Inf\"} "
        "0\n",
        "rtc_first_media_time_seconds_count{element=\"webrtcpublish\",stream=\"live\"} 0\n"})
    fail_unless (m.body.find (line) != std::string::npos, "no %s in\n%s", line, m.body.c_str ());
  /* Only GET. */
  fail_unless_equals_int (
      http_request ("POST", p.base () + "/metrics", "text/plain", "x", token).status, 405);

  /* Turned off: not served at all. */
  TestPublisher off ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 "
                     "signaller::serve-stats=false");
  fail_unless (off.port > 0);
  fail_unless_equals_int (http_request ("GET", off.base () + "/stats.json").status, 404);
  fail_unless_equals_int (http_request ("GET", off.base () + "/metrics").status, 404);
}
GST_END_TEST;

/* A viewer whose ICE never connects: the warning that ends it says why
 * (rtcicediagnosis.h), with both sides' candidates. */
static const GstStructure *ice_warning (TestPublisher &p, std::string &text)
{
  p.find (GST_MESSAGE_WARNING); /* drains the bus */
  for (GstMessage *m : p.kept) {
    if (GST_MESSAGE_TYPE (m) != GST_MESSAGE_WARNING)
      continue;
    const GstStructure *details = nullptr;
    gst_message_parse_warning_details (m, &details);
    if (details && gst_structure_has_field (details, "ice-diagnosis")) {
      GError *err = nullptr;
      gst_message_parse_warning (m, &err, nullptr);
      text = err->message;
      g_error_free (err);
      return details;
    }
  }
  return nullptr;
}

GST_START_TEST (test_ice_failure_explained)
{
  std::string offer = read_fixture ("offers/chromium.sdp");
  /* Its candidates (10.213.0.1:50426, ...) are on this namespace's
   * address, where nothing listens: the checks get no answer. */
  struct {
    const char *what;
    std::string offer;
    const char *cause;
    const char *remote;
  } cases[] = {
      {"unanswered", offer, "got no answer", "host udp 10.213.0.1:50426"},
      {"no candidates", "", "the peer sent no candidate", ""},
      {"mDNS only", "", "mDNS names (2 '.local' candidates)", ""},
  };
  std::string bare, mdns;
  gchar **lines = g_strsplit (offer.c_str (), "\n", -1);
  for (guint i = 0; lines[i] && lines[i][0]; i++) {
    std::string line = lines[i];
    if (line.rfind ("a=candidate:", 0) != 0) {
      bare += line + "\n";
      mdns += line + "\n";
    } else if (line.find (" udp ") != std::string::npos) {
      size_t at = line.find ("10.213.0.");
      mdns += line.substr (0, at) + "4b0e2e62-0c56-4f1c-9d6f-" + line.substr (at + 9, 1) +
              "e1f2a3b4c5d6.local" + line.substr (line.find (' ', at)) + "\n";
    }
  }
  g_strfreev (lines);
  cases[1].offer = bare;
  cases[2].offer = mdns;
  for (auto &c : cases) {
    TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 "
                     "handshake-timeout=3000");
    fail_unless (p.wait_caps ());
    HttpReply r = http_request ("POST", p.whep (), "application/sdp", c.offer);
    fail_unless_equals_int (r.status, 201);
    std::string text;
    fail_unless (wait_until ([&] { return ice_warning (p, text) != nullptr; }, 20000),
                 "%s: no warning explaining ICE", c.what);
    const GstStructure *d = ice_warning (p, text);
    std::string why = gst_structure_get_string (d, "ice-diagnosis");
    fail_unless (why.find (c.cause) != std::string::npos, "%s: %s", c.what, why.c_str ());
    fail_unless (text.find ("ICE did not connect: " + why) != std::string::npos, "%s: %s", c.what,
                 text.c_str ());
    /* Ours: at least a host candidate on the namespace's address. */
    std::string local = gst_structure_get_string (d, "local-candidates");
    fail_unless (local.find ("host udp 10.213.0.") != std::string::npos, "%s: %s", c.what,
                 local.c_str ());
    std::string remote = gst_structure_get_string (d, "remote-candidates");
    fail_unless (remote.find (c.remote) != std::string::npos, "%s: %s", c.what, remote.c_str ());
    if (!*c.remote)
      fail_unless (remote.empty (), "%s: %s", c.what, remote.c_str ());
  }
}
GST_END_TEST;

static Suite *webrtcpublish_http_suite (void)
{
  Suite *s = suite_create ("webrtcpublish_http");
  TCase *tc = tcase_create ("http");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_bad_requests);
  tcase_add_test (tc, test_vanishing_client);
  tcase_add_test (tc, test_quick_post_delete_pairs);
  tcase_add_test (tc, test_max_viewers_and_auth);
  tcase_add_test (tc, test_origin_default_same_origin);
  tcase_add_test (tc, test_origin_allow_list);
  tcase_add_test (tc, test_not_started_is_503);
  tcase_add_test (tc, test_max_handshakes);
  tcase_add_test (tc, test_stats_endpoints);
  tcase_add_test (tc, test_ice_failure_explained);
  return s;
}

GST_CHECK_MAIN (webrtcpublish_http);

/* webrtcsubscribe's WHIP endpoint (RFC 9725) under good, bad and hostile
 * requests, and its WHEP client (and webrtcpublish's WHIP client) against
 * servers that refuse, redirect or are not ready yet. */
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "rtctesthttp.h"
#include "rtctestutil.h"

#define SUB "webrtcsubscribe name=sub port=0 "
#define SINKS " sub.video_0 ! fakesink name=vsink sync=false"

/* A publisher's offer: Chromium's (captured) with its m-lines made
 * sendonly, as a browser publishing over WHIP sends them. */
static std::string publisher_offer ()
{
  std::string sdp = read_fixture ("offers/chromium.sdp");
  for (size_t at; (at = sdp.find ("a=recvonly")) != std::string::npos;)
    sdp.replace (at, 10, "a=sendonly");
  return sdp;
}

static std::string whip (TestPipeline &p)
{
  return p.base () + "/whip/live";
}

static std::string absolute (TestPipeline &p, const std::string &location)
{
  return p.base () + location;
}

static bool has_error (TestPipeline &p, const char *text)
{
  p.find (GST_MESSAGE_ERROR);
  for (GstMessage *m : p.kept) {
    if (GST_MESSAGE_TYPE (m) != GST_MESSAGE_ERROR)
      continue;
    GError *err = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error (m, &err, &debug);
    bool found = (err && strstr (err->message, text)) || (debug && strstr (debug, text));
    g_clear_error (&err);
    g_free (debug);
    if (found)
      return true;
  }
  return false;
}

static bool has_client_state (TestPipeline &p, const char *msg_name, const char *state,
                              const char *detail_part)
{
  p.find (GST_MESSAGE_ELEMENT);
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    if (!s || !gst_structure_has_name (s, msg_name))
      continue;
    const char *st = gst_structure_get_string (s, "state");
    const char *detail = gst_structure_get_string (s, "detail");
    if (st && g_str_equal (st, state) && (!detail_part || (detail && strstr (detail, detail_part))))
      return true;
  }
  return false;
}

GST_START_TEST (test_whip_auth)
{
  TestPipeline sub (SUB "auth-token=secret" SINKS, "sub");
  std::string offer = publisher_offer ();
  HttpReply r = http_request ("POST", whip (sub), "application/sdp", offer);
  fail_unless_equals_int (r.status, 401);
  fail_unless (r.header ("www-authenticate") == "Bearer");
  r = http_request ("POST", whip (sub), "application/sdp", offer,
                    {{"Authorization", "Bearer wrong"}});
  fail_unless_equals_int (r.status, 401);
  r = http_request ("POST", whip (sub), "application/sdp", offer,
                    {{"Authorization", "Bearer secret"}});
  fail_unless_equals_int (r.status, 201);
  fail_unless (g_str_has_prefix (r.header ("location").c_str (), "/whip/live/"), "%s",
               r.header ("location").c_str ());
  fail_unless (!r.header ("etag").empty ());
  fail_unless (g_str_has_prefix (r.header ("content-type").c_str (), "application/sdp"));
  fail_unless (r.body.find ("a=recvonly") != std::string::npos, "%s", r.body.c_str ());
  fail_unless (r.body.find ("a=candidate") != std::string::npos);
  std::string session = absolute (sub, r.header ("location"));
  /* The session URL needs the token too. */
  fail_unless_equals_int (http_request ("DELETE", session).status, 401);
  fail_unless_equals_int (
      http_request ("DELETE", session, "", "", {{"Authorization", "Bearer secret"}}).status, 200);
}
GST_END_TEST;

GST_START_TEST (test_whip_conflict_and_takeover)
{
  TestPipeline sub (SUB SINKS, "sub");
  std::string offer = publisher_offer ();
  HttpReply r1 = http_request ("POST", whip (sub), "application/sdp", offer);
  fail_unless_equals_int (r1.status, 201);
  HttpReply r2 = http_request ("POST", whip (sub), "application/sdp", offer);
  fail_unless_equals_int (r2.status, 409);
  fail_unless (r2.body.find ("already live") != std::string::npos, "%s", r2.body.c_str ());
  /* DELETE frees the name. */
  fail_unless_equals_int (http_request ("DELETE", absolute (sub, r1.header ("location"))).status,
                          200);
  HttpReply r3 = http_request ("POST", whip (sub), "application/sdp", offer);
  fail_unless_equals_int (r3.status, 201);
  /* With takeover, a new publisher replaces the live one. */
  g_object_set (sub.pub, "publisher-takeover", TRUE, nullptr);
  HttpReply r4 = http_request ("POST", whip (sub), "application/sdp", offer);
  fail_unless_equals_int (r4.status, 201);
  std::string frag = "a=ice-ufrag:x\r\na=ice-pwd:y\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                     "a=candidate:1 1 udp 2122260223 10.213.0.9 50000 typ host\r\n";
  fail_unless (wait_until (
      [&] {
        return http_request ("PATCH", absolute (sub, r3.header ("location")),
                             "application/trickle-ice-sdpfrag", frag)
                   .status == 404;
      },
      5000));
}
GST_END_TEST;

GST_START_TEST (test_whip_link_headers)
{
  TestPipeline sub (SUB "stun-server=stun://127.0.0.1:3478 "
                        "turn-servers=turn://user:pa%20ss@127.0.0.1:3479 "
                        "ice-gathering-timeout=300" SINKS,
                    "sub");
  HttpReply r = http_request ("OPTIONS", whip (sub));
  fail_unless (r.status == 204 || r.status == 200);
  fail_unless (r.header ("accept-post") == "application/sdp");
  std::string links = r.header ("link");
  fail_unless (links.find ("<stun:127.0.0.1:3478>; rel=\"ice-server\"") != std::string::npos, "%s",
               links.c_str ());
  /* TURN credentials never on OPTIONS (anyone may send it): only in the
   * answer to an accepted offer (RFC 9725, 4.6). */
  fail_unless (links.find ("turn:") == std::string::npos &&
                   links.find ("pa ss") == std::string::npos,
               "OPTIONS gave out TURN credentials: %s", links.c_str ());
  r = http_request ("POST", whip (sub), "application/sdp", publisher_offer ());
  fail_unless_equals_int (r.status, 201);
  std::string answered = r.header ("link");
  fail_unless (answered.find ("<stun:127.0.0.1:3478>; rel=\"ice-server\"") != std::string::npos,
               "%s", answered.c_str ());
  fail_unless (answered.find ("<turn:127.0.0.1:3479>; rel=\"ice-server\"; username=\"user\"; "
                              "credential=\"pa ss\"; credential-type=\"password\"") !=
                   std::string::npos,
               "%s", answered.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_whip_bad_input)
{
  TestPipeline sub (SUB SINKS, "sub");
  std::string offer = publisher_offer ();
  HttpReply r = http_request ("POST", whip (sub), "application/sdp", "v=0\r\ngarbage\r\n");
  fail_unless_equals_int (r.status, 400);
  r = http_request ("POST", whip (sub), "text/plain", offer);
  fail_unless_equals_int (r.status, 415);
  r = http_request ("POST", whip (sub), "application/sdp", std::string (200 * 1024, 'x'));
  fail_unless_equals_int (r.status, 413);
  r = http_request ("GET", whip (sub));
  fail_unless_equals_int (r.status, 405);
  fail_unless (r.header ("allow").find ("POST") != std::string::npos);
  r = http_request ("POST", sub.base () + "/whip/other", "application/sdp", offer);
  fail_unless_equals_int (r.status, 404);
  r = http_request ("DELETE", whip (sub) + "/no-such-session");
  fail_unless_equals_int (r.status, 404);
  /* A viewer's (recvonly) offer sends nothing to ingest. */
  r = http_request ("POST", whip (sub), "application/sdp", read_fixture ("offers/chromium.sdp"));
  fail_unless_equals_int (r.status, 422);
  fail_unless (r.body.find ("sendonly") != std::string::npos, "%s", r.body.c_str ());

  r = http_request ("POST", whip (sub), "application/sdp", offer);
  fail_unless_equals_int (r.status, 201);
  std::string session = absolute (sub, r.header ("location"));
  std::string frag = "a=ice-ufrag:x\r\na=ice-pwd:y\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                     "a=candidate:1 1 udp 2122260223 10.213.0.9 50000 typ host\r\n";
  fail_unless_equals_int (
      http_request ("PATCH", session, "application/sdp", frag, {{"If-Match", r.header ("etag")}})
          .status,
      415);
  fail_unless_equals_int (http_request ("PATCH", session, "application/trickle-ice-sdpfrag", frag,
                                        {{"If-Match", "\"not-the-etag\""}})
                              .status,
                          412);
  /* An ICE restart: credentials too short are 400; new ones are answered
   * by the element with its own (and the session's ufrag is theirs then). */
  fail_unless_equals_int (
      http_request ("PATCH", session, "application/trickle-ice-sdpfrag", frag, {{"If-Match", "*"}})
          .status,
      400);
  std::string restart = "a=ice-ufrag:newU\r\na=ice-pwd:newpasswordnewpassword00\r\n"
                        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n";
  HttpReply restarted = http_request ("PATCH", session, "application/trickle-ice-sdpfrag", restart,
                                      {{"If-Match", "*"}});
  fail_unless_equals_int (restarted.status, 200);
  fail_unless (restarted.body.find ("a=ice-ufrag:") != std::string::npos &&
                   restarted.body.find ("a=end-of-candidates") != std::string::npos,
               "%s", restarted.body.c_str ());
  fail_unless (r.body.find (restarted.body.substr (0, restarted.body.find ('\r'))) ==
                   std::string::npos,
               "the element kept its credentials: %s", restarted.body.c_str ());
  std::string unknown_mid = "a=ice-ufrag:x\r\na=ice-pwd:y\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
                            "a=mid:nope\r\na=candidate:1 1 udp 2122260223 10.213.0.9 50000 typ "
                            "host\r\n";
  fail_unless_equals_int (http_request ("PATCH", session, "application/trickle-ice-sdpfrag",
                                        unknown_mid, {{"If-Match", r.header ("etag")}})
                              .status,
                          400);
  fail_unless_equals_int (http_request ("DELETE", session).status, 200);
  fail_if (has_error (sub, ""), "the pipeline posted an error");
}
GST_END_TEST;

/* A publisher that POSTs and never connects holds the name only until the
 * handshake timeout. */
GST_START_TEST (test_whip_vanishing_publisher)
{
  TestPipeline sub (SUB "handshake-timeout=2000" SINKS, "sub");
  HttpReply r = http_request ("POST", whip (sub), "application/sdp", publisher_offer ());
  fail_unless_equals_int (r.status, 201);
  HttpReply streams = http_request ("GET", sub.base () + "/streams.json");
  fail_unless (streams.body.find ("\"publish\":\"/publish/live\"") != std::string::npos, "%s",
               streams.body.c_str ());
  fail_unless (sub.wait_message (GST_MESSAGE_WARNING, nullptr, 10000) != nullptr,
               "no warning for the publisher that never connected");
  r = http_request ("POST", whip (sub), "application/sdp", publisher_offer ());
  fail_unless_equals_int (r.status, 201);
  fail_if (has_error (sub, ""), "the pipeline posted an error");
}
GST_END_TEST;

GST_START_TEST (test_whep_client_wrong_token_is_fatal)
{
  TestPipeline pub ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 auth-token=secret");
  TestPipeline sub (std::string ("webrtcsubscribe name=sub whep-url=") + pub.whep () +
                        " auth-token=wrong" SINKS,
                    "sub");
  fail_unless (wait_until ([&] { return has_error (sub, "401"); }, 15000),
               "no element error for a 401");
  fail_unless (has_error (sub, "WHEP playback failed"));
  fail_unless (has_client_state (sub, "webrtcsubscribe-client-state", "failed", "401"));
  fail_unless_equals_int (pub.viewers (), 0);
}
GST_END_TEST;

GST_START_TEST (test_whip_client_wrong_token_is_fatal)
{
  TestPipeline sub (SUB "auth-token=secret" SINKS, "sub");
  TestPipeline pub ("videotestsrc is-live=true ! webrtcpublish name=pub whip-url=" + whip (sub) +
                    " auth-token=wrong");
  fail_unless (wait_until ([&] { return has_error (pub, "WHIP publishing failed"); }, 15000),
               "no element error for a 401");
  fail_unless (has_error (pub, "401"));
}
GST_END_TEST;

/* 503 + Retry-After while the stream has no data yet: the client waits and
 * retries, then plays. */
GST_START_TEST (test_whep_client_retries_until_ready)
{
  /* The valve holds the stream back: the publisher has no caps yet. */
  TestPipeline pub ("videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
                    "valve name=valve drop=true ! webrtcpublish name=pub port=0");
  GstElement *valve = gst_bin_get_by_name (GST_BIN (pub.pipeline), "valve");
  TestPipeline sub (std::string ("webrtcsubscribe name=sub whep-url=") + pub.whep () + SINKS,
                    "sub");
  BufferCounter video;
  video.attach (sub.pipeline, "vsink");
  fail_unless (
      wait_until (
          [&] { return has_client_state (sub, "webrtcsubscribe-client-state", "retrying", "503"); },
          10000),
      "no retrying state after a 503");
  g_object_set (valve, "drop", FALSE, nullptr);
  gst_object_unref (valve);
  fail_unless (wait_until ([&] { return video.buffers >= 30; }, 30000),
               "no frames after the server became ready");
  fail_if (has_error (sub, ""), "the subscriber posted an error");
}
GST_END_TEST;

static void redirect_handler (SoupServer *, SoupServerMessage *msg, const char *, GHashTable *,
                              gpointer data)
{
  auto target = static_cast<std::string *> (data);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                target->c_str ());
  soup_server_message_set_status (msg, SOUP_STATUS_TEMPORARY_REDIRECT, nullptr);
}

/* A WHEP URL that answers 307 to the real one (a load balancer). */
GST_START_TEST (test_whep_client_follows_redirect)
{
  TestPipeline pub ("videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
                    "webrtcpublish name=pub port=0");
  std::string target = pub.whep ();
  SoupServer *server = soup_server_new (nullptr, nullptr);
  soup_server_add_handler (server, "/redirect", redirect_handler, &target, nullptr);
  fail_unless (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, nullptr));
  GSList *uris = soup_server_get_uris (server);
  guint port = g_uri_get_port (static_cast<GUri *> (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  {
    TestPipeline sub ("webrtcsubscribe name=sub whep-url=http://127.0.0.1:" +
                          std::to_string (port) + "/redirect" SINKS,
                      "sub");
    BufferCounter video;
    video.attach (sub.pipeline, "vsink");
    fail_unless (wait_until ([&] { return video.buffers >= 30; }, 30000),
                 "no frames through the redirect");
    /* The session URL is on the server we were sent to. */
    gchar *resource = nullptr;
    GObject *signaller = nullptr;
    g_object_get (sub.pub, "signaller", &signaller, nullptr);
    g_object_get (signaller, "resource-url", &resource, nullptr);
    fail_unless (resource && g_str_has_prefix (resource, target.c_str ()), "%s", resource);
    g_free (resource);
    g_object_unref (signaller);
  }
  fail_unless (wait_until ([&] { return pub.viewers () == 0; }, 5000));
  g_object_unref (server);
}
GST_END_TEST;

/* A WHIP server that takes 2.5 s to answer (then says 503). */
static void slow_handler (SoupServer *, SoupServerMessage *msg, const char *, GHashTable *,
                          gpointer)
{
  soup_server_message_pause (msg);
  g_object_ref (msg);
  g_timeout_add (
      2500,
      [] (gpointer data) -> gboolean {
        auto m = static_cast<SoupServerMessage *> (data);
        soup_message_headers_replace (soup_server_message_get_response_headers (m), "Retry-After",
                                      "1");
        soup_server_message_set_status (m, SOUP_STATUS_SERVICE_UNAVAILABLE, nullptr);
        soup_server_message_unpause (m);
        g_object_unref (m);
        return G_SOURCE_REMOVE;
      },
      msg);
}

/* While a WHIP client waits for its answer, its session has no codecs yet:
 * the element's once-a-second work (congestion control, the ladder) must
 * leave it alone (it crashed here once). */
GST_START_TEST (test_whip_client_waiting_for_answer)
{
  SoupServer *server = soup_server_new (nullptr, nullptr);
  soup_server_add_handler (server, "/whip/slow", slow_handler, nullptr, nullptr);
  fail_unless (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, nullptr));
  GSList *uris = soup_server_get_uris (server);
  guint port = g_uri_get_port (static_cast<GUri *> (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  TestPipeline pub ("videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
                    "webrtcpublish name=pub whip-url=http://127.0.0.1:" +
                        std::to_string (port) + "/whip/slow",
                    "pub");
  fail_unless (
      wait_until (
          [&] { return has_client_state (pub, "webrtcpublish-client-state", "retrying", "503"); },
          15000),
      "no retry after the slow 503");
  fail_if (has_error (pub, ""), "the publisher posted an error");
  g_object_unref (server);
}
GST_END_TEST;

static Suite *webrtcsubscribe_http_suite (void)
{
  Suite *s = suite_create ("webrtcsubscribe_http");
  TCase *tc = tcase_create ("http");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_whip_auth);
  tcase_add_test (tc, test_whip_conflict_and_takeover);
  tcase_add_test (tc, test_whip_link_headers);
  tcase_add_test (tc, test_whip_bad_input);
  tcase_add_test (tc, test_whip_vanishing_publisher);
  tcase_add_test (tc, test_whep_client_wrong_token_is_fatal);
  tcase_add_test (tc, test_whip_client_wrong_token_is_fatal);
  tcase_add_test (tc, test_whep_client_retries_until_ready);
  tcase_add_test (tc, test_whep_client_follows_redirect);
  tcase_add_test (tc, test_whip_client_waiting_for_answer);
  return s;
}

GST_CHECK_MAIN (webrtcsubscribe_http);

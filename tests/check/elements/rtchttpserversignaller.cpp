/* The WHEP/WHIP server signaller without any element, against the GstRtcSignaller
 * contract (gst/rtcbridge/gstrtcsignaller.h): the test plays the element
 * (it records the signals and calls the vfuncs) and the peer (libsoup
 * requests to the server signaller; a small SoupServer for the client).
 * The signallers are linked into the test; no plugin is loaded. */
#include <gst/check/gstcheck.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <atomic>
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
#include "rtctesthttp.h"
#include "rtctestserversignaller.h"
#include "rtctestsignalling.h"
#include "rtctestsocket.h"

namespace {

std::string sdpfrag (const std::string &mid, const std::string &lines)
{
  return "a=ice-ufrag:ih2U\r\na=ice-pwd:SAKtAD3ywkyhOEM84/2uYhCZ\r\n"
         "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:" +
         mid + "\r\n" + lines;
}

std::string sdp_ice_ufrag_of (const std::string &sdp)
{
  size_t at = sdp.find ("a=ice-ufrag:") + strlen ("a=ice-ufrag:");
  return sdp.substr (at, sdp.find ('\r', at) - at);
}

HttpReply patch (const std::string &url, const std::string &body,
                 const std::map<std::string, std::string> &headers = {},
                 const std::string &type = "application/trickle-ice-sdpfrag")
{
  return http_request ("PATCH", url, type, body, headers);
}

} // namespace

GST_START_TEST (test_server_offer_answer)
{
  auto protocol = __i__ == 0 ? GST_RTC_HTTP_PROTOCOL_WHEP : GST_RTC_HTTP_PROTOCOL_WHIP;
  Server s (protocol, [] (GObject *o) {
    g_object_set (o, "stream-name", "cam", "media", "video,audio", "ice-servers",
                  "stun://stun.example.org:3478, turn://user:p%40ss@turn.example.org:3478",
                  nullptr);
  });
  fail_unless_equals_int (gst_rtc_signaller_get_role (s.sig), GST_RTC_SIGNALLER_ROLE_ANSWERER);
  fail_if (gst_rtc_signaller_get_trickle (s.sig));
  g_autofree gchar *url = nullptr;
  g_object_get (s.sig, "url", &url, nullptr);
  assert_str (url, s.base + (__i__ == 0 ? "/view/cam" : "/publish/cam"));

  auto p = s.post ();
  Event e = s.rec.wait ("session-requested");
  fail_if (e.id.empty ());
  assert_str (e.text, "127.0.0.1");
  fail_unless_equals_int (e.type, GST_WEBRTC_SDP_TYPE_OFFER);
  assert_str (e.sdp, sdp_normalized (s.offer));

  s.answer (e.id);
  HttpReply &r = p->get ();
  fail_unless_equals_int (r.status, 201);
  assert_str (r.body, sdp_normalized (ANSWER_SDP));
  fail_unless (g_str_has_prefix (r.header ("content-type").c_str (), "application/sdp"));
  std::string prefix = __i__ == 0 ? "/whep/cam/" : "/whip/cam/";
  assert_str (r.header ("location"), (prefix + e.id));
  assert_str (r.header ("etag"), ("\"" + e.id + "\""));
  assert_str (r.header ("accept-patch"), "application/trickle-ice-sdpfrag");
  assert_str (
      r.header ("link"),
      "<stun:stun.example.org:3478>; rel=\"ice-server\", <turn:turn.example.org:3478>; "
      "rel=\"ice-server\"; username=\"user\"; credential=\"p@ss\"; credential-type=\"password\"");
  fail_unless (r.header ("access-control-expose-headers").find ("Location") != std::string::npos);

  /* The session is listed while it lives. */
  HttpReply list = http_request ("GET", s.base + "/streams.json");
  std::string members = __i__ == 0 ? "\"viewers\":1" : "\"publishers\":1";
  fail_unless (list.body.find (members) != std::string::npos, "%s", list.body.c_str ());
  fail_unless (list.body.find ("\"media\":[\"video\",\"audio\"]") != std::string::npos);
  fail_unless_equals_int (s.rec.count ("session-requested"), 1);
  fail_unless_equals_int (s.rec.count ("session-ended"), 0);
}
GST_END_TEST;

/* turn-secret: each 201 carries TURN credentials of its own that expire
 * (coturn's use-auth-secret: username "<expiry>:<label>", password
 * base64(HMAC-SHA1(secret, username))); URLs with credentials of their own
 * keep them; the unauthenticated OPTIONS names no TURN server at all. */
GST_START_TEST (test_server_turn_secret)
{
  Server s (GST_RTC_HTTP_PROTOCOL_WHEP, [] (GObject *o) {
    g_object_set (o, "ice-servers",
                  "stun://127.0.0.1:3478, turn://127.0.0.1:3478?transport=tcp, "
                  "turn://user:pw@127.0.0.1:3479",
                  "turn-secret", "s3cret", "turn-credential-lifetime", 600, nullptr);
  });
  /* Write-only: never read back. */
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (s.sig), "turn-secret");
  fail_unless (spec && !(spec->flags & G_PARAM_READABLE));
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  auto p = s.post ();
  s.answer (s.rec.wait ("session-requested").id);
  HttpReply &r = p->get ();
  fail_unless_equals_int (r.status, 201);
  std::string links = r.header ("link");
  GRegex *re = g_regex_new ("<turn:127\\.0\\.0\\.1:3478\\?transport=tcp>; rel=\"ice-server\"; "
                            "username=\"([0-9]+):live\"; credential=\"([^\"]+)\"",
                            (GRegexCompileFlags)0, (GRegexMatchFlags)0, nullptr);
  GMatchInfo *m = nullptr;
  fail_unless (g_regex_match (re, links.c_str (), (GRegexMatchFlags)0, &m), "%s", links.c_str ());
  g_autofree gchar *expiry = g_match_info_fetch (m, 1);
  g_autofree gchar *credential = g_match_info_fetch (m, 2);
  g_match_info_free (m);
  g_regex_unref (re);
  gint64 expires = g_ascii_strtoll (expiry, nullptr, 10);
  fail_unless (expires >= now + 600 && expires <= now + 605,
               "expires %" G_GINT64_FORMAT " (now %" G_GINT64_FORMAT ")", expires, now);
  /* What coturn computes from its static-auth-secret. */
  assert_str (credential, turn_rest_password ("s3cret", std::string (expiry) + ":live"));
  fail_unless (links.find ("<turn:127.0.0.1:3479>; rel=\"ice-server\"; username=\"user\"; "
                           "credential=\"pw\"") != std::string::npos,
               "%s", links.c_str ());
  fail_unless (links.find ("<stun:127.0.0.1:3478>") != std::string::npos, "%s", links.c_str ());
  /* The secret itself is nowhere in the answer. */
  fail_unless (links.find ("s3cret") == std::string::npos);
  HttpReply o = http_request ("OPTIONS", s.endpoint);
  fail_unless_equals_int (o.status, 204);
  assert_str (o.header ("link"), "<stun:127.0.0.1:3478>; rel=\"ice-server\"");
}
GST_END_TEST;

/* Offers per client address: a burst of 20, then 10 a second; one more is
 * refused at once with 503 + Retry-After (no session made for it). 40
 * offers at once: at most the burst and what drained meanwhile are taken.
 * A second later the address may offer again. The server listens on the
 * namespace's veth address: loopback clients are not limited. (All 40 are
 * answered at once: with GSocket's listen backlog of 10, connections past
 * the tenth were dropped and retried by TCP seconds later, some not within
 * 20 s.) */
GST_START_TEST (test_server_offer_rate)
{
  std::vector<std::unique_ptr<Async>> pending; /* answered when the server stops */
  Server s (GST_RTC_HTTP_PROTOCOL_WHEP,
            [] (GObject *o) { g_object_set (o, "address", "10.213.0.1", nullptr); });
  std::string url = "http://10.213.0.1:" + std::to_string (s.port) + "/whep/live";
  std::string body = s.offer;
  std::atomic<int> refused{0}, retry_after_1{0};
  auto post = [&] () {
    pending.push_back (std::make_unique<Async> ([&refused, &retry_after_1, url, body] {
      HttpReply r = http_request ("POST", url, "application/sdp", body);
      if (r.status == 503) {
        refused++;
        if (r.header ("retry-after") == "1" && r.body.find ("too many offers") != std::string::npos)
          retry_after_1++;
      }
      return r;
    }));
  };
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < 40; i++)
    post ();
  for (int i = 0; i < 2000 && (int)s.rec.count ("session-requested") + refused < 40; i++)
    g_usleep (10 * 1000);
  fail_unless ((int)s.rec.count ("session-requested") + refused == 40, "%u sessions, %d refused",
               s.rec.count ("session-requested"), refused.load ());
  double took_s = (g_get_monotonic_time () - start) / 1e6;
  guint taken = s.rec.count ("session-requested");
  g_print ("40 offers at once in %.2f s: %u taken, %d refused\n", took_s, taken, refused.load ());
  fail_unless (taken >= 20, "only %u of the burst taken", taken);
  fail_unless (taken <= 20 + 10 * took_s + 1, "%u taken in %.2f s", taken, took_s);
  fail_unless_equals_int (retry_after_1.load (), refused.load ());
  g_usleep (1200 * 1000);
  post ();
  s.rec.wait ("session-requested", taken + 1);
}
GST_END_TEST;

GST_START_TEST (test_server_trickle)
{
  Server s;
  std::string session = s.session ();
  std::string id = session.substr (session.rfind ('/') + 1);
  std::string etag = "\"" + id + "\"";

  HttpReply r = patch (session, sdpfrag ("1", CANDIDATE_LINE), {{"If-Match", etag}});
  fail_unless_equals_int (r.status, 204);
  Event c = s.rec.wait ("ice-candidate");
  assert_str (c.id, id);
  fail_unless_equals_int (c.mline, 1);
  assert_str (c.text, CANDIDATE);
  /* Two candidates in one fragment, mid 0; no If-Match is allowed too. */
  r = patch (session, sdpfrag ("0", "a=candidate:2 1 udp 1 10.213.0.9 50001 typ host\r\n"
                                    "a=candidate:3 1 tcp 1 10.213.0.9 9 typ host tcptype active\r\n"
                                    "a=end-of-candidates\r\n"));
  fail_unless_equals_int (r.status, 204);
  assert_str (s.rec.wait ("ice-candidate", 2).text,
              "candidate:2 1 udp 1 10.213.0.9 50001 typ host");
  Event third = s.rec.wait ("ice-candidate", 3);
  fail_unless_equals_int (third.mline, 0);
  fail_unless (g_str_has_prefix (third.text.c_str (), "candidate:3 1 tcp"));

  /* Refused fragments emit nothing. */
  std::string frag = sdpfrag ("0", CANDIDATE_LINE);
  fail_unless_equals_int (patch (session, frag, {{"If-Match", "\"other\""}}).status, 412);
  /* (If-Match: * is an ICE restart: without new credentials, 400) */
  fail_unless_equals_int (patch (session, frag, {{"If-Match", "*"}}).status, 400);
  fail_unless_equals_int (patch (session, frag, {}, "application/sdp").status, 415);
  fail_unless_equals_int (patch (session, sdpfrag ("9", CANDIDATE_LINE)).status, 400);
  /* At most 64 candidates per PATCH, 100 PATCHes per session (every one
   * counts, refused or not). */
  std::string many;
  for (int i = 0; i < 65; i++)
    many += "a=candidate:" + std::to_string (i) + " 1 udp 1 10.0.0.1 " + std::to_string (6000 + i) +
            " typ host\r\n";
  guint before = s.rec.count ("ice-candidate");
  HttpReply over = patch (session, sdpfrag ("0", many));
  fail_unless_equals_int (over.status, 400);
  fail_unless (over.body.find ("at most 64 candidates per PATCH") != std::string::npos);
  fail_unless_equals_int (s.rec.count ("ice-candidate"), before);
  /* A restart without an ice-pwd (test_server_ice_restart does them). */
  fail_unless_equals_int (patch (session, "a=ice-ufrag:newU\r\na=ice-pwd:short\r\n").status, 400);
  fail_unless_equals_int (
      patch (session, "a=ice-ufrag:new;U\r\na=ice-pwd:newpasswordnewpassword00\r\n").status, 400);
  fail_unless_equals_int (patch (s.endpoint + "/no-such-session", frag).status, 404);
  fail_unless_equals_int (s.rec.count ("ice-candidate"), 3);
  guint taken = 0;
  for (; taken < 200; taken++) {
    HttpReply r = patch (session, sdpfrag ("0", CANDIDATE_LINE));
    if (r.status == 429)
      break;
    fail_unless_equals_int (r.status, 204);
  }
  /* 7 PATCHes above counted (those refused by 412, 415 or 404 do not
   * reach the session), then 93 more. */
  fail_unless_equals_int (taken, 93);
  fail_unless_equals_int (s.rec.count ("ice-candidate"), 3 + 93);
}
GST_END_TEST;

/* ICE restart (RFC 9725 4.4.1.1): a PATCH with new credentials reaches the
 * element as a new offer (the first one with those credentials and no
 * candidates), then the fragment's candidates; the element's answer (new
 * credentials of its own) goes back in the 200 as a fragment with the
 * candidates of the first answer (the server does not gather again). */
GST_START_TEST (test_server_ice_restart)
{
  Server s;
  auto p = s.post ();
  Event e = s.rec.wait ("session-requested");
  std::string first = ANSWER_SDP;
  first.insert (first.find ("a=mid:0\r\n") + strlen ("a=mid:0\r\n"), CANDIDATE_LINE);
  g_autoptr (GstWebRTCSessionDescription) a = description (GST_WEBRTC_SDP_TYPE_ANSWER, first);
  gst_rtc_signaller_send_description (s.sig, e.id.c_str (), a);
  fail_unless_equals_int (p->get ().status, 201);
  std::string session = s.base + p->get ().header ("location");

  const std::string creds = "a=ice-ufrag:newU\r\na=ice-pwd:newpasswordnewpassword00\r\n";
  const std::string theirs = "a=candidate:7 1 udp 2113937151 10.213.0.7 50007 typ host\r\n";
  Async restart ([&] {
    return patch (session, creds + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" + theirs,
                  {{"If-Match", "*"}});
  });
  Event offer = s.rec.wait ("session-description");
  assert_str (offer.id, e.id);
  fail_unless_equals_int (offer.type, GST_WEBRTC_SDP_TYPE_OFFER);
  fail_unless (offer.sdp.find ("a=ice-ufrag:newU\r\n") != std::string::npos, "%s",
               offer.sdp.c_str ());
  fail_unless (offer.sdp.find ("a=ice-pwd:newpasswordnewpassword00\r\n") != std::string::npos);
  fail_unless (offer.sdp.find ("a=ice-ufrag:" + sdp_ice_ufrag_of (s.offer)) == std::string::npos);
  fail_unless (offer.sdp.find ("a=candidate") == std::string::npos);
  Event c = s.rec.wait ("ice-candidate");
  assert_str (c.text, "candidate:7 1 udp 2113937151 10.213.0.7 50007 typ host");
  /* One restart at a time. */
  HttpReply busy = patch (session, "a=ice-ufrag:thrd\r\na=ice-pwd:thirdpasswordthirdpasswd\r\n",
                          {{"If-Match", "*"}});
  fail_unless_equals_int (busy.status, 409);

  std::string renewed = first;
  renewed.replace (renewed.find ("srvU"), 4, "srv2");
  renewed.replace (renewed.find ("serverpasswordserverpass"), 24, "secondpasswordsecondpwd0");
  renewed.erase (renewed.find (CANDIDATE_LINE), CANDIDATE_LINE.size ());
  g_autoptr (GstWebRTCSessionDescription) b = description (GST_WEBRTC_SDP_TYPE_ANSWER, renewed);
  gst_rtc_signaller_send_description (s.sig, e.id.c_str (), b);
  HttpReply &r = restart.get ();
  fail_unless_equals_int (r.status, 200);
  fail_unless (
      g_str_has_prefix (r.header ("content-type").c_str (), "application/trickle-ice-sdpfrag"));
  assert_str (r.body, "a=ice-ufrag:srv2\r\na=ice-pwd:secondpasswordsecondpwd0\r\n"
                      "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
                          CANDIDATE_LINE + "a=end-of-candidates\r\n");
  /* The new credentials are the session's now: a fragment with them is a
   * plain trickle, the old ones would be another restart. */
  HttpReply more = patch (session, creds + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\n" +
                                       "a=candidate:8 1 udp 1 10.213.0.8 50008 typ host\r\n");
  fail_unless_equals_int (more.status, 204);
  fail_unless_equals_int (s.rec.wait ("ice-candidate", 2).mline, 1);
  fail_unless_equals_int (s.rec.count ("session-description"), 1);
  fail_unless_equals_int (s.rec.count ("session-ended"), 0);
}
GST_END_TEST;

GST_START_TEST (test_server_delete)
{
  Server s;
  std::string session = s.session ();
  std::string id = session.substr (session.rfind ('/') + 1);
  fail_unless_equals_int (http_request ("DELETE", session).status, 200);
  assert_str (s.rec.wait ("session-ended").id, id);
  fail_unless_equals_int (http_request ("DELETE", session).status, 404);
  fail_unless_equals_int (patch (session, sdpfrag ("0", CANDIDATE_LINE)).status, 404);
  fail_unless_equals_int (s.rec.count ("session-ended"), 1);

  /* DELETE while the POST still waits for its answer: the POST is gone too. */
  auto p = s.post ();
  Event e = s.rec.wait ("session-requested", 2);
  fail_unless_equals_int (http_request ("DELETE", s.endpoint + "/" + e.id).status, 200);
  fail_unless_equals_int (p->get ().status, 410);
  assert_str (s.rec.wait ("session-ended", 2).id, e.id);
  s.answer (e.id); /* too late: ignored */
  fail_unless_equals_int (s.rec.count ("session-ended"), 2);
}
GST_END_TEST;

GST_START_TEST (test_server_concurrent)
{
  /* Offers in flight at once, answered in the reverse order: each POST gets
   * its own session. */
  Server s;
  std::vector<std::unique_ptr<Async>> posts;
  for (int i = 0; i < 3; i++)
    posts.push_back (s.post ());
  std::vector<std::string> ids;
  for (guint i = 1; i <= 3; i++)
    ids.push_back (s.rec.wait ("session-requested", i).id);
  for (int i = 2; i >= 0; i--)
    s.answer (ids[i]);
  std::set<std::string> locations;
  for (auto &p : posts) {
    fail_unless_equals_int (p->get ().status, 201);
    locations.insert (s.base + p->get ().header ("location"));
  }
  for (auto &id : ids)
    fail_unless (locations.count (s.endpoint + "/" + id), "no POST got session %s", id.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_server_reject)
{
  Server s;
  struct {
    gint code;
    guint status;
  } cases[] = {
      {GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, 400},
      {GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE, 422},
      {GST_RTC_SIGNALLER_ERROR_UNAVAILABLE, 503},
      {GST_RTC_SIGNALLER_ERROR_INTERNAL, 500},
      {GST_RTC_SIGNALLER_ERROR_CONFLICT, 409},
      {-1, 500}, /* no error */
      {-2, 500}, /* another domain */
  };
  guint n = 0;
  for (auto &c : cases) {
    auto p = s.post ();
    Event e = s.rec.wait ("session-requested", ++n);
    g_autoptr (GError) error = nullptr;
    if (c.code >= 0)
      error = g_error_new (GST_RTC_SIGNALLER_ERROR, c.code, "reason %d", c.code);
    else if (c.code == -2)
      error = g_error_new (GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "reason %d", c.code);
    gst_rtc_signaller_reject_session (s.sig, e.id.c_str (), error);
    HttpReply &r = p->get ();
    fail_unless (r.status == c.status, "error %d: %u instead of %u", c.code, r.status, c.status);
    if (error)
      fail_unless (r.body.find ("reason") != std::string::npos, "%s", r.body.c_str ());
    assert_str (r.header ("retry-after"), c.status == 503 ? "2" : "");
    /* The session is gone; the element knows, no session-ended. */
    fail_unless_equals_int (http_request ("DELETE", s.endpoint + "/" + e.id).status, 404);
  }
  fail_unless_equals_int (s.rec.count ("session-ended"), 0);
}
GST_END_TEST;

GST_START_TEST (test_server_bad_requests)
{
  Server s;
  std::string ok = s.offer;
  /* Offers over the bounds (rtcsdp.h): m-lines, payload types, candidates,
   * attributes. */
  size_t first_m = ok.find ("m="), first_eol = ok.find ("\r\n", first_m);
  size_t mid0 = ok.find ("a=mid:0\r\n") + strlen ("a=mid:0\r\n");
  std::string many_mlines = ok;
  for (int i = 0; i < 8; i++)
    many_mlines += ok.substr (first_m); /* 2 + 16 m-lines */
  std::string candidates, attributes;
  for (int i = 0; i < 65; i++)
    candidates += "a=candidate:" + std::to_string (i) + " 1 udp 1 10.0.0.1 " +
                  std::to_string (5000 + i) + " typ host\r\n";
  for (int i = 0; i < 257; i++)
    attributes += "a=x-filler:" + std::to_string (i) + "\r\n";
  struct {
    const char *what;
    std::string body;
    const char *error;
  } over[] = {
      {"18 m-lines", many_mlines, "at most 16 are taken"},
      {"payload type 200", std::string (ok).insert (first_eol, " 200"), "is not 0-127"},
      {"payload type x", std::string (ok).insert (first_eol, " x"), "is not 0-127"},
      {"65 candidates", std::string (ok).insert (mid0, candidates), "candidates"},
      {"257 attributes", std::string (ok).insert (mid0, attributes), "attributes"},
      /* GStreamer would carry these into caps and warn on each use. */
      {"fmtp not UTF-8", std::string (ok).insert (mid0, "a=fmtp:96 profile=\xc3\x28\r\n"),
       "m-line 0 has an attribute that is not UTF-8 text"},
      {"session attribute not UTF-8", std::string (ok).insert (first_m, "a=tool:\xff\xfe\r\n"),
       "a session attribute is not UTF-8 text"},
  };
  for (auto &o : over) {
    HttpReply r = http_request ("POST", s.endpoint, "application/sdp", o.body);
    fail_unless (r.status == 400, "%s: %u", o.what, r.status);
    fail_unless (r.body.find (o.error) != std::string::npos, "%s: %s", o.what, r.body.c_str ());
  }
  struct {
    const char *what;
    std::string body;
  } bad[] = {
      {"not SDP", "v=0\r\nthis is not sdp\r\n"},
      {"empty", ""},
      {"no m-line", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"},
      {"no ICE credentials", std::string (ok).replace (ok.find ("a=ice-ufrag"), 11, "a=x-ufragxx")},
      {"no fingerprint", std::string (ok).replace (ok.find ("a=fingerprint"), 13, "a=x-fingerpri")},
      {"binary", std::string ("\x00\xff\x01v=0\r\n", 8)},
  };
  for (auto &b : bad) {
    HttpReply r = http_request ("POST", s.endpoint, "application/sdp", b.body);
    fail_unless (r.status == 400, "%s: %u", b.what, r.status);
  }
  HttpReply r = http_request ("POST", s.endpoint, "text/plain", ok);
  fail_unless_equals_int (r.status, 415);
  assert_str (r.header ("accept-post"), "application/sdp");
  fail_unless_equals_int (http_request ("POST", s.endpoint, "", ok).status, 415);
  /* Methods the endpoint and a session URL do not take. */
  r = http_request ("GET", s.endpoint);
  fail_unless_equals_int (r.status, 405);
  assert_str (r.header ("allow"), "POST, OPTIONS");
  fail_unless_equals_int (http_request ("PUT", s.endpoint, "application/sdp", ok).status, 405);
  r = http_request ("POST", s.endpoint + "/some-session", "application/sdp", ok);
  fail_unless_equals_int (r.status, 405);
  assert_str (r.header ("allow"), "PATCH, DELETE, OPTIONS");
  fail_unless_equals_int (
      http_request ("POST", s.base + "/whep/other", "application/sdp", ok).status, 404);
  fail_unless_equals_int (s.rec.count ("session-requested"), 0);

  /* A content type with parameters is still SDP. */
  auto p = s.post ({}, "application/sdp; charset=utf-8");
  s.answer (s.rec.wait ("session-requested").id);
  fail_unless_equals_int (p->get ().status, 201);
  /* CORS preflight, no credentials needed. */
  r = http_request ("OPTIONS", s.endpoint);
  fail_unless_equals_int (r.status, 204);
  assert_str (r.header ("accept-post"), "application/sdp");
  fail_unless (r.header ("access-control-allow-methods").find ("POST") != std::string::npos);
}
GST_END_TEST;

GST_START_TEST (test_server_access)
{
  Server s (GST_RTC_HTTP_PROTOCOL_WHEP, [] (GObject *o) {
    g_object_set (o, "auth-token", "s3cret", "allowed-origins",
                  "https://good.example, https://also.example", nullptr);
  });
  HttpReply r = http_request ("POST", s.endpoint, "application/sdp", s.offer);
  fail_unless_equals_int (r.status, 401);
  assert_str (r.header ("www-authenticate"), "Bearer");
  r = http_request ("POST", s.endpoint, "application/sdp", s.offer,
                    {{"Authorization", "Bearer wrong"}});
  fail_unless_equals_int (r.status, 401);
  r = http_request ("POST", s.endpoint, "application/sdp", s.offer,
                    {{"Authorization", "Bearer s3cret"}, {"Origin", "https://evil.example"}});
  fail_unless_equals_int (r.status, 403);
  fail_unless_equals_int (s.rec.count ("session-requested"), 0);

  auto p = s.post ({{"Authorization", "Bearer s3cret"}, {"Origin", "https://also.example"}});
  Event e = s.rec.wait ("session-requested");
  s.answer (e.id);
  fail_unless_equals_int (p->get ().status, 201);
  assert_str (p->get ().header ("access-control-allow-origin"), "https://also.example");
  std::string session = s.base + p->get ().header ("location");
  /* The session URL needs the token too. */
  fail_unless_equals_int (http_request ("DELETE", session).status, 401);
  fail_unless_equals_int (patch (session, sdpfrag ("0", CANDIDATE_LINE)).status, 401);
  fail_unless_equals_int (s.rec.count ("session-ended") + s.rec.count ("ice-candidate"), 0);
  fail_unless_equals_int (http_request ("OPTIONS", s.endpoint).status, 204);
  fail_unless_equals_int (
      http_request ("DELETE", session, "", "", {{"Authorization", "Bearer s3cret"}}).status, 200);
  s.rec.wait ("session-ended");
  /* Without an Origin header (not a browser), only the token counts. */
  auto q = s.post ({{"Authorization", "Bearer s3cret"}});
  s.answer (s.rec.wait ("session-requested", 2).id);
  fail_unless_equals_int (q->get ().status, 201);
}
GST_END_TEST;

GST_START_TEST (test_server_end_before_answer)
{
  Server s;
  auto p = s.post ();
  Event e = s.rec.wait ("session-requested");
  gst_rtc_signaller_end_session (s.sig, e.id.c_str ());
  HttpReply &r = p->get ();
  fail_unless (r.status >= 500 && r.status < 600, "status %u", r.status);
  /* Once end_session() returned, the URL is gone. */
  fail_unless_equals_int (http_request ("DELETE", s.endpoint + "/" + e.id).status, 404);
  s.answer (e.id); /* ignored */
  gst_rtc_signaller_end_session (s.sig, e.id.c_str ());
  gst_rtc_signaller_end_session (s.sig, "never-existed");
  fail_unless_equals_int (s.rec.count ("session-ended"), 0);

  /* The element may also answer from within the signal, on the server thread. */
  s.rec.on_session_requested = [&s] (const Event &ev) {
    s.answer (ev.id);
  };
  auto q = s.post ();
  fail_unless_equals_int (q->get ().status, 201);
  s.rec.on_session_requested = [&s] (const Event &ev) {
    gst_rtc_signaller_end_session (s.sig, ev.id.c_str ());
  };
  auto z = s.post ();
  fail_unless (z->get ().status >= 500, "status %u", z->get ().status);
  s.rec.on_session_requested = nullptr;
}
GST_END_TEST;

GST_START_TEST (test_server_client_goes_away)
{
  Server s;
  std::string path = s.endpoint.substr (s.base.size ());
  std::string request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " +
                        "application/sdp\r\nContent-Length: " + std::to_string (s.offer.size ()) +
                        "\r\n\r\n" + s.offer;
  /* The client closes while its POST waits: the session ends at once
   * (nobody can use it; before, it lived until handshake-timeout). Then
   * the element answers, rejects or ends it anyway: nothing crashes. */
  for (int i = 0; i < 3; i++) {
    GSocketConnection *conn = raw_connect (s.port);
    fail_unless (conn != nullptr);
    raw_write (conn, request);
    Event e = s.rec.wait ("session-requested", i + 1);
    fail_unless_equals_int (s.rec.count ("session-ended"), i);
    g_io_stream_close (G_IO_STREAM (conn), nullptr, nullptr);
    g_object_unref (conn);
    Event ended = s.rec.wait ("session-ended", i + 1);
    assert_str (ended.id, e.id);
    if (i == 0)
      s.answer (e.id);
    else if (i == 1)
      gst_rtc_signaller_reject_session (s.sig, e.id.c_str (), nullptr);
    else
      gst_rtc_signaller_end_session (s.sig, e.id.c_str ());
  }
  /* The signaller still serves. */
  std::string session = s.session (4);
  fail_unless_equals_int (http_request ("DELETE", session).status, 200);

  /* stop() with a POST waiting: stop returns, the POST ends, the port closes. */
  auto p = s.post ();
  s.rec.wait ("session-requested", 5);
  gst_rtc_signaller_stop (s.sig);
  p->get ();
  fail_unless_equals_int (http_request ("POST", s.endpoint, "application/sdp", s.offer).status,
                          0 /* server gone */);
}
GST_END_TEST;

GST_START_TEST (test_server_shared_port)
{
  Server a;
  guint port = a.port;
  std::string other_url = a.base + "/whep/other";
  /* Another stream on the same port shares the server; the same name is refused. */
  auto make = [port] (const char *name) {
    auto sig = GST_RTC_SIGNALLER (g_object_new (GST_TYPE_RTC_HTTP_SERVER_SIGNALLER, "port", port,
                                                "stream-name", name, nullptr));
    return static_cast<GstRtcSignaller *> (gst_object_ref_sink (sig));
  };
  GstRtcSignaller *other = make ("other"), *same = make ("live");
  g_autoptr (GError) error = nullptr;
  fail_unless (gst_rtc_signaller_start (other, nullptr));
  fail_if (gst_rtc_signaller_start (same, &error));
  fail_unless (error != nullptr && strstr (error->message, "live"), "%s",
               error ? error->message : "");
  fail_unless_equals_int (http_request ("OPTIONS", other_url).status, 204);
  std::string session = a.session ();
  fail_unless_equals_int (http_request ("DELETE", session).status, 200);

  /* stop() with a POST waiting: the POST is answered 503, the stream's URL
   * goes, the other stream stays. */
  auto p = a.post ();
  a.rec.wait ("session-requested", 2);
  gst_rtc_signaller_stop (a.sig);
  fail_unless_equals_int (p->get ().status, 503);
  fail_unless_equals_int (http_request ("POST", a.endpoint, "application/sdp", a.offer).status,
                          404);
  fail_unless_equals_int (http_request ("OPTIONS", other_url).status, 204);
  gst_rtc_signaller_stop (other);
  gst_object_unref (other);
  gst_object_unref (same);
}
GST_END_TEST;

GST_START_TEST (test_server_stop_answers_pending_post)
{
  Server s;
  auto p = s.post ();
  s.rec.wait ("session-requested");
  gst_rtc_signaller_stop (s.sig);
  fail_unless_equals_int (p->get ().status, 503);
}
GST_END_TEST;

/* Guessing: 20 failed attempts (wrong tokens, unknown session URLs) from an
 * address within a minute, then 429 with Retry-After for it, whatever the
 * request (issue 14, findings 4 and 9). */
GST_START_TEST (test_server_throttle)
{
  {
    Server s (GST_RTC_HTTP_PROTOCOL_WHEP,
              [] (GObject *o) { g_object_set (o, "auth-token", "s3cret", nullptr); });
    for (int i = 0; i < 20; i++) {
      HttpReply r = http_request ("POST", s.endpoint, "application/sdp", s.offer,
                                  {{"Authorization", "Bearer guess" + std::to_string (i)}});
      fail_unless_equals_int (r.status, 401);
    }
    HttpReply r = http_request ("POST", s.endpoint, "application/sdp", s.offer,
                                {{"Authorization", "Bearer s3cret"}});
    fail_unless_equals_int (r.status, 429);
    fail_unless (atoi (r.header ("retry-after").c_str ()) >= 1, "Retry-After: %s",
                 r.header ("retry-after").c_str ());
    fail_unless_equals_int (s.rec.count ("session-requested"), 0);
  }
}
GST_END_TEST;

GST_START_TEST (test_server_throttle_404)
{
  Server s;
  for (int i = 0; i < 20; i++)
    fail_unless_equals_int (
        http_request ("DELETE", s.endpoint + "/0123456789abcdef" + std::to_string (i)).status, 404);
  fail_unless_equals_int (http_request ("PATCH", s.endpoint + "/0123456789abcdef",
                                        "application/trickle-ice-sdpfrag",
                                        sdpfrag ("0", CANDIDATE_LINE))
                              .status,
                          429);
  fail_unless_equals_int (http_request ("POST", s.endpoint, "application/sdp", s.offer).status,
                          429);
}
GST_END_TEST;

/* "http://" has no host: refused at start, not a libsoup critical later. */
static Suite *rtchttpserversignaller_suite (void)
{
  Suite *s = suite_create ("rtchttpserversignaller");
  TCase *tc = tcase_create ("server");
  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_server_offer_answer, 0, 2); /* WHEP, WHIP */
  tcase_add_test (tc, test_server_trickle);
  tcase_add_test (tc, test_server_ice_restart);
  tcase_add_test (tc, test_server_turn_secret);
  tcase_add_test (tc, test_server_offer_rate);
  tcase_add_test (tc, test_server_delete);
  tcase_add_test (tc, test_server_stop_answers_pending_post);
  tcase_add_test (tc, test_server_concurrent);
  tcase_add_test (tc, test_server_reject);
  tcase_add_test (tc, test_server_bad_requests);
  tcase_add_test (tc, test_server_access);
  tcase_add_test (tc, test_server_end_before_answer);
  tcase_add_test (tc, test_server_client_goes_away);
  tcase_add_test (tc, test_server_throttle);
  tcase_add_test (tc, test_server_throttle_404);
  tcase_add_test (tc, test_server_shared_port);
  return s;
}

int main (int argc, char **argv)
{
  /* The signallers are linked in: loading the plugin as well would register
   * their GTypes twice. Never scan or load a plugin. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtchttpserversignaller_suite (), "rtchttpserversignaller", __FILE__);
}

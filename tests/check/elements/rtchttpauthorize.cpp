/* Who may do what at a WHEP/WHIP endpoint, without any element: JSON Web
 * Tokens (HS256 and ES256, made here with libjwt and keys from openssl),
 * the permissions they carry per session (view, publish, control), the
 * tokens that must fail (expired, another stream, no expiry, another key,
 * "none", an HS256 token "signed" with the ES256 public key), and the
 * application's "authorize" signal on the server signaller and on the
 * elements' default signaller (GstRtcHttpSignaller). */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gstrtchttpsignaller.h"
#include "rtctestjwt.h"
#include "rtctestserversignaller.h"

namespace {

std::map<std::string, std::string> bearer (const std::string &token)
{
  return {{"Authorization", "Bearer " + token}};
}

/* POSTs an offer with @headers: the status; when the signaller asked for a
 * session, it is answered and its id is in @id. */
guint offer (Server &s, const std::map<std::string, std::string> &headers, std::string &id,
             std::string *body = nullptr)
{
  guint before = s.rec.count ("session-requested");
  auto p = s.post (headers);
  /* A refused offer is answered at once; a taken one waits for the answer. */
  for (int i = 0; i < 1000 && !p->done () && s.rec.count ("session-requested") == before; i++)
    g_usleep (10000);
  if (s.rec.count ("session-requested") > before) {
    id = s.rec.wait ("session-requested", before + 1).id;
    s.answer (id);
  }
  if (body)
    *body = p->get ().body;
  return p->get ().status;
}

bool permits (Server &s, const std::string &id, const char *what)
{
  return gst_rtc_signaller_session_permits (s.sig, id.c_str (), what);
}

} // namespace

/* HS256: a token for this stream, unexpired, is a viewer; it may control
 * the pipeline only when its permissions say so; everything else is 401
 * (403 for a token without the permission to view), and no answer holds
 * the token. */
GST_START_TEST (test_jwt_hs256)
{
  const std::string key = "a-secret-the-issuer-shares-with-us";
  Server s (GST_RTC_HTTP_PROTOCOL_WHEP,
            [&] (GObject *o) { g_object_set (o, "jwt-key", key.c_str (), nullptr); });
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS (s.sig), "jwt-key");
  fail_unless (spec && !(spec->flags & G_PARAM_READABLE), "jwt-key must be write-only");
  gint64 now = now_s ();
  std::string id, body;

  fail_unless_equals_int (offer (s, {}, id), 401);
  fail_unless_equals_int (
      offer (s, bearer (make_jwt (JWT_ALG_HS256, key, claims ("live", now + 600))), id), 201);
  fail_unless (permits (s, id, "view"));
  fail_unless (!permits (s, id, "control"), "control without the permission");
  fail_unless (!permits (s, id, "publish"));
  std::string viewer = id;
  fail_unless_equals_int (
      offer (
          s,
          bearer (make_jwt (JWT_ALG_HS256, key,
                            claims ("live", now + 600, ",\"permissions\":[\"view\",\"control\"]"))),
          id),
      201);
  fail_unless (id != viewer);
  fail_unless (permits (s, id, "control"));
  fail_unless (!permits (s, viewer, "control"));
  /* "aud" may be an array. */
  fail_unless_equals_int (offer (s,
                                 bearer (make_jwt (JWT_ALG_HS256, key,
                                                   "{\"aud\":[\"other\",\"live\"],\"exp\":" +
                                                       std::to_string (now + 600) + "}")),
                                 id),
                          201);

  struct Bad {
    std::string token, why;
  };
  std::vector<Bad> bad = {
      {make_jwt (JWT_ALG_HS256, key, claims ("live", now - 120)), "expired"},
      {make_jwt (JWT_ALG_HS256, key, claims ("other", now + 600)), "not for 'live'"},
      {make_jwt (JWT_ALG_HS256, key, "{\"aud\":\"live\"}"), "no expiry"},
      {make_jwt (JWT_ALG_HS256, key,
                 claims ("live", now + 600, ",\"nbf\":" + std::to_string (now + 3600))),
       "not valid yet"},
      {make_jwt (JWT_ALG_HS256, "another-secret", claims ("live", now + 600)), "signed with"},
      /* libjwt refuses it itself, or it is found not to be HS256 */
      {make_jwt (JWT_ALG_NONE, "", claims ("live", now + 600)), ""},
      {make_jwt (JWT_ALG_HS384, key, claims ("live", now + 600)), "not signed with HS256"},
      {"not.a.jwt", "signed with"},
  };
  guint sessions = s.rec.count ("session-requested");
  for (auto &b : bad) {
    fail_unless_equals_int (offer (s, bearer (b.token), id, &body), 401);
    fail_unless (body.find (b.why) != std::string::npos, "'%s' for %s", body.c_str (),
                 b.why.c_str ());
    fail_unless (body.find (b.token) == std::string::npos);
  }
  /* Valid, but not for viewing. */
  fail_unless_equals_int (
      offer (s,
             bearer (make_jwt (JWT_ALG_HS256, key,
                               claims ("live", now + 600, ",\"permissions\":[\"publish\"]"))),
             id, &body),
      403);
  fail_unless (body.find ("view") != std::string::npos, "%s", body.c_str ());
  fail_unless_equals_int (s.rec.count ("session-requested"), sessions);
}
GST_END_TEST;

/* ES256 with a key pair from openssl: a token signed with the private key
 * passes; the classic confusion — an HS256 token whose "secret" is the
 * public key (which anyone may know) — does not. A WHIP endpoint: a token
 * without permissions publishes. */
GST_START_TEST (test_jwt_es256)
{
  g_autofree gchar *dir = g_dir_make_tmp ("rtcjwt-XXXXXX", nullptr);
  fail_unless (dir != nullptr);
  std::string priv_path = std::string (dir) + "/key.pem", pub_path = std::string (dir) + "/pub.pem";
  gint status = 1;
  fail_unless (g_spawn_command_line_sync (
      ("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + priv_path).c_str (),
      nullptr, nullptr, &status, nullptr));
  fail_unless (status == 0);
  fail_unless (g_spawn_command_line_sync (
      ("openssl pkey -in " + priv_path + " -pubout -out " + pub_path).c_str (), nullptr, nullptr,
      &status, nullptr));
  fail_unless (status == 0);
  g_autofree gchar *priv = nullptr, *pub = nullptr;
  fail_unless (g_file_get_contents (priv_path.c_str (), &priv, nullptr, nullptr));
  fail_unless (g_file_get_contents (pub_path.c_str (), &pub, nullptr, nullptr));
  g_unlink (priv_path.c_str ());
  g_unlink (pub_path.c_str ());
  g_rmdir (dir);

  std::string pub_key = pub;
  Server s (GST_RTC_HTTP_PROTOCOL_WHIP, [&] (GObject *o) {
    g_object_set (o, "jwt-key", pub_key.c_str (), "jwt-algorithm", "ES256", nullptr);
  });
  gint64 now = now_s ();
  std::string id, body;
  fail_unless_equals_int (
      offer (s, bearer (make_jwt (JWT_ALG_ES256, priv, claims ("live", now + 600))), id), 201);
  fail_unless (permits (s, id, "publish"));
  fail_unless (!permits (s, id, "view"));
  fail_unless (!permits (s, id, "control"));
  guint sessions = s.rec.count ("session-requested");
  fail_unless_equals_int (
      offer (s, bearer (make_jwt (JWT_ALG_HS256, pub_key, claims ("live", now + 600))), id, &body),
      401);
  fail_unless (body.find ("not signed with ES256") != std::string::npos, "%s", body.c_str ());
  fail_unless_equals_int (
      offer (s, bearer (make_jwt (JWT_ALG_NONE, "", claims ("live", now + 600))), id), 401);
  fail_unless_equals_int (s.rec.count ("session-requested"), sessions);
}
GST_END_TEST;

/* What an "authorize" handler saw, and what it answers. */
struct Decider {
  std::mutex lock;
  std::vector<std::string> seen; /* "METHOD path stream remote x-app permissions" */

  static gboolean decide (GObject *, GstStructure *request, gpointer data)
  {
    auto self = static_cast<Decider *> (data);
    const GstStructure *headers = nullptr;
    fail_unless (gst_structure_get (request, "headers", GST_TYPE_STRUCTURE, &headers, nullptr));
    const gchar *header = gst_structure_get_string (headers, "x-app");
    std::string app = header ? header : "-";
    gst_structure_free ((GstStructure *)headers);
    std::string line = std::string (gst_structure_get_string (request, "method")) + " " +
                       gst_structure_get_string (request, "path") + " " +
                       gst_structure_get_string (request, "stream") + " " +
                       gst_structure_get_string (request, "remote-address") + " " + app + " " +
                       gst_structure_get_string (request, "permissions");
    {
      std::lock_guard<std::mutex> g (self->lock);
      self->seen.push_back (line);
    }
    if (app == "no")
      return FALSE;
    if (app == "view-only")
      gst_structure_set (request, "permissions", G_TYPE_STRING, "view", nullptr);
    return TRUE;
  }
  std::string last ()
  {
    std::lock_guard<std::mutex> g (lock);
    return seen.empty () ? "" : seen.back ();
  }
};

/* The application decides per request: it sees the method, path, stream,
 * address, headers and what the built-in checks granted (everything: no
 * token is configured); it refuses (403, no session), narrows the
 * permissions (no remote control for that session) or lets the request
 * through as it is. PATCH and DELETE of a session URL ask it too. */
GST_START_TEST (test_authorize_signal)
{
  Decider d;
  Server s (GST_RTC_HTTP_PROTOCOL_WHEP, [&] (GObject *o) {
    g_signal_connect (o, "authorize", G_CALLBACK (Decider::decide), &d);
  });
  std::string id, body;
  fail_unless_equals_int (offer (s, {{"X-App", "no"}}, id, &body), 403);
  fail_unless_equals_int (s.rec.count ("session-requested"), 0);
  fail_unless (body.find ("refused by the application") != std::string::npos, "%s", body.c_str ());
  assert_str (d.last (), "POST /whep/live live 127.0.0.1 no view,publish,control");
  fail_unless_equals_int (offer (s, {{"X-App", "view-only"}}, id), 201);
  fail_unless (permits (s, id, "view"));
  fail_unless (!permits (s, id, "control"), "the handler took control away");
  fail_unless_equals_int (offer (s, {}, id), 201);
  fail_unless (permits (s, id, "control"));
  std::string url = s.endpoint + "/" + id;
  fail_unless_equals_int (http_request ("DELETE", url, "", "", {{"X-App", "no"}}).status, 403);
  fail_unless_equals_int (s.rec.count ("session-ended"), 0);
  assert_str (d.last (), "DELETE /whep/live/" + id + " live 127.0.0.1 no view,publish,control");
  fail_unless_equals_int (http_request ("DELETE", url).status, 200);
  s.rec.wait ("session-ended");
  fail_unless (!permits (s, id, "view"), "a session that ended permits nothing");
}
GST_END_TEST;

/* The elements' default signaller relays "authorize" and the sessions'
 * permissions from its server. */
GST_START_TEST (test_authorize_through_http_signaller)
{
  Decider d;
  GstRtcSignaller *sig = gst_rtc_http_signaller_new (GST_RTC_HTTP_PROTOCOL_WHEP);
  g_object_set (sig, "port", 0, nullptr);
  g_signal_connect (sig, "authorize", G_CALLBACK (Decider::decide), &d);
  Recorder rec;
  rec.attach (sig);
  g_autoptr (GError) error = nullptr;
  fail_unless (gst_rtc_signaller_start (sig, &error), "start: %s", error ? error->message : "?");
  guint port = 0;
  g_object_get (sig, "port", &port, nullptr);
  std::string url = "http://127.0.0.1:" + std::to_string (port) + "/whep/live";
  std::string sdp = read_fixture ("offers/chromium.sdp");
  HttpReply r = http_request ("POST", url, "application/sdp", sdp, {{"X-App", "no"}});
  fail_unless_equals_int (r.status, 403);
  fail_unless_equals_int (rec.count ("session-requested"), 0);
  auto p = std::make_unique<Async> ([url, sdp] {
    return http_request ("POST", url, "application/sdp", sdp, {{"X-App", "view-only"}});
  });
  std::string id = rec.wait ("session-requested").id;
  fail_unless (gst_rtc_signaller_session_permits (sig, id.c_str (), "view"));
  fail_unless (!gst_rtc_signaller_session_permits (sig, id.c_str (), "control"));
  g_autoptr (GstWebRTCSessionDescription) a = description (GST_WEBRTC_SDP_TYPE_ANSWER, ANSWER_SDP);
  gst_rtc_signaller_send_description (sig, id.c_str (), a);
  fail_unless_equals_int (p->get ().status, 201);
  gst_rtc_signaller_stop (sig);
  rec.detach (sig);
  gst_object_unref (sig);
}
GST_END_TEST;

static Suite *rtchttpauthorize_suite (void)
{
  Suite *s = suite_create ("rtchttpauthorize");
  TCase *tc = tcase_create ("authorize");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_jwt_hs256);
  tcase_add_test (tc, test_jwt_es256);
  tcase_add_test (tc, test_authorize_signal);
  tcase_add_test (tc, test_authorize_through_http_signaller);
  return s;
}

int main (int argc, char **argv)
{
  /* The signallers are linked in: never load the plugin too. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtchttpauthorize_suite (), "rtchttpauthorize", __FILE__);
}

/* See gstrtchttpserversignaller.h. */
#include "gstrtchttpserversignaller.h"
#include "gstrtchttpserversignallerprops.h"

#include <gst/sdp/sdp.h>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <gst/rtcbridge/gstrtcsignaller.h>
#include "rtchttpaccess.h"
#include "rtchttpauthorize.h"
#include "rtchttpserver.h"
#include "rtcsdp.h"
#include "rtcstatshttp.h"
#include "rtcturn.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_http_server_signaller_debug);
#define GST_CAT_DEFAULT gst_rtc_http_server_signaller_debug

/* Trickle PATCHes one session may send (a browser sends one per candidate
 * at most: a few dozen). */
#define MAX_PATCHES 100
#define RETRY_AFTER_SECONDS "2"

namespace {

struct HttpSession {
  SoupServerMessage *pending = nullptr;    /* paused POST waiting for the answer */
  std::unique_ptr<rtc::ClientWatch> watch; /* on @pending's connection */
  guint patches = 0;                       /* trickle PATCHes taken */
  GstSDPMessage *offer = nullptr;          /* the peer's, with its latest credentials */
  std::string ufrag;
  bool restarting = false;             /* @pending is an ICE restart's PATCH */
  std::vector<std::string> candidates; /* ours, from the first answer */

  ~HttpSession ()
  {
    if (pending)
      g_object_unref (pending);
    if (offer)
      gst_sdp_message_free (offer);
  }
};

class Endpoint;

void finish_pending (HttpSession &session, guint status, const std::string &content_type,
                     const std::string &body);

} // namespace

struct GstRtcHttpServerSignallerPrivate : GstRtcHttpServerSettings {
  std::unique_ptr<Endpoint> endpoint;
  /* server thread only: */
  std::map<std::string, std::unique_ptr<HttpSession>> sessions;
  rtc::PermitTable permits; /* any thread */
};

struct _GstRtcHttpServerSignaller {
  GstObject parent;
  GstRtcHttpServerSignallerPrivate *priv;
};

static void gst_rtc_http_server_signaller_iface_init (GstRtcSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcHttpServerSignaller, gst_rtc_http_server_signaller, GST_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER,
                                                gst_rtc_http_server_signaller_iface_init));

namespace {

class Endpoint : public rtc::HttpEndpoint {
public:
  explicit Endpoint (GstRtcHttpServerSignaller *self) : self_ (self) {}

  void handle_request (SoupServerMessage *msg, const std::string &method, const std::string &rest,
                       GBytes *body) override;
  void describe (JsonBuilder *b) override
  {
    auto priv = self_->priv;
    std::string media, data;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      media = priv->media;
      data = priv->data_channels;
    }
    json_builder_set_member_name (b, "data");
    JsonNode *channels = json_from_string (data.c_str (), nullptr);
    if (!channels || !JSON_NODE_HOLDS_ARRAY (channels)) {
      if (channels)
        json_node_unref (channels);
      channels = json_node_init_array (json_node_alloc (), json_array_new ());
    }
    json_builder_add_value (b, channels);
    json_builder_set_member_name (b, "media");
    json_builder_begin_array (b);
    g_auto (GStrv) kinds = g_strsplit (media.c_str (), ",", -1);
    for (guint i = 0; kinds[i]; i++)
      if (kinds[i][0])
        json_builder_add_string_value (b, kinds[i]);
    json_builder_end_array (b);
    bool whip;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      whip = priv->protocol == GST_RTC_HTTP_PROTOCOL_WHIP;
    }
    json_builder_set_member_name (b, whip ? "publish" : "viewer");
    json_builder_add_string_value (b, ((whip ? "/publish/" : "/view/") + name ()).c_str ());
    json_builder_set_member_name (b, whip ? "publishers" : "viewers");
    json_builder_add_int_value (b, priv->sessions.size ());
  }

  std::string name ()
  {
    std::lock_guard<std::mutex> g (self_->priv->lock);
    return self_->priv->stream_name;
  }

  std::function<GstStructure *()> stats_reader (SoupServerMessage *msg) override;

private:
  bool check_access (SoupServerMessage *msg, const std::string &method, unsigned &granted);
  void post (SoupServerMessage *msg, GBytes *body, unsigned granted);
  void patch (SoupServerMessage *msg, const std::string &id, GBytes *body);
  void restart (SoupServerMessage *msg, HttpSession &session, const std::string &id,
                const std::string &ufrag, const std::string &pwd,
                const std::vector<rtc::RemoteCandidate> &candidates);
  void remove (SoupServerMessage *msg, const std::string &id);

  GstRtcHttpServerSignaller *self_;
};

/* Origin allow-list, bearer token or JWT (rtchttpaccess.h), then the
 * application's "authorize" (rtchttpauthorize.h). A WHEP request needs
 * the permission to view, a WHIP one to publish. */
bool Endpoint::check_access (SoupServerMessage *msg, const std::string &method, unsigned &granted)
{
  auto priv = self_->priv;
  rtc::HttpAccess access;
  unsigned needed;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    access.token = priv->auth_token;
    access.allowed_origins = priv->allowed_origins;
    access.jwt.key = priv->jwt_key;
    access.jwt.algorithm = priv->jwt_algorithm;
    access.jwt.audience = priv->stream_name;
    needed = priv->protocol == GST_RTC_HTTP_PROTOCOL_WHIP ? rtc::PERMIT_PUBLISH : rtc::PERMIT_VIEW;
  }
  access.jwt.implied = needed;
  return rtc::http_check_access (msg, access, needed, granted) &&
         rtc::http_authorize (G_OBJECT (self_), msg, method, access.jwt.audience, needed, granted);
}

/* The element's stats, to whom the stream itself would serve; off loopback
 * only behind a token (they name the peers' addresses). */
std::function<GstStructure *()> Endpoint::stats_reader (SoupServerMessage *msg)
{
  auto priv = self_->priv;
  bool serve, secured;
  std::shared_ptr<rtc::HttpServer> server;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    serve = priv->serve_stats;
    secured = !priv->auth_token.empty () || !priv->jwt_key.empty ();
    server = priv->server;
  }
  if (!server)
    return nullptr;
  return rtc::owner_stats_reader (G_OBJECT (self_), msg, serve, secured, server->loopback (),
                                  [this, msg] () {
                                    unsigned granted = 0;
                                    return check_access (msg, "GET", granted);
                                  });
}

static std::string allowed_origins (GstRtcHttpServerSignaller *self)
{
  std::lock_guard<std::mutex> g (self->priv->lock);
  return self->priv->allowed_origins;
}

static std::string ice_servers (GstRtcHttpServerSignaller *self)
{
  std::lock_guard<std::mutex> g (self->priv->lock);
  return self->priv->ice_servers;
}

/* The ICE servers for one session's 201: TURN servers without credentials
 * of their own get short-lived ones from turn-secret (rtcturn.h). */
static std::string session_ice_servers (GstRtcHttpServerSignaller *self)
{
  std::lock_guard<std::mutex> g (self->priv->lock);
  auto priv = self->priv;
  return rtc::turn_rest_fill (priv->ice_servers, priv->turn_secret, priv->turn_lifetime_s,
                              priv->stream_name);
}

void Endpoint::handle_request (SoupServerMessage *msg, const std::string &method,
                               const std::string &rest, GBytes *body)
{
  rtc::http_add_cors (msg, allowed_origins (self_));
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  bool on_session = !rest.empty () && rest != "/";
  std::string id = on_session ? rest.substr (1) : std::string ();
  if (method == "OPTIONS") {
    soup_message_headers_replace (resp, "Access-Control-Allow-Methods",
                                  on_session ? "PATCH, DELETE, OPTIONS" : "POST, OPTIONS");
    soup_message_headers_replace (resp, "Access-Control-Allow-Headers",
                                  "Authorization, Content-Type, If-Match");
    soup_message_headers_replace (resp, "Access-Control-Max-Age", "600");
    if (on_session) {
      soup_message_headers_replace (resp, "Accept-Patch", "application/trickle-ice-sdpfrag");
    } else {
      soup_message_headers_replace (resp, "Accept-Post", "application/sdp");
      rtc::http_add_ice_server_links (resp, ice_servers (self_), GST_OBJECT (self_), false);
    }
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return;
  }
  unsigned granted = 0;
  if (!on_session && method == "POST") {
    if (check_access (msg, method, granted))
      post (msg, body, granted);
    return;
  }
  if (on_session && (method == "PATCH" || method == "DELETE")) {
    if (!check_access (msg, method, granted))
      return;
    if (method == "PATCH")
      patch (msg, id, body);
    else
      remove (msg, id);
    return;
  }
  soup_message_headers_replace (resp, "Allow",
                                on_session ? "PATCH, DELETE, OPTIONS" : "POST, OPTIONS");
  std::string prefix;
  const char *upper;
  {
    std::lock_guard<std::mutex> g (self_->priv->lock);
    prefix = self_->priv->prefix ();
    upper = self_->priv->upper ();
  }
  rtc::http_respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                          method + " is not allowed here (" + upper + ": POST an offer to /" +
                              prefix + "/<name>, PATCH or DELETE the session URL)");
}

/* The POST's client went before its answer: nobody can use the session
 * (the answer and the session URL have nowhere to go), so it ends now
 * rather than at handshake-timeout. Watched only while the POST waits
 * (finish_pending stops both watches). Server thread. */
void end_abandoned (GstRtcHttpServerSignaller *self, const std::string &id)
{
  auto it = self->priv->sessions.find (id);
  if (it == self->priv->sessions.end ())
    return;
  self->priv->sessions.erase (it);
  self->priv->permits.forget (id);
  GST_INFO_OBJECT (self, "session %s: its client went before the answer", id.c_str ());
  g_signal_emit_by_name (self, "session-ended", id.c_str ());
}

void on_pending_disconnected (SoupServerMessage *msg, gpointer data)
{
  auto self = GST_RTC_HTTP_SERVER_SIGNALLER (data);
  for (auto &kv : self->priv->sessions) {
    if (kv.second->pending == msg) {
      end_abandoned (self, std::string (kv.first));
      return;
    }
  }
}

void Endpoint::post (SoupServerMessage *msg, GBytes *body, unsigned granted)
{
  auto priv = self_->priv;
  if (rtc::http_offers_limited (msg))
    return;
  GstSDPMessage *sdp = rtc::http_read_sdp_offer (msg, body);
  if (!sdp)
    return;
  /* The session URL is its only key: 128 bits from the system's
   * cryptographic source (a UUID from g_random is predictable). */
  std::string id;
  if (!rtc::random_secret (id, 16)) {
    gst_sdp_message_free (sdp);
    GST_ERROR_OBJECT (self_, "no random bytes from /dev/urandom: cannot make a session URL");
    rtc::http_respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the server failed");
    return;
  }
  auto session = std::make_unique<HttpSession> ();
  session->pending = SOUP_SERVER_MESSAGE (g_object_ref (msg));
  session->offer = sdp;
  session->ufrag = rtc::sdp_ice_ufrag (sdp, 0);
  g_signal_connect_object (msg, "disconnected", G_CALLBACK (on_pending_disconnected), self_,
                           GConnectFlags (0));
  auto self = self_;
  session->watch =
      std::make_unique<rtc::ClientWatch> (msg, [self, id] { end_abandoned (self, id); });
  priv->sessions[id] = std::move (session);
  priv->permits.set (id, granted);
  soup_server_message_pause (msg);

  const char *host = soup_server_message_get_remote_host (msg);
  GstWebRTCSessionDescription *offer = nullptr;
  {
    GstSDPMessage *copy = nullptr;
    gst_sdp_message_copy (sdp, &copy);
    offer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, copy);
  }
  GST_INFO_OBJECT (self_, "session %s requested by %s", id.c_str (), host ? host : "?");
  g_signal_emit_by_name (self_, "session-requested", id.c_str (), host ? host : "", offer);
  gst_webrtc_session_description_free (offer);
}

void Endpoint::patch (SoupServerMessage *msg, const std::string &id, GBytes *body)
{
  auto priv = self_->priv;
  auto it = priv->sessions.find (id);
  if (it == priv->sessions.end ()) {
    rtc::http_count_failure (msg);
    rtc::http_respond_text (msg, SOUP_STATUS_NOT_FOUND, "no such session");
    return;
  }
  if (rtc::http_media_type (msg) != "application/trickle-ice-sdpfrag") {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Accept-Patch",
                                  "application/trickle-ice-sdpfrag");
    rtc::http_respond_text (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                            "Content-Type must be application/trickle-ice-sdpfrag");
    return;
  }
  const char *if_match =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "If-Match");
  std::string etag = "\"" + id + "\"";
  if (if_match && !g_str_equal (if_match, "*") && etag != if_match) {
    rtc::http_respond_text (msg, SOUP_STATUS_PRECONDITION_FAILED, "ETag does not match");
    return;
  }
  gsize len = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (body, &len));
  std::string ufrag, pwd, error;
  std::vector<rtc::RemoteCandidate> candidates;
  if (it->second->patches >= MAX_PATCHES) {
    rtc::http_respond_text (msg, 429 /* Too Many Requests */,
                            "at most " + std::to_string (MAX_PATCHES) +
                                " trickle PATCHes per session");
    return;
  }
  it->second->patches++;
  if (!rtc::parse_trickle_sdpfrag (std::string (data ? data : "", len), it->second->offer, ufrag,
                                   candidates, error, &pwd)) {
    rtc::http_respond_text (msg, SOUP_STATUS_BAD_REQUEST, error);
    return;
  }
  if (candidates.size () > rtc::SDP_MAX_CANDIDATES) {
    rtc::http_respond_text (msg, SOUP_STATUS_BAD_REQUEST,
                            "at most " + std::to_string (rtc::SDP_MAX_CANDIDATES) +
                                " candidates per PATCH");
    return;
  }
  bool restart = !ufrag.empty () && ufrag != it->second->ufrag;
  if (if_match && g_str_equal (if_match, "*") && !restart) {
    rtc::http_respond_text (msg, SOUP_STATUS_BAD_REQUEST,
                            "an ICE restart (If-Match: *) needs new ice-ufrag and ice-pwd");
    return;
  }
  if (restart) {
    this->restart (msg, *it->second, id, ufrag, pwd, candidates);
    return;
  }
  for (auto &c : candidates)
    g_signal_emit_by_name (self_, "ice-candidate", id.c_str (), c.mline, c.candidate.c_str ());
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

/* The peer restarts ICE (RFC 9725 4.4.1.1): its new offer goes to the
 * element (which restarts ICE: rtcicerestart.h), then its candidates; the
 * PATCH waits for the element's answer (http_send_description). */
void Endpoint::restart (SoupServerMessage *msg, HttpSession &session, const std::string &id,
                        const std::string &ufrag, const std::string &pwd,
                        const std::vector<rtc::RemoteCandidate> &candidates)
{
  if (!rtc::sdp_ice_credentials_valid (ufrag, pwd)) {
    rtc::http_respond_text (msg, SOUP_STATUS_BAD_REQUEST,
                            "an ICE restart needs an ice-ufrag of 4 to 256 and an ice-pwd of 22 "
                            "to 256 characters (letters, digits, '+' and '/')");
    return;
  }
  if (session.pending) {
    rtc::http_respond_text (msg, SOUP_STATUS_CONFLICT,
                            session.restarting ? "an ICE restart is in progress already"
                                               : "the session is not answered yet");
    return;
  }
  GstSDPMessage *offer = rtc::sdp_restart_offer (session.offer, ufrag, pwd);
  gst_sdp_message_free (session.offer);
  session.offer = offer;
  session.ufrag = ufrag;
  session.restarting = true;
  session.pending = SOUP_SERVER_MESSAGE (g_object_ref (msg));
  soup_server_message_pause (msg);
  GST_INFO_OBJECT (self_, "session %s: the peer restarts ICE", id.c_str ());
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy (offer, &copy);
  GstWebRTCSessionDescription *desc =
      gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, copy);
  g_signal_emit_by_name (self_, "session-description", id.c_str (), desc);
  gst_webrtc_session_description_free (desc);
  for (auto &c : candidates)
    g_signal_emit_by_name (self_, "ice-candidate", id.c_str (), c.mline, c.candidate.c_str ());
}

void Endpoint::remove (SoupServerMessage *msg, const std::string &id)
{
  auto priv = self_->priv;
  auto it = priv->sessions.find (id);
  if (it == priv->sessions.end ()) {
    rtc::http_count_failure (msg);
    rtc::http_respond_text (msg, SOUP_STATUS_NOT_FOUND, "no such session");
    return;
  }
  finish_pending (*it->second, SOUP_STATUS_GONE, "text/plain; charset=utf-8", "session deleted\n");
  priv->sessions.erase (it);
  priv->permits.forget (id);
  GST_INFO_OBJECT (self_, "session %s deleted by the viewer", id.c_str ());
  g_signal_emit_by_name (self_, "session-ended", id.c_str ());
  soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
}

/* Runs @fn on the server thread if the signaller is still alive then;
 * with @wait, returns once it ran. The server thread never waits on the
 * element's threads, so waiting for it cannot deadlock. */
void on_server_thread (GstRtcHttpServerSignaller *self,
                       std::function<void (GstRtcHttpServerSignaller *self)> fn, bool wait = false)
{
  std::shared_ptr<rtc::HttpServer> server;
  {
    std::lock_guard<std::mutex> g (self->priv->lock);
    server = self->priv->server;
  }
  if (!server)
    return;
  if (wait) {
    server->invoke_sync ([self, fn] () { fn (self); }); /* the caller holds @self */
    return;
  }
  auto weak = new GWeakRef;
  g_weak_ref_init (weak, self);
  server->invoke ([weak, fn] () {
    auto s = static_cast<GstRtcHttpServerSignaller *> (g_weak_ref_get (weak));
    g_weak_ref_clear (weak);
    delete weak;
    if (!s)
      return;
    fn (s);
    gst_object_unref (s);
  });
}

void finish_pending (HttpSession &session, guint status, const std::string &content_type,
                     const std::string &body)
{
  if (!session.pending)
    return;
  session.watch.reset ();
  g_signal_handlers_disconnect_matched (session.pending, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                        (gpointer)on_pending_disconnected, nullptr);
  rtc::http_respond (session.pending, status, content_type, body);
  soup_server_message_unpause (session.pending);
  g_object_unref (session.pending);
  session.pending = nullptr;
}

} // namespace

static gboolean http_start (GstRtcSignaller *signaller, GError **error)
{
  auto self = GST_RTC_HTTP_SERVER_SIGNALLER (signaller);
  auto priv = self->priv;
  std::string address, name, prefix;
  guint port;
  rtc::HttpServer::Tls tls;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    if (priv->server)
      return TRUE;
    prefix = priv->prefix ();
    tls = priv->tls;
    address = priv->address;
    port = priv->port;
    name = priv->stream_name;
  }
  std::string err;
  auto server = rtc::HttpServer::acquire (address, port, tls, err);
  if (!server) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ_WRITE, "%s", err.c_str ());
    return FALSE;
  }
  auto endpoint = std::make_unique<Endpoint> (self);
  if (!server->add_endpoint (prefix, name, endpoint.get (), err)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, "%s", err.c_str ());
    return FALSE;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  priv->server = server;
  priv->endpoint = std::move (endpoint);
  GST_INFO_OBJECT (self, "endpoint %s/%s/%s", server->base_url ().c_str (), prefix.c_str (),
                   name.c_str ());
  return TRUE;
}

static void http_stop (GstRtcSignaller *signaller)
{
  auto self = GST_RTC_HTTP_SERVER_SIGNALLER (signaller);
  auto priv = self->priv;
  std::shared_ptr<rtc::HttpServer> server;
  std::string name, prefix;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    server = priv->server;
    name = priv->stream_name;
    prefix = priv->prefix ();
  }
  if (!server)
    return;
  server->remove_endpoint (prefix, name);
  server->invoke_sync ([priv] () {
    for (auto &kv : priv->sessions)
      finish_pending (*kv.second, SOUP_STATUS_SERVICE_UNAVAILABLE, "text/plain",
                      "the stream stopped\n");
    priv->sessions.clear ();
    priv->permits.clear ();
  });
  std::lock_guard<std::mutex> g (priv->lock);
  priv->endpoint.reset ();
  priv->server.reset ();
}

static void http_send_description (GstRtcSignaller *signaller, const gchar *session_id,
                                   GstWebRTCSessionDescription *answer)
{
  auto self = GST_RTC_HTTP_SERVER_SIGNALLER (signaller);
  if (answer->type != GST_WEBRTC_SDP_TYPE_ANSWER) {
    GST_WARNING_OBJECT (self, "session %s: a %s is not an answer; ignored", session_id,
                        gst_webrtc_sdp_type_to_string (answer->type));
    return;
  }
  gchar *text = gst_sdp_message_as_text (answer->sdp);
  std::string sdp = text;
  g_free (text);
  std::string id = session_id;
  /* Our candidates (all in the first answer: the server does not trickle;
   * an ICE restart gathers none) and, for a restart, the new credentials. */
  std::vector<std::string> candidates = rtc::sdp_candidates (answer->sdp);
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy (answer->sdp, &copy);
  std::shared_ptr<GstSDPMessage> message (copy, gst_sdp_message_free);
  on_server_thread (self, [id, sdp, candidates, message] (GstRtcHttpServerSignaller *self) {
    auto priv = self->priv;
    auto it = priv->sessions.find (id);
    if (it == priv->sessions.end () || !it->second->pending)
      return;
    HttpSession &session = *it->second;
    if (session.restarting) {
      session.restarting = false;
      /* (the answer's own candidates, if the element put any in it) */
      const std::vector<std::string> &ours = candidates.empty () ? session.candidates : candidates;
      std::string frag = rtc::sdp_restart_fragment (message.get (), ours);
      soup_message_headers_replace (soup_server_message_get_response_headers (session.pending),
                                    "ETag", ("\"" + id + "\"").c_str ());
      finish_pending (session, SOUP_STATUS_OK, "application/trickle-ice-sdpfrag", frag);
      return;
    }
    session.candidates = candidates;
    SoupMessageHeaders *resp = soup_server_message_get_response_headers (it->second->pending);
    std::string name, prefix;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      name = priv->stream_name;
      prefix = priv->prefix ();
    }
    soup_message_headers_replace (resp, "Location",
                                  ("/" + prefix + "/" + name + "/" + id).c_str ());
    rtc::http_add_ice_server_links (resp, session_ice_servers (self), GST_OBJECT (self), true);
    soup_message_headers_replace (resp, "ETag", ("\"" + id + "\"").c_str ());
    soup_message_headers_replace (resp, "Accept-Patch", "application/trickle-ice-sdpfrag");
    finish_pending (*it->second, SOUP_STATUS_CREATED, "application/sdp", sdp);
  });
}

static void http_reject_session (GstRtcSignaller *signaller, const gchar *session_id,
                                 const GError *error)
{
  auto self = GST_RTC_HTTP_SERVER_SIGNALLER (signaller);
  std::string id = session_id;
  guint status = rtc::http_status_for (error);
  std::string reason = error ? error->message : "rejected";
  on_server_thread (self, [id, status, reason] (GstRtcHttpServerSignaller *self) {
    auto priv = self->priv;
    auto it = priv->sessions.find (id);
    if (it == priv->sessions.end ())
      return;
    if (it->second->pending && status == SOUP_STATUS_SERVICE_UNAVAILABLE)
      soup_message_headers_replace (soup_server_message_get_response_headers (it->second->pending),
                                    "Retry-After", RETRY_AFTER_SECONDS);
    finish_pending (*it->second, status, "text/plain; charset=utf-8", reason + "\n");
    priv->sessions.erase (it);
    priv->permits.forget (id);
  });
}

static void http_end_session (GstRtcSignaller *signaller, const gchar *session_id)
{
  auto self = GST_RTC_HTTP_SERVER_SIGNALLER (signaller);
  std::string id = session_id;
  /* Waits: once the element says a session ended, its URL is gone (a
   * DELETE that follows gets 404, not a session that is no more). */
  on_server_thread (
      self,
      [id] (GstRtcHttpServerSignaller *self) {
        auto priv = self->priv;
        auto it = priv->sessions.find (id);
        if (it == priv->sessions.end ())
          return;
        finish_pending (*it->second, SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/plain",
                        "the session ended before it was answered\n");
        priv->sessions.erase (it);
        priv->permits.forget (id);
      },
      true);
}

static void gst_rtc_http_server_signaller_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = http_start;
  iface->stop = http_stop;
  iface->send_description = http_send_description;
  iface->reject_session = http_reject_session;
  iface->end_session = http_end_session;
  iface->session_permits = [] (GstRtcSignaller *s, const gchar *id, const gchar *permission) {
    return (gboolean)GST_RTC_HTTP_SERVER_SIGNALLER (s)->priv->permits.permits (id, permission);
  };
  /* WHEP and WHIP have no way for the server to trickle: send_ice_candidate
   * is unset and the answer carries the candidates. */
}

static void gst_rtc_http_server_signaller_set_property (GObject *object, guint prop_id,
                                                        const GValue *value, GParamSpec *pspec)
{
  gst_rtc_http_server_settings_set (*GST_RTC_HTTP_SERVER_SIGNALLER (object)->priv, object, prop_id,
                                    value, pspec);
}

static void gst_rtc_http_server_signaller_get_property (GObject *object, guint prop_id,
                                                        GValue *value, GParamSpec *pspec)
{
  gst_rtc_http_server_settings_get (*GST_RTC_HTTP_SERVER_SIGNALLER (object)->priv, object, prop_id,
                                    value, pspec);
}

static void gst_rtc_http_server_signaller_finalize (GObject *object)
{
  auto self = GST_RTC_HTTP_SERVER_SIGNALLER (object);
  http_stop (GST_RTC_SIGNALLER (self));
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_http_server_signaller_parent_class)->finalize (object);
}

static void gst_rtc_http_server_signaller_class_init (GstRtcHttpServerSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gst_rtc_http_server_signaller_set_property;
  gobject_class->get_property = gst_rtc_http_server_signaller_get_property;
  gobject_class->finalize = gst_rtc_http_server_signaller_finalize;
  gst_rtc_http_server_signaller_install_properties (gobject_class);
  rtc::install_authorize_signal (G_TYPE_FROM_CLASS (klass));
  GST_DEBUG_CATEGORY_INIT (gst_rtc_http_server_signaller_debug, "rtchttpsignaller", 0,
                           "WHEP/WHIP server signaller");
}

static void gst_rtc_http_server_signaller_init (GstRtcHttpServerSignaller *self)
{
  self->priv = new GstRtcHttpServerSignallerPrivate ();
}

/* See gstrtchttpclientsignaller.h. */
#include "gstrtchttpclientsignaller.h"

#include <gst/sdp/sdp.h>
#include <libsoup/soup.h>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gstrtchttpserversignaller.h"
#include <gst/rtcbridge/gstrtcsignaller.h>
#include "rtccontrolthread.h"
#include "rtchttpclient.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_http_client_signaller_debug);
#define GST_CAT_DEFAULT gst_rtc_http_client_signaller_debug

#define DEFAULT_RETRY_DELAY_MIN 500
#define DEFAULT_RETRY_DELAY_MAX 10000
#define DEFAULT_HTTP_TIMEOUT 10
#define MAX_REDIRECTS 5
/* An SDP answer is a few kB; a server sending more is cut off. */
#define MAX_RESPONSE_BODY (64 * 1024)
#define STOP_DELETE_TIMEOUT_MS 2000

enum {
  PROP_0,
  PROP_URL,
  PROP_AUTH_TOKEN,
  PROP_PROTOCOL,
  PROP_RETRY_DELAY_MIN,
  PROP_RETRY_DELAY_MAX,
  PROP_ICE_SERVERS,
  PROP_RESOURCE_URL,
};

namespace {

/* One attempt: our offer, what the server answered. Client thread only. */
struct Attempt {
  std::string id;
  std::string ufrag, pwd;           /* of our offer, for PATCH fragments */
  std::vector<std::string> mids;    /* per m-line of our offer */
  std::string resource;             /* absolute session URL, once answered */
  std::string etag;                 /* the session's ETag, may be empty */
  std::vector<std::string> pending; /* sdpfrag candidate blocks before the answer */
  bool answered = false;
};

} // namespace

struct GstRtcHttpClientSignallerPrivate {
  std::mutex lock; /* guards the settings */
  std::string url;
  std::string auth_token;
  GstRtcHttpProtocol protocol = GST_RTC_HTTP_PROTOCOL_WHIP;
  guint retry_delay_min = DEFAULT_RETRY_DELAY_MIN;
  guint retry_delay_max = DEFAULT_RETRY_DELAY_MAX;
  std::string ice_servers;  /* from Link headers, GStreamer-style URLs */
  std::string resource_url; /* the live session's URL */

  rtc::ControlThread thread;
  /* client thread only: */
  SoupSession *session = nullptr;
  GCancellable *cancellable = nullptr;
  Attempt attempt;
  guint failures = 0;
  bool running = false;
};

struct _GstRtcHttpClientSignaller {
  GstObject parent;
  GstRtcHttpClientSignallerPrivate *priv;
};

static void gst_rtc_http_client_signaller_iface_init (GstRtcSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcHttpClientSignaller, gst_rtc_http_client_signaller, GST_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER,
                                                gst_rtc_http_client_signaller_iface_init));

namespace {

using Self = GstRtcHttpClientSignaller;

const char *protocol_name (Self *self)
{
  std::lock_guard<std::mutex> g (self->priv->lock);
  return self->priv->protocol == GST_RTC_HTTP_PROTOCOL_WHEP ? "WHEP" : "WHIP";
}

void set_state (Self *self, const std::string &state, const std::string &detail)
{
  GST_INFO_OBJECT (self, "%s: %s", state.c_str (), detail.c_str ());
  g_signal_emit_by_name (self, "state-changed", state.c_str (), detail.c_str ());
}

/* Runs @fn on the client thread while the object lives. */
void on_thread (Self *self, std::function<void (Self *)> fn)
{
  gst_object_ref (self);
  self->priv->thread.post ([self, fn] () {
    fn (self);
    gst_object_unref (self);
  });
}

/* The bearer token goes only to the configured URL's origin: not along a
 * redirect or to a session URL on another server (as browsers drop
 * Authorization on a cross-origin redirect). */
SoupMessage *new_message (Self *self, const char *method, const std::string &url)
{
  SoupMessage *msg = soup_message_new (method, url.c_str ());
  if (!msg)
    return nullptr;
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  std::string token, configured;
  {
    std::lock_guard<std::mutex> g (self->priv->lock);
    token = self->priv->auth_token;
    configured = self->priv->url;
  }
  if (!token.empty () && !rtc::http_same_origin (url, configured))
    GST_INFO_OBJECT (self, "%s %s: another origin than %s, sent without the token", method,
                     url.c_str (), configured.c_str ());
  else if (!token.empty ())
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  ("Bearer " + token).c_str ());
  return msg;
}

std::string resolve (SoupMessage *msg, const char *location)
{
  GUri *base = soup_message_get_uri (msg);
  GUri *abs = g_uri_parse_relative (base, location, GUriFlags (SOUP_HTTP_URI_FLAGS), nullptr);
  if (!abs)
    return {};
  gchar *text = g_uri_to_string (abs);
  std::string out = text;
  g_free (text);
  g_uri_unref (abs);
  return out;
}

void new_attempt (Self *self);
void send_patch (Self *self, const std::string &block);

/* Ends the attempt and schedules the next one. @retry_after_ms overrides the
 * back-off when the server asked for a delay. */
void retry_later (Self *self, const std::string &why, gint retry_after_ms, bool tell_element)
{
  auto priv = self->priv;
  std::string id = priv->attempt.id;
  priv->attempt = Attempt ();
  {
    std::lock_guard<std::mutex> g (priv->lock);
    priv->resource_url.clear ();
  }
  if (!priv->running)
    return;
  guint min, max;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    min = priv->retry_delay_min;
    max = priv->retry_delay_max;
  }
  guint delay = retry_after_ms >= 0
                    ? (guint)retry_after_ms
                    : (guint)MIN ((guint64)max, (guint64)min << MIN (priv->failures, 16u));
  priv->failures++;
  if (tell_element && !id.empty ())
    g_signal_emit_by_name (self, "session-ended", id.c_str ());
  set_state (self, "retrying", why + "; next attempt in " + std::to_string (delay) + " ms");
  gst_object_ref (self);
  priv->thread.after (delay, [self] () {
    if (self->priv->running && self->priv->attempt.id.empty ())
      new_attempt (self);
    gst_object_unref (self);
  });
}

void fail_fatal (Self *self, const std::string &message)
{
  auto priv = self->priv;
  std::string id = priv->attempt.id;
  priv->attempt = Attempt ();
  priv->running = false;
  if (!id.empty ())
    g_signal_emit_by_name (self, "session-ended", id.c_str ());
  set_state (self, "failed", message);
  /* What the element shows the user: what failed, then why. */
  std::string what =
      std::string (protocol_name (self)) +
      (g_str_equal (protocol_name (self), "WHIP") ? " publishing failed: " : " playback failed: ");
  g_signal_emit_by_name (self, "error", (what + message).c_str ());
}

void new_attempt (Self *self)
{
  auto priv = self->priv;
  g_autofree gchar *uuid = g_uuid_string_random ();
  priv->attempt = Attempt ();
  priv->attempt.id = uuid;
  std::string url;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    url = priv->url;
  }
  set_state (self, "connecting", url);
  g_signal_emit_by_name (self, "session-requested", uuid, url.c_str (), nullptr);
}

struct PostContext {
  Self *self;
  std::string id;
  std::string body;
  guint redirects;
};

void post_offer (Self *self, const std::string &url, PostContext *ctx);

void on_post_done (GObject *source, GAsyncResult *res, gpointer data)
{
  auto ctx = static_cast<PostContext *> (data);
  Self *self = ctx->self;
  auto priv = self->priv;
  SoupMessage *msg = rtc::http_capped_message (res);
  GError *error = nullptr;
  GBytes *body = rtc::http_send_capped_finish (res, &error);
  const char *proto = protocol_name (self);
  auto finish = [&] () {
    if (body)
      g_bytes_unref (body);
    g_clear_error (&error);
    gst_object_unref (self);
    delete ctx;
  };
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || ctx->id != priv->attempt.id) {
    finish ();
    return;
  }
  g_autofree gchar *uri_text = msg ? g_uri_to_string (soup_message_get_uri (msg)) : nullptr;
  std::string where = std::string (proto) + " POST " + (uri_text ? uri_text : "?");
  if (error) {
    retry_later (self, where + ": " + error->message, -1, true);
    finish ();
    return;
  }
  guint status = soup_message_get_status (msg);
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  gsize len = 0;
  const char *text = body ? static_cast<const char *> (g_bytes_get_data (body, &len)) : nullptr;
  std::string reply (text ? text : "", text ? len : 0);
  if ((status == SOUP_STATUS_TEMPORARY_REDIRECT || status == SOUP_STATUS_PERMANENT_REDIRECT) &&
      ctx->redirects < MAX_REDIRECTS) {
    const char *location = soup_message_headers_get_one (headers, "Location");
    std::string next = location ? resolve (msg, location) : "";
    if (!next.empty () && rtc::http_downgrades (uri_text, next)) {
      fail_fatal (self, where + " redirected to " + next +
                            ": refused, https is not followed to plain http");
      finish ();
      return;
    }
    if (!next.empty ()) {
      GST_INFO_OBJECT (self, "%s redirected to %s", where.c_str (), next.c_str ());
      ctx->redirects++;
      auto next_ctx = new PostContext (*ctx);
      gst_object_ref (self);
      post_offer (self, next, next_ctx);
      finish ();
      return;
    }
  }
  if (status == SOUP_STATUS_CREATED) {
    const char *location = soup_message_headers_get_one (headers, "Location");
    GstSDPMessage *sdp = nullptr;
    gst_sdp_message_new (&sdp);
    /* GstSDP takes no empty text (a critical). */
    if (!location || reply.empty () ||
        gst_sdp_message_parse_buffer ((const guint8 *)reply.data (), reply.size (), sdp) !=
            GST_SDP_OK ||
        gst_sdp_message_medias_len (sdp) == 0) {
      gst_sdp_message_free (sdp);
      retry_later (self,
                   where + ": 201 without " + (location ? "a valid SDP answer" : "a Location"), -1,
                   true);
      finish ();
      return;
    }
    auto &a = priv->attempt;
    a.resource = resolve (msg, location);
    if (rtc::http_downgrades (uri_text, a.resource)) {
      gst_sdp_message_free (sdp);
      fail_fatal (self, where + ": the session URL " + a.resource +
                            " is plain http: refused, https is not followed to plain http");
      finish ();
      return;
    }
    const char *etag = soup_message_headers_get_one (headers, "ETag");
    a.etag = etag ? etag : "";
    a.answered = true;
    std::string links = rtc::http_parse_ice_links (soup_message_headers_get_list (headers, "Link"));
    {
      std::lock_guard<std::mutex> g (priv->lock);
      priv->resource_url = a.resource;
      if (!links.empty ())
        priv->ice_servers = links;
    }
    priv->failures = 0;
    set_state (self, "answered", a.resource);
    GstWebRTCSessionDescription *answer =
        gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
    g_signal_emit_by_name (self, "session-description", ctx->id.c_str (), answer);
    gst_webrtc_session_description_free (answer);
    std::vector<std::string> pending;
    pending.swap (a.pending);
    for (auto &block : pending)
      send_patch (self, block);
    finish ();
    return;
  }
  std::string reason =
      where + ": " + std::to_string (status) + " " +
      (soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase (msg) : "");
  std::string first_line = reply.substr (0, MIN (reply.find ('\n'), (size_t)200));
  if (!first_line.empty ())
    reason += " (" + first_line + ")";
  bool retryable = status >= 500 || status == SOUP_STATUS_CONFLICT || status == 429 ||
                   status == SOUP_STATUS_REQUEST_TIMEOUT || status < 100;
  if (retryable) {
    gint retry_after = -1;
    const char *ra = soup_message_headers_get_one (headers, "Retry-After");
    if (ra && g_ascii_isdigit (ra[0]))
      retry_after = (gint)MIN (g_ascii_strtoull (ra, nullptr, 10), 3600u) * 1000;
    retry_later (self, reason, retry_after, true);
  } else {
    fail_fatal (self, reason);
  }
  finish ();
}

void post_offer (Self *self, const std::string &url, PostContext *ctx)
{
  auto priv = self->priv;
  SoupMessage *msg = new_message (self, "POST", url);
  if (!msg) {
    fail_fatal (self, std::string (protocol_name (self)) + " URL is not valid: " + url);
    gst_object_unref (self);
    delete ctx;
    return;
  }
  GBytes *bytes = g_bytes_new (ctx->body.data (), ctx->body.size ());
  soup_message_set_request_body_from_bytes (msg, "application/sdp", bytes);
  g_bytes_unref (bytes);
  rtc::http_send_capped (priv->session, msg, MAX_RESPONSE_BODY, priv->cancellable, on_post_done,
                         ctx);
  g_object_unref (msg);
}

void on_patch_done (GObject *source, GAsyncResult *res, gpointer data)
{
  auto self = static_cast<Self *> (data);
  SoupMessage *msg = rtc::http_capped_message (res);
  GError *error = nullptr;
  GBytes *body = rtc::http_send_capped_finish (res, &error);
  if (error) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      GST_WARNING_OBJECT (self, "PATCH failed: %s", error->message);
    g_error_free (error);
  } else if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg))) {
    GST_WARNING_OBJECT (self, "PATCH answered %u", soup_message_get_status (msg));
  }
  if (body)
    g_bytes_unref (body);
  gst_object_unref (self);
}

void send_patch (Self *self, const std::string &block)
{
  auto priv = self->priv;
  auto &a = priv->attempt;
  std::string frag;
  if (!a.ufrag.empty ())
    frag += "a=ice-ufrag:" + a.ufrag + "\r\na=ice-pwd:" + a.pwd + "\r\n";
  frag += block;
  SoupMessage *msg = new_message (self, "PATCH", a.resource);
  if (!msg)
    return;
  if (!a.etag.empty ())
    soup_message_headers_replace (soup_message_get_request_headers (msg), "If-Match",
                                  a.etag.c_str ());
  GBytes *bytes = g_bytes_new (frag.data (), frag.size ());
  soup_message_set_request_body_from_bytes (msg, "application/trickle-ice-sdpfrag", bytes);
  g_bytes_unref (bytes);
  rtc::http_send_capped (priv->session, msg, MAX_RESPONSE_BODY, priv->cancellable, on_patch_done,
                         gst_object_ref (self));
  g_object_unref (msg);
}

struct DeleteContext {
  Self *self;
  std::function<void ()> done;
};

void on_delete_done (GObject *source, GAsyncResult *res, gpointer data)
{
  auto ctx = static_cast<DeleteContext *> (data);
  SoupMessage *msg = rtc::http_capped_message (res);
  GError *error = nullptr;
  GBytes *body = rtc::http_send_capped_finish (res, &error);
  if (error) {
    GST_INFO_OBJECT (ctx->self, "DELETE failed: %s", error->message);
    g_error_free (error);
  } else {
    GST_INFO_OBJECT (ctx->self, "DELETE answered %u", soup_message_get_status (msg));
  }
  if (body)
    g_bytes_unref (body);
  if (ctx->done)
    ctx->done ();
  gst_object_unref (ctx->self);
  delete ctx;
}

/* DELETEs the attempt's session URL (not cancelled by stop: it must go). */
void send_delete (Self *self, const std::string &resource, std::function<void ()> done)
{
  SoupMessage *msg = resource.empty () ? nullptr : new_message (self, "DELETE", resource);
  if (!msg) {
    if (done)
      done ();
    return;
  }
  GST_INFO_OBJECT (self, "DELETE %s", resource.c_str ());
  rtc::http_send_capped (
      self->priv->session, msg, MAX_RESPONSE_BODY, nullptr, on_delete_done,
      new DeleteContext{GST_RTC_HTTP_CLIENT_SIGNALLER (gst_object_ref (self)), std::move (done)});
  g_object_unref (msg);
}

} // namespace

static gboolean client_start (GstRtcSignaller *signaller, GError **error)
{
  auto self = GST_RTC_HTTP_CLIENT_SIGNALLER (signaller);
  auto priv = self->priv;
  std::string url;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    url = priv->url;
  }
  GUri *uri =
      url.empty () ? nullptr : g_uri_parse (url.c_str (), GUriFlags (SOUP_HTTP_URI_FLAGS), nullptr);
  /* What libsoup will take: http(s) with a host ("http://" has none). */
  bool ok = uri &&
            (g_str_equal (g_uri_get_scheme (uri), "http") ||
             g_str_equal (g_uri_get_scheme (uri), "https")) &&
            g_uri_get_host (uri) && *g_uri_get_host (uri);
  if (uri)
    g_uri_unref (uri);
  if (!ok) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "'%s' is not an http(s) URL with a host", url.c_str ());
    return FALSE;
  }
  if (priv->thread.running ())
    return TRUE;
  priv->thread.start ("rtc-http-client");
  priv->thread.post_sync ([priv] () {
    priv->session = soup_session_new_with_options ("timeout", DEFAULT_HTTP_TIMEOUT, "user-agent",
                                                   "gst-rtcbridge", nullptr);
    priv->cancellable = g_cancellable_new ();
    priv->running = true;
    priv->failures = 0;
  });
  on_thread (self, [] (Self *s) { new_attempt (s); });
  return TRUE;
}

static void client_stop (GstRtcSignaller *signaller)
{
  auto self = GST_RTC_HTTP_CLIENT_SIGNALLER (signaller);
  auto priv = self->priv;
  if (!priv->thread.running ())
    return;
  struct Waiter {
    std::mutex m;
    std::condition_variable c;
    bool deleted = false;
  };
  auto waiter = std::make_shared<Waiter> ();
  auto done = [waiter] () {
    std::lock_guard<std::mutex> g (waiter->m);
    waiter->deleted = true;
    waiter->c.notify_one ();
  };
  priv->thread.post_sync ([self, priv, done] () {
    priv->running = false;
    g_cancellable_cancel (priv->cancellable);
    std::string resource = priv->attempt.resource;
    priv->attempt = Attempt ();
    set_state (self, "stopped", resource);
    send_delete (self, resource, done);
  });
  {
    std::unique_lock<std::mutex> l (waiter->m);
    if (!waiter->c.wait_for (l, std::chrono::milliseconds (STOP_DELETE_TIMEOUT_MS),
                             [&] { return waiter->deleted; }))
      GST_WARNING_OBJECT (self, "the server did not answer the DELETE in time");
  }
  priv->thread.post_sync ([priv] () {
    soup_session_abort (priv->session);
    g_clear_object (&priv->session);
    g_clear_object (&priv->cancellable);
  });
  priv->thread.stop ();
  std::lock_guard<std::mutex> g (priv->lock);
  priv->resource_url.clear ();
}

static void client_send_description (GstRtcSignaller *signaller, const gchar *session_id,
                                     GstWebRTCSessionDescription *offer)
{
  auto self = GST_RTC_HTTP_CLIENT_SIGNALLER (signaller);
  if (offer->type != GST_WEBRTC_SDP_TYPE_OFFER) {
    GST_WARNING_OBJECT (self, "session %s: a %s is not an offer; ignored", session_id,
                        gst_webrtc_sdp_type_to_string (offer->type));
    return;
  }
  std::string id = session_id;
  gchar *text = gst_sdp_message_as_text (offer->sdp);
  std::string sdp = text;
  g_free (text);
  std::string ufrag, pwd;
  std::vector<std::string> mids;
  const GstSDPMessage *msg = offer->sdp;
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);
    const char *mid = gst_sdp_media_get_attribute_val (media, "mid");
    mids.push_back (mid ? mid : std::to_string (i));
    if (ufrag.empty ()) {
      const char *u = gst_sdp_media_get_attribute_val (media, "ice-ufrag");
      const char *p = gst_sdp_media_get_attribute_val (media, "ice-pwd");
      if (!u)
        u = gst_sdp_message_get_attribute_val (msg, "ice-ufrag");
      if (!p)
        p = gst_sdp_message_get_attribute_val (msg, "ice-pwd");
      ufrag = u ? u : "";
      pwd = p ? p : "";
    }
  }
  on_thread (self, [id, sdp, ufrag, pwd, mids] (Self *s) {
    auto priv = s->priv;
    if (!priv->running || id != priv->attempt.id)
      return;
    priv->attempt.ufrag = ufrag;
    priv->attempt.pwd = pwd;
    priv->attempt.mids = mids;
    std::string url;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      url = priv->url;
    }
    gst_object_ref (s);
    post_offer (s, url, new PostContext{s, id, sdp, 0});
  });
}

static void client_send_ice_candidate (GstRtcSignaller *signaller, const gchar *session_id,
                                       guint mline, const gchar *candidate)
{
  auto self = GST_RTC_HTTP_CLIENT_SIGNALLER (signaller);
  std::string id = session_id, cand = candidate ? candidate : "";
  on_thread (self, [id, mline, cand] (Self *s) {
    auto &a = s->priv->attempt;
    if (id != a.id || mline >= a.mids.size ())
      return;
    std::string block = "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:" + a.mids[mline] + "\r\n";
    block += cand.empty () ? "a=end-of-candidates\r\n" : "a=" + cand + "\r\n";
    if (a.answered)
      send_patch (s, block);
    else
      a.pending.push_back (block);
  });
}

static void client_end_session (GstRtcSignaller *signaller, const gchar *session_id)
{
  auto self = GST_RTC_HTTP_CLIENT_SIGNALLER (signaller);
  std::string id = session_id;
  on_thread (self, [id] (Self *s) {
    auto priv = s->priv;
    if (id != priv->attempt.id)
      return;
    std::string resource = priv->attempt.resource;
    g_cancellable_cancel (priv->cancellable);
    g_object_unref (priv->cancellable);
    priv->cancellable = g_cancellable_new ();
    send_delete (s, resource, nullptr);
    retry_later (s, "the session ended", -1, false);
  });
}

/* The element cannot make an offer (no codec for an input): retrying would
 * not help; the element has said why. */
static void client_reject_session (GstRtcSignaller *signaller, const gchar *session_id,
                                   const GError *error)
{
  auto self = GST_RTC_HTTP_CLIENT_SIGNALLER (signaller);
  std::string id = session_id, why = error ? error->message : "the element refused the session";
  on_thread (self, [id, why] (Self *s) {
    auto priv = s->priv;
    if (id != priv->attempt.id)
      return;
    priv->attempt = Attempt ();
    priv->running = false;
    set_state (s, "failed", why);
  });
}

static void gst_rtc_http_client_signaller_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = client_start;
  iface->stop = client_stop;
  iface->send_description = client_send_description;
  iface->get_role = [] (GstRtcSignaller *) {
    return GST_RTC_SIGNALLER_ROLE_OFFERER;
  };
  iface->send_ice_candidate = client_send_ice_candidate;
  iface->end_session = client_end_session;
  iface->reject_session = client_reject_session;
}

static void gst_rtc_http_client_signaller_set_property (GObject *object, guint prop_id,
                                                        const GValue *value, GParamSpec *pspec)
{
  auto priv = GST_RTC_HTTP_CLIENT_SIGNALLER (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  const gchar *s;
  switch (prop_id) {
  case PROP_URL:
    s = g_value_get_string (value);
    priv->url = s ? s : "";
    break;
  case PROP_AUTH_TOKEN:
    s = g_value_get_string (value);
    priv->auth_token = s ? s : "";
    break;
  case PROP_PROTOCOL:
    priv->protocol = (GstRtcHttpProtocol)g_value_get_enum (value);
    break;
  case PROP_RETRY_DELAY_MIN:
    priv->retry_delay_min = g_value_get_uint (value);
    break;
  case PROP_RETRY_DELAY_MAX:
    priv->retry_delay_max = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_http_client_signaller_get_property (GObject *object, guint prop_id,
                                                        GValue *value, GParamSpec *pspec)
{
  auto priv = GST_RTC_HTTP_CLIENT_SIGNALLER (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  auto str_or_null = [] (const std::string &s) {
    return s.empty () ? nullptr : s.c_str ();
  };
  switch (prop_id) {
  case PROP_URL:
    g_value_set_string (value, str_or_null (priv->url));
    break;
  case PROP_AUTH_TOKEN:
    g_value_set_string (value, str_or_null (priv->auth_token));
    break;
  case PROP_PROTOCOL:
    g_value_set_enum (value, priv->protocol);
    break;
  case PROP_RETRY_DELAY_MIN:
    g_value_set_uint (value, priv->retry_delay_min);
    break;
  case PROP_RETRY_DELAY_MAX:
    g_value_set_uint (value, priv->retry_delay_max);
    break;
  case PROP_ICE_SERVERS:
    g_value_set_string (value, str_or_null (priv->ice_servers));
    break;
  case PROP_RESOURCE_URL:
    g_value_set_string (value, str_or_null (priv->resource_url));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_http_client_signaller_finalize (GObject *object)
{
  auto self = GST_RTC_HTTP_CLIENT_SIGNALLER (object);
  client_stop (GST_RTC_SIGNALLER (self));
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_http_client_signaller_parent_class)->finalize (object);
}

static void gst_rtc_http_client_signaller_class_init (GstRtcHttpClientSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gst_rtc_http_client_signaller_set_property;
  gobject_class->get_property = gst_rtc_http_client_signaller_get_property;
  gobject_class->finalize = gst_rtc_http_client_signaller_finalize;
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL", "The WHIP or WHEP endpoint URL to POST offers to", nullptr,
                           rw));
  g_object_class_install_property (
      gobject_class, PROP_AUTH_TOKEN,
      g_param_spec_string ("auth-token", "Auth token",
                           "Bearer token sent with every request (NULL = none)", nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_PROTOCOL,
      g_param_spec_enum ("protocol", "Protocol", "WHIP (we publish) or WHEP (we receive)",
                         GST_TYPE_RTC_HTTP_PROTOCOL, GST_RTC_HTTP_PROTOCOL_WHIP, rw));
  g_object_class_install_property (
      gobject_class, PROP_RETRY_DELAY_MIN,
      g_param_spec_uint ("retry-delay-min", "Minimum retry delay",
                         "Milliseconds before the first retry; doubles per failure", 0, 3600000,
                         DEFAULT_RETRY_DELAY_MIN, rw));
  g_object_class_install_property (
      gobject_class, PROP_RETRY_DELAY_MAX,
      g_param_spec_uint ("retry-delay-max", "Maximum retry delay",
                         "Longest back-off between attempts in milliseconds (a server's "
                         "Retry-After wins)",
                         0, 3600000, DEFAULT_RETRY_DELAY_MAX, rw));
  g_object_class_install_property (
      gobject_class, PROP_ICE_SERVERS,
      g_param_spec_string ("ice-servers", "ICE servers",
                           "ICE servers the server announced (Link headers), as comma-separated "
                           "stun:// and turn:// URLs; used from the next offer on",
                           nullptr, ro));
  g_object_class_install_property (
      gobject_class, PROP_RESOURCE_URL,
      g_param_spec_string ("resource-url", "Session URL",
                           "The live session's URL (Location of the 201), NULL when none", nullptr,
                           ro));
  GST_DEBUG_CATEGORY_INIT (gst_rtc_http_client_signaller_debug, "rtchttpclientsignaller", 0,
                           "WHIP/WHEP client signaller");
}

static void gst_rtc_http_client_signaller_init (GstRtcHttpClientSignaller *self)
{
  self->priv = new GstRtcHttpClientSignallerPrivate ();
}

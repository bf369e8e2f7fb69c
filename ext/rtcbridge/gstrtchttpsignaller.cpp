/* See gstrtchttpsignaller.h. */
#include "gstrtchttpsignaller.h"
#include "rtcstatshttp.h"

#include <gst/rtcbridge/gstrtcsignaller.h>
#include <mutex>
#include <string>
#include <vector>

#include "gstrtchttpclientsignaller.h"
#include "rtchttpauthorize.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_http_signaller_debug);
#define GST_CAT_DEFAULT gst_rtc_http_signaller_debug

enum {
  PROP_0,
  PROP_PROTOCOL,
  PROP_WHIP_URL,
  PROP_WHEP_URL,
  PROP_ICE_SERVERS,
  /* forwarded as they are */
  PROP_ADDRESS,
  PROP_PORT,
  PROP_STREAM_NAME,
  PROP_AUTH_TOKEN,
  PROP_ALLOWED_ORIGINS,
  PROP_TLS_CERTIFICATE_FILE,
  PROP_TLS_KEY_FILE,
  PROP_MEDIA,
  PROP_DATA_CHANNELS,
  PROP_URL,
  PROP_RETRY_DELAY_MIN,
  PROP_RETRY_DELAY_MAX,
  PROP_RESOURCE_URL,
  PROP_TURN_SECRET,
  PROP_TURN_CREDENTIAL_LIFETIME,
  PROP_JWT_KEY,
  PROP_JWT_ALGORITHM,
  PROP_SERVE_STATS,
  N_PROPS,
};

namespace {

enum Target { SERVER = 1, CLIENT = 2, BOTH = 3 };

/* Where each forwarded property goes, and its name there. */
struct Forward {
  guint prop;
  Target target;
  const char *inner;
};
const Forward FORWARDS[] = {
    {PROP_ADDRESS, SERVER, "address"},
    {PROP_PORT, SERVER, "port"},
    {PROP_STREAM_NAME, SERVER, "stream-name"},
    {PROP_AUTH_TOKEN, BOTH, "auth-token"},
    {PROP_ALLOWED_ORIGINS, SERVER, "allowed-origins"},
    {PROP_TLS_CERTIFICATE_FILE, SERVER, "tls-certificate-file"},
    {PROP_TLS_KEY_FILE, SERVER, "tls-key-file"},
    {PROP_MEDIA, SERVER, "media"},
    {PROP_DATA_CHANNELS, SERVER, "data-channels"},
    {PROP_URL, SERVER, "url"},
    {PROP_RETRY_DELAY_MIN, CLIENT, "retry-delay-min"},
    {PROP_RETRY_DELAY_MAX, CLIENT, "retry-delay-max"},
    {PROP_RESOURCE_URL, CLIENT, "resource-url"},
    {PROP_TURN_SECRET, SERVER, "turn-secret"},
    {PROP_TURN_CREDENTIAL_LIFETIME, SERVER, "turn-credential-lifetime"},
    {PROP_JWT_KEY, SERVER, "jwt-key"},
    {PROP_JWT_ALGORITHM, SERVER, "jwt-algorithm"},
    {PROP_SERVE_STATS, SERVER, "serve-stats"},
};

const Forward *forward_of (guint prop)
{
  for (auto &f : FORWARDS)
    if (f.prop == prop)
      return &f;
  return nullptr;
}

const char *RELAYED[] = {"session-requested", "session-description", "ice-candidate",
                         "session-ended",     "state-changed",       "error"};

} // namespace

struct GstRtcHttpSignallerPrivate {
  std::mutex lock; /* guards the members below */
  GstRtcHttpProtocol protocol = GST_RTC_HTTP_PROTOCOL_WHEP;
  std::string whip_url, whep_url;
  GstRtcSignaller *server = nullptr; /* owned */
  GstRtcSignaller *client = nullptr; /* owned */
  GstRtcSignaller *active = nullptr; /* server or client while started */
  std::vector<gulong> relays;
};

struct _GstRtcHttpSignaller {
  GstObject parent;
  GstRtcHttpSignallerPrivate *priv;
};

static void gst_rtc_http_signaller_iface_init (GstRtcSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcHttpSignaller, gst_rtc_http_signaller, GST_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER,
                                                gst_rtc_http_signaller_iface_init));

namespace {

using Self = GstRtcHttpSignaller;

/* The client URL that fits the protocol: we send (WHEP server) -> whip-url. */
std::string client_url (GstRtcHttpSignallerPrivate *priv)
{
  return priv->protocol == GST_RTC_HTTP_PROTOCOL_WHEP ? priv->whip_url : priv->whep_url;
}

/* The one that does not fit: whep-url on a sender, whip-url on a receiver. */
std::string misplaced_url (GstRtcHttpSignallerPrivate *priv)
{
  return priv->protocol == GST_RTC_HTTP_PROTOCOL_WHEP ? priv->whep_url : priv->whip_url;
}

GstRtcSignaller *ref_active (Self *self)
{
  std::lock_guard<std::mutex> g (self->priv->lock);
  return self->priv->active ? GST_RTC_SIGNALLER (gst_object_ref (self->priv->active)) : nullptr;
}

/* Re-emits the inner signaller's signals as ours (same thread). */
void relay (GSignalInvocationHint *hint, guint n_values, const GValue *values, Self *self)
{
  GValue args[4] = {G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT};
  g_value_init (&args[0], G_TYPE_FROM_INSTANCE (self));
  g_value_set_object (&args[0], self);
  for (guint i = 1; i < n_values && i < 4; i++) {
    g_value_init (&args[i], G_VALUE_TYPE (&values[i]));
    g_value_copy (&values[i], &args[i]);
  }
  g_signal_emitv (args, hint->signal_id, 0, nullptr);
  for (guint i = 0; i < n_values && i < 4; i++)
    g_value_unset (&args[i]);
}

GClosure *relay_closure (Self *self)
{
  GClosure *c = g_closure_new_object (sizeof (GClosure), G_OBJECT (self));
  g_closure_set_marshal (
      c, [] (GClosure *closure, GValue *, guint n, const GValue *values, gpointer hint, gpointer) {
        relay (static_cast<GSignalInvocationHint *> (hint), n, values,
               static_cast<Self *> (closure->data));
      });
  return c;
}

} // namespace

static gboolean http_start (GstRtcSignaller *signaller, GError **error)
{
  auto self = GST_RTC_HTTP_SIGNALLER (signaller);
  auto priv = self->priv;
  GstRtcSignaller *active;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    if (priv->active)
      return TRUE;
    if (client_url (priv).empty () && !misplaced_url (priv).empty ()) {
      bool sends = priv->protocol == GST_RTC_HTTP_PROTOCOL_WHEP;
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                   "%s is for an element that %s; this one %s: set %s instead",
                   sends ? "whep-url" : "whip-url", sends ? "receives" : "sends",
                   sends ? "sends (publishes to a WHIP server)"
                         : "receives (plays from a WHEP "
                           "server)",
                   sends ? "whip-url" : "whep-url");
      return FALSE;
    }
    bool client = !client_url (priv).empty ();
    active = client ? priv->client : priv->server;
    if (client)
      g_object_set (priv->client, "url", client_url (priv).c_str (), nullptr);
    priv->active = active;
    rtc::set_stats_owner (G_OBJECT (active), rtc::ref_stats_owner (G_OBJECT (self)).get ());
    for (const char *name : RELAYED)
      priv->relays.push_back (g_signal_connect_closure (active, name, relay_closure (self), FALSE));
  }
  GST_INFO_OBJECT (self, "as %s", G_OBJECT_TYPE_NAME (active));
  if (gst_rtc_signaller_start (active, error))
    return TRUE;
  std::lock_guard<std::mutex> g (priv->lock);
  for (gulong id : priv->relays)
    g_signal_handler_disconnect (priv->active, id);
  priv->relays.clear ();
  priv->active = nullptr;
  return FALSE;
}

static void http_stop (GstRtcSignaller *signaller)
{
  auto self = GST_RTC_HTTP_SIGNALLER (signaller);
  auto priv = self->priv;
  GstRtcSignaller *active = ref_active (self);
  if (!active)
    return;
  gst_rtc_signaller_stop (active);
  {
    std::lock_guard<std::mutex> g (priv->lock);
    for (gulong id : priv->relays)
      g_signal_handler_disconnect (active, id);
    priv->relays.clear ();
    priv->active = nullptr;
  }
  gst_object_unref (active);
}

static GstRtcSignallerRole http_get_role (GstRtcSignaller *signaller)
{
  auto priv = GST_RTC_HTTP_SIGNALLER (signaller)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  return client_url (priv).empty () ? GST_RTC_SIGNALLER_ROLE_ANSWERER
                                    : GST_RTC_SIGNALLER_ROLE_OFFERER;
}

static void http_send_description (GstRtcSignaller *signaller, const gchar *session_id,
                                   GstWebRTCSessionDescription *description)
{
  if (GstRtcSignaller *a = ref_active (GST_RTC_HTTP_SIGNALLER (signaller))) {
    gst_rtc_signaller_send_description (a, session_id, description);
    gst_object_unref (a);
  }
}

static void http_send_ice_candidate (GstRtcSignaller *signaller, const gchar *session_id,
                                     guint mline, const gchar *candidate)
{
  if (GstRtcSignaller *a = ref_active (GST_RTC_HTTP_SIGNALLER (signaller))) {
    gst_rtc_signaller_send_ice_candidate (a, session_id, mline, candidate);
    gst_object_unref (a);
  }
}

static void http_reject_session (GstRtcSignaller *signaller, const gchar *session_id,
                                 const GError *error)
{
  if (GstRtcSignaller *a = ref_active (GST_RTC_HTTP_SIGNALLER (signaller))) {
    gst_rtc_signaller_reject_session (a, session_id, error);
    gst_object_unref (a);
  }
}

static void http_end_session (GstRtcSignaller *signaller, const gchar *session_id)
{
  if (GstRtcSignaller *a = ref_active (GST_RTC_HTTP_SIGNALLER (signaller))) {
    gst_rtc_signaller_end_session (a, session_id);
    gst_object_unref (a);
  }
}

static void gst_rtc_http_signaller_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = http_start;
  iface->stop = http_stop;
  iface->get_role = http_get_role;
  iface->send_description = http_send_description;
  iface->send_ice_candidate = http_send_ice_candidate;
  iface->reject_session = http_reject_session;
  iface->end_session = http_end_session;
  iface->session_permits = [] (GstRtcSignaller *s, const gchar *id, const gchar *permission) {
    GstRtcSignaller *a = ref_active (GST_RTC_HTTP_SIGNALLER (s));
    gboolean permits = a ? gst_rtc_signaller_session_permits (a, id, permission) : FALSE;
    if (a)
      gst_object_unref (a);
    return permits;
  };
}

static void gst_rtc_http_signaller_set_property (GObject *object, guint prop_id,
                                                 const GValue *value, GParamSpec *pspec)
{
  auto priv = GST_RTC_HTTP_SIGNALLER (object)->priv;
  if (const Forward *f = forward_of (prop_id)) {
    if (f->target & SERVER)
      g_object_set_property (G_OBJECT (priv->server), f->inner, value);
    if (f->target & CLIENT)
      g_object_set_property (G_OBJECT (priv->client), f->inner, value);
    return;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  const gchar *s;
  switch (prop_id) {
  case PROP_PROTOCOL:
    priv->protocol = (GstRtcHttpProtocol)g_value_get_enum (value);
    g_object_set (priv->server, "protocol", priv->protocol, nullptr);
    g_object_set (priv->client, "protocol",
                  priv->protocol == GST_RTC_HTTP_PROTOCOL_WHEP ? GST_RTC_HTTP_PROTOCOL_WHIP
                                                               : GST_RTC_HTTP_PROTOCOL_WHEP,
                  nullptr);
    break;
  case PROP_WHIP_URL:
    s = g_value_get_string (value);
    priv->whip_url = s ? s : "";
    break;
  case PROP_WHEP_URL:
    s = g_value_get_string (value);
    priv->whep_url = s ? s : "";
    break;
  case PROP_ICE_SERVERS:
    g_object_set_property (G_OBJECT (priv->server), "ice-servers", value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_http_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                                 GParamSpec *pspec)
{
  auto priv = GST_RTC_HTTP_SIGNALLER (object)->priv;
  if (const Forward *f = forward_of (prop_id)) {
    g_object_get_property (G_OBJECT (f->target & SERVER ? priv->server : priv->client), f->inner,
                           value);
    return;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  auto or_null = [] (const std::string &s) {
    return s.empty () ? nullptr : s.c_str ();
  };
  switch (prop_id) {
  case PROP_PROTOCOL:
    g_value_set_enum (value, priv->protocol);
    break;
  case PROP_WHIP_URL:
    g_value_set_string (value, or_null (priv->whip_url));
    break;
  case PROP_WHEP_URL:
    g_value_set_string (value, or_null (priv->whep_url));
    break;
  case PROP_ICE_SERVERS: {
    /* As a client: what the server announced (its Link headers). */
    bool client = !client_url (priv).empty ();
    g_object_get_property (G_OBJECT (client ? priv->client : priv->server), "ice-servers", value);
    break;
  }
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_http_signaller_finalize (GObject *object)
{
  auto self = GST_RTC_HTTP_SIGNALLER (object);
  http_stop (GST_RTC_SIGNALLER (self));
  gst_object_unref (self->priv->server);
  gst_object_unref (self->priv->client);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_http_signaller_parent_class)->finalize (object);
}

/* The inner property's spec under the same name, for the forwarded ones:
 * same type, range, default and blurb. */
static GParamSpec *forwarded_spec (GType inner, const char *name, GParamFlags flags)
{
  GObjectClass *klass = G_OBJECT_CLASS (g_type_class_ref (inner));
  GParamSpec *p = g_object_class_find_property (klass, name);
  GParamSpec *copy = nullptr;
  GParamFlags f = GParamFlags (flags | (p->flags & (G_PARAM_READABLE | G_PARAM_WRITABLE)));
  const char *nick = g_param_spec_get_nick (p), *blurb = g_param_spec_get_blurb (p);
  if (G_IS_PARAM_SPEC_STRING (p))
    copy = g_param_spec_string (name, nick, blurb, G_PARAM_SPEC_STRING (p)->default_value, f);
  else if (G_IS_PARAM_SPEC_UINT (p))
    copy =
        g_param_spec_uint (name, nick, blurb, G_PARAM_SPEC_UINT (p)->minimum,
                           G_PARAM_SPEC_UINT (p)->maximum, G_PARAM_SPEC_UINT (p)->default_value, f);
  else if (G_IS_PARAM_SPEC_BOOLEAN (p))
    copy = g_param_spec_boolean (name, nick, blurb, G_PARAM_SPEC_BOOLEAN (p)->default_value, f);
  g_type_class_unref (klass);
  g_assert (copy);
  return copy;
}

static void gst_rtc_http_signaller_class_init (GstRtcHttpSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gst_rtc_http_signaller_set_property;
  gobject_class->get_property = gst_rtc_http_signaller_get_property;
  gobject_class->finalize = gst_rtc_http_signaller_finalize;
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_PROTOCOL,
      g_param_spec_enum ("protocol", "Protocol",
                         "The server's protocol: WHEP (the element sends; its client is WHIP) or "
                         "WHIP (the element receives; its client is WHEP)",
                         GST_TYPE_RTC_HTTP_PROTOCOL, GST_RTC_HTTP_PROTOCOL_WHEP,
                         GParamFlags (rw | G_PARAM_CONSTRUCT_ONLY)));
  g_object_class_install_property (
      gobject_class, PROP_WHIP_URL,
      g_param_spec_string ("whip-url", "WHIP URL",
                           "Publish to this WHIP endpoint instead of serving WHEP (an element that "
                           "sends; NULL = serve)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_WHEP_URL,
      g_param_spec_string ("whep-url", "WHEP URL",
                           "Play from this WHEP endpoint instead of serving WHIP (an element that "
                           "receives; NULL = serve)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_ICE_SERVERS,
      g_param_spec_string ("ice-servers", "ICE servers",
                           "Server: the stun:// and turn:// URLs announced to peers (Link "
                           "headers). Client: read, the ones the server announced",
                           nullptr, rw));
  auto fwd = [&] (guint id, GType inner, const char *name) {
    g_object_class_install_property (
        gobject_class, id, forwarded_spec (inner, name, GParamFlags (G_PARAM_STATIC_STRINGS)));
  };
  GType server = GST_TYPE_RTC_HTTP_SERVER_SIGNALLER, client = GST_TYPE_RTC_HTTP_CLIENT_SIGNALLER;
  fwd (PROP_ADDRESS, server, "address");
  fwd (PROP_PORT, server, "port");
  fwd (PROP_STREAM_NAME, server, "stream-name");
  fwd (PROP_AUTH_TOKEN, server, "auth-token");
  fwd (PROP_ALLOWED_ORIGINS, server, "allowed-origins");
  fwd (PROP_TLS_CERTIFICATE_FILE, server, "tls-certificate-file");
  fwd (PROP_TLS_KEY_FILE, server, "tls-key-file");
  fwd (PROP_MEDIA, server, "media");
  fwd (PROP_DATA_CHANNELS, server, "data-channels");
  fwd (PROP_URL, server, "url");
  fwd (PROP_RETRY_DELAY_MIN, client, "retry-delay-min");
  fwd (PROP_RETRY_DELAY_MAX, client, "retry-delay-max");
  fwd (PROP_RESOURCE_URL, client, "resource-url");
  fwd (PROP_TURN_SECRET, server, "turn-secret");
  fwd (PROP_TURN_CREDENTIAL_LIFETIME, server, "turn-credential-lifetime");
  fwd (PROP_JWT_KEY, server, "jwt-key");
  fwd (PROP_JWT_ALGORITHM, server, "jwt-algorithm");
  fwd (PROP_SERVE_STATS, server, "serve-stats");
  rtc::install_authorize_signal (G_TYPE_FROM_CLASS (klass));
  GST_DEBUG_CATEGORY_INIT (gst_rtc_http_signaller_debug, "rtchttpsignaller", 0,
                           "WHEP/WHIP signaller: server or client");
}

static void gst_rtc_http_signaller_init (GstRtcHttpSignaller *self)
{
  self->priv = new GstRtcHttpSignallerPrivate ();
  self->priv->server = GST_RTC_SIGNALLER (
      gst_object_ref_sink (g_object_new (GST_TYPE_RTC_HTTP_SERVER_SIGNALLER, nullptr)));
  self->priv->client = GST_RTC_SIGNALLER (
      gst_object_ref_sink (g_object_new (GST_TYPE_RTC_HTTP_CLIENT_SIGNALLER, nullptr)));
  /* The server's "authorize" asks the application through ours. */
  rtc::relay_authorize (G_OBJECT (self->priv->server), G_OBJECT (self));
}

GstRtcSignaller *gst_rtc_http_signaller_new (GstRtcHttpProtocol protocol)
{
  return GST_RTC_SIGNALLER (gst_object_ref_sink (
      g_object_new (GST_TYPE_RTC_HTTP_SIGNALLER, "protocol", protocol, nullptr)));
}

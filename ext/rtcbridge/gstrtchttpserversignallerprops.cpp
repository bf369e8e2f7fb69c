/* See gstrtchttpserversignallerprops.h. */
#include "gstrtchttpserversignallerprops.h"

#include "gstrtchttpserversignaller.h"
#include "rtcjwt.h"
#include "rtcturn.h"

GType gst_rtc_http_protocol_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
      {GST_RTC_HTTP_PROTOCOL_WHEP, "WHEP: peers receive the stream", "whep"},
      {GST_RTC_HTTP_PROTOCOL_WHIP, "WHIP: peers publish into the pipeline", "whip"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstRtcHttpProtocol", values));
  return (GType)id;
}

void gst_rtc_http_server_signaller_install_properties (GObjectClass *gobject_class)
{
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
                                   g_param_spec_string ("address", "Address",
                                                        "IP address the embedded server binds to",
                                                        DEFAULT_ADDRESS, rw));
  g_object_class_install_property (
      gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port",
                         "TCP port of the embedded server (0 = pick a free port; reads back the "
                         "bound port once started)",
                         0, 65535, DEFAULT_PORT, rw));
  g_object_class_install_property (gobject_class, PROP_STREAM_NAME,
                                   g_param_spec_string ("stream-name", "Stream name",
                                                        "Name in /whep/<name> (or /whip/<name>) "
                                                        "and in the page URL",
                                                        DEFAULT_STREAM_NAME, rw));
  g_object_class_install_property (
      gobject_class, PROP_AUTH_TOKEN,
      g_param_spec_string ("auth-token", "Auth token",
                           "Bearer token viewers must send (NULL = no check)", nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_ALLOWED_ORIGINS,
      g_param_spec_string ("allowed-origins", "Allowed origins",
                           "Comma-separated browser origins allowed to use the endpoint, or *; "
                           "empty: only the server's own pages (same origin)",
                           DEFAULT_ALLOWED_ORIGINS, rw));
  g_object_class_install_property (
      gobject_class, PROP_MEDIA,
      g_param_spec_string ("media", "Media",
                           "Comma-separated media kinds of the stream, listed in /streams.json", "",
                           rw));
  g_object_class_install_property (
      gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL",
                           "The page URL once started (viewer page for WHEP, publish page for "
                           "WHIP)",
                           nullptr, GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_TLS_CERTIFICATE_FILE,
      g_param_spec_string ("tls-certificate-file", "TLS certificate file",
                           "PEM certificate (chain) for HTTPS; NULL = plain HTTP", nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS key file",
                           "PEM private key for HTTPS (NULL = in the certificate file)", nullptr,
                           rw));
  g_object_class_install_property (
      gobject_class, PROP_PROTOCOL,
      g_param_spec_enum ("protocol", "Protocol",
                         "WHEP (peers receive) or WHIP (peers publish); sets the URL prefix",
                         GST_TYPE_RTC_HTTP_PROTOCOL, GST_RTC_HTTP_PROTOCOL_WHEP, rw));
  g_object_class_install_property (
      gobject_class, PROP_ICE_SERVERS,
      g_param_spec_string ("ice-servers", "ICE servers",
                           "Comma-separated stun://host:port and turn(s)://user:pass@host:port "
                           "URLs announced to peers in Link headers",
                           "", rw));
  g_object_class_install_property (
      gobject_class, PROP_DATA_CHANNELS,
      g_param_spec_string ("data-channels", "Data channels",
                           "JSON array of the stream's data channels (label and "
                           "RTCDataChannelInit options), listed in /streams.json for the pages",
                           "[]", rw));
  rtc::install_turn_secret_properties (gobject_class, PROP_TURN_SECRET,
                                       PROP_TURN_CREDENTIAL_LIFETIME);
  rtc::install_jwt_properties (gobject_class, PROP_JWT_KEY, PROP_JWT_ALGORITHM);
  g_object_class_install_property (
      gobject_class, PROP_SERVE_STATS,
      g_param_spec_boolean ("serve-stats", "Serve stats",
                            "List the stream's stats in the server's /stats.json and /metrics, "
                            "to requests the stream itself would take (same token, JWT, "
                            "authorize); off loopback only with auth-token or jwt-key set",
                            DEFAULT_SERVE_STATS, rw));
}

void gst_rtc_http_server_settings_set (GstRtcHttpServerSettings &settings, GObject *object,
                                       guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto priv = &settings;
  std::lock_guard<std::mutex> g (priv->lock);
  const gchar *s = nullptr;
  switch (prop_id) {
  case PROP_ADDRESS:
    s = g_value_get_string (value);
    priv->address = s ? s : DEFAULT_ADDRESS;
    break;
  case PROP_PORT:
    priv->port = g_value_get_uint (value);
    break;
  case PROP_STREAM_NAME:
    s = g_value_get_string (value);
    priv->stream_name = s ? s : DEFAULT_STREAM_NAME;
    break;
  case PROP_AUTH_TOKEN:
    s = g_value_get_string (value);
    priv->auth_token = s ? s : "";
    break;
  case PROP_ALLOWED_ORIGINS:
    s = g_value_get_string (value);
    priv->allowed_origins = s ? s : DEFAULT_ALLOWED_ORIGINS;
    break;
  case PROP_MEDIA:
    s = g_value_get_string (value);
    priv->media = s ? s : "";
    break;
  case PROP_TLS_CERTIFICATE_FILE:
    s = g_value_get_string (value);
    priv->tls.certificate_file = s ? s : "";
    break;
  case PROP_TLS_KEY_FILE:
    s = g_value_get_string (value);
    priv->tls.key_file = s ? s : "";
    break;
  case PROP_PROTOCOL:
    priv->protocol = (GstRtcHttpProtocol)g_value_get_enum (value);
    break;
  case PROP_ICE_SERVERS:
    s = g_value_get_string (value);
    priv->ice_servers = s ? s : "";
    break;
  case PROP_DATA_CHANNELS:
    s = g_value_get_string (value);
    priv->data_channels = s && *s ? s : "[]";
    break;
  case PROP_TURN_SECRET:
    s = g_value_get_string (value);
    priv->turn_secret = s ? s : "";
    break;
  case PROP_TURN_CREDENTIAL_LIFETIME:
    priv->turn_lifetime_s = g_value_get_uint (value);
    break;
  case PROP_JWT_KEY:
    s = g_value_get_string (value);
    priv->jwt_key = s ? s : "";
    break;
  case PROP_SERVE_STATS:
    priv->serve_stats = g_value_get_boolean (value);
    break;
  case PROP_JWT_ALGORITHM:
    s = g_value_get_string (value);
    if (s && !rtc::jwt_algorithm_supported (s))
      g_warning ("jwt-algorithm '%s' is not supported (HS256, ES256); kept %s", s,
                 priv->jwt_algorithm.c_str ());
    else
      priv->jwt_algorithm = s ? s : rtc::DEFAULT_JWT_ALGORITHM;
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

void gst_rtc_http_server_settings_get (GstRtcHttpServerSettings &settings, GObject *object,
                                       guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto priv = &settings;
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_ADDRESS:
    g_value_set_string (value, priv->address.c_str ());
    break;
  case PROP_PORT:
    g_value_set_uint (value, priv->server ? priv->server->port () : priv->port);
    break;
  case PROP_STREAM_NAME:
    g_value_set_string (value, priv->stream_name.c_str ());
    break;
  case PROP_AUTH_TOKEN:
    g_value_set_string (value, priv->auth_token.empty () ? nullptr : priv->auth_token.c_str ());
    break;
  case PROP_ALLOWED_ORIGINS:
    g_value_set_string (value, priv->allowed_origins.c_str ());
    break;
  case PROP_MEDIA:
    g_value_set_string (value, priv->media.c_str ());
    break;
  case PROP_TLS_CERTIFICATE_FILE:
    g_value_set_string (
        value, priv->tls.certificate_file.empty () ? nullptr : priv->tls.certificate_file.c_str ());
    break;
  case PROP_TLS_KEY_FILE:
    g_value_set_string (value, priv->tls.key_file.empty () ? nullptr : priv->tls.key_file.c_str ());
    break;
  case PROP_URL: {
    const char *page = priv->protocol == GST_RTC_HTTP_PROTOCOL_WHIP ? "/publish/" : "/view/";
    g_value_set_string (value, priv->server
                                   ? (priv->server->base_url () + page + priv->stream_name).c_str ()
                                   : nullptr);
    break;
  }
  case PROP_PROTOCOL:
    g_value_set_enum (value, priv->protocol);
    break;
  case PROP_ICE_SERVERS:
    g_value_set_string (value, priv->ice_servers.c_str ());
    break;
  case PROP_DATA_CHANNELS:
    g_value_set_string (value, priv->data_channels.c_str ());
    break;
  case PROP_TURN_CREDENTIAL_LIFETIME:
    g_value_set_uint (value, priv->turn_lifetime_s);
    break;
  case PROP_JWT_ALGORITHM:
    g_value_set_string (value, priv->jwt_algorithm.c_str ());
    break;
  case PROP_SERVE_STATS:
    g_value_set_boolean (value, priv->serve_stats);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

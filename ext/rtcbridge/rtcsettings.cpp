/* See rtcsettings.h. */
#include "rtcsettings.h"
#include "rtcstatshttp.h"

#include "gstrtchttpsignaller.h"
#include "rtchttpaccess.h"

#include <json-glib/json-glib.h>

GST_DEBUG_CATEGORY_STATIC (rtc_settings_debug);
#define GST_CAT_DEFAULT rtc_settings_debug

GType gst_rtc_congestion_control_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
      {GST_RTC_CONGESTION_CONTROL_NONE,
       "None: every viewer gets video-bitrate (webrtcroom: every participant the original)",
       "none"},
      {GST_RTC_CONGESTION_CONTROL_GCC,
       "Google Congestion Control on transport-wide feedback, per viewer or participant", "gcc"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtcCongestionControl", values));
  return (GType)type;
}

namespace rtc {

namespace {

std::string take_string (const GValue *value, const char *fallback)
{
  const gchar *s = g_value_get_string (value);
  return s ? s : fallback;
}

const gchar *or_null (const std::string &s)
{
  return s.empty () ? nullptr : s.c_str ();
}

std::vector<std::string> split (const std::string &text)
{
  std::vector<std::string> out;
  g_auto (GStrv) parts = g_strsplit (text.c_str (), ",", -1);
  for (guint i = 0; parts[i]; i++)
    if (*g_strstrip (parts[i]))
      out.push_back (parts[i]);
  return out;
}

} // namespace

void Settings::install (GObjectClass *klass, const Role &role)
{
  /* Blurbs are built per element: names and nicks are static, blurbs are
   * interned. */
  auto flags = [] (GParamFlags extra) {
    return GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_NAME | G_PARAM_STATIC_NICK | extra);
  };
  auto ready = flags (GParamFlags (GST_PARAM_MUTABLE_READY));
  auto playing = flags (GParamFlags (GST_PARAM_MUTABLE_PLAYING));
  auto blurb = [] (const std::string &s) {
    return g_intern_string (s.c_str ());
  };
  std::string peers = role.peers;
  Settings d;

  g_object_class_install_property (
      klass, ENABLE_SERVER,
      g_param_spec_boolean (
          "enable-server", "Enable server",
          blurb ("Run the embedded HTTP server (" + std::string (role.server_path) +
                 "). Ignored when a custom signaller or " + role.remote_url_property + " is set"),
          d.enable_server, ready));
  g_object_class_install_property (
      klass, ADDRESS,
      g_param_spec_string ("address", "Address",
                           "IP address the embedded server binds to (0.0.0.0 or :: for all "
                           "interfaces). Forwarded to the default signaller",
                           d.address.c_str (), ready));
  g_object_class_install_property (
      klass, PORT,
      g_param_spec_uint ("port", "Port",
                         "TCP port of the embedded server; 0 picks a free port, which this "
                         "property returns once the element is READY. Forwarded to the default "
                         "signaller",
                         0, 65535, d.port, ready));
  g_object_class_install_property (
      klass, STREAM_NAME,
      g_param_spec_string (
          role.name_property, "Name",
          blurb ("Name of the " +
                 std::string (g_str_equal (role.name_property, "room-name") ? "room" : "stream") +
                 ": " + role.server_path + " on the server. Forwarded to the default signaller"),
          role.name_default, ready));
  g_object_class_install_property (klass, REMOTE_URL,
                                   g_param_spec_string (role.remote_url_property,
                                                        role.remote_url_property,
                                                        role.remote_url_blurb, nullptr, ready));
  g_object_class_install_property (
      klass, STUN_SERVER,
      g_param_spec_string (
          "stun-server", "STUN server",
          blurb ("STUN server for the " + peers + "' sessions, stun://host:port (NULL = none)"),
          nullptr, playing));
  g_object_class_install_property (
      klass, TURN_SERVERS,
      g_param_spec_string ("turn-servers", "TURN servers",
                           "Comma-separated TURN servers, turn(s)://user:password@host:port "
                           "(NULL = none)",
                           nullptr, playing));
  install_turn_secret_properties (klass, TURN_SECRET, TURN_CREDENTIAL_LIFETIME);
  g_object_class_install_property (
      klass, CODEC_PREFERENCES,
      g_param_spec_string ("codec-preferences", "Codec preferences",
                           blurb ("Codecs to use with the " + peers +
                                  ", most preferred first (VP8, VP9, H264, OPUS)"),
                           d.codec_preferences.c_str (), ready));
  g_object_class_install_property (
      klass, ICE_GATHERING_TIMEOUT,
      g_param_spec_uint ("ice-gathering-timeout", "ICE gathering timeout",
                         "Longest wait for our ICE candidates before sending our offer or "
                         "answer, ms (host candidates take a few ms; STUN/TURN may take longer)",
                         0, 30000, d.gathering_timeout_ms, playing));
  g_object_class_install_property (
      klass, ICE_TRANSPORT_POLICY,
      g_param_spec_enum ("ice-transport-policy", "ICE transport policy",
                         blurb ("Candidates used with the " + peers +
                                ": all, or relay (only through turn-servers: the " + peers +
                                " never learn this machine's addresses)"),
                         GST_TYPE_WEBRTC_ICE_TRANSPORT_POLICY, d.ice_transport_policy, playing));
  g_object_class_install_property (
      klass, HANDSHAKE_TIMEOUT,
      g_param_spec_uint ("handshake-timeout", "Handshake timeout",
                         "A session that has not connected (ICE and DTLS) this long after its "
                         "offer is ended, ms",
                         1000, 600000, d.handshake_timeout_ms, playing));
  g_object_class_install_property (
      klass, MAX_HANDSHAKES,
      g_param_spec_uint ("max-handshakes", "Max handshakes",
                         blurb ("Sessions with " + peers +
                                " that may be connecting (offered, not yet ICE and DTLS "
                                "connected) at once; a new one beyond it is refused at once "
                                "(WHEP/WHIP: 503 with Retry-After), so that a crowd of "
                                "abandoned offers cannot exhaust the process (0 = no limit)"),
                         0, G_MAXUINT, d.max_handshakes, playing));
  g_object_class_install_property (
      klass, AUTH_TOKEN,
      g_param_spec_string ("auth-token", "Auth token",
                           blurb ("Bearer token: the embedded server requires it from " + peers +
                                  " (NULL = no check); in client mode it is sent to the server. "
                                  "Forwarded to the default signaller"),
                           nullptr, ready));
  install_jwt_properties (klass, JWT_KEY, JWT_ALGORITHM, GParamFlags (GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (
      klass, INSECURE_AUTH,
      g_param_spec_boolean ("insecure-auth", "Insecure auth",
                            "Let auth-token cross a network in clear text: plain HTTP on an "
                            "address that is not loopback (server, or the remote URL in client "
                            "mode). Off: such a configuration does not start; use HTTPS",
                            d.insecure_auth, ready));
  g_object_class_install_property (
      klass, ALLOWED_ORIGINS,
      g_param_spec_string ("allowed-origins", "Allowed origins",
                           "Comma-separated browser origins allowed to use the endpoint, or *; "
                           "empty: only the server's own pages (same origin). Requests without "
                           "an Origin (not from a browser) are not checked. Forwarded to the "
                           "default signaller",
                           "", ready));
  g_object_class_install_property (
      klass, TLS_CERTIFICATE_FILE,
      g_param_spec_string ("tls-certificate-file", "TLS certificate file",
                           "PEM certificate (chain) for the embedded server: HTTPS instead of "
                           "HTTP (NULL = plain HTTP)",
                           nullptr, ready));
  g_object_class_install_property (
      klass, TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS key file",
                           "PEM private key of tls-certificate-file (NULL = in that file)", nullptr,
                           ready));
  g_object_class_install_property (
      klass, DATA_CHANNEL_POLICY,
      g_param_spec_enum ("data-channel-policy", "Data channel policy",
                         blurb ("What to do with data channels the " + peers +
                                " open: accept them (announced by data-channel-opened), reject "
                                "(close) them, or accept only labels the element has (a data pad, "
                                "data-channels, navigation)"),
                         data_policy_get_type (), (gint)d.data_policy, ready));
  g_object_class_install_property (
      klass, DATA_CHANNELS,
      g_param_spec_string ("data-channels", "Data channels",
                           role.data_channels_blurb
                               ? role.data_channels_blurb
                               : blurb ("Comma-separated labels of reliable, ordered data "
                                        "channels opened with every one of the " +
                                        peers +
                                        " (besides the data pads' labels), for send-string/"
                                        "send-data (NULL = none)"),
                           nullptr, ready));
  g_object_class_install_property (
      klass, MAX_DATA_CHANNELS,
      g_param_spec_uint ("max-data-channels", "Max data channels",
                         blurb ("Data channels each one of the " + peers +
                                " may open itself and keep open at once (more are closed at "
                                "once; labels over 256 bytes always are). 0 = no bound"),
                         0, 65535, d.max_data_channels, ready));
  g_object_class_install_property (
      klass, STATS,
      g_param_spec_boxed (
          "stats", "Statistics",
          blurb ("The element and each of its sessions now: state, peer, selected candidate "
                 "pair, codecs, bytes, packets and rates each way, round-trip time, jitter, "
                 "loss, NACK/PLI/FIR counts (docs/stats.md). Reading it asks every session's "
                 "webrtcbin (up to 2 s); not from a webrtcbin's own thread"),
          GST_TYPE_STRUCTURE,
          GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_NAME | G_PARAM_STATIC_NICK)));
  g_object_class_install_property (
      klass, STATS_INTERVAL,
      g_param_spec_uint ("stats-interval", "Stats interval",
                         "Post the stats (as the stats property has them) as an element message "
                         "on the bus every this many milliseconds, named after the element "
                         "(\"webrtcpublish-stats\", ...) (0 = never)",
                         0, 3600000, d.stats_interval_ms, playing));
  g_object_class_install_property (
      klass, PAGE_URL,
      g_param_spec_string (
          "url", "URL",
          blurb ("The " + std::string (role.page) +
                 " URL while the embedded server runs (read from the default "
                 "signaller)"),
          nullptr, GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_NAME | G_PARAM_STATIC_NICK)));
  g_object_class_install_property (
      klass, SIGNALLER_TYPE,
      g_param_spec_string (
          "signaller-type", "Signaller type",
          "Use a new signaller of this GstRtcSignaller type instead of the default "
          "(GstRtcJanusSignaller, GstRtcLoopbackSignaller, an application's), so that "
          "gst-launch-1.0 can choose one; set it before the signaller::... properties "
          "(NULL = the default WHEP/WHIP signaller)",
          nullptr, flags (GParamFlags (G_PARAM_STATIC_BLURB))));
}

bool Settings::set (guint prop_id, const GValue *value)
{
  switch (prop_id) {
  case ENABLE_SERVER:
    enable_server = g_value_get_boolean (value);
    break;
  case ADDRESS:
    address = take_string (value, "127.0.0.1");
    break;
  case PORT:
    port = g_value_get_uint (value);
    break;
  case STREAM_NAME:
    stream_name = take_string (value, "live");
    break;
  case REMOTE_URL:
    remote_url = take_string (value, "");
    break;
  case STUN_SERVER:
    stun_server = take_string (value, "");
    break;
  case TURN_SERVERS:
    turn_servers = take_string (value, "");
    break;
  case CODEC_PREFERENCES:
    codec_preferences = take_string (value, DEFAULT_CODEC_PREFERENCES);
    break;
  case ICE_GATHERING_TIMEOUT:
    gathering_timeout_ms = g_value_get_uint (value);
    break;
  case ICE_TRANSPORT_POLICY:
    ice_transport_policy = (GstWebRTCICETransportPolicy)g_value_get_enum (value);
    break;
  case HANDSHAKE_TIMEOUT:
    handshake_timeout_ms = g_value_get_uint (value);
    break;
  case MAX_HANDSHAKES:
    max_handshakes = g_value_get_uint (value);
    break;
  case AUTH_TOKEN:
    auth_token = take_string (value, "");
    break;
  case INSECURE_AUTH:
    insecure_auth = g_value_get_boolean (value);
    break;
  case JWT_KEY:
    jwt_key = take_string (value, "");
    break;
  case JWT_ALGORITHM:
    jwt_algorithm = take_string (value, DEFAULT_JWT_ALGORITHM);
    break;
  case ALLOWED_ORIGINS:
    allowed_origins = take_string (value, "");
    break;
  case TLS_CERTIFICATE_FILE:
    tls_certificate_file = take_string (value, "");
    break;
  case TLS_KEY_FILE:
    tls_key_file = take_string (value, "");
    break;
  case DATA_CHANNEL_POLICY:
    data_policy = (DataPolicy)g_value_get_enum (value);
    break;
  case DATA_CHANNELS:
    data_channels = take_string (value, "");
    break;
  case MAX_DATA_CHANNELS:
    max_data_channels = g_value_get_uint (value);
    break;
  case STATS_INTERVAL:
    stats_interval_ms = g_value_get_uint (value);
    break;
  case TURN_SECRET:
    turn_secret = take_string (value, "");
    break;
  case TURN_CREDENTIAL_LIFETIME:
    turn_lifetime_s = g_value_get_uint (value);
    break;
  case SIGNALLER_TYPE:
    signaller_type = take_string (value, "");
    break;
  default:
    return false;
  }
  return true;
}

bool Settings::get (guint prop_id, GValue *value) const
{
  switch (prop_id) {
  case ENABLE_SERVER:
    g_value_set_boolean (value, enable_server);
    break;
  case ADDRESS:
    g_value_set_string (value, address.c_str ());
    break;
  case PORT:
    g_value_set_uint (value, port);
    break;
  case STREAM_NAME:
    g_value_set_string (value, stream_name.c_str ());
    break;
  case REMOTE_URL:
    g_value_set_string (value, or_null (remote_url));
    break;
  case STUN_SERVER:
    g_value_set_string (value, or_null (stun_server));
    break;
  case TURN_SERVERS:
    g_value_set_string (value, or_null (turn_servers));
    break;
  case CODEC_PREFERENCES:
    g_value_set_string (value, codec_preferences.c_str ());
    break;
  case ICE_GATHERING_TIMEOUT:
    g_value_set_uint (value, gathering_timeout_ms);
    break;
  case ICE_TRANSPORT_POLICY:
    g_value_set_enum (value, ice_transport_policy);
    break;
  case HANDSHAKE_TIMEOUT:
    g_value_set_uint (value, handshake_timeout_ms);
    break;
  case MAX_HANDSHAKES:
    g_value_set_uint (value, max_handshakes);
    break;
  case AUTH_TOKEN:
    g_value_set_string (value, or_null (auth_token));
    break;
  case INSECURE_AUTH:
    g_value_set_boolean (value, insecure_auth);
    break;
  case JWT_KEY: /* write-only; for forwarding to the signaller */
    g_value_set_string (value, or_null (jwt_key));
    break;
  case JWT_ALGORITHM:
    g_value_set_string (value, jwt_algorithm.c_str ());
    break;
  case ALLOWED_ORIGINS:
    g_value_set_string (value, allowed_origins.c_str ());
    break;
  case TLS_CERTIFICATE_FILE:
    g_value_set_string (value, or_null (tls_certificate_file));
    break;
  case TLS_KEY_FILE:
    g_value_set_string (value, or_null (tls_key_file));
    break;
  case DATA_CHANNEL_POLICY:
    g_value_set_enum (value, (gint)data_policy);
    break;
  case DATA_CHANNELS:
    g_value_set_string (value, or_null (data_channels));
    break;
  case MAX_DATA_CHANNELS:
    g_value_set_uint (value, max_data_channels);
    break;
  case TURN_SECRET: /* write-only; for forwarding to the signaller */
    g_value_set_string (value, or_null (turn_secret));
    break;
  case TURN_CREDENTIAL_LIFETIME:
    g_value_set_uint (value, turn_lifetime_s);
    break;
  case STATS_INTERVAL:
    g_value_set_uint (value, stats_interval_ms);
    break;
  case PAGE_URL:
    g_value_set_string (value, nullptr); /* only the running default signaller knows */
    break;
  case SIGNALLER_TYPE:
    g_value_set_string (value, or_null (signaller_type));
    break;
  default:
    return false;
  }
  return true;
}

std::vector<std::string> Settings::turn_list (const std::string &label) const
{
  return split (turn_rest_fill (turn_servers, turn_secret, turn_lifetime_s, label));
}

std::string Settings::ice_servers () const
{
  std::string out = stun_server;
  for (auto &t : split (turn_servers))
    out += (out.empty () ? "" : ",") + t;
  return out;
}

void Settings::fill (PeerSession::Config &config) const
{
  config.stun_server = stun_server;
  config.turn_servers = turn_list (stream_name);
  config.relay_only = ice_transport_policy == GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY;
  config.gather_timeout = gathering_timeout_ms * GST_MSECOND;
}

std::string data_channels_json (const std::vector<DataChannelOptions> &channels)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (auto &c : channels) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "label");
    json_builder_add_string_value (b, c.label.c_str ());
    json_builder_set_member_name (b, "ordered");
    json_builder_add_boolean_value (b, c.ordered);
    json_builder_set_member_name (b, "protocol");
    json_builder_add_string_value (b, c.protocol.c_str ());
    if (c.max_retransmits >= 0) {
      json_builder_set_member_name (b, "maxRetransmits");
      json_builder_add_int_value (b, c.max_retransmits);
    } else if (c.max_packet_lifetime >= 0) {
      json_builder_set_member_name (b, "maxPacketLifeTime");
      json_builder_add_int_value (b, c.max_packet_lifetime);
    }
    if (c.negotiated_id >= 0) {
      json_builder_set_member_name (b, "negotiated");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, c.negotiated_id);
    }
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *text = json_to_string (root, FALSE);
  return text;
}

/* ---- SignallerHost ---------------------------------------------------- */

SignallerHost::SignallerHost (const Role &role) : role_ (role)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_settings_debug, "rtcsignallerhost", 0,
                             "Elements' signaller set-up");
    g_once_init_leave (&once, 1);
  }
  signaller_ = make_default ();
}

SignallerHost::~SignallerHost ()
{
  if (signaller_)
    gst_object_unref (signaller_);
}

GstRtcSignaller *SignallerHost::ref ()
{
  std::lock_guard<std::mutex> g (lock_);
  return GST_RTC_SIGNALLER (gst_object_ref (signaller_));
}

bool SignallerHost::is_default ()
{
  std::lock_guard<std::mutex> g (lock_);
  return is_default_;
}

GstRtcSignaller *SignallerHost::make_default () const
{
  return role_.make_default ? role_.make_default () : gst_rtc_http_signaller_new (role_.protocol);
}

/* The default signaller's property for element property @prop_id, or
 * nullptr when it is the element's own. */
const char *SignallerHost::signaller_property (guint prop_id) const
{
  switch (prop_id) {
  case Settings::ADDRESS:
    return "address";
  case Settings::PORT:
    return "port";
  case Settings::STREAM_NAME:
    return role_.name_property;
  case Settings::REMOTE_URL:
    if (role_.remote_property)
      return role_.remote_property;
    return role_.protocol == GST_RTC_HTTP_PROTOCOL_WHEP ? "whip-url" : "whep-url";
  case Settings::AUTH_TOKEN:
    return "auth-token";
  case Settings::ALLOWED_ORIGINS:
    return "allowed-origins";
  case Settings::TLS_CERTIFICATE_FILE:
    return "tls-certificate-file";
  case Settings::TLS_KEY_FILE:
    return "tls-key-file";
  case Settings::STUN_SERVER:
  case Settings::TURN_SERVERS:
    return "ice-servers";
  case Settings::PAGE_URL:
    return "url";
  case Settings::TURN_SECRET:
    return "turn-secret";
  case Settings::JWT_KEY:
    return "jwt-key";
  case Settings::JWT_ALGORITHM:
    return "jwt-algorithm";
  case Settings::TURN_CREDENTIAL_LIFETIME:
    return "turn-credential-lifetime";
  default:
    return nullptr;
  }
}

void SignallerHost::set_forwarded (GstRtcSignaller *signaller, guint prop_id,
                                   const Settings &settings)
{
  const char *name = signaller_property (prop_id);
  if (!name || prop_id == Settings::PAGE_URL ||
      !g_object_class_find_property (G_OBJECT_GET_CLASS (signaller), name))
    return;
  GValue v = G_VALUE_INIT;
  if (prop_id == Settings::STUN_SERVER || prop_id == Settings::TURN_SERVERS) {
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, settings.ice_servers ().c_str ());
  } else {
    g_value_init (&v, prop_id == Settings::PORT || prop_id == Settings::TURN_CREDENTIAL_LIFETIME
                          ? G_TYPE_UINT
                          : G_TYPE_STRING);
    settings.get (prop_id, &v);
  }
  g_object_set_property (G_OBJECT (signaller), name, &v);
  g_value_unset (&v);
}

void SignallerHost::set (GstRtcSignaller *custom, const Settings &settings)
{
  GstRtcSignaller *next = custom ? GST_RTC_SIGNALLER (g_object_ref_sink (custom)) : make_default ();
  if (!custom)
    for (guint p = Settings::ENABLE_SERVER; p < Settings::N_PROPS; p++)
      set_forwarded (next, p, settings);
  GstRtcSignaller *old;
  {
    std::lock_guard<std::mutex> g (lock_);
    old = signaller_;
    signaller_ = next;
    is_default_ = custom == nullptr;
  }
  gst_object_unref (old);
}

void SignallerHost::forward (guint prop_id, const Settings &settings)
{
  if (!is_default ())
    return;
  GstRtcSignaller *s = ref ();
  set_forwarded (s, prop_id, settings);
  gst_object_unref (s);
}

bool SignallerHost::read (guint prop_id, GValue *value)
{
  const char *name = signaller_property (prop_id);
  if (!name || prop_id == Settings::STUN_SERVER || prop_id == Settings::TURN_SERVERS ||
      prop_id == Settings::TURN_SECRET || prop_id == Settings::JWT_KEY || !is_default ())
    return false;
  GstRtcSignaller *s = ref ();
  bool has = g_object_class_find_property (G_OBJECT_GET_CLASS (s), name) != nullptr;
  if (has)
    g_object_get_property (G_OBJECT (s), name, value);
  gst_object_unref (s);
  return has;
}

void SignallerHost::describe (const std::string &media, const std::string &data_channels)
{
  GstRtcSignaller *s = ref ();
  GObjectClass *klass = G_OBJECT_GET_CLASS (s);
  if (g_object_class_find_property (klass, "media"))
    g_object_set (s, "media", media.c_str (), nullptr);
  if (g_object_class_find_property (klass, "data-channels"))
    g_object_set (s, "data-channels", data_channels.c_str (), nullptr);
  gst_object_unref (s);
}

/* Where a bearer token (auth-token; a JWT the server verifies with
 * jwt-key) would cross a network in clear text: "" when it does not (no
 * token, HTTPS, loopback, insecure-auth, another signaller). */
static std::string clear_text_token (const Settings &settings, bool serves)
{
  if (settings.insecure_auth || (settings.auth_token.empty () && settings.jwt_key.empty ()))
    return "";
  if (serves && settings.enable_server && settings.tls_certificate_file.empty () &&
      !http_is_loopback (settings.address))
    return "the server on " + settings.address + " is plain HTTP";
  if (!settings.remote_url.empty () && !settings.auth_token.empty () &&
      (g_ascii_strncasecmp (settings.remote_url.c_str (), "http:", 5) == 0 ||
       g_ascii_strncasecmp (settings.remote_url.c_str (), "ws:", 3) == 0)) {
    GUri *uri = g_uri_parse (settings.remote_url.c_str (), G_URI_FLAGS_NONE, nullptr);
    bool loopback = uri && g_uri_get_host (uri) && http_is_loopback (g_uri_get_host (uri));
    if (uri)
      g_uri_unref (uri);
    if (!loopback)
      return settings.remote_url + " is not encrypted";
  }
  return "";
}

bool SignallerHost::start (GstElement *element, const Settings &settings, ControlThread *thread,
                           Sessions &sessions)
{
  GstRtcSignaller *s = ref ();
  bool is_default_signaller = is_default ();
  GstRtcSignallerRole role = gst_rtc_signaller_get_role (s);
  /* What its server's /stats.json and /metrics read (rtcstatshttp.h). */
  set_stats_owner (G_OBJECT (s), element);
  bool serves = is_default_signaller && settings.remote_url.empty ();
  std::string clear = is_default_signaller ? clear_text_token (settings, serves) : "";
  if (!clear.empty ()) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
                       ("A bearer token (auth-token, or a JWT for jwt-key) would cross the "
                        "network in clear text: %s. Use HTTPS "
                        "(tls-certificate-file, or an https:// URL), or set insecure-auth=true "
                        "to accept that",
                        clear.c_str ()),
                       (nullptr));
    gst_object_unref (s);
    return false;
  }
  if (serves && !settings.enable_server && role == GST_RTC_SIGNALLER_ROLE_ANSWERER) {
    gst_object_unref (s);
    return true; /* no server, no client: the application drives sessions */
  }
  sessions.bind (s);
  link_ = std::make_unique<SignallerLink> ();
  link_->connect (s, thread, &sessions);
  GError *gerr = nullptr;
  if (!gst_rtc_signaller_start (s, &gerr)) {
    if (serves)
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ_WRITE,
                         ("Could not start the WebRTC server: %s", gerr ? gerr->message : "?"),
                         ("address %s, port %u, %s %s", settings.address.c_str (), settings.port,
                          role_.name_property, settings.stream_name.c_str ()));
    else if (is_default_signaller)
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS, ("%s", gerr ? gerr->message : "?"),
                         ("%s", G_OBJECT_TYPE_NAME (s)));
    else
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
                         ("Could not start the signaller: %s", gerr ? gerr->message : "?"),
                         ("%s", G_OBJECT_TYPE_NAME (s)));
    g_clear_error (&gerr);
    link_.reset ();
    sessions.unbind ();
    gst_object_unref (s);
    return false;
  }
  started_ = true;
  /* The embedded server's address (not in client mode: no server). */
  if (is_default_signaller && settings.remote_url.empty () &&
      g_object_class_find_property (G_OBJECT_GET_CLASS (s), "port") &&
      g_object_class_find_property (G_OBJECT_GET_CLASS (s), "url")) {
    guint bound = 0;
    gchar *url = nullptr;
    g_object_get (s, "port", &bound, "url", &url, nullptr);
    GST_INFO_OBJECT (element, "%s: %s", role_.page, url);
    std::string name = std::string (role_.element) + "-listening";
    gst_element_post_message (
        element,
        gst_message_new_element (GST_OBJECT (element),
                                 gst_structure_new (name.c_str (), "address", G_TYPE_STRING,
                                                    settings.address.c_str (), "port", G_TYPE_UINT,
                                                    bound, "url", G_TYPE_STRING, url, nullptr)));
    g_free (url);
  }
  gst_object_unref (s);
  return true;
}

void SignallerHost::stop ()
{
  if (started_) {
    GstRtcSignaller *s = ref ();
    gst_rtc_signaller_stop (s);
    gst_object_unref (s);
    started_ = false;
  }
  link_.reset ();
}

/* ---- GstChildProxy ------------------------------------------------------ */

static GQuark host_quark ()
{
  static GQuark q = g_quark_from_static_string ("rtc-signaller-host");
  return q;
}

static GObject *(*data_child_by_name) (GstChildProxy *, const gchar *) = nullptr;

static GObject *child_by_name (GstChildProxy *proxy, const gchar *name)
{
  auto host = static_cast<SignallerHost *> (g_object_get_qdata (G_OBJECT (proxy), host_quark ()));
  if (host && g_str_equal (name, "signaller"))
    return G_OBJECT (host->ref ());
  return data_child_by_name (proxy, name);
}

void SignallerHost::child_proxy_init (gpointer g_iface, gpointer data)
{
  DataRouter::child_proxy_init (g_iface, data);
  auto iface = static_cast<GstChildProxyInterface *> (g_iface);
  data_child_by_name = iface->get_child_by_name;
  iface->get_child_by_name = child_by_name;
}

void SignallerHost::attach (GstElement *element, SignallerHost *host)
{
  g_object_set_qdata (G_OBJECT (element), host_quark (), host);
}

} // namespace rtc

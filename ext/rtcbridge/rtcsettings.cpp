/* See rtcsettings.h. */
#include "rtcsettings.h"

#include "gstrtchttpclientsignaller.h"
#include "gstrtchttpsignaller.h"

#include <json-glib/json-glib.h>

GST_DEBUG_CATEGORY_STATIC (rtc_settings_debug);
#define GST_CAT_DEFAULT rtc_settings_debug

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
                           "interfaces)",
                           d.address.c_str (), ready));
  g_object_class_install_property (
      klass, PORT,
      g_param_spec_uint ("port", "Port",
                         "TCP port of the embedded server; 0 picks a free port, which this "
                         "property returns once the element is READY",
                         0, 65535, d.port, ready));
  g_object_class_install_property (
      klass, STREAM_NAME,
      g_param_spec_string (
          "stream-name", "Stream name",
          blurb ("Name of the stream: " + std::string (role.server_path) + " on the server"),
          d.stream_name.c_str (), ready));
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
      klass, HANDSHAKE_TIMEOUT,
      g_param_spec_uint ("handshake-timeout", "Handshake timeout",
                         "A session that has not connected (ICE and DTLS) this long after its "
                         "offer is ended, ms",
                         1000, 600000, d.handshake_timeout_ms, playing));
  g_object_class_install_property (
      klass, AUTH_TOKEN,
      g_param_spec_string ("auth-token", "Auth token",
                           blurb ("Bearer token: the embedded server requires it from " + peers +
                                  " (NULL = no check); in client mode it is sent to the server"),
                           nullptr, ready));
  g_object_class_install_property (
      klass, ALLOWED_ORIGINS,
      g_param_spec_string ("allowed-origins", "Allowed origins",
                           "Comma-separated browser origins allowed to use the endpoint, or *",
                           d.allowed_origins.c_str (), ready));
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
                           blurb ("Comma-separated labels of reliable, ordered data channels "
                                  "opened with every one of the " +
                                  peers +
                                  " (besides the data pads' labels), for send-string/"
                                  "send-data (NULL = none)"),
                           nullptr, ready));
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
  case HANDSHAKE_TIMEOUT:
    handshake_timeout_ms = g_value_get_uint (value);
    break;
  case AUTH_TOKEN:
    auth_token = take_string (value, "");
    break;
  case ALLOWED_ORIGINS:
    allowed_origins = take_string (value, "*");
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
  case HANDSHAKE_TIMEOUT:
    g_value_set_uint (value, handshake_timeout_ms);
    break;
  case AUTH_TOKEN:
    g_value_set_string (value, or_null (auth_token));
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
  default:
    return false;
  }
  return true;
}

void Settings::get_live (guint prop_id, GValue *value, GstRtcSignaller *server)
{
  if (prop_id == PORT) {
    if (server) {
      guint port = 0;
      g_object_get (server, "port", &port, nullptr);
      g_value_set_uint (value, port);
    }
    return;
  }
  gchar *url = nullptr;
  if (server)
    g_object_get (server, "url", &url, nullptr);
  g_value_take_string (value, url);
}

std::vector<std::string> Settings::turn_list () const
{
  return split (turn_servers);
}

std::string Settings::ice_servers () const
{
  std::string out = stun_server;
  for (auto &t : turn_list ())
    out += (out.empty () ? "" : ",") + t;
  return out;
}

void Settings::fill (PeerSession::Config &config) const
{
  config.stun_server = stun_server;
  config.turn_servers = turn_list ();
  config.gather_timeout = gathering_timeout_ms * GST_MSECOND;
}

void Settings::configure_signaller (GstRtcSignaller *signaller) const
{
  if (GST_IS_RTC_HTTP_CLIENT_SIGNALLER (signaller)) {
    g_object_set (signaller, "url", remote_url.c_str (), "auth-token", or_null (auth_token),
                  nullptr);
    return;
  }
  if (GST_IS_RTC_HTTP_SIGNALLER (signaller)) {
    g_object_set (signaller, "address", address.c_str (), "port", port, "stream-name",
                  stream_name.c_str (), "auth-token", or_null (auth_token), "allowed-origins",
                  allowed_origins.c_str (), "tls-certificate-file", or_null (tls_certificate_file),
                  "tls-key-file", or_null (tls_key_file), "ice-servers", ice_servers ().c_str (),
                  nullptr);
  }
}

SignallerHost::SignallerHost (const Role &role) : role_ (role)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_settings_debug, "rtcsignallerhost", 0,
                             "Elements' signaller set-up");
    g_once_init_leave (&once, 1);
  }
  signaller = make_default (false);
}

SignallerHost::~SignallerHost ()
{
  stop ();
  gst_object_unref (signaller);
}

GstRtcSignaller *SignallerHost::make_default (bool client_mode) const
{
  /* publish: WHEP server or WHIP client; subscribe: WHIP server or WHEP client */
  GstRtcHttpProtocol server =
      role_.receiving ? GST_RTC_HTTP_PROTOCOL_WHIP : GST_RTC_HTTP_PROTOCOL_WHEP;
  GstRtcHttpProtocol remote =
      role_.receiving ? GST_RTC_HTTP_PROTOCOL_WHEP : GST_RTC_HTTP_PROTOCOL_WHIP;
  GObject *s =
      client_mode
          ? G_OBJECT (
                g_object_new (GST_TYPE_RTC_HTTP_CLIENT_SIGNALLER, "protocol", remote, nullptr))
          : G_OBJECT (g_object_new (GST_TYPE_RTC_HTTP_SIGNALLER, "protocol", server, nullptr));
  return GST_RTC_SIGNALLER (g_object_ref_sink (s));
}

void SignallerHost::set (GstRtcSignaller *custom)
{
  gst_object_unref (signaller);
  is_default = custom == nullptr;
  signaller = custom ? GST_RTC_SIGNALLER (g_object_ref_sink (custom)) : make_default (false);
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

void SignallerHost::describe (const std::string &media, const std::string &data_channels)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (signaller);
  if (g_object_class_find_property (klass, "media"))
    g_object_set (signaller, "media", media.c_str (), nullptr);
  if (g_object_class_find_property (klass, "data-channels"))
    g_object_set (signaller, "data-channels", data_channels.c_str (), nullptr);
}

bool SignallerHost::start (GstElement *element, const Settings &settings, ControlThread *thread,
                           SignallerLink::Handler *handler)
{
  client = settings.client_mode () && is_default;
  if (is_default && client != (bool)GST_IS_RTC_HTTP_CLIENT_SIGNALLER (signaller)) {
    gst_object_unref (signaller);
    signaller = make_default (client);
  }
  if (is_default && !settings.enable_server && !client)
    return true; /* no server, no client: the application drives sessions */
  if (is_default)
    settings.configure_signaller (signaller);
  link = std::make_unique<SignallerLink> ();
  link->connect (signaller, thread, handler);
  GError *gerr = nullptr;
  if (!gst_rtc_signaller_start (signaller, &gerr)) {
    if (client)
      GST_ELEMENT_ERROR (
          element, RESOURCE, SETTINGS,
          ("Could not start %s: %s", role_.client_action, gerr ? gerr->message : "?"),
          ("URL %s", settings.remote_url.c_str ()));
    else
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ_WRITE,
                         ("Could not start the WebRTC server: %s", gerr ? gerr->message : "?"),
                         ("address %s, port %u, stream-name %s", settings.address.c_str (),
                          settings.port, settings.stream_name.c_str ()));
    g_clear_error (&gerr);
    return false;
  }
  started = true;
  if (is_default && !client) {
    guint bound = 0;
    gchar *url = nullptr;
    g_object_get (signaller, "port", &bound, "url", &url, nullptr);
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
  return true;
}

void SignallerHost::stop ()
{
  if (started) {
    gst_rtc_signaller_stop (signaller);
    started = false;
  }
  link.reset ();
}

GstRtcSignaller *SignallerHost::ref_running_server () const
{
  return started && is_default && !client ? GST_RTC_SIGNALLER (gst_object_ref (signaller))
                                          : nullptr;
}

void apply_signaller_ice_servers (GstRtcSignaller *signaller, PeerSession::Config &config)
{
  if (!config.stun_server.empty () || !config.turn_servers.empty () ||
      !g_object_class_find_property (G_OBJECT_GET_CLASS (signaller), "ice-servers"))
    return;
  gchar *servers = nullptr;
  g_object_get (signaller, "ice-servers", &servers, nullptr);
  for (auto &url : split (servers ? servers : "")) {
    if (g_str_has_prefix (url.c_str (), "stun") && config.stun_server.empty ())
      config.stun_server = url;
    else if (g_str_has_prefix (url.c_str (), "turn"))
      config.turn_servers.push_back (url);
  }
  g_free (servers);
}

} // namespace rtc

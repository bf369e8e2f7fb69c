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
}

/* GstRtcHttpServerSignaller's property ids, defaults, specs and the
 * settings they set (the signaller itself: gstrtchttpserversignaller.cpp).
 *
 * Threading: the settings are read and written under their own lock, from
 * any thread; the signaller takes no other lock while holding it. */
#pragma once

#include <glib-object.h>
#include <memory>
#include <mutex>
#include <string>

#include "gstrtchttpserversignaller.h"
#include "rtchttpserver.h"
#include "rtcjwt.h"
#include "rtcturn.h"

#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_PORT 8080
#define DEFAULT_STREAM_NAME "live"
#define DEFAULT_ALLOWED_ORIGINS "" /* same origin */
#define DEFAULT_SERVE_STATS TRUE

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_STREAM_NAME,
  PROP_AUTH_TOKEN,
  PROP_ALLOWED_ORIGINS,
  PROP_MEDIA,
  PROP_URL,
  PROP_TLS_CERTIFICATE_FILE,
  PROP_TLS_KEY_FILE,
  PROP_PROTOCOL,
  PROP_ICE_SERVERS,
  PROP_DATA_CHANNELS,
  PROP_TURN_SECRET,
  PROP_TURN_CREDENTIAL_LIFETIME,
  PROP_JWT_KEY,
  PROP_JWT_ALGORITHM,
  PROP_SERVE_STATS,
};

/* Installs every property of GstRtcHttpServerSignaller on @klass. */
void gst_rtc_http_server_signaller_install_properties (GObjectClass *gobject_class);

/* What the properties set, and the server they describe while started. */
struct GstRtcHttpServerSettings {
  std::mutex lock; /* guards everything below */
  std::string address = DEFAULT_ADDRESS;
  guint port = DEFAULT_PORT;
  std::string stream_name = DEFAULT_STREAM_NAME;
  std::string auth_token;
  std::string allowed_origins = DEFAULT_ALLOWED_ORIGINS;
  std::string media;
  std::string ice_servers;
  std::string turn_secret; /* empty: TURN credentials as configured */
  guint turn_lifetime_s = rtc::DEFAULT_TURN_CREDENTIAL_LIFETIME_S;
  std::string jwt_key, jwt_algorithm = rtc::DEFAULT_JWT_ALGORITHM;
  std::string data_channels = "[]";
  GstRtcHttpProtocol protocol = GST_RTC_HTTP_PROTOCOL_WHEP;
  rtc::HttpServer::Tls tls;
  bool serve_stats = DEFAULT_SERVE_STATS;

  std::string prefix () const { return protocol == GST_RTC_HTTP_PROTOCOL_WHIP ? "whip" : "whep"; }
  const char *upper () const { return protocol == GST_RTC_HTTP_PROTOCOL_WHIP ? "WHIP" : "WHEP"; }

  std::shared_ptr<rtc::HttpServer> server; /* while started: the port and url read it */
};

/* GObject set_property/get_property for @settings; each takes its lock. */
void gst_rtc_http_server_settings_set (GstRtcHttpServerSettings &settings, GObject *object,
                                       guint prop_id, const GValue *value, GParamSpec *pspec);
void gst_rtc_http_server_settings_get (GstRtcHttpServerSettings &settings, GObject *object,
                                       guint prop_id, GValue *value, GParamSpec *pspec);

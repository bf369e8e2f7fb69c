/* GstRtcHttpServerSignaller's property ids, defaults and specs (the
 * signaller itself: gstrtchttpserversignaller.cpp). */
#pragma once

#include <glib-object.h>

#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_PORT 8080
#define DEFAULT_STREAM_NAME "live"
#define DEFAULT_ALLOWED_ORIGINS "" /* same origin */

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
};

/* Installs every property of GstRtcHttpServerSignaller on @klass. */
void gst_rtc_http_server_signaller_install_properties (GObjectClass *gobject_class);

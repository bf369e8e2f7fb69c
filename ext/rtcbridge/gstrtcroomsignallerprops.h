/* GstRtcRoomSignaller's properties: their ids, defaults and specs (the
 * specs are made in gstrtcroomsignallerprops.cpp, with the host's signals
 * and action signals, gst_rtc_room_signaller_install_host_signals () and
 * _install_host_actions () in gstrtcroomsignaller.h, shared with
 * webrtcroom's default signaller; gstrtcroomsignaller.cpp installs the
 * properties and gets and sets them). Not installed. */
#pragma once

#include <glib-object.h>

#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_PORT 8080
#define DEFAULT_ROOM_NAME "room"
#define DEFAULT_ALLOWED_ORIGINS "" /* same origin */
#define DEFAULT_MAX_PARTICIPANTS 16
#define DEFAULT_KEEPALIVE_TIMEOUT 15000
#define DEFAULT_RESUME_TIMEOUT 10000
#define DEFAULT_MESSAGES_PER_SECOND 50
#define DEFAULT_DATA_CHANNELS "[]"
#define DEFAULT_SERVE_STATS TRUE

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_ROOM_NAME,
  PROP_AUTH_TOKEN,
  PROP_ALLOWED_ORIGINS,
  PROP_TLS_CERTIFICATE_FILE,
  PROP_TLS_KEY_FILE,
  PROP_MAX_PARTICIPANTS,
  PROP_KEEPALIVE_TIMEOUT,
  PROP_RESUME_TIMEOUT,
  PROP_MESSAGES_PER_SECOND,
  PROP_ICE_SERVERS,
  PROP_DATA_CHANNELS,
  PROP_PIPELINE_TRACKS,
  PROP_URL,
  PROP_N_PARTICIPANTS,
  PROP_TURN_SECRET,
  PROP_TURN_CREDENTIAL_LIFETIME,
  PROP_JWT_KEY,
  PROP_JWT_ALGORITHM,
  PROP_SERVE_STATS,
  N_PROPS,
};

/* Fills @properties[1..N_PROPS-1]. */
void gst_rtc_room_signaller_make_properties (GParamSpec **properties);

/* GstRtcRoom's (webrtcroom) private state, shared by its two source files:
 * gstrtcroom.cpp (pads, states, the room and its data channels) and
 * gstrtcroomproperties.cpp (the element's properties). C++, not installed.
 * Threads and lock order: gstrtcroom.h.
 */
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gstrtcroom.h"
#include "rtccodecs.h"
#include "rtcelement.h"
#include "rtcroom.h"
#include "rtcroomdata.h"
#include "rtcsettings.h"

#define DEFAULT_MAX_PARTICIPANTS 16
#define DEFAULT_DECODE TRUE
#define DEFAULT_VIDEO_BITRATE 1500000
#define DEFAULT_AUDIO_BITRATE 64000
#define DEFAULT_KEYFRAME_INTERVAL 2000
#define DEFAULT_PARTICIPANT_TIMEOUT 15000
#define DEFAULT_CONGESTION_CONTROL GST_RTC_CONGESTION_CONTROL_GCC
#define DEFAULT_LOW_LAYER_BITRATE 250000
#define DEFAULT_LOW_LAYER_WIDTH 320
#define DEFAULT_LOW_LAYER_MAX_CPU_PRESSURE 60
#define DEFAULT_MAX_BITRATE 6000000
#define DEFAULT_AUDIO_MODE GST_RTC_ROOM_AUDIO_MODE_FORWARD
#define DEFAULT_NOISE_SUPPRESSION GST_RTC_ROOM_NOISE_SUPPRESSION_NONE
#define DEFAULT_MIX_FRAME_MS 20

struct GstRtcRoomPrivate {
  explicit GstRtcRoomPrivate (GstElement *self);
  rtc::ElementCore core; /* core.lock guards the settings below */
  guint max_participants = DEFAULT_MAX_PARTICIPANTS;
  bool decode = DEFAULT_DECODE;
  guint video_bitrate = DEFAULT_VIDEO_BITRATE;
  guint audio_bitrate = DEFAULT_AUDIO_BITRATE;
  guint keyframe_interval_ms = DEFAULT_KEYFRAME_INTERVAL;
  guint participant_timeout_ms = DEFAULT_PARTICIPANT_TIMEOUT;
  std::string record_location;
  GstRtcCongestionControl congestion_control = DEFAULT_CONGESTION_CONTROL;
  guint low_layer_bitrate = DEFAULT_LOW_LAYER_BITRATE;
  guint low_layer_width = DEFAULT_LOW_LAYER_WIDTH;
  guint low_layer_max_cpu_pressure = DEFAULT_LOW_LAYER_MAX_CPU_PRESSURE;
  guint max_bitrate = DEFAULT_MAX_BITRATE;
  GstRtcRoomAudioMode audio_mode = DEFAULT_AUDIO_MODE;
  GstRtcRoomNoiseSuppression noise_suppression = DEFAULT_NOISE_SUPPRESSION;
  guint mix_frame_ms = DEFAULT_MIX_FRAME_MS;
  /* while started */
  std::vector<const rtc::Codec *> preferences;
  std::map<const rtc::Codec *, std::string> encoders, decoders;
  /* The signaller's "audio-volume" (a room protocol signaller's), while started. */
  GstRtcSignaller *volume_signaller = nullptr;
  gulong volume_handler = 0;

  std::unique_ptr<rtc::Room> room;                           /* from init to finalize */
  std::atomic<bool> eos_requested{false}, eos_posted{false}; /* reset at READY->PAUSED */
  /* The room-wide data channels (host only), from init to finalize; they
   * go before the room and the core (declared after them). */
  std::unique_ptr<rtc::RouterTransport> data_transport;
  std::unique_ptr<rtc::RoomData> room_data;
};

struct _GstRtcRoom {
  GstBin parent;
  GstRtcRoomPrivate *priv;
};

/* gstrtcroomproperties.cpp: rtc::Settings' properties, then the element's. */
void gst_rtc_room_install_properties (GObjectClass *gobject_class);
void gst_rtc_room_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec);
void gst_rtc_room_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec);

/* webrtcroom's properties (gstrtcroom.cpp is the element): their
 * installation, get and set. The settings they hold are in
 * GstRtcRoomPrivate (gstrtcroomprivate.h), under core.lock; the room reads
 * them through room_settings () in gstrtcroom.cpp.
 */
#include "gstrtcroomprivate.h"

#include <gst/rtcbridge/gstrtcsignaller.h>
#include <mutex>

/* The shared properties (rtc::Settings) come first. */
enum {
  PROP_MAX_PARTICIPANTS = rtc::Settings::N_PROPS,
  PROP_DECODE,
  PROP_VIDEO_BITRATE,
  PROP_AUDIO_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_PARTICIPANT_TIMEOUT,
  PROP_SIGNALLER,
  PROP_N_PARTICIPANTS,
  PROP_RECORD_LOCATION,
  PROP_CONGESTION_CONTROL,
  PROP_LOW_LAYER_BITRATE,
  PROP_LOW_LAYER_WIDTH,
  PROP_LOW_LAYER_MAX_CPU_PRESSURE,
  PROP_MAX_BITRATE,
  PROP_DATA_MESSAGES_DROPPED,
  PROP_AUDIO_MODE,
  PROP_NOISE_SUPPRESSION,
  PROP_MIX_FRAME_MS,
};

GType gst_rtc_room_audio_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_RTC_ROOM_AUDIO_MODE_FORWARD, "Forward every participant's audio to every other one",
       "forward"},
      {GST_RTC_ROOM_AUDIO_MODE_MIX,
       "Mix in the room: each participant receives one stream with everyone but itself", "mix"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtcRoomAudioMode", values));
  return type;
}

GType gst_rtc_room_noise_suppression_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_RTC_ROOM_NOISE_SUPPRESSION_NONE, "None", "none"},
      {GST_RTC_ROOM_NOISE_SUPPRESSION_LOW, "Low", "low"},
      {GST_RTC_ROOM_NOISE_SUPPRESSION_MODERATE, "Moderate", "moderate"},
      {GST_RTC_ROOM_NOISE_SUPPRESSION_HIGH, "High", "high"},
      {GST_RTC_ROOM_NOISE_SUPPRESSION_VERY_HIGH, "Very high", "very-high"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtcRoomNoiseSuppression", values));
  return type;
}

void gst_rtc_room_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  auto self = GST_RTC_ROOM (object);
  auto priv = self->priv;
  if (priv->core.set_property (prop_id, value, PROP_SIGNALLER))
    return;
  std::lock_guard<std::mutex> g (priv->core.lock);
  switch (prop_id) {
  case PROP_MAX_PARTICIPANTS:
    priv->max_participants = g_value_get_uint (value);
    break;
  case PROP_DECODE:
    priv->decode = g_value_get_boolean (value);
    break;
  case PROP_VIDEO_BITRATE:
    priv->video_bitrate = g_value_get_uint (value);
    break;
  case PROP_AUDIO_BITRATE:
    priv->audio_bitrate = g_value_get_uint (value);
    break;
  case PROP_KEYFRAME_INTERVAL:
    priv->keyframe_interval_ms = g_value_get_uint (value);
    break;
  case PROP_PARTICIPANT_TIMEOUT:
    priv->participant_timeout_ms = g_value_get_uint (value);
    break;
  case PROP_RECORD_LOCATION: {
    const gchar *v = g_value_get_string (value);
    priv->record_location = v ? v : "";
    break;
  }
  case PROP_CONGESTION_CONTROL:
    priv->congestion_control = (GstRtcCongestionControl)g_value_get_enum (value);
    break;
  case PROP_LOW_LAYER_BITRATE:
    priv->low_layer_bitrate = g_value_get_uint (value);
    break;
  case PROP_LOW_LAYER_WIDTH:
    priv->low_layer_width = g_value_get_uint (value);
    break;
  case PROP_LOW_LAYER_MAX_CPU_PRESSURE:
    priv->low_layer_max_cpu_pressure = g_value_get_uint (value);
    break;
  case PROP_MAX_BITRATE:
    priv->max_bitrate = g_value_get_uint (value);
    break;
  case PROP_AUDIO_MODE:
    priv->audio_mode = (GstRtcRoomAudioMode)g_value_get_enum (value);
    break;
  case PROP_NOISE_SUPPRESSION:
    priv->noise_suppression = (GstRtcRoomNoiseSuppression)g_value_get_enum (value);
    break;
  case PROP_MIX_FRAME_MS:
    priv->mix_frame_ms = g_value_get_uint (value) < 15 ? 10 : 20;
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

void gst_rtc_room_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto self = GST_RTC_ROOM (object);
  auto priv = self->priv;
  if (priv->core.get_property (prop_id, value, PROP_SIGNALLER))
    return;
  if (prop_id == PROP_N_PARTICIPANTS) {
    g_value_set_uint (value, priv->room->n_participants ());
    return;
  }
  if (prop_id == PROP_DATA_MESSAGES_DROPPED) {
    g_value_set_uint64 (value, priv->room_data->stats ().dropped);
    return;
  }
  std::lock_guard<std::mutex> g (priv->core.lock);
  switch (prop_id) {
  case PROP_MAX_PARTICIPANTS:
    g_value_set_uint (value, priv->max_participants);
    break;
  case PROP_DECODE:
    g_value_set_boolean (value, priv->decode);
    break;
  case PROP_VIDEO_BITRATE:
    g_value_set_uint (value, priv->video_bitrate);
    break;
  case PROP_AUDIO_BITRATE:
    g_value_set_uint (value, priv->audio_bitrate);
    break;
  case PROP_KEYFRAME_INTERVAL:
    g_value_set_uint (value, priv->keyframe_interval_ms);
    break;
  case PROP_PARTICIPANT_TIMEOUT:
    g_value_set_uint (value, priv->participant_timeout_ms);
    break;
  case PROP_RECORD_LOCATION:
    g_value_set_string (value,
                        priv->record_location.empty () ? nullptr : priv->record_location.c_str ());
    break;
  case PROP_CONGESTION_CONTROL:
    g_value_set_enum (value, priv->congestion_control);
    break;
  case PROP_LOW_LAYER_BITRATE:
    g_value_set_uint (value, priv->low_layer_bitrate);
    break;
  case PROP_LOW_LAYER_WIDTH:
    g_value_set_uint (value, priv->low_layer_width);
    break;
  case PROP_LOW_LAYER_MAX_CPU_PRESSURE:
    g_value_set_uint (value, priv->low_layer_max_cpu_pressure);
    break;
  case PROP_MAX_BITRATE:
    g_value_set_uint (value, priv->max_bitrate);
    break;
  case PROP_AUDIO_MODE:
    g_value_set_enum (value, priv->audio_mode);
    break;
  case PROP_MIX_FRAME_MS:
    g_value_set_uint (value, priv->mix_frame_ms);
    break;
  case PROP_NOISE_SUPPRESSION:
    g_value_set_enum (value, priv->noise_suppression);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

void gst_rtc_room_install_properties (GObjectClass *gobject_class)
{
  rtc::Settings::Role role{"participants",
                           "room-url",
                           "Join the room at this URL (ws://host:port/room/<name>) as a "
                           "participant instead of hosting one (NULL = host)",
                           "/room/<name> and /board/<name>",
                           "conference page",
                           "room-name",
                           "room",
                           "Comma-separated labels of room-wide data channels, besides the "
                           "defaults \"board\" (logged: replayed to late joiners) and "
                           "\"files\": reliable, ordered, opened on every participant's "
                           "session; the room relays a text message (a JSON object) to every "
                           "other member as {seq, from, name, msg}, binary unchanged. With "
                           "room-url: plain channels to that room, no defaults (NULL = none)"};
  rtc::Settings::install (gobject_class, role);
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto rw_playing = GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property (
      gobject_class, PROP_MAX_PARTICIPANTS,
      g_param_spec_uint ("max-participants", "Max participants",
                         "Participants at once; one more is refused (\"full\"). 0 = no limit", 0,
                         G_MAXUINT, DEFAULT_MAX_PARTICIPANTS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_DECODE,
      g_param_spec_boolean ("decode", "Decode",
                            "Participants' tracks on the src pads decoded (TRUE) or encoded, "
                            "parsed (FALSE)",
                            DEFAULT_DECODE, GParamFlags (rw | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_BITRATE,
      g_param_spec_uint ("video-bitrate", "Video bitrate",
                         "Bitrate of the pipeline's video tracks, bit/s", 1000, G_MAXUINT,
                         DEFAULT_VIDEO_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_BITRATE,
      g_param_spec_uint ("audio-bitrate", "Audio bitrate",
                         "Bitrate of the pipeline's audio tracks, bit/s", 6000, 510000,
                         DEFAULT_AUDIO_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_uint ("keyframe-interval", "Keyframe interval",
                         "Longest time between keyframes of the pipeline's video tracks, ms", 100,
                         60000, DEFAULT_KEYFRAME_INTERVAL,
                         GParamFlags (rw | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (
      gobject_class, PROP_PARTICIPANT_TIMEOUT,
      g_param_spec_uint ("participant-timeout", "Participant timeout",
                         "A connected participant with media that sends no media, RTCP or "
                         "data-channel message this long is removed, ms (one with data "
                         "channels alone, a board page, stays while its signalling does)",
                         1000, 600000, DEFAULT_PARTICIPANT_TIMEOUT, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_SIGNALLER,
      g_param_spec_object ("signaller", "Signaller",
                           "How participants reach the room (default: a "
                           "GstRtcRoomDefaultSignaller: the room on the embedded server, or, with "
                           "room-url, a participant of that room); also the child \"signaller\"",
                           GST_TYPE_RTC_SIGNALLER, rw));
  g_object_class_install_property (
      gobject_class, PROP_RECORD_LOCATION,
      g_param_spec_string (
          "record-location", "Record location",
          "Record every participant's tracks, as they arrive (no re-encoding), one file per "
          "track: a file name pattern whose %s is the track's pad name, e.g. "
          "\"rec/%s.mkv\" (.mkv Matroska, .webm WebM, .mp4 MP4). Files are finished when the "
          "track ends and when the pipeline stops (NULL = no recording)",
          nullptr, GParamFlags (rw | GST_PARAM_MUTABLE_READY)));
  auto rw_ready = GParamFlags (rw | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property (
      gobject_class, PROP_CONGESTION_CONTROL,
      g_param_spec_enum ("congestion-control", "Congestion control",
                         "Per-participant bandwidth estimation (GCC on transport-wide feedback, "
                         "an rtcgcc per participant): a participant whose link cannot take a "
                         "forwarded video gets its low layer (see low-layer-bitrate), or none",
                         gst_rtc_congestion_control_get_type (), DEFAULT_CONGESTION_CONTROL,
                         rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_LOW_LAYER_BITRATE,
      g_param_spec_uint ("low-layer-bitrate", "Low layer bitrate",
                         "Congestion control: bitrate of a forwarded video's low layer, encoded "
                         "once per track (decoded, scaled, encoded again) while a constrained "
                         "participant receives it, bit/s",
                         50000, 2000000, DEFAULT_LOW_LAYER_BITRATE, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_LOW_LAYER_WIDTH,
      g_param_spec_uint ("low-layer-width", "Low layer width",
                         "Congestion control: width of the low layer, about (the picture is "
                         "scaled down by a whole factor)",
                         64, 1920, DEFAULT_LOW_LAYER_WIDTH, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_LOW_LAYER_MAX_CPU_PRESSURE,
      g_param_spec_uint ("low-layer-max-cpu-pressure", "Low layer max CPU pressure",
                         "Congestion control: a low layer is started only while the host's CPU "
                         "pressure (Linux /proc/pressure/cpu 'some avg10': the share of time a "
                         "task waited for a core; else the load average per core) is under this "
                         "percentage (once over it, until it has been under it for 5 s); a warning "
                         "says when one is held back (0: never start one; "
                         "100: whatever the load)",
                         0, 100, DEFAULT_LOW_LAYER_MAX_CPU_PRESSURE, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_MAX_BITRATE,
      g_param_spec_uint ("max-bitrate", "Max bitrate",
                         "Congestion control: the most a participant's link is taken to carry "
                         "(the estimator's upper bound), bit/s",
                         100000, G_MAXUINT, DEFAULT_MAX_BITRATE, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_MODE,
      g_param_spec_enum ("audio-mode", "Audio mode",
                         "What the room does with participants' audio (video is forwarded "
                         "either way): forward every stream to every participant, or mix: each "
                         "participant's audio decoded once, each one receives one Opus stream "
                         "with everyone but itself (a mix encoded once per distinct set), the "
                         "pipeline's audio_%u pads heard by everyone, the mix of everyone on "
                         "the \"mix\" src pad. Hosting only",
                         GST_TYPE_RTC_ROOM_AUDIO_MODE, DEFAULT_AUDIO_MODE, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_NOISE_SUPPRESSION,
      g_param_spec_enum ("noise-suppression", "Noise suppression",
                         "audio-mode=mix: suppress the steady background noise (fans, hum, hiss) "
                         "of each participant's audio before it is mixed, at this level "
                         "(webrtcdsp from gst-plugins-bad; no echo cancellation, no gain "
                         "control). Costs about a tenth of a core per 16 participants; see the "
                         "voice guide",
                         GST_TYPE_RTC_ROOM_NOISE_SUPPRESSION, DEFAULT_NOISE_SUPPRESSION, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_MIX_FRAME_MS,
      g_param_spec_uint ("mix-frame-ms", "Mix frame (ms)",
                         "audio-mode=mix: the mixer's frames and the mixes' Opus frames, 10 or 20 "
                         "ms (other values round to the nearer). 10 ms took 4-14 ms off "
                         "mouth-to-ear (bench/voice.py) for 5-13 % more host CPU and twice the "
                         "packets to each listener; 20 ms leaves more room for late packets",
                         10, 20, DEFAULT_MIX_FRAME_MS, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_N_PARTICIPANTS,
      g_param_spec_uint ("n-participants", "Participants", "Participants in the room now", 0,
                         G_MAXUINT, 0, GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_DATA_MESSAGES_DROPPED,
      g_param_spec_uint64 ("data-messages-dropped", "Data messages dropped",
                           "Room data channel messages dropped for participants that did not "
                           "keep up (over their queue limit, 16 MiB, or the room's, 64 MiB), "
                           "counted per participant; each was told (error \"dropped\") and "
                           "resyncs by rejoining",
                           0, G_MAXUINT64, 0,
                           GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

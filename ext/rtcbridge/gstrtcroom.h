/* GstRtcRoom (webrtcroom): a room hosted by a pipeline — a video
 * conference or a collaboration board. Browsers join at /room/<room-name>
 * or /board/<room-name> on the embedded server (the room protocol,
 * docs/room-protocol.md, through a GstRtcRoomSignaller by default); every
 * participant receives every other participant's tracks, forwarded without
 * decoding, and the pipeline's own (sink pads, encoded once).
 *
 * Objects: a thin GObject shell (properties, pads, state, signals) around
 * an rtc::ElementCore (rtcelement.h) and an rtc::Room (gst/rtc/rtcroom.h:
 * participants' sessions, tracks, forwarding) and, when it hosts, an
 * rtc::RoomData (rtcroomdata.h: the room-wide data channels' relay policy)
 * behind the DataRouter's relay.
 *
 * Threads: as webrtcpublish (gstrtcpublish.h): the application thread, the
 * control thread ("rtcroom-ctl"), the HTTP server's thread (the room
 * signaller), webrtcbin's threads, streaming threads; and the room's data
 * thread ("rtcroom-data", RoomData's worker: it sends the relayed messages
 * and emits string-received/data-received for the room's channels).
 *
 * Lock order: the element's settings lock (ElementCore::lock), the data
 * router's and RoomData's are each taken alone. No lock is held while
 * emitting a signal, posting a message or changing a state.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* audio-mode: what the room does with participants' audio. */
typedef enum {
  GST_RTC_ROOM_AUDIO_MODE_FORWARD, /* forwarded like video: N-1 streams each */
  GST_RTC_ROOM_AUDIO_MODE_MIX,     /* mixed: one stream each, everyone but itself */
} GstRtcRoomAudioMode;
GType gst_rtc_room_audio_mode_get_type (void);
#define GST_TYPE_RTC_ROOM_AUDIO_MODE (gst_rtc_room_audio_mode_get_type ())

/* noise-suppression: on each participant's audio before it is mixed. */
typedef enum {
  GST_RTC_ROOM_NOISE_SUPPRESSION_NONE = -1,
  GST_RTC_ROOM_NOISE_SUPPRESSION_LOW,
  GST_RTC_ROOM_NOISE_SUPPRESSION_MODERATE,
  GST_RTC_ROOM_NOISE_SUPPRESSION_HIGH,
  GST_RTC_ROOM_NOISE_SUPPRESSION_VERY_HIGH,
} GstRtcRoomNoiseSuppression;
GType gst_rtc_room_noise_suppression_get_type (void);
#define GST_TYPE_RTC_ROOM_NOISE_SUPPRESSION (gst_rtc_room_noise_suppression_get_type ())

#define GST_TYPE_RTC_ROOM (gst_rtc_room_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcRoom, gst_rtc_room, GST, RTC_ROOM, GstBin)

/* The room's data channels as welcome.data lists them (a JSON array). */
gchar *gst_rtc_room_get_data_channels (GstRtcRoom *room);

G_END_DECLS

/* GstRtcRoomDefaultSignaller: webrtcroom's default signaller: it hosts the
 * room on the embedded server (GstRtcRoomSignaller) or, once room-url is
 * set, joins a room hosted elsewhere (GstRtcRoomClientSignaller).
 *
 * It holds both with their settings, starts the one room-url selects and
 * relays its signals, as GstRtcHttpSignaller does for WHEP/WHIP. Its role
 * follows: offerer as the host, answerer as a participant; candidates
 * trickle either way.
 *
 * Its properties are the two signallers' (the same names, specs and
 * defaults): the server's (address, port, room-name, allowed-origins, TLS,
 * limits, data-channels, pipeline-tracks, url, n-participants), the
 * client's (room-url, display-name, join-timeout, participant-id, roster) and auth-token
 * for both. ice-servers is written to the server (announced in `welcome`)
 * and read from the one running (a participant: what the room announced).
 * The server's own signals ("track-published", "track-unpublished",
 * "chat") and actions ("send-chat", "send-speaking", "send-audio-muted", "send-levels") are the
 * host's; read-only properties are notified as the inner signallers notify them.
 *
 * Being the element's child "signaller", every setting is reachable from
 * gst-launch-1.0 (`webrtcroom signaller::display-name=studio`); the
 * element's properties of the same names forward here.
 *
 * Threading: properties from any thread (priv->lock guards the selection;
 * taken alone, never while calling the inner signallers); the vfuncs from
 * the element's threads; signals are relayed on the thread the inner
 * signaller emits them on.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtcbridge/gstrtcsignaller.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_ROOM_DEFAULT_SIGNALLER (gst_rtc_room_default_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcRoomDefaultSignaller, gst_rtc_room_default_signaller, GST,
                      RTC_ROOM_DEFAULT_SIGNALLER, GstObject)

GstRtcSignaller *gst_rtc_room_default_signaller_new (void);

G_END_DECLS

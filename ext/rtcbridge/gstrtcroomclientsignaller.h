/* GstRtcRoomClientSignaller: the participant's side of the room protocol
 * (docs/room-protocol.md) as a GstRtcSignaller: a pipeline joins a room
 * hosted elsewhere (webrtcroom room-url=ws://host:port/room/<name>; see
 * docs/room-client.md).
 *
 * A thin GObject shell: the connection, the protocol and the reconnection
 * policy are rtc::RoomClient's (rtcroomclient.h), which it runs on a
 * thread of its own. Towards the element:
 *  - role ANSWERER (the room makes the first offer; the element may offer
 *    later: its session with the room is the polite one), trickle TRUE;
 *  - one session at a time, the room's: its id is our participant id,
 *    its peer the room's name;
 *  - "error" when the room cannot be joined (room-url wrong, the room
 *    unreachable for join-timeout, our token refused, the room full...):
 *    the element posts it as an element error;
 *  - "state-changed": connecting, joined, retrying, failed, stopped.
 *
 * Properties: room-url, display-name, auth-token (sent in `join` only,
 * never in the URL or a log line), join-timeout; read-only participant-id,
 * roster (JSON) and ice-servers (what the room announced).
 *
 * Threading: the socket and every signal and notify run on the signaller's
 * thread ("rtc-room-client"); the vfuncs and properties may be called from
 * any thread (the vfuncs post to it; stop () waits for it, so it must not
 * be called from a signal handler). priv->lock guards the settings and the
 * read-only values; it is taken alone and never held while a signal is
 * emitted. The object outlives its thread: stop () and finalize join it.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_ROOM_CLIENT_SIGNALLER (gst_rtc_room_client_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcRoomClientSignaller, gst_rtc_room_client_signaller, GST,
                      RTC_ROOM_CLIENT_SIGNALLER, GstObject)

G_END_DECLS

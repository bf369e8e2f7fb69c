/* GstRtcRoomSignaller: the server side of the room protocol
 * (docs/room-protocol.md) for one room, on the embedded HTTP server, as a
 * GstRtcSignaller. webrtcroom uses it by default.
 *
 * ws://<address>:<port>/room/<room-name>  the protocol (WebSocket upgrade)
 * GET /room/<room-name>                    the conference page
 * GET /board/<room-name>                   the collaboration page
 *
 * What it handles itself (pure signalling, no media): join and welcome, the
 * roster (joined/left), the token, limits (participants, message size and
 * rate), keepalive (ping/pong, timeout), resume within the grace period,
 * chat (ordered, echoed), track and mute announcements relayed to the
 * others, glare (the room is impolite: a client's offer while the room's own
 * is outstanding gets error "glare"), and every protocol error.
 *
 * What it asks of the element, through the GstRtcSignaller contract:
 *  - role OFFERER, trickle TRUE;
 *  - a participant's `join` → "session-requested" (id = the participant
 *    id, peer = its display name, offer NULL): the element offers the
 *    room's current tracks;
 *  - `description` from the client → "session-description" (its answer,
 *    or — later in the session — its own offer: renegotiation);
 *  - `candidate` → "ice-candidate"; `leave`, a dropped socket or a timeout
 *    → "session-ended";
 *  - send_description() → `description` to that client, with `tracks`
 *    built from the description: every m-line whose a=ssrc lines carry an
 *    msid of the form "<participant-id>/<track-id>" (set by the element on
 *    webrtcbin's sink pads) maps its mid to that participant and track;
 *  - send_ice_candidate() → `candidate`; end_session() → `left` to the
 *    others and the socket closed (1000); reject_session() → `error` with a
 *    code from the GError and the socket closed.
 *
 * And, room-specific:
 *  - signal "track-published" (session-id, mid, kind, label) and
 *    "track-unpublished" (session-id, mid) when a client announces its
 *    tracks (after validating them); "chat" (session-id, name, text, seq)
 *    for each chat message (the element posts it on the bus);
 *  - property "pipeline-tracks" (JSON array of {id, kind, label}): the
 *    tracks the element itself publishes, announced as the participant
 *    "pipeline" in every roster;
 *  - action "send-chat" (text): the pipeline says something in the chat.
 *
 * Threading: the WebSocket runs on the HTTP server's thread, where every
 * signal is emitted; the vfuncs and properties may be called from any
 * thread (they post to it). The object lock guards the settings. Lock
 * order: the HTTP server's endpoint lock, then the object lock (the
 * server lists the room under its lock); no lock is held while a signal is
 * emitted. Sessions the element ends (end_session, reject_session) get no
 * "session-ended".
 *
 * The room itself is rtc::Room (rtcroom.h); the protocol's vocabulary,
 * rtcroomprotocol.h.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtcbridge/gstrtcsignaller.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_ROOM_SIGNALLER (gst_rtc_room_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcRoomSignaller, gst_rtc_room_signaller, GST, RTC_ROOM_SIGNALLER,
                      GstObject)

/* The host's actions (send-chat, send-speaking, send-audio-muted,
 * send-levels; documented on GstRtcRoomSignaller) on @klass, run by
 * @handlers in that order: the room signaller's, and the default
 * signaller's, which forward them to it. Returns send-chat's id. */
guint gst_rtc_room_signaller_install_host_actions (GObjectClass *klass,
                                                   const GCallback handlers[4]);
/* The host's signals on @klass: track-published, track-unpublished, chat
 * and audio-volume (their ids in @ids, in that order) and authorize, all
 * documented in gstrtcroomsignallerprops.cpp: the room signaller's, and the
 * default signaller's, which relays them. */
void gst_rtc_room_signaller_install_host_signals (gpointer klass, guint ids[4]);

G_END_DECLS

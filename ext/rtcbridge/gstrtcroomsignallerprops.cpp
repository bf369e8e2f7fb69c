/* See gstrtcroomsignallerprops.h. */
#include "gstrtcroomsignallerprops.h"

#include <gst/gst.h>

#include "gstrtcroomsignaller.h"
#include "rtchttpauthorize.h"
#include "rtcjwt.h"
#include "rtcturn.h"

void gst_rtc_room_signaller_make_properties (GParamSpec **properties)
{
  auto ready = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  auto playing =
      GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  auto read_only = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ADDRESS] = g_param_spec_string (
      "address", "Address", "IP address the embedded server binds to", DEFAULT_ADDRESS, ready);
  properties[PROP_PORT] = g_param_spec_uint (
      "port", "Port",
      "TCP port of the embedded server (0 = pick a free port; reads back the bound port once "
      "started)",
      0, 65535, DEFAULT_PORT, ready);
  properties[PROP_ROOM_NAME] = g_param_spec_string (
      "room-name", "Room name",
      "Name in /room/<name> (the page and the WebSocket), /board/<name> and /voice/<name>",
      DEFAULT_ROOM_NAME, ready);
  properties[PROP_AUTH_TOKEN] = g_param_spec_string (
      "auth-token", "Auth token",
      "The room's token: participants must send it in `join` (NULL = anyone may join)", nullptr,
      playing);
  properties[PROP_ALLOWED_ORIGINS] = g_param_spec_string (
      "allowed-origins", "Allowed origins",
      "Comma-separated browser origins allowed to open the room's WebSocket, or *; empty: only "
      "the room's own pages (same origin)",
      DEFAULT_ALLOWED_ORIGINS, playing);
  properties[PROP_TLS_CERTIFICATE_FILE] = g_param_spec_string (
      "tls-certificate-file", "TLS certificate file",
      "PEM certificate (chain) for HTTPS and WSS; NULL = plain HTTP", nullptr, ready);
  properties[PROP_TLS_KEY_FILE] =
      g_param_spec_string ("tls-key-file", "TLS key file",
                           "PEM private key (NULL = in the certificate file)", nullptr, ready);
  properties[PROP_MAX_PARTICIPANTS] =
      g_param_spec_uint ("max-participants", "Max participants",
                         "Participants in the room at most (the pipeline not counted); a `join` "
                         "beyond it gets error full",
                         1, 1024, DEFAULT_MAX_PARTICIPANTS, playing);
  properties[PROP_KEEPALIVE_TIMEOUT] =
      g_param_spec_uint ("keepalive-timeout", "Keepalive timeout",
                         "A participant that sends nothing for this long (ms) has left", 100,
                         600000, DEFAULT_KEEPALIVE_TIMEOUT, playing);
  properties[PROP_RESUME_TIMEOUT] = g_param_spec_uint (
      "resume-timeout", "Resume timeout",
      "How long (ms) a participant whose socket dropped or timed out may come back with its id", 0,
      600000, DEFAULT_RESUME_TIMEOUT, playing);
  properties[PROP_MESSAGES_PER_SECOND] =
      g_param_spec_uint ("messages-per-second", "Messages per second",
                         "Messages a participant may send per second, averaged over 2 s", 1, 10000,
                         DEFAULT_MESSAGES_PER_SECOND, playing);
  properties[PROP_ICE_SERVERS] = g_param_spec_string (
      "ice-servers", "ICE servers",
      "Comma-separated stun://host:port and turn(s)://user:pass@host:port URLs announced to "
      "participants in `welcome`",
      "", playing);
  properties[PROP_TURN_SECRET] = rtc::turn_secret_spec (GParamFlags (GST_PARAM_MUTABLE_PLAYING));
  properties[PROP_JWT_KEY] = rtc::jwt_key_spec (GParamFlags (GST_PARAM_MUTABLE_PLAYING));
  properties[PROP_JWT_ALGORITHM] =
      rtc::jwt_algorithm_spec (GParamFlags (GST_PARAM_MUTABLE_PLAYING));
  properties[PROP_TURN_CREDENTIAL_LIFETIME] =
      rtc::turn_credential_lifetime_spec (GParamFlags (GST_PARAM_MUTABLE_PLAYING));
  properties[PROP_DATA_CHANNELS] = g_param_spec_string (
      "data-channels", "Data channels",
      "JSON array of the room's data channels ({label, and RTCDataChannelInit options}), "
      "announced in `welcome`",
      DEFAULT_DATA_CHANNELS, playing);
  properties[PROP_PIPELINE_TRACKS] = g_param_spec_string (
      "pipeline-tracks", "Pipeline tracks",
      "JSON array of the tracks the pipeline publishes ({id, kind, label}): the participant "
      "\"pipeline\" in every roster",
      "", playing);
  properties[PROP_SERVE_STATS] = g_param_spec_boolean (
      "serve-stats", "Serve stats",
      "Serve the room's stats on the server's /stats.json and /metrics (and /debug's data), to "
      "whom the room's token or JWT lets in; off loopback only when auth-token or jwt-key is set",
      DEFAULT_SERVE_STATS, playing);
  properties[PROP_URL] = g_param_spec_string (
      "url", "URL", "The conference page's URL once started", nullptr, read_only);
  properties[PROP_N_PARTICIPANTS] = g_param_spec_uint (
      "n-participants", "Participants",
      "Participants in the room now (notified on the server thread)", 0, G_MAXUINT, 0, read_only);
}

guint gst_rtc_room_signaller_install_host_actions (GObjectClass *klass, const GCallback handlers[4])
{
  auto flags = GSignalFlags (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION);
  GType type = G_TYPE_FROM_CLASS (klass);
  /**
   * GstRtcRoomSignaller::send-chat:
   * @signaller: the signaller
   * @text: 1 to 4096 characters
   *
   * The pipeline says @text in the chat, as the participant "pipeline".
   * Any thread.
   *
   * Returns: %TRUE when the room runs and takes the text
   */
  guint chat = g_signal_new_class_handler ("send-chat", type, flags, handlers[0], nullptr, nullptr,
                                           nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstRtcRoomSignaller::send-speaking:
   * @participant: who
   * @speaking: it starts (TRUE) or stops speaking
   * @level: its level, dBFS (-127..0)
   * @active: it is the active speaker now
   *
   * Tells every participant ("speaking" message, docs/room-protocol.md);
   * webrtcroom emits it with audio-mode=mix. Any thread.
   */
  g_signal_new_class_handler ("send-speaking", type, flags, handlers[1], nullptr, nullptr, nullptr,
                              G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_INT,
                              G_TYPE_BOOLEAN);
  /**
   * GstRtcRoomSignaller::send-audio-muted:
   * @participant: who ("pipeline": the pipeline's own audio)
   * @muted: the host muted it for everyone (TRUE), or lets it be heard
   *
   * Tells every participant, and each one that joins while it lasts
   * ("audio-muted" message, docs/room-protocol.md); webrtcroom emits it
   * when its set-audio-muted action takes effect. Any thread.
   */
  g_signal_new_class_handler ("send-audio-muted", type, flags, handlers[2], nullptr, nullptr,
                              nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
  /**
   * GstRtcRoomSignaller::send-levels:
   * @levels: one integer field per participant: its level, dBFS (-127..0)
   *
   * Tells every participant each one's level now ("levels" message,
   * docs/room-protocol.md); webrtcroom emits it with audio-mode=mix, at
   * most every 300 ms. Any thread.
   */
  g_signal_new_class_handler ("send-levels", type, flags, handlers[3], nullptr, nullptr, nullptr,
                              G_TYPE_NONE, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);
  return chat;
}

void gst_rtc_room_signaller_install_host_signals (gpointer klass, guint ids[4])
{
  /**
   * GstRtcRoomSignaller::track-published:
   * @signaller: the signaller
   * @session_id: the participant (and session) id
   * @mid: the mid of the participant's sending transceiver: the track's id
   * @kind: "video" or "audio"
   * @label: "camera", "microphone", "screen" or the client's own label
   *
   * A participant announced a track it sends, after the description that
   * carries it. Emitted on the server thread.
   */
  ids[0] = g_signal_new ("track-published", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                         nullptr, nullptr, nullptr, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING,
                         G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcRoomSignaller::track-unpublished:
   * @signaller: the signaller
   * @session_id: the participant (and session) id
   * @mid: the track's mid
   *
   * A participant stopped sending a track. (When it leaves, only
   * "session-ended" is emitted.) Emitted on the server thread.
   */
  ids[1] = g_signal_new ("track-unpublished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                         nullptr, nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcRoomSignaller::chat:
   * @signaller: the signaller
   * @session_id: who said it
   * @name: their display name
   * @text: the message
   * @seq: its place in the room's chat (room-wide, increasing)
   *
   * A participant said something in the chat (the pipeline's own
   * "send-chat" messages are not emitted). Emitted on the server thread,
   * in order.
   */
  ids[2] = g_signal_new ("chat", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                         nullptr, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                         G_TYPE_UINT64);
  /**
   * GstRtcRoomSignaller::audio-volume:
   * @signaller: the signaller
   * @session_id: the participant that set it (the listener)
   * @participant: whom it hears at @volume: another participant, or "pipeline"
   * @volume: 1.0 as sent, 0.0 silent, at most 2.0
   *
   * A participant set its volume of another (the room protocol's
   * "volume"); webrtcroom audio-mode=mix applies it to the mix that
   * participant hears. Emitted on the server thread.
   */
  ids[3] =
      g_signal_new ("audio-volume", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                    nullptr, nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_DOUBLE);
  /**
   * GstRtcRoomSignaller::authorize:
   * @signaller: the signaller
   * @request: (transfer none): an "rtc-request" structure
   *
   * The application's say on who joins the room and who publishes through
   * its WHIP door, after the built-in checks (allowed origins, auth-token,
   * jwt-key). @request has method ("join", or "POST" at the WHIP door),
   * path, stream (the room's name), remote-address, headers (the WebSocket
   * upgrade's or the POST's, names in lower case), permissions ("view,
   * publish": what the checks granted; a handler may narrow or widen it in
   * place: without "view" no one joins, without "publish" a participant's
   * tracks are refused and the WHIP door is 403) and, for "join", the
   * participant's display "name" and the "token" it sent (if any).
   * Return FALSE to refuse (`error` "unauthorized", or 403); the first
   * handler decides. Emitted on the server thread: do not block.
   */
  rtc::install_authorize_signal (G_TYPE_FROM_CLASS (klass));
}

/* See rtcroomhub.h: the sockets, keepalive and participants' messages;
 * what the element calls is in rtcroomhubelement.cpp. */
#include "rtcroomhub.h"
#include "rtcroomhubprivate.h"

#include <algorithm>

#include "rtchttpauthorize.h"
#include "rtcsdp.h"
#include "rtcturn.h"

GstDebugCategory *gst_rtc_room_signaller_category ();
#define GST_CAT_DEFAULT gst_rtc_room_signaller_category ()

namespace rtc {

using room::Message;
using room::Writer;

/* A participant's description has its own tracks and one m-line per track
 * of every other (camera, its low layer, audio) and data. */
static guint room_max_mlines (guint max_participants)
{
  return 4 * MAX (1u, max_participants) + 4;
}

RoomHub::RoomHub (GMainContext *context, Events events, std::function<Settings ()> settings,
                  std::function<std::string ()> new_id, GstObject *log_object)
    : context_ (context), events_ (std::move (events)), settings_ (std::move (settings)),
      new_id_ (std::move (new_id)), log_ (log_object)
{
  schedule_tick ();
}

RoomHub::~RoomHub () = default;

void RoomHub::SourceDeleter::operator() (GSource *source) const
{
  g_source_destroy (source);
  g_source_unref (source);
}

void RoomHub::accept (SoupWebsocketConnection *ws, const std::string &remote, GstStructure *headers)
{
  auto c = std::make_unique<Connection> ();
  c->headers.reset (headers);
  c->room = this;
  c->ws = SOUP_WEBSOCKET_CONNECTION (g_object_ref (ws));
  c->serial = next_serial_++;
  c->remote = remote;
  c->last_rx_us = g_get_monotonic_time ();
  g_signal_connect (ws, "message", G_CALLBACK (on_message), c.get ());
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), c.get ());
  g_signal_connect (ws, "error", G_CALLBACK (on_error), c.get ());
  Connection &ref = *c;
  connections_[c->serial] = std::move (c);
  GST_DEBUG_OBJECT (log_, "socket %" G_GUINT64_FORMAT " from %s", ref.serial, remote.c_str ());
  if (stopped_)
    close (ref, room::CLOSE_STOPPED, "the room stopped");
}

/* ---- the sockets ------------------------------------------------------- */

void RoomHub::on_message (SoupWebsocketConnection *, gint type, GBytes *message, gpointer data)
{
  auto c = static_cast<Connection *> (data);
  RoomHub *self = c->room;
  if (c->closing)
    return;
  c->last_rx_us = g_get_monotonic_time ();
  Settings s = self->settings_ ();
  if (!self->admit (*c, s))
    return;
  gsize len = 0;
  const char *text = static_cast<const char *> (g_bytes_get_data (message, &len));
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    self->send_error (*c, "bad-json", "binary frames are refused");
    return;
  }
  if (len > room::MAX_MESSAGE_BYTES) {
    /* One frame over it is refused by libsoup (1009); this is a message
     * sent in fragments. */
    self->send_error (*c, "too-big",
                      "a message is at most " + std::to_string (room::MAX_MESSAGE_BYTES) +
                          " bytes");
    self->close (*c, room::CLOSE_TOO_BIG, "message too big");
    return;
  }
  Message m;
  std::string error;
  if (!m.parse (text ? text : "", len, error)) {
    self->send_error (*c, "bad-json", error);
    return;
  }
  self->handle (*c, m);
}

void RoomHub::on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  auto c = static_cast<Connection *> (data);
  RoomHub *self = c->room;
  GST_DEBUG_OBJECT (self->log_, "socket %" G_GUINT64_FORMAT " closed (%u)", c->serial,
                    soup_websocket_connection_get_close_code (ws));
  if (!c->closing && !c->participant.empty ())
    self->leave (c->participant, "disconnected", true, true);
  self->forget (c);
}

void RoomHub::on_error (SoupWebsocketConnection *, GError *error, gpointer data)
{
  auto c = static_cast<Connection *> (data);
  GST_INFO_OBJECT (c->room->log_, "socket %" G_GUINT64_FORMAT " (%s): %s", c->serial,
                   c->participant.empty () ? "not joined" : c->participant.c_str (),
                   error->message);
}

void RoomHub::forget (Connection *c)
{
  connections_.erase (c->serial);
}

bool RoomHub::admit (Connection &c, const Settings &s)
{
  RateLimit::Verdict v = c.rate.take (s.messages_per_second, g_get_monotonic_time ());
  if (v == RateLimit::Verdict::PASS)
    return true;
  if (v == RateLimit::Verdict::FLOOD) {
    GST_INFO_OBJECT (log_, "socket %" G_GUINT64_FORMAT ": flood, closed", c.serial);
    std::string id = c.participant;
    if (!id.empty ())
      leave (id, "kicked", false, true);
    close (c, room::CLOSE_FLOOD, "too many messages");
  } else if (v == RateLimit::Verdict::DROP_FIRST) {
    send_error (c, "rate",
                "more than " + std::to_string (s.messages_per_second) +
                    " messages per second: dropped");
  }
  return false;
}

void RoomHub::send (Connection &c, const std::string &text)
{
  if (soup_websocket_connection_get_state (c.ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (c.ws, text.c_str ());
}

void RoomHub::send_error (Connection &c, const std::string &code, const std::string &message,
                          const std::string &ref)
{
  GST_DEBUG_OBJECT (log_, "socket %" G_GUINT64_FORMAT ": error %s: %s", c.serial, code.c_str (),
                    message.c_str ());
  send (c, room::error_message (code, message, ref));
}

void RoomHub::broadcast (const std::string &text, const Participant *except)
{
  for (auto &p : participants_)
    if (p.get () != except && p->conn)
      send (*p->conn, text);
}

void RoomHub::close (Connection &c, gushort code, const std::string &reason)
{
  if (c.closing)
    return;
  /* Callers that know why it goes have called leave() already. */
  if (!c.participant.empty ())
    leave (c.participant, "kicked", false, true);
  c.participant.clear ();
  c.closing = true;
  if (soup_websocket_connection_get_state (c.ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (c.ws, code, room::close_reason (reason).c_str ());
}

void RoomHub::leave (std::string id, const std::string &reason, bool resumable, bool ended)
{
  auto it = std::find_if (participants_.begin (), participants_.end (),
                          [&id] (const std::unique_ptr<Participant> &p) { return p->id == id; });
  if (it == participants_.end ())
    return;
  std::unique_ptr<Participant> p = std::move (*it);
  participants_.erase (it);
  speaking_.erase (id);
  if (p->conn)
    p->conn->participant.clear ();
  if (resumable) {
    Settings s = settings_ ();
    departed_[id] =
        Departed{p->secret, g_get_monotonic_time () + (gint64)s.resume_timeout_ms * 1000};
  }
  GST_INFO_OBJECT (log_, "%s left (%s)", id.c_str (), reason.c_str ());
  broadcast (room::left_message (id, reason));
  if (stopped_)
    return;
  events_.participants_changed ((guint)participants_.size ());
  if (ended)
    events_.session_ended (id);
}

RoomHub::Participant *RoomHub::find (const std::string &id)
{
  for (auto &p : participants_)
    if (p->id == id)
      return p.get ();
  return nullptr;
}

/* ---- keepalive --------------------------------------------------------- */

gboolean RoomHub::on_tick (gpointer data)
{
  static_cast<RoomHub *> (data)->tick ();
  return G_SOURCE_REMOVE;
}

void RoomHub::schedule_tick ()
{
  Settings s = settings_ ();
  guint interval = CLAMP (s.keepalive_timeout_ms / 10, 20u, 1000u);
  timer_.reset (g_timeout_source_new (interval));
  g_source_set_callback (timer_.get (), on_tick, this, nullptr);
  g_source_attach (timer_.get (), context_);
}

void RoomHub::tick ()
{
  if (stopped_)
    return;
  Settings s = settings_ ();
  gint64 now = g_get_monotonic_time ();
  gint64 timeout = (gint64)MAX (1u, s.keepalive_timeout_ms) * 1000;
  gint64 ping_every = (gint64)MIN (room::PING_INTERVAL_MS, MAX (1u, s.keepalive_timeout_ms / 3));
  ping_every *= 1000;
  std::vector<guint64> serials;
  for (auto &kv : connections_)
    serials.push_back (kv.first);
  for (guint64 serial : serials) {
    auto it = connections_.find (serial);
    if (it == connections_.end () || it->second->closing)
      continue;
    Connection &c = *it->second;
    if (now - c.last_rx_us > timeout) {
      GST_INFO_OBJECT (log_, "socket %" G_GUINT64_FORMAT " (%s) silent for %u ms: timed out",
                       serial, c.participant.empty () ? "not joined" : c.participant.c_str (),
                       s.keepalive_timeout_ms);
      std::string id = c.participant;
      if (!id.empty ())
        leave (id, "timeout", true, true);
      close (c, room::CLOSE_TIMEOUT, "timeout");
    } else if (!c.participant.empty () && now - c.last_ping_us >= ping_every) {
      c.last_ping_us = now;
      send (c, Writer ("ping").integer ("ts", g_get_real_time () / 1000).text ());
    }
  }
  for (auto it = departed_.begin (); it != departed_.end ();)
    it = it->second.until_us < now ? departed_.erase (it) : std::next (it);
  schedule_tick ();
}

/* ---- messages ---------------------------------------------------------- */

void RoomHub::handle (Connection &c, const Message &m)
{
  static const std::set<std::string> types = {"join", "description", "candidate", "track",
                                              "mute", "volume",      "chat",      "ping",
                                              "pong", "leave"};
  const std::string &type = m.type ();
  if (!types.count (type)) {
    send_error (c, "unknown-type", "unknown message type '" + type + "'", type);
    return;
  }
  Participant *p = c.participant.empty () ? nullptr : find (c.participant);
  if (!p) {
    if (type == "join")
      handle_join (c, m);
    else
      send_error (c, "not-joined", "join first", type);
    return;
  }
  GST_LOG_OBJECT (log_, "%s: %s", p->id.c_str (), type.c_str ());
  if (type == "join") {
    send_error (c, "already-joined", "you joined already, as " + p->id, type);
  } else if (type == "description") {
    handle_description (*p, m);
  } else if (type == "candidate") {
    handle_candidate (*p, m);
  } else if (type == "track") {
    handle_track (*p, m);
  } else if (type == "mute") {
    handle_mute (*p, m);
  } else if (type == "volume") {
    handle_volume (*p, m);
  } else if (type == "chat") {
    handle_chat (*p, m);
  } else if (type == "ping") {
    Writer pong ("pong");
    JsonNode *ts = json_object_get_member (m.object (), "ts");
    if (ts && JSON_NODE_HOLDS_VALUE (ts))
      pong.node ("ts", json_node_copy (ts));
    send (c, pong.text ());
  } else if (type == "leave") {
    std::string id = p->id;
    leave (id, "left", false, true);
    close (c, room::CLOSE_LEAVE, "leave");
  }
  /* "pong": its arrival was all that mattered */
}

/* The room's token, or a JSON Web Token for it (aud: the room) that
 * permits viewing; without a token nor a JWT key, anyone. */
static bool join_permitted (const RoomHub::Settings &s, bool has_token, const std::string &token,
                            unsigned &permissions, std::string &why)
{
  permissions = PERMIT_ALL;
  if (s.token.empty () && s.jwt.key.empty ())
    return true;
  if (!has_token) {
    why = "this room needs a token";
    return false;
  }
  JwtCheck check = s.jwt;
  check.audience = s.name;
  check.implied = PERMIT_VIEW | PERMIT_PUBLISH; /* a participant, unless the token says */
  if (!token_admits (token, s.token, check, permissions, why))
    return false;
  if (!(permissions & PERMIT_VIEW)) {
    why = "the token does not permit joining (view)";
    return false;
  }
  return true;
}

void RoomHub::handle_join (Connection &c, const Message &m)
{
  JsonObject *o = m.object ();
  std::string error, name, token, resume_id, resume_secret;
  gint64 v = 0, chat_seq = -1;
  bool has_token = false, has_resume = false;
  JsonObject *resume = nullptr;
  if (!room::member_int (o, "v", v, error) ||
      !room::member_string (o, "name", name, room::MAX_NAME_CHARS, error) ||
      !room::member_string (o, "token", token, room::MAX_TOKEN_CHARS, error, true, &has_token) ||
      !room::member_object (o, "resume", resume, error, &has_resume) ||
      (has_resume && (!room::member_string (resume, "id", resume_id, room::MAX_ID_CHARS, error) ||
                      !room::member_string (resume, "secret", resume_secret, 128, error) ||
                      (json_object_has_member (resume, "chat_seq") &&
                       !room::member_int (resume, "chat_seq", chat_seq, error))))) {
    send_error (c, "bad-message", error, "join");
    return;
  }
  if (name.empty ()) {
    send_error (c, "bad-message", "'name' is empty", "join");
    return;
  }
  if (v != room::PROTOCOL_VERSION) {
    send_error (c, "version", "this room speaks version " + std::to_string (room::PROTOCOL_VERSION),
                "join");
    close (c, room::CLOSE_VERSION, "version");
    return;
  }
  Settings s = settings_ ();
  unsigned permissions = PERMIT_ALL;
  std::string why;
  bool ok = join_permitted (s, has_token, token, permissions, why);
  if (ok && events_.authorize) {
    GstStructure *request = authorize_request (
        "join", "/room/" + s.name, s.name, c.remote,
        c.headers ? gst_structure_copy (c.headers.get ()) : nullptr, permissions);
    gst_structure_set (request, "name", G_TYPE_STRING, name.c_str (), nullptr);
    if (has_token)
      gst_structure_set (request, "token", G_TYPE_STRING, token.c_str (), nullptr);
    ok = events_.authorize (request, permissions);
    if (!ok)
      why = "refused by the application";
    else if (!(permissions & PERMIT_VIEW))
      ok = false, why = "not permitted: view";
  }
  if (!ok) {
    GST_INFO_OBJECT (log_, "socket %" G_GUINT64_FORMAT ": %s", c.serial, why.c_str ());
    send_error (c, "unauthorized", why, "join");
    close (c, room::CLOSE_UNAUTHORIZED, "unauthorized");
    return;
  }

  std::string id;
  bool resume_refused = false;
  if (has_resume) {
    Participant *live = find (resume_id);
    if (live && secret_equal (live->secret, resume_secret)) {
      /* Back before its old socket was found dead: that one goes now. */
      Connection *old = live->conn;
      leave (resume_id, "disconnected", true, true);
      if (old)
        close (*old, room::CLOSE_TIMEOUT, "resumed on another connection");
    }
    auto it = departed_.find (resume_id);
    if (it != departed_.end () && it->second.until_us >= g_get_monotonic_time () &&
        secret_equal (it->second.secret, resume_secret)) {
      id = resume_id;
      departed_.erase (it);
    } else {
      resume_refused = true;
    }
  }
  if (participants_.size () >= s.max_participants) {
    send_error (c, "full",
                "the room is full (" + std::to_string (s.max_participants) + " participants)",
                "join");
    close (c, room::CLOSE_FULL, "full");
    return;
  }
  std::string secret;
  if (!random_secret (secret)) {
    GST_ERROR_OBJECT (log_, "no random bytes from /dev/urandom: cannot give a secret");
    send_error (c, "internal", "the room failed", "join");
    close (c, room::CLOSE_INTERNAL, "internal error");
    return;
  }
  if (id.empty ())
    id = new_id_ ();
  if (resume_refused)
    send_error (c, "resume", "no participant to resume with that id and secret; you are " + id,
                "join");

  auto p = std::make_unique<Participant> ();
  p->id = id;
  p->name = name;
  p->secret = secret;
  p->conn = &c;
  p->permissions = permissions;
  c.participant = id;
  c.last_ping_us = g_get_monotonic_time ();

  room::Welcome welcome;
  welcome.room = s.name;
  welcome.id = id;
  welcome.secret = secret;
  for (auto &other : participants_)
    welcome.roster.push_back ({other->id, other->name, other->tracks, false});
  if (!pipeline_tracks_.empty ())
    welcome.roster.push_back ({room::PIPELINE_ID, room::PIPELINE_ID, pipeline_tracks_, true});
  welcome.ice_servers = s.turn_secret.empty ()
                            ? s.ice_servers
                            : parse_ice_servers (turn_rest_fill (s.ice_server_urls, s.turn_secret,
                                                                 s.turn_lifetime_s, s.name),
                                                 nullptr);
  welcome.max_participants = s.max_participants;
  welcome.messages_per_second = s.messages_per_second;
  welcome.data_channels = s.data_channels;
  send (c, room::welcome_message (welcome));
  /* Who speaks now (audio mixing): a newcomer learns it at once. */
  for (auto &kv : speaking_)
    send (c, room::speaking_message (kv.first, true, kv.second, kv.first == active_speaker_));
  for (const std::string &muted : host_muted_)
    send (c, room::audio_muted_message (muted, true));
  /* Back in time: the chat it missed (what it last saw: resume.chat_seq). */
  if (has_resume && !resume_refused && chat_seq >= 0)
    for (auto &kv : chat_log_)
      if (kv.first > (guint64)chat_seq)
        send (c, kv.second);
  broadcast (room::joined_message ({id, name, {}, false}));
  Participant &ref = *p;
  participants_.push_back (std::move (p));
  GST_INFO_OBJECT (log_, "%s joined from %s (%u in the room)", id.c_str (), c.remote.c_str (),
                   (guint)participants_.size ());
  events_.participants_changed ((guint)participants_.size ());
  events_.session_requested (ref.id, ref.name, nullptr);
}

void RoomHub::handle_description (Participant &p, const Message &m)
{
  JsonObject *desc = nullptr;
  bool present = false;
  std::string error, type, text;
  if (!room::member_object (m.object (), "sdp", desc, error, &present) || !present ||
      !room::member_string (desc, "type", type, 0, error) ||
      !room::member_string (desc, "sdp", text, 0, error)) {
    send_error (*p.conn, "bad-message", present ? error : "'sdp' is missing", "description");
    return;
  }
  if (type != "offer" && type != "answer") {
    send_error (*p.conn, "bad-message", "'sdp.type' must be offer or answer", "description");
    return;
  }
  GstSDPMessage *parsed = nullptr;
  gst_sdp_message_new (&parsed);
  SdpPtr sdp (parsed, gst_sdp_message_free);
  /* GstSDP takes no empty text (a critical). */
  if (text.empty () ||
      gst_sdp_message_parse_buffer ((const guint8 *)text.data (), (guint)text.size (), parsed) !=
          GST_SDP_OK ||
      !sdp_validate_offer (parsed, error, room_max_mlines (settings_ ().max_participants))) {
    send_error (*p.conn, "bad-message",
                "the SDP does not parse" + (error.empty () ? "" : ": " + error), "description");
    return;
  }
  if (type == "answer") {
    if (!p.room_offer) {
      send_error (*p.conn, "state", "no offer of the room waits for an answer", "description");
      return;
    }
    p.room_offer = false;
  } else if (p.room_offer) {
    send_error (*p.conn, "glare", "the room's offer is outstanding: answer it, then offer again",
                "description");
    return;
  } else if (p.client_offer) {
    send_error (*p.conn, "state", "your previous offer is not answered yet", "description");
    return;
  } else {
    p.client_offer = true;
  }
  p.mids = room::sdp_mids (parsed);
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy (parsed, &copy);
  p.client_sdp = std::move (sdp);
  GstWebRTCSessionDescription *d = gst_webrtc_session_description_new (
      type == "offer" ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, copy);
  GST_DEBUG_OBJECT (log_, "%s: %s", p.id.c_str (), type.c_str ());
  events_.session_description (p.id, d);
  gst_webrtc_session_description_free (d);
}

void RoomHub::handle_candidate (Participant &p, const Message &m)
{
  JsonNode *node = json_object_get_member (m.object (), "candidate");
  if (!node) {
    send_error (*p.conn, "bad-message", "'candidate' is missing", "candidate");
    return;
  }
  if (p.mids.empty ()) {
    send_error (*p.conn, "state", "no description was exchanged yet", "candidate");
    return;
  }
  if (JSON_NODE_HOLDS_NULL (node)) {
    events_.ice_candidate (p.id, 0, nullptr);
    return;
  }
  std::string error, text, mid;
  bool has_mid = false;
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : nullptr;
  if (!o || !room::member_string (o, "candidate", text, room::MAX_CANDIDATE_CHARS, error) ||
      !room::member_string (o, "sdpMid", mid, room::MAX_MID_CHARS, error, true, &has_mid)) {
    send_error (*p.conn, "bad-message", o ? error : "'candidate' must be an object or null",
                "candidate");
    return;
  }
  gint64 index = -1;
  JsonNode *index_node = json_object_get_member (o, "sdpMLineIndex");
  if (index_node && !JSON_NODE_HOLDS_NULL (index_node) &&
      !room::member_int (o, "sdpMLineIndex", index, error)) {
    send_error (*p.conn, "bad-message", error, "candidate");
    return;
  }
  if (index < 0 && has_mid) {
    auto it = std::find (p.mids.begin (), p.mids.end (), mid);
    index = it == p.mids.end () ? (gint64)p.mids.size () : it - p.mids.begin ();
  }
  if (index < 0 || index >= (gint64)p.mids.size ()) {
    send_error (*p.conn, "bad-message",
                index < 0 ? "'sdpMid' or 'sdpMLineIndex' is needed"
                          : "no such m-line in the description",
                "candidate");
    return;
  }
  if (g_str_has_prefix (text.c_str (), "a="))
    text = text.substr (2);
  if (!text.empty () && !g_str_has_prefix (text.c_str (), "candidate:")) {
    send_error (*p.conn, "bad-message",
                "'candidate.candidate' must start with candidate:", "candidate");
    return;
  }
  events_.ice_candidate (p.id, (guint)index, text.empty () ? nullptr : text.c_str ());
}

void RoomHub::handle_track (Participant &p, const Message &m)
{
  JsonObject *o = m.object ();
  std::string error, action, mid;
  if (!room::member_string (o, "action", action, 0, error) ||
      !room::member_string (o, "mid", mid, room::MAX_MID_CHARS, error)) {
    send_error (*p.conn, "bad-message", error, "track");
    return;
  }
  auto it = std::find_if (p.tracks.begin (), p.tracks.end (),
                          [&mid] (const room::Track &t) { return t.id == mid; });
  if (action == "unpublish") {
    if (it == p.tracks.end ()) {
      send_error (*p.conn, "state", "mid " + mid + " is not published", "track");
      return;
    }
    room::Track gone = *it;
    p.tracks.erase (it);
    broadcast (room::track_message ("unpublished", p.id, gone), &p);
    events_.track_unpublished (p.id, mid);
    return;
  }
  room::Track t;
  t.id = mid;
  if (action != "publish") {
    send_error (*p.conn, "bad-message", "'action' must be publish or unpublish", "track");
    return;
  }
  if (!room::member_string (o, "kind", t.kind, 0, error) ||
      !room::member_string (o, "label", t.label, room::MAX_LABEL_CHARS, error)) {
    send_error (*p.conn, "bad-message", error, "track");
    return;
  }
  if (!(p.permissions & PERMIT_PUBLISH)) {
    send_error (*p.conn, "forbidden", "the token does not permit publishing", "track");
    return;
  }
  if ((t.kind != "video" && t.kind != "audio") || mid.empty () || t.label.empty ()) {
    send_error (*p.conn, "bad-message",
                "'kind' must be video or audio, 'mid' and 'label' not empty", "track");
    return;
  }
  if (it != p.tracks.end ()) {
    send_error (*p.conn, "state", "mid " + mid + " is published already", "track");
    return;
  }
  bool exists = false;
  std::string sent =
      p.client_sdp ? room::sdp_sending_media (p.client_sdp.get (), mid, exists) : std::string ();
  if (!exists || sent.empty ()) {
    send_error (*p.conn, "state",
                "mid " + mid + " sends nothing in your last description: publish after it",
                "track");
    return;
  }
  if (sent != t.kind) {
    send_error (*p.conn, "bad-message", "mid " + mid + " is a " + sent + " m-line", "track");
    return;
  }
  p.tracks.push_back (t);
  broadcast (room::track_message ("published", p.id, t), &p);
  GST_INFO_OBJECT (log_, "%s publishes %s %s (mid %s)", p.id.c_str (), t.kind.c_str (),
                   t.label.c_str (), mid.c_str ());
  events_.track_published (p.id, t);
}

void RoomHub::handle_mute (Participant &p, const Message &m)
{
  std::string error, mid;
  bool muted = false;
  if (!room::member_string (m.object (), "mid", mid, room::MAX_MID_CHARS, error) ||
      !room::member_bool (m.object (), "muted", muted, error)) {
    send_error (*p.conn, "bad-message", error, "mute");
    return;
  }
  auto it = std::find_if (p.tracks.begin (), p.tracks.end (),
                          [&mid] (const room::Track &t) { return t.id == mid; });
  if (it == p.tracks.end ()) {
    send_error (*p.conn, "state", "mid " + mid + " is not published", "mute");
    return;
  }
  it->muted = muted;
  broadcast (Writer ("mute")
                 .string ("participant", p.id)
                 .string ("track", mid)
                 .boolean ("muted", muted)
                 .text (),
             &p);
}

/* What @p hears of another participant, in a room that mixes audio (the
 * element applies it; a forwarding room has nothing to do: the page sets
 * its own players' volumes). */
void RoomHub::handle_volume (Participant &p, const Message &m)
{
  std::string error, who;
  double volume = 1;
  if (!room::member_string (m.object (), "participant", who, room::MAX_ID_CHARS, error) ||
      !room::member_number (m.object (), "volume", 0, 2, volume, error)) {
    send_error (*p.conn, "bad-message", error, "volume");
    return;
  }
  if (who == p.id || (who != room::PIPELINE_ID && !find (who))) {
    send_error (*p.conn, "state", "'" + who + "' is not another participant of the room", "volume");
    return;
  }
  if (events_.audio_volume)
    events_.audio_volume (p.id, who, volume);
}

void RoomHub::handle_chat (Participant &p, const Message &m)
{
  std::string error, text;
  if (!room::member_string (m.object (), "text", text, room::MAX_CHAT_CHARS, error)) {
    send_error (*p.conn, "bad-message", error, "chat");
    return;
  }
  if (text.empty ()) {
    send_error (*p.conn, "bad-message", "'text' is empty", "chat");
    return;
  }
  guint64 seq = post_chat (p.id, p.name, text);
  events_.chat (p.id, p.name, text, seq);
}

guint64 RoomHub::post_chat (const std::string &from, const std::string &name,
                            const std::string &text)
{
  guint64 seq = ++chat_seq_;
  std::string msg = room::chat_message (from, name, text, seq);
  broadcast (msg);
  chat_log_.emplace_back (seq, std::move (msg));
  if (chat_log_.size () > room::CHAT_REPLAY)
    chat_log_.pop_front ();
  return seq;
}

} // namespace rtc

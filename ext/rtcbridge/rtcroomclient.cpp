/* See rtcroomclient.h. */
#include "rtcroomclient.h"

#include <libsoup/soup.h>
#include <algorithm>
#include <vector>

#include "rtcroomprotocol.h"
#include "rtcroomroster.h"

GST_DEBUG_CATEGORY_STATIC (rtc_room_client_debug);
#define GST_CAT_DEFAULT rtc_room_client_debug

namespace rtc {

namespace {

constexpr guint RETRY_DELAY_MIN_MS = 500;
constexpr guint RETRY_DELAY_MAX_MS = 10000;
constexpr guint SILENCE_TIMEOUT_MS = 15000;
constexpr guint STOP_WAIT_MS = 1000;
/* The room's descriptions grow with its tracks (about 3 KB an m-line); a
 * client's own messages stay within MAX_MESSAGE_BYTES. */
constexpr gsize MAX_INCOMING_BYTES = 1024 * 1024;

using SdpPtr = std::unique_ptr<GstSDPMessage, decltype (&gst_sdp_message_free)>;
using DescriptionPtr =
    std::unique_ptr<GstWebRTCSessionDescription, decltype (&gst_webrtc_session_description_free)>;

SdpPtr copy_sdp (const GstSDPMessage *sdp)
{
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy (sdp, &copy);
  return SdpPtr (copy, gst_sdp_message_free);
}

} // namespace

/* The connection and the session, as the client's thread knows them. */
struct RoomClient::Link : std::enable_shared_from_this<RoomClient::Link> {
  Link (Settings s, Output o, ControlThread &t)
      : settings (std::move (s)), out (std::move (o)), thread (t)
  {}

  Settings settings;
  Output out;
  ControlThread &thread;
  bool running = false;                  /* between start () and stop () */
  bool failed = false;                   /* gave up: nothing more until started again */
  SoupSession *session = nullptr;        /* owned */
  GCancellable *connecting = nullptr;    /* the upgrade under way, owned */
  SoupWebsocketConnection *ws = nullptr; /* owned, our handlers connected */
  bool joined = false;                   /* welcome received on this socket */
  bool ever_joined = false;              /* since start () */
  gint64 started_us = 0;
  std::string id, secret, room;                     /* from the latest welcome */
  bool resumable = false;                           /* join again with resume {id, secret} */
  std::string session_id;                           /* the live session ("" when none) */
  bool offer_out = false;                           /* our offer waits for the room's answer */
  SdpPtr unanswered{nullptr, gst_sdp_message_free}; /* that offer: announced once answered */
  std::vector<std::string> mids, room_mids;         /* of our / the room's latest description */
  room::Publications published;
  room::Roster roster;
  std::string error_code, error_message; /* the room's latest error */
  guint failures = 0;
  guint64 retry_serial = 0; /* of the back-off timer allowed to reconnect */
  gint64 last_rx_us = 0, last_ping_us = 0;

  void set_state (const std::string &state, const std::string &detail);
  void send (const std::string &text);
  void reset_negotiation ();
  void end_live_session ();
  void drop_socket (gushort code, const char *reason);
  void retry_later (const std::string &why);
  void fail (const std::string &message);
  void leave_and_rejoin (const std::string &why);
  std::string refusal (gushort code) const;
  void lost (gushort code, const std::string &reason);
  void connect ();
  void keepalive ();
  void iterate_until (const std::function<bool ()> &done, guint timeout_ms);
  void shut_down ();

  void handle (const room::Message &m);
  void handle_welcome (const room::Message &m);
  void handle_description (const room::Message &m);
  void handle_candidate (const room::Message &m);
  void handle_error (const room::Message &m);
  void announce (const GstSDPMessage *sdp);

  static void on_connected (GObject *source, GAsyncResult *result, gpointer data);
  static void on_message (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data);
  static void on_closed (SoupWebsocketConnection *ws, gpointer data);
  static void on_error (SoupWebsocketConnection *ws, GError *error, gpointer data);
};

using Link = RoomClient::Link;

void Link::set_state (const std::string &state, const std::string &detail)
{
  GST_INFO ("%s: %s", state.c_str (), detail.c_str ());
  out.state (state, detail);
}

void Link::send (const std::string &text)
{
  if (ws && soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (ws, text.c_str ());
}

void Link::reset_negotiation ()
{
  offer_out = false;
  unanswered.reset ();
  mids.clear ();
  room_mids.clear ();
  published.clear ();
}

/* The live session is over: the element hears of it (not when it ended
 * the session itself: then session_id is already empty). */
void Link::end_live_session ()
{
  std::string ended;
  ended.swap (session_id);
  reset_negotiation ();
  if (!ended.empty () && running)
    out.session_ended (ended);
}

/* Lets the socket go: closed with @code when still open. */
void Link::drop_socket (gushort code, const char *reason)
{
  joined = false;
  if (!ws)
    return;
  g_signal_handlers_disconnect_by_data (ws, this);
  if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (ws, code, reason);
  g_clear_object (&ws);
}

/* Joins again after the back-off, or gives up when no welcome came within
 * the join timeout. */
void Link::retry_later (const std::string &why)
{
  if (!running || failed)
    return;
  guint delay =
      (guint)MIN ((guint64)RETRY_DELAY_MAX_MS, (guint64)RETRY_DELAY_MIN_MS << MIN (failures, 16u));
  if (!ever_joined && settings.join_timeout_ms > 0) {
    gint64 left_ms =
        (gint64)settings.join_timeout_ms - (g_get_monotonic_time () - started_us) / 1000;
    if (left_ms <= 0) {
      g_autofree gchar *tried = g_strdup_printf ("%.1f", settings.join_timeout_ms / 1000.0);
      fail ("Could not join the room at " + settings.url + ": " + why + " (tried for " + tried +
            " s: check room-url, and that the pipeline hosting the room runs)");
      return;
    }
    delay = (guint)MIN ((gint64)delay, left_ms);
  }
  failures++;
  guint64 serial = ++retry_serial;
  set_state ("retrying", why + "; joining again in " + std::to_string (delay) + " ms");
  std::weak_ptr<Link> weak = shared_from_this ();
  thread.after (delay, [weak, serial] () {
    auto l = weak.lock ();
    if (l && l->running && !l->failed && serial == l->retry_serial)
      l->connect ();
  });
}

/* Gives up: retrying cannot fix @message. */
void Link::fail (const std::string &message)
{
  if (joined)
    send (room::Writer ("leave").text ());
  drop_socket (room::CLOSE_LEAVE, "leave");
  end_live_session ();
  failed = true;
  resumable = false;
  retry_serial++;
  set_state ("failed", message);
  if (running)
    out.error (message);
}

/* Leaves the room and joins again as a new participant. */
void Link::leave_and_rejoin (const std::string &why)
{
  if (joined)
    send (room::Writer ("leave").text ());
  drop_socket (room::CLOSE_LEAVE, "leave");
  reset_negotiation ();
  resumable = false;
  retry_later (why);
}

/* Why the room refused us for good, from its close @code and its last
 * error; "" when trying again may work. */
std::string Link::refusal (gushort code) const
{
  const std::string &e = error_code;
  const std::string &url = settings.url;
  std::string detail = error_message.empty () ? "" : " (" + error_message + ")";
  if (e == "unauthorized" || code == room::CLOSE_UNAUTHORIZED)
    return "The room at " + url + " refused to let us in: " +
           (settings.token.empty () ? "it needs a token, set auth-token"
                                    : "wrong token, check auth-token");
  if (e == "full" || code == room::CLOSE_FULL)
    return "The room at " + url + " refused to let us in: it is full (max-participants)";
  if (e == "version" || code == room::CLOSE_VERSION)
    return "The room at " + url + " speaks another version of the room protocol" + detail;
  if (e == "too-big" || code == room::CLOSE_TOO_BIG || code == room::CLOSE_FLOOD)
    return "The room at " + url + " closed our connection: " +
           (code == room::CLOSE_FLOOD ? "too many messages" : "a message too big") + detail;
  if (e == "bad-request" || e == "not-acceptable" || e == "unavailable" || e == "conflict")
    return "The room at " + url + " refused our session" + detail;
  return {};
}

static std::string close_words (gushort code, const std::string &reason)
{
  std::string what;
  switch (code) {
  case room::CLOSE_LEAVE:
    what = "the room ended our session";
    break;
  case room::CLOSE_STOPPED:
    what = "the room stopped";
    break;
  case room::CLOSE_INTERNAL:
    what = "the room failed";
    break;
  case room::CLOSE_TIMEOUT:
    what = "the room timed us out";
    break;
  default:
    what = "the connection to the room dropped";
    break;
  }
  if (code)
    what += " (" + std::to_string (code) + (reason.empty () ? "" : " " + reason) + ")";
  return what;
}

/* The socket is gone (closed by the room, cut, or silent): give up, or end
 * the session and join again. */
void Link::lost (gushort code, const std::string &reason)
{
  drop_socket (room::CLOSE_TIMEOUT, "timeout");
  std::string fatal = refusal (code);
  error_code.clear ();
  error_message.clear ();
  if (!fatal.empty ()) {
    fail (fatal);
    return;
  }
  /* A participant the room ended (1000) cannot resume; the others may,
   * within the room's grace period. */
  resumable = code != room::CLOSE_LEAVE && !id.empty ();
  end_live_session ();
  retry_later (close_words (code, reason));
}

/* ---- the room's messages ------------------------------------------------ */

/* `track publish`/`unpublish` for what @sdp (our description, the room has
 * it) sends now. */
void Link::announce (const GstSDPMessage *sdp)
{
  for (auto &text : published.update (sdp)) {
    GST_INFO ("announce %s", text.c_str ());
    send (text);
  }
}

void Link::handle_welcome (const room::Message &m)
{
  JsonObject *o = m.object ();
  std::string error, new_id, new_secret, name;
  if (!room::member_string (o, "id", new_id, 64, error) ||
      !room::member_string (o, "secret", new_secret, 256, error) ||
      !room::member_string (o, "room", name, 0, error, true)) {
    GST_WARNING ("a welcome without what we need: %s", error.c_str ());
    lost (0, "bad welcome");
    return;
  }
  bool resumed = !id.empty () && id == new_id;
  joined = ever_joined = true;
  id = new_id;
  secret = new_secret;
  room = name.empty () ? RoomClient::room_name_of (settings.url) : name;
  resumable = false;
  failures = 0;
  error_code.clear ();
  JsonNode *members = json_object_get_member (o, "roster");
  roster.reset (members && JSON_NODE_HOLDS_ARRAY (members) ? json_node_get_array (members)
                                                           : nullptr);
  JsonNode *servers = json_object_get_member (o, "ice_servers");
  std::string ice = room::ice_server_urls (
      servers && JSON_NODE_HOLDS_ARRAY (servers) ? json_node_get_array (servers) : nullptr);
  std::string roster_text = roster.json ();
  out.values (&id, &roster_text, &ice);
  set_state ("joined", id + (resumed ? " (resumed)" : "") + " in room " + room);
}

void Link::handle_description (const room::Message &m)
{
  JsonObject *desc = nullptr;
  bool present = false;
  std::string error, type, text;
  if (!room::member_object (m.object (), "sdp", desc, error, &present) || !present ||
      !room::member_string (desc, "type", type, 0, error) ||
      !room::member_string (desc, "sdp", text, 0, error) || (type != "offer" && type != "answer")) {
    GST_WARNING ("a description from the room we cannot read: %s",
                 error.empty () ? type.c_str () : error.c_str ());
    return;
  }
  GstSDPMessage *parsed = nullptr;
  gst_sdp_message_new (&parsed);
  /* GstSDP takes no empty text (a critical). */
  if (text.empty () ||
      gst_sdp_message_parse_buffer ((const guint8 *)text.data (), (guint)text.size (), parsed) !=
          GST_SDP_OK ||
      gst_sdp_message_medias_len (parsed) == 0) {
    GST_WARNING ("the room's %s does not parse as SDP", type.c_str ());
    gst_sdp_message_free (parsed);
    return;
  }
  bool offer = type == "offer";
  room_mids = room::sdp_mids (parsed);
  DescriptionPtr d (gst_webrtc_session_description_new (
                        offer ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, parsed),
                    gst_webrtc_session_description_free);
  if (session_id.empty ()) {
    if (!offer) {
      GST_WARNING ("the room answered before it offered; ignored");
      return;
    }
    /* The room's first offer: our session. */
    session_id = id;
    GST_INFO ("the room offers: session %s", session_id.c_str ());
    out.session_requested (session_id, room, d.get ());
    return;
  }
  SdpPtr answered{nullptr, gst_sdp_message_free};
  if (offer && offer_out) {
    /* Glare: the room's `error glare` follows. The element (polite) drops
     * its offer, answers this one and offers again. */
    GST_INFO ("the room's offer crossed ours: it wins, ours is not announced");
    offer_out = false;
    unanswered.reset ();
  } else if (!offer) {
    if (!offer_out)
      GST_WARNING ("an answer from the room while no offer of ours is out");
    offer_out = false;
    answered = std::move (unanswered);
  }
  std::string session = session_id;
  out.session_description (session, d.get ());
  if (answered && session == session_id)
    announce (answered.get ());
}

void Link::handle_candidate (const room::Message &m)
{
  if (session_id.empty ())
    return;
  JsonNode *node = json_object_get_member (m.object (), "candidate");
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return; /* the end of the room's candidates: webrtcbin needs nothing */
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : nullptr;
  std::string error, text, mid;
  bool has_mid = false;
  if (!o || !room::member_string (o, "candidate", text, room::MAX_CANDIDATE_CHARS, error) ||
      !room::member_string (o, "sdpMid", mid, room::MAX_MID_CHARS, error, true, &has_mid)) {
    GST_WARNING ("a candidate from the room we cannot read: %s", error.c_str ());
    return;
  }
  gint64 index = -1;
  JsonNode *index_node = json_object_get_member (o, "sdpMLineIndex");
  if (index_node && JSON_NODE_HOLDS_VALUE (index_node) &&
      json_node_get_value_type (index_node) == G_TYPE_INT64)
    index = json_node_get_int (index_node);
  if (index < 0 && has_mid) {
    auto it = std::find (room_mids.begin (), room_mids.end (), mid);
    if (it != room_mids.end ())
      index = it - room_mids.begin ();
  }
  if (g_str_has_prefix (text.c_str (), "a="))
    text = text.substr (2);
  if (text.empty ())
    return; /* "" also ends the room's candidates */
  if (index < 0 || index >= (gint64)room_mids.size ()) {
    GST_WARNING ("a candidate for an m-line we do not know (mid %s)", mid.c_str ());
    return;
  }
  out.ice_candidate (session_id, (guint)index, text);
}

void Link::handle_error (const room::Message &m)
{
  std::string error, code, message, ref;
  room::member_string (m.object (), "code", code, 64, error, true);
  room::member_string (m.object (), "message", message, 1024, error, true);
  room::member_string (m.object (), "ref", ref, 64, error, true);
  error_code = code;
  error_message = message;
  if (code == "glare")
    GST_INFO ("the room ignored our offer (its own was out): %s", message.c_str ());
  else if (code == "resume")
    GST_INFO ("the room could not resume us; we join as a new participant: %s", message.c_str ());
  else if (!refusal (0).empty () || code == "internal")
    GST_INFO ("the room refuses: %s: %s", code.c_str (), message.c_str ());
  else
    GST_WARNING ("the room answered our %s with error %s: %s",
                 ref.empty () ? "message" : ref.c_str (), code.c_str (), message.c_str ());
}

void Link::handle (const room::Message &m)
{
  const std::string &type = m.type ();
  GST_LOG ("room: %s", type.c_str ());
  if (type == "welcome") {
    handle_welcome (m);
  } else if (type == "error") {
    handle_error (m);
  } else if (!joined) {
    GST_DEBUG ("a %s before the welcome; ignored", type.c_str ());
  } else if (type == "description") {
    handle_description (m);
  } else if (type == "candidate") {
    handle_candidate (m);
  } else if (type == "ping") {
    room::Writer pong ("pong");
    JsonNode *ts = json_object_get_member (m.object (), "ts");
    if (ts && JSON_NODE_HOLDS_VALUE (ts))
      pong.node ("ts", json_node_copy (ts));
    send (pong.text ());
  } else if (type == "joined" || type == "left" || type == "track" || type == "mute") {
    if (roster.apply (m)) {
      std::string text = roster.json ();
      out.values (nullptr, &text, nullptr);
    }
  } else if (type != "pong" && type != "chat") {
    GST_DEBUG ("a %s from the room; ignored", type.c_str ());
  }
}

/* ---- the socket --------------------------------------------------------- */

void Link::on_message (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  auto l = static_cast<Link *> (data);
  if (ws != l->ws || !l->running)
    return;
  l->last_rx_us = g_get_monotonic_time ();
  gsize len = 0;
  const char *text = static_cast<const char *> (g_bytes_get_data (message, &len));
  room::Message m;
  std::string error;
  if (type != SOUP_WEBSOCKET_DATA_TEXT || !m.parse (text ? text : "", len, error)) {
    GST_WARNING ("the room sent something that is not a message: %s",
                 type != SOUP_WEBSOCKET_DATA_TEXT ? "a binary frame" : error.c_str ());
    return;
  }
  l->handle (m);
}

void Link::on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  auto l = static_cast<Link *> (data);
  if (ws != l->ws || !l->running)
    return;
  gushort code = soup_websocket_connection_get_close_code (ws);
  const char *reason = soup_websocket_connection_get_close_data (ws);
  l->lost (code, reason ? reason : "");
}

void Link::on_error (SoupWebsocketConnection *, GError *error, gpointer)
{
  GST_INFO ("socket: %s", error->message);
}

namespace {
struct ConnectContext {
  std::weak_ptr<Link> link;
  SoupMessage *msg; /* owned */
  ~ConnectContext () { g_object_unref (msg); }
};
} // namespace

void Link::on_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  std::unique_ptr<ConnectContext> ctx (static_cast<ConnectContext *> (data));
  g_autoptr (GError) error = nullptr;
  SoupWebsocketConnection *ws =
      soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  auto l = ctx->link.lock ();
  if (l)
    g_clear_object (&l->connecting);
  if (!l || !l->running || l->failed || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    if (ws)
      g_object_unref (ws);
    return;
  }
  guint status = soup_message_get_status (ctx->msg);
  const std::string &url = l->settings.url;
  if (!ws) {
    const char *phrase = soup_message_get_reason_phrase (ctx->msg);
    std::string why = status >= 100
                          ? "HTTP " + std::to_string (status) + " " + (phrase ? phrase : "")
                          : std::string (error ? error->message : "failed");
    /* A server that answers but will not upgrade will not change its mind
     * (no such room, origin or subprotocol refused). */
    if (status >= 400 && status < 500 && status != 408 && status != 429)
      l->fail ("Could not join the room at " + url + ": " + why +
               (status == 404 ? " (no such room: check room-url)" : ""));
    else
      l->retry_later ("cannot reach the room: " + why);
    return;
  }
  l->ws = ws;
  g_signal_connect (ws, "message", G_CALLBACK (on_message), l.get ());
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), l.get ());
  g_signal_connect (ws, "error", G_CALLBACK (on_error), l.get ());
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_INCOMING_BYTES);
  l->last_rx_us = l->last_ping_us = g_get_monotonic_time ();
  l->error_code.clear ();
  l->error_message.clear ();
  bool resume = l->resumable && !l->id.empty ();
  /* Never the message itself in the log: it holds the token. */
  GST_INFO ("join as '%s' (%s token%s)", l->settings.name.c_str (),
            l->settings.token.empty () ? "no" : "a",
            resume ? (", resuming " + l->id).c_str () : "");
  l->send (room::join_message (l->settings.name, l->settings.token, resume ? l->id : "",
                               resume ? l->secret : ""));
}

void Link::connect ()
{
  if (!running || failed || ws || connecting)
    return;
  SoupMessage *msg = soup_message_new ("GET", settings.url.c_str ());
  if (!msg) {
    fail ("room-url '" + settings.url + "' is not a ws:// or wss:// URL");
    return;
  }
  connecting = g_cancellable_new ();
  set_state ("connecting", settings.url);
  const char *protocols[] = {room::SUBPROTOCOL, nullptr};
  soup_session_websocket_connect_async (session, msg, nullptr, const_cast<char **> (protocols),
                                        G_PRIORITY_DEFAULT, connecting, on_connected,
                                        new ConnectContext{weak_from_this (), msg});
}

/* Every second: our ping, and a room that went silent. */
void Link::keepalive ()
{
  if (!running || !ws)
    return;
  gint64 now = g_get_monotonic_time ();
  if (now - last_rx_us > (gint64)SILENCE_TIMEOUT_MS * 1000) {
    GST_WARNING ("nothing from the room for %u ms", SILENCE_TIMEOUT_MS);
    lost (0, joined ? "" : "no welcome");
  } else if (joined && now - last_ping_us >= (gint64)room::PING_INTERVAL_MS * 1000) {
    last_ping_us = now;
    send (room::Writer ("ping").integer ("ts", g_get_real_time () / 1000).text ());
  }
}

/* Runs the thread's context until @done or @timeout_ms (from a task on
 * that thread: the context may be iterated again). */
void Link::iterate_until (const std::function<bool ()> &done, guint timeout_ms)
{
  GMainContext *ctx = thread.context ();
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  while (ctx && !done () && g_get_monotonic_time () < end) {
    if (!g_main_context_iteration (ctx, FALSE))
      g_usleep (2000);
  }
}

void Link::shut_down ()
{
  if (!running)
    return;
  running = false;
  retry_serial++;
  if (connecting) {
    g_cancellable_cancel (connecting);
    iterate_until ([this] () { return connecting == nullptr; }, STOP_WAIT_MS);
  }
  if (ws) {
    SoupWebsocketConnection *socket = ws;
    g_signal_handlers_disconnect_by_data (socket, this);
    if (soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_OPEN) {
      if (joined)
        send (room::Writer ("leave").text ());
      soup_websocket_connection_close (socket, room::CLOSE_LEAVE, "leave");
      /* The leave and the close frame go out before the socket does. */
      iterate_until (
          [socket] () {
            return soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_CLOSED;
          },
          STOP_WAIT_MS);
    }
    g_clear_object (&ws);
  }
  joined = false;
  session_id.clear ();
  reset_negotiation ();
  roster.clear ();
  if (session) {
    soup_session_abort (session);
    g_clear_object (&session);
  }
}

/* ---- RoomClient --------------------------------------------------------- */

RoomClient::RoomClient (Settings settings, Output output, ControlThread &thread)
    : link_ (std::make_shared<Link> (std::move (settings), std::move (output), thread))
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_room_client_debug, "rtcroomclient", 0,
                             "A participant's connection to a room");
    g_once_init_leave (&once, 1);
  }
}

RoomClient::~RoomClient ()
{
  link_->shut_down ();
}

void RoomClient::start ()
{
  Link &l = *link_;
  if (l.running)
    return;
  l.running = true;
  l.failed = false;
  l.ever_joined = false;
  l.failures = 0;
  l.id.clear ();
  l.started_us = g_get_monotonic_time ();
  l.session = soup_session_new_with_options ("user-agent", "gst-rtcbridge", nullptr);
  std::weak_ptr<Link> weak = link_;
  l.thread.every (1000, [weak] () {
    auto link = weak.lock ();
    if (link)
      link->keepalive ();
    return link != nullptr;
  });
  l.connect ();
}

void RoomClient::stop ()
{
  Link &l = *link_;
  if (!l.running)
    return;
  l.shut_down ();
  l.set_state ("stopped", l.settings.url);
}

void RoomClient::send_description (const std::string &session, GstWebRTCSDPType type,
                                   const GstSDPMessage *sdp)
{
  Link &l = *link_;
  if (!l.running || !l.joined || session != l.session_id) {
    GST_DEBUG ("a description for session %s, which is not live: dropped", session.c_str ());
    return;
  }
  l.send (room::participant_description_message (type, sdp));
  l.mids = room::sdp_mids (sdp);
  if (type == GST_WEBRTC_SDP_TYPE_ANSWER) {
    l.announce (sdp);
    return;
  }
  l.offer_out = true;
  l.unanswered = copy_sdp (sdp);
}

void RoomClient::send_candidate (const std::string &session, guint mline, const char *candidate)
{
  Link &l = *link_;
  if (!l.running || !l.joined || session != l.session_id || l.mids.empty ())
    return;
  l.send (room::candidate_message (mline, candidate, l.mids));
}

void RoomClient::end_session (const std::string &session)
{
  Link &l = *link_;
  if (!l.running || session != l.session_id)
    return;
  l.session_id.clear ();
  l.leave_and_rejoin ("the element ended the session");
}

void RoomClient::reject_session (const std::string &session, bool hopeless, const std::string &why)
{
  Link &l = *link_;
  if (!l.running || session != l.session_id)
    return;
  l.session_id.clear ();
  if (hopeless)
    l.fail ("Could not take the offer of the room at " + l.settings.url + ": " + why);
  else
    l.leave_and_rejoin ("the element refused the room's offer: " + why);
}

std::string RoomClient::room_name_of (const std::string &url)
{
  g_autoptr (GUri) uri = g_uri_parse (url.c_str (), G_URI_FLAGS_NONE, nullptr);
  if (!uri || !g_uri_get_host (uri) || !*g_uri_get_host (uri))
    return {};
  std::string scheme = g_uri_get_scheme (uri);
  std::string path = g_uri_get_path (uri);
  const std::string prefix = "/room/";
  if ((scheme != "ws" && scheme != "wss") || path.compare (0, prefix.size (), prefix) != 0)
    return {};
  std::string name = path.substr (prefix.size ());
  if (name.empty () || name.find ('/') != std::string::npos)
    return {};
  g_autofree gchar *unescaped = g_uri_unescape_string (name.c_str (), nullptr);
  return unescaped ? unescaped : name;
}

std::string RoomClient::display_name (const std::string &setting)
{
  std::string name = setting;
  if (name.empty ())
    name = g_get_host_name ();
  if (name.empty () || !g_utf8_validate (name.c_str (), -1, nullptr))
    name = "gstreamer";
  if (room::utf8_chars (name) > (glong)room::MAX_NAME_CHARS) {
    g_autofree gchar *cut = g_utf8_substring (name.c_str (), 0, room::MAX_NAME_CHARS);
    name = cut;
  }
  return name;
}

} // namespace rtc

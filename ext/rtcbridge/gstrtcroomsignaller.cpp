/* See gstrtcroomsignaller.h. The room itself (sockets, roster, limits,
 * keepalive, chat, relays) is rtc::RoomHub (rtcroomhub.h); this file is its
 * GObject edge: properties (their specs: gstrtcroomsignallerprops.cpp), the
 * GstRtcSignaller vfuncs, the signals and the endpoints on the embedded
 * server (the room's WebSocket and page, and its other pages). */
#include "gstrtcroomsignaller.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rtcdebug.h"
#include "rtchttpaccess.h"
#include "rtchttpauthorize.h"
#include "rtcturn.h"
#include "rtchttpserver.h"
#include "rtcroomwhip.h"
#include "rtcstatshttp.h"
#include "gstrtcroomsignallerprops.h"
#include "rtcroomhub.h"

/**
 * SECTION:gstrtcroomsignaller
 * @title: GstRtcRoomSignaller
 * @short_description: the server side of the room protocol, for webrtcroom
 *
 * A #GstRtcSignaller that hosts one multi-party room on the embedded HTTP
 * server: participants open a WebSocket on `/room/<room-name>` and speak
 * the room protocol (docs/room-protocol.md); `GET /room/<room-name>` is the
 * conference page, `GET /board/<room-name>` the collaboration page and
 * `GET /voice/<room-name>` the voice page.
 * Every participant is one session of the element (the session id is the
 * participant id); the element offers (role offerer) and candidates
 * trickle.
 *
 * Get it with `gst_dynamic_type_factory_load ("GstRtcRoomSignaller")`.
 *
 * Since: 0.1
 */

RTC_DEBUG_CATEGORY_FUNCTION (gst_rtc_room_signaller_category, "rtcroomsignaller",
                             "Room protocol server signaller")
#define GST_CAT_DEFAULT gst_rtc_room_signaller_category ()

/* How long stop() lets the participants answer the close frames. */
#define STOP_CLOSE_WAIT_MS 1000

enum {
  SIGNAL_TRACK_PUBLISHED,
  SIGNAL_TRACK_UNPUBLISHED,
  SIGNAL_CHAT,
  SIGNAL_AUDIO_VOLUME,
  SIGNAL_SEND_CHAT,
  N_SIGNALS,
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

namespace {
class RoomEndpoint;

/* The room's other pages: /<path>/<name>, served from <resource>. */
const struct {
  const char *path, *resource;
} PAGES[] = {{"board", "board.html"}, {"voice", "voice.html"}};

} // namespace

struct GstRtcRoomSignallerPrivate {
  std::mutex lock; /* guards the settings, the server and the endpoints */
  std::string address = DEFAULT_ADDRESS;
  guint port = DEFAULT_PORT;
  std::string room_name = DEFAULT_ROOM_NAME;
  std::string auth_token, jwt_key, jwt_algorithm = rtc::DEFAULT_JWT_ALGORITHM;
  std::string allowed_origins = DEFAULT_ALLOWED_ORIGINS;
  bool serve_stats = DEFAULT_SERVE_STATS;
  rtc::HttpServer::Tls tls;
  guint max_participants = DEFAULT_MAX_PARTICIPANTS;
  guint keepalive_timeout = DEFAULT_KEEPALIVE_TIMEOUT;
  guint resume_timeout = DEFAULT_RESUME_TIMEOUT;
  guint messages_per_second = DEFAULT_MESSAGES_PER_SECOND;
  std::string ice_servers;
  std::vector<rtc::IceServer> ice_server_list;
  std::string turn_secret; /* short-lived TURN credentials per welcome (rtcturn.h) */
  guint turn_lifetime_s = rtc::DEFAULT_TURN_CREDENTIAL_LIFETIME_S;
  std::string data_channels = DEFAULT_DATA_CHANNELS;
  std::string pipeline_tracks;
  std::vector<rtc::room::Track> pipeline_track_list;

  std::atomic<guint> n_participants{0};
  std::atomic<guint64> next_id{1};  /* participant ids are never reused */
  std::atomic<guint> generation{0}; /* of start(): calls posted before a restart are dropped */

  std::shared_ptr<rtc::HttpServer> server; /* while started */
  std::string started_name;                /* the name the endpoints have */
  std::unique_ptr<RoomEndpoint> room_endpoint;
  std::unique_ptr<rtc::RoomWhipEndpoint> whip_endpoint;           /* /whip-room/<name> */
  std::vector<std::unique_ptr<rtc::PageEndpoint>> page_endpoints; /* PAGES */
  /* server thread only: */
  std::unique_ptr<rtc::RoomHub> room;
};

struct _GstRtcRoomSignaller {
  GstObject parent;
  GstRtcRoomSignallerPrivate *priv;
};

static void gst_rtc_room_signaller_iface_init (GstRtcSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcRoomSignaller, gst_rtc_room_signaller, GST_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER,
                                                gst_rtc_room_signaller_iface_init));

namespace {

using Self = GstRtcRoomSignaller;

/* /room/<name>: the page, and the protocol on a WebSocket upgrade. */
class RoomEndpoint : public rtc::HttpEndpoint {
public:
  explicit RoomEndpoint (Self *self) : self_ (self) {}

  void handle_request (SoupServerMessage *msg, const std::string &method, const std::string &rest,
                       GBytes *) override
  {
    if (!rest.empty ()) {
      rtc::http_respond_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
    } else if (method == "GET" || method == "HEAD") {
      rtc::http_respond_resource (msg, "room.html");
    } else {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "GET, HEAD");
      rtc::http_respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                              method + " is not allowed here: GET the page, or open a WebSocket");
    }
  }
  void describe (JsonBuilder *b) override
  {
    auto priv = self_->priv;
    std::string name;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      name = priv->started_name;
    }
    json_builder_set_member_name (b, "participants");
    json_builder_add_int_value (b, priv->room ? priv->room->n_participants () : 0);
    for (auto &page : PAGES) {
      json_builder_set_member_name (b, page.path);
      json_builder_add_string_value (b, ("/" + std::string (page.path) + "/" + name).c_str ());
    }
  }
  bool takes_websocket () override { return true; }
  std::vector<std::string> websocket_protocols () override { return {rtc::room::SUBPROTOCOL}; }
  bool accept_websocket (SoupServerMessage *msg, const std::string &rest) override
  {
    if (!rest.empty ()) {
      rtc::http_respond_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
      return false;
    }
    std::string allowed;
    {
      std::lock_guard<std::mutex> g (self_->priv->lock);
      allowed = self_->priv->allowed_origins;
    }
    /* Browsers cannot send a bearer token on a WebSocket: the room's token
     * travels in `join`. The origin is checked here. */
    return rtc::http_check_access (msg, "", allowed);
  }
  /* The room's stats on /stats.json and /metrics (rtcstatshttp.h) for
   * whom the room's token or JWT (view) lets in, and "authorize". */
  std::function<GstStructure *()> stats_reader (SoupServerMessage *msg) override
  {
    auto priv = self_->priv;
    rtc::HttpAccess access;
    bool serve;
    std::shared_ptr<rtc::HttpServer> server;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      serve = priv->serve_stats;
      server = priv->server;
      access.token = priv->auth_token;
      access.allowed_origins = priv->allowed_origins;
      access.jwt.key = priv->jwt_key;
      access.jwt.algorithm = priv->jwt_algorithm;
      access.jwt.audience = priv->started_name;
      access.jwt.implied = rtc::PERMIT_VIEW | rtc::PERMIT_PUBLISH;
    }
    if (!server)
      return nullptr;
    bool secured = !access.token.empty () || !access.jwt.key.empty ();
    return rtc::owner_stats_reader (
        G_OBJECT (self_), msg, serve, secured, server->loopback (), [this, msg, &access] () {
          unsigned granted = 0;
          return rtc::http_check_access (msg, access, rtc::PERMIT_VIEW, granted) &&
                 rtc::http_authorize (G_OBJECT (self_), msg, "GET", access.jwt.audience,
                                      rtc::PERMIT_VIEW, granted);
        });
  }
  void websocket_opened (SoupWebsocketConnection *conn, SoupServerMessage *msg,
                         const std::string &) override
  {
    auto priv = self_->priv;
    const char *host = soup_server_message_get_remote_host (msg);
    if (priv->room)
      priv->room->accept (conn, host ? host : "?", rtc::http_request_headers (msg));
    else
      soup_websocket_connection_close (conn, rtc::room::CLOSE_STOPPED, "the room stopped");
  }

private:
  Self *self_;
};

/* Runs @fn with the room on the server thread, later, if the signaller
 * still runs the same room then. */
void with_room (Self *self, std::function<void (rtc::RoomHub &)> fn)
{
  auto priv = self->priv;
  std::shared_ptr<rtc::HttpServer> server;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    server = priv->server;
  }
  if (!server)
    return;
  guint generation = priv->generation;
  std::shared_ptr<GWeakRef> weak (new GWeakRef, [] (GWeakRef *w) {
    g_weak_ref_clear (w);
    delete w;
  });
  g_weak_ref_init (weak.get (), self);
  server->invoke ([weak, generation, fn] () {
    auto s = static_cast<Self *> (g_weak_ref_get (weak.get ()));
    if (!s)
      return;
    if (s->priv->room && s->priv->generation == generation)
      fn (*s->priv->room);
    gst_object_unref (s);
  });
}

rtc::RoomHub::Events room_events (Self *self)
{
  rtc::RoomHub::Events ev;
  ev.session_requested = [self] (const std::string &id, const std::string &name,
                                 GstWebRTCSessionDescription *offer) {
    g_signal_emit_by_name (self, "session-requested", id.c_str (), name.c_str (), offer);
  };
  ev.session_description = [self] (const std::string &id, GstWebRTCSessionDescription *d) {
    g_signal_emit_by_name (self, "session-description", id.c_str (), d);
  };
  ev.ice_candidate = [self] (const std::string &id, guint mline, const char *candidate) {
    g_signal_emit_by_name (self, "ice-candidate", id.c_str (), mline, candidate);
  };
  ev.session_ended = [self] (const std::string &id) {
    g_signal_emit_by_name (self, "session-ended", id.c_str ());
  };
  ev.track_published = [self] (const std::string &id, const rtc::room::Track &t) {
    g_signal_emit (self, signals[SIGNAL_TRACK_PUBLISHED], 0, id.c_str (), t.id.c_str (),
                   t.kind.c_str (), t.label.c_str ());
  };
  ev.track_unpublished = [self] (const std::string &id, const std::string &mid) {
    g_signal_emit (self, signals[SIGNAL_TRACK_UNPUBLISHED], 0, id.c_str (), mid.c_str ());
  };
  ev.chat = [self] (const std::string &id, const std::string &name, const std::string &text,
                    guint64 seq) {
    g_signal_emit (self, signals[SIGNAL_CHAT], 0, id.c_str (), name.c_str (), text.c_str (), seq);
  };
  ev.audio_volume = [self] (const std::string &id, const std::string &who, double volume) {
    g_signal_emit (self, signals[SIGNAL_AUDIO_VOLUME], 0, id.c_str (), who.c_str (), volume);
  };
  ev.authorize = [self] (GstStructure *request, unsigned &permissions) {
    return rtc::emit_authorize (G_OBJECT (self), request, permissions);
  };
  ev.participants_changed = [self] (guint n) {
    self->priv->n_participants = n;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PARTICIPANTS]);
  };
  return ev;
}

rtc::RoomHub::Settings room_settings (GstRtcRoomSignallerPrivate *priv)
{
  std::lock_guard<std::mutex> g (priv->lock);
  rtc::RoomHub::Settings s;
  s.name = priv->started_name;
  s.token = priv->auth_token;
  s.jwt.key = priv->jwt_key;
  s.jwt.algorithm = priv->jwt_algorithm;
  s.max_participants = priv->max_participants;
  s.keepalive_timeout_ms = priv->keepalive_timeout;
  s.resume_timeout_ms = priv->resume_timeout;
  s.messages_per_second = priv->messages_per_second;
  s.ice_servers = priv->ice_server_list;
  s.ice_server_urls = priv->ice_servers;
  s.turn_secret = priv->turn_secret;
  s.turn_lifetime_s = priv->turn_lifetime_s;
  s.data_channels = priv->data_channels;
  return s;
}

} // namespace

static gboolean room_start (GstRtcSignaller *signaller, GError **error)
{
  auto self = GST_RTC_ROOM_SIGNALLER (signaller);
  auto priv = self->priv;
  std::string address, name;
  guint port;
  rtc::HttpServer::Tls tls;
  std::vector<rtc::room::Track> tracks;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    if (priv->server)
      return TRUE;
    address = priv->address;
    port = priv->port;
    name = priv->room_name;
    tls = priv->tls;
    tracks = priv->pipeline_track_list;
    priv->started_name = name;
  }
  std::string err;
  auto server = rtc::HttpServer::acquire (address, port, tls, err);
  if (!server) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ_WRITE, "%s", err.c_str ());
    return FALSE;
  }
  priv->generation++;
  /* (Not the server itself in the closure: its last reference must not go
   * on its own thread.) */
  GMainContext *context = server->context ();
  server->invoke_sync ([self, priv, context, tracks] () {
    priv->room = std::make_unique<rtc::RoomHub> (
        context, room_events (self), [priv] () { return room_settings (priv); },
        [priv] () { return "p" + std::to_string (priv->next_id++); }, GST_OBJECT (self));
    priv->room->set_pipeline_tracks (tracks);
  });
  auto room_endpoint = std::make_unique<RoomEndpoint> (self);
  auto whip_endpoint = std::make_unique<rtc::RoomWhipEndpoint> (
      [priv] () {
        std::lock_guard<std::mutex> g (priv->lock);
        return rtc::RoomWhipEndpoint::Access{priv->auth_token, priv->allowed_origins,
                                             priv->started_name, priv->jwt_key,
                                             priv->jwt_algorithm};
      },
      [priv] () { return priv->room.get (); }, G_OBJECT (self));
  std::vector<std::unique_ptr<rtc::PageEndpoint>> pages;
  bool ok = server->add_endpoint ("room", name, room_endpoint.get (), err);
  bool whip_ok = ok && server->add_endpoint ("whip-room", name, whip_endpoint.get (), err);
  if (ok && !whip_ok) {
    server->remove_endpoint ("room", name);
    ok = false;
  }
  for (auto &page : PAGES) {
    if (!ok)
      break;
    pages.push_back (std::make_unique<rtc::PageEndpoint> (page.resource));
    ok = server->add_endpoint (page.path, name, pages.back ().get (), err);
  }
  if (!ok && whip_ok) {
    server->remove_endpoint ("room", name);
    server->remove_endpoint ("whip-room", name);
    for (size_t i = 0; i + 1 < pages.size (); i++)
      server->remove_endpoint (PAGES[i].path, name);
  }
  if (!ok) {
    server->invoke_sync ([priv] () { priv->room.reset (); });
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, "%s", err.c_str ());
    return FALSE;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  priv->server = server;
  priv->room_endpoint = std::move (room_endpoint);
  priv->whip_endpoint = std::move (whip_endpoint);
  priv->page_endpoints = std::move (pages);
  GST_INFO_OBJECT (self, "room %s/room/%s", server->base_url ().c_str (), name.c_str ());
  return TRUE;
}

/* With @finalizing, also from the server thread (the last reference was
 * dropped in a posted call): then the sockets are cut, not closed. */
static void stop_room (Self *self, bool finalizing)
{
  auto priv = self->priv;
  std::shared_ptr<rtc::HttpServer> server;
  std::string name;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    server = priv->server;
    name = priv->started_name;
  }
  if (!server)
    return;
  bool on_server_thread = g_main_context_is_owner (server->context ());
  if (on_server_thread && !finalizing) {
    /* It would wait for its own thread: handlers must post their work (see
     * gstrtcsignaller.h). */
    GST_ERROR_OBJECT (self, "stop() called from a signal handler; not stopped");
    return;
  }
  /* No new socket or request, then everyone told (1001) and no signal more. */
  server->remove_endpoint ("room", name);
  server->remove_endpoint ("whip-room", name);
  for (auto &page : PAGES)
    server->remove_endpoint (page.path, name);
  server->invoke_sync ([priv] () {
    if (priv->room)
      priv->room->shutdown (rtc::room::CLOSE_STOPPED, "the room stopped");
  });
  /* The participants answer the close frames; those that do not are cut. */
  gint64 deadline = g_get_monotonic_time () + STOP_CLOSE_WAIT_MS * 1000;
  while (!on_server_thread) {
    guint open = 0;
    server->invoke_sync (
        [priv, &open] () { open = priv->room ? priv->room->open_connections () : 0; });
    if (open == 0 || g_get_monotonic_time () >= deadline)
      break;
    g_usleep (10 * 1000);
  }
  server->invoke_sync ([priv] () { priv->room.reset (); });
  priv->n_participants = 0;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    priv->room_endpoint.reset ();
    priv->whip_endpoint.reset ();
    priv->page_endpoints.clear ();
    priv->server.reset ();
  }
  /* The last reference to the server joins its thread: not from there. */
  if (on_server_thread)
    std::thread ([s = std::move (server)] () mutable { s.reset (); }).detach ();
}

static void room_stop (GstRtcSignaller *signaller)
{
  stop_room (GST_RTC_ROOM_SIGNALLER (signaller), false);
}

static GstRtcSignallerRole room_get_role (GstRtcSignaller *)
{
  return GST_RTC_SIGNALLER_ROLE_OFFERER;
}

static gboolean room_get_trickle (GstRtcSignaller *)
{
  return TRUE;
}

static void room_send_description (GstRtcSignaller *signaller, const gchar *session_id,
                                   GstWebRTCSessionDescription *description)
{
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy (description->sdp, &copy);
  std::shared_ptr<GstSDPMessage> sdp (copy, gst_sdp_message_free);
  std::string id = session_id;
  GstWebRTCSDPType type = description->type;
  with_room (GST_RTC_ROOM_SIGNALLER (signaller), [id, type, sdp] (rtc::RoomHub &room) {
    room.send_description (id, type, sdp.get ());
  });
}

static void room_send_ice_candidate (GstRtcSignaller *signaller, const gchar *session_id,
                                     guint mline, const gchar *candidate)
{
  std::string id = session_id;
  bool end = candidate == nullptr;
  std::string text = candidate ? candidate : "";
  with_room (GST_RTC_ROOM_SIGNALLER (signaller), [id, mline, end, text] (rtc::RoomHub &room) {
    room.send_candidate (id, mline, end ? nullptr : text.c_str ());
  });
}

static void room_reject_session (GstRtcSignaller *signaller, const gchar *session_id,
                                 const GError *error)
{
  std::string id = session_id;
  /* The protocol's error code is the GstRtcSignallerError's nick. */
  std::string code = "internal";
  if (error && error->domain == GST_RTC_SIGNALLER_ERROR) {
    g_autoptr (GEnumClass) klass =
        static_cast<GEnumClass *> (g_type_class_ref (GST_TYPE_RTC_SIGNALLER_ERROR));
    GEnumValue *value = g_enum_get_value (klass, error->code);
    if (value)
      code = value->value_nick;
  }
  gushort close_code = code == "internal" ? rtc::room::CLOSE_INTERNAL : rtc::room::CLOSE_LEAVE;
  std::string message = error ? error->message : "the room refused the session";
  with_room (GST_RTC_ROOM_SIGNALLER (signaller),
             [id, code, message, close_code] (rtc::RoomHub &room) {
               room.reject_session (id, code, message, close_code);
             });
}

static void room_end_session (GstRtcSignaller *signaller, const gchar *session_id)
{
  std::string id = session_id;
  with_room (GST_RTC_ROOM_SIGNALLER (signaller),
             [id] (rtc::RoomHub &room) { room.end_session (id); });
}

static void gst_rtc_room_signaller_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = room_start;
  iface->stop = room_stop;
  iface->get_role = room_get_role;
  iface->get_trickle = room_get_trickle;
  iface->send_description = room_send_description;
  iface->send_ice_candidate = room_send_ice_candidate;
  iface->reject_session = room_reject_session;
  iface->end_session = room_end_session;
}

static gboolean room_send_chat (Self *self, const gchar *text)
{
  if (!text || !*text || !g_utf8_validate (text, -1, nullptr) ||
      g_utf8_strlen (text, -1) > (glong)rtc::room::MAX_CHAT_CHARS) {
    GST_WARNING_OBJECT (self, "send-chat: the text must be 1 to %u characters of UTF-8",
                        rtc::room::MAX_CHAT_CHARS);
    return FALSE;
  }
  {
    std::lock_guard<std::mutex> g (self->priv->lock);
    if (!self->priv->server)
      return FALSE;
  }
  std::string t = text;
  with_room (self, [t] (rtc::RoomHub &room) { room.send_chat (t); });
  return TRUE;
}

static std::string string_or (const GValue *value, const char *fallback)
{
  const gchar *s = g_value_get_string (value);
  return s ? s : fallback;
}

static void room_send_speaking (Self *self, const gchar *participant, gboolean speaking, gint level,
                                gboolean active)
{
  if (!participant)
    return;
  std::string id = participant;
  with_room (self, [id, speaking, level, active] (rtc::RoomHub &room) {
    room.send_speaking (id, speaking, CLAMP (level, -127, 0), active);
  });
}

static void room_send_audio_muted (Self *self, const gchar *participant, gboolean muted)
{
  if (!participant)
    return;
  std::string id = participant;
  with_room (self, [id, muted] (rtc::RoomHub &room) { room.send_audio_muted (id, muted); });
}

static void room_send_levels (Self *self, const GstStructure *levels)
{
  if (!levels)
    return;
  std::vector<std::pair<std::string, gint>> list;
  for (gint i = 0; i < gst_structure_n_fields (levels); i++) {
    const gchar *id = gst_structure_nth_field_name (levels, i);
    gint level = 0;
    if (gst_structure_get_int (levels, id, &level))
      list.emplace_back (id, CLAMP (level, -127, 0));
  }
  with_room (self, [list] (rtc::RoomHub &room) { room.send_levels (list); });
}

static void gst_rtc_room_signaller_set_property (GObject *object, guint prop_id,
                                                 const GValue *value, GParamSpec *pspec)
{
  auto self = GST_RTC_ROOM_SIGNALLER (object);
  auto priv = self->priv;
  std::string error;
  if (prop_id == PROP_PIPELINE_TRACKS) {
    std::string json = string_or (value, "");
    std::vector<rtc::room::Track> tracks;
    if (!rtc::room::parse_pipeline_tracks (json, tracks, error)) {
      GST_WARNING_OBJECT (self, "pipeline-tracks ignored: %s", error.c_str ());
      return;
    }
    {
      std::lock_guard<std::mutex> g (priv->lock);
      priv->pipeline_tracks = json;
      priv->pipeline_track_list = tracks;
    }
    with_room (self, [tracks] (rtc::RoomHub &room) { room.set_pipeline_tracks (tracks); });
    return;
  }
  if (prop_id == PROP_ICE_SERVERS) {
    std::string servers = string_or (value, "");
    auto list = rtc::parse_ice_servers (servers, GST_OBJECT (self));
    std::lock_guard<std::mutex> g (priv->lock);
    priv->ice_servers = servers;
    priv->ice_server_list = list;
    return;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_ADDRESS:
    priv->address = string_or (value, DEFAULT_ADDRESS);
    break;
  case PROP_PORT:
    priv->port = g_value_get_uint (value);
    break;
  case PROP_ROOM_NAME:
    priv->room_name = string_or (value, DEFAULT_ROOM_NAME);
    break;
  case PROP_AUTH_TOKEN:
    priv->auth_token = string_or (value, "");
    break;
  case PROP_JWT_KEY:
    priv->jwt_key = string_or (value, "");
    break;
  case PROP_JWT_ALGORITHM:
    priv->jwt_algorithm = string_or (value, rtc::DEFAULT_JWT_ALGORITHM);
    break;
  case PROP_SERVE_STATS:
    priv->serve_stats = g_value_get_boolean (value);
    break;
  case PROP_ALLOWED_ORIGINS:
    priv->allowed_origins = string_or (value, DEFAULT_ALLOWED_ORIGINS);
    break;
  case PROP_TLS_CERTIFICATE_FILE:
    priv->tls.certificate_file = string_or (value, "");
    break;
  case PROP_TLS_KEY_FILE:
    priv->tls.key_file = string_or (value, "");
    break;
  case PROP_MAX_PARTICIPANTS:
    priv->max_participants = g_value_get_uint (value);
    break;
  case PROP_KEEPALIVE_TIMEOUT:
    priv->keepalive_timeout = g_value_get_uint (value);
    break;
  case PROP_RESUME_TIMEOUT:
    priv->resume_timeout = g_value_get_uint (value);
    break;
  case PROP_MESSAGES_PER_SECOND:
    priv->messages_per_second = g_value_get_uint (value);
    break;
  case PROP_TURN_SECRET:
    priv->turn_secret = string_or (value, "");
    break;
  case PROP_TURN_CREDENTIAL_LIFETIME:
    priv->turn_lifetime_s = g_value_get_uint (value);
    break;
  case PROP_DATA_CHANNELS: {
    std::string json = string_or (value, "");
    if (json.empty ())
      json = DEFAULT_DATA_CHANNELS;
    if (rtc::room::valid_data_channels (json, error))
      priv->data_channels = json;
    else
      GST_WARNING_OBJECT (self, "data-channels ignored: %s", error.c_str ());
    break;
  }
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static const gchar *or_null (const std::string &s)
{
  return s.empty () ? nullptr : s.c_str ();
}

static void gst_rtc_room_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                                 GParamSpec *pspec)
{
  auto self = GST_RTC_ROOM_SIGNALLER (object);
  auto priv = self->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_ADDRESS:
    g_value_set_string (value, priv->address.c_str ());
    break;
  case PROP_PORT:
    g_value_set_uint (value, priv->server ? priv->server->port () : priv->port);
    break;
  case PROP_ROOM_NAME:
    g_value_set_string (value, priv->room_name.c_str ());
    break;
  case PROP_AUTH_TOKEN:
    g_value_set_string (value, or_null (priv->auth_token));
    break;
  case PROP_JWT_ALGORITHM:
    g_value_set_string (value, priv->jwt_algorithm.c_str ());
    break;
  case PROP_SERVE_STATS:
    g_value_set_boolean (value, priv->serve_stats);
    break;
  case PROP_ALLOWED_ORIGINS:
    g_value_set_string (value, priv->allowed_origins.c_str ());
    break;
  case PROP_TLS_CERTIFICATE_FILE:
    g_value_set_string (value, or_null (priv->tls.certificate_file));
    break;
  case PROP_TLS_KEY_FILE:
    g_value_set_string (value, or_null (priv->tls.key_file));
    break;
  case PROP_MAX_PARTICIPANTS:
    g_value_set_uint (value, priv->max_participants);
    break;
  case PROP_KEEPALIVE_TIMEOUT:
    g_value_set_uint (value, priv->keepalive_timeout);
    break;
  case PROP_RESUME_TIMEOUT:
    g_value_set_uint (value, priv->resume_timeout);
    break;
  case PROP_MESSAGES_PER_SECOND:
    g_value_set_uint (value, priv->messages_per_second);
    break;
  case PROP_TURN_CREDENTIAL_LIFETIME:
    g_value_set_uint (value, priv->turn_lifetime_s);
    break;
  case PROP_ICE_SERVERS:
    g_value_set_string (value, priv->ice_servers.c_str ());
    break;
  case PROP_DATA_CHANNELS:
    g_value_set_string (value, priv->data_channels.c_str ());
    break;
  case PROP_PIPELINE_TRACKS:
    g_value_set_string (value, priv->pipeline_tracks.c_str ());
    break;
  case PROP_URL:
    g_value_set_string (
        value, priv->server ? (priv->server->base_url () + "/room/" + priv->started_name).c_str ()
                            : nullptr);
    break;
  case PROP_N_PARTICIPANTS:
    g_value_set_uint (value, priv->n_participants);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_room_signaller_finalize (GObject *object)
{
  auto self = GST_RTC_ROOM_SIGNALLER (object);
  stop_room (self, true);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_room_signaller_parent_class)->finalize (object);
}

static void gst_rtc_room_signaller_class_init (GstRtcRoomSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gst_rtc_room_signaller_set_property;
  gobject_class->get_property = gst_rtc_room_signaller_get_property;
  gobject_class->finalize = gst_rtc_room_signaller_finalize;

  gst_rtc_room_signaller_make_properties (properties);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  guint host[4];
  gst_rtc_room_signaller_install_host_signals (klass, host);
  signals[SIGNAL_TRACK_PUBLISHED] = host[0];
  signals[SIGNAL_TRACK_UNPUBLISHED] = host[1];
  signals[SIGNAL_CHAT] = host[2];
  signals[SIGNAL_AUDIO_VOLUME] = host[3];
  const GCallback host_actions[4] = {G_CALLBACK (room_send_chat), G_CALLBACK (room_send_speaking),
                                     G_CALLBACK (room_send_audio_muted),
                                     G_CALLBACK (room_send_levels)};
  signals[SIGNAL_SEND_CHAT] =
      gst_rtc_room_signaller_install_host_actions (gobject_class, host_actions);
}

static void gst_rtc_room_signaller_init (GstRtcRoomSignaller *self)
{
  self->priv = new GstRtcRoomSignallerPrivate ();
}

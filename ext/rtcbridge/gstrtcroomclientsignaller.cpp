/* See gstrtcroomclientsignaller.h. */
#include "gstrtcroomclientsignaller.h"

#include <gst/rtcbridge/gstrtcsignaller.h>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rtccontrolthread.h"
#include "rtcroomclient.h"

/**
 * SECTION:gstrtcroomclientsignaller
 * @title: GstRtcRoomClientSignaller
 * @short_description: joins a room hosted elsewhere, for webrtcroom room-url
 *
 * A #GstRtcSignaller that joins a room of the room protocol
 * (docs/room-protocol.md) as a participant, over a WebSocket to
 * `ws://<host>:<port>/room/<name>`. webrtcroom uses it when its `room-url`
 * is set (docs/room-client.md). Its one session is the room's: the room
 * offers, the element answers (role answerer) and may offer later,
 * candidates trickle.
 *
 * Since: 0.2
 */

GST_DEBUG_CATEGORY_STATIC (gst_rtc_room_client_signaller_debug);
#define GST_CAT_DEFAULT gst_rtc_room_client_signaller_debug

#define DEFAULT_JOIN_TIMEOUT 10000

enum {
  PROP_0,
  PROP_ROOM_URL,
  PROP_DISPLAY_NAME,
  PROP_AUTH_TOKEN,
  PROP_JOIN_TIMEOUT,
  PROP_PARTICIPANT_ID,
  PROP_ROSTER,
  PROP_ICE_SERVERS,
  N_PROPS,
};

static GParamSpec *properties[N_PROPS];

struct GstRtcRoomClientSignallerPrivate {
  std::mutex lock; /* guards the settings and the read-only values */
  std::string room_url, display_name, auth_token;
  guint join_timeout_ms = DEFAULT_JOIN_TIMEOUT;
  std::string participant_id, roster = "[]", ice_servers;

  rtc::ControlThread thread;
  std::unique_ptr<rtc::RoomClient> client; /* thread only */
};

struct _GstRtcRoomClientSignaller {
  GstObject parent;
  GstRtcRoomClientSignallerPrivate *priv;
};

static void gst_rtc_room_client_signaller_iface_init (GstRtcSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcRoomClientSignaller, gst_rtc_room_client_signaller, GST_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER,
                                                gst_rtc_room_client_signaller_iface_init));

namespace {

using Self = GstRtcRoomClientSignaller;

/* Runs @fn with the client on the signaller's thread, if it is running.
 * The object outlives its thread (stop and finalize stop it), so @self
 * needs no reference. */
void with_client (Self *self, std::function<void (rtc::RoomClient &)> fn)
{
  auto priv = self->priv;
  priv->thread.post ([priv, fn] () {
    if (priv->client)
      fn (*priv->client);
  });
}

/* The read-only properties, notified outside the lock. */
void set_values (Self *self, const std::string *id, const std::string *roster,
                 const std::string *ice_servers)
{
  auto priv = self->priv;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    if (id)
      priv->participant_id = *id;
    if (roster)
      priv->roster = *roster;
    if (ice_servers)
      priv->ice_servers = *ice_servers;
  }
  if (id)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARTICIPANT_ID]);
  if (roster)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROSTER]);
  if (ice_servers)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICE_SERVERS]);
}

rtc::RoomClient::Output make_output (Self *self)
{
  rtc::RoomClient::Output out;
  out.session_requested = [self] (const std::string &id, const std::string &peer,
                                  GstWebRTCSessionDescription *offer) {
    g_signal_emit_by_name (self, "session-requested", id.c_str (), peer.c_str (), offer);
  };
  out.session_description = [self] (const std::string &id, GstWebRTCSessionDescription *d) {
    g_signal_emit_by_name (self, "session-description", id.c_str (), d);
  };
  out.ice_candidate = [self] (const std::string &id, guint mline, const std::string &candidate) {
    g_signal_emit_by_name (self, "ice-candidate", id.c_str (), mline, candidate.c_str ());
  };
  out.session_ended = [self] (const std::string &id) {
    g_signal_emit_by_name (self, "session-ended", id.c_str ());
  };
  out.state = [self] (const std::string &state, const std::string &detail) {
    g_signal_emit_by_name (self, "state-changed", state.c_str (), detail.c_str ());
  };
  out.error = [self] (const std::string &message) {
    GST_WARNING_OBJECT (self, "%s", message.c_str ());
    g_signal_emit_by_name (self, "error", message.c_str ());
  };
  out.values = [self] (const std::string *id, const std::string *roster, const std::string *ice) {
    set_values (self, id, roster, ice);
  };
  return out;
}

/* Whether the caller runs on the signaller's own thread (a signal
 * handler): it cannot wait for that thread. */
bool on_own_thread (GstRtcRoomClientSignallerPrivate *priv)
{
  GMainContext *ctx = priv->thread.ref_context ();
  bool own = ctx && g_main_context_is_owner (ctx);
  if (ctx)
    g_main_context_unref (ctx);
  return own;
}

} // namespace

static gboolean client_start (GstRtcSignaller *signaller, GError **error)
{
  auto self = GST_RTC_ROOM_CLIENT_SIGNALLER (signaller);
  auto priv = self->priv;
  rtc::RoomClient::Settings settings;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    settings.url = priv->room_url;
    settings.name = rtc::RoomClient::display_name (priv->display_name);
    settings.token = priv->auth_token;
    settings.join_timeout_ms = priv->join_timeout_ms;
  }
  if (rtc::RoomClient::room_name_of (settings.url).empty ()) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "room-url '%s' is not a room's URL: ws://host:port/room/<name> (or wss://)",
                 settings.url.c_str ());
    return FALSE;
  }
  if (priv->thread.running ())
    return TRUE;
  GST_INFO_OBJECT (self, "joining %s as '%s'", settings.url.c_str (), settings.name.c_str ());
  priv->thread.start ("rtc-room-client");
  priv->thread.post ([self, priv, settings] () {
    priv->client = std::make_unique<rtc::RoomClient> (settings, make_output (self), priv->thread);
    priv->client->start ();
  });
  return TRUE;
}

static void client_stop (GstRtcSignaller *signaller)
{
  auto self = GST_RTC_ROOM_CLIENT_SIGNALLER (signaller);
  auto priv = self->priv;
  if (!priv->thread.running ())
    return;
  if (on_own_thread (priv)) {
    /* It would wait for itself: handlers must hand their work to their own
     * thread (see gstrtcsignaller.h). */
    GST_ERROR_OBJECT (self, "stop() called from a signal handler; not stopped");
    return;
  }
  priv->thread.post_sync ([priv] () {
    if (priv->client)
      priv->client->stop (); /* leaves; the last "state-changed" (stopped) */
    priv->client.reset ();
  });
  priv->thread.stop ();
  std::string none, empty_roster = "[]", no_servers;
  set_values (self, &none, &empty_roster, &no_servers);
}

static GstRtcSignallerRole client_get_role (GstRtcSignaller *)
{
  return GST_RTC_SIGNALLER_ROLE_ANSWERER;
}

static gboolean client_get_trickle (GstRtcSignaller *)
{
  return TRUE;
}

static void client_send_description (GstRtcSignaller *signaller, const gchar *session_id,
                                     GstWebRTCSessionDescription *description)
{
  auto self = GST_RTC_ROOM_CLIENT_SIGNALLER (signaller);
  GstWebRTCSDPType type = description->type;
  if (type != GST_WEBRTC_SDP_TYPE_OFFER && type != GST_WEBRTC_SDP_TYPE_ANSWER) {
    GST_WARNING_OBJECT (self, "a %s is neither an offer nor an answer: not sent",
                        gst_webrtc_sdp_type_to_string (type));
    return;
  }
  auto copy = std::shared_ptr<GstWebRTCSessionDescription> (
      gst_webrtc_session_description_copy (description), gst_webrtc_session_description_free);
  std::string id = session_id;
  with_client (self, [id, copy] (rtc::RoomClient &client) {
    client.send_description (id, copy->type, copy->sdp);
  });
}

static void client_send_ice_candidate (GstRtcSignaller *signaller, const gchar *session_id,
                                       guint mline, const gchar *candidate)
{
  std::string id = session_id, text = candidate ? candidate : "";
  bool end = candidate == nullptr;
  with_client (GST_RTC_ROOM_CLIENT_SIGNALLER (signaller),
               [id, mline, text, end] (rtc::RoomClient &client) {
                 client.send_candidate (id, mline, end ? nullptr : text.c_str ());
               });
}

static void client_end_session (GstRtcSignaller *signaller, const gchar *session_id)
{
  std::string id = session_id;
  with_client (GST_RTC_ROOM_CLIENT_SIGNALLER (signaller),
               [id] (rtc::RoomClient &client) { client.end_session (id); });
}

static void client_reject_session (GstRtcSignaller *signaller, const gchar *session_id,
                                   const GError *error)
{
  std::string id = session_id, why = error ? error->message : "refused";
  /* Another offer of the room would be refused the same way. */
  bool hopeless = error && error->domain == GST_RTC_SIGNALLER_ERROR &&
                  (error->code == GST_RTC_SIGNALLER_ERROR_BAD_REQUEST ||
                   error->code == GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE);
  with_client (
      GST_RTC_ROOM_CLIENT_SIGNALLER (signaller),
      [id, hopeless, why] (rtc::RoomClient &client) { client.reject_session (id, hopeless, why); });
}

static void gst_rtc_room_client_signaller_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = client_start;
  iface->stop = client_stop;
  iface->get_role = client_get_role;
  iface->get_trickle = client_get_trickle;
  iface->send_description = client_send_description;
  iface->send_ice_candidate = client_send_ice_candidate;
  iface->reject_session = client_reject_session;
  iface->end_session = client_end_session;
}

static void gst_rtc_room_client_signaller_set_property (GObject *object, guint prop_id,
                                                        const GValue *value, GParamSpec *pspec)
{
  auto priv = GST_RTC_ROOM_CLIENT_SIGNALLER (object)->priv;
  const gchar *s = G_VALUE_HOLDS_STRING (value) ? g_value_get_string (value) : nullptr;
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_ROOM_URL:
    priv->room_url = s ? s : "";
    break;
  case PROP_DISPLAY_NAME:
    priv->display_name = s ? s : "";
    break;
  case PROP_AUTH_TOKEN:
    priv->auth_token = s ? s : "";
    break;
  case PROP_JOIN_TIMEOUT:
    priv->join_timeout_ms = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_room_client_signaller_get_property (GObject *object, guint prop_id,
                                                        GValue *value, GParamSpec *pspec)
{
  auto priv = GST_RTC_ROOM_CLIENT_SIGNALLER (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  auto or_null = [] (const std::string &s) {
    return s.empty () ? nullptr : s.c_str ();
  };
  switch (prop_id) {
  case PROP_ROOM_URL:
    g_value_set_string (value, or_null (priv->room_url));
    break;
  case PROP_DISPLAY_NAME:
    g_value_set_string (value, or_null (priv->display_name));
    break;
  case PROP_AUTH_TOKEN:
    g_value_set_string (value, or_null (priv->auth_token));
    break;
  case PROP_JOIN_TIMEOUT:
    g_value_set_uint (value, priv->join_timeout_ms);
    break;
  case PROP_PARTICIPANT_ID:
    g_value_set_string (value, or_null (priv->participant_id));
    break;
  case PROP_ROSTER:
    g_value_set_string (value, priv->roster.c_str ());
    break;
  case PROP_ICE_SERVERS:
    g_value_set_string (value, priv->ice_servers.c_str ());
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_room_client_signaller_finalize (GObject *object)
{
  auto priv = GST_RTC_ROOM_CLIENT_SIGNALLER (object)->priv;
  if (priv->thread.running ()) {
    /* Never stopped: the client goes on its thread, without a word. */
    priv->thread.post_sync ([priv] () { priv->client.reset (); });
    if (on_own_thread (priv)) {
      /* The last reference went on the signaller's thread itself (during
       * a signal emission): it is joined from another one. */
      std::thread ([priv] () {
        priv->thread.stop ();
        delete priv;
      }).detach ();
      G_OBJECT_CLASS (gst_rtc_room_client_signaller_parent_class)->finalize (object);
      return;
    }
    priv->thread.stop ();
  }
  delete priv;
  G_OBJECT_CLASS (gst_rtc_room_client_signaller_parent_class)->finalize (object);
}

static void gst_rtc_room_client_signaller_class_init (GstRtcRoomClientSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gst_rtc_room_client_signaller_set_property;
  gobject_class->get_property = gst_rtc_room_client_signaller_get_property;
  gobject_class->finalize = gst_rtc_room_client_signaller_finalize;
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROOM_URL] = g_param_spec_string (
      "room-url", "Room URL",
      "The room to join: ws://host:port/room/<name> (wss:// with TLS) (NULL = none: start fails)",
      nullptr, rw);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string (
      "display-name", "Display name",
      "Our name in the room, 1-64 characters (NULL = this machine's host name)", nullptr, rw);
  properties[PROP_AUTH_TOKEN] = g_param_spec_string (
      "auth-token", "Auth token",
      "The room's token, sent in `join` (never in the URL, never logged) (NULL = none)", nullptr,
      rw);
  properties[PROP_JOIN_TIMEOUT] = g_param_spec_uint (
      "join-timeout", "Join timeout",
      "How long to keep trying to reach the room and join it before giving up with an error, "
      "ms (once in, a lost connection is retried for as long as it takes) (0 = forever)",
      0, G_MAXUINT, DEFAULT_JOIN_TIMEOUT, rw);
  properties[PROP_PARTICIPANT_ID] = g_param_spec_string (
      "participant-id", "Participant id",
      "Our id in the room once joined, also the session's id (NULL before)", nullptr, ro);
  properties[PROP_ROSTER] = g_param_spec_string (
      "roster", "Roster",
      "The others in the room, as JSON: [{id, name, tracks: [{id, kind, label, muted}], "
      "pipeline}] (notified on the signaller's thread)",
      "[]", ro);
  properties[PROP_ICE_SERVERS] = g_param_spec_string (
      "ice-servers", "ICE servers",
      "The ICE servers the room announced in `welcome`, as comma-separated stun:// and "
      "turn://user:pass@host:port URLs (used when the element has none of its own)",
      "", ro);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);
  GST_DEBUG_CATEGORY_INIT (gst_rtc_room_client_signaller_debug, "rtcroomclientsignaller", 0,
                           "Room protocol client signaller");
}

static void gst_rtc_room_client_signaller_init (GstRtcRoomClientSignaller *self)
{
  self->priv = new GstRtcRoomClientSignallerPrivate ();
}

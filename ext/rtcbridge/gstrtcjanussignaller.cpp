/* See gstrtcjanussignaller.h. */
#include "gstrtcjanussignaller.h"

#include <libsoup/soup.h>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <gst/rtcbridge/gstrtcsignaller.h>
#include "rtccontrolthread.h"
#include "rtcdebug.h"
#include "rtcjanusvideoroom.h"

/**
 * SECTION:gstrtcjanussignaller
 * @title: GstRtcJanusSignaller
 * @short_description: publish into or subscribe from a Janus VideoRoom
 *
 * A #GstRtcSignaller that speaks the Janus VideoRoom plugin's API over
 * Janus's HTTP transport. Get it with
 * `gst_dynamic_type_factory_load ("GstRtcJanusSignaller")` and set it on an
 * element's `signaller` property. role=offerer publishes the element's
 * media into the room; role=answerer (the default) receives the room's
 * feeds. See docs/janus.md.
 *
 * Since: 0.1
 */

RTC_DEBUG_CATEGORY_FUNCTION (gst_rtc_janus_signaller_category, "rtcjanussignaller",
                             "Janus VideoRoom signaller")
#define GST_CAT_DEFAULT gst_rtc_janus_signaller_category ()

#define DEFAULT_URL "http://127.0.0.1:8088/janus"
#define DEFAULT_ROOM 1234
#define DEFAULT_ROLE GST_RTC_SIGNALLER_ROLE_ANSWERER
#define DEFAULT_KEEPALIVE_INTERVAL 25000
#define DEFAULT_RETRY_DELAY_MIN 500
#define DEFAULT_RETRY_DELAY_MAX 10000
#define STOP_TIMEOUT_MS 2000
#define DRAIN_TIMEOUT_MS 1000

enum {
  PROP_0,
  PROP_URL,
  PROP_ROOM,
  PROP_ROLE,
  PROP_DISPLAY,
  PROP_FEED,
  PROP_FEED_DISPLAY,
  PROP_CREATE_ROOM,
  PROP_ROOM_PIN,
  PROP_API_SECRET,
  PROP_KEEPALIVE_INTERVAL,
  PROP_RETRY_DELAY_MIN,
  PROP_RETRY_DELAY_MAX,
  PROP_JANUS_SESSION_ID,
  PROP_PUBLISHER_ID,
};

struct GstRtcJanusSignallerPrivate {
  std::mutex lock; /* guards the settings and the ids */
  rtc::JanusVideoRoom::Settings settings;
  GstRtcSignallerRole role = DEFAULT_ROLE;
  guint64 janus_session_id = 0;
  guint64 publisher_id = 0;

  rtc::ControlThread thread;
  std::unique_ptr<rtc::JanusVideoRoom> room; /* thread only */
};

struct _GstRtcJanusSignaller {
  GstObject parent;
  GstRtcJanusSignallerPrivate *priv;
};

static void gst_rtc_janus_signaller_iface_init (GstRtcSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcJanusSignaller, gst_rtc_janus_signaller, GST_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER,
                                                gst_rtc_janus_signaller_iface_init));

namespace {

using Self = GstRtcJanusSignaller;

/* Runs @fn with the room on the signaller's thread, if it is running. The
 * object outlives its thread (finalize stops it), so @self needs no ref. */
void with_room (Self *self, std::function<void (rtc::JanusVideoRoom &)> fn)
{
  auto priv = self->priv;
  priv->thread.post ([priv, fn] () {
    if (priv->room)
      fn (*priv->room);
  });
}

rtc::JanusVideoRoom::Output make_output (Self *self)
{
  rtc::JanusVideoRoom::Output out;
  out.session_requested = [self] (const std::string &id, const std::string &peer,
                                  GstWebRTCSessionDescription *offer) {
    g_signal_emit_by_name (self, "session-requested", id.c_str (), peer.c_str (), offer);
  };
  out.session_description = [self] (const std::string &id, GstWebRTCSessionDescription *answer) {
    g_signal_emit_by_name (self, "session-description", id.c_str (), answer);
  };
  out.ice_candidate = [self] (const std::string &id, guint mline, const std::string &candidate) {
    g_signal_emit_by_name (self, "ice-candidate", id.c_str (), mline, candidate.c_str ());
  };
  out.session_ended = [self] (const std::string &id) {
    g_signal_emit_by_name (self, "session-ended", id.c_str ());
  };
  out.state_changed = [self] (const std::string &state, const std::string &detail) {
    g_signal_emit_by_name (self, "state-changed", state.c_str (), detail.c_str ());
  };
  out.error = [self] (const std::string &message) {
    g_signal_emit_by_name (self, "error", message.c_str ());
  };
  out.ids_changed = [self] (guint64 janus_session, guint64 publisher_id) {
    std::lock_guard<std::mutex> g (self->priv->lock);
    self->priv->janus_session_id = janus_session;
    self->priv->publisher_id = publisher_id;
  };
  return out;
}

} // namespace

static gboolean janus_start (GstRtcSignaller *signaller, GError **error)
{
  auto self = GST_RTC_JANUS_SIGNALLER (signaller);
  auto priv = self->priv;
  rtc::JanusVideoRoom::Settings settings;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    settings = priv->settings;
    settings.publisher = priv->role == GST_RTC_SIGNALLER_ROLE_OFFERER;
  }
  GUri *uri = settings.url.empty ()
                  ? nullptr
                  : g_uri_parse (settings.url.c_str (), GUriFlags (SOUP_HTTP_URI_FLAGS), nullptr);
  bool ok = uri && (g_str_equal (g_uri_get_scheme (uri), "http") ||
                    g_str_equal (g_uri_get_scheme (uri), "https"));
  if (uri)
    g_uri_unref (uri);
  if (!ok) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "'%s' is not an http(s) URL of a Janus API", settings.url.c_str ());
    return FALSE;
  }
  if (settings.room == 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "room 0 is not a Janus room id");
    return FALSE;
  }
  if (!settings.publisher && settings.feed && !settings.feed_display.empty ())
    GST_WARNING_OBJECT (self,
                        "both feed and feed-display are set: following feed %" G_GUINT64_FORMAT,
                        settings.feed);
  if (priv->thread.running ())
    return TRUE;
  GST_INFO_OBJECT (self, "%s room %" G_GUINT64_FORMAT " at %s",
                   settings.publisher ? "publishing into" : "subscribing from", settings.room,
                   settings.url.c_str ());
  priv->thread.start ("rtc-janus");
  priv->thread.post ([self, priv, settings] () {
    priv->room = std::make_unique<rtc::JanusVideoRoom> (
        settings, make_output (self), [priv] (guint delay_ms, std::function<void ()> fn) {
          priv->thread.after (delay_ms, std::move (fn));
        });
    priv->room->start ();
  });
  return TRUE;
}

static void janus_stop (GstRtcSignaller *signaller)
{
  auto self = GST_RTC_JANUS_SIGNALLER (signaller);
  auto priv = self->priv;
  if (!priv->thread.running ())
    return;
  GMainContext *ctx = priv->thread.ref_context ();
  bool own_thread = ctx && g_main_context_is_owner (ctx);
  if (ctx)
    g_main_context_unref (ctx);
  if (own_thread) {
    /* It would wait for itself: handlers must hand their work to their own
     * thread (see gstrtcsignaller.h). */
    GST_ERROR_OBJECT (self, "stop() called from a signal handler; not stopped");
    return;
  }
  struct Waiter {
    std::mutex m;
    std::condition_variable c;
    bool done = false;
  };
  auto waiter = std::make_shared<Waiter> ();
  priv->thread.post_sync ([self, priv, waiter] () {
    auto done = [waiter] () {
      std::lock_guard<std::mutex> g (waiter->m);
      waiter->done = true;
      waiter->c.notify_one ();
    };
    if (!priv->room) {
      done ();
      return;
    }
    priv->room->stop (done);
    GST_INFO_OBJECT (self, "stopped");
    g_signal_emit_by_name (self, "state-changed", "stopped", "left the Janus room");
  });
  {
    std::unique_lock<std::mutex> l (waiter->m);
    if (!waiter->c.wait_for (l, std::chrono::milliseconds (STOP_TIMEOUT_MS),
                             [&] { return waiter->done; }))
      GST_WARNING_OBJECT (self, "Janus did not confirm the end of the session in time");
  }
  priv->thread.post_sync ([priv] () {
    if (!priv->room)
      return;
    std::shared_ptr<guint> in_flight = priv->room->in_flight ();
    priv->room.reset ();
    /* Cancelled requests complete on this context: let them, so that
     * nothing they hold outlives the thread. */
    GMainContext *ctx = priv->thread.context ();
    gint64 end = g_get_monotonic_time () + DRAIN_TIMEOUT_MS * 1000;
    while (*in_flight > 0 && g_get_monotonic_time () < end) {
      if (!g_main_context_iteration (ctx, FALSE))
        g_usleep (1000);
    }
  });
  priv->thread.stop ();
  std::lock_guard<std::mutex> g (priv->lock);
  priv->janus_session_id = 0;
  priv->publisher_id = 0;
}

static GstRtcSignallerRole janus_get_role (GstRtcSignaller *signaller)
{
  auto priv = GST_RTC_JANUS_SIGNALLER (signaller)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  return priv->role;
}

static gboolean janus_get_trickle (GstRtcSignaller *)
{
  return TRUE;
}

static void janus_send_description (GstRtcSignaller *signaller, const gchar *session_id,
                                    GstWebRTCSessionDescription *description)
{
  std::string id = session_id;
  GstWebRTCSessionDescription *copy = gst_webrtc_session_description_copy (description);
  auto owned =
      std::shared_ptr<GstWebRTCSessionDescription> (copy, gst_webrtc_session_description_free);
  with_room (GST_RTC_JANUS_SIGNALLER (signaller),
             [id, owned] (rtc::JanusVideoRoom &room) { room.send_description (id, owned.get ()); });
}

static void janus_send_ice_candidate (GstRtcSignaller *signaller, const gchar *session_id,
                                      guint mline, const gchar *candidate)
{
  std::string id = session_id;
  bool last = candidate == nullptr;
  std::string text = candidate ? candidate : "";
  with_room (GST_RTC_JANUS_SIGNALLER (signaller),
             [id, mline, last, text] (rtc::JanusVideoRoom &room) {
               room.send_ice_candidate (id, mline, last ? nullptr : text.c_str ());
             });
}

static void janus_reject_session (GstRtcSignaller *signaller, const gchar *session_id,
                                  const GError *error)
{
  std::string id = session_id;
  std::string why = std::string ("the element refused the session") +
                    (error ? std::string (": ") + error->message : std::string ());
  with_room (GST_RTC_JANUS_SIGNALLER (signaller),
             [id, why] (rtc::JanusVideoRoom &room) { room.end_session (id, true, why); });
}

static void janus_end_session (GstRtcSignaller *signaller, const gchar *session_id)
{
  std::string id = session_id;
  with_room (GST_RTC_JANUS_SIGNALLER (signaller), [id] (rtc::JanusVideoRoom &room) {
    room.end_session (id, false, "the element ended the session");
  });
}

static void gst_rtc_janus_signaller_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = janus_start;
  iface->stop = janus_stop;
  iface->get_role = janus_get_role;
  iface->get_trickle = janus_get_trickle;
  iface->send_description = janus_send_description;
  iface->send_ice_candidate = janus_send_ice_candidate;
  iface->reject_session = janus_reject_session;
  iface->end_session = janus_end_session;
}

static void gst_rtc_janus_signaller_set_property (GObject *object, guint prop_id,
                                                  const GValue *value, GParamSpec *pspec)
{
  auto priv = GST_RTC_JANUS_SIGNALLER (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  auto &s = priv->settings;
  auto str = [value] () {
    const gchar *v = g_value_get_string (value);
    return std::string (v ? v : "");
  };
  switch (prop_id) {
  case PROP_URL:
    s.url = g_value_get_string (value) ? str () : DEFAULT_URL;
    break;
  case PROP_ROOM:
    s.room = g_value_get_uint64 (value);
    break;
  case PROP_ROLE:
    priv->role = (GstRtcSignallerRole)g_value_get_enum (value);
    break;
  case PROP_DISPLAY:
    s.display = str ();
    break;
  case PROP_FEED:
    s.feed = g_value_get_uint64 (value);
    break;
  case PROP_FEED_DISPLAY:
    s.feed_display = str ();
    break;
  case PROP_CREATE_ROOM:
    s.create_room = g_value_get_boolean (value);
    break;
  case PROP_ROOM_PIN:
    s.pin = str ();
    break;
  case PROP_API_SECRET:
    s.api_secret = str ();
    break;
  case PROP_KEEPALIVE_INTERVAL:
    s.keepalive_ms = g_value_get_uint (value);
    break;
  case PROP_RETRY_DELAY_MIN:
    s.retry_min_ms = g_value_get_uint (value);
    break;
  case PROP_RETRY_DELAY_MAX:
    s.retry_max_ms = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_janus_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                                  GParamSpec *pspec)
{
  auto priv = GST_RTC_JANUS_SIGNALLER (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  auto &s = priv->settings;
  auto str_or_null = [] (const std::string &v) {
    return v.empty () ? nullptr : v.c_str ();
  };
  switch (prop_id) {
  case PROP_URL:
    g_value_set_string (value, s.url.c_str ());
    break;
  case PROP_ROOM:
    g_value_set_uint64 (value, s.room);
    break;
  case PROP_ROLE:
    g_value_set_enum (value, priv->role);
    break;
  case PROP_DISPLAY:
    g_value_set_string (value, str_or_null (s.display));
    break;
  case PROP_FEED:
    g_value_set_uint64 (value, s.feed);
    break;
  case PROP_FEED_DISPLAY:
    g_value_set_string (value, str_or_null (s.feed_display));
    break;
  case PROP_CREATE_ROOM:
    g_value_set_boolean (value, s.create_room);
    break;
  case PROP_ROOM_PIN:
    g_value_set_string (value, str_or_null (s.pin));
    break;
  case PROP_API_SECRET:
    g_value_set_string (value, str_or_null (s.api_secret));
    break;
  case PROP_KEEPALIVE_INTERVAL:
    g_value_set_uint (value, s.keepalive_ms);
    break;
  case PROP_RETRY_DELAY_MIN:
    g_value_set_uint (value, s.retry_min_ms);
    break;
  case PROP_RETRY_DELAY_MAX:
    g_value_set_uint (value, s.retry_max_ms);
    break;
  case PROP_JANUS_SESSION_ID:
    g_value_set_uint64 (value, priv->janus_session_id);
    break;
  case PROP_PUBLISHER_ID:
    g_value_set_uint64 (value, priv->publisher_id);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_janus_signaller_finalize (GObject *object)
{
  auto self = GST_RTC_JANUS_SIGNALLER (object);
  janus_stop (GST_RTC_SIGNALLER (self));
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_janus_signaller_parent_class)->finalize (object);
}

static void gst_rtc_janus_signaller_class_init (GstRtcJanusSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gst_rtc_janus_signaller_set_property;
  gobject_class->get_property = gst_rtc_janus_signaller_get_property;
  gobject_class->finalize = gst_rtc_janus_signaller_finalize;
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_URL,
      g_param_spec_string (
          "url", "URL",
          "Janus's HTTP API (janus.transport.http.jcfg); the settings are read at start",
          DEFAULT_URL, rw));
  g_object_class_install_property (gobject_class, PROP_ROOM,
                                   g_param_spec_uint64 ("room", "Room",
                                                        "The VideoRoom's numeric id", 1,
                                                        G_MAXUINT64, DEFAULT_ROOM, rw));
  g_object_class_install_property (
      gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role",
                         "offerer: the element publishes into the room (webrtcpublish); "
                         "answerer: it receives the room's feeds (webrtcsubscribe)",
                         GST_TYPE_RTC_SIGNALLER_ROLE, DEFAULT_ROLE, rw));
  g_object_class_install_property (
      gobject_class, PROP_DISPLAY,
      g_param_spec_string ("display", "Display name",
                           "Our display name in the room (a publisher's is what subscribers "
                           "match with feed-display); NULL = none",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_FEED,
      g_param_spec_uint64 ("feed", "Feed",
                           "Answerer: follow only the publisher with this feed id (0 = not by id)",
                           0, G_MAXUINT64, 0, rw));
  g_object_class_install_property (
      gobject_class, PROP_FEED_DISPLAY,
      g_param_spec_string ("feed-display", "Feed display name",
                           "Answerer: follow the publishers with this display name; with neither "
                           "feed nor feed-display, every publisher of the room (one session each)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_CREATE_ROOM,
      g_param_spec_boolean ("create-room", "Create room",
                            "Create the room (not permanent) when it does not exist; otherwise a "
                            "missing room is an error",
                            FALSE, rw));
  g_object_class_install_property (
      gobject_class, PROP_ROOM_PIN,
      g_param_spec_string ("room-pin", "Room pin",
                           "The room's pin, when it has one (also given to a room we create)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_API_SECRET,
      g_param_spec_string ("api-secret", "API secret",
                           "Janus's api_secret (janus.jcfg), when it has one", nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_KEEPALIVE_INTERVAL,
      g_param_spec_uint ("keepalive-interval", "Keepalive interval",
                         "Milliseconds between keepalives (Janus ends a silent session after its "
                         "session_timeout, 60 s by default); 0 = only the long poll's",
                         0, 3600000, DEFAULT_KEEPALIVE_INTERVAL, rw));
  g_object_class_install_property (
      gobject_class, PROP_RETRY_DELAY_MIN,
      g_param_spec_uint ("retry-delay-min", "Minimum retry delay",
                         "Milliseconds before the first retry; doubles per failure", 0, 3600000,
                         DEFAULT_RETRY_DELAY_MIN, rw));
  g_object_class_install_property (
      gobject_class, PROP_RETRY_DELAY_MAX,
      g_param_spec_uint ("retry-delay-max", "Maximum retry delay",
                         "Longest back-off between attempts, in milliseconds", 0, 3600000,
                         DEFAULT_RETRY_DELAY_MAX, rw));
  g_object_class_install_property (gobject_class, PROP_JANUS_SESSION_ID,
                                   g_param_spec_uint64 ("janus-session-id", "Janus session id",
                                                        "The live Janus session's id, 0 when none",
                                                        0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_PUBLISHER_ID,
      g_param_spec_uint64 ("publisher-id", "Publisher id",
                           "Offerer: our feed id in the room once joined, 0 when not joined", 0,
                           G_MAXUINT64, 0, ro));
}

static void gst_rtc_janus_signaller_init (GstRtcJanusSignaller *self)
{
  self->priv = new GstRtcJanusSignallerPrivate ();
  self->priv->settings.url = DEFAULT_URL;
  self->priv->settings.room = DEFAULT_ROOM;
}

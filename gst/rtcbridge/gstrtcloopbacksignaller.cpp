/* See gstrtcloopbacksignaller.h. */
#include "gstrtcloopbacksignaller.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

/**
 * SECTION:gstrtcloopbacksignaller
 * @title: GstRtcLoopbackSignaller
 * @short_description: connects two elements in one process, no server
 *
 * Set one on a webrtcpublish and one on a webrtcsubscribe, same channel,
 * opposite roles: the two pipelines talk WebRTC with no HTTP. A channel
 * has one offerer and any number of answerers: a webrtcroom (offerer) and
 * several participants, each with its own session.
 */

GST_DEBUG_CATEGORY_STATIC (rtc_loopback_debug);
#define GST_CAT_DEFAULT rtc_loopback_debug

#define DEFAULT_CHANNEL "default"
#define DEFAULT_ROLE GST_RTC_SIGNALLER_ROLE_ANSWERER
#define DEFAULT_RETRY_DELAY 500

enum {
  PROP_0,
  PROP_CHANNEL,
  PROP_ROLE,
  PROP_RETRY_DELAY,
};

struct GstRtcLoopbackSignallerPrivate {
  std::mutex lock; /* guards the settings */
  std::string channel = DEFAULT_CHANNEL;
  GstRtcSignallerRole role = DEFAULT_ROLE;
  guint retry_delay_ms = DEFAULT_RETRY_DELAY;
};

struct _GstRtcLoopbackSignaller {
  GstObject parent;
  GstRtcLoopbackSignallerPrivate *priv;
};

static void loopback_iface_init (GstRtcSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcLoopbackSignaller, gst_rtc_loopback_signaller, GST_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER, loopback_iface_init));

namespace {

using Self = GstRtcLoopbackSignaller;

/* A live session: the answerer it connects the offerer with. */
struct Link {
  Self *answerer = nullptr; /* not owned (an end leaves in stop) */
  bool described = false;   /* a description of the session went across */
};

/* A channel: its ends while started, and the live sessions (one per
 * answerer at most). */
struct Channel {
  Self *offerer = nullptr;       /* not owned */
  std::vector<Self *> answerers; /* not owned, in the order they started */
  std::map<std::string, Link> sessions;
  guint64 serial = 0;
  bool empty () const { return !offerer && answerers.empty (); }
  bool has_answerer (Self *a) const
  {
    return std::find (answerers.begin (), answerers.end (), a) != answerers.end ();
  }
  bool in_session (Self *a) const
  {
    return std::any_of (
        sessions.begin (), sessions.end (),
        [a] (const std::pair<const std::string, Link> &kv) { return kv.second.answerer == a; });
  }
};

std::mutex registry_lock; /* guards registry */
std::map<std::string, Channel> registry;

struct Settings {
  std::string channel;
  GstRtcSignallerRole role;
  guint retry_delay_ms;
};

Settings settings_of (Self *self)
{
  std::lock_guard<std::mutex> g (self->priv->lock);
  return {self->priv->channel, self->priv->role, self->priv->retry_delay_ms};
}

Self *ref (Self *s)
{
  return static_cast<Self *> (gst_object_ref (s));
}

/* The other end of live session @session of @self's channel (a new
 * reference), or nullptr when @self is not one of its two ends. @first
 * (optional) tells whether no description of it went across yet, and marks
 * that one has. */
Self *ref_peer (Self *self, const char *session, bool *first = nullptr)
{
  Settings s = settings_of (self);
  std::lock_guard<std::mutex> g (registry_lock);
  auto it = registry.find (s.channel);
  if (it == registry.end () || !session)
    return nullptr;
  Channel &c = it->second;
  auto link = c.sessions.find (session);
  if (link == c.sessions.end ())
    return nullptr;
  Self *peer = nullptr;
  if (self == c.offerer && s.role == GST_RTC_SIGNALLER_ROLE_OFFERER)
    peer = link->second.answerer;
  else if (self == link->second.answerer)
    peer = c.offerer;
  if (!peer)
    return nullptr;
  if (first) {
    *first = !link->second.described;
    link->second.described = true;
  }
  return ref (peer);
}

/* Offerer side: a new session with @answerer when both are on the channel
 * and @answerer has none (emitted on the offerer). */
void request_session (Self *offerer, Self *answerer)
{
  Settings s = settings_of (offerer);
  std::string id;
  {
    std::lock_guard<std::mutex> g (registry_lock);
    auto it = registry.find (s.channel);
    if (it == registry.end () || it->second.offerer != offerer ||
        !it->second.has_answerer (answerer) || it->second.in_session (answerer))
      return;
    Channel &c = it->second;
    id = "loopback-" + s.channel + "-" + std::to_string (++c.serial);
    c.sessions[id].answerer = answerer;
  }
  GST_INFO_OBJECT (offerer, "new session %s", id.c_str ());
  g_signal_emit_by_name (offerer, "state-changed", "connecting", id.c_str ());
  g_signal_emit_by_name (offerer, "session-requested", id.c_str (),
                         ("loopback:" + s.channel).c_str (), nullptr);
}

/* Weak references to an offerer and an answerer, for a later request. */
struct Pair {
  GWeakRef offerer, answerer;
};

gboolean on_retry (GstClock *, GstClockTime, GstClockID, gpointer data)
{
  auto pair = static_cast<Pair *> (data);
  auto offerer = static_cast<Self *> (g_weak_ref_get (&pair->offerer));
  auto answerer = static_cast<Self *> (g_weak_ref_get (&pair->answerer));
  if (offerer && answerer)
    request_session (offerer, answerer);
  if (offerer)
    gst_object_unref (offerer);
  if (answerer)
    gst_object_unref (answerer);
  return TRUE;
}

void free_pair (gpointer data)
{
  auto pair = static_cast<Pair *> (data);
  g_weak_ref_clear (&pair->offerer);
  g_weak_ref_clear (&pair->answerer);
  delete pair;
}

/* Offerer: a new session with @answerer after the retry delay (on the
 * system clock's thread). */
void request_later (Self *offerer, Self *answerer)
{
  Settings s = settings_of (offerer);
  GstClock *clock = gst_system_clock_obtain ();
  GstClockID id = gst_clock_new_single_shot_id (clock, gst_clock_get_time (clock) +
                                                           s.retry_delay_ms * GST_MSECOND);
  auto pair = new Pair;
  g_weak_ref_init (&pair->offerer, offerer);
  g_weak_ref_init (&pair->answerer, answerer);
  gst_clock_id_wait_async (id, on_retry, pair, free_pair);
  gst_clock_id_unref (id);
  gst_object_unref (clock);
}

} // namespace

static gboolean loopback_start (GstRtcSignaller *signaller, GError **error)
{
  auto self = GST_RTC_LOOPBACK_SIGNALLER (signaller);
  Settings s = settings_of (self);
  Self *offerer = nullptr;
  std::vector<Self *> answerers; /* to ask sessions with (references) */
  {
    std::lock_guard<std::mutex> g (registry_lock);
    Channel &c = registry[s.channel];
    if (s.role == GST_RTC_SIGNALLER_ROLE_OFFERER) {
      if (c.offerer == self)
        return TRUE;
      if (c.offerer) {
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY,
                     "loopback channel '%s' already has an offerer", s.channel.c_str ());
        return FALSE;
      }
      c.offerer = self;
      offerer = ref (self);
      for (Self *a : c.answerers)
        answerers.push_back (ref (a));
    } else {
      if (c.has_answerer (self))
        return TRUE;
      c.answerers.push_back (self);
      if (c.offerer) {
        offerer = ref (c.offerer);
        answerers.push_back (ref (self));
      }
    }
  }
  GST_INFO_OBJECT (self, "on channel %s as %s", s.channel.c_str (),
                   s.role == GST_RTC_SIGNALLER_ROLE_OFFERER ? "offerer" : "answerer");
  for (Self *a : answerers) {
    request_session (offerer, a);
    gst_object_unref (a);
  }
  if (offerer)
    gst_object_unref (offerer);
  return TRUE;
}

static void loopback_stop (GstRtcSignaller *signaller)
{
  auto self = GST_RTC_LOOPBACK_SIGNALLER (signaller);
  Settings s = settings_of (self);
  /* (end to tell, session ended or "" for none) */
  std::vector<std::pair<Self *, std::string>> tell;
  bool offerer_alone = false;
  {
    std::lock_guard<std::mutex> g (registry_lock);
    auto it = registry.find (s.channel);
    if (it == registry.end ())
      return;
    Channel &c = it->second;
    if (s.role == GST_RTC_SIGNALLER_ROLE_OFFERER && c.offerer == self) {
      c.offerer = nullptr;
      for (auto &kv : c.sessions)
        tell.push_back ({ref (kv.second.answerer), kv.first});
      c.sessions.clear ();
      for (Self *a : c.answerers)
        if (std::none_of (tell.begin (), tell.end (),
                          [a] (const std::pair<Self *, std::string> &t) { return t.first == a; }))
          tell.push_back ({ref (a), ""});
    } else if (s.role != GST_RTC_SIGNALLER_ROLE_OFFERER && c.has_answerer (self)) {
      c.answerers.erase (std::find (c.answerers.begin (), c.answerers.end (), self));
      for (auto l = c.sessions.begin (); l != c.sessions.end (); ++l) {
        if (l->second.answerer != self)
          continue;
        if (c.offerer)
          tell.push_back ({ref (c.offerer), l->first});
        c.sessions.erase (l);
        break;
      }
      offerer_alone = c.offerer && c.answerers.empty ();
      if (c.offerer && tell.empty () && offerer_alone)
        tell.push_back ({ref (c.offerer), ""});
    } else {
      return;
    }
    if (c.empty ())
      registry.erase (it);
  }
  GST_INFO_OBJECT (self, "left channel %s", s.channel.c_str ());
  bool is_offerer = s.role == GST_RTC_SIGNALLER_ROLE_OFFERER;
  for (auto &t : tell) {
    if (!t.second.empty ())
      g_signal_emit_by_name (t.first, "session-ended", t.second.c_str ());
    /* An answerer always waits then; the offerer once it has nobody left. */
    if (is_offerer || offerer_alone)
      g_signal_emit_by_name (t.first, "state-changed", "waiting", "the other end stopped");
    gst_object_unref (t.first);
  }
}

static GstRtcSignallerRole loopback_get_role (GstRtcSignaller *signaller)
{
  return settings_of (GST_RTC_LOOPBACK_SIGNALLER (signaller)).role;
}

static gboolean loopback_get_trickle (GstRtcSignaller *)
{
  return TRUE;
}

static void loopback_send_description (GstRtcSignaller *signaller, const gchar *session_id,
                                       GstWebRTCSessionDescription *description)
{
  auto self = GST_RTC_LOOPBACK_SIGNALLER (signaller);
  bool first = false;
  Self *peer = ref_peer (self, session_id, &first);
  if (!peer) {
    GST_DEBUG_OBJECT (self, "session %s is over: description dropped", session_id);
    return;
  }
  /* The session's first offer asks the answerer for a session; later
   * offers (renegotiation, from either end) and answers are descriptions. */
  Settings s = settings_of (self);
  if (first && description->type == GST_WEBRTC_SDP_TYPE_OFFER &&
      s.role == GST_RTC_SIGNALLER_ROLE_OFFERER) {
    g_signal_emit_by_name (peer, "session-requested", session_id,
                           ("loopback:" + s.channel).c_str (), description);
  } else {
    g_signal_emit_by_name (peer, "session-description", session_id, description);
    if (description->type == GST_WEBRTC_SDP_TYPE_ANSWER)
      g_signal_emit_by_name (peer, "state-changed", "answered", session_id);
  }
  gst_object_unref (peer);
}

static void loopback_send_ice_candidate (GstRtcSignaller *signaller, const gchar *session_id,
                                         guint mline, const gchar *candidate)
{
  if (!candidate || !*candidate)
    return; /* webrtcbin needs no end-of-candidates */
  Self *peer = ref_peer (GST_RTC_LOOPBACK_SIGNALLER (signaller), session_id);
  if (!peer)
    return;
  g_signal_emit_by_name (peer, "ice-candidate", session_id, mline, candidate);
  gst_object_unref (peer);
}

/* The session is over on @self's side: tell the other end, and the offerer
 * asks for a new one with that answerer later. */
static void end_from (Self *self, const gchar *session_id, const char *why)
{
  Settings s = settings_of (self);
  Self *offerer = nullptr, *answerer = nullptr;
  {
    std::lock_guard<std::mutex> g (registry_lock);
    auto it = registry.find (s.channel);
    if (it == registry.end () || !session_id)
      return;
    Channel &c = it->second;
    auto link = c.sessions.find (session_id);
    if (link == c.sessions.end () ||
        (self != link->second.answerer &&
         !(self == c.offerer && s.role == GST_RTC_SIGNALLER_ROLE_OFFERER)))
      return;
    answerer = ref (link->second.answerer);
    offerer = c.offerer ? ref (c.offerer) : nullptr;
    c.sessions.erase (link);
  }
  GST_INFO_OBJECT (self, "session %s ended: %s", session_id, why);
  if (offerer) {
    g_signal_emit_by_name (self == offerer ? answerer : offerer, "session-ended", session_id);
    g_signal_emit_by_name (offerer, "state-changed", "retrying", why);
    request_later (offerer, answerer);
    gst_object_unref (offerer);
  }
  gst_object_unref (answerer);
}

static void loopback_reject_session (GstRtcSignaller *signaller, const gchar *session_id,
                                     const GError *error)
{
  end_from (GST_RTC_LOOPBACK_SIGNALLER (signaller), session_id,
            error ? error->message : "rejected");
}

static void loopback_end_session (GstRtcSignaller *signaller, const gchar *session_id)
{
  end_from (GST_RTC_LOOPBACK_SIGNALLER (signaller), session_id, "the session ended");
}

static void loopback_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = loopback_start;
  iface->stop = loopback_stop;
  iface->get_role = loopback_get_role;
  iface->get_trickle = loopback_get_trickle;
  iface->send_description = loopback_send_description;
  iface->send_ice_candidate = loopback_send_ice_candidate;
  iface->reject_session = loopback_reject_session;
  iface->end_session = loopback_end_session;
}

static void gst_rtc_loopback_signaller_set_property (GObject *object, guint prop_id,
                                                     const GValue *value, GParamSpec *pspec)
{
  auto priv = GST_RTC_LOOPBACK_SIGNALLER (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_CHANNEL: {
    const gchar *s = g_value_get_string (value);
    priv->channel = s ? s : DEFAULT_CHANNEL;
    break;
  }
  case PROP_ROLE:
    priv->role = (GstRtcSignallerRole)g_value_get_enum (value);
    break;
  case PROP_RETRY_DELAY:
    priv->retry_delay_ms = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_loopback_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                                     GParamSpec *pspec)
{
  auto priv = GST_RTC_LOOPBACK_SIGNALLER (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_CHANNEL:
    g_value_set_string (value, priv->channel.c_str ());
    break;
  case PROP_ROLE:
    g_value_set_enum (value, priv->role);
    break;
  case PROP_RETRY_DELAY:
    g_value_set_uint (value, priv->retry_delay_ms);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_loopback_signaller_finalize (GObject *object)
{
  auto self = GST_RTC_LOOPBACK_SIGNALLER (object);
  loopback_stop (GST_RTC_SIGNALLER (self));
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_loopback_signaller_parent_class)->finalize (object);
}

static void gst_rtc_loopback_signaller_class_init (GstRtcLoopbackSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gst_rtc_loopback_signaller_set_property;
  gobject_class->get_property = gst_rtc_loopback_signaller_get_property;
  gobject_class->finalize = gst_rtc_loopback_signaller_finalize;
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_CHANNEL,
      g_param_spec_string ("channel", "Channel",
                           "Name of the channel: its offerer and its answerers share it",
                           DEFAULT_CHANNEL, rw));
  g_object_class_install_property (
      gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role",
                         "Whether this end's element offers (one per channel) or answers (any "
                         "number per channel, a session each)",
                         GST_TYPE_RTC_SIGNALLER_ROLE, DEFAULT_ROLE, rw));
  g_object_class_install_property (
      gobject_class, PROP_RETRY_DELAY,
      g_param_spec_uint ("retry-delay", "Retry delay",
                         "Offerer: ms before a new session with an answerer after its session "
                         "ended while both run",
                         0, 600000, DEFAULT_RETRY_DELAY, rw));
  GST_DEBUG_CATEGORY_INIT (rtc_loopback_debug, "rtcloopbacksignaller", 0,
                           "In-process loopback signaller");
}

static void gst_rtc_loopback_signaller_init (GstRtcLoopbackSignaller *self)
{
  self->priv = new GstRtcLoopbackSignallerPrivate ();
}

/**
 * gst_rtc_loopback_signaller_new:
 * @channel: the channel's name, shared by the two ends
 * @role: this end's element's role
 *
 * Returns: (transfer full): a new loopback signaller
 */
GstRtcSignaller *gst_rtc_loopback_signaller_new (const gchar *channel, GstRtcSignallerRole role)
{
  return GST_RTC_SIGNALLER (gst_object_ref_sink (
      g_object_new (GST_TYPE_RTC_LOOPBACK_SIGNALLER, "channel", channel, "role", role, nullptr)));
}

/* See gstrtcroomdefaultsignaller.h. */
#include "gstrtcroomdefaultsignaller.h"

#include <mutex>
#include <string>
#include <vector>

#include "gstrtcroomclientsignaller.h"
#include "gstrtcroomsignaller.h"
#include "rtchttpauthorize.h"
#include "rtcstatshttp.h"

/**
 * SECTION:gstrtcroomdefaultsignaller
 * @title: GstRtcRoomDefaultSignaller
 * @short_description: webrtcroom's default signaller: hosts the room or joins one
 *
 * Hosts the room with a #GstRtcRoomSignaller on the embedded server, or,
 * once `room-url` is set, joins the room at that URL with a
 * #GstRtcRoomClientSignaller.
 *
 * Since: 0.2
 */

GST_DEBUG_CATEGORY_STATIC (gst_rtc_room_default_signaller_debug);
#define GST_CAT_DEFAULT gst_rtc_room_default_signaller_debug

namespace {

enum Target { SERVER = 1, CLIENT = 2, BOTH = 3 };

/* The inner signallers' properties, under the same names. */
struct Forward {
  const char *name;
  Target target;
};
const Forward FORWARDS[] = {
    {"address", SERVER},
    {"port", SERVER},
    {"room-name", SERVER},
    {"auth-token", BOTH},
    {"allowed-origins", SERVER},
    {"tls-certificate-file", SERVER},
    {"tls-key-file", SERVER},
    {"max-participants", SERVER},
    {"keepalive-timeout", SERVER},
    {"resume-timeout", SERVER},
    {"messages-per-second", SERVER},
    {"data-channels", SERVER},
    {"turn-secret", SERVER},
    {"turn-credential-lifetime", SERVER},
    {"jwt-key", SERVER},
    {"jwt-algorithm", SERVER},
    {"pipeline-tracks", SERVER},
    {"serve-stats", SERVER},
    {"url", SERVER},
    {"n-participants", SERVER},
    {"display-name", CLIENT},
    {"join-timeout", CLIENT},
    {"participant-id", CLIENT},
    {"roster", CLIENT},
};
constexpr guint N_FORWARDS = G_N_ELEMENTS (FORWARDS);

enum {
  PROP_0,
  PROP_ROOM_URL,
  PROP_ICE_SERVERS,
  PROP_FIRST_FORWARD, /* FORWARDS[i] is PROP_FIRST_FORWARD + i */
};

const char *RELAYED[] = {"session-requested", "session-description", "ice-candidate",
                         "session-ended",     "state-changed",       "error"};
/* The host's own signals. */
const char *HOST_SIGNALS[] = {"track-published", "track-unpublished", "chat", "audio-volume"};

} // namespace

struct GstRtcRoomDefaultSignallerPrivate {
  std::mutex lock; /* guards the members below */
  std::string room_url;
  GstRtcSignaller *server = nullptr; /* owned */
  GstRtcSignaller *client = nullptr; /* owned */
  GstRtcSignaller *active = nullptr; /* server or client while started */
  std::vector<gulong> relays;        /* on active */
  gulong server_notify = 0, client_notify = 0;
};

struct _GstRtcRoomDefaultSignaller {
  GstObject parent;
  GstRtcRoomDefaultSignallerPrivate *priv;
};

static void gst_rtc_room_default_signaller_iface_init (GstRtcSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcRoomDefaultSignaller, gst_rtc_room_default_signaller,
                         GST_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER,
                                                gst_rtc_room_default_signaller_iface_init));

namespace {

using Self = GstRtcRoomDefaultSignaller;

GstRtcSignaller *ref_active (Self *self)
{
  std::lock_guard<std::mutex> g (self->priv->lock);
  return self->priv->active ? GST_RTC_SIGNALLER (gst_object_ref (self->priv->active)) : nullptr;
}

bool joins (Self *self)
{
  std::lock_guard<std::mutex> g (self->priv->lock);
  return !self->priv->room_url.empty ();
}

/* Re-emits an inner signaller's signal as ours, by name (same thread). */
void relay (GSignalInvocationHint *hint, guint n_values, const GValue *values, Self *self)
{
  guint id = g_signal_lookup (g_signal_name (hint->signal_id), G_OBJECT_TYPE (self));
  if (!id)
    return;
  std::vector<GValue> args (n_values);
  for (auto &a : args)
    a = G_VALUE_INIT;
  g_value_init (&args[0], G_TYPE_FROM_INSTANCE (self));
  g_value_set_object (&args[0], self);
  for (guint i = 1; i < n_values; i++) {
    g_value_init (&args[i], G_VALUE_TYPE (&values[i]));
    g_value_copy (&values[i], &args[i]);
  }
  g_signal_emitv (args.data (), id, 0, nullptr);
  for (auto &a : args)
    g_value_unset (&a);
}

GClosure *relay_closure (Self *self)
{
  GClosure *c = g_closure_new_object (sizeof (GClosure), G_OBJECT (self));
  g_closure_set_marshal (
      c, [] (GClosure *closure, GValue *, guint n, const GValue *values, gpointer hint, gpointer) {
        relay (static_cast<GSignalInvocationHint *> (hint), n, values,
               static_cast<Self *> (closure->data));
      });
  return c;
}

/* An inner read-only property changed: ours does. */
void on_inner_notify (GObject *inner, GParamSpec *pspec, Self *self)
{
  auto priv = self->priv;
  Target from = inner == G_OBJECT (priv->server) ? SERVER : CLIENT;
  if (from == CLIENT && g_str_equal (pspec->name, "ice-servers")) {
    g_object_notify (G_OBJECT (self), "ice-servers");
    return;
  }
  for (auto &f : FORWARDS)
    if ((f.target & from) && g_str_equal (f.name, pspec->name) &&
        !(pspec->flags & G_PARAM_WRITABLE))
      g_object_notify (G_OBJECT (self), f.name);
}

} // namespace

static gboolean room_default_start (GstRtcSignaller *signaller, GError **error)
{
  auto self = GST_RTC_ROOM_DEFAULT_SIGNALLER (signaller);
  auto priv = self->priv;
  GstRtcSignaller *active;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    if (priv->active)
      return TRUE;
    active = priv->room_url.empty () ? priv->server : priv->client;
    priv->active = active;
    /* Its server's /stats.json serves the element's stats (rtcstatshttp.h). */
    rtc::set_stats_owner (G_OBJECT (active), rtc::ref_stats_owner (G_OBJECT (self)).get ());
    for (const char *name : RELAYED)
      priv->relays.push_back (g_signal_connect_closure (active, name, relay_closure (self), FALSE));
    if (active == priv->server)
      for (const char *name : HOST_SIGNALS)
        priv->relays.push_back (
            g_signal_connect_closure (active, name, relay_closure (self), FALSE));
  }
  GST_INFO_OBJECT (self, "as %s", G_OBJECT_TYPE_NAME (active));
  if (gst_rtc_signaller_start (active, error))
    return TRUE;
  std::lock_guard<std::mutex> g (priv->lock);
  for (gulong id : priv->relays)
    g_signal_handler_disconnect (priv->active, id);
  priv->relays.clear ();
  priv->active = nullptr;
  return FALSE;
}

static void room_default_stop (GstRtcSignaller *signaller)
{
  auto self = GST_RTC_ROOM_DEFAULT_SIGNALLER (signaller);
  auto priv = self->priv;
  GstRtcSignaller *active = ref_active (self);
  if (!active)
    return;
  gst_rtc_signaller_stop (active);
  {
    std::lock_guard<std::mutex> g (priv->lock);
    for (gulong id : priv->relays)
      g_signal_handler_disconnect (active, id);
    priv->relays.clear ();
    priv->active = nullptr;
  }
  gst_object_unref (active);
}

static GstRtcSignallerRole room_default_get_role (GstRtcSignaller *signaller)
{
  return joins (GST_RTC_ROOM_DEFAULT_SIGNALLER (signaller)) ? GST_RTC_SIGNALLER_ROLE_ANSWERER
                                                            : GST_RTC_SIGNALLER_ROLE_OFFERER;
}

static gboolean room_default_get_trickle (GstRtcSignaller *)
{
  return TRUE;
}

static void room_default_send_description (GstRtcSignaller *signaller, const gchar *session_id,
                                           GstWebRTCSessionDescription *description)
{
  if (GstRtcSignaller *a = ref_active (GST_RTC_ROOM_DEFAULT_SIGNALLER (signaller))) {
    gst_rtc_signaller_send_description (a, session_id, description);
    gst_object_unref (a);
  }
}

static void room_default_send_ice_candidate (GstRtcSignaller *signaller, const gchar *session_id,
                                             guint mline, const gchar *candidate)
{
  if (GstRtcSignaller *a = ref_active (GST_RTC_ROOM_DEFAULT_SIGNALLER (signaller))) {
    gst_rtc_signaller_send_ice_candidate (a, session_id, mline, candidate);
    gst_object_unref (a);
  }
}

static void room_default_reject_session (GstRtcSignaller *signaller, const gchar *session_id,
                                         const GError *error)
{
  if (GstRtcSignaller *a = ref_active (GST_RTC_ROOM_DEFAULT_SIGNALLER (signaller))) {
    gst_rtc_signaller_reject_session (a, session_id, error);
    gst_object_unref (a);
  }
}

static void room_default_end_session (GstRtcSignaller *signaller, const gchar *session_id)
{
  if (GstRtcSignaller *a = ref_active (GST_RTC_ROOM_DEFAULT_SIGNALLER (signaller))) {
    gst_rtc_signaller_end_session (a, session_id);
    gst_object_unref (a);
  }
}

static void gst_rtc_room_default_signaller_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = room_default_start;
  iface->stop = room_default_stop;
  iface->get_role = room_default_get_role;
  iface->get_trickle = room_default_get_trickle;
  iface->send_description = room_default_send_description;
  iface->send_ice_candidate = room_default_send_ice_candidate;
  iface->reject_session = room_default_reject_session;
  iface->end_session = room_default_end_session;
}

/* "send-chat": the host says something in its room. */
static gboolean room_default_send_chat (Self *self, const gchar *text)
{
  gboolean sent = FALSE;
  if (!joins (self))
    g_signal_emit_by_name (self->priv->server, "send-chat", text, &sent);
  return sent;
}

/* "send-speaking": who speaks in the host's room (audio mixing). */
static void room_default_send_speaking (Self *self, const gchar *participant, gboolean speaking,
                                        gint level, gboolean active)
{
  if (!joins (self))
    g_signal_emit_by_name (self->priv->server, "send-speaking", participant, speaking, level,
                           active);
}

/* "send-audio-muted": the host's mutes (audio mixing). */
static void room_default_send_audio_muted (Self *self, const gchar *participant, gboolean muted)
{
  if (!joins (self))
    g_signal_emit_by_name (self->priv->server, "send-audio-muted", participant, muted);
}

/* "send-levels": everyone's level (audio mixing). */
static void room_default_send_levels (Self *self, const GstStructure *levels)
{
  if (!joins (self))
    g_signal_emit_by_name (self->priv->server, "send-levels", levels);
}

static void gst_rtc_room_default_signaller_set_property (GObject *object, guint prop_id,
                                                         const GValue *value, GParamSpec *pspec)
{
  auto priv = GST_RTC_ROOM_DEFAULT_SIGNALLER (object)->priv;
  if (prop_id >= PROP_FIRST_FORWARD && prop_id < PROP_FIRST_FORWARD + N_FORWARDS) {
    const Forward &f = FORWARDS[prop_id - PROP_FIRST_FORWARD];
    if (f.target & SERVER)
      g_object_set_property (G_OBJECT (priv->server), f.name, value);
    if (f.target & CLIENT)
      g_object_set_property (G_OBJECT (priv->client), f.name, value);
    return;
  }
  switch (prop_id) {
  case PROP_ROOM_URL: {
    const gchar *s = g_value_get_string (value);
    {
      std::lock_guard<std::mutex> g (priv->lock);
      priv->room_url = s ? s : "";
    }
    g_object_set_property (G_OBJECT (priv->client), "room-url", value);
    break;
  }
  case PROP_ICE_SERVERS:
    g_object_set_property (G_OBJECT (priv->server), "ice-servers", value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_room_default_signaller_get_property (GObject *object, guint prop_id,
                                                         GValue *value, GParamSpec *pspec)
{
  auto self = GST_RTC_ROOM_DEFAULT_SIGNALLER (object);
  auto priv = self->priv;
  if (prop_id >= PROP_FIRST_FORWARD && prop_id < PROP_FIRST_FORWARD + N_FORWARDS) {
    const Forward &f = FORWARDS[prop_id - PROP_FIRST_FORWARD];
    g_object_get_property (G_OBJECT (f.target & SERVER ? priv->server : priv->client), f.name,
                           value);
    return;
  }
  switch (prop_id) {
  case PROP_ROOM_URL: {
    std::lock_guard<std::mutex> g (priv->lock);
    g_value_set_string (value, priv->room_url.empty () ? nullptr : priv->room_url.c_str ());
    break;
  }
  case PROP_ICE_SERVERS:
    /* A participant: what the room announced. */
    g_object_get_property (G_OBJECT (joins (self) ? priv->client : priv->server), "ice-servers",
                           value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_room_default_signaller_finalize (GObject *object)
{
  auto self = GST_RTC_ROOM_DEFAULT_SIGNALLER (object);
  auto priv = self->priv;
  room_default_stop (GST_RTC_SIGNALLER (self));
  g_signal_handler_disconnect (priv->server, priv->server_notify);
  g_signal_handler_disconnect (priv->client, priv->client_notify);
  gst_object_unref (priv->server);
  gst_object_unref (priv->client);
  delete priv;
  G_OBJECT_CLASS (gst_rtc_room_default_signaller_parent_class)->finalize (object);
}

/* The inner property's spec under the same name: same type, range,
 * default, blurb and access. */
static GParamSpec *forwarded_spec (GType inner, const char *name)
{
  GObjectClass *klass = G_OBJECT_CLASS (g_type_class_ref (inner));
  GParamSpec *p = g_object_class_find_property (klass, name);
  g_assert (p);
  GParamFlags f = GParamFlags (
      G_PARAM_STATIC_STRINGS |
      (p->flags & (G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY | GST_PARAM_MUTABLE_PLAYING)));
  const char *nick = g_param_spec_get_nick (p), *blurb = g_param_spec_get_blurb (p);
  GParamSpec *copy = nullptr;
  if (G_IS_PARAM_SPEC_STRING (p))
    copy = g_param_spec_string (name, nick, blurb, G_PARAM_SPEC_STRING (p)->default_value, f);
  else if (G_IS_PARAM_SPEC_BOOLEAN (p))
    copy = g_param_spec_boolean (name, nick, blurb, G_PARAM_SPEC_BOOLEAN (p)->default_value, f);
  else if (G_IS_PARAM_SPEC_UINT (p))
    copy =
        g_param_spec_uint (name, nick, blurb, G_PARAM_SPEC_UINT (p)->minimum,
                           G_PARAM_SPEC_UINT (p)->maximum, G_PARAM_SPEC_UINT (p)->default_value, f);
  g_type_class_unref (klass);
  g_assert (copy);
  return copy;
}

static void gst_rtc_room_default_signaller_class_init (GstRtcRoomDefaultSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gst_rtc_room_default_signaller_set_property;
  gobject_class->get_property = gst_rtc_room_default_signaller_get_property;
  gobject_class->finalize = gst_rtc_room_default_signaller_finalize;
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property (
      gobject_class, PROP_ROOM_URL,
      g_param_spec_string ("room-url", "Room URL",
                           "Join the room at this URL (ws://host:port/room/<name>, or wss://) "
                           "as a participant instead of hosting one (NULL = host)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_ICE_SERVERS,
      g_param_spec_string ("ice-servers", "ICE servers",
                           "Host: the stun:// and turn:// URLs announced to participants in "
                           "`welcome`. Participant: read, the ones the room announced",
                           nullptr, GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  for (guint i = 0; i < N_FORWARDS; i++)
    g_object_class_install_property (gobject_class, PROP_FIRST_FORWARD + i,
                                     forwarded_spec (FORWARDS[i].target & SERVER
                                                         ? GST_TYPE_RTC_ROOM_SIGNALLER
                                                         : GST_TYPE_RTC_ROOM_CLIENT_SIGNALLER,
                                                     FORWARDS[i].name));
  /* The host's signals, with GstRtcRoomSignaller's signatures (see there). */
  guint host[4];
  gst_rtc_room_signaller_install_host_signals (klass, host);
  const GCallback host_actions[4] = {
      G_CALLBACK (room_default_send_chat), G_CALLBACK (room_default_send_speaking),
      G_CALLBACK (room_default_send_audio_muted), G_CALLBACK (room_default_send_levels)};
  gst_rtc_room_signaller_install_host_actions (G_OBJECT_CLASS (klass), host_actions);
  GST_DEBUG_CATEGORY_INIT (gst_rtc_room_default_signaller_debug, "rtcroomdefaultsignaller", 0,
                           "webrtcroom's default signaller: host or participant");
}

static void gst_rtc_room_default_signaller_init (GstRtcRoomDefaultSignaller *self)
{
  auto priv = self->priv = new GstRtcRoomDefaultSignallerPrivate ();
  priv->server =
      GST_RTC_SIGNALLER (gst_object_ref_sink (g_object_new (GST_TYPE_RTC_ROOM_SIGNALLER, nullptr)));
  priv->client = GST_RTC_SIGNALLER (
      gst_object_ref_sink (g_object_new (GST_TYPE_RTC_ROOM_CLIENT_SIGNALLER, nullptr)));
  priv->server_notify =
      g_signal_connect (priv->server, "notify", G_CALLBACK (on_inner_notify), self);
  rtc::relay_authorize (G_OBJECT (priv->server), G_OBJECT (self));
  priv->client_notify =
      g_signal_connect (priv->client, "notify", G_CALLBACK (on_inner_notify), self);
}

GstRtcSignaller *gst_rtc_room_default_signaller_new (void)
{
  return GST_RTC_SIGNALLER (
      gst_object_ref_sink (g_object_new (GST_TYPE_RTC_ROOM_DEFAULT_SIGNALLER, nullptr)));
}

/* See rtcelement.h. */
#include "rtcelement.h"

#include "rtcteardown.h"

GST_DEBUG_CATEGORY_STATIC (rtc_element_debug);
#define GST_CAT_DEFAULT rtc_element_debug

namespace rtc {

ElementCore::ElementCore (GstElement *e, const SignallerHost::Role &role)
    : element (e), host (role), data (std::make_unique<DataRouter> (e, role.element))
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_element_debug, "rtcelement", 0, "The elements' shared shell");
    g_once_init_leave (&once, 1);
  }
  SignallerHost::attach (e, &host);
  stats = std::make_unique<StatsReporter> (
      e, role.element, control, [this] (GstStructure *fields, std::vector<SessionFacts> &facts) {
        if (Sessions *sessions = running_sessions.load ())
          sessions->gather_stats (fields, facts);
        else
          gst_structure_set (fields, "n-sessions", G_TYPE_UINT, 0u, "connected", G_TYPE_UINT, 0u,
                             "handshakes", G_TYPE_UINT, 0u, nullptr);
      });
}

ElementCore::~ElementCore () = default;

Settings ElementCore::copy_settings ()
{
  std::lock_guard<std::mutex> g (lock);
  return settings;
}

bool ElementCore::set_property (guint prop_id, const GValue *value, guint signaller_prop)
{
  if (prop_id == signaller_prop) {
    if (GST_STATE (element) != GST_STATE_NULL) {
      GST_WARNING_OBJECT (element, "the signaller can only be changed in the NULL state");
      return true;
    }
    host.set (GST_RTC_SIGNALLER (g_value_get_object (value)), copy_settings ());
    return true;
  }
  Settings copy;
  {
    std::lock_guard<std::mutex> g (lock);
    if (!settings.set (prop_id, value))
      return false;
    copy = settings;
  }
  if (prop_id == Settings::STATS_INTERVAL)
    stats->set_interval (copy.stats_interval_ms);
  else if (prop_id == Settings::SIGNALLER_TYPE)
    use_signaller_type (copy);
  else
    host.forward (prop_id, copy);
  return true;
}

/* signaller-type: a new signaller of that type (loaded from its plugin when
 * it is a dynamic type), or the default for NULL. */
void ElementCore::use_signaller_type (const Settings &s)
{
  if (GST_STATE (element) != GST_STATE_NULL) {
    GST_WARNING_OBJECT (element, "the signaller can only be changed in the NULL state");
    return;
  }
  signaller_error.clear ();
  if (s.signaller_type.empty ()) {
    host.set (nullptr, s);
    return;
  }
  const char *name = s.signaller_type.c_str ();
  GType type = g_type_from_name (name);
  if (!type)
    type = gst_dynamic_type_factory_load (name);
  if (!type || !g_type_is_a (type, GST_TYPE_RTC_SIGNALLER) || G_TYPE_IS_ABSTRACT (type) ||
      !G_TYPE_IS_INSTANTIATABLE (type)) {
    signaller_error = std::string ("signaller-type '") + name +
                      "' is not a GstRtcSignaller type (GstRtcJanusSignaller, "
                      "GstRtcLoopbackSignaller, or one an application registered)";
    GST_WARNING_OBJECT (element, "%s", signaller_error.c_str ());
    return;
  }
  /* The host takes a floating reference, or one more of its own. */
  GObject *signaller = G_OBJECT (g_object_new (type, nullptr));
  bool floating = g_object_is_floating (signaller);
  host.set (GST_RTC_SIGNALLER (signaller), s);
  if (!floating)
    g_object_unref (signaller);
}

bool ElementCore::get_property (guint prop_id, GValue *value, guint signaller_prop)
{
  /* The bound port, the page URL, what signaller::... set. */
  if (host.read (prop_id, value))
    return true;
  if (prop_id == signaller_prop) {
    g_value_take_object (value, host.ref ());
    return true;
  }
  if (prop_id == Settings::STATS) {
    g_value_take_boxed (value, stats->report ());
    return true;
  }
  std::lock_guard<std::mutex> g (lock);
  return settings.get (prop_id, value);
}

bool ElementCore::parse_preferences (std::vector<const Codec *> &preferences)
{
  std::string error;
  if (parse_codec_preferences (copy_settings ().codec_preferences, preferences, error))
    return true;
  GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS, ("Invalid codec-preferences: %s", error.c_str ()),
                     (nullptr));
  return false;
}

bool ElementCore::start (const char *thread_name, Sessions &sessions, std::function<void ()> tick)
{
  if (!signaller_error.empty ()) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS, ("%s", signaller_error.c_str ()), (nullptr));
    return false;
  }
  Settings s = copy_settings ();
  running_sessions = &sessions;
  control.start (thread_name);
  stats->start ();
  control.every (1000, [tick] () {
    tick ();
    return true;
  });
  return host.start (element, s, &control, sessions);
}

void ElementCore::stop (Sessions &sessions, std::function<void ()> teardown)
{
  data->stop ();
  host.stop ();
  if (control.running ())
    control.post_sync (teardown);
  stats->stop ();
  control.stop ();
  running_sessions = nullptr;
  sessions.unbind ();
  wait_disposals (); /* nothing of ours outlives the element */
}

void ElementCore::data_transition (GstStateChange transition)
{
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    data->start ();
  else if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    data->stop (); /* blocked senders let go before their pads stop */
}

void ElementCore::describe (const std::string &media)
{
  host.describe (media, data_channels_json (data->wanted ()));
}

void ElementCore::describe (const std::string &media, const std::string &data_channels)
{
  host.describe (media, data_channels);
}

void ElementCore::signaller_failed (const std::string &message)
{
  GST_ELEMENT_ERROR (element, RESOURCE, FAILED, ("%s", message.c_str ()),
                     ("the signaller gave up: retrying cannot fix this; check its settings "
                      "(URL, auth-token)"));
}

ElementSessions::Hooks ElementCore::hooks (guint created_signal)
{
  ElementSessions::Hooks h;
  GstElement *e = element;
  h.created = [e, created_signal] (const std::string &id, GstElement *webrtcbin) {
    g_signal_emit (e, created_signal, 0, id.c_str (), webrtcbin);
  };
  h.error = [this] (const std::string &message) {
    signaller_failed (message);
  };
  return h;
}

} // namespace rtc

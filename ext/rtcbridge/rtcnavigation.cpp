/* See rtcnavigation.h. */
#include "rtcnavigation.h"

#include "rtcjsondepth.h"

#include <gst/video/navigation.h>
#include <json-glib/json-glib.h>
#include <cmath>
#include <cstring>
#include <string>

GST_DEBUG_CATEGORY_STATIC (rtc_navigation_debug);
#define GST_CAT_DEFAULT rtc_navigation_debug

namespace rtc {

namespace {

/* The largest message is well under 200 bytes and an object holding one
 * array ("modifiers"); json-glib has no nesting limit of its own. */
constexpr gsize MAX_MESSAGE_BYTES = 1024;
constexpr guint MAX_DEPTH = 2;
constexpr double MAX_SCROLL = 10;
/* A viewer's rate state is forgotten this long after its last message. */
constexpr gint64 RATE_IDLE_US = 10 * G_USEC_PER_SEC;

/* Browser KeyboardEvent.key -> X11 keysym name, for the keys whose names
 * differ; printable characters are their own name. */
const char *keysym_for (const char *key)
{
  static const struct {
    const char *browser, *keysym;
  } map[] = {
      {"Enter", "Return"},      {"ArrowLeft", "Left"},     {"ArrowRight", "Right"},
      {"ArrowUp", "Up"},        {"ArrowDown", "Down"},     {"Backspace", "BackSpace"},
      {" ", "space"},           {"PageUp", "Prior"},       {"PageDown", "Next"},
      {"Control", "Control_L"}, {"Shift", "Shift_L"},      {"Alt", "Alt_L"},
      {"Meta", "Super_L"},      {"CapsLock", "Caps_Lock"}, {"ContextMenu", "Menu"},
  };
  for (auto &m : map)
    if (g_str_equal (key, m.browser))
      return m.keysym;
  return key;
}

GstNavigationModifierType modifiers (JsonObject *o)
{
  guint state = GST_NAVIGATION_MODIFIER_NONE;
  if (!json_object_has_member (o, "modifiers"))
    return (GstNavigationModifierType)state;
  JsonNode *node = json_object_get_member (o, "modifiers");
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return (GstNavigationModifierType)state;
  JsonArray *a = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);
    const gchar *m = JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING
                         ? json_node_get_string (e)
                         : "";
    if (g_str_equal (m, "shift"))
      state |= GST_NAVIGATION_MODIFIER_SHIFT_MASK;
    else if (g_str_equal (m, "control"))
      state |= GST_NAVIGATION_MODIFIER_CONTROL_MASK;
    else if (g_str_equal (m, "alt"))
      state |= GST_NAVIGATION_MODIFIER_MOD1_MASK;
    else if (g_str_equal (m, "meta"))
      state |= GST_NAVIGATION_MODIFIER_META_MASK;
  }
  return (GstNavigationModifierType)state;
}

bool number (JsonObject *o, const char *name, double &out, std::string &error)
{
  JsonNode *n = json_object_get_member (o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) ||
      (json_node_get_value_type (n) != G_TYPE_DOUBLE &&
       json_node_get_value_type (n) != G_TYPE_INT64)) {
    error = std::string ("\"") + name + "\" must be a number";
    return false;
  }
  out = json_node_get_double (n);
  if (!std::isfinite (out)) {
    error = std::string ("\"") + name + "\" must be finite";
    return false;
  }
  return true;
}

/* x, y as fractions of the picture, scaled to pixels. */
bool position (JsonObject *o, gint width, gint height, double &x, double &y, std::string &error)
{
  if (!number (o, "x", x, error) || !number (o, "y", y, error))
    return false;
  if (x < 0 || x > 1 || y < 0 || y > 1) {
    error = "x and y are fractions of the picture, 0 to 1";
    return false;
  }
  x *= width;
  y *= height;
  return true;
}

/* @name's string, nullptr when it is missing or not a string (json-glib's
 * own getters are critical about other types: a viewer must not be able to
 * provoke that). */
const gchar *string_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
             ? json_node_get_string (n)
             : nullptr;
}

double optional (JsonObject *o, const char *name, double fallback)
{
  std::string ignored;
  double v;
  return json_object_has_member (o, name) && number (o, name, v, ignored) ? v : fallback;
}

} // namespace

GstEvent *navigation_event_from_json (const char *json, gint width, gint height, std::string &error)
{
  gsize len = json ? strlen (json) : 0;
  if (len > MAX_MESSAGE_BYTES) {
    error = "a navigation message is at most " + std::to_string (MAX_MESSAGE_BYTES) + " bytes";
    return nullptr;
  }
  if (json && !json_depth_within (json, len, MAX_DEPTH)) {
    error = "a navigation message nests at most " + std::to_string (MAX_DEPTH) + " levels";
    return nullptr;
  }
  g_autoptr (JsonParser) parser = json_parser_new ();
  GError *err = nullptr;
  if (!json || !json_parser_load_from_data (parser, json, -1, &err)) {
    error = std::string ("not JSON: ") + (err ? err->message : "empty");
    g_clear_error (&err);
    return nullptr;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    error = "not a JSON object";
    return nullptr;
  }
  JsonObject *o = json_node_get_object (root);
  const gchar *type = string_member (o, "type");
  if (!type) {
    error = "no \"type\"";
    return nullptr;
  }
  GstNavigationModifierType state = modifiers (o);
  double x = 0, y = 0;
  if (g_str_has_prefix (type, "mouse-")) {
    if (!position (o, width, height, x, y, error))
      return nullptr;
    if (g_str_equal (type, "mouse-move"))
      return gst_navigation_event_new_mouse_move (x, y, state);
    if (g_str_equal (type, "mouse-scroll"))
      return gst_navigation_event_new_mouse_scroll (
          x, y, CLAMP (optional (o, "dx", 0), -MAX_SCROLL, MAX_SCROLL),
          CLAMP (optional (o, "dy", 0), -MAX_SCROLL, MAX_SCROLL), state);
    /* Checked as a double: a huge number does not fit a gint (UBSan,
     * found by fuzz_navigation). */
    double b = optional (o, "button", 1);
    if (!(b >= 1 && b <= 5)) {
      error = "\"button\" is 1 to 5";
      return nullptr;
    }
    gint button = (gint)b;
    if (g_str_equal (type, "mouse-button-press"))
      return gst_navigation_event_new_mouse_button_press (button, x, y, state);
    if (g_str_equal (type, "mouse-button-release"))
      return gst_navigation_event_new_mouse_button_release (button, x, y, state);
  } else if (g_str_has_prefix (type, "key-")) {
    const gchar *key = string_member (o, "key");
    if (!key || !*key || strlen (key) > 32) {
      error = "\"key\" must be a key name";
      return nullptr;
    }
    if (g_str_equal (type, "key-press"))
      return gst_navigation_event_new_key_press (keysym_for (key), state);
    if (g_str_equal (type, "key-release"))
      return gst_navigation_event_new_key_release (keysym_for (key), state);
  } else if (g_str_has_prefix (type, "touch-")) {
    if (g_str_equal (type, "touch-frame"))
      return gst_navigation_event_new_touch_frame (state);
    if (g_str_equal (type, "touch-cancel"))
      return gst_navigation_event_new_touch_cancel (state);
    double id = optional (o, "id", -1);
    if (id < 0 || id > G_MAXUINT) {
      error = "\"id\" must be a touch point number";
      return nullptr;
    }
    if (!position (o, width, height, x, y, error))
      return nullptr;
    double pressure = optional (o, "pressure", NAN);
    if (!std::isnan (pressure))
      pressure = CLAMP (pressure, 0.0, 1.0);
    if (g_str_equal (type, "touch-down"))
      return gst_navigation_event_new_touch_down ((guint)id, x, y, pressure, state);
    if (g_str_equal (type, "touch-motion"))
      return gst_navigation_event_new_touch_motion ((guint)id, x, y, pressure, state);
    if (g_str_equal (type, "touch-up"))
      return gst_navigation_event_new_touch_up ((guint)id, x, y, state);
  }
  error = std::string ("unknown \"type\" ") + type;
  return nullptr;
}

RateLimit::Verdict NavigationRate::take (const std::string &session)
{
  gint64 now = g_get_monotonic_time ();
  std::lock_guard<std::mutex> g (lock_);
  if (sessions_.size () >= 64 && !sessions_.count (session)) {
    for (auto it = sessions_.begin (); it != sessions_.end ();)
      it = now - it->second.last_us () > RATE_IDLE_US ? sessions_.erase (it) : std::next (it);
  }
  return sessions_[session].take (PER_SECOND, now);
}

void navigation_handle (GstElement *element, DataRouter &router, NavigationRate &rate,
                        const std::string &session, const gchar *text, GstPad *target, gint width,
                        gint height)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_navigation_debug, "rtcnavigation", 0, "Remote control");
    g_once_init_leave (&once, 1);
  }
  std::string error;
  GstEvent *event = nullptr;
  RateLimit::Verdict verdict = rate.take (session);
  if (verdict == RateLimit::Verdict::DROP || verdict == RateLimit::Verdict::FLOOD)
    return;
  if (verdict == RateLimit::Verdict::DROP_FIRST)
    error = "more than " + std::to_string ((int)NavigationRate::PER_SECOND) +
            " navigation messages per second: dropped";
  else if (!text)
    error = "navigation messages are JSON text";
  else if (!target || width <= 0 || height <= 0)
    error = "this stream has no video to navigate";
  else
    event = navigation_event_from_json (text, width, height, error);
  if (event) {
    GST_LOG_OBJECT (element, "viewer %s: %" GST_PTR_FORMAT, session.c_str (), event);
    gst_pad_push_event (target, event);
    return;
  }
  GST_INFO_OBJECT (element, "viewer %s: bad navigation message: %s", session.c_str (),
                   error.c_str ());
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "error");
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, error.c_str ());
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *reply = json_to_string (root, FALSE);
  std::string ignored;
  router.send (session.c_str (), NAVIGATION_LABEL, reply, nullptr, ignored);
}

} // namespace rtc

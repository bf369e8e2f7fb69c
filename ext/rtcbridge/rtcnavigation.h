/* RtcNavigation: remote control. Turns the JSON messages a viewer page
 * sends on the "navigation" data channel into GstNavigation events.
 *
 * A message is one JSON object:
 *   {"type": "mouse-move",           "x": 0.5, "y": 0.25}
 *   {"type": "mouse-button-press",   "x": .., "y": .., "button": 1}
 *   {"type": "mouse-button-release", "x": .., "y": .., "button": 1}
 *   {"type": "mouse-scroll",         "x": .., "y": .., "dx": 0, "dy": -1}
 *   {"type": "key-press",            "key": "a"}      (browser key names)
 *   {"type": "key-release",          "key": "Enter"}
 *   {"type": "touch-down",   "id": 0, "x": .., "y": .., "pressure": 0.5}
 *   {"type": "touch-motion", "id": 0, "x": .., "y": .., "pressure": 0.5}
 *   {"type": "touch-up",     "id": 0, "x": .., "y": ..}
 *   {"type": "touch-frame"}, {"type": "touch-cancel"}
 * with an optional "modifiers": ["shift", "control", "alt", "meta"].
 * x and y are fractions of the picture (0..1, from its top left corner),
 * so they do not depend on the size the viewer shows or receives; they
 * are scaled to the input's width and height. Browser key names are
 * mapped to the X11 keysym names GStreamer elements expect ("Enter" ->
 * "Return", "ArrowLeft" -> "Left", " " -> "space").
 *
 * Numbers a viewer could use to drive an element outside its usual range
 * are clamped: a scroll step is at most 10 either way, a touch pressure 0
 * to 1. A viewer may send at most NavigationRate::PER_SECOND messages a
 * second (bursts of twice that); the rest are dropped, the first drop
 * after a calm answered with an error.
 *
 * Functions are pure and thread-safe; NavigationRate is thread-safe.
 */
#pragma once

#include <gst/gst.h>
#include <map>
#include <mutex>
#include <string>

#include "rtcdatarouter.h"
#include "rtcratelimit.h"

namespace rtc {

/* The data channel label of remote control. */
constexpr const char *NAVIGATION_LABEL = "navigation";

/* The navigation event for @json on a @width x @height picture, or nullptr
 * with @error saying what is wrong with the message. */
GstEvent *navigation_event_from_json (const char *json, gint width, gint height,
                                      std::string &error);

/* The message rate of each viewer of an element. */
class NavigationRate {
public:
  static constexpr double PER_SECOND = 200;
  /* One message of @session now. */
  RateLimit::Verdict take (const std::string &session);

private:
  std::mutex lock_;
  std::map<std::string, RateLimit> sessions_; /* idle ones are forgotten */
};

/* A viewer's message on the navigation channel: the event travels upstream
 * from @target (the first video input, @width x @height; nullptr when
 * there is none); a bad message gets {"type":"error","message":...} back on
 * the channel, so does the first of too many (@rate). webrtcbin thread. */
void navigation_handle (GstElement *element, DataRouter &router, NavigationRate &rate,
                        const std::string &session, const gchar *text, GstPad *target, gint width,
                        gint height);

} // namespace rtc

/* RtcElement: what webrtcpublish and webrtcsubscribe share as GObject
 * shells: the shared properties and the signaller (rtcsettings.h), the
 * control thread, the data router, and the steps of starting and stopping
 * around their session layer.
 *
 * Threading: the application thread (properties, state changes), except
 * the settings, which any thread reads under `lock`. Lock order: `lock` is
 * taken alone; nothing is called out with it held.
 */
#pragma once

#include <gst/gst.h>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rtccodecs.h"
#include "rtccontrolthread.h"
#include "rtcdatarouter.h"
#include "rtcsessions.h"
#include "rtcsettings.h"
#include "rtcstats.h"

namespace rtc {

struct ElementCore {
  /* @role: how the element is named in messages ("webrtcpublish"), its
   * default signaller and that one's property names (rtcsettings.h). */
  ElementCore (GstElement *element, const SignallerHost::Role &role);
  ~ElementCore ();
  ElementCore (const ElementCore &) = delete;
  ElementCore &operator= (const ElementCore &) = delete;

  GstElement *element;
  std::mutex lock; /* guards settings and the owning element's own settings */
  Settings settings;
  SignallerHost host;
  ControlThread control;
  std::unique_ptr<DataRouter> data;
  /* The stats property and message (rtcstats.h), of the sessions start ()
   * was given (none before start () and after stop ()). Atomic: a stats
   * request of the HTTP server may read the property while the element
   * stops (its control thread gone, the gathering runs on the reader's). */
  std::unique_ptr<StatsReporter> stats;
  std::atomic<Sessions *> running_sessions{nullptr};
  std::string signaller_error; /* why signaller-type could not be used; fails start () */

  /* Properties: the shared ones and "signaller" (property id
   * @signaller_prop). False when @prop_id is the element's own. */
  bool set_property (guint prop_id, const GValue *value, guint signaller_prop);
  bool get_property (guint prop_id, GValue *value, guint signaller_prop);
  /* A copy of the settings. */
  Settings copy_settings ();

  /* NULL -> READY, after the element's own set-up: parses codec-preferences
   * into @preferences (an element error when invalid), then starts the
   * control thread (@thread_name), the 1 s @tick on it and the signaller
   * with @sessions. */
  bool start (const char *thread_name, Sessions &sessions, std::function<void ()> tick);
  bool parse_preferences (std::vector<const Codec *> &preferences);
  /* READY -> NULL: stops the data router and the signaller, runs
   * @teardown on the control thread (the sessions go), stops the thread. */
  void stop (Sessions &sessions, std::function<void ()> teardown);
  /* Data pads start and stop with PAUSED. */
  void data_transition (GstStateChange transition);
  /* What /streams.json lists for the stream: its media kinds and its data
   * channels (data_channels_json() of the router's, or @data_channels, a
   * JSON array, when the element describes them itself). */
  void describe (const std::string &media);
  void describe (const std::string &media, const std::string &data_channels);
  /* The signaller gave up (its "error"): an element error. */
  void signaller_failed (const std::string &message);
  /* signaller-type changed to the value in @settings. */
  void use_signaller_type (const Settings &settings);
  /* The hooks of its sessions: @created_signal emitted with the id and the
   * webrtcbin, signaller_failed(). */
  ElementSessions::Hooks hooks (guint created_signal);
};

} // namespace rtc

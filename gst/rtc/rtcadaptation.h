/* RtcAdaptation: webrtcpublish's per-viewer congestion control glue.
 *
 *  - attach(): a viewer that negotiated transport-wide feedback (TWCC) gets
 *    an rtcgcc as its webrtcbin's aux sender; its estimate
 *    (notify::estimated-bitrate) is reported on the control thread;
 *  - rebalance(): puts each viewer on the rung of the encoding ladder its
 *    budget reaches (rtcladder.h) and sets each encoder's bitrate and frame
 *    rate from its viewers' budgets;
 *  - check_feedback(): a viewer that never sends feedback gets the fixed
 *    video-bitrate rather than the start estimate forever.
 *
 * Threading: the element's control thread, except the rtcgcc callbacks
 * (webrtcbin's and rtpsession's threads), which only post to it.
 */
#pragma once

#include <gst/gst.h>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "rtccontrolthread.h"
#include "rtcencoderpool.h"
#include "rtcinputs.h"
#include "rtcladder.h"
#include "rtcviewer.h"

namespace rtc {

class Adaptation {
public:
  struct Settings {
    bool enabled = true; /* congestion-control=gcc */
    Ladder ladder;
    guint video_max = 2000000; /* video-bitrate */
    guint audio = 64000;       /* audio-bitrate */
    guint min = 150000;        /* min-bitrate */
    guint start = 1000000;     /* start-bitrate */
  };
  /* The viewer of a session id (nullptr when gone); control thread. */
  using Lookup = std::function<Viewer *(const std::string &id)>;

  /* @prefix names the bus messages: "<prefix>-viewer-adapted".
   * @on_estimate runs on the control thread after viewers' estimates
   * changed (the element rebalances): once for all the changes that came
   * meanwhile, not once per change (with N viewers sending feedback ten
   * times a second, per change would be N² work a second). */
  Adaptation (GstElement *element, std::string prefix, ControlThread &control, EncoderPool &pool,
              Inputs &inputs, Lookup lookup, std::function<void ()> on_estimate);
  ~Adaptation ();
  Adaptation (const Adaptation &) = delete;
  Adaptation &operator= (const Adaptation &) = delete;

  /* Before negotiation: an rtcgcc for @viewer when it negotiated TWCC. */
  void attach (Viewer &viewer, const Settings &settings);
  /* The exchange is done: the start estimate and the rung it reaches. */
  void start (Viewer &viewer, const Settings &settings);
  /* What @viewer's video may use, bit/s. */
  guint video_budget (const Viewer &viewer, const Settings &settings) const;
  /* Rungs and encoder rates from every viewer's budget. */
  void rebalance (const std::map<std::string, std::unique_ptr<Session>> &sessions,
                  const Settings &settings, const EncoderPool::Settings &encoding);
  /* Viewers connected 8 s without feedback lose their estimate. */
  void check_feedback (const std::map<std::string, std::unique_ptr<Session>> &sessions);

private:
  struct AuxContext;
  struct Latest;
  static GstElement *on_request_aux_sender (GstElement *, GstWebRTCDTLSTransport *, gpointer data);
  static void on_estimate (GObject *gcc, GParamSpec *, gpointer data);
  void move (Viewer &viewer, int rung, const EncoderPool::Settings &encoding);

  GstElement *element_;
  std::string prefix_;
  ControlThread &control_;
  EncoderPool &pool_;
  Inputs &inputs_;
  Lookup lookup_;
  std::function<void ()> on_estimate_;
  bool rebalance_posted_ = false; /* control thread */
  /* What the estimate callbacks need: posted work goes through it, and
   * they drop it once the Adaptation is gone. */
  std::shared_ptr<std::function<void (std::function<void ()>)>> poster_;
};

} // namespace rtc

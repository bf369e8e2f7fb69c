/**
 * SECTION:element-rtcgcc
 * @title: rtcgcc
 *
 * Google Congestion Control style bandwidth estimation and pacing for one
 * RTP session; see gstrtcgcc.h. webrtcpublish uses one per viewer.
 *
 * ## Example (an application with plain webrtcbin)
 * |[
 * g_signal_connect (webrtcbin, "request-aux-sender", G_CALLBACK (make_rtcgcc), NULL);
 * ]| and follow notify::estimated-bitrate.
 *
 * Since: 0.2
 */
#include "gstrtcgcc.h"

#include <gst/rtp/rtp.h>
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "rtcgcc.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_gcc_debug);
#define GST_CAT_DEFAULT gst_rtc_gcc_debug

#define DEFAULT_MIN_BITRATE 100000
#define DEFAULT_START_BITRATE 1000000
#define DEFAULT_MAX_BITRATE 4000000
#define DEFAULT_PACING TRUE
#define DEFAULT_PACING_FACTOR 2.5
/* A queue longer than this is drained faster than the pacing rate. */
#define MAX_QUEUE_US 250000
/* A packet this much later than usual (µs) is paced faster; from
 * MAX_LATE_US on it goes at once. */
#define LATE_US 100000
#define MAX_LATE_US 250000
/* Bursts the pacer lets through at once. */
#define BURST_US 10000

enum {
  PROP_0,
  PROP_ESTIMATED_BITRATE,
  PROP_MIN_BITRATE,
  PROP_START_BITRATE,
  PROP_MAX_BITRATE,
  PROP_PACING,
  PROP_PACING_FACTOR,
  PROP_STATS,
};

static GParamSpec *estimated_pspec;

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));

struct GstRtcGccPrivate {
  GstPad *sinkpad = nullptr, *srcpad = nullptr;
  std::mutex lock; /* guards everything below */
  std::condition_variable cond;
  guint min_bps = DEFAULT_MIN_BITRATE, start_bps = DEFAULT_START_BITRATE,
        max_bps = DEFAULT_MAX_BITRATE;
  bool pacing = DEFAULT_PACING;
  double pacing_factor = DEFAULT_PACING_FACTOR;
  std::unique_ptr<rtc::GccEstimator> gcc;
  guint estimate = DEFAULT_START_BITRATE;
  /* the pacer (in the streaming thread that brings the packets) */
  gsize waiting_bytes = 0; /* of the packet(s) waiting for the budget */
  bool flushing = true;
  double budget = 0; /* bytes the pacer may send now */
  gint64 last_refill_us = -1;
  GstSegment segment;
  /* how late packets come (the clock's running time - theirs), µs: the
   * least over this window and the one before is what encoding takes */
  gint64 lag_min = G_MAXINT64, lag_min_prev = G_MAXINT64, lag_window_end = 0;
  double boost = 1.0; /* the rate multiplier for the packet waiting */
  /* feedback */
  guint64 last_seqnum = 0;
  bool have_seqnum = false;
  guint64 feedbacks = 0;

  rtc::GccEstimator &estimator ()
  {
    if (!gcc) {
      rtc::GccEstimator::Config c;
      c.min_bps = min_bps;
      c.start_bps = std::min (std::max (start_bps, min_bps), max_bps);
      c.max_bps = max_bps;
      gcc = std::make_unique<rtc::GccEstimator> (c);
      estimate = gcc->target_bps ();
    }
    return *gcc;
  }
};

struct _GstRtcGcc {
  GstElement parent;
  GstRtcGccPrivate *priv;
};

#define gst_rtc_gcc_parent_class parent_class
G_DEFINE_TYPE (GstRtcGcc, gst_rtc_gcc, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcgcc, "rtcgcc", GST_RANK_NONE, GST_TYPE_RTC_GCC,
                                       GST_DEBUG_CATEGORY_INIT (gst_rtc_gcc_debug, "rtcgcc", 0,
                                                                "GCC bandwidth estimator"));

static gint64 now_us ()
{
  /* rtpsession stamps sent packets ("local-ts") with the system clock. */
  static GstClock *clock = gst_system_clock_obtain ();
  return (gint64)(gst_clock_get_time (clock) / 1000);
}

/* ---- feedback -------------------------------------------------------- */

static void on_feedback (GstRtcGcc *self, const GstStructure *s)
{
  auto priv = self->priv;
  const GValue *packets = gst_structure_get_value (s, "packets");
  /* rtpsession hands the packets over as a GValueArray. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!packets || !G_VALUE_HOLDS (packets, g_value_array_get_type ()))
    return;
  GValueArray *array = (GValueArray *)g_value_get_boxed (packets);
  G_GNUC_END_IGNORE_DEPRECATIONS
  std::vector<rtc::PacketResult> results;
  std::lock_guard<std::mutex> g (priv->lock);
  for (guint i = 0; array && i < array->n_values; i++) {
    const GValue *v = &array->values[i];
    if (!GST_VALUE_HOLDS_STRUCTURE (v))
      continue;
    const GstStructure *p = gst_value_get_structure (v);
    guint seqnum = 0, size = 0;
    GstClockTime local = GST_CLOCK_TIME_NONE, remote = GST_CLOCK_TIME_NONE;
    gboolean lost = FALSE;
    if (!gst_structure_get_uint (p, "seqnum", &seqnum) ||
        !gst_structure_get_uint64 (p, "local-ts", &local) || !GST_CLOCK_TIME_IS_VALID (local))
      continue; /* not one of ours (sent before we were there) */
    gst_structure_get_uint (p, "size", &size);
    gst_structure_get_boolean (p, "lost", &lost);
    gst_structure_get_uint64 (p, "remote-ts", &remote);
    /* Transport-wide sequence numbers are 16 bits: unwrap. */
    guint64 ext = seqnum;
    if (priv->have_seqnum) {
      gint16 diff = (gint16)(guint16)(seqnum - (guint16)priv->last_seqnum);
      ext = priv->last_seqnum + diff;
    }
    priv->last_seqnum = std::max (priv->last_seqnum, ext);
    priv->have_seqnum = true;
    rtc::PacketResult r;
    r.seqnum = ext;
    r.send_us = (gint64)(local / 1000);
    r.arrival_us = lost || !GST_CLOCK_TIME_IS_VALID (remote) ? -1 : (gint64)(remote / 1000);
    r.size = size;
    results.push_back (r);
  }
  if (results.empty ())
    return;
  guint before = priv->estimate;
  rtc::GccEstimator &gcc = priv->estimator ();
  priv->estimate = gcc.on_feedback (std::move (results), now_us ());
  priv->feedbacks++;
  GST_LOG_OBJECT (self,
                  "estimate %u (delay %u, loss %u, received %u), %s/%s, trend %.2f, threshold "
                  "%.2f, loss %.3f, rtt %" G_GINT64_FORMAT " us",
                  priv->estimate, gcc.delay_bps (), gcc.loss_bps (), gcc.received_bps (),
                  rtc::GccEstimator::state_name (gcc.state ()),
                  rtc::GccEstimator::usage_name (gcc.usage ()), gcc.trend_ms (),
                  gcc.threshold_ms (), gcc.loss_ratio (), gcc.rtt_us ());
  bool changed = priv->estimate != before;
  priv->cond.notify_all ();
  if (changed) {
    /* Without the lock (GObject takes its own). */
    priv->lock.unlock ();
    g_object_notify_by_pspec (G_OBJECT (self), estimated_pspec);
    priv->lock.lock ();
  }
}

static gboolean src_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  auto self = GST_RTC_GCC (parent);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM) {
    const GstStructure *s = gst_event_get_structure (event);
    if (s && gst_structure_has_name (s, "RTPTWCCPackets")) {
      on_feedback (self, s);
      gst_event_unref (event);
      return TRUE;
    }
  }
  return gst_pad_event_default (pad, parent, event);
}

/* ---- the pacer ------------------------------------------------------- */

/* How much later than usual a packet comes, µs (0 when unknown): its
 * lateness (the clock's running time minus the packet's) less the least
 * lateness of the last second or two (what encoding and payloading take).
 * That is how long it waited in the viewer's queue upstream, behind the
 * pacer. Under the lock. */
static gint64 backlog_us (GstRtcGcc *self, GstRtcGccPrivate *priv, GstClockTime pts)
{
  if (!GST_CLOCK_TIME_IS_VALID (pts) || priv->segment.format != GST_FORMAT_TIME)
    return 0;
  GstClockTime rt = gst_segment_to_running_time (&priv->segment, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return 0;
  GstClock *clock = gst_element_get_clock (GST_ELEMENT_CAST (self)); /* none before PLAYING */
  if (!clock)
    return 0;
  GstClockTime now =
      gst_clock_get_time (clock) - gst_element_get_base_time (GST_ELEMENT_CAST (self));
  gst_object_unref (clock);
  gint64 lag = ((gint64)now - (gint64)rt) / 1000;
  gint64 mono = g_get_monotonic_time ();
  if (mono >= priv->lag_window_end) {
    priv->lag_min_prev = priv->lag_min;
    priv->lag_min = G_MAXINT64;
    priv->lag_window_end = mono + G_USEC_PER_SEC;
  }
  priv->lag_min = std::min (priv->lag_min, lag);
  return std::max<gint64> (0, lag - std::min (priv->lag_min, priv->lag_min_prev));
}

/* The pacing rate's multiplier for a packet @late µs later than usual: 1
 * up to LATE_US, then growing with the lateness (2 at twice LATE_US, 3 at
 * three times), unbounded from MAX_LATE_US: the viewer's leaky queue
 * (400 ms) must not drop frames for the pacer's sake (the queue of old was
 * drained within MAX_QUEUE_US the same way). */
static double boost_for (gint64 late)
{
  if (late >= MAX_LATE_US)
    return G_MAXDOUBLE;
  return late > LATE_US ? (double)late / LATE_US : 1.0;
}

/* Waits until @bytes may leave at the pacing rate; false when flushing.
 * Under the lock (released while waiting). */
static bool wait_budget (GstRtcGccPrivate *priv, std::unique_lock<std::mutex> &lk, gsize bytes)
{
  while (!priv->flushing) {
    if (!priv->pacing)
      return true;
    gint64 now = now_us ();
    double rate = priv->pacing_factor * std::max (priv->estimate, priv->min_bps) / 8.0; /* B/s */
    /* What is bigger than the link takes at once (a keyframe's packets in
     * one list) is drained within MAX_QUEUE_US rather than adding latency. */
    rate = std::max (rate, priv->waiting_bytes * 1e6 / MAX_QUEUE_US);
    if (priv->boost > 1.0) { /* late: the queue behind holds a backlog */
      if (priv->boost == G_MAXDOUBLE)
        return true;
      rate *= priv->boost;
    }
    if (priv->last_refill_us >= 0)
      priv->budget += (now - priv->last_refill_us) * rate / 1e6;
    priv->last_refill_us = now;
    priv->budget = std::min (priv->budget, std::max (rate * BURST_US / 1e6, 1500.0));
    if (priv->budget >= 0) {
      priv->budget -= bytes;
      return true;
    }
    gint64 wait = std::min<gint64> ((gint64)(-priv->budget * 1e6 / rate) + 1, 10000);
    priv->cond.wait_for (lk, std::chrono::microseconds (wait));
  }
  return false;
}

/* Paces @obj in the calling streaming thread (no thread of its own: the
 * viewer's queue upstream holds what waits), then pushes it. */
static GstFlowReturn pace (GstRtcGcc *self, GstMiniObject *obj, gsize bytes, GstClockTime pts)
{
  auto priv = self->priv;
  {
    std::unique_lock<std::mutex> lk (priv->lock);
    if (priv->flushing) {
      gst_mini_object_unref (obj);
      return GST_FLOW_FLUSHING;
    }
    priv->boost = priv->pacing ? boost_for (backlog_us (self, priv, pts)) : 1.0;
    priv->waiting_bytes = bytes;
    bool go = wait_budget (priv, lk, bytes);
    priv->waiting_bytes = 0;
    if (!go) {
      gst_mini_object_unref (obj);
      return GST_FLOW_FLUSHING;
    }
  }
  if (GST_IS_BUFFER (obj))
    return gst_pad_push (priv->srcpad, GST_BUFFER (obj));
  return gst_pad_push_list (priv->srcpad, GST_BUFFER_LIST (obj));
}

static GstFlowReturn sink_chain (GstPad *, GstObject *parent, GstBuffer *buf)
{
  return pace (GST_RTC_GCC (parent), GST_MINI_OBJECT (buf), gst_buffer_get_size (buf),
               GST_BUFFER_PTS (buf));
}

static GstFlowReturn sink_chain_list (GstPad *, GstObject *parent, GstBufferList *list)
{
  GstBuffer *first = gst_buffer_list_length (list) ? gst_buffer_list_get (list, 0) : nullptr;
  return pace (GST_RTC_GCC (parent), GST_MINI_OBJECT (list), gst_buffer_list_calculate_size (list),
               first ? GST_BUFFER_PTS (first) : GST_CLOCK_TIME_NONE);
}

static void set_flushing (GstRtcGccPrivate *priv, bool flushing)
{
  std::lock_guard<std::mutex> g (priv->lock);
  priv->flushing = flushing;
  priv->cond.notify_all ();
}

static gboolean sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  auto priv = GST_RTC_GCC (parent)->priv;
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_FLUSH_START:
    set_flushing (priv, true); /* wakes a packet waiting for the budget */
    break;
  case GST_EVENT_FLUSH_STOP:
    set_flushing (priv, false);
    break;
  case GST_EVENT_SEGMENT: {
    std::lock_guard<std::mutex> g (priv->lock);
    gst_event_copy_segment (event, &priv->segment);
    break;
  }
  default:
    break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean src_activate_mode (GstPad *, GstObject *parent, GstPadMode mode, gboolean active)
{
  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  /* The src pad is deactivated before the sink pad, whose deactivation
   * waits for the streaming thread: wake it first. */
  set_flushing (GST_RTC_GCC (parent)->priv, !active);
  return TRUE;
}

/* ---- properties ------------------------------------------------------ */

static GstStructure *stats (GstRtcGcc *self)
{
  auto priv = self->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  rtc::GccEstimator &gcc = priv->estimator ();
  double rate = priv->pacing_factor * std::max (priv->estimate, priv->min_bps) / 8.0;
  return gst_structure_new (
      "rtcgcc-stats", "estimated-bitrate", G_TYPE_UINT, priv->estimate, "delay-bitrate",
      G_TYPE_UINT, gcc.delay_bps (), "loss-bitrate", G_TYPE_UINT, gcc.loss_bps (),
      "received-bitrate", G_TYPE_UINT, gcc.received_bps (), "state", G_TYPE_STRING,
      rtc::GccEstimator::state_name (gcc.state ()), "usage", G_TYPE_STRING,
      rtc::GccEstimator::usage_name (gcc.usage ()), "delay-trend", G_TYPE_DOUBLE, gcc.trend_ms (),
      "threshold", G_TYPE_DOUBLE, gcc.threshold_ms (), "loss-ratio", G_TYPE_DOUBLE,
      gcc.loss_ratio (), "rtt", G_TYPE_UINT64, (guint64)gcc.rtt_us () * 1000, "feedbacks",
      G_TYPE_UINT64, priv->feedbacks, "pacer-queue", G_TYPE_UINT64,
      (guint64)(priv->waiting_bytes / std::max (rate, 1.0) * GST_SECOND), nullptr);
}

static void gst_rtc_gcc_set_property (GObject *object, guint prop_id, const GValue *value,
                                      GParamSpec *pspec)
{
  auto priv = GST_RTC_GCC (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_MIN_BITRATE:
    priv->min_bps = g_value_get_uint (value);
    break;
  case PROP_START_BITRATE:
    priv->start_bps = g_value_get_uint (value);
    if (!priv->gcc)
      priv->estimate = priv->start_bps;
    return;
  case PROP_MAX_BITRATE:
    priv->max_bps = g_value_get_uint (value);
    break;
  case PROP_PACING:
    priv->pacing = g_value_get_boolean (value);
    priv->cond.notify_all ();
    return;
  case PROP_PACING_FACTOR:
    priv->pacing_factor = g_value_get_double (value);
    return;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  priv->max_bps = std::max (priv->max_bps, priv->min_bps);
  if (priv->gcc) {
    priv->gcc->set_bounds (priv->min_bps, priv->max_bps);
    priv->estimate = priv->gcc->target_bps ();
  }
}

static void gst_rtc_gcc_get_property (GObject *object, guint prop_id, GValue *value,
                                      GParamSpec *pspec)
{
  auto self = GST_RTC_GCC (object);
  auto priv = self->priv;
  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, stats (self));
    return;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_ESTIMATED_BITRATE:
    g_value_set_uint (value, priv->estimate);
    break;
  case PROP_MIN_BITRATE:
    g_value_set_uint (value, priv->min_bps);
    break;
  case PROP_START_BITRATE:
    g_value_set_uint (value, priv->start_bps);
    break;
  case PROP_MAX_BITRATE:
    g_value_set_uint (value, priv->max_bps);
    break;
  case PROP_PACING:
    g_value_set_boolean (value, priv->pacing);
    break;
  case PROP_PACING_FACTOR:
    g_value_set_double (value, priv->pacing_factor);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_gcc_finalize (GObject *object)
{
  delete GST_RTC_GCC (object)->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gst_rtc_gcc_class_init (GstRtcGccClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  gobject_class->set_property = gst_rtc_gcc_set_property;
  gobject_class->get_property = gst_rtc_gcc_get_property;
  gobject_class->finalize = gst_rtc_gcc_finalize;

  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  estimated_pspec =
      g_param_spec_uint ("estimated-bitrate", "Estimated bitrate",
                         "What the path carries now, bit/s: the target for all the session's "
                         "encoders together (notify::estimated-bitrate on each change)",
                         0, G_MAXUINT, DEFAULT_START_BITRATE, ro);
  g_object_class_install_property (gobject_class, PROP_ESTIMATED_BITRATE, estimated_pspec);
  g_object_class_install_property (gobject_class, PROP_MIN_BITRATE,
                                   g_param_spec_uint ("min-bitrate", "Min bitrate",
                                                      "The estimate never goes below, bit/s", 1000,
                                                      G_MAXUINT, DEFAULT_MIN_BITRATE, rw));
  g_object_class_install_property (
      gobject_class, PROP_START_BITRATE,
      g_param_spec_uint (
          "start-bitrate", "Start bitrate",
          "The estimate before any feedback, bit/s (start-up probing grows it "
          "from there)",
          1000, G_MAXUINT, DEFAULT_START_BITRATE,
          GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_MAX_BITRATE,
                                   g_param_spec_uint ("max-bitrate", "Max bitrate",
                                                      "The estimate never goes above, bit/s", 1000,
                                                      G_MAXUINT, DEFAULT_MAX_BITRATE, rw));
  g_object_class_install_property (
      gobject_class, PROP_PACING,
      g_param_spec_boolean ("pacing", "Pacing",
                            "Send packets at pacing-factor times the estimate instead of in "
                            "bursts",
                            DEFAULT_PACING, rw));
  g_object_class_install_property (gobject_class, PROP_PACING_FACTOR,
                                   g_param_spec_double ("pacing-factor", "Pacing factor",
                                                        "Pacing rate as a multiple of the estimate",
                                                        1.0, 10.0, DEFAULT_PACING_FACTOR, rw));
  g_object_class_install_property (
      gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
                          "estimated-, delay-, loss-, received-bitrate, state, usage, "
                          "delay-trend, threshold, loss-ratio, rtt (ns), feedbacks, pacer-queue "
                          "(ns)",
                          GST_TYPE_STRUCTURE, ro));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "GCC bandwidth estimator", "Filter/Network/RTP",
      "Estimates the bandwidth of an RTP session from transport-wide congestion control "
      "feedback (Google Congestion Control) and paces its packets",
      "gst-rtcbridge developers");
}

static void gst_rtc_gcc_init (GstRtcGcc *self)
{
  auto priv = self->priv = new GstRtcGccPrivate ();
  gst_segment_init (&priv->segment, GST_FORMAT_UNDEFINED);
  priv->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (priv->sinkpad, sink_chain);
  gst_pad_set_chain_list_function (priv->sinkpad, sink_chain_list);
  gst_pad_set_event_function (priv->sinkpad, sink_event);
  GST_PAD_SET_PROXY_CAPS (priv->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (priv->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), priv->sinkpad);
  priv->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (priv->srcpad, src_event);
  gst_pad_set_activatemode_function (priv->srcpad, src_activate_mode);
  GST_PAD_SET_PROXY_CAPS (priv->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), priv->srcpad);
}

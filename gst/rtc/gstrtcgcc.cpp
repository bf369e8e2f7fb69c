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
 * ]| set "dtls-transport" to the transport the signal hands over, and
 * follow notify::estimated-bitrate.
 *
 * Since: 0.2
 */
#include "gstrtcgcc.h"

#include <gst/rtp/rtp.h>
#include <gst/webrtc/webrtc.h>
#include <algorithm>
#include <memory>
#include <mutex>

#include "rtcgcc.h"
#include "rtcpacer.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_gcc_debug);
#define GST_CAT_DEFAULT gst_rtc_gcc_debug

#define DEFAULT_MIN_BITRATE 100000
#define DEFAULT_START_BITRATE 1000000
#define DEFAULT_MAX_BITRATE 4000000
#define DEFAULT_PACING TRUE
#define DEFAULT_PACING_FACTOR 2.5

enum {
  PROP_0,
  PROP_ESTIMATED_BITRATE,
  PROP_MIN_BITRATE,
  PROP_START_BITRATE,
  PROP_MAX_BITRATE,
  PROP_PACING,
  PROP_PACING_FACTOR,
  PROP_STATS,
  PROP_DTLS_TRANSPORT,
};

static GParamSpec *estimated_pspec;

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));

struct GstRtcGccPrivate {
  GstPad *sinkpad = nullptr, *srcpad = nullptr;
  /* The pacer's queue for this session, served by a shared worker thread;
   * it has its own locking (rtcpacer.h). */
  std::shared_ptr<rtc::PacedFlow> flow;
  std::mutex lock; /* guards everything below */
  guint min_bps = DEFAULT_MIN_BITRATE, start_bps = DEFAULT_START_BITRATE,
        max_bps = DEFAULT_MAX_BITRATE;
  bool pacing = DEFAULT_PACING;
  double pacing_factor = DEFAULT_PACING_FACTOR;
  std::unique_ptr<rtc::GccEstimator> gcc;
  guint estimate = DEFAULT_START_BITRATE;
  GstWebRTCDTLSTransport *transport = nullptr; /* a reference */
  gulong transport_handler = 0;
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

  /* Bytes per second the pacer lets out. */
  double pacing_rate () const { return pacing_factor * std::max (estimate, min_bps) / 8.0; }
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
  priv->flow->set_rate (priv->pacing_rate ());
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

static GstFlowReturn sink_chain (GstPad *, GstObject *parent, GstBuffer *buf)
{
  return GST_RTC_GCC (parent)->priv->flow->push (GST_MINI_OBJECT (buf), gst_buffer_get_size (buf));
}

static GstFlowReturn sink_chain_list (GstPad *, GstObject *parent, GstBufferList *list)
{
  return GST_RTC_GCC (parent)->priv->flow->push (GST_MINI_OBJECT (list),
                                                 gst_buffer_list_calculate_size (list));
}

static gboolean sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  auto self = GST_RTC_GCC (parent);
  auto priv = self->priv;
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_FLUSH_START:
    priv->flow->set_flushing (true);
    return gst_pad_push_event (priv->srcpad, event);
  case GST_EVENT_FLUSH_STOP: {
    /* The stream lock waits for a push of the shared pacer in flight. */
    GST_PAD_STREAM_LOCK (priv->srcpad);
    priv->flow->set_flushing (false);
    gboolean ret = gst_pad_push_event (priv->srcpad, event);
    GST_PAD_STREAM_UNLOCK (priv->srcpad);
    return ret;
  }
  default:
    break;
  }
  if (GST_EVENT_IS_SERIALIZED (event))
    return priv->flow->push (GST_MINI_OBJECT (event), 0) == GST_FLOW_OK;
  return gst_pad_event_default (pad, parent, event);
}

static gboolean src_activate_mode (GstPad *, GstObject *parent, GstPadMode mode, gboolean active)
{
  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  /* On deactivation GstPad then takes the stream lock: a push in flight
   * ends first. */
  GST_RTC_GCC (parent)->priv->flow->set_flushing (!active);
  return TRUE;
}

/* webrtcbin blocks RTP (a pad block behind the rtpsession) until the DTLS
 * keys are set, and the transport's state turns "connected" once the
 * handshake that set them is over: the shared pacer must not push into
 * that block. */
static void update_ready (rtc::PacedFlow &flow, GstWebRTCDTLSTransport *transport)
{
  GstWebRTCDTLSTransportState state = GST_WEBRTC_DTLS_TRANSPORT_STATE_NEW;
  g_object_get (transport, "state", &state, nullptr);
  /* Not on "closed" or "failed": the block may still be there (a session
   * that ends before its handshake); what waits then is dropped with the
   * element, at most MAX_HELD_BYTES of it. */
  flow.set_ready (state == GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED);
}

/* On the transport's thread, maybe while the element is finalized: the
 * handler holds the flow weakly, never the element. */
static void on_transport_state (GObject *transport, GParamSpec *, gpointer data)
{
  if (auto flow = static_cast<std::weak_ptr<rtc::PacedFlow> *> (data)->lock ())
    update_ready (*flow, GST_WEBRTC_DTLS_TRANSPORT (transport));
}

/* Called from the application thread (construction, finalize) only. */
static void set_transport (GstRtcGcc *self, GstWebRTCDTLSTransport *transport)
{
  auto priv = self->priv;
  if (priv->transport) {
    g_signal_handler_disconnect (priv->transport, priv->transport_handler);
    priv->transport_handler = 0;
    gst_clear_object (&priv->transport);
  }
  if (!transport) {
    priv->flow->set_ready (true);
    return;
  }
  priv->transport = GST_WEBRTC_DTLS_TRANSPORT (gst_object_ref (transport));
  priv->transport_handler = g_signal_connect_data (
      transport, "notify::state", G_CALLBACK (on_transport_state),
      new std::weak_ptr<rtc::PacedFlow> (priv->flow),
      [] (gpointer d, GClosure *) { delete static_cast<std::weak_ptr<rtc::PacedFlow> *> (d); },
      GConnectFlags (0));
  update_ready (*priv->flow, transport);
}

/* ---- properties ------------------------------------------------------ */

static GstStructure *stats (GstRtcGcc *self)
{
  auto priv = self->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  rtc::GccEstimator &gcc = priv->estimator ();
  double rate = priv->pacing_rate ();
  return gst_structure_new (
      "rtcgcc-stats", "estimated-bitrate", G_TYPE_UINT, priv->estimate, "delay-bitrate",
      G_TYPE_UINT, gcc.delay_bps (), "loss-bitrate", G_TYPE_UINT, gcc.loss_bps (),
      "received-bitrate", G_TYPE_UINT, gcc.received_bps (), "state", G_TYPE_STRING,
      rtc::GccEstimator::state_name (gcc.state ()), "usage", G_TYPE_STRING,
      rtc::GccEstimator::usage_name (gcc.usage ()), "delay-trend", G_TYPE_DOUBLE, gcc.trend_ms (),
      "threshold", G_TYPE_DOUBLE, gcc.threshold_ms (), "loss-ratio", G_TYPE_DOUBLE,
      gcc.loss_ratio (), "rtt", G_TYPE_UINT64, (guint64)gcc.rtt_us () * 1000, "feedbacks",
      G_TYPE_UINT64, priv->feedbacks, "pacer-queue", G_TYPE_UINT64,
      (guint64)(priv->flow->queued_bytes () / std::max (rate, 1.0) * GST_SECOND), nullptr);
}

static void gst_rtc_gcc_set_property (GObject *object, guint prop_id, const GValue *value,
                                      GParamSpec *pspec)
{
  auto self = GST_RTC_GCC (object);
  auto priv = self->priv;
  if (prop_id == PROP_DTLS_TRANSPORT) {
    set_transport (self, GST_WEBRTC_DTLS_TRANSPORT (g_value_get_object (value)));
    return;
  }
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
    priv->flow->set_pacing (priv->pacing);
    return;
  case PROP_PACING_FACTOR:
    priv->pacing_factor = g_value_get_double (value);
    priv->flow->set_rate (priv->pacing_rate ());
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
  priv->flow->set_rate (priv->pacing_rate ());
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
  if (prop_id == PROP_DTLS_TRANSPORT) {
    g_value_set_object (value, priv->transport);
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
  auto self = GST_RTC_GCC (object);
  auto priv = self->priv;
  set_transport (self, nullptr);
  delete priv;
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
  g_object_class_install_property (
      gobject_class, PROP_DTLS_TRANSPORT,
      g_param_spec_object (
          "dtls-transport", "DTLS transport",
          "The webrtcbin DTLS transport the session's packets leave by (the "
          "one \"request-aux-sender\" hands over): packets wait until it is "
          "connected instead of blocking the shared pacer. NULL (default): "
          "sent at once",
          GST_TYPE_WEBRTC_DTLS_TRANSPORT,
          GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));

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
  priv->flow = rtc::PacedFlow::create (priv->srcpad);
  priv->flow->set_rate (priv->pacing_rate ());
}

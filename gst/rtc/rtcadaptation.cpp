/* See rtcadaptation.h. */
#include "rtcadaptation.h"

#include <algorithm>
#include <atomic>

GST_DEBUG_CATEGORY_STATIC (rtc_adaptation_debug);
#define GST_CAT_DEFAULT rtc_adaptation_debug

namespace rtc {

namespace {

/* RTP/UDP/IP and RTCP overhead kept out of a viewer's video budget. */
const double OVERHEAD = 0.95;
/* A viewer connected this long without feedback gets a fixed bitrate. */
const gint64 FEEDBACK_GRACE_US = 8 * G_USEC_PER_SEC;

using Poster = std::function<void (std::function<void ()>)>;

} // namespace

/* A viewer's rtcgcc: made on webrtcbin's "request-aux-sender" (webrtcbin's
 * thread), followed through notify::estimated-bitrate. */
struct Adaptation::AuxContext {
  std::weak_ptr<Poster> poster;
  Adaptation *self; /* used only in what poster runs, on the control thread */
  std::string id;
  guint min_bps, start_bps, max_bps;
  std::atomic<bool> made{false};
  std::shared_ptr<Latest> latest; /* notify contexts only */

  void post (std::function<void ()> fn)
  {
    if (auto p = poster.lock ())
      (*p) (std::move (fn));
  }
};

Adaptation::Adaptation (GstElement *element, std::string prefix, ControlThread &control,
                        EncoderPool &pool, Inputs &inputs, Lookup lookup,
                        std::function<void ()> on_estimate)
    : element_ (element), prefix_ (std::move (prefix)), control_ (control), pool_ (pool),
      inputs_ (inputs), lookup_ (std::move (lookup)), on_estimate_ (std::move (on_estimate))
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_adaptation_debug, "rtcadaptation", 0,
                             "webrtcpublish's congestion control and encoding ladder");
    g_once_init_leave (&once, 1);
  }
  ControlThread *c = &control_;
  poster_ =
      std::make_shared<Poster> ([c] (std::function<void ()> fn) { c->post (std::move (fn)); });
}

Adaptation::~Adaptation () = default;

/* The latest estimate of one rtcgcc, taken over by the control thread:
 * one task in flight per viewer, however often the estimate changes. */
struct Adaptation::Latest {
  std::atomic<guint> bps{0};
  std::atomic<bool> posted{false};
};

void Adaptation::on_estimate (GObject *gcc, GParamSpec *, gpointer data)
{
  auto ctx = static_cast<AuxContext *> (data);
  guint bps = 0;
  g_object_get (gcc, "estimated-bitrate", &bps, nullptr);
  ctx->latest->bps = bps;
  if (ctx->latest->posted.exchange (true))
    return; /* the task in flight reads it */
  Adaptation *self = ctx->self;
  std::string id = ctx->id;
  std::shared_ptr<Latest> latest = ctx->latest;
  ctx->post ([self, id, latest] () {
    latest->posted = false;
    Viewer *v = self->lookup_ (id);
    if (!v)
      return;
    v->estimate = latest->bps;
    /* Every viewer's change queued before this runs first. */
    if (self->rebalance_posted_)
      return;
    self->rebalance_posted_ = true;
    (*self->poster_) ([self] () {
      self->rebalance_posted_ = false;
      self->on_estimate_ ();
    });
  });
}

GstElement *Adaptation::on_request_aux_sender (GstElement *, GstWebRTCDTLSTransport *transport,
                                               gpointer data)
{
  auto ctx = static_cast<AuxContext *> (data);
  /* One estimator per viewer: the (bundled) transport of its video. */
  if (ctx->made.exchange (true))
    return nullptr;
  GstElement *gcc = gst_element_factory_make ("rtcgcc", nullptr);
  if (!gcc)
    return nullptr;
  g_object_set (gcc, "min-bitrate", ctx->min_bps, "start-bitrate", ctx->start_bps, "max-bitrate",
                ctx->max_bps, "dtls-transport", transport, nullptr);
  auto notify_ctx = new AuxContext{ctx->poster, ctx->self, ctx->id, 0, 0, 0};
  notify_ctx->latest = std::make_shared<Latest> ();
  g_signal_connect_data (
      gcc, "notify::estimated-bitrate", G_CALLBACK (on_estimate), notify_ctx,
      [] (gpointer d, GClosure *) { delete static_cast<AuxContext *> (d); }, GConnectFlags (0));
  /* Ours as well; webrtcbin sinks the floating one. */
  auto ref = std::make_shared<ObjectPtr<GstElement>> (ref_object (gcc));
  Adaptation *self = ctx->self;
  std::string id = ctx->id;
  ctx->post ([self, id, ref] () {
    Viewer *v = self->lookup_ (id);
    if (v && !v->gcc)
      v->gcc = std::move (*ref);
  });
  return gcc;
}

void Adaptation::attach (Viewer &viewer, const Settings &s)
{
  if (!s.enabled || !viewer.twcc || !viewer.peer->webrtcbin ())
    return;
  auto ctx = new AuxContext{poster_,         this,    viewer.id,
                            s.min + s.audio, s.start, (guint)((s.video_max + s.audio) / OVERHEAD)};
  g_signal_connect_data (
      viewer.peer->webrtcbin (), "request-aux-sender", G_CALLBACK (on_request_aux_sender), ctx,
      [] (gpointer d, GClosure *) { delete static_cast<AuxContext *> (d); }, GConnectFlags (0));
}

guint Adaptation::video_budget (const Viewer &v, const Settings &s) const
{
  if (!s.enabled || !v.twcc)
    return s.video_max;
  double budget = v.estimate * OVERHEAD - (v.has_audio () ? s.audio : 0);
  return (guint)std::max (0.0, budget);
}

void Adaptation::start (Viewer &viewer, const Settings &s)
{
  viewer.estimate = s.start;
  viewer.rung = viewer.wanted_rung = s.ladder.rung_for (video_budget (viewer, s));
  viewer.wanted_since_us = g_get_monotonic_time ();
}

/* Moves a viewer's video to another rung of the ladder. */
void Adaptation::move (Viewer &v, int rung, const EncoderPool::Settings &encoding)
{
  for (auto &use : v.media) {
    if (!use.codec || use.codec->kind != MediaKind::VIDEO || !use.branch)
      continue;
    InputState state = inputs_.state (use.input);
    if (!state.format.raw)
      continue;
    std::string error;
    EncoderBranch *to = pool_.acquire (state, use.codec, rung, encoding, error);
    if (!to) {
      GST_WARNING_OBJECT (element_, "viewer %s stays on its rung: %s", v.id.c_str (),
                          error.c_str ());
      return;
    }
    if (use.linked && !v.peer->relink_media (use.mline, to, error)) {
      GST_WARNING_OBJECT (element_, "viewer %s: %s", v.id.c_str (), error.c_str ());
      pool_.release (to);
      continue;
    }
    pool_.release (use.branch);
    use.branch = to;
  }
  GST_INFO_OBJECT (element_, "viewer %s: rung %d -> %d (estimate %u)", v.id.c_str (), v.rung, rung,
                   v.estimate);
  v.rung = rung;
  std::string name = prefix_ + "-viewer-adapted";
  gst_element_post_message (
      element_,
      gst_message_new_element (GST_OBJECT (element_),
                               gst_structure_new (name.c_str (), "id", G_TYPE_STRING, v.id.c_str (),
                                                  "rung", G_TYPE_INT, rung, "estimate", G_TYPE_UINT,
                                                  v.estimate, nullptr)));
}

void Adaptation::rebalance (const std::map<std::string, std::unique_ptr<Session>> &sessions,
                            const Settings &s, const EncoderPool::Settings &encoding)
{
  gint64 now = g_get_monotonic_time ();
  /* Only agreed viewers: before the answer a WHIP client's media have no codec. */
  for (auto &kv : sessions) {
    auto &v = static_cast<Viewer &> (*kv.second);
    if (!v.agreed)
      continue;
    int rung = s.ladder.next (v.rung, video_budget (v, s), now, v.wanted_rung, v.wanted_since_us);
    if (rung != v.rung)
      move (v, rung, encoding);
  }
  std::map<EncoderBranch *, std::vector<guint>> budgets;
  for (auto &kv : sessions) {
    auto &v = static_cast<Viewer &> (*kv.second);
    if (!v.agreed)
      continue;
    guint budget = video_budget (v, s);
    for (auto &use : v.media)
      if (use.branch && use.codec->kind == MediaKind::VIDEO)
        budgets[use.branch].push_back (budget);
  }
  pool_.for_each ([&] (const Input *, const Codec *codec, int rung, EncoderBranch *branch) {
    if (codec->kind == MediaKind::AUDIO) {
      branch->set_bitrate (s.audio);
      return;
    }
    auto it = budgets.find (branch);
    guint rate = !s.enabled ? s.video_max
                 : it != budgets.end ()
                     ? s.ladder.encoder_bitrate (rung, it->second.data (), it->second.size ())
                     : branch->bitrate ();
    branch->set_bitrate (rate);
    branch->set_max_framerate (
        s.enabled ? s.ladder.max_framerate (rung, rate, branch->max_framerate ()) : 0);
  });
}

void Adaptation::check_feedback (const std::map<std::string, std::unique_ptr<Session>> &sessions)
{
  gint64 now = g_get_monotonic_time ();
  for (auto &kv : sessions) {
    auto &v = static_cast<Viewer &> (*kv.second);
    if (!v.twcc || !v.gcc || !v.connected || now - v.peer->created_us () < FEEDBACK_GRACE_US)
      continue;
    GstStructure *st = nullptr;
    g_object_get (v.gcc.get (), "stats", &st, nullptr);
    guint64 feedbacks = 0;
    if (st) {
      gst_structure_get_uint64 (st, "feedbacks", &feedbacks);
      gst_structure_free (st);
    }
    if (feedbacks == 0) {
      GST_INFO_OBJECT (element_, "viewer %s sends no congestion control feedback: fixed bitrate",
                       v.id.c_str ());
      v.twcc = false;
    }
  }
}

} // namespace rtc

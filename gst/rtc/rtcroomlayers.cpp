/* Room layers: each participant's link is estimated (an rtcgcc, the GCC
 * estimator, as its webrtcbin's aux sender, where the participant sends
 * transport-wide feedback); a forwarded video track goes to it as is (the
 * high layer) or, when its link cannot take that, as a low layer the room
 * encodes once per track (decoded, scaled to Layers::low_width, encoded at
 * Layers::low_bitrate) while anyone uses it. Switches wait for a keyframe
 * of the layer switched to.
 *
 * A low layer is an encoder: it is not started while the host's CPU is
 * saturated (Settings::Layers::max_cpu_pressure; rtchostload.h). On a
 * saturated host the estimates fall for everyone (the delay is the host's
 * own, not the links') and a transcoder would add to the cause; the room
 * warns once and keeps forwarding the originals until the pressure drops.
 *
 * Why not the browser's simulcast: webrtcbin 1.22 does not negotiate it
 * (no a=simulcast/a=rid in its answers, no header extensions), so a
 * browser sends only its first encoding; see docs/rooms.md.
 *
 * Policy, per participant (adapt ()):
 *  - need: what its video lines carry (a track's measured rate on the high
 *    layer, Layers::low_bitrate on the low one); budget: its estimate less
 *    its audio;
 *  - down: when the budget is under 90 % of the need and the estimate fell
 *    (under 85 % of its peak since the last switch: GCC saw queuing or
 *    loss) or 20 s passed since the last switch: the largest tracks go low
 *    until the need fits;
 *  - up: one track at a time, when the estimate has not fallen for 5 s and
 *    covers what is sent, no sooner than the participant's back-off after
 *    the last switch (8 s, doubled each time a promotion is undone within
 *    20 s, at most 64 s; back to 8 s after 30 s on the high layer). GCC
 *    cannot see more than it is sent, so going up is a trial.
 *
 * Control thread only, except the estimate callbacks (rtpsession's
 * threads), which post to it.
 */
#include "rtcroomprivate.h"

#include <algorithm>

#include "rtcteardown.h"
#include "rtctee.h"

GstDebugCategory *rtc_room_category ();
#define GST_CAT_DEFAULT rtc_room_category ()

namespace rtc {

namespace {

constexpr gint64 SECOND = G_USEC_PER_SEC;
constexpr gint CPU_CALM_S = 5;               /* under the bound this long ends a saturation */
constexpr guint DEFAULT_HIGH_RATE = 1000000; /* a track not measured yet */

} // namespace

LowLayer::~LowLayer ()
{
  branch.reset ();
  if (tee_pad && input_tee) {
    gst_element_release_request_pad (input_tee, tee_pad);
    gst_object_unref (tee_pad);
  }
  if (!chain.empty ())
    dispose_elements (GST_BIN (GST_ELEMENT_PARENT (chain.front ())), chain);
}

/* ---- estimates ------------------------------------------------------------ */

struct Room::EstimateContext {
  std::weak_ptr<Room *> room;
  std::string id;
  Settings::Layers layers;
  std::atomic<bool> made{false};
};

static void free_context (gpointer d, GClosure *)
{
  delete static_cast<Room::EstimateContext *> (d);
}

void Room::on_gcc_estimate (GObject *gcc, GParamSpec *, gpointer data)
{
  auto ctx = static_cast<EstimateContext *> (data);
  guint bps = 0;
  g_object_get (gcc, "estimated-bitrate", &bps, nullptr);
  auto room = ctx->room.lock ();
  if (!room)
    return;
  Room *self = *room;
  std::string id = ctx->id;
  self->control_.post ([self, id, bps] () { self->on_estimate (id, bps); });
}

GstElement *Room::on_aux_sender (GstElement *, GstWebRTCDTLSTransport *transport, gpointer data)
{
  auto ctx = static_cast<EstimateContext *> (data);
  /* One estimator per participant: the bundled transport. */
  if (ctx->made.exchange (true))
    return nullptr;
  GstElement *gcc = gst_element_factory_make ("rtcgcc", nullptr);
  if (!gcc)
    return nullptr;
  g_object_set (gcc, "min-bitrate", ctx->layers.min, "start-bitrate", ctx->layers.start,
                "max-bitrate", ctx->layers.max, "dtls-transport", transport, nullptr);
  g_signal_connect_data (gcc, "notify::estimated-bitrate", G_CALLBACK (on_gcc_estimate),
                         new EstimateContext{ctx->room, ctx->id, ctx->layers}, free_context,
                         GConnectFlags (0));
  auto room = ctx->room.lock ();
  if (room) {
    Room *self = *room;
    std::string id = ctx->id;
    auto ref = std::make_shared<ObjectPtr<GstElement>> (ref_object (gcc));
    self->control_.post ([self, id, ref] () {
      auto p = static_cast<Participant *> (self->sessions_.find (id));
      if (p && !p->gcc)
        p->gcc = std::move (*ref);
    });
  }
  return gcc;
}

void Room::attach_estimator (Participant &p)
{
  Settings s = settings ();
  if (!s.layers.enabled || !p.peer->webrtcbin ())
    return;
  g_signal_connect_data (p.peer->webrtcbin (), "request-aux-sender", G_CALLBACK (on_aux_sender),
                         new EstimateContext{alive_, p.id, s.layers}, free_context,
                         GConnectFlags (0));
}

void Room::on_estimate (const std::string &id, guint bps)
{
  auto p = static_cast<Participant *> (sessions_.find (id));
  if (!p)
    return;
  gint64 now = g_get_monotonic_time ();
  if (p->estimate > 0 && bps < p->estimate)
    p->fell_us = now;
  p->estimate = bps;
  p->peak = std::max (p->peak, bps);
  adapt (*p);
}

/* ---- the low layer -------------------------------------------------------- */

bool Room::cpu_allows_low_layer (const Settings &s, const Track &t)
{
  guint max = s.layers.max_cpu_pressure;
  if (max >= 100 ||
      (max > 0 && !cpu_warned_ && (host_cpu_.percent < 0 || host_cpu_.percent < (gint)max)))
    return true;
  if (max > 0 && !cpu_warned_) {
    cpu_warned_ = true;
    GST_ELEMENT_WARNING (element_, RESOURCE, BUSY,
                         ("The host's CPU is saturated (%s: %d %%, the room's "
                          "low-layer-max-cpu-pressure is %u %%): no low layer is encoded "
                          "for %s's video while it lasts, so participants whose links "
                          "cannot take the original get it anyway. Give the pipeline more "
                          "CPU, lower the participants' camera resolution, or raise "
                          "low-layer-max-cpu-pressure.",
                          host_cpu_.source, host_cpu_.percent, max, t.owner.c_str ()),
                         (nullptr));
  }
  GST_DEBUG_OBJECT (element_, "track %s: no low layer (CPU pressure %d %%, at most %u %%)",
                    t.id.c_str (), host_cpu_.percent, max);
  return false;
}

LowLayer *Room::low_layer (Track &t)
{
  if (t.low)
    return t.low.get ();
  Settings s = settings ();
  if (!cpu_allows_low_layer (s, t))
    return nullptr;
  auto dec = s.decoders.find (t.codec);
  auto enc = s.encoding.encoders.find (t.codec);
  if (dec == s.decoders.end () || enc == s.encoding.encoders.end () || !t.tee)
    return nullptr;
  /* The size it arrives at, when the depayloader's caps tell (VP8, VP9). */
  gint width = 0, height = 0;
  ObjectPtr<GstPad> sink (gst_element_get_static_pad (t.tee, "sink"));
  CapsPtr caps (gst_pad_get_current_caps (sink.get ()));
  if (caps) {
    gst_structure_get_int (gst_caps_get_structure (caps.get (), 0), "width", &width);
    gst_structure_get_int (gst_caps_get_structure (caps.get (), 0), "height", &height);
  }
  if (width <= 0 || height <= 0) {
    width = 640;
    height = 360;
  }
  auto low = std::make_unique<LowLayer> ();
  std::vector<GstElement *> chain = {room_make ("queue")};
  if (g_str_equal (t.codec->name, "H264"))
    chain.push_back (room_make ("h264parse"));
  chain.push_back (room_make (dec->second.c_str ()));
  chain.push_back (room_make ("tee"));
  if (std::find (chain.begin (), chain.end (), nullptr) != chain.end ()) {
    for (GstElement *e : chain)
      if (e)
        gst_object_unref (gst_object_ref_sink (e));
    return nullptr;
  }
  g_object_set (chain.back (), "allow-not-linked", TRUE, nullptr);
  add_leaky_chain (GST_BIN (element_), chain);
  low->chain = chain;
  low->input_tee = t.tee;
  EncoderBranch::Config config;
  config.encoder_factory = enc->second;
  config.bitrate_bps = s.layers.low_bitrate;
  config.keyframe_interval_frames = 60;
  config.scale = std::max (1, (width + s.layers.low_width / 2) / s.layers.low_width);
  config.width = width;
  config.height = height;
  InputFormat raw;
  raw.kind = MediaKind::VIDEO;
  raw.raw = true;
  std::string error;
  low->branch =
      EncoderBranch::create (GST_BIN (element_), chain.back (), *t.codec, raw, config, error);
  if (!low->branch) {
    GST_ELEMENT_WARNING (
        element_, CORE, MISSING_PLUGIN,
        ("No low layer for %s's %s track: %s", t.owner.c_str (), t.codec->name, error.c_str ()),
        (nullptr));
    return nullptr;
  }
  /* Single-threaded: libvpx's threads spin on a small picture. */
  if (GstElement *e = low->branch->encoder ())
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), "threads"))
      g_object_set (e, "threads", 1, nullptr);
  ObjectPtr<GstPad> qsink (gst_element_get_static_pad (chain[0], "sink"));
  low->tee_pad = link_tee_branch (t.tee, qsink.get ());
  GST_INFO_OBJECT (element_, "track %s: low layer %dx%d at %u bit/s", t.id.c_str (),
                   width / (gint)config.scale, height / (gint)config.scale, s.layers.low_bitrate);
  t.low = std::move (low);
  if (t.forward)
    t.forward->request_keyframe ();
  return t.low.get ();
}

/* Moves @line (track @t) to the low or the high layer. */
bool Room::set_layer (Participant &p, Line &line, Track &t, bool low)
{
  if (line.low == low)
    return true;
  EncoderBranch *to = low ? (low_layer (t) ? t.low->branch.get () : nullptr) : t.forward.get ();
  if (!to)
    return false;
  if (line.linked) {
    std::string error;
    gint mline = p.peer->mline_of (line.send_line);
    if (mline < 0 || !p.peer->relink_media ((guint)mline, to, error)) {
      GST_WARNING_OBJECT (element_, "participant %s: track %s: %s", p.id.c_str (), t.id.c_str (),
                          error.c_str ());
      return false;
    }
  }
  if (low) {
    t.low->users++;
  } else if (t.low && t.low->users > 0 && --t.low->users == 0) {
    t.low->unused_since_us = g_get_monotonic_time ();
  }
  line.low = low;
  post ("-layer-changed",
        gst_structure_new ("x", "participant", G_TYPE_STRING, p.id.c_str (), "track", G_TYPE_STRING,
                           t.id.c_str (), "owner", G_TYPE_STRING, t.owner.c_str (), "layer",
                           G_TYPE_STRING, low ? "low" : "high", "estimate", G_TYPE_UINT, p.estimate,
                           nullptr));
  return true;
}

/* ---- policy --------------------------------------------------------------- */

void Room::adapt (Participant &p)
{
  Settings s = settings ();
  if (!s.layers.enabled || p.estimate == 0 || !p.connected)
    return;
  gint64 now = g_get_monotonic_time ();
  struct Use {
    Line *line;
    Track *track;
    guint high;
  };
  std::vector<Use> video;
  guint audio = 0;
  for (auto &kv : p.lines) {
    auto t = tracks_.find (kv.first);
    if (t == tracks_.end () || !kv.second.linked)
      continue;
    Track &track = *t->second;
    if (track.kind == MediaKind::AUDIO) {
      audio += s.layers.audio;
      continue;
    }
    if (!track.forward)
      continue; /* the pipeline's tracks follow the encoder's bitrate */
    video.push_back ({&kv.second, &track, track.rate ? track.rate : DEFAULT_HIGH_RATE});
  }
  if (video.empty ())
    return;
  guint budget = p.estimate > audio ? p.estimate - audio : 0;
  guint need = 0;
  for (auto &u : video)
    need += u.line->low ? s.layers.low_bitrate : u.high;
  bool fell = p.peak > 0 && p.estimate < p.peak * 85 / 100;
  bool stale = now - p.switched_us > 20 * SECOND;
  if (budget < need * 9 / 10 && (fell || stale)) {
    /* Down: the largest tracks first. */
    std::sort (video.begin (), video.end (),
               [] (const Use &a, const Use &b) { return a.high > b.high; });
    bool moved = false;
    for (auto &u : video) {
      if (need <= budget)
        break;
      if (u.line->low || !set_layer (p, *u.line, *u.track, true))
        continue;
      need -= u.high - std::min (u.high, s.layers.low_bitrate);
      moved = true;
    }
    if (moved) {
      if (p.promoted_us && now - p.promoted_us < 20 * SECOND)
        p.backoff_s = std::min (64u, p.backoff_s * 2);
      p.promoted_us = 0;
      p.switched_us = now;
      p.peak = p.estimate;
      p.promote_after_us = now + p.backoff_s * SECOND;
    }
    return;
  }
  if (p.promoted_us && now - p.promoted_us > 30 * SECOND)
    p.backoff_s = 8;
  /* Up: one track, the smallest, as a trial. */
  if (now < p.promote_after_us || now - p.fell_us < 5 * SECOND || budget < need)
    return;
  Use *up = nullptr;
  for (auto &u : video)
    if (u.line->low && (!up || u.high < up->high))
      up = &u;
  if (!up || !set_layer (p, *up->line, *up->track, false))
    return;
  p.promoted_us = p.switched_us = now;
  p.peak = p.estimate;
  p.promote_after_us = now + p.backoff_s * SECOND;
}

/* Each second: the host's CPU, the tracks' rates; low layers nobody used
 * for 10 s go. */
void Room::measure_layers ()
{
  gint64 now = g_get_monotonic_time ();
  Settings s = settings ();
  if (s.layers.enabled) {
    host_cpu_ = read_cpu_pressure ();
    /* Saturation ends after CPU_CALM_S seconds under the bound: the 10 s
     * average wavers around it under a steady load, and one dip would
     * start an encoder on a host that is still saturated. */
    if (!cpu_warned_ || host_cpu_.percent < 0 ||
        host_cpu_.percent >= (gint)s.layers.max_cpu_pressure) {
      cpu_calm_us_ = 0;
    } else if (!cpu_calm_us_) {
      cpu_calm_us_ = now;
    } else if (now - cpu_calm_us_ >= CPU_CALM_S * SECOND) {
      GST_INFO_OBJECT (element_, "host CPU pressure %d %% for %d s: low layers can start again",
                       host_cpu_.percent, CPU_CALM_S);
      cpu_warned_ = false;
      cpu_calm_us_ = 0;
    }
  }
  for (auto &kv : tracks_) {
    Track &t = *kv.second;
    if (t.bytes) {
      guint64 b = t.bytes->load ();
      t.rate = (guint)std::min<guint64> (G_MAXUINT, (b - t.last_bytes) * 8);
      t.last_bytes = b;
    }
    if (t.low && t.low->users == 0 && now - t.low->unused_since_us > 10 * SECOND)
      t.low.reset ();
  }
  for (auto &kv : sessions_.all ())
    adapt (static_cast<Participant &> (*kv.second));
}

/* Stats (rtcstats.h): what a participant's session carries each way, and
 * its link as the room sees it. */
void Room::describe (Session &session, GstStructure *fields)
{
  auto &p = static_cast<Participant &> (session);
  guint received = 0, low = 0;
  for (auto &kv : p.arrivals)
    received += !kv.second->track.empty ();
  for (auto &kv : p.lines)
    low += kv.second.low;
  gst_structure_set (fields, "tracks-sent", G_TYPE_UINT, (guint)p.lines.size (), "tracks-received",
                     G_TYPE_UINT, received, "low-layer-tracks", G_TYPE_UINT, low,
                     "congestion-control", G_TYPE_BOOLEAN, p.gcc != nullptr, nullptr);
  if (p.estimate)
    gst_structure_set (fields, "estimated-bitrate", G_TYPE_UINT, p.estimate, nullptr);
}

} // namespace rtc

/* See rtcaudiomix.h. */
#include "rtcaudiomix.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "rtccodecs.h"
#include "rtcptr.h"
#include "rtcteardown.h"
#include "rtctee.h"

GST_DEBUG_CATEGORY_STATIC (rtc_audio_mix_debug);
#define GST_CAT_DEFAULT rtc_audio_mix_debug

namespace rtc {

namespace {

/* What every source is converted to once, and every mix runs at. */
const char *const MIX_CAPS = "audio/x-raw,format=S16LE,rate=48000,channels=2,layout=interleaved";
const gint MIX_RATE = 48000;

GstElement *make (const char *factory, std::string &error)
{
  GstElement *e = gst_element_factory_make (factory, nullptr);
  if (!e && error.empty ())
    error = std::string ("element '") + factory + "' is missing";
  return e;
}

GstElement *make_capsfilter (std::string &error)
{
  GstElement *f = make ("capsfilter", error);
  if (f) {
    CapsPtr caps (gst_caps_from_string (MIX_CAPS));
    g_object_set (f, "caps", caps.get (), nullptr);
  }
  return f;
}

/* Adds @chain to @bin linked in order and started (downstream first);
 * false (nothing added) when an element is missing. */
bool add_chain (GstBin *bin, const std::vector<GstElement *> &chain)
{
  for (GstElement *e : chain)
    if (!e) {
      for (GstElement *o : chain)
        if (o)
          gst_object_unref (gst_object_ref_sink (o));
      return false;
    }
  for (GstElement *e : chain)
    gst_bin_add (bin, e);
  for (size_t i = 0; i + 1 < chain.size (); i++)
    gst_element_link (chain[i], chain[i + 1]);
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);
  return true;
}

/* A queue that drops its oldest data past @ms rather than block its tee. */
GstElement *make_leaky_queue (guint ms, std::string &error)
{
  GstElement *q = make ("queue", error);
  if (q)
    set_leaky (q, (GstClockTime)ms * GST_MSECOND);
  return q;
}

} // namespace

/* The RMS level (dBFS x 100) of each S16 buffer, the highest kept until
 * taken (streaming thread; take_level () on the control thread). */
using Peak = std::shared_ptr<std::atomic<int>>;
static const int NO_LEVEL = (int)(AudioMix::SILENCE_DB * 100);

static GstPadProbeReturn measure_level (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto peak = static_cast<Peak *> (data)->get ();
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  const gint16 *s = reinterpret_cast<const gint16 *> (map.data);
  size_t n = map.size / sizeof (gint16);
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += (double)s[i] * s[i];
  gst_buffer_unmap (buf, &map);
  double rms = n ? std::sqrt (sum / n) / 32768.0 : 0;
  int cdb =
      rms > 0 ? (int)(std::max (AudioMix::SILENCE_DB, 20 * std::log10 (rms)) * 100) : NO_LEVEL;
  int prev = peak->load ();
  while (cdb > prev && !peak->compare_exchange_weak (prev, cdb))
    ;
  return GST_PAD_PROBE_OK;
}

/* A source, converted once: queue, audioconvert, audioresample, capsfilter, tee. */
struct AudioMix::Source {
  std::string owner;
  Peak peak = std::make_shared<std::atomic<int>> (NO_LEVEL);
  GstBin *bin = nullptr;
  GstElement *input_tee = nullptr;
  GstPad *input_pad = nullptr; /* on input_tee */
  std::vector<GstElement *> chain;
  GstElement *tee () const { return chain.back (); }
  ~Source ()
  {
    if (input_pad) {
      gst_element_release_request_pad (input_tee, input_pad);
      gst_object_unref (input_pad);
    }
    if (!chain.empty ())
      dispose_elements (bin, chain);
  }
};

/* A source in a mix: a request pad of the source's tee, a queue, a
 * request pad of the mixer. */
struct AudioMix::Input {
  GstPad *tee_pad = nullptr;
  GstElement *queue = nullptr;
  GstPad *mixer_pad = nullptr;
};

/* silence ─▶ capsfilter ─▶ audiomixer ─▶ capsfilter ─▶ tee [─▶ EncoderBranch] */
struct AudioMix::Mix {
  std::string name;
  std::vector<GstElement *> elements; /* silence, its capsfilter, mixer, capsfilter, tee */
  GstElement *mixer = nullptr;
  GstElement *tee = nullptr;
  std::map<std::string, Input> inputs; /* by source */
  std::unique_ptr<EncoderBranch> branch;
  int users = 0;
  bool pinned = false; /* full_mix (): kept while the AudioMix lives */
};

AudioMix::AudioMix (GstBin *bin, Settings settings,
                    std::function<void (const char *, const std::string &, size_t)> on_change)
    : bin_ (bin), settings_ (std::move (settings)), on_change_ (std::move (on_change))
{
  static gsize debug_done = 0;
  if (g_once_init_enter (&debug_done)) {
    GST_DEBUG_CATEGORY_INIT (rtc_audio_mix_debug, "rtcaudiomix", 0, "Room audio mixing");
    g_once_init_leave (&debug_done, 1);
  }
}

AudioMix::~AudioMix ()
{
  for (auto &kv : mixes_) {
    Mix &m = *kv.second;
    for (auto &in : m.inputs) {
      Source *s = sources_.count (in.first) ? sources_[in.first].get () : nullptr;
      if (s) {
        gst_element_release_request_pad (s->tee (), in.second.tee_pad);
        gst_object_unref (in.second.tee_pad);
      }
    }
    m.branch.reset ();
    std::vector<GstElement *> all;
    for (auto &in : m.inputs) {
      all.push_back (in.second.queue);
      gst_object_unref (in.second.mixer_pad);
    }
    all.insert (all.end (), m.elements.begin (), m.elements.end ());
    dispose_elements (bin_, all);
  }
  mixes_.clear ();
  sources_.clear ();
}

bool AudioMix::owns_source (const std::string &owner) const
{
  for (auto &kv : sources_)
    if (kv.second->owner == owner)
      return true;
  return false;
}

bool AudioMix::add_source (const std::string &source, const std::string &owner,
                           GstElement *input_tee, std::string &error)
{
  if (sources_.count (source)) {
    error = "audio source '" + source + "' is in the mix already";
    return false;
  }
  auto s = std::make_unique<Source> ();
  s->owner = owner;
  s->bin = bin_;
  s->input_tee = input_tee;
  GstElement *tee = make ("tee", error);
  if (tee)
    g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  std::vector<GstElement *> chain = {make_leaky_queue (200, error), make ("audioconvert", error),
                                     make ("audioresample", error), make_capsfilter (error), tee};
  if (!add_chain (bin_, chain))
    return false;
  s->chain = chain;
  ObjectPtr<GstPad> converted (gst_element_get_static_pad (chain[3], "src"));
  gst_pad_add_probe (converted.get (), GST_PAD_PROBE_TYPE_BUFFER, measure_level, new Peak (s->peak),
                     [] (gpointer d) { delete static_cast<Peak *> (d); });
  ObjectPtr<GstPad> sink (gst_element_get_static_pad (chain.front (), "sink"));
  bool linked = false;
  s->input_pad = link_tee_branch (input_tee, sink.get (), &linked);
  if (!linked) {
    error = "could not link audio source '" + source + "' to the mixer";
    return false; /* s's destructor removes what was added */
  }
  Source &added = *s;
  sources_[source] = std::move (s);
  GST_INFO_OBJECT (bin_, "audio source %s (%s) joins %zu mixes", source.c_str (), owner.c_str (),
                   mixes_.size ());
  for (auto &kv : mixes_)
    if (kv.first != owner)
      add_input (*kv.second, source, added);
  return true;
}

double AudioMix::take_level (const std::string &owner)
{
  int best = NO_LEVEL;
  for (auto &kv : sources_)
    if (kv.second->owner == owner)
      best = std::max (best, kv.second->peak->exchange (NO_LEVEL));
  return muted (owner) ? SILENCE_DB : best / 100.0;
}

bool AudioMix::set_muted (const std::string &owner, bool mute)
{
  if (mute == muted (owner))
    return false;
  if (mute)
    muted_.insert (owner);
  else
    muted_.erase (owner);
  for (auto &m : mixes_)
    for (auto &in : m.second->inputs) {
      auto s = sources_.find (in.first);
      if (s != sources_.end () && s->second->owner == owner)
        g_object_set (in.second.mixer_pad, "mute", (gboolean)mute, nullptr);
    }
  GST_INFO_OBJECT (bin_, "%s %s in the mixes", owner.c_str (), mute ? "muted" : "heard again");
  return true;
}

std::vector<std::string> AudioMix::owners () const
{
  std::vector<std::string> out;
  for (auto &kv : sources_)
    if (std::find (out.begin (), out.end (), kv.second->owner) == out.end ())
      out.push_back (kv.second->owner);
  return out;
}

void AudioMix::remove_source (const std::string &source)
{
  auto it = sources_.find (source);
  if (it == sources_.end ())
    return;
  for (auto &kv : mixes_)
    remove_input (*kv.second, source);
  sources_.erase (it);
  GST_INFO_OBJECT (bin_, "audio source %s left the mixes", source.c_str ());
}

bool AudioMix::add_input (Mix &mix, const std::string &name, Source &source)
{
  std::string error;
  Input in;
  in.queue = make_leaky_queue (200, error);
  if (!in.queue) {
    GST_WARNING_OBJECT (bin_, "mix %s: %s", mix.name.c_str (), error.c_str ());
    return false;
  }
  gst_bin_add (bin_, in.queue);
  in.mixer_pad = gst_element_request_pad_simple (mix.mixer, "sink_%u");
  if (muted (source.owner))
    g_object_set (in.mixer_pad, "mute", TRUE, nullptr);
  if (!mix.name.empty ())
    g_object_set (in.mixer_pad, "volume", gain (mix.name, source.owner), nullptr);
  ObjectPtr<GstPad> qsrc (gst_element_get_static_pad (in.queue, "src"));
  gst_pad_link (qsrc.get (), in.mixer_pad);
  gst_element_sync_state_with_parent (in.queue);
  ObjectPtr<GstPad> qsink (gst_element_get_static_pad (in.queue, "sink"));
  in.tee_pad = link_tee_branch (source.tee (), qsink.get ());
  mix.inputs[name] = in;
  return true;
}

void AudioMix::remove_input (Mix &mix, const std::string &source)
{
  auto it = mix.inputs.find (source);
  if (it == mix.inputs.end ())
    return;
  Input in = it->second;
  mix.inputs.erase (it);
  /* The source stops feeding the queue, the mixer stops waiting for it,
   * then the queue goes (its thread ends off this one). */
  auto s = sources_.find (source);
  if (s != sources_.end ())
    gst_element_release_request_pad (s->second->tee (), in.tee_pad);
  gst_object_unref (in.tee_pad);
  gst_element_release_request_pad (mix.mixer, in.mixer_pad);
  gst_object_unref (in.mixer_pad);
  dispose_elements (bin_, {in.queue});
}

AudioMix::Mix *AudioMix::make_mix (const std::string &name, std::string &error)
{
  GstElement *silence = make ("audiotestsrc", error);
  GstElement *mixer = make ("audiomixer", error);
  GstElement *tee = make ("tee", error);
  if (silence)
    g_object_set (silence, "is-live", TRUE, "wave", 4 /* silence */, "samplesperbuffer",
                  (gint)(settings_.frame * MIX_RATE / GST_SECOND), nullptr);
  if (mixer) {
    /* Live: a frame is mixed once its time has passed, with what came;
     * it starts at the first buffer's time (the silence's: now). */
    g_object_set (mixer, "output-buffer-duration", (guint64)settings_.frame, "ignore-inactive-pads",
                  TRUE, nullptr);
    gst_util_set_object_arg (G_OBJECT (mixer), "start-time-selection", "first");
  }
  if (tee)
    g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  GstElement *silence_caps = make_capsfilter (error);
  GstElement *out_caps = make_capsfilter (error);
  std::vector<GstElement *> out = {mixer, out_caps, tee};
  if (!silence || !silence_caps) {
    for (GstElement *e : {silence, silence_caps, mixer, out_caps, tee})
      if (e)
        gst_object_unref (gst_object_ref_sink (e));
    return nullptr;
  }
  if (!add_chain (bin_, out)) {
    for (GstElement *e : {silence, silence_caps})
      gst_object_unref (gst_object_ref_sink (e));
    return nullptr;
  }
  auto m = std::make_unique<Mix> ();
  m->name = name;
  m->mixer = mixer;
  m->tee = tee;
  gst_bin_add_many (bin_, silence, silence_caps, nullptr);
  gst_element_link (silence, silence_caps);
  ObjectPtr<GstPad> src (gst_element_get_static_pad (silence_caps, "src"));
  ObjectPtr<GstPad> pad (gst_element_request_pad_simple (mixer, "sink_%u"));
  gst_pad_link (src.get (), pad.get ());
  gst_element_sync_state_with_parent (silence_caps);
  gst_element_sync_state_with_parent (silence);
  m->elements = {silence, silence_caps, mixer, out_caps, tee};
  Mix &made = *m;
  mixes_[name] = std::move (m);
  for (auto &kv : sources_)
    if (name.empty () || kv.second->owner != name)
      add_input (made, kv.first, *kv.second);
  GST_INFO_OBJECT (bin_, "mix '%s' made with %zu sources", name.c_str (), made.inputs.size ());
  return &made;
}

std::string AudioMix::mix_for (const std::string &listener) const
{
  return owns_source (listener) || gains_.count (listener) ? listener : std::string ();
}

double AudioMix::gain (const std::string &listener, const std::string &owner) const
{
  auto l = gains_.find (listener);
  if (l == gains_.end ())
    return 1.0;
  auto g = l->second.find (owner);
  return g == l->second.end () ? 1.0 : g->second;
}

bool AudioMix::set_gain (const std::string &listener, const std::string &owner, double value)
{
  if (listener.empty () || std::isnan (value))
    return false;
  value = CLAMP (value, 0.0, MAX_GAIN);
  if (std::abs (value - gain (listener, owner)) < 1e-3)
    return false;
  auto &mine = gains_[listener];
  if (std::abs (value - 1.0) < 1e-3)
    mine.erase (owner);
  else
    mine[owner] = value;
  if (mine.empty ())
    gains_.erase (listener);
  auto m = mixes_.find (listener);
  if (m != mixes_.end ())
    for (auto &in : m->second->inputs) {
      auto s = sources_.find (in.first);
      if (s != sources_.end () && s->second->owner == owner)
        g_object_set (in.second.mixer_pad, "volume", value, nullptr);
    }
  GST_INFO_OBJECT (bin_, "%s hears %s at %.2f", listener.c_str (), owner.c_str (), value);
  return true;
}

void AudioMix::forget (const std::string &listener)
{
  gains_.erase (listener);
}

EncoderBranch *AudioMix::acquire (const std::string &listener, std::string &name,
                                  std::string &error)
{
  name = mix_for (listener);
  auto it = mixes_.find (name);
  Mix *m = it != mixes_.end () ? it->second.get () : make_mix (name, error);
  if (!m)
    return nullptr;
  if (!m->branch) {
    const Codec *opus = codec_by_name ("OPUS");
    InputFormat raw;
    raw.kind = MediaKind::AUDIO;
    EncoderBranch::Config config;
    config.encoder_factory = settings_.encoder;
    config.bitrate_bps = settings_.bitrate;
    /* Opus frames as long as the mixer's (opusenc takes 10 or 20 ms here). */
    config.encoder_properties.push_back (
        {"frame-size", std::to_string (settings_.frame / GST_MSECOND)});
    m->branch = EncoderBranch::create (bin_, m->tee, *opus, raw, config, error);
    if (!m->branch) {
      drop_mix_if_unused (name);
      return nullptr;
    }
    if (on_change_)
      on_change_ ("added", name, encoders ());
  }
  m->users++;
  return m->branch.get ();
}

void AudioMix::release (const std::string &name)
{
  auto it = mixes_.find (name);
  if (it == mixes_.end () || it->second->users == 0)
    return;
  if (--it->second->users == 0)
    drop_mix_if_unused (name);
}

GstElement *AudioMix::full_mix (std::string &error)
{
  auto it = mixes_.find ("");
  Mix *m = it != mixes_.end () ? it->second.get () : make_mix ("", error);
  if (!m)
    return nullptr;
  m->pinned = true;
  return m->tee;
}

void AudioMix::drop_mix_if_unused (const std::string &name)
{
  auto it = mixes_.find (name);
  if (it == mixes_.end ())
    return;
  Mix &m = *it->second;
  if (m.users > 0)
    return;
  bool encoded = m.branch != nullptr;
  m.branch.reset ();
  if (encoded && on_change_)
    on_change_ ("removed", name, encoders ());
  if (m.pinned)
    return;
  std::vector<std::string> names;
  for (auto &in : m.inputs)
    names.push_back (in.first);
  for (auto &n : names)
    remove_input (m, n);
  dispose_elements (bin_, m.elements);
  mixes_.erase (it);
  GST_INFO_OBJECT (bin_, "mix '%s' removed", name.c_str ());
}

size_t AudioMix::encoders () const
{
  size_t n = 0;
  for (auto &kv : mixes_)
    n += kv.second->branch != nullptr;
  return n;
}

std::vector<std::string> AudioMix::mix_names () const
{
  std::vector<std::string> names;
  for (auto &kv : mixes_)
    names.push_back (kv.first);
  return names;
}

} // namespace rtc

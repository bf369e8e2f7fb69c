/* See rtcoutputs.h. */
#include "rtcoutputs.h"

#include <algorithm>
#include <set>

#include "rtcptr.h"
#include "rtcteardown.h"
#include "rtctee.h"

GST_DEBUG_CATEGORY_STATIC (rtc_outputs_debug);
#define GST_CAT_DEFAULT rtc_outputs_debug

namespace rtc {

namespace {

GstElement *make (const char *factory)
{
  return factory ? gst_element_factory_make (factory, nullptr) : nullptr;
}

void set_if_exists (GstElement *e, const char *property, gboolean value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), property))
    g_object_set (e, property, value, nullptr);
}

} // namespace

Outputs::Outputs (GstElement *element, std::string prefix)
    : element_ (element), prefix_ (std::move (prefix))
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_outputs_debug, "rtcoutputs", 0,
                             "webrtcsubscribe's pads and receive chains");
    g_once_init_leave (&once, 1);
  }
}

Outputs::~Outputs () = default;

/* Keeps one continuous stream per pad across publishers: only the first
 * stream-start goes out, and EOS only when the element sends it. */
GstPadProbeReturn Outputs::output_probe (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto out = static_cast<Output *> (data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_STREAM_START:
    if (out->started)
      return GST_PAD_PROBE_DROP;
    out->started = true;
    break;
  case GST_EVENT_EOS:
    if (!out->eos_allowed)
      return GST_PAD_PROBE_DROP;
    break;
  default:
    break;
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn Outputs::drop_if_unlinked (GstPad *, GstPadProbeInfo *, gpointer data)
{
  auto out = static_cast<Output *> (data);
  return gst_pad_is_linked (out->ghost) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* The output of @kind that session @id's next stream of that kind feeds,
 * made (and added to the element) if needed, now fed from @target. Under
 * lock_. */
Outputs::Output *Outputs::attach (const std::string &id, MediaKind kind, GstPad *target)
{
  std::set<guint> taken;
  for (auto &kv : chains_)
    for (auto &c : kv.second)
      if (c.output->kind == kind)
        taken.insert (c.output->index);
  guint index = 0;
  while (taken.count (index))
    index++;
  std::string name = std::string (media_kind_name (kind)) + "_" + std::to_string (index);
  Output *found = nullptr;
  for (auto &out : outputs_)
    if (out->kind == kind && out->index == index)
      found = out.get ();
  if (found) {
    gst_ghost_pad_set_target (GST_GHOST_PAD (found->ghost), target);
    GST_INFO_OBJECT (element_, "%s now fed by session %s", name.c_str (), id.c_str ());
  } else {
    auto out = std::make_unique<Output> ();
    out->kind = kind;
    out->index = index;
    GstPadTemplate *templ = gst_element_class_get_pad_template (
        GST_ELEMENT_GET_CLASS (element_), kind == MediaKind::VIDEO ? "video_%u" : "audio_%u");
    out->ghost = target ? gst_ghost_pad_new_from_template (name.c_str (), target, templ)
                        : gst_ghost_pad_new_no_target_from_template (name.c_str (), templ);
    gst_pad_add_probe (out->ghost, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, output_probe, out.get (),
                       nullptr);
    gst_pad_set_active (out->ghost, TRUE);
    found = out.get ();
    outputs_.push_back (std::move (out));
    gst_element_add_pad (element_, found->ghost);
    GST_INFO_OBJECT (element_, "new pad %s", name.c_str ());
  }
  return found;
}

bool Outputs::add_chain (const std::string &id, const std::string &peer, GstPad *pad,
                         const Settings &settings, MediaKind &kind)
{
  CapsPtr caps (gst_pad_get_current_caps (pad));
  const GstStructure *s = caps ? gst_caps_get_structure (caps.get (), 0) : nullptr;
  const gchar *enc = s ? gst_structure_get_string (s, "encoding-name") : nullptr;
  const Codec *codec = enc ? codec_by_name (enc) : nullptr;
  GST_DEBUG_OBJECT (element_, "session %s: pad %s, caps %" GST_PTR_FORMAT, id.c_str (),
                    GST_PAD_NAME (pad), caps.get ());
  if (!codec) {
    GST_ELEMENT_WARNING (
        element_, STREAM, CODEC_NOT_FOUND,
        ("Publisher %s sends media we cannot use (%s)", id.c_str (), enc ? enc : "no caps"),
        ("caps %" GST_PTR_FORMAT, caps.get ()));
    return false;
  }
  kind = codec->kind;
  Chain chain;
  GstElement *depay = make (codec->depayloader);
  chain.elements.push_back (depay);
  if (depay && codec->kind == MediaKind::VIDEO) {
    /* Ask for a keyframe (PLI) when packets are lost, and output nothing
     * that cannot be decoded. */
    set_if_exists (depay, "request-keyframe", TRUE);
    set_if_exists (depay, "wait-for-keyframe", TRUE);
  }
  if (settings.decode) {
    auto it = settings.decoders.find (codec);
    GstElement *dec = make (it == settings.decoders.end () ? nullptr : it->second.c_str ());
    if (dec && codec->kind == MediaKind::VIDEO) {
      if (g_str_equal (codec->name, "H264"))
        chain.elements.push_back (own_buffers (make ("h264parse")));
      set_if_exists (dec, "automatic-request-sync-points", TRUE);
      set_if_exists (dec, "discard-corrupted-frames", TRUE);
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (dec), "max-errors"))
        g_object_set (dec, "max-errors", -1, nullptr);
    }
    chain.elements.push_back (dec);
  } else if (codec->parser) {
    chain.elements.push_back (own_buffers (make (codec->parser)));
  }
  if (std::find (chain.elements.begin (), chain.elements.end (), nullptr) !=
      chain.elements.end ()) {
    for (GstElement *e : chain.elements)
      if (e)
        gst_object_unref (gst_object_ref_sink (e));
    GST_ELEMENT_WARNING (element_, CORE, MISSING_PLUGIN,
                         ("Cannot %s %s: an element is missing",
                          settings.decode ? "decode" : "depayload", codec->name),
                         ("install gstreamer1.0-plugins-good/-bad/-libav"));
    return false;
  }
  for (GstElement *e : chain.elements)
    gst_bin_add (GST_BIN (element_), e);
  bool linked = true;
  for (size_t i = 0; i + 1 < chain.elements.size (); i++)
    linked = linked && gst_element_link (chain.elements[i], chain.elements[i + 1]);
  for (GstElement *e : chain.elements)
    gst_element_sync_state_with_parent (e);
  chain.src = gst_element_get_static_pad (chain.elements.back (), "src");
  std::string pad_name;
  {
    std::lock_guard<std::mutex> g (lock_);
    chain.output = attach (id, codec->kind, chain.src);
    pad_name = GST_PAD_NAME (chain.output->ghost);
    gst_pad_add_probe (chain.src,
                       GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                       drop_if_unlinked, chain.output, nullptr);
    chains_[id].push_back (chain);
  }
  std::string msg = prefix_ + "-output";
  gst_element_post_message (
      element_, gst_message_new_element (
                    GST_OBJECT (element_),
                    gst_structure_new (msg.c_str (), "pad", G_TYPE_STRING, pad_name.c_str (),
                                       "session-id", G_TYPE_STRING, id.c_str (), "remote-address",
                                       G_TYPE_STRING, peer.c_str (), nullptr)));
  ObjectPtr<GstPad> sink (gst_element_get_static_pad (chain.elements.front (), "sink"));
  if (!linked || gst_pad_link (pad, sink.get ()) != GST_PAD_LINK_OK)
    GST_ELEMENT_WARNING (element_, CORE, NEGOTIATION,
                         ("Could not link %s from publisher %s", enc, id.c_str ()), (nullptr));
  return true;
}

void Outputs::remove_chains (const std::string &id)
{
  std::vector<Chain> chains;
  {
    std::lock_guard<std::mutex> g (lock_);
    auto it = chains_.find (id);
    if (it == chains_.end ())
      return;
    chains = std::move (it->second);
    chains_.erase (it);
    for (auto &c : chains) {
      ObjectPtr<GstPad> target (gst_ghost_pad_get_target (GST_GHOST_PAD (c.output->ghost)));
      if (target.get () == c.src)
        gst_ghost_pad_set_target (GST_GHOST_PAD (c.output->ghost), nullptr);
    }
  }
  for (auto &c : chains) {
    /* Off this thread: a blocked downstream must not block us. */
    dispose_elements (GST_BIN (element_), c.elements);
    gst_object_unref (c.src);
  }
}

void Outputs::hold_eos ()
{
  std::lock_guard<std::mutex> g (lock_);
  for (auto &out : outputs_)
    out->eos_allowed = false;
}

void Outputs::push_eos (GstEvent *eos)
{
  std::vector<GstPad *> pads;
  bool made = false;
  {
    std::lock_guard<std::mutex> g (lock_);
    if (outputs_.empty ()) {
      /* No publisher ever came: show the pads the application links to
       * (video_0, audio_0) just to end their streams, so that an EOS
       * (gst-launch-1.0 -e, Ctrl-C) still finishes the pipeline. */
      attach ("", MediaKind::VIDEO, nullptr);
      attach ("", MediaKind::AUDIO, nullptr);
      made = true;
    }
    for (auto &out : outputs_) {
      out->eos_allowed = true;
      pads.push_back (GST_PAD (gst_object_ref (out->ghost)));
    }
  }
  for (GstPad *pad : pads) {
    if (made) {
      gst_pad_push_event (pad, gst_event_new_stream_start ("webrtcsubscribe-no-publisher"));
      GstSegment segment;
      gst_segment_init (&segment, GST_FORMAT_TIME);
      gst_pad_push_event (pad, gst_event_new_segment (&segment));
    }
    gst_pad_push_event (pad, gst_event_ref (eos));
    gst_object_unref (pad);
  }
}

void Outputs::stop ()
{
  std::vector<std::unique_ptr<Output>> outputs;
  {
    std::lock_guard<std::mutex> g (lock_);
    outputs.swap (outputs_);
  }
  for (auto &out : outputs) {
    gst_pad_set_active (out->ghost, FALSE);
    gst_element_remove_pad (element_, out->ghost);
  }
}

} // namespace rtc

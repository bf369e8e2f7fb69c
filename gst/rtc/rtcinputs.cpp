/* See rtcinputs.h. */
#include "rtcinputs.h"

#include <gst/pbutils/codec-utils.h>
#include <algorithm>
#include <cstring>

#include "rtcptr.h"

GST_DEBUG_CATEGORY_STATIC (rtc_inputs_debug);
#define GST_CAT_DEFAULT rtc_inputs_debug

namespace rtc {

struct Inputs::Entry {
  Inputs *owner = nullptr;
  std::unique_ptr<Input> input;
  /* guarded by the owner's lock: */
  InputState state;
};

Input::~Input ()
{
  /* We keep a reference on our elements: during dispose the bin drops its
   * children before the request pads are released. */
  for (GstElement *e : {filter, tee, clock_sink})
    if (e)
      gst_object_unref (e);
}

Inputs::Inputs (GstElement *element, std::function<void ()> on_format)
    : element_ (element), on_format_ (std::move (on_format))
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_inputs_debug, "rtcinputs", 0, "webrtcpublish's inputs");
    g_once_init_leave (&once, 1);
  }
}

Inputs::~Inputs () = default;

/* The H.264 profile of encoded caps: the "profile" field, or read from
 * codec_data. */
static std::string h264_profile (const GstStructure *s)
{
  const gchar *profile = gst_structure_get_string (s, "profile");
  const GValue *cd = gst_structure_get_value (s, "codec_data");
  if (!profile && cd && G_VALUE_HOLDS (cd, GST_TYPE_BUFFER)) {
    GstMapInfo map;
    GstBuffer *buf = gst_value_get_buffer (cd);
    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      if (map.size > 4)
        profile = gst_codec_utils_h264_get_profile (map.data + 1, map.size - 1);
      gst_buffer_unmap (buf, &map);
    }
  }
  return profile ? profile : "";
}

void Inputs::on_caps (Entry &entry, GstCaps *caps)
{
  Input &input = *entry.input;
  GstStructure *s = gst_caps_get_structure (caps, 0);
  InputFormat format;
  format.kind = input.kind;
  format.raw = g_str_has_suffix (gst_structure_get_name (s), "/x-raw");
  format.codec = format.raw ? nullptr : codec_for_caps (caps);
  if (format.codec && g_str_equal (format.codec->name, "H264"))
    format.h264_profile = h264_profile (s);
  gint num = 0, den = 1;
  bool changed;
  {
    std::lock_guard<std::mutex> g (lock_);
    InputState &st = entry.state;
    changed = st.have_format && (st.format.raw != format.raw || st.format.codec != format.codec);
    st.format = format;
    st.have_format = true;
    if (gst_structure_get_fraction (s, "framerate", &num, &den) && num > 0 && den > 0)
      st.fps = std::max (1, num / den);
    gst_structure_get_int (s, "width", &st.width);
    gst_structure_get_int (s, "height", &st.height);
  }
  if (changed)
    GST_ELEMENT_WARNING (element_, STREAM, FORMAT,
                         ("Input %s changed format; viewers keep the old codec until they "
                          "reconnect",
                          input.name.c_str ()),
                         ("new caps %" GST_PTR_FORMAT, caps));
  /* A live source paces itself; a file does not: only then sync to the clock. */
  GstQuery *q = gst_query_new_latency ();
  gboolean live = FALSE;
  if (gst_pad_peer_query (GST_PAD (input.ghost), q))
    gst_query_parse_latency (q, &live, nullptr, nullptr);
  gst_query_unref (q);
  g_object_set (input.clock_sink, "sync", !live, nullptr);
  on_format_ ();
}

GstPadProbeReturn Inputs::event_probe (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto entry = static_cast<Entry *> (data);
  Inputs *self = entry->owner;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gst_event_parse_caps (event, &caps);
    self->on_caps (*entry, caps);
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START ||
             GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    std::lock_guard<std::mutex> g (self->lock_);
    entry->state.eos = false;
  }
  return GST_PAD_PROBE_OK;
}

GstPad *Inputs::add (GstPadTemplate *templ, const gchar *name, const char *caps_text)
{
  MediaKind kind =
      g_str_has_prefix (templ->name_template, "video") ? MediaKind::VIDEO : MediaKind::AUDIO;
  const char *prefix = kind == MediaKind::VIDEO ? "video_" : "audio_";
  int k = kind == MediaKind::VIDEO ? 0 : 1;
  auto entry = std::make_unique<Entry> ();
  entry->owner = this;
  entry->input = std::make_unique<Input> ();
  Input &input = *entry->input;
  input.kind = kind;
  entry->state.input = &input;
  entry->state.format.kind = kind;
  {
    std::lock_guard<std::mutex> g (lock_);
    guint index = next_index_[k];
    if (name && g_str_has_prefix (name, prefix)) {
      gchar *end = nullptr;
      guint64 asked = g_ascii_strtoull (name + strlen (prefix), &end, 10);
      if (end && *end == '\0' && end != name + strlen (prefix) && asked < G_MAXUINT) {
        index = (guint)asked;
        for (auto &e : entries_)
          if (e->input->name == name)
            return nullptr;
      }
    }
    next_index_[k] = std::max (next_index_[k], index + 1);
    input.name = prefix + std::to_string (index);
  }
  input.filter = gst_element_factory_make ("capsfilter", (input.name + "-filter").c_str ());
  input.tee = gst_element_factory_make ("tee", (input.name + "-tee").c_str ());
  input.clock_sink = gst_element_factory_make ("fakesink", (input.name + "-clock").c_str ());
  if (!input.filter || !input.tee || !input.clock_sink) {
    GST_ELEMENT_ERROR (element_, CORE, MISSING_PLUGIN, ("Core elements are missing"),
                       ("capsfilter, tee or fakesink could not be made"));
    for (GstElement **e : {&input.filter, &input.tee, &input.clock_sink})
      if (*e)
        gst_object_unref (gst_object_ref_sink (*e));
    input.filter = input.tee = input.clock_sink = nullptr;
    return nullptr;
  }
  CapsPtr caps (gst_caps_from_string (caps_text));
  g_object_set (input.filter, "caps", caps.get (), nullptr);
  g_object_set (input.tee, "allow-not-linked", TRUE, nullptr);
  g_object_set (input.clock_sink, "sync", FALSE, "async", FALSE, "qos", FALSE, "max-lateness",
                (gint64)-1, "enable-last-sample", FALSE, nullptr);
  gst_bin_add_many (GST_BIN (element_), GST_ELEMENT (gst_object_ref (input.filter)),
                    GST_ELEMENT (gst_object_ref (input.tee)),
                    GST_ELEMENT (gst_object_ref (input.clock_sink)), nullptr);
  gst_element_link_many (input.filter, input.tee, input.clock_sink, nullptr);

  ObjectPtr<GstPad> target (gst_element_get_static_pad (input.filter, "sink"));
  input.ghost = gst_ghost_pad_new_from_template (input.name.c_str (), target.get (), templ);
  ObjectPtr<GstPad> filter_src (gst_element_get_static_pad (input.filter, "src"));
  gst_pad_add_probe (filter_src.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, event_probe,
                     entry.get (), nullptr);
  gst_element_sync_state_with_parent (input.clock_sink);
  gst_element_sync_state_with_parent (input.tee);
  gst_element_sync_state_with_parent (input.filter);
  if (GST_STATE (element_) > GST_STATE_NULL)
    gst_pad_set_active (input.ghost, TRUE);
  GstPad *pad = input.ghost;
  {
    std::lock_guard<std::mutex> g (lock_);
    entries_.push_back (std::move (entry));
  }
  gst_element_add_pad (element_, pad);
  return pad;
}

std::unique_ptr<Input> Inputs::remove (GstPad *pad)
{
  Entry *entry = nullptr;
  {
    std::lock_guard<std::mutex> g (lock_);
    for (auto &e : entries_)
      if (e->input->ghost == pad)
        entry = e.get ();
  }
  if (!entry)
    return nullptr;
  Input &input = *entry->input;
  gst_element_remove_pad (element_, pad);
  /* Stopping the filter waits for its streaming thread: no caps probe on
   * the entry after this. */
  for (GstElement *e : {input.filter, input.tee, input.clock_sink}) {
    gst_element_set_locked_state (e, TRUE);
    gst_element_set_state (e, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (e) == GST_OBJECT (element_))
      gst_bin_remove (GST_BIN (element_), e);
  }
  std::lock_guard<std::mutex> g (lock_);
  auto it = std::find_if (entries_.begin (), entries_.end (),
                          [entry] (const std::unique_ptr<Entry> &e) { return e.get () == entry; });
  std::unique_ptr<Input> out = std::move (entry->input);
  entries_.erase (it);
  return out;
}

const Input *Inputs::find (GstPad *pad)
{
  std::lock_guard<std::mutex> g (lock_);
  for (auto &e : entries_)
    if (e->input->ghost == pad)
      return e->input.get ();
  return nullptr;
}

std::vector<InputState> Inputs::states ()
{
  std::lock_guard<std::mutex> g (lock_);
  std::vector<InputState> out;
  for (auto &e : entries_)
    out.push_back (e->state);
  return out;
}

InputState Inputs::state (const Input *input)
{
  std::lock_guard<std::mutex> g (lock_);
  for (auto &e : entries_)
    if (e->input.get () == input)
      return e->state;
  return InputState ();
}

GstPad *Inputs::ref_first_video (gint &width, gint &height)
{
  std::lock_guard<std::mutex> g (lock_);
  for (auto &e : entries_) {
    if (e->input->kind == MediaKind::VIDEO) {
      width = e->state.width;
      height = e->state.height;
      return GST_PAD (gst_object_ref (e->input->ghost));
    }
  }
  return nullptr;
}

std::string Inputs::kinds ()
{
  std::lock_guard<std::mutex> g (lock_);
  std::string out;
  for (auto &e : entries_)
    out += (out.empty () ? "" : ",") + std::string (media_kind_name (e->input->kind));
  return out;
}

bool Inputs::mark_eos (GstObject *src)
{
  std::lock_guard<std::mutex> g (lock_);
  for (auto &e : entries_) {
    if (src == GST_OBJECT (e->input->clock_sink)) {
      e->state.eos = true;
      return true;
    }
  }
  return false;
}

bool Inputs::all_ended ()
{
  std::lock_guard<std::mutex> g (lock_);
  for (auto &e : entries_)
    if (!e->state.eos)
      return false;
  return true;
}

void Inputs::reset_eos ()
{
  std::lock_guard<std::mutex> g (lock_);
  for (auto &e : entries_)
    e->state.eos = false;
}

} // namespace rtc

/* See rtcrecorder.h. */
#include "rtcrecorder.h"

#include <condition_variable>
#include <mutex>

#include "rtcptr.h"
#include "rtcteardown.h"
#include "rtctee.h"

namespace rtc {

struct Recorder::State {
  std::mutex lock;
  std::condition_variable cond;
  bool started = false; /* a keyframe went through */
  bool finished = false;
  std::function<void ()> done;
  GstClockTime first = GST_CLOCK_TIME_NONE;
};

namespace {

bool ends_with (const std::string &s, const char *suffix)
{
  size_t n = strlen (suffix);
  return s.size () >= n && g_ascii_strcasecmp (s.c_str () + s.size () - n, suffix) == 0;
}

/* The state of a probe (a weak reference: the recorder may go first). */
using StateRef = std::weak_ptr<Recorder::State>;

void free_ref (gpointer data)
{
  delete static_cast<StateRef *> (data);
}

/* Drops what comes before the first keyframe, and shifts timestamps so
 * that the file starts at zero. */
GstPadProbeReturn on_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto st = static_cast<StateRef *> (data)->lock ();
  if (!st)
    return GST_PAD_PROBE_DROP;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  std::lock_guard<std::mutex> g (st->lock);
  if (!st->started) {
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      return GST_PAD_PROBE_DROP;
    st->started = true;
    GstEvent *seg = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    if (seg) {
      const GstSegment *segment = nullptr;
      gst_event_parse_segment (seg, &segment);
      GstClockTime pts =
          GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : GST_BUFFER_DTS (buf);
      GstClockTime rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
      if (GST_CLOCK_TIME_IS_VALID (rt))
        gst_pad_set_offset (pad, -(gint64)rt);
      gst_event_unref (seg);
    }
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn on_sink_eos (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  auto st = static_cast<StateRef *> (data)->lock ();
  if (!st)
    return GST_PAD_PROBE_OK;
  std::function<void ()> done;
  {
    std::lock_guard<std::mutex> g (st->lock);
    if (st->finished)
      return GST_PAD_PROBE_OK;
    st->finished = true;
    done = std::move (st->done);
  }
  st->cond.notify_all ();
  if (done)
    done ();
  return GST_PAD_PROBE_OK;
}

} // namespace

std::string record_location (const std::string &pattern, const std::string &name)
{
  size_t at = pattern.find ('%');
  if (at == std::string::npos || pattern.compare (at, 2, "%s") != 0 ||
      pattern.find ('%', at + 2) != std::string::npos)
    return {};
  return pattern.substr (0, at) + name + pattern.substr (at + 2);
}

const char *Recorder::muxer_for (const std::string &location, const Codec &codec)
{
  std::string name = codec.name;
  if (ends_with (location, ".webm"))
    return name == "H264" ? nullptr : "webmmux";
  if (ends_with (location, ".mp4"))
    return name == "VP8" ? nullptr : "mp4mux";
  return "matroskamux";
}

std::unique_ptr<Recorder> Recorder::create (GstBin *bin, GstElement *tee, const Codec &codec,
                                            const std::string &location, std::string &error)
{
  const char *mux_name = muxer_for (location, codec);
  if (!mux_name) {
    error =
        std::string ("a ") + codec.name + " track cannot be stored in " + location + " (use .mkv)";
    return nullptr;
  }
  std::vector<const char *> factories = {"queue"};
  if (codec.parser)
    factories.push_back (codec.parser);
  factories.push_back (mux_name);
  factories.push_back ("filesink");
  std::vector<GstElement *> chain;
  for (const char *f : factories) {
    GstElement *e = gst_element_factory_make (f, nullptr);
    if (!e) {
      for (GstElement *made : chain)
        gst_object_unref (gst_object_ref_sink (made));
      error = std::string ("element '") + f + "' is missing";
      return nullptr;
    }
    chain.push_back (e);
  }
  if (codec.parser)
    own_buffers (chain[1]); /* the tee feeds other branches too */
  GstElement *queue = chain.front (), *sink = chain.back ();
  /* Writing must never hold up the forwarding. */
  set_leaky (queue, 2 * GST_SECOND);
  g_object_set (sink, "location", location.c_str (), "sync", FALSE, "async", FALSE, nullptr);
  if (g_str_equal (mux_name, "mp4mux"))
    g_object_set (chain[chain.size () - 2], "faststart", FALSE, nullptr);

  std::unique_ptr<Recorder> r (new Recorder ());
  r->bin_ = bin;
  r->tee_ = tee;
  r->chain_ = chain;
  r->location_ = location;
  r->state_ = std::make_shared<State> ();
  for (GstElement *e : chain)
    gst_bin_add (bin, e);
  bool linked = true;
  for (size_t i = 0; i + 1 < chain.size (); i++)
    linked = linked && gst_element_link (chain[i], chain[i + 1]);
  if (!linked) {
    error = std::string ("cannot link the ") + codec.name + " track to " + mux_name;
    return nullptr; /* the destructor disposes the chain */
  }
  ObjectPtr<GstPad> qsrc (gst_element_get_static_pad (queue, "src"));
  gst_pad_add_probe (qsrc.get (), GST_PAD_PROBE_TYPE_BUFFER, on_buffer, new StateRef (r->state_),
                     free_ref);
  ObjectPtr<GstPad> ssink (gst_element_get_static_pad (sink, "sink"));
  gst_pad_add_probe (ssink.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_eos,
                     new StateRef (r->state_), free_ref);
  for (GstElement *e : chain)
    gst_element_sync_state_with_parent (e);
  ObjectPtr<GstPad> qsink (gst_element_get_static_pad (queue, "sink"));
  r->tee_pad_ = link_tee_branch (tee, qsink.get (), &linked);
  if (!linked) {
    error = "cannot tap the track";
    return nullptr;
  }
  return r;
}

void Recorder::finish (std::function<void ()> done)
{
  {
    std::lock_guard<std::mutex> g (state_->lock);
    if (state_->finished) {
      if (done)
        done ();
      return;
    }
    state_->done = done;
  }
  if (tee_pad_) {
    ObjectPtr<GstPad> peer (gst_pad_get_peer (tee_pad_));
    gst_element_release_request_pad (tee_, tee_pad_);
    gst_object_unref (tee_pad_);
    tee_pad_ = nullptr;
  }
  ObjectPtr<GstPad> qsink (gst_element_get_static_pad (chain_.front (), "sink"));
  gst_pad_send_event (qsink.get (), gst_event_new_eos ());
}

void Recorder::abandon ()
{
  std::function<void ()> done;
  {
    std::lock_guard<std::mutex> g (state_->lock);
    if (state_->finished)
      return;
    state_->finished = true;
    done = std::move (state_->done);
  }
  state_->cond.notify_all ();
  if (done)
    done ();
}

bool Recorder::wait_finished (guint timeout_ms)
{
  std::unique_lock<std::mutex> g (state_->lock);
  return state_->cond.wait_for (g, std::chrono::milliseconds (timeout_ms),
                                [this] () { return state_->finished; });
}

Recorder::~Recorder ()
{
  if (tee_pad_) {
    gst_element_release_request_pad (tee_, tee_pad_);
    gst_object_unref (tee_pad_);
  }
  dispose_elements (bin_, chain_);
}

} // namespace rtc

/* The receiving direction of rtc::DataRouter (see rtcdatarouterprivate.h):
 * data_recv_<label> pads and their tasks, delivery of received messages to
 * internal handlers, signals and pads. */
#include "rtcdatarouterprivate.h"

#include <gst/rtcbridge/gstrtcdatameta.h>

#include <cstring>

#include "rtcptr.h"

namespace rtc {

using namespace data_router;

static GstClockTime running_time (GstElement *element)
{
  GstClock *clock = gst_element_get_clock (element);
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  GstClockTime now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  GstClockTime base = gst_element_get_base_time (element);
  return now >= base ? now - base : 0;
}

/* The pad's task, first: stream-start, caps (what downstream takes: binary
 * unless only text fits) and a segment; a gap lets what follows preroll
 * before any message arrives. */
static void start_src (GstElement *element, PadState &ps)
{
  GstPad *pad = GST_PAD (ps.pad);
  /* gst_pad_create_stream_id() wants at most one sink pad on the element. */
  gchar *stream_id = g_strdup_printf ("%08x%08x/%s/%s", g_random_int (), g_random_int (),
                                      GST_ELEMENT_NAME (element), GST_PAD_NAME (pad));
  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  CapsPtr templ (gst_pad_get_pad_template_caps (pad));
  CapsPtr peer (gst_pad_peer_query_caps (pad, templ.get ()));
  GstCaps *caps = peer && !gst_caps_is_empty (peer.get ())
                      ? gst_caps_fixate (gst_caps_ref (peer.get ()))
                      : gst_caps_new_empty_simple ("application/octet-stream");
  gst_pad_push_event (pad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
  ps.started = true;
  gst_pad_push_event (pad, gst_event_new_gap (0, GST_CLOCK_TIME_NONE));
}

/* A src pad's streaming thread: pushes what sessions received. */
static void src_loop (gpointer data)
{
  auto ps = static_cast<PadState *> (data);
  GstPad *pad = GST_PAD (ps->pad);
  if (!ps->started) {
    GstObject *parent = gst_pad_get_parent (pad);
    if (parent) {
      start_src (GST_ELEMENT (parent), *ps);
      gst_object_unref (parent);
    }
  }
  GstBuffer *buf;
  {
    std::unique_lock<std::mutex> lk (ps->queue_lock);
    ps->queue_cond.wait (lk, [ps] { return ps->queue_flushing || !ps->queue.empty (); });
    if (ps->queue_flushing) {
      lk.unlock ();
      gst_pad_pause_task (pad);
      return;
    }
    buf = ps->queue.front ();
    ps->queue.pop_front ();
    if (buf)
      ps->queued_bytes -= gst_buffer_get_size (buf);
  }
  if (!buf) {
    gst_pad_push_event (pad, gst_event_new_eos ());
    gst_pad_pause_task (pad);
    return;
  }
  GstFlowReturn ret = gst_pad_push (pad, buf);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_NOT_LINKED && ret != GST_FLOW_FLUSHING)
    GST_WARNING_OBJECT (pad, "push: %s", gst_flow_get_name (ret));
}

/* Messages arrive when the peer sends them and are stamped with the running
 * time of arrival: a live source without latency of its own. */
static gboolean src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static gboolean src_activate_mode (GstPad *pad, GstObject *parent, GstPadMode mode, gboolean active)
{
  DataRouter::Core *core = nullptr;
  std::shared_ptr<PadState> ps = pad_state_of (pad, parent, core);
  if (!ps || mode != GST_PAD_MODE_PUSH)
    return !active;
  {
    std::lock_guard<std::mutex> g (ps->queue_lock);
    ps->queue_flushing = !active;
    if (active) {
      ps->started = false; /* a new stream */
    } else {
      for (GstBuffer *b : ps->queue)
        if (b)
          gst_buffer_unref (b);
      ps->queue.clear ();
      ps->queued_bytes = 0;
    }
  }
  ps->queue_cond.notify_all ();
  if (active)
    return gst_pad_start_task (pad, src_loop, ps.get (), nullptr);
  return gst_pad_stop_task (pad);
}

void data_router::setup_recv_pad (GstPad *pad)
{
  gst_pad_set_activatemode_function (pad, src_activate_mode);
  gst_pad_set_query_function (pad, src_query);
}

/* Queues @buf (or EOS when nullptr) for @ps's task; a full queue drops. */
static void enqueue (GstElement *element, PadState &ps, GstBuffer *buf)
{
  guint limit = data_pad_max_queued (ps.pad);
  bool dropped = false, warn = false;
  {
    std::lock_guard<std::mutex> g (ps.queue_lock);
    if (ps.queue_flushing) {
      dropped = buf != nullptr;
    } else if (buf && ps.queued_bytes + gst_buffer_get_size (buf) > limit && !ps.queue.empty ()) {
      dropped = true;
      warn = !ps.warned_full;
      ps.warned_full = true;
    } else {
      ps.queue.push_back (buf);
      if (buf)
        ps.queued_bytes += gst_buffer_get_size (buf);
      buf = nullptr;
    }
  }
  ps.queue_cond.notify_one ();
  if (dropped) {
    data_pad_count (ps.pad, 0, 0, 1);
    gst_buffer_unref (buf);
  }
  if (warn)
    GST_ELEMENT_WARNING (
        element, RESOURCE, WRITE,
        ("Messages for %s dropped: downstream does not keep up", GST_PAD_NAME (ps.pad)),
        ("more than max-queued-bytes (%u) waiting; later drops are counted in "
         "messages-dropped",
         limit));
}

static void push_to_pad (DataRouter::Core *core, PadState &ps, const std::string &session,
                         const gchar *text, GBytes *bytes)
{
  GstBuffer *buf;
  bool newline = data_pad_newline (ps.pad);
  if (text) {
    gsize len = strlen (text);
    buf = gst_buffer_new_allocate (nullptr, len + (newline ? 1 : 0), nullptr);
    gst_buffer_fill (buf, 0, text, len);
    if (newline)
      gst_buffer_memset (buf, len, '\n', 1);
  } else if (!newline) {
    buf = bytes ? gst_buffer_new_wrapped_bytes (bytes) : gst_buffer_new ();
  } else {
    gsize len = 0;
    const void *data = bytes ? g_bytes_get_data (bytes, &len) : nullptr;
    buf = gst_buffer_new_allocate (nullptr, len + 1, nullptr);
    if (len)
      gst_buffer_fill (buf, 0, data, len);
    gst_buffer_memset (buf, len, '\n', 1);
  }
  gst_rtc_buffer_add_data_meta (buf, session.c_str (), ps.label.c_str (), text == nullptr);
  GST_BUFFER_PTS (buf) = running_time (core->element);
  enqueue (core->element, ps, buf);
}

/* To the application: the signals, then the src pad @ps (if any). */
static void to_pipeline (DataRouter::Core *core, const std::shared_ptr<PadState> &ps,
                         const std::string &session, const std::string &label, const gchar *text,
                         GBytes *bytes)
{
  if (text)
    g_signal_emit (core->element, core->signals[SIG_STRING], 0, session.c_str (), label.c_str (),
                   text);
  else
    g_signal_emit (core->element, core->signals[SIG_DATA], 0, session.c_str (), label.c_str (),
                   bytes);
  if (ps) {
    data_pad_count (ps->pad, 0, 1, 0);
    push_to_pad (core, *ps, session, text, bytes);
  }
}

static void deliver (const ChanPtr &c, const gchar *text, GBytes *bytes)
{
  c->last_received = g_get_monotonic_time ();
  auto core = c->core.lock ();
  if (!core)
    return;
  DataRouter::Handler handler;
  std::shared_ptr<PadState> ps;
  std::shared_ptr<const DataRouter::Relay> relay;
  {
    std::lock_guard<std::mutex> g (core->lock);
    if (c->gone)
      return;
    for (auto &i : core->internal)
      if (i.first.label == c->label)
        handler = i.second;
    if (!handler) {
      ps = core->pad_for (c->label, false);
      relay = core->relay;
    }
  }
  if (handler) {
    handler (*core->router, c->session, text, bytes);
    return;
  }
  if (auto r = relay_taking (relay, c->label)) {
    r->received (c->session, c->label, text, bytes);
    return;
  }
  to_pipeline (core.get (), ps, c->session, c->label, text, bytes);
}

gint64 DataRouter::last_received_us (const std::string &session)
{
  std::lock_guard<std::mutex> g (core_->lock);
  auto it = core_->sessions.find (session);
  gint64 last = 0;
  if (it != core_->sessions.end ())
    for (auto &c : it->second->channels)
      last = std::max<gint64> (last, c->last_received);
  return last;
}

void DataRouter::deliver_local (const std::string &from, const std::string &label,
                                const gchar *text, GBytes *bytes)
{
  std::shared_ptr<PadState> ps;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    ps = core_->pad_for (label, false);
  }
  to_pipeline (core_.get (), ps, from, label, text, bytes);
}

void data_router::on_string (GstWebRTCDataChannel *, const gchar *text, gpointer data)
{
  deliver (chan_of (data), text ? text : "", nullptr);
}

void data_router::on_data (GstWebRTCDataChannel *, GBytes *bytes, gpointer data)
{
  if (bytes) {
    deliver (chan_of (data), nullptr, bytes);
    return;
  }
  GBytes *empty = g_bytes_new (nullptr, 0);
  deliver (chan_of (data), nullptr, empty);
  g_bytes_unref (empty);
}

void DataRouter::push_eos ()
{
  std::vector<std::shared_ptr<PadState>> pads;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    pads = core_->pads;
  }
  for (auto &p : pads)
    if (!p->sink)
      enqueue (core_->element, *p, nullptr);
}

} // namespace rtc

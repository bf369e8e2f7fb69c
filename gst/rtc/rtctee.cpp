/* See rtctee.h. */
#include "rtctee.h"

#include "rtcptr.h"

namespace rtc {

namespace {

/* How long a caller waits for the tee to be between two pushes. */
constexpr gint64 WAIT_US = 1000000;
constexpr gulong POLL_US = 500;

/* The limits a leaky queue has once its first buffer is out. */
struct Limits {
  GstClockTime max_time;
  guint max_buffers;
};

/* Until then it holds at most this many buffers (and drops new ones). */
constexpr guint START_BUFFERS = 500;

GstPadProbeReturn leak_old_from_now (GstPad *pad, GstPadProbeInfo *, gpointer data)
{
  auto limits = static_cast<const Limits *> (data);
  if (GstObject *queue = gst_pad_get_parent (pad)) {
    g_object_set (queue, "leaky", 2, "max-size-buffers", limits->max_buffers, "max-size-time",
                  (guint64)limits->max_time, nullptr);
    gst_object_unref (queue);
  }
  return GST_PAD_PROBE_REMOVE;
}

} // namespace

void set_leaky (GstElement *queue, GstClockTime max_time, guint max_buffers)
{
  /* No time limit yet: from the moment the task took the segment until it
   * takes the first buffer, GstQueue measures its level from the segment's
   * start, so a stream that began long ago looks "full" at once, and a
   * keyframe arriving then would be dropped (a forwarded room track whose
   * subscriber never got its first frame, room_aiortc). */
  g_object_set (queue, "leaky", 1, "max-size-buffers", max_buffers ? max_buffers : START_BUFFERS,
                "max-size-bytes", 0, "max-size-time", (guint64)0, nullptr);
  ObjectPtr<GstPad> src (gst_element_get_static_pad (queue, "src"));
  gst_pad_add_probe (src.get (),
                     GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     leak_old_from_now, new Limits{max_time, max_buffers},
                     [] (gpointer data) { delete static_cast<Limits *> (data); });
}

GstPad *link_tee_branch (GstElement *tee, GstPad *sink, bool *linked)
{
  ObjectPtr<GstPad> tee_sink (gst_element_get_static_pad (tee, "sink"));
  /* Every buffer and serialized event (stream-start, caps, segment) is
   * handled with the sink pad's stream lock held: holding it, the tee is
   * between two of them. Polled, not waited for: a push blocked downstream
   * must not hold the caller (a room's control thread) for good. */
  bool locked = false;
  if (tee_sink) {
    gint64 until = g_get_monotonic_time () + WAIT_US;
    while (!(locked = GST_PAD_STREAM_TRYLOCK (tee_sink.get ())) && g_get_monotonic_time () < until)
      g_usleep (POLL_US);
    if (!locked)
      GST_DEBUG_OBJECT (tee, "input busy for a second: branching while data may flow");
  }
  GstPad *pad = gst_element_request_pad_simple (tee, "src_%u");
  bool ok = pad && gst_pad_link (pad, sink) == GST_PAD_LINK_OK;
  if (locked)
    GST_PAD_STREAM_UNLOCK (tee_sink.get ());
  if (linked)
    *linked = ok;
  return pad;
}

static gboolean own_list_buffer (GstBuffer **buf, guint, gpointer)
{
  *buf = gst_buffer_make_writable (*buf);
  return TRUE;
}

static GstPadProbeReturn take_own_copy (GstPad *, GstPadProbeInfo *info, gpointer)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GST_PAD_PROBE_INFO_DATA (info) = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = gst_buffer_list_make_writable (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
    gst_buffer_list_foreach (list, own_list_buffer, nullptr);
    GST_PAD_PROBE_INFO_DATA (info) = list;
  }
  return GST_PAD_PROBE_OK;
}

GstElement *own_buffers (GstElement *element)
{
  GstPad *sink = element ? gst_element_get_static_pad (element, "sink") : nullptr;
  if (!sink)
    return element;
  gst_pad_add_probe (sink,
                     GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     take_own_copy, nullptr, nullptr);
  gst_object_unref (sink);
  return element;
}

} // namespace rtc

/* See rtcteardown.h. */
#include "rtcteardown.h"

#include <condition_variable>
#include <mutex>

namespace rtc {

namespace {

std::mutex pending_lock;
std::condition_variable pending_done;
int pending = 0;

struct Job {
  std::vector<GstElement *> elements;
};

/* @webrtcbin's direct children made by the factories @names. */
std::vector<GstElement *> children_of (GstElement *webrtcbin,
                                       std::initializer_list<const char *> names)
{
  std::vector<GstElement *> found;
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (webrtcbin));
  GValue item = G_VALUE_INIT;
  for (bool more = true; more;) {
    switch (gst_iterator_next (it, &item)) {
    case GST_ITERATOR_OK: {
      auto e = GST_ELEMENT (g_value_get_object (&item));
      GstElementFactory *f = gst_element_get_factory (e);
      for (const char *name : names)
        if (f && g_str_equal (GST_OBJECT_NAME (f), name))
          found.push_back (GST_ELEMENT (gst_object_ref (e)));
      g_value_reset (&item);
      break;
    }
    case GST_ITERATOR_RESYNC:
      for (GstElement *e : found)
        gst_object_unref (e);
      found.clear ();
      gst_iterator_resync (it);
      break;
    default:
      more = false;
      break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

bool is_webrtcbin (GstElement *e)
{
  GstElementFactory *f = gst_element_get_factory (e);
  return f && g_str_equal (GST_OBJECT_NAME (f), "webrtcbin");
}

/* Sets a webrtcbin to NULL around a GStreamer 1.22 race. A data channel
 * closing on webrtcbin's task thread releases its sctpenc pad, which
 * resets the stream on the SCTP association (usrsctp's socket) without a
 * lock; meanwhile webrtcbin's own PAUSED->READY, on this thread, takes
 * sctpenc and sctpdec down, and either one's cleanup force-closes that
 * shared association, freeing the socket: a use-after-free (CI: segfaults
 * in the pc thread, in usrsctp's socket lock). That thread only stops at
 * webrtcbin's READY->NULL, so both are kept out of webrtcbin's state
 * change (sctpenc's sink pads flushed, as its own state change would)
 * and stopped after it. */
void stop_webrtcbin (GstElement *webrtcbin)
{
  std::vector<GstElement *> sctp = children_of (webrtcbin, {"sctpenc", "sctpdec"});
  std::vector<bool> was_locked;
  for (GstElement *e : sctp) {
    was_locked.push_back (gst_element_is_locked_state (e));
    gst_element_set_locked_state (e, TRUE);
    /* What sctpenc's own PAUSED->READY would have done first: its sink
     * pads flush, so that a data channel's appsrc blocked in sctpenc's
     * chain (waiting for a peer that is gone to take more) returns, and
     * webrtcbin can stop that appsrc (CI: webrtcdata hung here). */
    if (!g_str_equal (GST_OBJECT_NAME (gst_element_get_factory (e)), "sctpenc"))
      continue;
    GstIterator *it = gst_element_iterate_sink_pads (e);
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
      gst_pad_send_event (GST_PAD (g_value_get_object (&item)), gst_event_new_flush_start ());
      g_value_reset (&item);
    }
    g_value_unset (&item);
    gst_iterator_free (it);
  }
  gst_element_set_state (webrtcbin, GST_STATE_NULL);
  for (size_t i = 0; i < sctp.size (); i++) {
    gst_element_set_state (sctp[i], GST_STATE_NULL);
    gst_element_set_locked_state (sctp[i], was_locked[i]);
    gst_object_unref (sctp[i]);
  }
}

void run_job (gpointer data, gpointer)
{
  auto job = static_cast<Job *> (data);
  /* Downstream first (callers list a chain in flow order): a sink blocked
   * prerolling holds its upstream's streaming thread, which stopping the
   * upstream element first would wait for. */
  for (auto it = job->elements.rbegin (); it != job->elements.rend (); ++it) {
    if (is_webrtcbin (*it))
      stop_webrtcbin (*it);
    else
      gst_element_set_state (*it, GST_STATE_NULL);
    gst_object_unref (*it);
  }
  delete job;
  std::lock_guard<std::mutex> g (pending_lock);
  pending--;
  pending_done.notify_all ();
}

GThreadPool *pool ()
{
  static GThreadPool *p = nullptr;
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    /* Shared threads: idle ones go back to GLib's pool. No limit: a job
     * may wait for one queued behind it (a payloader blocked until its
     * webrtcbin, disposed separately, flushes). */
    p = g_thread_pool_new (run_job, nullptr, -1, FALSE, nullptr);
    g_once_init_leave (&once, 1);
  }
  return p;
}

} // namespace

void dispose_elements (GstBin *bin, const std::vector<GstElement *> &elements)
{
  auto job = new Job;
  for (GstElement *e : elements) {
    if (!e)
      continue;
    gst_object_ref (e);
    gst_element_set_locked_state (e, TRUE);
    if (GST_OBJECT_PARENT (e) == GST_OBJECT (bin))
      gst_bin_remove (bin, e); /* unlinks its pads */
    job->elements.push_back (e);
  }
  {
    std::lock_guard<std::mutex> g (pending_lock);
    pending++;
  }
  g_thread_pool_push (pool (), job, nullptr);
}

void wait_disposals ()
{
  std::unique_lock<std::mutex> l (pending_lock);
  pending_done.wait (l, [] { return pending == 0; });
}

} // namespace rtc

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

void run_job (gpointer data, gpointer)
{
  auto job = static_cast<Job *> (data);
  /* Downstream first (callers list a chain in flow order): a sink blocked
   * prerolling holds its upstream's streaming thread, which stopping the
   * upstream element first would wait for. */
  for (auto it = job->elements.rbegin (); it != job->elements.rend (); ++it) {
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

/* See rtctee.h. */
#include "rtctee.h"

#include "rtcptr.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace rtc {

namespace {

/* How long a caller waits for the tee's input to become idle. */
constexpr std::chrono::milliseconds IDLE_WAIT (1000);

struct Branch {
  enum State { WAITING, RUNNING, DONE, ABANDONED };
  GstElement *tee;
  GstPad *sink;
  std::mutex lock;
  std::condition_variable done;
  State state = WAITING; /* under lock */
  GstPad *pad = nullptr;
  bool linked = false;

  /* Not under lock: one caller at a time by the state. */
  void make ()
  {
    pad = gst_element_request_pad_simple (tee, "src_%u");
    linked = pad && gst_pad_link (pad, sink) == GST_PAD_LINK_OK;
  }
};

using BranchRef = std::shared_ptr<Branch>;

GstPadProbeReturn on_idle (GstPad *, GstPadProbeInfo *, gpointer data)
{
  Branch &b = **static_cast<BranchRef *> (data);
  {
    std::lock_guard<std::mutex> g (b.lock);
    /* A second call while (or just after) the first runs: the first call
     * removes the probe (two removals would free it twice); abandoned: the
     * caller removes it. */
    if (b.state != Branch::WAITING)
      return GST_PAD_PROBE_OK;
    b.state = Branch::RUNNING;
  }
  b.make ();
  std::lock_guard<std::mutex> g (b.lock);
  b.state = Branch::DONE;
  b.done.notify_all ();
  return GST_PAD_PROBE_REMOVE;
}

} // namespace

GstPad *link_tee_branch (GstElement *tee, GstPad *sink, bool *linked)
{
  auto b = std::make_shared<Branch> ();
  b->tee = tee;
  b->sink = sink;
  ObjectPtr<GstPad> tee_sink (gst_element_get_static_pad (tee, "sink"));
  ObjectPtr<GstPad> feed (tee_sink ? gst_pad_get_peer (tee_sink.get ()) : nullptr);
  GstPad *probed = feed ? feed.get () : tee_sink.get ();
  gulong id = 0;
  if (probed)
    id = gst_pad_add_probe (probed, GST_PAD_PROBE_TYPE_IDLE, on_idle, new BranchRef (b),
                            [] (gpointer d) { delete static_cast<BranchRef *> (d); });
  bool self_made = !probed;
  {
    std::unique_lock<std::mutex> l (b->lock);
    if (probed && !b->done.wait_for (l, IDLE_WAIT, [&b] { return b->state == Branch::DONE; }) &&
        b->state == Branch::WAITING) {
      b->state = Branch::ABANDONED;
      self_made = true;
    }
    if (!self_made)
      b->done.wait (l, [&b] { return b->state == Branch::DONE; });
  }
  if (self_made) {
    if (probed && id)
      gst_pad_remove_probe (probed, id);
    GST_DEBUG_OBJECT (tee, "input not idle: branching while data may flow");
    b->make ();
  }
  if (linked)
    *linked = b->linked;
  return b->pad;
}

} // namespace rtc

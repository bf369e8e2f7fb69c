/* The shared pacer: see rtcpacer.h. */
#include "rtcpacer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (rtc_pacer_debug);
#define GST_CAT_DEFAULT rtc_pacer_debug

namespace rtc {

namespace {

gint64 now_us ()
{
  static GstClock *clock = gst_system_clock_obtain ();
  return (gint64)(gst_clock_get_time (clock) / 1000);
}

struct Item {
  GstMiniObject *obj; /* a buffer, buffer list or serialized event */
  gsize bytes;
};

void unref_items (std::vector<Item> &items)
{
  for (auto &i : items)
    gst_mini_object_unref (i.obj);
  items.clear ();
}

/* A worker wakes at least this often while a flow waits for budget, so a
 * rate raised meanwhile takes effect. */
constexpr gint64 MAX_WAIT_US = 10000;
constexpr guint MAX_WORKERS = 4;

} // namespace

struct PacedFlow::State {
  std::deque<Item> queue;
  gsize queued_bytes = 0;
  double rate = 312500; /* bytes/s: 2.5 x 1 Mbit/s until told */
  bool pacing = true;
  bool ready = true;
  bool flushing = true;
  GstFlowReturn last_flow = GST_FLOW_OK;
  double budget = 0; /* bytes that may leave now */
  gint64 last_refill_us = -1;
  /* Raised on every flush: a batch taken before it is not pushed after. */
  guint epoch = 0;

  void drop ()
  {
    for (auto &i : queue)
      gst_mini_object_unref (i.obj);
    queue.clear ();
    queued_bytes = 0;
  }

  /* Moves what may leave at @now into @out; returns how long until the
   * next packet may, 0 when the queue is empty. */
  gint64 take (gint64 now, std::vector<Item> &out)
  {
    double r = std::max (rate, queued_bytes * 1e6 / MAX_QUEUE_US);
    if (pacing) {
      if (last_refill_us >= 0)
        budget += (now - last_refill_us) * r / 1e6;
      budget = std::min (budget, std::max (r * BURST_US / 1e6, 1500.0));
    }
    last_refill_us = now;
    while (!queue.empty ()) {
      Item i = queue.front ();
      if (pacing && i.bytes && budget < 0)
        return (gint64)(-budget * 1e6 / r) + 1;
      if (pacing)
        budget -= i.bytes;
      queue.pop_front ();
      queued_bytes -= i.bytes;
      out.push_back (i);
    }
    return 0;
  }
};

class PacerWorker {
public:
  std::mutex lock; /* guards flows, sleeping and every flow's State */
  std::condition_variable cond;
  std::vector<PacedFlow *> flows;
  bool sleeping = false;

  static PacerWorker *assign ()
  {
    static std::mutex registry_lock;
    static std::vector<PacerWorker *> workers; /* live for the process */
    std::lock_guard<std::mutex> g (registry_lock);
    PacerWorker *best = nullptr;
    size_t best_flows = 0;
    for (PacerWorker *w : workers) {
      std::lock_guard<std::mutex> wg (w->lock);
      if (!best || w->flows.size () < best_flows) {
        best = w;
        best_flows = w->flows.size ();
      }
    }
    guint max = std::min (MAX_WORKERS, std::max (1u, (guint)g_get_num_processors ()));
    if (!best || (best_flows > 0 && workers.size () < max)) {
      if (!workers.size ())
        GST_DEBUG_CATEGORY_INIT (rtc_pacer_debug, "rtcpacer", 0, "shared packet pacer");
      best = new PacerWorker ();
      workers.push_back (best);
      g_thread_unref (g_thread_new ("rtcpacer", run, best));
    }
    return best;
  }

private:
  struct Batch {
    std::shared_ptr<PacedFlow> flow;
    GstPad *pad; /* a reference */
    guint epoch;
    std::vector<Item> items;
    GstFlowReturn ret;
  };

  static gpointer run (gpointer data)
  {
    static_cast<PacerWorker *> (data)->loop ();
    return nullptr;
  }

  /* Pushes consecutive buffers as one list. */
  static GstFlowReturn send (Batch &b, const PacedFlow &flow)
  {
    GST_PAD_STREAM_LOCK (b.pad);
    GstFlowReturn ret = GST_FLOW_OK;
    GstBufferList *list = nullptr;
    auto push_list = [&] () {
      if (!list)
        return;
      if (ret == GST_FLOW_OK && gst_buffer_list_length (list) == 1)
        ret = gst_pad_push (b.pad, gst_buffer_ref (gst_buffer_list_get (list, 0)));
      else if (ret == GST_FLOW_OK)
        ret = gst_pad_push_list (b.pad, gst_buffer_list_ref (list));
      gst_buffer_list_unref (list);
      list = nullptr;
    };
    bool current;
    {
      std::lock_guard<std::mutex> g (flow.worker_->lock);
      current = flow.state_->epoch == b.epoch && !flow.state_->flushing;
    }
    for (auto &i : b.items) {
      if (!current || ret != GST_FLOW_OK) {
        gst_mini_object_unref (i.obj);
      } else if (GST_IS_BUFFER (i.obj)) {
        if (!list)
          list = gst_buffer_list_new_sized (b.items.size ());
        gst_buffer_list_add (list, GST_BUFFER (i.obj));
      } else {
        push_list ();
        if (ret != GST_FLOW_OK)
          gst_mini_object_unref (i.obj);
        else if (GST_IS_BUFFER_LIST (i.obj))
          ret = gst_pad_push_list (b.pad, GST_BUFFER_LIST (i.obj));
        else
          gst_pad_push_event (b.pad, GST_EVENT (i.obj));
      }
    }
    push_list ();
    b.items.clear ();
    GST_PAD_STREAM_UNLOCK (b.pad);
    return ret;
  }

  void loop ()
  {
    std::vector<Batch> batches;
    std::unique_lock<std::mutex> lk (lock);
    for (;;) {
      gint64 now = now_us (), wake = G_MAXINT64;
      for (PacedFlow *f : flows) {
        PacedFlow::State &s = *f->state_;
        if (s.flushing || !s.ready || s.queue.empty ())
          continue;
        std::vector<Item> items;
        gint64 wait = s.take (now, items);
        if (wait > 0)
          wake = std::min (wake, now + std::min (wait, MAX_WAIT_US));
        if (items.empty ())
          continue;
        auto ref = f->weak_from_this ().lock ();
        if (!ref) {
          unref_items (items);
          continue;
        }
        batches.push_back ({std::move (ref), GST_PAD (gst_object_ref (f->pad_)), s.epoch,
                            std::move (items), GST_FLOW_OK});
      }
      if (!batches.empty ()) {
        lk.unlock ();
        for (auto &b : batches)
          b.ret = send (b, *b.flow);
        lk.lock ();
        for (auto &b : batches)
          if (b.ret != GST_FLOW_OK && b.epoch == b.flow->state_->epoch)
            b.flow->state_->last_flow = b.ret;
        lk.unlock ();
        /* Without the lock: the last reference to a flow removes it. */
        for (auto &b : batches)
          gst_object_unref (b.pad);
        batches.clear ();
        lk.lock ();
        continue;
      }
      sleeping = true;
      if (wake == G_MAXINT64)
        cond.wait (lk);
      else
        cond.wait_for (lk, std::chrono::microseconds (wake - now));
      sleeping = false;
    }
  }
};

/* ---- PacedFlow ------------------------------------------------------- */

PacedFlow::PacedFlow (GstPad *pad) : pad_ (pad), worker_ (nullptr), state_ (new State ()) {}

std::shared_ptr<PacedFlow> PacedFlow::create (GstPad *pad)
{
  std::shared_ptr<PacedFlow> flow (new PacedFlow (pad));
  flow->worker_ = PacerWorker::assign ();
  std::lock_guard<std::mutex> g (flow->worker_->lock);
  flow->worker_->flows.push_back (flow.get ());
  return flow;
}

PacedFlow::~PacedFlow ()
{
  std::lock_guard<std::mutex> g (worker_->lock);
  auto &flows = worker_->flows;
  flows.erase (std::remove (flows.begin (), flows.end (), this), flows.end ());
  state_->drop ();
}

GstFlowReturn PacedFlow::push (GstMiniObject *obj, gsize bytes)
{
  std::lock_guard<std::mutex> g (worker_->lock);
  State &s = *state_;
  if (s.flushing) {
    gst_mini_object_unref (obj);
    return GST_FLOW_FLUSHING;
  }
  if (s.last_flow != GST_FLOW_OK && s.last_flow != GST_FLOW_NOT_LINKED) {
    gst_mini_object_unref (obj);
    return s.last_flow;
  }
  bool was_empty = s.queue.empty ();
  s.queue.push_back ({obj, bytes});
  s.queued_bytes += bytes;
  while (s.queued_bytes > MAX_HELD_BYTES) {
    auto it =
        std::find_if (s.queue.begin (), s.queue.end (), [] (const Item &i) { return i.bytes > 0; });
    GST_LOG_OBJECT (pad_, "%s: dropping the oldest packet (%" G_GSIZE_FORMAT " bytes held)",
                    s.ready ? "queue full" : "not ready", s.queued_bytes);
    s.queued_bytes -= it->bytes;
    gst_mini_object_unref (it->obj);
    s.queue.erase (it);
  }
  if (was_empty && s.ready && worker_->sleeping)
    worker_->cond.notify_one ();
  return GST_FLOW_OK;
}

void PacedFlow::set_rate (double bytes_per_second)
{
  std::lock_guard<std::mutex> g (worker_->lock);
  state_->rate = std::max (bytes_per_second, 1.0);
}

void PacedFlow::set_pacing (bool pacing)
{
  std::lock_guard<std::mutex> g (worker_->lock);
  state_->pacing = pacing;
  worker_->cond.notify_one ();
}

void PacedFlow::set_ready (bool ready)
{
  std::lock_guard<std::mutex> g (worker_->lock);
  if (state_->ready != ready)
    GST_DEBUG ("flow %p: %s (%" G_GSIZE_FORMAT " bytes waiting)", (void *)this,
               ready ? "ready" : "holding packets", state_->queued_bytes);
  state_->ready = ready;
  if (ready)
    worker_->cond.notify_one ();
}

bool PacedFlow::ready () const
{
  std::lock_guard<std::mutex> g (worker_->lock);
  return state_->ready;
}

void PacedFlow::set_flushing (bool flushing)
{
  std::lock_guard<std::mutex> g (worker_->lock);
  State &s = *state_;
  s.flushing = flushing;
  s.last_flow = GST_FLOW_OK;
  if (flushing) {
    s.epoch++;
    s.drop ();
  } else {
    s.budget = 0;
    s.last_refill_us = -1;
  }
}

gsize PacedFlow::queued_bytes () const
{
  std::lock_guard<std::mutex> g (worker_->lock);
  return state_->queued_bytes;
}

} // namespace rtc

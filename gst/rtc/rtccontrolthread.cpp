/* See rtccontrolthread.h. */
#include "rtccontrolthread.h"

#include <condition_variable>

namespace rtc {

namespace {

struct Task {
  std::function<void ()> fn;
};

gboolean run_once (gpointer data)
{
  static_cast<Task *> (data)->fn ();
  return G_SOURCE_REMOVE;
}

void free_task (gpointer data)
{
  delete static_cast<Task *> (data);
}

struct Repeating {
  std::function<bool ()> fn;
};

gboolean run_repeating (gpointer data)
{
  return static_cast<Repeating *> (data)->fn () ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void free_repeating (gpointer data)
{
  delete static_cast<Repeating *> (data);
}

} // namespace

void ControlThread::start (const char *name)
{
  std::lock_guard<std::mutex> g (lock_);
  if (thread_)
    return;
  ctx_ = g_main_context_new ();
  loop_ = g_main_loop_new (ctx_, FALSE);
  thread_ = g_thread_new (name, thread_main, this);
}

gpointer ControlThread::thread_main (gpointer data)
{
  auto self = static_cast<ControlThread *> (data);
  GMainContext *ctx;
  GMainLoop *loop;
  {
    std::lock_guard<std::mutex> g (self->lock_);
    ctx = self->ctx_;
    loop = self->loop_;
  }
  g_main_context_push_thread_default (ctx);
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (ctx);
  return nullptr;
}

void ControlThread::stop ()
{
  GThread *thread;
  GMainLoop *loop;
  {
    std::lock_guard<std::mutex> g (lock_);
    thread = thread_;
    loop = loop_;
  }
  if (!thread)
    return;
  g_main_loop_quit (loop);
  g_thread_join (thread);
  GMainContext *ctx;
  {
    std::lock_guard<std::mutex> g (lock_);
    thread_ = nullptr;
    loop_ = nullptr;
    ctx = ctx_;
    ctx_ = nullptr;
  }
  g_main_loop_unref (loop);
  /* The last reference: destroys the sources still attached (timers,
   * tasks posted too late), which frees their functions. */
  g_main_context_unref (ctx);
}

bool ControlThread::running ()
{
  std::lock_guard<std::mutex> g (lock_);
  return thread_ != nullptr;
}

GMainContext *ControlThread::ref_context ()
{
  std::lock_guard<std::mutex> g (lock_);
  return ctx_ ? g_main_context_ref (ctx_) : nullptr;
}

void ControlThread::post (std::function<void ()> fn)
{
  std::lock_guard<std::mutex> g (lock_);
  if (!ctx_)
    return;
  /* Always queued, also from the thread itself: tasks run in post order. */
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, run_once, new Task{std::move (fn)}, free_task);
  g_source_attach (source, ctx_);
  g_source_unref (source);
}

void ControlThread::post_sync (std::function<void ()> fn)
{
  GMainContext *ctx = ref_context ();
  if (!ctx || g_main_context_is_owner (ctx)) {
    fn ();
    if (ctx)
      g_main_context_unref (ctx);
    return;
  }
  std::mutex m;
  std::condition_variable c;
  bool done = false;
  g_main_context_invoke_full (ctx, G_PRIORITY_DEFAULT, run_once, new Task{[&] () {
                                fn ();
                                std::lock_guard<std::mutex> g (m);
                                done = true;
                                c.notify_one ();
                              }},
                              free_task);
  std::unique_lock<std::mutex> l (m);
  c.wait (l, [&] { return done; });
  g_main_context_unref (ctx);
}

void ControlThread::every (guint interval_ms, std::function<bool ()> fn)
{
  std::lock_guard<std::mutex> g (lock_);
  if (!ctx_)
    return;
  GSource *source = g_timeout_source_new (interval_ms);
  g_source_set_callback (source, run_repeating, new Repeating{std::move (fn)}, free_repeating);
  g_source_attach (source, ctx_);
  g_source_unref (source);
}

void ControlThread::after (guint delay_ms, std::function<void ()> fn)
{
  std::lock_guard<std::mutex> g (lock_);
  if (!ctx_)
    return;
  GSource *source = g_timeout_source_new (delay_ms);
  g_source_set_callback (source, run_once, new Task{std::move (fn)}, free_task);
  g_source_attach (source, ctx_);
  g_source_unref (source);
}

} // namespace rtc

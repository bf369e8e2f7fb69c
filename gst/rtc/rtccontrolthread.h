/* RtcControlThread: the thread on which an element runs its sessions.
 *
 * Every element keeps its WebRTC sessions on one thread of its own (a
 * GMainContext + loop): webrtcbin callbacks, signaller events and timers are
 * posted there, so the session state needs no locking of its own and no
 * callback ever blocks a streaming or server thread.
 *
 * Threading: post() and post_sync() may be called from any thread; start()
 * and stop() from the application thread (state changes).
 */
#pragma once

#include <glib.h>
#include <functional>
#include <mutex>

namespace rtc {

class ControlThread {
public:
  ControlThread () = default;
  ~ControlThread () { stop (); }
  ControlThread (const ControlThread &) = delete;
  ControlThread &operator= (const ControlThread &) = delete;

  /* Starts the thread (named @name, at most 15 characters show). */
  void start (const char *name);
  /* Runs what is already queued, then joins the thread. */
  void stop ();
  bool running ();

  /* Runs @fn on the thread, later (also when called on the thread), after
   * what was posted before; dropped when not running. */
  void post (std::function<void ()> fn);
  /* Runs @fn on the thread and waits; runs it at once when called on the
   * thread itself or when the thread is not running. */
  void post_sync (std::function<void ()> fn);
  /* Calls @fn on the thread every @interval_ms until stop() or until it
   * returns false. */
  void every (guint interval_ms, std::function<bool ()> fn);
  /* Calls @fn once on the thread after @delay_ms (dropped by stop()). */
  void after (guint delay_ms, std::function<void ()> fn);
  /* The thread's context (nullptr when not running); a new reference. */
  GMainContext *ref_context ();
  /* The thread's context, borrowed: for code running on the thread. */
  GMainContext *context ()
  {
    std::lock_guard<std::mutex> g (lock_);
    return ctx_;
  }

private:
  static gpointer thread_main (gpointer data);

  std::mutex lock_; /* guards the members */
  GMainContext *ctx_ = nullptr;
  GMainLoop *loop_ = nullptr;
  GThread *thread_ = nullptr;
};

} // namespace rtc

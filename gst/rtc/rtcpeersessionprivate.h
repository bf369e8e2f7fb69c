/* What PeerSession's two sources share (rtcpeersession.cpp: the webrtcbin,
 * its lines, media and events; rtcpeerexchange.cpp: the offer/answer
 * exchange): the handle every webrtcbin callback holds, and the promise
 * helpers. Not for other users of PeerSession. */
#pragma once

#include <gst/gst.h>
#include <memory>
#include <mutex>
#include <string>

#include "rtcpeersession.h"

GstDebugCategory *rtc_peer_session_category ();
#define GST_CAT_DEFAULT rtc_peer_session_category ()

namespace rtc {

/* webrtcbin may call us back after the session is gone (a promise answered
 * during teardown, a signal emission already running on another thread).
 * Every callback gets a reference to this handle; the destructor clears
 * `session` under `lock`, so a callback either runs to completion first or
 * sees nullptr. */
struct SessionHandle {
  std::mutex lock;
  PeerSession *session;
};

namespace peer {

using HandlePtr = std::shared_ptr<SessionHandle>;

inline gpointer handle_ref (const HandlePtr &h)
{
  return new HandlePtr (h);
}
inline void handle_unref (gpointer p)
{
  delete static_cast<HandlePtr *> (p);
}
inline void handle_unref_closure (gpointer p, GClosure *)
{
  handle_unref (p);
}

/* The session behind a callback's handle, locked (nullptr: it is gone). */
struct Locked {
  std::unique_lock<std::mutex> guard;
  PeerSession *session;
};
inline Locked lock_handle (gpointer p)
{
  SessionHandle *h = static_cast<HandlePtr *> (p)->get ();
  Locked l{std::unique_lock<std::mutex> (h->lock), h->session};
  return l;
}

inline GstPromise *promise_for (PeerSession *s, GstPromiseChangeFunc func)
{
  return gst_promise_new_with_change_func (func, handle_ref (s->handle ()), handle_unref);
}

/* Why webrtcbin refused (its reply's "error"), "" when it did not. */
inline std::string promise_error (GstPromise *promise)
{
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return "interrupted";
  if (!reply)
    return {};
  GError *error = nullptr;
  if (gst_structure_get (reply, "error", G_TYPE_ERROR, &error, nullptr) && error) {
    std::string msg = error->message;
    g_error_free (error);
    return msg.empty () ? "failed" : msg;
  }
  return {};
}

} // namespace peer
} // namespace rtc

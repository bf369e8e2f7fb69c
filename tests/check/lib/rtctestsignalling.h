/* Test doubles for the signalling tests: a recorder of a GstRtcSignaller's
 * signals (what an element would see), an HTTP request on its own thread,
 * and a scriptable HTTP server (what a WHIP/WHEP server would do).
 *
 * Threading: the recorder and the server are filled on the signaller's and
 * the server's threads and read from the test thread, under their locks. */
#pragma once

#include <atomic>

#include <gst/check/gstcheck.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <libsoup/soup.h>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gst/rtcbridge/gstrtcsignaller.h>

#include "rtctesthttp.h"

/* fail_unless_equals_string keeps the pointers it is given past the
 * statement: no temporaries there. This one compares std::strings. */
#define assert_str(a, b)                                                                           \
  do {                                                                                             \
    std::string assert_a_ = (a), assert_b_ = (b);                                                  \
    fail_unless (assert_a_ == assert_b_, "%s is '%s', not '%s'", #a, assert_a_.c_str (),           \
                 assert_b_.c_str ());                                                              \
  } while (0)

const guint SIGNALLING_TIMEOUT_MS = 20000;

/* A description of @type from SDP @text (owned by the caller). */
/* An answer and a candidate as a WHIP/WHEP peer sends them. */
inline const char *ANSWER_SDP =
    "v=0\r\no=- 123456 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
    "a=ice-ufrag:srvU\r\na=ice-pwd:serverpasswordserverpass\r\n"
    "a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:"
    "CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n"
    "a=sendonly\r\na=rtpmap:96 VP8/90000\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
    "a=sendonly\r\na=rtpmap:111 OPUS/48000/2\r\n";
inline const char *CANDIDATE = "candidate:1 1 udp 2113937151 10.213.0.9 50000 typ host";
inline const std::string CANDIDATE_LINE = std::string ("a=") + CANDIDATE + "\r\n";

inline GstWebRTCSessionDescription *description (GstWebRTCSDPType type, const std::string &text)
{
  GstSDPMessage *sdp = nullptr;
  fail_unless (gst_sdp_message_new_from_text (text.c_str (), &sdp) == GST_SDP_OK);
  return gst_webrtc_session_description_new (type, sdp);
}

inline std::string sdp_text (const GstSDPMessage *sdp)
{
  g_autofree gchar *text = gst_sdp_message_as_text (sdp);
  return text;
}

/* @text as GstSDP writes it back (what a signaller sends for it). */
inline std::string sdp_normalized (const std::string &text)
{
  g_autoptr (GstSDPMessage) sdp = nullptr;
  fail_unless (gst_sdp_message_new_from_text (text.c_str (), &sdp) == GST_SDP_OK);
  return sdp_text (sdp);
}

/* What the element would see: every signal, recorded in order. */
struct Event {
  std::string name, id, text, detail; /* text: peer, state, candidate or message */
  std::string sdp;                    /* the description's SDP; empty without one */
  GstWebRTCSDPType type = GST_WEBRTC_SDP_TYPE_OFFER;
  guint mline = 0;
  gint64 at_us = 0;
};

/* Events (anything with a `name`) recorded on other threads, counted and
 * waited for on the test thread. */
template <typename E> class EventLog {
public:
  guint count (const std::string &name)
  {
    std::lock_guard<std::mutex> g (lock_);
    guint n = 0;
    for (auto &e : events_)
      n += e.name == name;
    return n;
  }
  /* Waits until @n events called @name were seen; returns the @n-th. */
  E wait (const std::string &name, guint n = 1, guint timeout_ms = SIGNALLING_TIMEOUT_MS)
  {
    std::unique_lock<std::mutex> l (lock_);
    E found;
    bool ok = cond_.wait_for (l, std::chrono::milliseconds (timeout_ms), [&] {
      guint k = 0;
      for (auto &e : events_)
        if (e.name == name && ++k == n) {
          found = e;
          return true;
        }
      return false;
    });
    fail_unless (ok, "no %s #%u within %u ms", name.c_str (), n, timeout_ms);
    return found;
  }

protected:
  void push (E e)
  {
    std::lock_guard<std::mutex> g (lock_);
    events_.push_back (std::move (e));
    cond_.notify_all ();
  }

  std::mutex lock_;
  std::condition_variable cond_;
  std::vector<E> events_;
};

class Recorder : public EventLog<Event> {
public:
  void attach (gpointer sig)
  {
    g_signal_connect (sig, "session-requested", G_CALLBACK (on_requested), this);
    g_signal_connect (sig, "session-description", G_CALLBACK (on_description), this);
    g_signal_connect (sig, "ice-candidate", G_CALLBACK (on_candidate), this);
    g_signal_connect (sig, "session-ended", G_CALLBACK (on_ended), this);
    g_signal_connect (sig, "state-changed", G_CALLBACK (on_state), this);
    g_signal_connect (sig, "error", G_CALLBACK (on_error), this);
  }
  void detach (gpointer sig) { g_signal_handlers_disconnect_by_data (sig, this); }
  /* Whether a state-changed @state with @detail_part in its detail was seen. */
  bool saw_state (const std::string &state, const std::string &detail_part = "")
  {
    std::lock_guard<std::mutex> g (lock_);
    for (auto &e : events_)
      if (e.name == "state-changed" && e.text == state &&
          e.detail.find (detail_part) != std::string::npos)
        return true;
    return false;
  }
  /* Called on the signalling thread for each session-requested, after it is recorded. */
  std::function<void (const Event &)> on_session_requested;

private:
  void add (Event e)
  {
    e.at_us = g_get_monotonic_time ();
    push (e);
    if (e.name == "session-requested" && on_session_requested)
      on_session_requested (e);
  }
  static void on_requested (GstRtcSignaller *, const gchar *id, const gchar *peer,
                            GstWebRTCSessionDescription *offer, Recorder *self)
  {
    Event e{"session-requested", id, peer ? peer : ""};
    if (offer) {
      e.sdp = sdp_text (offer->sdp);
      e.type = offer->type;
    }
    self->add (e);
  }
  static void on_description (GstRtcSignaller *, const gchar *id, GstWebRTCSessionDescription *d,
                              Recorder *self)
  {
    Event e{"session-description", id};
    e.sdp = sdp_text (d->sdp);
    e.type = d->type;
    self->add (e);
  }
  static void on_candidate (GstRtcSignaller *, const gchar *id, guint mline, const gchar *cand,
                            Recorder *self)
  {
    Event e{"ice-candidate", id, cand ? cand : ""};
    e.mline = mline;
    self->add (e);
  }
  static void on_ended (GstRtcSignaller *, const gchar *id, Recorder *self)
  {
    self->add (Event{"session-ended", id});
  }
  static void on_state (GstRtcSignaller *, const gchar *state, const gchar *detail, Recorder *self)
  {
    self->add (Event{"state-changed", "", state, detail ? detail : ""});
  }
  static void on_error (GstRtcSignaller *, const gchar *message, Recorder *self)
  {
    self->add (Event{"error", "", message});
  }
};

/* An HTTP request made on its own thread (a POST waits for the answer). */
class Async {
public:
  explicit Async (std::function<HttpReply ()> fn)
      : thread_ ([this, fn] {
          reply_ = fn ();
          done_ = true;
        })
  {}
  ~Async () { get (); }
  /* Whether the reply is in. */
  bool done () const { return done_; }
  HttpReply &get ()
  {
    if (thread_.joinable ())
      thread_.join ();
    return reply_;
  }

private:
  HttpReply reply_; /* before thread_: constructed before the thread starts */
  std::atomic<bool> done_{false};
  std::thread thread_;
};

/* A WHIP/WHEP server for the client: a SoupServer on its own thread that
 * records every request and answers what @script says. */
class FakeServer {
public:
  struct Request {
    std::string method, path, body, content_type, authorization, if_match;
  };
  struct Reply {
    guint status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool chunked = false; /* the body without a Content-Length */
  };

  FakeServer ()
  {
    context_ = g_main_context_new ();
    loop_ = g_main_loop_new (context_, FALSE);
    thread_ = std::thread ([this] { run (); });
    std::unique_lock<std::mutex> l (lock_);
    cond_.wait (l, [this] { return port_ != 0; });
  }
  ~FakeServer ()
  {
    hold (false);
    g_main_loop_quit (loop_);
    thread_.join ();
    g_main_loop_unref (loop_);
    g_main_context_unref (context_);
  }
  std::string base () { return "http://127.0.0.1:" + std::to_string (port_); }
  void set_script (std::function<Reply (const Request &, guint n)> script)
  {
    std::lock_guard<std::mutex> g (lock_);
    script_ = std::move (script);
  }
  /* While held, POSTs wait; releasing answers them. */
  void hold (bool on)
  {
    {
      std::lock_guard<std::mutex> g (lock_);
      hold_ = on;
    }
    if (!on)
      invoke ([this] {
        std::vector<std::pair<SoupServerMessage *, Request>> held;
        {
          std::lock_guard<std::mutex> g (lock_);
          held.swap (held_);
        }
        for (auto &h : held) {
          respond (h.first, h.second);
          soup_server_message_unpause (h.first);
          g_object_unref (h.first);
        }
      });
  }
  guint count (const std::string &method)
  {
    std::lock_guard<std::mutex> g (lock_);
    guint n = 0;
    for (auto &r : requests_)
      n += r.method == method;
    return n;
  }
  /* The @n-th request with @method (waits for it). */
  Request wait (const std::string &method, guint n = 1, guint timeout_ms = SIGNALLING_TIMEOUT_MS)
  {
    std::unique_lock<std::mutex> l (lock_);
    Request found;
    bool ok = cond_.wait_for (l, std::chrono::milliseconds (timeout_ms), [&] {
      guint k = 0;
      for (auto &r : requests_)
        if (r.method == method && ++k == n) {
          found = r;
          return true;
        }
      return false;
    });
    fail_unless (ok, "no %s #%u within %u ms", method.c_str (), n, timeout_ms);
    return found;
  }

private:
  void invoke (std::function<void ()> fn)
  {
    g_main_context_invoke_full (
        context_, G_PRIORITY_DEFAULT,
        [] (gpointer d) -> gboolean {
          (*static_cast<std::function<void ()> *> (d)) ();
          return G_SOURCE_REMOVE;
        },
        new std::function<void ()> (std::move (fn)),
        [] (gpointer d) { delete static_cast<std::function<void ()> *> (d); });
  }
  void run ()
  {
    g_main_context_push_thread_default (context_);
    SoupServer *server = soup_server_new (nullptr, nullptr);
    soup_server_add_handler (server, nullptr, on_request, this, nullptr);
    fail_unless (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, nullptr));
    GSList *uris = soup_server_get_uris (server);
    {
      std::lock_guard<std::mutex> g (lock_);
      port_ = g_uri_get_port (static_cast<GUri *> (uris->data));
      cond_.notify_all ();
    }
    g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
    g_main_loop_run (loop_);
    while (g_main_context_iteration (context_, FALSE)) /* the release of held POSTs */
      ;
    soup_server_disconnect (server);
    g_object_unref (server);
    while (g_main_context_iteration (context_, FALSE))
      ;
    g_main_context_pop_thread_default (context_);
  }
  void respond (SoupServerMessage *msg, const Request &req)
  {
    std::function<Reply (const Request &, guint)> script;
    guint n;
    {
      std::lock_guard<std::mutex> g (lock_);
      script = script_;
      n = 0;
      for (auto &r : requests_)
        n += r.method == req.method;
    }
    Reply reply = script ? script (req, n) : Reply ();
    soup_server_message_set_status (msg, reply.status, nullptr);
    for (auto &h : reply.headers)
      soup_message_headers_append (soup_server_message_get_response_headers (msg), h.first.c_str (),
                                   h.second.c_str ());
    if (!reply.body.empty () && reply.chunked) {
      SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
      soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
      soup_message_headers_set_content_type (h, "application/sdp", nullptr);
      SoupMessageBody *b = soup_server_message_get_response_body (msg);
      soup_message_body_append (b, SOUP_MEMORY_COPY, reply.body.data (), reply.body.size ());
      soup_message_body_complete (b);
    } else if (!reply.body.empty ()) {
      soup_server_message_set_response (msg, "application/sdp", SOUP_MEMORY_COPY,
                                        reply.body.data (), reply.body.size ());
    }
  }
  static void on_request (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                          gpointer data)
  {
    auto self = static_cast<FakeServer *> (data);
    SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
    SoupMessageBody *body = soup_server_message_get_request_body (msg);
    GBytes *bytes = soup_message_body_flatten (body);
    auto get = [h] (const char *name) {
      const char *v = soup_message_headers_get_one (h, name);
      return std::string (v ? v : "");
    };
    Request req{
        soup_server_message_get_method (msg),
        path,
        std::string ((const char *)g_bytes_get_data (bytes, nullptr), g_bytes_get_size (bytes)),
        get ("Content-Type"),
        get ("Authorization"),
        get ("If-Match")};
    g_bytes_unref (bytes);
    bool held;
    {
      std::lock_guard<std::mutex> g (self->lock_);
      self->requests_.push_back (req);
      self->cond_.notify_all ();
      held = self->hold_ && req.method == "POST";
      if (held)
        self->held_.emplace_back (SOUP_SERVER_MESSAGE (g_object_ref (msg)), req);
    }
    if (held)
      soup_server_message_pause (msg);
    else
      self->respond (msg, req);
  }

  std::mutex lock_;
  std::condition_variable cond_;
  guint port_ = 0;
  std::vector<Request> requests_;
  std::function<Reply (const Request &, guint)> script_;
  bool hold_ = false;
  std::vector<std::pair<SoupServerMessage *, Request>> held_;
  GMainContext *context_;
  GMainLoop *loop_;
  std::thread thread_;
};

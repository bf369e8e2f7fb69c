/* Room protocol clients for the tests (docs/room-protocol.md): libsoup 3
 * WebSocket clients on one loop thread of their own, as a browser's, that
 * record what the room sends; SDP builders with msid lines as the element
 * writes them; /proc counters.
 *
 * Threading: the clients live on their loop thread; the test thread waits
 * on what they recorded, under their locks. */
#pragma once

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rtctestsignalling.h"

/* ---- the participants' side ------------------------------------------- */

/* One thread and GMainContext for every client of a test. */
class ClientLoop {
public:
  ClientLoop ()
  {
    context_ = g_main_context_new ();
    loop_ = g_main_loop_new (context_, FALSE);
    thread_ = std::thread ([this] {
      g_main_context_push_thread_default (context_);
      g_main_loop_run (loop_);
      while (g_main_context_iteration (context_, FALSE))
        ;
      g_main_context_pop_thread_default (context_);
    });
  }
  ~ClientLoop ()
  {
    run ([this] { g_main_loop_quit (loop_); });
    thread_.join ();
    g_main_loop_unref (loop_);
    g_main_context_unref (context_);
  }
  /* Runs @fn on the loop thread and waits for it. */
  void run (std::function<void ()> fn)
  {
    if (g_main_context_is_owner (context_)) {
      fn ();
      return;
    }
    struct Call {
      std::function<void ()> fn;
      std::mutex m;
      std::condition_variable c;
      bool done = false;
    } call;
    call.fn = std::move (fn);
    g_main_context_invoke (
        context_,
        [] (gpointer data) -> gboolean {
          auto call = static_cast<Call *> (data);
          call->fn ();
          std::lock_guard<std::mutex> g (call->m);
          call->done = true;
          call->c.notify_all ();
          return G_SOURCE_REMOVE;
        },
        &call);
    std::unique_lock<std::mutex> l (call.m);
    call.c.wait (l, [&] { return call.done; });
  }

private:
  GMainContext *context_;
  GMainLoop *loop_;
  std::thread thread_;
};

/* A message the room sent, parsed. at ("a.b.0") walks objects and arrays. */
struct Msg {
  std::string text;
  std::shared_ptr<JsonNode> root;

  JsonNode *at (const std::string &path) const
  {
    JsonNode *node = root.get ();
    g_auto (GStrv) parts = g_strsplit (path.c_str (), ".", -1);
    for (guint i = 0; node && parts[i]; i++) {
      if (JSON_NODE_HOLDS_OBJECT (node)) {
        JsonObject *o = json_node_get_object (node);
        node =
            json_object_has_member (o, parts[i]) ? json_object_get_member (o, parts[i]) : nullptr;
      } else if (JSON_NODE_HOLDS_ARRAY (node)) {
        JsonArray *a = json_node_get_array (node);
        guint index = (guint)g_ascii_strtoull (parts[i], nullptr, 10);
        node = index < json_array_get_length (a) ? json_array_get_element (a, index) : nullptr;
      } else {
        node = nullptr;
      }
    }
    return node;
  }
  bool has (const std::string &path) const { return at (path) != nullptr; }
  bool is_null (const std::string &path) const
  {
    JsonNode *n = at (path);
    return n && JSON_NODE_HOLDS_NULL (n);
  }
  std::string s (const std::string &path) const
  {
    JsonNode *n = at (path);
    return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
               ? json_node_get_string (n)
               : "<" + path + " not a string>";
  }
  gint64 i (const std::string &path) const
  {
    JsonNode *n = at (path);
    return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_int (n) : -1;
  }
  bool b (const std::string &path) const
  {
    JsonNode *n = at (path);
    return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_boolean (n);
  }
  guint len (const std::string &path) const
  {
    JsonNode *n = at (path);
    if (n && JSON_NODE_HOLDS_ARRAY (n))
      return json_array_get_length (json_node_get_array (n));
    if (n && JSON_NODE_HOLDS_OBJECT (n))
      return json_object_get_size (json_node_get_object (n));
    return 0;
  }
};

struct ClientOptions {
  std::vector<std::string> protocols{"rtcbridge-room.v1"};
  std::string origin;
  bool auto_pong = false; /* answers the room's pings */
};

/* A participant's WebSocket (libsoup 3 client, on the loop thread). */
class Client {
public:
  using Options = ClientOptions;

  Client (ClientLoop &loop, const std::string &url, Options o = Options ())
      : loop_ (loop), auto_pong_ (o.auto_pong)
  {
    loop_.run ([this, url, o] {
      session_ = soup_session_new ();
      msg_ = soup_message_new ("GET", url.c_str ());
      std::vector<char *> protocols;
      for (auto &p : o.protocols)
        protocols.push_back (const_cast<char *> (p.c_str ()));
      protocols.push_back (nullptr);
      soup_session_websocket_connect_async (session_, msg_,
                                            o.origin.empty () ? nullptr : o.origin.c_str (),
                                            o.protocols.empty () ? nullptr : protocols.data (),
                                            G_PRIORITY_DEFAULT, nullptr, on_connected, this);
    });
  }
  ~Client ()
  {
    wait_done ();
    bool open = false;
    loop_.run ([this, &open] {
      open = ws_ && soup_websocket_connection_get_state (ws_) == SOUP_WEBSOCKET_STATE_OPEN;
      if (open)
        soup_websocket_connection_close (ws_, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    });
    if (ws_)
      wait_closed_for (10000);
    loop_.run ([this] {
      if (ws_) {
        g_signal_handlers_disconnect_by_data (ws_, this);
        g_object_unref (ws_);
      }
      g_object_unref (msg_);
      g_object_unref (session_);
    });
  }

  /* Whether the handshake succeeded (waits for it). */
  bool open ()
  {
    wait_done ();
    std::lock_guard<std::mutex> g (lock_);
    return ws_ != nullptr;
  }
  /* The HTTP status of a refused handshake. */
  guint status ()
  {
    wait_done ();
    return status_;
  }
  std::string protocol ()
  {
    wait_done ();
    std::lock_guard<std::mutex> g (lock_);
    return protocol_;
  }
  void send (const std::string &text)
  {
    loop_.run ([this, text] {
      if (ws_ && soup_websocket_connection_get_state (ws_) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text (ws_, text.c_str ());
    });
  }
  void send_binary (const std::string &bytes)
  {
    loop_.run ([this, bytes] {
      if (ws_ && soup_websocket_connection_get_state (ws_) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_binary (ws_, bytes.data (), bytes.size ());
    });
  }
  /* Cuts the connection without a close frame (a crashed browser). */
  void drop ()
  {
    loop_.run ([this] {
      if (ws_)
        g_io_stream_close (soup_websocket_connection_get_io_stream (ws_), nullptr, nullptr);
    });
  }

  /* The @n-th message of @type (waits for it). */
  Msg wait (const std::string &type, guint n = 1, guint timeout_ms = SIGNALLING_TIMEOUT_MS)
  {
    std::unique_lock<std::mutex> l (lock_);
    Msg found;
    bool ok = cond_.wait_for (l, std::chrono::milliseconds (timeout_ms), [&] {
      guint k = 0;
      for (auto &m : messages_)
        if (m.s ("type") == type && ++k == n) {
          found = m;
          return true;
        }
      return false;
    });
    fail_unless (ok, "no %s #%u within %u ms (got: %s)", type.c_str (), n, timeout_ms,
                 summary_unlocked ().c_str ());
    return found;
  }
  /* The @n-th error with @code (waits for it). */
  Msg wait_error (const std::string &code, guint n = 1, guint timeout_ms = SIGNALLING_TIMEOUT_MS)
  {
    std::unique_lock<std::mutex> l (lock_);
    Msg found;
    bool ok = cond_.wait_for (l, std::chrono::milliseconds (timeout_ms), [&] {
      guint k = 0;
      for (auto &m : messages_)
        if (m.s ("type") == "error" && m.s ("code") == code && ++k == n) {
          found = m;
          return true;
        }
      return false;
    });
    fail_unless (ok, "no error %s #%u within %u ms (got: %s)", code.c_str (), n, timeout_ms,
                 summary_unlocked ().c_str ());
    return found;
  }
  guint count (const std::string &type)
  {
    std::lock_guard<std::mutex> g (lock_);
    guint n = 0;
    for (auto &m : messages_)
      n += m.s ("type") == type;
    return n;
  }
  std::vector<Msg> all (const std::string &type)
  {
    std::lock_guard<std::mutex> g (lock_);
    std::vector<Msg> out;
    for (auto &m : messages_)
      if (m.s ("type") == type)
        out.push_back (m);
    return out;
  }
  /* The close code the room sent (waits for the close). */
  gushort wait_closed (guint timeout_ms = SIGNALLING_TIMEOUT_MS)
  {
    fail_unless (wait_closed_for (timeout_ms), "not closed within %u ms", timeout_ms);
    std::lock_guard<std::mutex> g (lock_);
    return close_code_;
  }
  bool closed ()
  {
    std::lock_guard<std::mutex> g (lock_);
    return closed_;
  }
  /* A ping answered: the socket is open and the room reads it. */
  void assert_alive ()
  {
    guint n = count ("pong");
    send ("{\"type\":\"ping\"}");
    wait ("pong", n + 1);
    fail_if (closed ());
  }

private:
  void wait_done ()
  {
    std::unique_lock<std::mutex> l (lock_);
    fail_unless (cond_.wait_for (l, std::chrono::milliseconds (SIGNALLING_TIMEOUT_MS),
                                 [this] { return done_; }),
                 "no handshake result");
  }
  bool wait_closed_for (guint timeout_ms)
  {
    std::unique_lock<std::mutex> l (lock_);
    return cond_.wait_for (l, std::chrono::milliseconds (timeout_ms), [this] { return closed_; });
  }
  std::string summary_unlocked ()
  {
    std::string out;
    for (auto &m : messages_)
      out += (out.empty () ? "" : ", ") + m.text.substr (0, 200);
    return out + (closed_ ? " [closed " + std::to_string (close_code_) + "]" : "");
  }
  static void on_connected (GObject *source, GAsyncResult *result, gpointer data)
  {
    auto self = static_cast<Client *> (data);
    SoupWebsocketConnection *ws =
        soup_session_websocket_connect_finish (SOUP_SESSION (source), result, nullptr);
    if (ws) {
      g_signal_connect (ws, "message", G_CALLBACK (on_message), self);
      g_signal_connect (ws, "closed", G_CALLBACK (on_closed), self);
    }
    std::lock_guard<std::mutex> g (self->lock_);
    self->ws_ = ws;
    self->status_ = soup_message_get_status (self->msg_);
    if (ws && soup_websocket_connection_get_protocol (ws))
      self->protocol_ = soup_websocket_connection_get_protocol (ws);
    self->done_ = true;
    self->cond_.notify_all ();
  }
  static void on_message (SoupWebsocketConnection *ws, gint, GBytes *message, gpointer data)
  {
    auto self = static_cast<Client *> (data);
    gsize len = 0;
    const char *text = static_cast<const char *> (g_bytes_get_data (message, &len));
    Msg m;
    m.text.assign (text ? text : "", len);
    JsonNode *node = json_from_string (m.text.c_str (), nullptr);
    m.root =
        std::shared_ptr<JsonNode> (node ? node : json_node_new (JSON_NODE_NULL), json_node_unref);
    if (self->auto_pong_ && m.s ("type") == "ping")
      soup_websocket_connection_send_text (ws, "{\"type\":\"pong\"}");
    std::lock_guard<std::mutex> g (self->lock_);
    self->messages_.push_back (m);
    self->cond_.notify_all ();
  }
  static void on_closed (SoupWebsocketConnection *ws, gpointer data)
  {
    auto self = static_cast<Client *> (data);
    std::lock_guard<std::mutex> g (self->lock_);
    self->closed_ = true;
    self->close_code_ = soup_websocket_connection_get_close_code (ws);
    self->cond_.notify_all ();
  }

  ClientLoop &loop_;
  bool auto_pong_;
  std::mutex lock_;
  std::condition_variable cond_;
  SoupSession *session_ = nullptr;
  SoupMessage *msg_ = nullptr;
  SoupWebsocketConnection *ws_ = nullptr;
  bool done_ = false, closed_ = false;
  guint status_ = 0;
  gushort close_code_ = 0;
  std::string protocol_;
  std::vector<Msg> messages_;
};

inline std::string quoted (const std::string &s)
{
  g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), s.c_str ());
  g_autofree gchar *text = json_to_string (node, FALSE);
  return text;
}

inline std::string join_message (const std::string &name, const std::string &extra = "")
{
  return "{\"type\":\"join\",\"v\":1,\"name\":" + quoted (name) + extra + "}";
}

/* ---- SDP --------------------------------------------------------------- */

struct MLine {
  std::string kind, mid, direction, msid; /* msid: "<participant>/<track>" or "" */
};

inline std::string make_sdp (const std::vector<MLine> &lines)
{
  std::string sdp = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
  for (auto &l : lines)
    sdp += " " + l.mid;
  sdp += "\r\n";
  guint ssrc = 1000;
  for (auto &l : lines) {
    bool video = l.kind == "video";
    sdp += "m=" + l.kind + " 9 UDP/TLS/RTP/SAVPF " + (video ? "96" : "111") +
           "\r\nc=IN IP4 0.0.0.0\r\na=mid:" + l.mid +
           "\r\na=ice-ufrag:roomU\r\na=ice-pwd:roompasswordroompassword\r\n"
           "a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:"
           "CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\na=" +
           l.direction + "\r\n" +
           (video ? "a=rtpmap:96 VP8/90000\r\n" : "a=rtpmap:111 OPUS/48000/2\r\n");
    if (!l.msid.empty ()) {
      std::string n = std::to_string (ssrc++);
      sdp += "a=ssrc:" + n + " msid:" + l.msid + " transceiver" + n + "\r\na=ssrc:" + n +
             " cname:pipeline\r\n";
    }
  }
  return sdp;
}

inline std::string description_message (const std::string &type, const std::string &sdp)
{
  return "{\"type\":\"description\",\"sdp\":{\"type\":\"" + type + "\",\"sdp\":" + quoted (sdp) +
         "}}";
}

/* Waits until @pred holds (polling), at most @timeout_ms. */
inline bool eventually (std::function<bool ()> pred, guint timeout_ms = SIGNALLING_TIMEOUT_MS)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  while (!pred ()) {
    if (g_get_monotonic_time () > end)
      return false;
    g_usleep (20 * 1000);
  }
  return true;
}

inline long fd_count ()
{
  long n = 0;
  GDir *dir = g_dir_open ("/proc/self/fd", 0, nullptr);
  if (!dir)
    return -1;
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

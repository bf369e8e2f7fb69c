/* RtcHttpGuard (see the header). */
#include "rtchttpguard.h"

#include <gst/gst.h>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (rtc_http_server_debug);
#define GST_CAT_DEFAULT rtc_http_server_debug

namespace rtc {

struct HttpGuard::State {
  struct Conn {
    guint requests = 0;          /* started, not finished */
    gint64 idle_since = 0;       /* when the last one finished */
    bool upgraded = false;       /* a WebSocket now */
    gpointer weak_ref = nullptr; /* the data of the socket's weak reference */
  };
  std::mutex lock; /* guards all (sockets may be finalized on another thread) */
  Limits limits;
  std::map<GObject *, Conn> conns;
  /* Forgets connections whose socket is closed or shut down (libsoup may
   * keep the GSocket a while after, or never notice a connection we shut
   * while it was not reading). Under the lock. */
  void prune ();
};

namespace {

using WeakState = std::weak_ptr<HttpGuard::State>;

const char *DEADLINE_KEY = "rtc-http-deadline";
const char *WAITING_KEY = "rtc-http-waiting";

void shut (GSocket *socket, const char *why)
{
  if (!socket)
    return;
  GSocketAddress *remote = g_socket_get_remote_address (socket, nullptr);
  gchar *who = remote && G_IS_INET_SOCKET_ADDRESS (remote)
                   ? g_inet_address_to_string (
                         g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)))
                   : g_strdup ("?");
  GST_INFO ("closing the connection of %s: %s", who, why);
  g_free (who);
  g_clear_object (&remote);
  g_socket_shutdown (socket, TRUE, TRUE, nullptr);
}

struct Deadline {
  GSource *source;
  ~Deadline ()
  {
    g_source_destroy (source);
    g_source_unref (source);
  }
};

/* @msg's connection is shut if it is still at this stage in @ms (0: no
 * deadline). Replaces the previous one; goes with the message. */
void deadline (SoupServerMessage *msg, guint ms, const char *what)
{
  if (ms == 0) {
    g_object_set_data (G_OBJECT (msg), DEADLINE_KEY, nullptr);
    return;
  }
  auto d = new Deadline{g_timeout_source_new (ms)};
  g_source_set_callback (
      d->source,
      [] (gpointer m) -> gboolean {
        auto msg = SOUP_SERVER_MESSAGE (m);
        shut (soup_server_message_get_socket (msg),
              static_cast<const char *> (g_object_get_data (G_OBJECT (msg), WAITING_KEY)));
        return G_SOURCE_REMOVE;
      },
      msg, nullptr);
  g_object_set_data (G_OBJECT (msg), WAITING_KEY, (gpointer)what);
  g_source_attach (d->source, g_main_context_get_thread_default ());
  g_object_set_data_full (G_OBJECT (msg), DEADLINE_KEY, d,
                          [] (gpointer p) { delete static_cast<Deadline *> (p); });
}

void on_got_headers (SoupServerMessage *msg, gpointer data)
{
  deadline (msg, GPOINTER_TO_UINT (data), "no request body in time");
}

void on_got_body (SoupServerMessage *msg, gpointer)
{
  deadline (msg, 0, nullptr);
}

void on_socket_gone (gpointer data, GObject *socket);

} // namespace

void HttpGuard::State::prune ()
{
  for (auto it = conns.begin (); it != conns.end ();) {
    GSocket *socket = G_SOCKET (it->first);
    if (!g_socket_is_closed (socket) && g_socket_is_connected (socket)) {
      ++it;
      continue;
    }
    g_object_weak_unref (it->first, on_socket_gone, it->second.weak_ref);
    delete static_cast<WeakState *> (it->second.weak_ref);
    it = conns.erase (it);
  }
}

namespace {

void on_socket_gone (gpointer data, GObject *socket)
{
  auto weak = static_cast<WeakState *> (data);
  if (auto state = weak->lock ()) {
    std::lock_guard<std::mutex> g (state->lock);
    state->conns.erase (socket);
  }
  delete weak;
}

void on_finished (SoupServerMessage *msg, gpointer data)
{
  deadline (msg, 0, nullptr); /* (a message kept after: an upgraded WebSocket's) */
  auto state = static_cast<WeakState *> (data)->lock ();
  GSocket *socket = soup_server_message_get_socket (msg);
  if (!state || !socket)
    return;
  std::lock_guard<std::mutex> g (state->lock);
  auto it = state->conns.find (G_OBJECT (socket));
  if (it == state->conns.end ())
    return;
  if (it->second.requests > 0)
    it->second.requests--;
  it->second.idle_since = g_get_monotonic_time ();
  if (soup_server_message_get_status (msg) == SOUP_STATUS_SWITCHING_PROTOCOLS)
    it->second.upgraded = true;
}

} // namespace

HttpGuard::HttpGuard (SoupServer *server, const Limits &limits)
    : server_ (server), state_ (std::make_shared<State> ())
{
  state_->limits = limits;
  started_ = g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), this);
  sweeper_ = g_timeout_source_new (250);
  g_source_set_callback (sweeper_, sweep, this, nullptr);
  g_source_attach (sweeper_, g_main_context_get_thread_default ());
}

HttpGuard::~HttpGuard ()
{
  g_signal_handler_disconnect (server_, started_);
  g_source_destroy (sweeper_);
  g_source_unref (sweeper_);
  /* The sockets' weak references stay: each deletes its own WeakState
   * (finding the state gone). */
}

void HttpGuard::set_limits (const Limits &limits)
{
  std::lock_guard<std::mutex> g (state_->lock);
  state_->limits = limits;
}

guint HttpGuard::connections ()
{
  std::lock_guard<std::mutex> g (state_->lock);
  return (guint)state_->conns.size ();
}

void HttpGuard::on_request_started (SoupServer *, SoupServerMessage *msg, gpointer data)
{
  auto self = static_cast<HttpGuard *> (data);
  auto &state = *self->state_;
  GSocket *socket = soup_server_message_get_socket (msg);
  Limits limits;
  /* Counts @socket's request; false when it is a new connection over the
   * limit. */
  auto admit = [&] () {
    std::lock_guard<std::mutex> g (state.lock);
    limits = state.limits;
    if (!socket)
      return true;
    auto it = state.conns.find (G_OBJECT (socket));
    if (it == state.conns.end ()) {
      if (limits.max_connections > 0 && state.conns.size () >= limits.max_connections)
        return false;
      it = state.conns.emplace (G_OBJECT (socket), State::Conn ()).first;
      it->second.weak_ref = new WeakState (self->state_);
      g_object_weak_ref (G_OBJECT (socket), on_socket_gone, it->second.weak_ref);
    }
    it->second.requests++;
    return true;
  };
  bool over = !admit ();
  if (over) {
    /* Full: connections their clients closed make room. */
    close_idle (state);
    over = !admit ();
  }
  if (over) {
    shut (socket, "too many connections open");
    return;
  }
  deadline (msg, limits.header_ms, "no request headers in time");
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers),
                    GUINT_TO_POINTER (limits.body_ms));
  g_signal_connect (msg, "got-body", G_CALLBACK (on_got_body), nullptr);
  g_signal_connect_data (
      msg, "finished", G_CALLBACK (on_finished), new WeakState (self->state_),
      [] (gpointer p, GClosure *) { delete static_cast<WeakState *> (p); }, GConnectFlags (0));
}

SocketPeek http_peek_socket (GSocket *socket)
{
  GIOCondition cond =
      g_socket_condition_check (socket, GIOCondition (G_IO_IN | G_IO_HUP | G_IO_ERR));
  if (!cond)
    return SocketPeek::NOTHING;
  if (cond & (G_IO_HUP | G_IO_ERR))
    return SocketPeek::END;
  gchar byte;
  GInputVector v = {&byte, 1};
  gint flags = G_SOCKET_MSG_PEEK;
  GError *error = nullptr;
  gssize n =
      g_socket_receive_message (socket, nullptr, &v, 1, nullptr, nullptr, &flags, nullptr, &error);
  bool would_block = n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);
  return n > 0 ? SocketPeek::BYTES : would_block ? SocketPeek::NOTHING : SocketPeek::END;
}

void HttpGuard::close_idle (State &state)
{
  std::vector<std::pair<GSocket *, const char *>> idle;
  {
    std::lock_guard<std::mutex> g (state.lock);
    state.prune ();
    gint64 now = g_get_monotonic_time ();
    gint64 limit = (gint64)state.limits.header_ms * 1000;
    for (auto &kv : state.conns) {
      if (kv.second.requests > 0 || kv.second.upgraded)
        continue;
      GSocket *socket = G_SOCKET (kv.first);
      const char *why = limit > 0 && now - kv.second.idle_since > limit ? "idle"
                        : http_peek_socket (socket) == SocketPeek::END  ? "closed by the client"
                                                                        : nullptr;
      if (why)
        idle.emplace_back (G_SOCKET (g_object_ref (socket)), why);
    }
  }
  /* libsoup 3.2 reads nothing from a kept-alive connection until bytes
   * come: it sees neither its client's close nor a shutdown there. Closed
   * here, or its descriptor stays open. */
  for (auto &i : idle) {
    shut (i.first, i.second);
    g_socket_close (i.first, nullptr);
    g_object_unref (i.first);
  }
  std::lock_guard<std::mutex> g (state.lock);
  state.prune ();
}

/* Kept-alive connections idle past the header deadline, or closed by
 * their clients, are closed. */
gboolean HttpGuard::sweep (gpointer data)
{
  close_idle (*static_cast<HttpGuard *> (data)->state_);
  return G_SOURCE_CONTINUE;
}

} // namespace rtc

/* RtcHttpGuard: what a SoupServer (libsoup 3.2) does not bound by itself —
 * how many connections are open at once, and how long a client may take
 * to send a request's headers and its body, or stay idle between
 * requests on a kept-alive connection. A connection over the limit, or
 * past a deadline, is shut down (the client sees it close; libsoup aborts
 * the request). A request waiting for the server (a paused POST) and a
 * connection upgraded to a WebSocket have no deadline; both count while
 * open.
 *
 * Threading: created, used and destroyed on the server's thread; what
 * libsoup calls back after the guard is gone (a message that outlives
 * the server) finds nothing to do.
 */
#pragma once

#include <libsoup/soup.h>
#include <map>
#include <memory>
#include <mutex>

namespace rtc {

/* What a peek at @socket finds without taking anything: nothing yet,
 * bytes, or its end (closed by the peer, or failed). */
enum class SocketPeek { NOTHING, BYTES, END };
SocketPeek http_peek_socket (GSocket *socket);

class HttpGuard {
public:
  struct Limits {
    guint max_connections = 256;
    guint header_ms = 10000; /* the request line and headers; idle keep-alive too */
    guint body_ms = 30000;   /* the body, once the headers are in */
  };

  HttpGuard (SoupServer *server, const Limits &limits);
  ~HttpGuard ();
  HttpGuard (const HttpGuard &) = delete;
  HttpGuard &operator= (const HttpGuard &) = delete;

  void set_limits (const Limits &limits);
  guint connections ();

  struct State; /* shared with libsoup's callbacks */

private:
  static void on_request_started (SoupServer *, SoupServerMessage *msg, gpointer data);
  static gboolean sweep (gpointer data);
  static void close_idle (State &state);

  SoupServer *server_; /* not owned */
  gulong started_ = 0;
  GSource *sweeper_ = nullptr;
  std::shared_ptr<State> state_;
};

} // namespace rtc

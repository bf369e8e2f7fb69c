/* See rtchttpserver.h. */
#include "rtchttpserver.h"
#include "rtcstatshttp.h"
#include "rtchttpaccess.h"

#include <gst/rtcbridge/gstrtcsignaller.h>

#include <gst/gst.h>
#include <condition_variable>
#include <cstring>
#include <vector>

GST_DEBUG_CATEGORY (rtc_http_server_debug);
#define GST_CAT_DEFAULT rtc_http_server_debug

namespace rtc {

namespace {

std::mutex registry_lock;
std::map<std::string, std::weak_ptr<HttpServer>> &registry ()
{
  static std::map<std::string, std::weak_ptr<HttpServer>> map;
  return map;
}

const char *BODY_KEY = "rtc-body";
const char *OVERFLOW_KEY = "rtc-body-overflow";

struct Invocation {
  std::function<void ()> fn;
};

gboolean run_invocation (gpointer data)
{
  static_cast<Invocation *> (data)->fn ();
  return G_SOURCE_REMOVE;
}
void free_invocation (gpointer data)
{
  delete static_cast<Invocation *> (data);
}

std::string server_key (const std::string &address, guint port)
{
  return address + "|" + std::to_string (port);
}

const char *mime_for (const std::string &file)
{
  if (g_str_has_suffix (file.c_str (), ".html"))
    return "text/html; charset=utf-8";
  if (g_str_has_suffix (file.c_str (), ".js"))
    return "text/javascript; charset=utf-8";
  if (g_str_has_suffix (file.c_str (), ".css"))
    return "text/css; charset=utf-8";
  return "application/octet-stream";
}

} // namespace

void http_respond (SoupServerMessage *msg, guint status, const std::string &content_type,
                   const std::string &body)
{
  soup_server_message_set_status (msg, status, nullptr);
  /* Browsers take our types as sent and tell other sites nothing. */
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (h, "Referrer-Policy", "no-referrer");
  if (!content_type.empty () || !body.empty ())
    soup_server_message_set_response (msg,
                                      content_type.empty () ? "text/plain" : content_type.c_str (),
                                      SOUP_MEMORY_COPY, body.data (), body.size ());
}

void http_respond_text (SoupServerMessage *msg, guint status, const std::string &text)
{
  http_respond (msg, status, "text/plain; charset=utf-8", text.empty () ? "" : text + "\n");
}

guint http_status_for (const GError *error)
{
  if (error && error->domain == GST_RTC_SIGNALLER_ERROR) {
    switch (error->code) {
    case GST_RTC_SIGNALLER_ERROR_BAD_REQUEST:
      return SOUP_STATUS_BAD_REQUEST;
    case GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE:
      return SOUP_STATUS_UNPROCESSABLE_ENTITY;
    case GST_RTC_SIGNALLER_ERROR_UNAVAILABLE:
      return SOUP_STATUS_SERVICE_UNAVAILABLE;
    case GST_RTC_SIGNALLER_ERROR_CONFLICT:
      return SOUP_STATUS_CONFLICT;
    default:
      break;
    }
  }
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

ClientWatch::ClientWatch (SoupServerMessage *msg, std::function<void ()> gone)
    : gone_ (std::move (gone))
{
  GSocket *socket = soup_server_message_get_socket (msg);
  if (!socket)
    return;
  source_ = g_socket_create_source (socket, GIOCondition (G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr);
  g_source_set_callback (source_, G_SOURCE_FUNC (on_ready), this, nullptr);
  g_source_attach (source_, g_main_context_get_thread_default ());
}

ClientWatch::~ClientWatch ()
{
  if (source_) {
    g_source_destroy (source_);
    g_source_unref (source_);
  }
}

gboolean ClientWatch::on_ready (GSocket *socket, GIOCondition, gpointer data)
{
  auto self = static_cast<ClientWatch *> (data);
  SocketPeek peek = http_peek_socket (socket);
  if (peek == SocketPeek::NOTHING)
    return G_SOURCE_CONTINUE;
  /* The source goes with this callback; @gone may destroy the watch. */
  g_source_unref (self->source_);
  self->source_ = nullptr;
  if (peek == SocketPeek::END) {
    auto gone = std::move (self->gone_);
    gone ();
  }
  return G_SOURCE_REMOVE;
}

bool HttpServer::valid_stream_name (const std::string &name)
{
  if (name.empty () || name.size () > 128)
    return false;
  for (char c : name) {
    if (!(g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return name != "." && name != "..";
}

HttpServer::HttpServer (std::string address, guint port, Tls tls)
    : address_ (std::move (address)), port_ (port), tls_ (std::move (tls)),
      loopback_ (http_is_loopback (address_))
{}

std::shared_ptr<HttpServer> HttpServer::acquire (const std::string &address, guint port,
                                                 const Tls &tls, std::string &error)
{
  static gsize debug_done = 0;
  if (g_once_init_enter (&debug_done)) {
    GST_DEBUG_CATEGORY_INIT (rtc_http_server_debug, "rtchttpserver", 0, "Embedded HTTP server");
    g_once_init_leave (&debug_done, 1);
  }
  /* Declared before the lock: a server that failed to start is destroyed
   * after the lock is released (its destructor takes the lock). */
  std::shared_ptr<HttpServer> failed;
  std::lock_guard<std::mutex> g (registry_lock);
  if (port != 0) {
    auto it = registry ().find (server_key (address, port));
    if (it != registry ().end ()) {
      if (auto existing = it->second.lock ()) {
        if (existing->tls_ == tls)
          return existing;
        error = "a server already runs on " + address + ":" + std::to_string (port) +
                " with other TLS settings";
        return nullptr;
      }
    }
  }
  std::shared_ptr<HttpServer> server (new HttpServer (address, port, tls));
  if (!server->start (error)) {
    failed = std::move (server);
    return nullptr;
  }
  server->key_ = server_key (address, server->port_);
  registry ()[server->key_] = server;
  return server;
}
/* soup_server_listen () with a listen backlog of LISTEN_BACKLOG instead of
 * GSocket's 10: a crowd arriving at once (viewers opening a shared link,
 * a burst of offers) would otherwise have its connections beyond the tenth
 * dropped by the kernel and retried by the clients' TCP 1, 3, 7 s later. */
static const gint LISTEN_BACKLOG = 512;
static gboolean listen_on (SoupServer *server, GSocketAddress *addr,
                           SoupServerListenOptions options, GError **error)
{
  GSocket *sock = g_socket_new (g_socket_address_get_family (addr), G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, error);
  if (!sock)
    return FALSE;
  g_socket_set_listen_backlog (sock, LISTEN_BACKLOG);
  gboolean ok = g_socket_bind (sock, addr, TRUE, error) && g_socket_listen (sock, error) &&
                soup_server_listen_socket (server, sock, options, error);
  g_object_unref (sock);
  return ok;
}

bool HttpServer::start (std::string &error)
{
  GInetAddress *inet = g_inet_address_new_from_string (address_.c_str ());
  if (!inet) {
    error = "'" + address_ + "' is not an IP address";
    return false;
  }
  g_object_unref (inet);
  context_ = g_main_context_new ();
  loop_ = g_main_loop_new (context_, FALSE);

  /* The server must be created and listen on its own thread's context. */
  struct Start {
    HttpServer *self;
    GMutex lock;
    GCond cond;
    bool done = false;
    std::string error;
  } st;
  st.self = this;
  g_mutex_init (&st.lock);
  g_cond_init (&st.cond);
  Invocation *inv = new Invocation{[&st] () {
    HttpServer *self = st.self;
    std::string err;
    self->server_ = soup_server_new ("server-header", "gst-rtcbridge ", nullptr);
    /* No permessage-deflate: a 64 KiB compressed frame may inflate a
     * thousandfold past the frame limit, and libsoup 3.2 keeps the
     * extensions a handshake accepted on the path's handler, shared by
     * concurrent handshakes. Signalling frames are small anyway. */
    soup_server_remove_websocket_extension (self->server_, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
    self->guard_ = std::make_unique<HttpGuard> (self->server_, HttpGuard::Limits ());
    soup_server_add_early_handler (self->server_, nullptr, early_handler, self, nullptr);
    soup_server_add_handler (self->server_, nullptr, handler, self, nullptr);
    GInetAddress *inet = g_inet_address_new_from_string (self->address_.c_str ());
    GSocketAddress *addr = g_inet_socket_address_new (inet, self->port_);
    GError *gerr = nullptr;
    SoupServerListenOptions options = (SoupServerListenOptions)0;
    if (self->tls_.enabled ()) {
      const std::string &key =
          self->tls_.key_file.empty () ? self->tls_.certificate_file : self->tls_.key_file;
      GTlsCertificate *cert = g_tls_certificate_new_from_files (
          self->tls_.certificate_file.c_str (), key.c_str (), &gerr);
      if (cert) {
        g_object_set (self->server_, "tls-certificate", cert, nullptr);
        g_object_unref (cert);
        options = SOUP_SERVER_LISTEN_HTTPS;
      }
    }
    if (gerr) {
      err = "could not load the TLS certificate: " + std::string (gerr->message);
      g_clear_error (&gerr);
    } else if (!listen_on (self->server_, addr, options, &gerr)) {
      err = "could not listen on " + self->address_ + ":" + std::to_string (self->port_) + ": " +
            gerr->message;
      g_error_free (gerr);
    } else {
      GSList *listeners = soup_server_get_listeners (self->server_);
      if (listeners) {
        GSocket *sock = G_SOCKET (listeners->data);
        GSocketAddress *local = g_socket_get_local_address (sock, nullptr);
        if (local) {
          self->port_ = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
          g_object_unref (local);
        }
        g_slist_free (listeners);
      }
    }
    g_object_unref (addr);
    g_object_unref (inet);
    g_mutex_lock (&st.lock);
    st.error = err;
    st.done = true;
    g_cond_signal (&st.cond);
    g_mutex_unlock (&st.lock);
  }};
  g_main_context_invoke_full (context_, G_PRIORITY_DEFAULT, run_invocation, inv, free_invocation);
  thread_ = g_thread_new ("rtc-http", thread_main, this);
  g_mutex_lock (&st.lock);
  while (!st.done)
    g_cond_wait (&st.cond, &st.lock);
  g_mutex_unlock (&st.lock);
  g_mutex_clear (&st.lock);
  g_cond_clear (&st.cond);
  if (!st.error.empty ()) {
    error = st.error;
    return false;
  }
  GST_INFO ("HTTP server listening on %s", base_url ().c_str ());
  return true;
}

gpointer HttpServer::thread_main (gpointer data)
{
  auto self = static_cast<HttpServer *> (data);
  g_main_context_push_thread_default (self->context_);
  g_main_loop_run (self->loop_);
  /* Answers given just before (a 503 to a waiting POST when its stream
   * stopped) are written before the connections are cut: at most 500 ms. */
  gint64 flush_end = g_get_monotonic_time () + 500 * 1000;
  while (g_get_monotonic_time () < flush_end && g_main_context_iteration (self->context_, FALSE))
    ;
  self->guard_.reset ();
  if (self->server_) {
    soup_server_disconnect (self->server_);
    g_object_unref (self->server_);
    self->server_ = nullptr;
  }
  /* Let pending sources (closed connections) finish. */
  while (g_main_context_iteration (self->context_, FALSE))
    ;
  g_main_context_pop_thread_default (self->context_);
  return nullptr;
}

HttpServer::~HttpServer ()
{
  {
    std::lock_guard<std::mutex> g (registry_lock);
    auto it = registry ().find (key_);
    if (it != registry ().end () && it->second.expired ())
      registry ().erase (it);
  }
  if (thread_) {
    g_main_loop_quit (loop_);
    g_thread_join (thread_);
  }
  if (loop_)
    g_main_loop_unref (loop_);
  if (context_)
    g_main_context_unref (context_);
  GST_INFO ("HTTP server %s:%u stopped", address_.c_str (), port_);
}

std::string HttpServer::base_url () const
{
  bool v6 = address_.find (':') != std::string::npos;
  return std::string (tls_.enabled () ? "https://" : "http://") + (v6 ? "[" : "") + address_ +
         (v6 ? "]" : "") + ":" + std::to_string (port_);
}

void HttpServer::invoke (std::function<void ()> fn)
{
  /* Not g_main_context_invoke_full(): on the server thread it would run @fn
   * inside its caller. */
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, run_invocation, new Invocation{std::move (fn)}, free_invocation);
  g_source_attach (source, context_);
  g_source_unref (source);
}

bool HttpServer::add_endpoint (const std::string &prefix, const std::string &name,
                               HttpEndpoint *endpoint, std::string &error)
{
  if (!valid_stream_name (name)) {
    error = "invalid stream name '" + name + "' (use letters, digits, '-', '_', '.')";
    return false;
  }
  {
    std::lock_guard<std::mutex> g (lock_);
    auto key = std::make_pair (prefix, name);
    if (endpoints_.count (key)) {
      error = "stream name '" + name + "' is already used on " + base_url () + " (/" + prefix +
              "/" + name + ")";
      return false;
    }
    endpoints_[key] = endpoint;
  }
  if (endpoint->takes_websocket ()) {
    /* libsoup runs WebSocket handshakes only for paths with a WebSocket
     * handler; that path then needs our handlers too (the most specific
     * path's handlers are the only ones run). They route like the default
     * ones and stay for the server's life. */
    invoke_sync ([this, prefix] () {
      if (!websocket_prefixes_.insert (prefix).second)
        return;
      std::string path = "/" + prefix;
      soup_server_add_early_handler (server_, path.c_str (), early_handler, this, nullptr);
      soup_server_add_handler (server_, path.c_str (), handler, this, nullptr);
      soup_server_add_websocket_handler (server_, path.c_str (), nullptr, nullptr,
                                         websocket_handler, this, nullptr);
    });
  }
  return true;
}

HttpEndpoint *HttpServer::find_endpoint (const std::string &prefix, const std::string &name)
{
  std::lock_guard<std::mutex> g (lock_);
  auto it = endpoints_.find (std::make_pair (prefix, name));
  return it == endpoints_.end () ? nullptr : it->second;
}

void HttpServer::remove_endpoint (const std::string &prefix, const std::string &name)
{
  {
    std::lock_guard<std::mutex> g (lock_);
    endpoints_.erase (std::make_pair (prefix, name));
  }
  /* Wait for a request that may be using the endpoint right now. */
  invoke_sync ([] () {});
}

void HttpServer::set_limits (const HttpGuard::Limits &limits)
{
  invoke_sync ([this, limits] () {
    if (guard_)
      guard_->set_limits (limits);
  });
}

void HttpServer::invoke_sync (std::function<void ()> fn)
{
  if (g_thread_self () == thread_) {
    fn ();
    return;
  }
  std::mutex m;
  std::condition_variable c;
  bool done = false;
  invoke ([&] () {
    fn ();
    std::lock_guard<std::mutex> g (m);
    done = true;
    c.notify_one ();
  });
  std::unique_lock<std::mutex> l (m);
  c.wait (l, [&] { return done; });
}

static void on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer data)
{
  gsize max = GPOINTER_TO_SIZE (data);
  auto body = static_cast<GByteArray *> (g_object_get_data (G_OBJECT (msg), BODY_KEY));
  if (!body || g_object_get_data (G_OBJECT (msg), OVERFLOW_KEY))
    return;
  gsize len = 0;
  const guint8 *bytes = static_cast<const guint8 *> (g_bytes_get_data (chunk, &len));
  if (body->len + len > max) {
    /* A body without a length (chunked) over the limit: cut off now, not
     * read (and thrown away) to its end, however long it is. */
    g_object_set_data (G_OBJECT (msg), OVERFLOW_KEY, GINT_TO_POINTER (1));
    g_byte_array_set_size (body, 0);
    GST_INFO ("request body over %" G_GSIZE_FORMAT " bytes: connection closed", max);
    if (GSocket *socket = soup_server_message_get_socket (msg))
      g_socket_shutdown (socket, TRUE, TRUE, nullptr);
    return;
  }
  g_byte_array_append (body, bytes, len);
}

void HttpServer::early_handler (SoupServer *, SoupServerMessage *msg, const char *, GHashTable *,
                                gpointer data)
{
  auto self = static_cast<HttpServer *> (data);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  /* Keep the body ourselves so that we can stop at the limit; a body
   * refused below is still read by libsoup (no Expect: 100-continue), and
   * must not be kept either. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (gsize)soup_message_headers_get_content_length (headers) > self->max_body_size_) {
    http_respond_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                       "request body larger than " + std::to_string (self->max_body_size_) +
                           " bytes");
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                  "close");
    return;
  }
  g_object_set_data_full (G_OBJECT (msg), BODY_KEY, g_byte_array_new (),
                          (GDestroyNotify)g_byte_array_unref);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk),
                    GSIZE_TO_POINTER (self->max_body_size_));
}

void HttpServer::handler (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *query,
                          gpointer data)
{
  auto self = static_cast<HttpServer *> (data);
  std::string method = soup_server_message_get_method (msg);
  std::string p = path ? path : "/";
  GST_DEBUG ("%s %s", method.c_str (), p.c_str ());

  if (g_object_get_data (G_OBJECT (msg), OVERFLOW_KEY)) {
    http_respond_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                       "request body larger than " + std::to_string (self->max_body_size_) +
                           " bytes");
    return;
  }

  if (self->loopback_ && !http_check_loopback_host (msg))
    return;

  /* /<prefix>/<name>[/<rest>] routed to an endpoint */
  g_auto (GStrv) parts = g_strsplit (p.c_str () + 1, "/", 3);
  guint n = g_strv_length (parts);
  if (n >= 2 && parts[0][0] && parts[1][0]) {
    HttpEndpoint *endpoint = self->find_endpoint (parts[0], parts[1]);
    if (endpoint) {
      std::string rest = n == 3 ? std::string ("/") + parts[2] : std::string ();
      SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
      if (method == "GET" && soup_message_headers_header_contains (req, "Upgrade", "websocket") &&
          endpoint->takes_websocket ()) {
        self->upgrade (msg, endpoint, rest);
        return;
      }
      auto body = static_cast<GByteArray *> (g_object_get_data (G_OBJECT (msg), BODY_KEY));
      GBytes *bytes = body ? g_bytes_new (body->data, body->len) : g_bytes_new (nullptr, 0);
      endpoint->handle_request (msg, method, rest, bytes);
      g_bytes_unref (bytes);
      return;
    }
    if (g_str_equal (parts[0], "whep") || g_str_equal (parts[0], "whip")) {
      http_respond_text (msg, SOUP_STATUS_NOT_FOUND,
                         std::string ("no stream named '") + parts[1] + "' on this server");
      return;
    }
  }

  if (method != "GET" && method != "HEAD") {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                  "GET, HEAD");
    http_respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "only GET is allowed here");
    return;
  }
  if (p == "/")
    http_respond_resource (msg, "index.html");
  else if (p == "/favicon.ico")
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
  else if (p == "/streams.json")
    self->serve_streams (msg);
  else if (p == "/debug")
    http_respond_resource (msg, "debug.html"); /* its data: /stats.json, with the access check */
  else if (p == "/stats.json" || p == "/metrics")
    self->serve_stats (
        msg, p == "/metrics" ? StatsFormat::PROMETHEUS
             : query && !g_strcmp0 ((const char *)g_hash_table_lookup (query, "details"), "1")
                 ? StatsFormat::JSON_DETAILS
                 : StatsFormat::JSON);
  else if (g_str_has_prefix (p.c_str (), "/view/") && n == 2)
    http_respond_resource (msg, "viewer.html");
  else if (g_str_has_prefix (p.c_str (), "/publish/") && n == 2)
    http_respond_resource (msg, "publish.html");
  else if (g_str_has_prefix (p.c_str (), "/static/") && n == 2)
    http_respond_resource (msg, parts[1]);
  else
    http_respond_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
}

/* An upgrade request for a WebSocket endpoint: its access check, then the
 * subprotocol; the handshake itself is libsoup's (websocket_handler). */
void HttpServer::upgrade (SoupServerMessage *msg, HttpEndpoint *endpoint, const std::string &rest)
{
  if (!endpoint->accept_websocket (msg, rest)) {
    if (soup_server_message_get_status (msg) == 0)
      http_respond_text (msg, SOUP_STATUS_FORBIDDEN, "WebSocket refused");
    return;
  }
  const char *offered = soup_message_headers_get_list (
      soup_server_message_get_request_headers (msg), "Sec-WebSocket-Protocol");
  if (!offered || !*offered)
    return;
  g_auto (GStrv) list = g_strsplit_set (offered, ", ", -1);
  for (auto &protocol : endpoint->websocket_protocols ()) {
    for (guint i = 0; list[i]; i++) {
      if (protocol == list[i]) {
        /* libsoup keeps it in the 101 and gives it to the connection. */
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "Sec-WebSocket-Protocol", protocol.c_str ());
        return;
      }
    }
  }
  http_respond_text (msg, SOUP_STATUS_BAD_REQUEST,
                     std::string ("none of the WebSocket subprotocols offered (") + offered +
                         ") is spoken here");
}

/* libsoup 3.2 cuts a connection that sends a frame over the limit without a
 * close frame: send one first (it is written at once), so that the peer
 * learns why (1009) rather than seeing an abnormal closure. */
static void on_websocket_error (SoupWebsocketConnection *conn, GError *error, gpointer)
{
  if (g_error_matches (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG) &&
      soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "frame too big");
}

void HttpServer::websocket_handler (SoupServer *, SoupServerMessage *msg, const char *path,
                                    SoupWebsocketConnection *conn, gpointer data)
{
  auto self = static_cast<HttpServer *> (data);
  soup_websocket_connection_set_max_incoming_payload_size (conn, MAX_WEBSOCKET_PAYLOAD);
  g_signal_connect (conn, "error", G_CALLBACK (on_websocket_error), nullptr);
  g_auto (GStrv) parts = g_strsplit (path ? path + 1 : "", "/", 3);
  guint n = g_strv_length (parts);
  HttpEndpoint *endpoint = n >= 2 ? self->find_endpoint (parts[0], parts[1]) : nullptr;
  if (!endpoint) {
    /* Removed since its handler accepted the upgrade. */
    soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "gone");
    return;
  }
  endpoint->websocket_opened (conn, msg, n == 3 ? std::string ("/") + parts[2] : std::string ());
}

void http_respond_resource (SoupServerMessage *msg, const std::string &file)
{
  std::string path = "/org/gstreamer/rtcbridge/web/" + file;
  GBytes *bytes = g_resources_lookup_data (path.c_str (), G_RESOURCE_LOOKUP_FLAGS_NONE, nullptr);
  if (!bytes) {
    http_respond_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
    return;
  }
  gsize len = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (bytes, &len));
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  /* Our pages use the camera and the microphone: no other site may frame
   * them (clickjacking). */
  soup_message_headers_replace (h, "Content-Security-Policy", "frame-ancestors 'self'");
  soup_message_headers_replace (h, "X-Frame-Options", "SAMEORIGIN");
  http_respond (msg, SOUP_STATUS_OK, mime_for (file), std::string (data, len));
  g_bytes_unref (bytes);
}

/* Each endpoint's access check on this server thread (the first refusal
 * answers), then the reports are read on a worker thread. */
void HttpServer::serve_stats (SoupServerMessage *msg, StatsFormat format)
{
  std::vector<std::pair<std::string, HttpEndpoint *>> listed;
  {
    std::lock_guard<std::mutex> g (lock_);
    for (auto &kv : endpoints_)
      listed.push_back ({kv.first.second, kv.second});
  }
  /* Endpoints are removed only through this thread (remove_endpoint ()):
   * the pointers hold while this runs. */
  std::vector<StatsRead> reads;
  for (auto &e : listed) {
    std::function<GstStructure *()> reader = e.second->stats_reader (msg);
    if (soup_server_message_get_status (msg) != 0)
      return; /* refused */
    if (reader)
      reads.push_back ({e.first, std::move (reader)});
  }
  http_serve_stats (msg, context_, std::move (reads), format);
}

void HttpServer::serve_streams (SoupServerMessage *msg)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "streams");
  json_builder_begin_array (b);
  {
    std::lock_guard<std::mutex> g (lock_);
    for (auto &kv : endpoints_) {
      if (!kv.second->listed ())
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, kv.first.second.c_str ());
      json_builder_set_member_name (b, kv.first.first.c_str ());
      json_builder_add_string_value (b, ("/" + kv.first.first + "/" + kv.first.second).c_str ());
      kv.second->describe (b);
      json_builder_end_object (b);
    }
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  gchar *text = json_generator_to_data (gen, nullptr);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-cache");
  http_respond (msg, SOUP_STATUS_OK, "application/json", text);
  g_free (text);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
}

void PageEndpoint::handle_request (SoupServerMessage *msg, const std::string &method,
                                   const std::string &rest, GBytes *)
{
  if (!rest.empty ()) {
    http_respond_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
  } else if (method == "GET" || method == "HEAD") {
    http_respond_resource (msg, resource_);
  } else {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                  "GET, HEAD");
    http_respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "only GET is allowed here");
  }
}

} // namespace rtc

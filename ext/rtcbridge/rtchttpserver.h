/* RtcHttpServer: the embedded HTTP server, one per address:port per process,
 * shared by every element that uses it.
 *
 * It serves the viewer pages (/, /view/<name>, /static/...), the stream list
 * (/streams.json), the streams' stats (/stats.json, /metrics:
 * rtcstatshttp.h), and routes /<prefix>/<name>[/<rest>] (e.g. /whep/live/<id>)
 * to the HttpEndpoint registered for that prefix and stream name.
 *
 * An endpoint may also take WebSocket connections on its paths
 * (takes_websocket()). A GET with "Upgrade: websocket" goes to the
 * endpoint's accept_websocket() (its access check) instead of
 * handle_request(); the server then picks a subprotocol the client offered
 * from websocket_protocols(), libsoup completes the handshake and the
 * endpoint gets the connection in websocket_opened(). The server knows no
 * protocol: it only routes by prefix and name.
 *
 * Every request body is capped (max_body_size): a larger one is answered
 * 413 without being kept in memory. WebSocket messages are capped at
 * MAX_WEBSOCKET_PAYLOAD (larger: closed with 1009; a room's descriptions
 * grow with every m-line), and permessage-deflate is not offered (see
 * start()).
 *
 * Threading: libsoup runs on the server's own thread (its own GMainContext).
 * Endpoints are called on that thread and must not block; to answer later
 * they pause the message and finish it through invoke(). add/remove of
 * endpoints may be called from any thread; remove_endpoint() returns only
 * when no request is using the endpoint any more.
 * Locks: `registry_lock` (process-wide) then `lock_` (per server).
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "rtchttpguard.h"
#include "rtcstatshttp.h"

namespace rtc {

class HttpEndpoint {
public:
  virtual ~HttpEndpoint () = default;
  /* A request for /<prefix>/<name><rest>; @rest is "" or "/..." . @body is
   * the request body (may be empty). Server thread. */
  virtual void handle_request (SoupServerMessage *msg, const std::string &method,
                               const std::string &rest, GBytes *body) = 0;
  /* Adds this stream's members to the /streams.json entry. Server thread. */
  virtual void describe (JsonBuilder *builder) = 0;
  /* Whether /streams.json lists this endpoint (a second page of another
   * endpoint is not listed on its own). */
  virtual bool listed () { return true; }
  /* /stats.json and /metrics (rtcstatshttp.h): whether @msg may read this
   * stream's stats (the endpoint's own access check, which answers 401,
   * 403... and returns nullptr when not) and what reads them (on a worker
   * thread; it may wait), or nullptr without answering when the endpoint
   * serves none. Server thread. */
  virtual std::function<GstStructure *()> stats_reader (SoupServerMessage *) { return nullptr; }

  /* WebSocket endpoints return true. Their prefix then also has a libsoup
   * WebSocket handler, which runs after handle_request() when that left
   * the request without a status: so handle_request() must answer (not
   * pause) every request on such an endpoint. Read once, when added. */
  virtual bool takes_websocket () { return false; }
  /* The subprotocols it speaks, preferred first. A client that offers none
   * is accepted without one; one that offers only others is refused (400). */
  virtual std::vector<std::string> websocket_protocols () { return {}; }
  /* An upgrade request for /<prefix>/<name><rest>: the access check.
   * Answer it (401, 403, 404...) and return false to refuse; return true
   * without a status to let the handshake go on. Server thread. */
  virtual bool accept_websocket (SoupServerMessage *, const std::string &) { return false; }
  /* The handshake is done: @conn is open, its incoming frames capped at the
   * server's body limit. The endpoint takes a reference to keep it (and
   * must keep it until "closed" for a clean close). Server thread. */
  virtual void websocket_opened (SoupWebsocketConnection *, SoupServerMessage *,
                                 const std::string &)
  {}
};

/* A page of another endpoint's, /<prefix>/<name> served from the web
 * GResource's @resource (GET and HEAD only; not listed in /streams.json). */
class PageEndpoint : public HttpEndpoint {
public:
  explicit PageEndpoint (const char *resource) : resource_ (resource) {}
  void handle_request (SoupServerMessage *msg, const std::string &method, const std::string &rest,
                       GBytes *) override;
  void describe (JsonBuilder *) override {}
  bool listed () override { return false; }

private:
  const char *resource_;
};

class HttpServer {
public:
  /* HTTPS when a certificate is given (PEM files; the key may be in the
   * certificate file). */
  struct Tls {
    std::string certificate_file;
    std::string key_file;
    bool enabled () const { return !certificate_file.empty (); }
    bool operator== (const Tls &o) const
    {
      return certificate_file == o.certificate_file && key_file == o.key_file;
    }
  };

  static constexpr gsize DEFAULT_MAX_BODY_SIZE = 64 * 1024;
  static constexpr gsize MAX_WEBSOCKET_PAYLOAD = 256 * 1024;

  /* The server for @address:@port, started if needed. @port 0 always makes a
   * new server on a free port. Returns nullptr with @error on failure (e.g.
   * the port is in use). */
  static std::shared_ptr<HttpServer> acquire (const std::string &address, guint port,
                                              const Tls &tls, std::string &error);
  ~HttpServer ();
  HttpServer (const HttpServer &) = delete;
  HttpServer &operator= (const HttpServer &) = delete;

  const std::string &address () const { return address_; }
  guint port () const { return port_; }
  /* "http://127.0.0.1:8080" (IPv6 in brackets). */
  std::string base_url () const;

  /* Registers @endpoint for /<prefix>/<name>. False with @error when the
   * name is taken or invalid. */
  bool add_endpoint (const std::string &prefix, const std::string &name, HttpEndpoint *endpoint,
                     std::string &error);
  void remove_endpoint (const std::string &prefix, const std::string &name);

  /* Runs @fn on the server thread, later (also when called there: never
   * from inside the caller). */
  void invoke (std::function<void ()> fn);
  /* Runs @fn on the server thread and waits for it (never call it from the
   * server thread: there it runs @fn at once). */
  void invoke_sync (std::function<void ()> fn);
  GMainContext *context () const { return context_; }
  /* Connection limits and deadlines (rtchttpguard.h; the defaults unless
   * set: tests shorten them). */
  void set_limits (const HttpGuard::Limits &limits);

  static bool valid_stream_name (const std::string &name);
  /* Listening on a loopback address only. */
  bool loopback () const { return loopback_; }

private:
  HttpServer (std::string address, guint port, Tls tls);
  bool start (std::string &error);
  static gpointer thread_main (gpointer data);
  static void early_handler (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                             gpointer data);
  static void handler (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                       gpointer data);
  static void websocket_handler (SoupServer *, SoupServerMessage *msg, const char *path,
                                 SoupWebsocketConnection *conn, gpointer data);
  HttpEndpoint *find_endpoint (const std::string &prefix, const std::string &name);
  void upgrade (SoupServerMessage *msg, HttpEndpoint *endpoint, const std::string &rest);
  void serve_streams (SoupServerMessage *msg);
  void serve_stats (SoupServerMessage *msg, StatsFormat format);

  std::string address_;
  guint port_;
  std::string key_;
  Tls tls_;
  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  GThread *thread_ = nullptr;
  SoupServer *server_ = nullptr; /* server thread only after start */
  gsize max_body_size_ = DEFAULT_MAX_BODY_SIZE;
  bool loopback_ = false;            /* listening on a loopback address: Host checked */
  std::unique_ptr<HttpGuard> guard_; /* server thread */

  std::mutex lock_; /* guards endpoints_ */
  std::map<std::pair<std::string, std::string>, HttpEndpoint *> endpoints_;
  std::set<std::string> websocket_prefixes_; /* server thread only */
};

/* Helpers for endpoints (server thread). */
void http_respond (SoupServerMessage *msg, guint status, const std::string &content_type,
                   const std::string &body);
void http_respond_text (SoupServerMessage *msg, guint status, const std::string &text);
/* The HTTP status for an element's refusal (gst_rtc_signaller_reject_session's
 * GST_RTC_SIGNALLER_ERROR codes; 500 for anything else). */
guint http_status_for (const GError *error);
/* Answers with web/@file from the plugin's GResource (404 when it has none). */
void http_respond_resource (SoupServerMessage *msg, const std::string &file);

/* Watches the connection of a paused request (a POST waiting for its
 * answer): @gone runs once, on the server thread, when the client closes
 * it. libsoup 3.2 reads nothing from a paused message's connection, so its
 * "disconnected" comes only when the response is written. The watch peeks
 * at the socket: end of stream or an error is "gone"; bytes (a pipelined
 * request, or any TLS record: over HTTPS a close is not seen) end the
 * watch without calling @gone. Destroy it before unpausing the message;
 * @gone may destroy it. Server thread only. */
class ClientWatch {
public:
  ClientWatch (SoupServerMessage *msg, std::function<void ()> gone);
  ~ClientWatch ();
  ClientWatch (const ClientWatch &) = delete;
  ClientWatch &operator= (const ClientWatch &) = delete;

private:
  static gboolean on_ready (GSocket *socket, GIOCondition cond, gpointer data);
  GSource *source_ = nullptr;
  std::function<void ()> gone_;
};

} // namespace rtc

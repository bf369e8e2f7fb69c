/* The embedded HTTP server (ext/rtcbridge/rtchttpserver.*) on its own, with
 * a test endpoint and libsoup or raw-socket clients: one server per
 * address:port shared by its acquirers, endpoint routing and removal, the
 * pages and /streams.json and WebSocket endpoints (limits and requests no
 * browser sends: rtchttpserver_input.cpp).
 * No element and no plugin: the server is linked into the test. */
#include <gst/check/gstcheck.h>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "rtchttpserver.h"
#include "rtctesthttp.h"
#include "rtctesthttpserver.h"
#include "rtctestroom.h"
#include "rtctestsocket.h"
#include "rtctestutil.h"

GST_START_TEST (test_shared_per_port)
{
  auto a = acquire (0);
  guint port = a->port ();
  fail_unless (port > 0);
  fail_unless (a->base_url () == "http://127.0.0.1:" + std::to_string (port), "%s",
               a->base_url ().c_str ());
  fail_unless_equals_int (http_request ("GET", a->base_url () + "/").status, 200);

  /* The same address:port: the same server. Port 0 again: a new one. */
  auto b = acquire (port);
  fail_unless (a.get () == b.get ());
  auto other = acquire (0);
  fail_unless (other.get () != a.get ());
  fail_unless (other->port () != port);
  other.reset ();

  /* Released when the last acquirer goes, not before. */
  a.reset ();
  fail_unless_equals_int (http_request ("GET", b->base_url () + "/").status, 200);
  b.reset ();
  fail_if (raw_can_connect (port), "port %u still accepts connections", port);

  /* A restart on the same port gets a working server again. */
  auto again = acquire (port);
  fail_unless_equals_int (again->port (), port);
  fail_unless_equals_int (http_request ("GET", again->base_url () + "/").status, 200);

  /* A fixed port that was never used. */
  guint fixed = free_port ();
  auto f1 = acquire (fixed);
  auto f2 = acquire (fixed);
  fail_unless (f1.get () == f2.get ());
  fail_unless_equals_int (f1->port (), fixed);
}
GST_END_TEST;

GST_START_TEST (test_acquire_errors)
{
  std::string error;
  /* Not an IP address. */
  auto s = rtc::HttpServer::acquire ("localhost", 0, rtc::HttpServer::Tls (), error);
  fail_unless (s == nullptr);
  fail_if (error.empty ());

  /* A port someone else listens on. */
  guint taken = 0;
  g_autoptr (GSocket) sock = listen_on_free_port (taken);
  error.clear ();
  s = rtc::HttpServer::acquire ("127.0.0.1", taken, rtc::HttpServer::Tls (), error);
  fail_unless (s == nullptr);
  fail_unless (error.find (std::to_string (taken)) != std::string::npos, "%s", error.c_str ());
  g_socket_close (sock, nullptr);

  /* The same port with other TLS settings is refused, not shared. */
  auto plain = acquire (0);
  rtc::HttpServer::Tls tls;
  tls.certificate_file = "/nonexistent/cert.pem";
  error.clear ();
  s = rtc::HttpServer::acquire ("127.0.0.1", plain->port (), tls, error);
  fail_unless (s == nullptr);
  fail_unless (error.find ("TLS") != std::string::npos, "%s", error.c_str ());
  /* A certificate that cannot be loaded. */
  error.clear ();
  s = rtc::HttpServer::acquire ("127.0.0.1", 0, tls, error);
  fail_unless (s == nullptr);
  fail_unless (error.find ("certificate") != std::string::npos, "%s", error.c_str ());
  /* The plain server is unaffected. */
  fail_unless_equals_int (http_request ("GET", plain->base_url () + "/").status, 200);
}
GST_END_TEST;

GST_START_TEST (test_endpoints)
{
  auto server = acquire ();
  std::string base = server->base_url (), error;
  TestEndpoint ep, other;
  fail_unless (server->add_endpoint ("whep", "cam-1", &ep, error), "%s", error.c_str ());

  /* /<prefix>/<name>[/<rest>] reaches the endpoint, any method. */
  HttpReply r = http_request ("POST", base + "/whep/cam-1", "application/sdp", "abc");
  fail_unless_equals_int (r.status, 200);
  fail_unless (r.body == "POST  3\n", "%s", r.body.c_str ());
  r = http_request ("DELETE", base + "/whep/cam-1/session-7");
  fail_unless (r.body == "DELETE /session-7 0\n", "%s", r.body.c_str ());
  r = http_request ("PATCH", base + "/whep/cam-1/a/b/c", "text/plain", "x");
  fail_unless (r.body == "PATCH /a/b/c 1\n", "%s", r.body.c_str ());
  r = http_request ("GET", base + "/whep/cam-1/");
  fail_unless (r.body == "GET / 0\n", "%s", r.body.c_str ());
  fail_unless_equals_int (ep.calls (), 4);
  fail_unless (ep.thread () != g_thread_self ());

  /* A second endpoint with the same name is refused; the same name under
   * another prefix is another endpoint. */
  error.clear ();
  fail_if (server->add_endpoint ("whep", "cam-1", &other, error));
  fail_unless (error.find ("cam-1") != std::string::npos, "%s", error.c_str ());
  fail_unless (server->add_endpoint ("whip", "cam-1", &other, error), "%s", error.c_str ());
  r = http_request ("POST", base + "/whip/cam-1", "application/sdp", "x");
  fail_unless_equals_int (r.status, 200);
  fail_unless_equals_int (other.calls (), 1);
  fail_unless_equals_int (ep.calls (), 4);

  /* Names a URL path segment can carry safely, nothing else. */
  for (const char *bad : {"", ".", "..", "a/b", "a b", "caf\xc3\xa9", "a?b", "%2e"}) {
    error.clear ();
    fail_if (server->add_endpoint ("whep", bad, &other, error), "'%s' accepted", bad);
    fail_if (error.empty ());
  }
  fail_if (server->add_endpoint ("whep", std::string (129, 'a'), &other, error));
  fail_unless (server->add_endpoint ("whep", std::string (128, 'a'), &other, error));
  fail_unless (server->add_endpoint ("whep", "A-z_0.9", &other, error));

  /* Removed: 404, and the endpoint is not called any more. */
  server->remove_endpoint ("whep", "cam-1");
  r = http_request ("POST", base + "/whep/cam-1", "application/sdp", "abc");
  fail_unless_equals_int (r.status, 404);
  r = http_request ("GET", base + "/whep/cam-1");
  fail_unless_equals_int (r.status, 404);
  fail_unless_equals_int (ep.calls (), 4);
  /* Its name is free again. */
  fail_unless (server->add_endpoint ("whep", "cam-1", &ep, error), "%s", error.c_str ());
  fail_unless_equals_int (http_request ("GET", base + "/whep/cam-1").status, 200);
  server->remove_endpoint ("whep", "cam-1");
  /* Removing what is not there is harmless. */
  server->remove_endpoint ("whep", "never-added");
  server->remove_endpoint ("whip", "cam-1");
  server->remove_endpoint ("whep", std::string (128, 'a'));
  server->remove_endpoint ("whep", "A-z_0.9");
  fail_unless_equals_int (http_request ("POST", base + "/whip/cam-1", "a/b", "x").status, 404);
}
GST_END_TEST;

GST_START_TEST (test_remove_waits_for_request)
{
  auto server = acquire ();
  std::string error;
  TestEndpoint ep;
  fail_unless (server->add_endpoint ("whep", "slow", &ep, error));
  ep.hold ();
  std::atomic<guint> status{0};
  std::thread client ([&] {
    status = http_request ("POST", server->base_url () + "/whep/slow", "a/b", "x").status;
  });
  fail_unless (ep.wait_inside (20000), "the request never reached the endpoint");

  std::atomic<bool> removed{false};
  std::thread remover ([&] {
    server->remove_endpoint ("whep", "slow");
    removed = true;
  });
  /* While the endpoint is busy, remove_endpoint() must not return. */
  g_usleep (200000);
  fail_if (removed.load (), "remove_endpoint() returned while the endpoint was in use");
  ep.release ();
  remover.join ();
  fail_unless (ep.left ());
  client.join ();
  fail_unless_equals_int (status.load (), 200);
}
GST_END_TEST;

GST_START_TEST (test_invoke)
{
  auto server = acquire ();
  std::mutex m;
  std::condition_variable c;
  GThread *ran_on = nullptr;
  server->invoke ([&] {
    std::lock_guard<std::mutex> g (m);
    ran_on = g_thread_self ();
    c.notify_one ();
  });
  {
    std::unique_lock<std::mutex> l (m);
    fail_unless (c.wait_for (l, std::chrono::seconds (20), [&] { return ran_on != nullptr; }));
  }
  fail_unless (ran_on != g_thread_self ());

  /* invoke_sync waits; on the server thread itself it runs at once. */
  GThread *sync_on = nullptr;
  bool inner = false;
  server->invoke_sync ([&] {
    sync_on = g_thread_self ();
    server->invoke_sync ([&] { inner = true; });
  });
  fail_unless (sync_on == ran_on);
  fail_unless (inner);

  /* Requests are served on that same thread. */
  TestEndpoint ep;
  std::string error;
  fail_unless (server->add_endpoint ("x", "y", &ep, error));
  fail_unless_equals_int (http_request ("GET", server->base_url () + "/x/y").status, 200);
  fail_unless (ep.thread () == ran_on);
  server->remove_endpoint ("x", "y");
}
GST_END_TEST;

GST_START_TEST (test_pages)
{
  auto server = acquire ();
  std::string base = server->base_url ();
  struct Page {
    const char *path;
    const char *type;
    const char *contains;
  } pages[] = {
      {"/", "text/html", "<"},
      {"/view/cam-1", "text/html", "<"},
      {"/publish/cam-1", "text/html", "<"},
      {"/static/whep.js", "text/javascript", ""},
      {"/static/viewer.js", "text/javascript", ""},
      {"/static/publish.js", "text/javascript", ""},
      {"/static/data.js", "text/javascript", ""},
      {"/static/style.css", "text/css", ""},
  };
  for (auto &p : pages) {
    HttpReply r = http_request ("GET", base + p.path);
    fail_unless_equals_int (r.status, 200);
    fail_unless (g_str_has_prefix (r.header ("content-type").c_str (), p.type), "%s: %s", p.path,
                 r.header ("content-type").c_str ());
    fail_if (r.body.empty (), "%s is empty", p.path);
    fail_unless (r.body.find (p.contains) != std::string::npos);
    fail_unless (r.header ("cache-control") == "no-cache", "%s", p.path);
    /* Security headers: no sniffing, no referrer, no framing by other sites. */
    assert_str (r.header ("x-content-type-options"), "nosniff");
    assert_str (r.header ("referrer-policy"), "no-referrer");
    assert_str (r.header ("content-security-policy"), "frame-ancestors 'self'");
    assert_str (r.header ("x-frame-options"), "SAMEORIGIN");
  }
  /* The viewer page names the stream in the URL, not in the page. */
  fail_unless (http_request ("GET", base + "/view/a").body ==
               http_request ("GET", base + "/view/b").body);
  fail_unless_equals_int (http_request ("GET", base + "/favicon.ico").status, 204);
  HttpReply head = http_request ("HEAD", base + "/");
  fail_unless_equals_int (head.status, 200);
  fail_unless (head.body.empty ());

  /* Unknown paths: 404. */
  for (const char *path :
       {"/nothing", "/static/nosuch.js", "/static/", "/static/a/b", "/view/a/b", "/publish/a/b",
        "/a/b/c", "/whep/nosuch", "/whip/nosuch/123", "/index.html", "/streams.json/x"}) {
    HttpReply r = http_request ("GET", base + path);
    fail_unless (r.status == 404, "GET %s: %u", path, r.status);
  }
  /* Ways out of the pages' directory serve nothing. */
  for (const char *path : {"/static/..%2findex.html", "/static/%2fetc%2fpasswd",
                           "/static/..%2f..%2fstatic%2fwhep.js"}) {
    HttpReply r = http_request ("GET", base + path);
    fail_unless (r.status >= 400 && r.status < 500, "GET %s: %u", path, r.status);
  }
  /* Methods other than GET/HEAD on the pages: 405 with Allow. */
  for (const char *method : {"POST", "PUT", "DELETE", "PATCH"}) {
    for (const char *path : {"/", "/streams.json", "/view/x", "/static/whep.js"}) {
      HttpReply r = http_request (method, base + path, "text/plain", "x");
      fail_unless_equals_int (r.status, 405);
      fail_unless (r.header ("allow") == "GET, HEAD", "%s %s: Allow %s", method, path,
                   r.header ("allow").c_str ());
    }
  }
  /* ... but a POST for a WHEP/WHIP stream that does not exist is a 404. */
  fail_unless_equals_int (
      http_request ("POST", base + "/whep/nosuch", "application/sdp", "x").status, 404);
  fail_unless_equals_int (
      http_request ("DELETE", base + "/whip/nosuch/00000000-0000-0000-0000-000000000000").status,
      404);
}
GST_END_TEST;

GST_START_TEST (test_streams_json)
{
  auto server = acquire ();
  std::string error;
  TestEndpoint a, b;
  HttpReply r = http_request ("GET", server->base_url () + "/streams.json");
  fail_unless_equals_int (r.status, 200);
  fail_unless (g_str_has_prefix (r.header ("content-type").c_str (), "application/json"));
  fail_unless (r.header ("cache-control") == "no-cache");

  fail_unless (server->add_endpoint ("whep", "one", &a, error));
  fail_unless (server->add_endpoint ("whip", "two", &b, error));
  r = http_request ("GET", server->base_url () + "/streams.json");
  fail_unless_equals_int (r.status, 200);
  JsonParser *parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (parser, r.body.c_str (), r.body.size (), nullptr), "%s",
               r.body.c_str ());
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonArray *streams = json_object_get_array_member (root, "streams");
  fail_unless_equals_int (json_array_get_length (streams), 2);
  bool seen_one = false, seen_two = false;
  for (guint i = 0; i < 2; i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    std::string name = json_object_get_string_member (s, "name");
    /* The endpoint's own members are there too. */
    fail_unless_equals_int (json_object_get_int_member (s, "test-member"), 42);
    if (name == "one") {
      seen_one = true;
      fail_unless_equals_string (json_object_get_string_member (s, "whep"), "/whep/one");
    } else if (name == "two") {
      seen_two = true;
      fail_unless_equals_string (json_object_get_string_member (s, "whip"), "/whip/two");
    }
  }
  fail_unless (seen_one && seen_two);
  g_object_unref (parser);
  /* describe() is not a request: the endpoints saw none. */
  fail_unless_equals_int (a.calls () + b.calls (), 0);

  server->remove_endpoint ("whep", "one");
  server->remove_endpoint ("whip", "two");
  r = http_request ("GET", server->base_url () + "/streams.json");
  fail_unless (r.body.find ("\"one\"") == std::string::npos, "%s", r.body.c_str ());
  fail_unless (r.body.find ("\"two\"") == std::string::npos, "%s", r.body.c_str ());
}
GST_END_TEST;

/* A WebSocket endpoint: refuses (401) unless allowed, speaks x-test.v1 (or
 * x-test.v0) and echoes text frames. Its connections are server-thread
 * state: drop() releases them there. */
class WebSocketEndpoint : public rtc::HttpEndpoint {
public:
  std::atomic<bool> allow{true};
  std::atomic<int> opened{0};

  void handle_request (SoupServerMessage *msg, const std::string &, const std::string &,
                       GBytes *) override
  {
    rtc::http_respond_text (msg, SOUP_STATUS_OK, "page");
  }
  void describe (JsonBuilder *) override {}
  bool listed () override { return false; }
  bool takes_websocket () override { return true; }
  std::vector<std::string> websocket_protocols () override { return {"x-test.v1", "x-test.v0"}; }
  bool accept_websocket (SoupServerMessage *msg, const std::string &) override
  {
    if (!allow)
      rtc::http_respond_text (msg, SOUP_STATUS_UNAUTHORIZED, "no");
    return allow;
  }
  void websocket_opened (SoupWebsocketConnection *conn, SoupServerMessage *,
                         const std::string &) override
  {
    opened++;
    conns_.push_back (SOUP_WEBSOCKET_CONNECTION (g_object_ref (conn)));
    g_signal_connect (conn, "message", G_CALLBACK (on_message), nullptr);
  }
  void drop (rtc::HttpServer &server)
  {
    server.invoke_sync ([this] {
      for (auto c : conns_)
        g_object_unref (c);
      conns_.clear ();
    });
  }

private:
  static void on_message (SoupWebsocketConnection *conn, gint, GBytes *message, gpointer)
  {
    soup_websocket_connection_send_text (
        conn, static_cast<const char *> (g_bytes_get_data (message, nullptr)));
  }
  std::vector<SoupWebsocketConnection *> conns_; /* server thread */
};

GST_START_TEST (test_websocket_endpoint)
{
  auto server = acquire ();
  std::string error;
  WebSocketEndpoint ep;
  TestEndpoint plain;
  fail_unless (server->add_endpoint ("ws", "a", &ep, error));
  fail_unless (server->add_endpoint ("plain", "b", &plain, error));
  std::string url = "ws://127.0.0.1:" + std::to_string (server->port ()) + "/ws/a";
  /* Short deadlines: an open WebSocket has none (it stays past them). */
  rtc::HttpGuard::Limits limits;
  limits.header_ms = 300;
  limits.body_ms = 300;
  server->set_limits (limits);
  {
    ClientLoop loop;
    ClientOptions o;
    o.protocols = {"x-other", "x-test.v0", "x-test.v1"};
    Client c (loop, url, o);
    fail_unless (c.open ());
    assert_str (c.protocol (), "x-test.v1"); /* the endpoint's preference */
    g_usleep (1500 * 1000);
    c.send ("{\"type\":\"echo\"}");
    c.wait ("echo");
    /* A frame over the limit: closed with 1009. */
    c.send ("{\"type\":\"x\",\"pad\":\"" + std::string (257 * 1024, 'x') + "\"}");
    fail_unless_equals_int (c.wait_closed (), 1009);

    o.protocols = {"x-other"};
    Client other (loop, url, o);
    fail_if (other.open ());
    fail_unless_equals_int (other.status (), 400);
    ep.allow = false;
    o.protocols = {};
    Client refused (loop, url, o);
    fail_if (refused.open ());
    fail_unless_equals_int (refused.status (), 401);
    /* Not an upgrade: the page. Not a WebSocket endpoint: no upgrade. */
    HttpReply page = http_request ("GET", server->base_url () + "/ws/a");
    fail_unless_equals_int (page.status, 200);
    Client no_ws (loop, "ws://127.0.0.1:" + std::to_string (server->port ()) + "/plain/b", o);
    fail_if (no_ws.open ());
    fail_unless_equals_int (ep.opened.load (), 1);
  }
  /* Unlisted endpoints stay out of /streams.json. */
  HttpReply list = http_request ("GET", server->base_url () + "/streams.json");
  fail_unless (list.body.find ("\"/ws/a\"") == std::string::npos, "%s", list.body.c_str ());
  fail_unless (list.body.find ("\"/plain/b\"") != std::string::npos, "%s", list.body.c_str ());
  ep.drop (*server);
  server->remove_endpoint ("ws", "a");
  server->remove_endpoint ("plain", "b");
}
GST_END_TEST;

/* invoke() runs later even when called on the server thread. */
GST_START_TEST (test_invoke_defers)
{
  auto server = acquire ();
  std::atomic<bool> ran{false};
  bool ran_inside = true;
  server->invoke_sync ([&] {
    server->invoke ([&] { ran = true; });
    ran_inside = ran;
  });
  fail_if (ran_inside);
  server->invoke_sync ([] {});
  fail_unless (ran.load ());
}
GST_END_TEST;

static Suite *rtchttpserver_suite (void)
{
  Suite *s = suite_create ("rtchttpserver");
  TCase *tc = tcase_create ("server");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_shared_per_port);
  tcase_add_test (tc, test_acquire_errors);
  tcase_add_test (tc, test_endpoints);
  tcase_add_test (tc, test_remove_waits_for_request);
  tcase_add_test (tc, test_invoke);
  tcase_add_test (tc, test_pages);
  tcase_add_test (tc, test_streams_json);
  tcase_add_test (tc, test_websocket_endpoint);
  tcase_add_test (tc, test_invoke_defers);
  return s;
}

int main (int argc, char **argv)
{
  /* The server is linked in; no plugin may be scanned or loaded. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtchttpserver_suite (), "rtchttpserver", __FILE__);
}

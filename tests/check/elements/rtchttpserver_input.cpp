/* The embedded HTTP server against what a slow, crowding or malformed
 * client sends: the body limit, requests no browser sends, connection
 * limits and deadlines (rtchttpguard.h).
 * No element and no plugin: the server is linked into the test. */
#include <gst/check/gstcheck.h>
#include <string>
#include <vector>

#include "rtchttpguard.h"
#include "rtchttpserver.h"
#include "rtctesthttp.h"
#include "rtctesthttpserver.h"
#include "rtctestsocket.h"
#include "rtctestutil.h"

static long vm_hwm_kb ()
{
  gchar *text = nullptr;
  long kb = -1;
  if (g_file_get_contents ("/proc/self/status", &text, nullptr, nullptr)) {
    const char *p = strstr (text, "VmHWM:");
    if (p)
      kb = strtol (p + 6, nullptr, 10);
    g_free (text);
  }
  return kb;
}

GST_START_TEST (test_body_limit)
{
  auto server = acquire ();
  guint port = server->port ();
  std::string error;
  TestEndpoint ep;
  fail_unless (server->add_endpoint ("whep", "big", &ep, error));
  const gsize max = rtc::HttpServer::DEFAULT_MAX_BODY_SIZE;
  const std::string head = "POST /whep/big HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                           "Content-Type: application/octet-stream\r\n";

  /* Exactly the limit: the endpoint gets all of it. */
  std::string reply = raw_exchange (port, head + "Content-Length: " + std::to_string (max) +
                                              "\r\n\r\n" + std::string (max, 'x'));
  fail_unless_equals_int (raw_status (reply), 200);
  fail_unless_equals_int (ep.body_size (), max);
  fail_unless_equals_int (ep.calls (), 1);

  /* One byte over, announced: 413. A client that waits for 100 Continue
   * gets it before sending the body; one that sends it, after. */
  reply = raw_exchange (port, head + "Content-Length: " + std::to_string (max + 1) +
                                  "\r\nExpect: 100-continue\r\n\r\n");
  fail_unless_equals_int (raw_status (reply), 413);
  reply = raw_exchange (port, head + "Content-Length: " + std::to_string (max + 1) + "\r\n\r\n" +
                                  std::string (max + 1, 'x'));
  fail_unless_equals_int (raw_status (reply), 413);
  /* Over, chunked (no length known in advance): the connection is cut
   * once over, not read to the end (it was read whole, then 413): 40 MB
   * more do not keep the server reading. */
  std::string chunk (40000, 'y');
  char size[32];
  g_snprintf (size, sizeof size, "%zx\r\n", chunk.size ());
  std::string endless = head + "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 1000; i++)
    endless += size + chunk + "\r\n";
  gint64 start = g_get_monotonic_time ();
  reply = raw_exchange (port, endless + "0\r\n\r\n");
  fail_unless_equals_int (raw_status (reply), 0);
  GST_INFO ("a 40 MB chunked body cut after %" G_GINT64_FORMAT " ms",
            (g_get_monotonic_time () - start) / 1000);
  /* Under, chunked: passed on. */
  reply = raw_exchange (port, head + "Transfer-Encoding: chunked\r\n\r\n" + size + chunk +
                                  "\r\n0\r\n\r\n");
  fail_unless_equals_int (raw_status (reply), 200);
  fail_unless_equals_int (ep.body_size (), chunk.size ());
  /* The endpoint never saw the refused bodies. */
  fail_unless_equals_int (ep.calls (), 2);

  server->remove_endpoint ("whep", "big");
}
GST_END_TEST;

GST_START_TEST (test_odd_requests)
{
  auto server = acquire ();
  guint port = server->port ();
  std::string error;
  TestEndpoint ep;
  fail_unless (server->add_endpoint ("whep", "live", &ep, error));
  const char *requests[] = {
      "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", /* no Host */
      "GET / HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a b c\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:99999999\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: user@evil:1\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
      "GET http://other.example HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET http://other.example/whep/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET ftp://x/whep/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET whep/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET // HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET /whep//live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET /whep/live//x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET /whep/%00/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET /whep/../whep/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET /view/%ff%fe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: localhost\r\nConnection: close\r\n\r\n",
      "GET /\r\n\r\n",
      "\r\n\r\n",
      "GARBAGE\r\n\r\n",
      "\x16\x03\x01\x02\x01\x01\x01\x01\xfc\x03\x03 not a TLS hello\r\n\r\n",
      "POST /whep/live HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\nConnection: "
      "close\r\n\r\n",
      "POST /whep/live HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\nConnection: "
      "close\r\n\r\n",
      "POST /whep/live HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999999999\r\n"
      "Connection: close\r\n\r\n",
      "POST /whep/live HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: "
      "close\r\n"
      "\r\nzz\r\nabc\r\n0\r\n\r\n",
      "POST /whep/live HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: "
      "close\r\n"
      "\r\nffffffffffffffffff\r\nabc\r\n",
      "POST /whep/live HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\nConnection: "
      "close\r\n"
      "\r\nabc",
      "GET / HTTP/1.1\r\nHost: localhost\r\nBad Header Line\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: localhost\r\nX: \x01\x02\xff\r\nConnection: close\r\n\r\n",
  };
  for (const char *req : requests) {
    std::string reply = raw_exchange (port, req, true);

    guint status = raw_status (reply);
    /* Whatever the answer, it is an HTTP answer or a closed connection. */
    fail_unless (status == 0 || (status >= 200 && status < 600), "'%s': %s", req, reply.c_str ());
  }
  /* Long request lines and many headers. */
  raw_exchange (port, "GET /" + std::string (100000, 'a') +
                          " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  std::string many = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  for (int i = 0; i < 2000; i++)
    many += "X-" + std::to_string (i) + ": " + std::string (50, 'v') + "\r\n";
  raw_exchange (port, many + "\r\n");
  /* Clients that go away: before sending anything, mid-headers, mid-body. */
  for (const char *partial :
       {"", "GET / HT", "POST /whep/live HTTP/1.1\r\nHost: localhost\r\n",
        "POST /whep/live HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n"
        "only part of it"}) {
    GSocketConnection *conn = raw_connect (port);
    fail_unless (conn != nullptr);
    raw_write (conn, partial);
    g_io_stream_close (G_IO_STREAM (conn), nullptr, nullptr);
    g_object_unref (conn);
  }
  /* Many connections at once, each sending half a request. */
  std::vector<GSocketConnection *> open;
  for (int i = 0; i < 50; i++) {
    GSocketConnection *conn = raw_connect (port);
    fail_unless (conn != nullptr);
    raw_write (conn, "GET /streams.json HTTP/1.1\r\nHo");
    open.push_back (conn);
  }
  /* The server still serves. */
  fail_unless_equals_int (raw_status (raw_get (port, "/streams.json")), 200);
  for (auto *conn : open) {
    g_io_stream_close (G_IO_STREAM (conn), nullptr, nullptr);
    g_object_unref (conn);
  }
  fail_unless_equals_int (raw_status (raw_get (port, "/")), 200);
  HttpReply r = http_request ("POST", server->base_url () + "/whep/live", "a/b", "ok");
  fail_unless_equals_int (r.status, 200);
  server->remove_endpoint ("whep", "live");
}
GST_END_TEST;

/* A body refused for its Content-Length (413) is not kept in memory while
 * libsoup reads it to the end. */
GST_START_TEST (test_refused_body_not_kept)
{
  auto server = acquire ();
  std::string error;
  TestEndpoint ep;
  fail_unless (server->add_endpoint ("whep", "big", &ep, error));
  const gsize mb = 256;
  long before = vm_hwm_kb ();
  GSocketConnection *conn = raw_connect (server->port ());
  fail_unless (conn != nullptr);
  raw_write (conn, "POST /whep/big HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Content-Type: application/sdp\r\nContent-Length: " +
                       std::to_string (mb << 20) + "\r\n\r\n");
  std::string block (1 << 20, 'x');
  for (gsize i = 0; i < mb; i++)
    raw_write (conn, block);
  std::string reply = raw_read_all (conn);
  g_io_stream_close (G_IO_STREAM (conn), nullptr, nullptr);
  g_object_unref (conn);
  fail_unless_equals_int (raw_status (reply), 413);
  fail_unless_equals_int (ep.calls (), 0);
  long grown = (vm_hwm_kb () - before) / 1024;
  fail_unless (grown < 64, "peak memory grew by %ld MB for a refused %zu MB body", grown, mb);
}
GST_END_TEST;

/* Slow clients and crowds (rtchttpguard.h): a request whose headers or
 * body do not come in time, and a kept-alive connection left idle, are
 * closed at the deadline; connections over the limit are closed at once,
 * and one closing makes room (issue 14, finding 10). */
GST_START_TEST (test_limits)
{
  auto server = acquire ();
  guint port = server->port ();
  rtc::HttpGuard::Limits limits;
  limits.max_connections = 4;
  limits.header_ms = 500;
  limits.body_ms = 1000;
  server->set_limits (limits);
  std::string error;
  TestEndpoint ep;
  fail_unless (server->add_endpoint ("whep", "live", &ep, error));
  /* (raw_exchange gives up after 10 s: without deadlines each took that) */
  auto closed_within = [port] (const std::string &request, gint64 max_us, std::string &reply) {
    gint64 start = g_get_monotonic_time ();
    reply = raw_exchange (port, request);
    return g_get_monotonic_time () - start < max_us;
  };
  std::string reply;
  fail_unless (closed_within ("GET /streams.json HTT", 5 * G_USEC_PER_SEC, reply));
  fail_unless (reply.empty (), "%s", reply.c_str ());
  fail_unless (closed_within ("POST /whep/live HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                              "application/sdp\r\nContent-Length: 100\r\n\r\nonly part",
                              5 * G_USEC_PER_SEC, reply));
  fail_unless_equals_int (raw_status (reply), 0);
  fail_unless_equals_int (ep.calls (), 0);
  /* The idle connection's descriptor is released (libsoup does not notice
   * a shutdown there: one leaked per idle connection before). */
  auto fds = [] {
    GDir *d = g_dir_open ("/proc/self/fd", 0, nullptr);
    int n = 0;
    while (g_dir_read_name (d))
      n++;
    g_dir_close (d);
    return n;
  };
  int before = fds ();
  fail_unless (closed_within ("GET /streams.json HTTP/1.1\r\nHost: localhost\r\n\r\n",
                              5 * G_USEC_PER_SEC, reply));
  fail_unless (wait_until ([&] { return fds () <= before; }, 5000), "%d descriptors, %d before",
               fds (), before);
  fail_unless_equals_int (raw_status (reply), 200);

  limits.header_ms = 20000;
  server->set_limits (limits);
  std::vector<GSocketConnection *> open;
  for (int i = 0; i < 4; i++) {
    GSocketConnection *conn = raw_connect (port);
    fail_unless (conn != nullptr);
    raw_write (conn, "GET /streams.json HT");
    open.push_back (conn);
  }
  g_usleep (300 * 1000);
  fail_unless_equals_int (raw_status (raw_get (port, "/streams.json")), 0);
  g_io_stream_close (G_IO_STREAM (open.back ()), nullptr, nullptr);
  g_object_unref (open.back ());
  open.pop_back ();
  fail_unless (
      wait_until ([&] { return raw_status (raw_get (port, "/streams.json")) == 200; }, 10000),
      "no room after a connection closed");
  for (auto *c : open) {
    g_io_stream_close (G_IO_STREAM (c), nullptr, nullptr);
    g_object_unref (c);
  }
  server->remove_endpoint ("whep", "live");
}
GST_END_TEST;

static Suite *rtchttpserver_input_suite (void)
{
  Suite *s = suite_create ("rtchttpserver_input");
  TCase *tc = tcase_create ("input");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_body_limit);
  tcase_add_test (tc, test_odd_requests);
  tcase_add_test (tc, test_refused_body_not_kept);
  tcase_add_test (tc, test_limits);
  return s;
}

int main (int argc, char **argv)
{
  /* The server is linked in; no plugin may be scanned or loaded. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtchttpserver_input_suite (), "rtchttpserver_input", __FILE__);
}

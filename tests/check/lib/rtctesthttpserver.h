/* The embedded HTTP server's tests (rtchttpserver*.cpp): a recording
 * endpoint, servers on free ports, raw GETs. */
#pragma once

#include <gst/check/gstcheck.h>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "rtchttpserver.h"
#include "rtctestsocket.h"

/* Records what reaches it and answers 200 "<method> <rest> <body bytes>".
 * With @hold set, it blocks the server thread until release() (or 20 s). */
class TestEndpoint : public rtc::HttpEndpoint {
public:
  void handle_request (SoupServerMessage *msg, const std::string &method, const std::string &rest,
                       GBytes *body) override
  {
    std::unique_lock<std::mutex> l (lock_);
    calls_++;
    method_ = method;
    rest_ = rest;
    body_size_ = g_bytes_get_size (body);
    thread_ = g_thread_self ();
    inside_ = true;
    cond_.notify_all ();
    if (hold_)
      cond_.wait_for (l, std::chrono::seconds (20), [this] { return !hold_; });
    inside_ = false;
    left_ = true;
    rtc::http_respond_text (msg, SOUP_STATUS_OK,
                            method + " " + rest + " " + std::to_string (body_size_));
  }
  void describe (JsonBuilder *b) override
  {
    json_builder_set_member_name (b, "test-member");
    json_builder_add_int_value (b, 42);
  }

  int calls ()
  {
    std::lock_guard<std::mutex> g (lock_);
    return calls_;
  }
  gsize body_size ()
  {
    std::lock_guard<std::mutex> g (lock_);
    return body_size_;
  }
  GThread *thread ()
  {
    std::lock_guard<std::mutex> g (lock_);
    return thread_;
  }
  void hold ()
  {
    std::lock_guard<std::mutex> g (lock_);
    hold_ = true;
  }
  bool wait_inside (guint timeout_ms)
  {
    std::unique_lock<std::mutex> l (lock_);
    return cond_.wait_for (l, std::chrono::milliseconds (timeout_ms), [this] { return inside_; });
  }
  bool left ()
  {
    std::lock_guard<std::mutex> g (lock_);
    return left_;
  }
  void release ()
  {
    std::lock_guard<std::mutex> g (lock_);
    hold_ = false;
    cond_.notify_all ();
  }

private:
  std::mutex lock_;
  std::condition_variable cond_;
  int calls_ = 0;
  std::string method_, rest_;
  gsize body_size_ = 0;
  GThread *thread_ = nullptr;
  bool hold_ = false, inside_ = false, left_ = false;
};

inline std::shared_ptr<rtc::HttpServer> acquire (guint port = 0)
{
  std::string error;
  auto server = rtc::HttpServer::acquire ("127.0.0.1", port, rtc::HttpServer::Tls (), error);
  fail_unless (server != nullptr, "acquire 127.0.0.1:%u: %s", port, error.c_str ());
  return server;
}

/* A socket listening on a free port of 127.0.0.1: someone else's server. */
inline GSocket *listen_on_free_port (guint &port)
{
  GSocket *sock =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  fail_unless (g_socket_bind (sock, addr, TRUE, nullptr) && g_socket_listen (sock, nullptr));
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (sock, nullptr);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  return sock;
}

/* A free TCP port on 127.0.0.1 (listened on once, then released). */
inline guint free_port ()
{
  guint port = 0;
  g_autoptr (GSocket) sock = listen_on_free_port (port);
  g_socket_close (sock, nullptr);
  return port;
}

inline std::string raw_get (guint port, const std::string &path)
{
  return raw_exchange (port,
                       "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

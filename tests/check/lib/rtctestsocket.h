/* Raw HTTP over a plain TCP connection, for requests no HTTP client would
 * send (odd Host headers, cut bodies, clients that go away). Blocking, with
 * a 10 s I/O timeout; loopback only. */
#pragma once

#include <gio/gio.h>
#include <string>

/* A connection to 127.0.0.1:@port (nullptr when refused). */
inline GSocketConnection *raw_connect (guint port)
{
  GSocketClient *client = g_socket_client_new ();
  g_socket_client_set_timeout (client, 10);
  GSocketConnection *conn =
      g_socket_client_connect_to_host (client, "127.0.0.1", port, nullptr, nullptr);
  g_object_unref (client);
  return conn;
}

inline bool raw_write (GSocketConnection *conn, const std::string &bytes)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  return g_output_stream_write_all (out, bytes.data (), bytes.size (), nullptr, nullptr, nullptr);
}

/* Everything the server sends until it closes the connection (or the
 * timeout). */
inline std::string raw_read_all (GSocketConnection *conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  std::string out;
  char buf[4096];
  for (;;) {
    gssize n = g_input_stream_read (in, buf, sizeof buf, nullptr, nullptr);
    if (n <= 0)
      break;
    out.append (buf, n);
  }
  return out;
}

/* Sends @request on a new connection and returns the whole reply ("" when
 * the connection was refused or closed without one). With @half_close, the
 * client then shuts its sending side: a server waiting for more of a cut
 * request sees the end at once. */
inline std::string raw_exchange (guint port, const std::string &request, bool half_close = false)
{
  GSocketConnection *conn = raw_connect (port);
  if (!conn)
    return "";
  raw_write (conn, request);
  if (half_close)
    g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE, nullptr);
  std::string reply = raw_read_all (conn);
  g_io_stream_close (G_IO_STREAM (conn), nullptr, nullptr);
  g_object_unref (conn);
  return reply;
}

/* The status code of a raw reply, 0 when there is none. */
inline guint raw_status (const std::string &reply)
{
  if (reply.compare (0, 5, "HTTP/") != 0)
    return 0;
  auto space = reply.find (' ');
  return space == std::string::npos
             ? 0
             : (guint)g_ascii_strtoull (reply.c_str () + space + 1, nullptr, 10);
}

/* Whether something accepts connections on 127.0.0.1:@port. */
inline bool raw_can_connect (guint port)
{
  GSocketConnection *conn = raw_connect (port);
  if (!conn)
    return false;
  g_io_stream_close (G_IO_STREAM (conn), nullptr, nullptr);
  g_object_unref (conn);
  return true;
}

/* RtcHttpClient (see the header). */
#include "rtchttpclient.h"

#include <glib.h>

namespace rtc {

namespace {

const gsize READ_CHUNK = 16 * 1024;

struct Read {
  SoupMessage *msg;
  GInputStream *stream = nullptr;
  GByteArray *body;
  gsize max_body;

  Read (SoupMessage *m, gsize max) : msg (SOUP_MESSAGE (g_object_ref (m))), max_body (max)
  {
    body = g_byte_array_new ();
  }
  ~Read ()
  {
    g_clear_object (&stream);
    g_byte_array_unref (body);
    g_object_unref (msg);
  }
};

void read_more (GTask *task);

void too_large (GTask *task, gsize max_body)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                           "the response body is over %" G_GSIZE_FORMAT " bytes", max_body);
  g_object_unref (task);
}

void on_read (GObject *source, GAsyncResult *res, gpointer data)
{
  auto task = G_TASK (data);
  auto r = static_cast<Read *> (g_task_get_task_data (task));
  GError *error = nullptr;
  GBytes *chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, &error);
  if (!chunk) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  gsize len = 0;
  const guint8 *bytes = static_cast<const guint8 *> (g_bytes_get_data (chunk, &len));
  if (len == 0) {
    g_bytes_unref (chunk);
    g_task_return_pointer (task, g_byte_array_free_to_bytes (g_byte_array_ref (r->body)),
                           (GDestroyNotify)g_bytes_unref);
    g_object_unref (task);
    return;
  }
  if (r->body->len + len > r->max_body) {
    g_bytes_unref (chunk);
    too_large (task, r->max_body);
    return;
  }
  g_byte_array_append (r->body, bytes, (guint)len);
  g_bytes_unref (chunk);
  read_more (task);
}

void read_more (GTask *task)
{
  auto r = static_cast<Read *> (g_task_get_task_data (task));
  /* One byte past the bound is enough to know the body is over it. */
  gsize want = MIN (READ_CHUNK, r->max_body - r->body->len + 1);
  g_input_stream_read_bytes_async (r->stream, want, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_read, task);
}

void on_sent (GObject *source, GAsyncResult *res, gpointer data)
{
  auto task = G_TASK (data);
  auto r = static_cast<Read *> (g_task_get_task_data (task));
  GError *error = nullptr;
  r->stream = soup_session_send_finish (SOUP_SESSION (source), res, &error);
  if (!r->stream) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  goffset length =
      soup_message_headers_get_content_length (soup_message_get_response_headers (r->msg));
  if (length > 0 && (guint64)length > r->max_body) {
    too_large (task, r->max_body);
    return;
  }
  read_more (task);
}

bool parse (const std::string &url, GUri *&uri)
{
  uri = g_uri_parse (url.c_str (), GUriFlags (SOUP_HTTP_URI_FLAGS), nullptr);
  return uri != nullptr;
}

int port_of (GUri *uri)
{
  int port = g_uri_get_port (uri);
  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

} // namespace

void http_send_capped (SoupSession *session, SoupMessage *msg, gsize max_body,
                       GCancellable *cancellable, GAsyncReadyCallback callback, gpointer data)
{
  GTask *task = g_task_new (session, cancellable, callback, data);
  g_task_set_task_data (task, new Read (msg, max_body),
                        [] (gpointer p) { delete static_cast<Read *> (p); });
  soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, cancellable, on_sent, task);
}

GBytes *http_send_capped_finish (GAsyncResult *res, GError **error)
{
  return static_cast<GBytes *> (g_task_propagate_pointer (G_TASK (res), error));
}

SoupMessage *http_capped_message (GAsyncResult *res)
{
  return static_cast<Read *> (g_task_get_task_data (G_TASK (res)))->msg;
}

bool http_same_origin (const std::string &a, const std::string &b)
{
  GUri *ua = nullptr, *ub = nullptr;
  if (!parse (a, ua))
    return false;
  if (!parse (b, ub)) {
    g_uri_unref (ua);
    return false;
  }
  bool same = g_ascii_strcasecmp (g_uri_get_scheme (ua), g_uri_get_scheme (ub)) == 0 &&
              g_ascii_strcasecmp (g_uri_get_host (ua), g_uri_get_host (ub)) == 0 &&
              port_of (ua) == port_of (ub);
  g_uri_unref (ua);
  g_uri_unref (ub);
  return same;
}

bool http_downgrades (const std::string &from, const std::string &to)
{
  return g_ascii_strncasecmp (from.c_str (), "https:", 6) == 0 &&
         g_ascii_strncasecmp (to.c_str (), "https:", 6) != 0;
}

std::string http_parse_ice_links (const char *links)
{
  if (!links)
    return {};
  std::string out;
  GSList *items = soup_header_parse_list (links);
  for (GSList *l = items; l; l = l->next) {
    std::string item = static_cast<const char *> (l->data);
    auto open = item.find ('<'), close = item.find ('>');
    if (open == std::string::npos || close == std::string::npos || close < open)
      continue;
    std::string target = item.substr (open + 1, close - open - 1);
    GHashTable *params = soup_header_parse_semi_param_list (item.c_str () + close + 1);
    auto param = [params] (const char *name) -> std::string {
      auto v = static_cast<const char *> (g_hash_table_lookup (params, name));
      return v ? v : "";
    };
    if (param ("rel") == "ice-server") {
      auto colon = target.find (':');
      std::string scheme = colon == std::string::npos ? "" : target.substr (0, colon);
      std::string rest = colon == std::string::npos ? "" : target.substr (colon + 1);
      std::string url;
      if (scheme == "stun" || scheme == "stuns") {
        url = scheme + "://" + rest;
      } else if (scheme == "turn" || scheme == "turns") {
        g_autofree gchar *user = g_uri_escape_string (param ("username").c_str (), nullptr, FALSE);
        g_autofree gchar *pass =
            g_uri_escape_string (param ("credential").c_str (), nullptr, FALSE);
        url = scheme + "://" + user + ":" + pass + "@" + rest;
      }
      if (!url.empty ())
        out += (out.empty () ? "" : ",") + url;
    }
    g_hash_table_destroy (params);
  }
  soup_header_free_list (items);
  return out;
}

} // namespace rtc

/* Blocking HTTP requests for the tests (libsoup 3). */
#pragma once

#include <libsoup/soup.h>
#include <map>
#include <string>

struct HttpReply {
  guint status = 0;
  std::string body;
  std::map<std::string, std::string> headers; /* lower-case names; repeats joined by ", " */
  std::string header (const std::string &name) const
  {
    auto it = headers.find (name);
    return it == headers.end () ? "" : it->second;
  }
};

inline HttpReply http_request (const std::string &method, const std::string &url,
                               const std::string &content_type = "", const std::string &body = "",
                               const std::map<std::string, std::string> &extra = {})
{
  HttpReply r;
  SoupSession *session = soup_session_new_with_options ("timeout", 30, nullptr);
  SoupMessage *msg = soup_message_new (method.c_str (), url.c_str ());
  if (!content_type.empty () || !body.empty ()) {
    GBytes *b = g_bytes_new (body.data (), body.size ());
    soup_message_set_request_body_from_bytes (
        msg, content_type.empty () ? nullptr : content_type.c_str (), b);
    g_bytes_unref (b);
  }
  for (auto &kv : extra)
    soup_message_headers_replace (soup_message_get_request_headers (msg), kv.first.c_str (),
                                  kv.second.c_str ());
  GBytes *resp = soup_session_send_and_read (session, msg, nullptr, nullptr);
  r.status = soup_message_get_status (msg);
  if (resp) {
    gsize len;
    const char *d = static_cast<const char *> (g_bytes_get_data (resp, &len));
    r.body.assign (d ? d : "", len);
    g_bytes_unref (resp);
  }
  SoupMessageHeadersIter it;
  const char *name, *value;
  soup_message_headers_iter_init (&it, soup_message_get_response_headers (msg));
  while (soup_message_headers_iter_next (&it, &name, &value)) {
    gchar *lower = g_ascii_strdown (name, -1);
    std::string &slot = r.headers[lower];
    slot += (slot.empty () ? "" : ", ") + std::string (value); /* repeated headers join */
    g_free (lower);
  }
  g_object_unref (msg);
  g_object_unref (session);
  return r;
}

inline std::string read_fixture (const std::string &relative)
{
  gchar *text = nullptr;
  gsize len = 0;
  std::string path = std::string (FIXTURES_DIR) + "/" + relative;
  if (!g_file_get_contents (path.c_str (), &text, &len, nullptr))
    return "";
  std::string s (text, len);
  g_free (text);
  return s;
}

/* The password a TURN server with use-auth-secret expects for @username
 * (coturn: base64(HMAC-SHA1(static-auth-secret, username))), computed here
 * on its own to check the element's. */
inline std::string turn_rest_password (const std::string &secret, const std::string &username)
{
  guint8 digest[20];
  gsize len = sizeof digest;
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *)secret.data (), secret.size ());
  g_hmac_update (hmac, (const guchar *)username.data (), username.size ());
  g_hmac_get_digest (hmac, digest, &len);
  g_hmac_unref (hmac);
  gchar *b64 = g_base64_encode (digest, len);
  std::string out = b64;
  g_free (b64);
  return out;
}

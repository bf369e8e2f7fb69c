/* See rtcturn.h. */
#include "rtcturn.h"

#include <vector>

namespace rtc {

GParamSpec *turn_secret_spec (GParamFlags extra)
{
  return g_param_spec_string (
      "turn-secret", "TURN secret",
      "Secret shared with the TURN servers of turn-servers (coturn's static-auth-secret): "
      "each peer gets short-lived credentials of its own for those without user:password "
      "(write-only; NULL = use the credentials in the URLs)",
      nullptr, GParamFlags (G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | extra));
}

GParamSpec *turn_credential_lifetime_spec (GParamFlags extra)
{
  return g_param_spec_uint ("turn-credential-lifetime", "TURN credential lifetime",
                            "Seconds the credentials made from turn-secret stay valid (a "
                            "session that outlives them loses its relay)",
                            60, G_MAXINT32, DEFAULT_TURN_CREDENTIAL_LIFETIME_S,
                            GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | extra));
}

void install_turn_secret_properties (GObjectClass *klass, guint secret_id, guint lifetime_id)
{
  g_object_class_install_property (klass, secret_id, turn_secret_spec ());
  g_object_class_install_property (klass, lifetime_id, turn_credential_lifetime_spec ());
}

TurnCredentials turn_rest_credentials (const std::string &secret, guint lifetime_s,
                                       const std::string &label, gint64 now_s)
{
  TurnCredentials c;
  c.username = std::to_string (now_s + lifetime_s) + ":" + label;
  /* GLib's HMAC gives the digest as hex; base64 wants the bytes. */
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *)secret.data (), secret.size ());
  g_hmac_update (hmac, (const guchar *)c.username.data (), c.username.size ());
  guint8 digest[20];
  gsize len = sizeof digest;
  g_hmac_get_digest (hmac, digest, &len);
  g_hmac_unref (hmac);
  gchar *b64 = g_base64_encode (digest, len);
  c.password = b64;
  g_free (b64);
  return c;
}

bool is_turn_url (const std::string &url)
{
  return g_str_has_prefix (url.c_str (), "turn:") || g_str_has_prefix (url.c_str (), "turns:");
}

std::string turn_rest_fill (const std::string &servers, const std::string &secret, guint lifetime_s,
                            const std::string &label)
{
  if (secret.empty ())
    return servers;
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  std::string out;
  gchar **list = g_strsplit (servers.c_str (), ",", -1);
  for (guint i = 0; list[i]; i++) {
    std::string url = g_strstrip (list[i]);
    if (url.empty ())
      continue;
    GUri *uri =
        is_turn_url (url) ? g_uri_parse (url.c_str (), G_URI_FLAGS_HAS_PASSWORD, nullptr) : nullptr;
    if (uri && g_uri_get_host (uri) && !g_uri_get_user (uri)) {
      TurnCredentials c = turn_rest_credentials (secret, lifetime_s, label, now_s);
      gchar *user = g_uri_escape_string (c.username.c_str (), nullptr, FALSE);
      gchar *password = g_uri_escape_string (c.password.c_str (), nullptr, FALSE);
      std::string host = g_uri_get_host (uri);
      if (host.find (':') != std::string::npos)
        host = "[" + host + "]";
      gint port = g_uri_get_port (uri);
      const char *query = g_uri_get_query (uri);
      url = std::string (g_uri_get_scheme (uri)) + "://" + user + ":" + password + "@" + host +
            (port > 0 ? ":" + std::to_string (port) : "") +
            (query ? std::string ("?") + query : "");
      g_free (user);
      g_free (password);
    }
    if (uri)
      g_uri_unref (uri);
    out += (out.empty () ? "" : ",") + url;
  }
  g_strfreev (list);
  return out;
}

} // namespace rtc

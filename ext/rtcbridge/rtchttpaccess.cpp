/* See rtchttpaccess.h. */
#include "rtchttpaccess.h"
#include "rtcturn.h"

#include "rtchttpserver.h"
#include "rtcsdp.h"

#include <cstring>
#include <map>
#include <mutex>

GST_DEBUG_CATEGORY_STATIC (rtc_http_access_debug);
#define GST_CAT_DEFAULT rtc_http_access_debug

namespace rtc {

static void ensure_debug ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_http_access_debug, "rtchttpaccess", 0,
                             "HTTP signalling access control");
    g_once_init_leave (&once, 1);
  }
}

/* Whether @origin (present) may use the endpoint under @allowed. */
static bool origin_allowed (SoupMessageHeaders *req, const char *origin, const std::string &allowed)
{
  if (allowed == "*")
    return true;
  if (allowed.empty ()) {
    /* Same origin: the page came from this server (the Host it asks). */
    const char *host = soup_message_headers_get_one (req, "Host");
    const char *rest = g_str_has_prefix (origin, "https://")  ? origin + 8
                       : g_str_has_prefix (origin, "http://") ? origin + 7
                                                              : nullptr;
    return host && rest && g_ascii_strcasecmp (rest, host) == 0;
  }
  bool ok = false;
  g_auto (GStrv) list = g_strsplit (allowed.c_str (), ",", -1);
  for (guint i = 0; list[i] && !ok; i++)
    ok = g_str_equal (g_strstrip (list[i]), origin);
  return ok;
}

void http_add_cors (SoupServerMessage *msg, const std::string &allowed)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (req, "Origin");
  if (allowed == "*")
    soup_message_headers_replace (resp, "Access-Control-Allow-Origin", "*");
  else if (origin && origin_allowed (req, origin, allowed))
    soup_message_headers_replace (resp, "Access-Control-Allow-Origin", origin),
        soup_message_headers_append (resp, "Vary", "Origin");
  soup_message_headers_replace (resp, "Access-Control-Expose-Headers",
                                "Location, ETag, Link, Accept-Patch, Accept-Post, Retry-After");
}

std::vector<IceServer> parse_ice_servers (const std::string &servers, GstObject *log_object)
{
  ensure_debug ();
  std::vector<IceServer> out;
  g_auto (GStrv) list = g_strsplit (servers.c_str (), ",", -1);
  for (guint i = 0; list[i]; i++) {
    std::string url = g_strstrip (list[i]);
    if (url.empty ())
      continue;
    GUri *uri = g_uri_parse (url.c_str (), G_URI_FLAGS_HAS_PASSWORD, nullptr);
    if (!uri || !g_uri_get_host (uri)) {
      if (uri)
        g_uri_unref (uri);
      GST_WARNING_OBJECT (log_object, "ICE server %s is not a URL; not announced", url.c_str ());
      continue;
    }
    std::string host = g_uri_get_host (uri);
    if (host.find (':') != std::string::npos)
      host = "[" + host + "]";
    gint port = g_uri_get_port (uri);
    IceServer server;
    server.url = std::string (g_uri_get_scheme (uri)) + ":" + host +
                 (port > 0 ? ":" + std::to_string (port) : "");
    /* "?transport=tcp" (RFC 7065) tells the peer how to reach a TURN server. */
    if (const char *query = g_uri_get_query (uri))
      server.url += std::string ("?") + query;
    const char *user = g_uri_get_user (uri);
    const char *password = g_uri_get_password (uri);
    if (user && password) {
      g_autofree gchar *u = g_uri_unescape_string (user, nullptr);
      g_autofree gchar *p = g_uri_unescape_string (password, nullptr);
      server.username = u ? u : user;
      server.credential = p ? p : password;
    }
    out.push_back (std::move (server));
    g_uri_unref (uri);
  }
  return out;
}

/* RFC 9725 section 4.6: one Link header per configured ICE server. */
void http_add_ice_server_links (SoupMessageHeaders *resp, const std::string &servers,
                                GstObject *log_object, bool with_credentials)
{
  for (auto &server : parse_ice_servers (servers, log_object)) {
    /* Unauthenticated (OPTIONS): no credentials, and no TURN server (a
     * browser refuses one without them: it gets its credentials in the
     * 201). */
    if (!with_credentials &&
        (!server.username.empty () || !server.credential.empty () || is_turn_url (server.url)))
      continue;
    std::string value = "<" + server.url + ">; rel=\"ice-server\"";
    if (!server.username.empty () || !server.credential.empty ())
      value += "; username=\"" + server.username + "\"; credential=\"" + server.credential +
               "\"; credential-type=\"password\"";
    soup_message_headers_append (resp, "Link", value.c_str ());
  }
}

static bool loopback_host (const std::string &host_port)
{
  std::string host = host_port;
  if (!host.empty () && host[0] == '[') {
    size_t end = host.find (']');
    host = end == std::string::npos ? "" : host.substr (1, end - 1);
  } else if (host.find (':') != std::string::npos && host.find (':') == host.rfind (':')) {
    host = host.substr (0, host.find (':'));
  }
  if (host.empty ())
    return false;
  if (g_ascii_strcasecmp (host.c_str (), "localhost") == 0)
    return true;
  if (host.size () > 10 &&
      g_ascii_strcasecmp (host.c_str () + host.size () - 10, ".localhost") == 0)
    return true;
  GInetAddress *address = g_inet_address_new_from_string (host.c_str ());
  bool loopback = address && g_inet_address_get_is_loopback (address);
  if (address)
    g_object_unref (address);
  return loopback;
}

bool http_is_loopback (const std::string &address)
{
  return loopback_host (address.find (':') != address.rfind (':') ? "[" + address + "]" : address);
}

bool http_check_loopback_host (SoupServerMessage *msg)
{
  const char *host =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Host");
  if (!host || loopback_host (host))
    return true;
  http_respond_text (msg, SOUP_STATUS_FORBIDDEN,
                     "this server listens on loopback and answers only requests for localhost "
                     "or a loopback address (DNS rebinding protection)");
  return false;
}

namespace {

const gsize MAX_ADDRESSES = 4096; /* tracked at once, per counter; the calmest go first */

/* Events per client address, each count draining at @per_second (a leaky
 * bucket per address), for the whole process. */
class AddressCounter {
public:
  explicit AddressCounter (double per_second) : per_second_ (per_second) {}

  /* One more event from @who; returns its count now. */
  double add (const std::string &who, gint64 now)
  {
    std::lock_guard<std::mutex> g (lock_);
    if (map_.size () >= MAX_ADDRESSES && !map_.count (who)) {
      for (auto it = map_.begin (); it != map_.end ();)
        it = drained (it->second, now) < 1 ? map_.erase (it) : std::next (it);
      if (map_.size () >= MAX_ADDRESSES)
        map_.erase (map_.begin ());
    }
    Bucket &b = map_[who];
    drained (b, now);
    return b.count += 1;
  }

  double count (const std::string &who, gint64 now)
  {
    std::lock_guard<std::mutex> g (lock_);
    auto it = map_.find (who);
    return it == map_.end () ? 0 : drained (it->second, now);
  }

private:
  struct Bucket {
    double count = 0;
    gint64 at_us = 0;
  };
  double drained (Bucket &b, gint64 now)
  {
    b.count = MAX (0.0, b.count - (now - b.at_us) / 1e6 * per_second_);
    b.at_us = now;
    return b.count;
  }

  const double per_second_;
  std::mutex lock_;
  std::map<std::string, Bucket> map_;
};

const double FAILURES_PER_MINUTE = 20;
AddressCounter &failures ()
{
  static auto *counter = new AddressCounter (FAILURES_PER_MINUTE / 60);
  return *counter;
}

AddressCounter &offers ()
{
  static auto *counter = new AddressCounter (OFFERS_PER_SECOND);
  return *counter;
}

std::string remote_of (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);
  return host ? host : "";
}

} // namespace

void http_count_failure (SoupServerMessage *msg)
{
  failures ().add (remote_of (msg), g_get_monotonic_time ());
}

bool http_throttled (SoupServerMessage *msg)
{
  double count = failures ().count (remote_of (msg), g_get_monotonic_time ());
  /* (20 failures in a burst have drained a little: over 19 is 20.) */
  if (count <= FAILURES_PER_MINUTE - 1)
    return false;
  guint wait_s = (guint)((count - FAILURES_PER_MINUTE + 1) * 60 / FAILURES_PER_MINUTE) + 1;
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                std::to_string (wait_s).c_str ());
  http_respond_text (msg, 429 /* Too Many Requests */,
                     "too many failed attempts from this address: retry later");
  return true;
}

bool http_offers_limited (SoupServerMessage *msg)
{
  std::string who = remote_of (msg);
  if (http_is_loopback (who))
    return false;
  /* (A refused offer is not counted: Retry-After stays true.) */
  gint64 now = g_get_monotonic_time ();
  if (offers ().count (who, now) + 1 <= OFFERS_BURST) {
    offers ().add (who, now);
    return false;
  }
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
  http_respond_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                     "too many offers from this address: retry later");
  return true;
}

bool http_check_access (SoupServerMessage *msg, const std::string &token,
                        const std::string &allowed)
{
  HttpAccess access;
  access.token = token;
  access.allowed_origins = allowed;
  unsigned granted = 0;
  return http_check_access (msg, access, 0, granted);
}

bool token_admits (const std::string &presented, const std::string &token, const JwtCheck &jwt,
                   unsigned &granted, std::string &why)
{
  granted = 0;
  if (!token.empty () && secret_equal (presented, token)) {
    granted = PERMIT_ALL;
    return true;
  }
  if (jwt.key.empty ()) {
    why = "wrong token";
    return false;
  }
  return jwt_verify (presented, jwt, g_get_real_time () / G_USEC_PER_SEC, granted, why);
}

static void refuse_bearer (SoupServerMessage *msg, const std::string &why)
{
  http_count_failure (msg);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate",
                                "Bearer");
  http_respond_text (msg, SOUP_STATUS_UNAUTHORIZED, why);
}

bool http_check_access (SoupServerMessage *msg, const HttpAccess &access, unsigned needed,
                        unsigned &granted)
{
  granted = 0;
  const std::string &allowed = access.allowed_origins;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const char *origin = soup_message_headers_get_one (req, "Origin");
  if (origin && !origin_allowed (req, origin, allowed)) {
    http_respond_text (msg, SOUP_STATUS_FORBIDDEN,
                       std::string ("origin ") + origin +
                           (allowed.empty () ? " is not allowed (only this server's own pages: set "
                                               "allowed-origins)"
                                             : " is not allowed"));
    return false;
  }
  if (http_throttled (msg))
    return false;
  if (access.token.empty () && access.jwt.key.empty ()) {
    granted = PERMIT_ALL;
    return true;
  }
  const char *auth = soup_message_headers_get_one (req, "Authorization");
  if (!auth) {
    refuse_bearer (msg, "a bearer token is required");
    return false;
  }
  std::string why;
  if (!g_str_has_prefix (auth, "Bearer ") ||
      !token_admits (auth + strlen ("Bearer "), access.token, access.jwt, granted, why)) {
    refuse_bearer (msg, why.empty () || why == "wrong token" ? "wrong bearer token" : why);
    return false;
  }
  if ((granted & needed) != needed) {
    http_respond_text (msg, SOUP_STATUS_FORBIDDEN,
                       "the token does not permit " + permissions_string (needed & ~granted));
    return false;
  }
  return true;
}

std::string http_media_type (SoupServerMessage *msg)
{
  const char *ct = soup_message_headers_get_content_type (
      soup_server_message_get_request_headers (msg), nullptr);
  return ct ? ct : "";
}

GstSDPMessage *http_read_sdp_offer (SoupServerMessage *msg, GBytes *body)
{
  if (http_media_type (msg) != "application/sdp") {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Accept-Post",
                                  "application/sdp");
    http_respond_text (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                       "Content-Type must be application/sdp");
    return nullptr;
  }
  gsize len = 0;
  const guint8 *data = static_cast<const guint8 *> (g_bytes_get_data (body, &len));
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new (&sdp);
  std::string error;
  if (len == 0 || gst_sdp_message_parse_buffer (data, len, sdp) != GST_SDP_OK ||
      !sdp_validate_offer (sdp, error)) {
    gst_sdp_message_free (sdp);
    http_respond_text (msg, SOUP_STATUS_BAD_REQUEST,
                       "malformed SDP offer" + (error.empty () ? "" : ": " + error));
    return nullptr;
  }
  return sdp;
}

bool random_secret (std::string &out, gsize n_bytes)
{
  guint8 bytes[64];
  if (n_bytes > sizeof bytes)
    return false;
  g_autoptr (GFile) file = g_file_new_for_path ("/dev/urandom");
  g_autoptr (GFileInputStream) in = g_file_read (file, nullptr, nullptr);
  gsize n = 0;
  if (!in || !g_input_stream_read_all (G_INPUT_STREAM (in), bytes, n_bytes, &n, nullptr, nullptr) ||
      n != n_bytes)
    return false;
  g_input_stream_close (G_INPUT_STREAM (in), nullptr, nullptr);
  static const char hex[] = "0123456789abcdef";
  out.clear ();
  for (gsize i = 0; i < n_bytes; i++) {
    out += hex[bytes[i] >> 4];
    out += hex[bytes[i] & 0xf];
  }
  return true;
}

bool secret_equal (const std::string &a, const std::string &b)
{
  gsize n = MAX (a.size (), b.size ());
  gsize diff = a.size () ^ b.size ();
  for (gsize i = 0; i < n; i++)
    diff |= (gsize)((i < a.size () ? (guint8)a[i] : 0) ^ (i < b.size () ? (guint8)b[i] : 0));
  return diff == 0;
}

} // namespace rtc

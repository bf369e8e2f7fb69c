/* See rtcroomwhip.h. */
#include "rtcroomwhip.h"

#include "rtchttpaccess.h"
#include "rtchttpauthorize.h"
#include "rtcroomprotocol.h"

namespace rtc {

namespace {

const char *const DEFAULT_NAME = "WHIP";

/* The display name from ?name= (a name is no secret), or DEFAULT_NAME. */
std::string display_name (SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = uri ? g_uri_get_query (uri) : nullptr;
  std::string name = DEFAULT_NAME;
  if (!query)
    return name;
  GHashTable *params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, nullptr);
  if (!params)
    return name;
  auto v = static_cast<const char *> (g_hash_table_lookup (params, "name"));
  if (v && *v && g_utf8_validate (v, -1, nullptr) &&
      g_utf8_strlen (v, -1) <= (glong)room::MAX_NAME_CHARS)
    name = v;
  g_hash_table_unref (params);
  return name;
}

} // namespace

void RoomWhipEndpoint::handle_request (SoupServerMessage *msg, const std::string &method,
                                       const std::string &rest, GBytes *body)
{
  Access a = access_ ();
  http_add_cors (msg, a.allowed_origins);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  bool on_session = !rest.empty () && rest != "/";
  const char *allow = on_session ? "DELETE, OPTIONS" : "POST, OPTIONS";
  if (method == "OPTIONS") {
    soup_message_headers_replace (resp, "Access-Control-Allow-Methods", allow);
    soup_message_headers_replace (resp, "Access-Control-Allow-Headers",
                                  "Authorization, Content-Type");
    soup_message_headers_replace (resp, "Access-Control-Max-Age", "600");
    if (!on_session)
      soup_message_headers_replace (resp, "Accept-Post", "application/sdp");
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return;
  }
  bool known = on_session ? method == "DELETE" : method == "POST";
  if (!known) {
    soup_message_headers_replace (resp, "Allow", allow);
    http_respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                       method + " is not allowed here: POST an SDP offer to /whip-room/" +
                           a.room_name +
                           ", DELETE the session URL to leave (no trickle: "
                           "put your candidates in the offer)");
    return;
  }
  HttpAccess access;
  access.token = a.token;
  access.allowed_origins = a.allowed_origins;
  access.jwt.key = a.jwt_key;
  access.jwt.algorithm = a.jwt_algorithm;
  access.jwt.audience = a.room_name;
  access.jwt.implied = PERMIT_VIEW | PERMIT_PUBLISH;
  unsigned granted = 0;
  if (!http_check_access (msg, access, PERMIT_PUBLISH, granted) ||
      !http_authorize (authorizer_, msg, method, a.room_name, PERMIT_PUBLISH, granted))
    return;
  RoomHub *hub = hub_ ();
  if (!hub) {
    http_respond_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "the room is not running");
    return;
  }
  if (!on_session) {
    if (http_offers_limited (msg))
      return;
    hub->whip_offer (msg, body, display_name (msg), "/whip-room/" + a.room_name);
    return;
  }
  if (hub->whip_delete (rest.substr (1)))
    soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
  else {
    http_count_failure (msg);
    http_respond_text (msg, SOUP_STATUS_NOT_FOUND, "no such session");
  }
}

} // namespace rtc

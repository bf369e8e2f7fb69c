/* See rtcjwt.h. */
#include "rtcjwt.h"

#include <json-glib/json-glib.h>
#include <jwt.h>
#include <cmath>
#include <cstdlib>
#include <memory>

namespace rtc {

namespace {

const struct {
  const char *name;
  unsigned bit;
} NAMES[] = {{"view", PERMIT_VIEW}, {"publish", PERMIT_PUBLISH}, {"control", PERMIT_CONTROL}};

/* Tokens arrive in an Authorization header; nothing real is this long. */
const size_t MAX_TOKEN_CHARS = 8192;
/* Clocks of the token's issuer and ours may differ by this much. */
const gint64 LEEWAY_S = 30;

struct JwtFree {
  void operator() (jwt_t *j) const { jwt_free (j); }
};

/* A numeric date claim ("exp", "nbf"): false when absent or not a number. */
bool date_claim (JsonObject *claims, const char *name, gint64 &out)
{
  JsonNode *n = json_object_get_member (claims, name);
  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return false;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_INT64) {
    out = json_node_get_int (n);
    return true;
  }
  if (t == G_TYPE_DOUBLE) {
    double d = json_node_get_double (n);
    if (!std::isfinite (d) || std::abs (d) > 1e15)
      return false;
    out = (gint64)d;
    return true;
  }
  return false;
}

bool names_audience (JsonObject *claims, const std::string &audience)
{
  JsonNode *n = json_object_get_member (claims, "aud");
  if (!n)
    return false;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return audience == json_node_get_string (n);
  if (!JSON_NODE_HOLDS_ARRAY (n))
    return false;
  JsonArray *a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a) && i < 64; i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING &&
        audience == json_node_get_string (e))
      return true;
  }
  return false;
}

} // namespace

unsigned permission_of (const std::string &name)
{
  for (auto &n : NAMES)
    if (name == n.name)
      return n.bit;
  return 0;
}

bool permissions_parse (const std::string &list, unsigned &out)
{
  out = 0;
  g_auto (GStrv) parts = g_strsplit (list.c_str (), ",", -1);
  for (guint i = 0; parts[i]; i++) {
    std::string p = g_strstrip (parts[i]);
    if (p.empty ())
      continue;
    unsigned bit = permission_of (p);
    if (!bit)
      return false;
    out |= bit;
  }
  return true;
}

std::string permissions_string (unsigned permissions)
{
  std::string out;
  for (auto &n : NAMES)
    if (permissions & n.bit)
      out += (out.empty () ? "" : ",") + std::string (n.name);
  return out;
}

bool jwt_algorithm_supported (const std::string &algorithm)
{
  return algorithm == "HS256" || algorithm == "ES256";
}

bool jwt_verify (const std::string &token, const JwtCheck &check, gint64 now_s,
                 unsigned &permissions, std::string &error)
{
  permissions = 0;
  if (!jwt_algorithm_supported (check.algorithm) || check.key.empty ()) {
    error = "the server's JWT verification is not configured";
    return false;
  }
  if (token.empty () || token.size () > MAX_TOKEN_CHARS) {
    error = "not a JWT";
    return false;
  }
  jwt_t *raw = nullptr;
  int rc =
      jwt_decode (&raw, token.c_str (), reinterpret_cast<const unsigned char *> (check.key.data ()),
                  (int)check.key.size ());
  std::unique_ptr<jwt_t, JwtFree> jwt (raw);
  if (rc != 0 || !jwt) {
    error = "the token is not a JWT signed with this server's key";
    return false;
  }
  jwt_alg_t expected = check.algorithm == "ES256" ? JWT_ALG_ES256 : JWT_ALG_HS256;
  if (jwt_get_alg (jwt.get ()) != expected) {
    error = "the token is not signed with " + check.algorithm;
    return false;
  }
  char *grants = jwt_get_grants_json (jwt.get (), nullptr);
  if (!grants) {
    error = "the token has no claims";
    return false;
  }
  JsonNode *root = json_from_string (grants, nullptr);
  free (grants);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    if (root)
      json_node_unref (root);
    error = "the token's claims are not a JSON object";
    return false;
  }
  JsonObject *claims = json_node_get_object (root);
  gint64 exp = 0, nbf = 0;
  bool ok = false;
  if (!date_claim (claims, "exp", exp))
    error = "the token has no expiry (exp)";
  else if (now_s > exp + LEEWAY_S)
    error = "the token has expired";
  else if (json_object_has_member (claims, "nbf") &&
           (!date_claim (claims, "nbf", nbf) || now_s + LEEWAY_S < nbf))
    error = "the token is not valid yet (nbf)";
  else if (!names_audience (claims, check.audience))
    error = "the token is not for '" + check.audience + "' (aud)";
  else
    ok = true;
  if (ok) {
    JsonNode *p = json_object_get_member (claims, "permissions");
    if (!p) {
      permissions = check.implied;
    } else if (!JSON_NODE_HOLDS_ARRAY (p)) {
      error = "the token's permissions are not an array";
      ok = false;
    } else {
      JsonArray *a = json_node_get_array (p);
      for (guint i = 0; ok && i < json_array_get_length (a); i++) {
        JsonNode *e = json_array_get_element (a, i);
        unsigned bit = JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING
                           ? permission_of (json_node_get_string (e))
                           : 0;
        if (!bit) {
          error = "the token names an unknown permission (view, publish and control are known)";
          ok = false;
        }
        permissions |= bit;
      }
    }
  }
  json_node_unref (root);
  if (!ok)
    permissions = 0;
  return ok;
}

GParamSpec *jwt_key_spec (GParamFlags extra)
{
  return g_param_spec_string (
      "jwt-key", "JWT key",
      "Accept JSON Web Tokens as bearer tokens (a room: as join tokens): the HS256 secret, or "
      "the ES256 public key (PEM). A token must be signed with jwt-algorithm, unexpired, for "
      "this stream or room (aud) and permit the request (docs/security.md) (write-only; NULL = "
      "no JWT)",
      nullptr, GParamFlags (G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | extra));
}

GParamSpec *jwt_algorithm_spec (GParamFlags extra)
{
  return g_param_spec_string ("jwt-algorithm", "JWT algorithm",
                              "The one algorithm a JSON Web Token may be signed with: HS256 or "
                              "ES256",
                              DEFAULT_JWT_ALGORITHM,
                              GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | extra));
}

void install_jwt_properties (GObjectClass *klass, guint key_id, guint algorithm_id,
                             GParamFlags extra)
{
  g_object_class_install_property (klass, key_id, jwt_key_spec (extra));
  g_object_class_install_property (klass, algorithm_id, jwt_algorithm_spec (extra));
}

} // namespace rtc

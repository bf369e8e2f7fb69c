/* RtcJwt: what a request may do, and JSON Web Tokens (RFC 7519) that say
 * so, verified with Debian's libjwt.
 *
 * Permissions are per stream: viewing (a WHEP offer, joining a room),
 * publishing (a WHIP offer, sending media into a room) and remote control
 * (navigation events from a viewer). A request authorised by the static
 * auth-token, or by nothing when no token is configured, has them all. A
 * JWT has the ones its "permissions" claim lists (an array of "view",
 * "publish", "control"); without that claim, only the one the endpoint is
 * for (view at a WHEP endpoint, publish at a WHIP one) — never control.
 *
 * A token passes when:
 *  - it is signed with exactly the configured algorithm: HS256 (the key is
 *    the shared secret) or ES256 (the key is the PEM public key). "none",
 *    and any other algorithm, never pass: the classic confusion where a
 *    token "signed" with HS256 using the public key as the secret would
 *    otherwise verify;
 *  - "exp" is there and in the future ("nbf", when there, in the past),
 *    allowing 30 s of clock difference;
 *  - "aud" (a string or an array) names the stream (the room).
 * The token itself is never logged nor put in an answer.
 *
 * Threading: pure functions, any thread. */
#pragma once

#include <glib-object.h>
#include <string>

namespace rtc {

enum Permission : unsigned {
  PERMIT_VIEW = 1u << 0,
  PERMIT_PUBLISH = 1u << 1,
  PERMIT_CONTROL = 1u << 2,
  PERMIT_ALL = PERMIT_VIEW | PERMIT_PUBLISH | PERMIT_CONTROL,
};
/* "view,publish,control" (any order, any subset; "" for none): false for a
 * name that is none of those. */
bool permissions_parse (const std::string &list, unsigned &out);
/* The names of @permissions, comma-separated, in that order. */
std::string permissions_string (unsigned permissions);
/* @name ("view", "publish", "control") as a Permission; 0 when unknown. */
unsigned permission_of (const std::string &name);

const char *const DEFAULT_JWT_ALGORITHM = "HS256";
/* Whether @algorithm is one this verifies (HS256, ES256). */
bool jwt_algorithm_supported (const std::string &algorithm);

struct JwtCheck {
  std::string key; /* secret (HS256) or PEM public key (ES256) */
  std::string algorithm = DEFAULT_JWT_ALGORITHM;
  std::string audience; /* the stream or room name */
  unsigned implied = 0; /* without a "permissions" claim */
};
/* Verifies @token (without "Bearer ") at @now_s (seconds since the epoch).
 * True with the token's @permissions; false with @error (what is wrong,
 * for the answer and the log: never the token). */
bool jwt_verify (const std::string &token, const JwtCheck &check, gint64 now_s,
                 unsigned &permissions, std::string &error);

/* The jwt-key (write-only) and jwt-algorithm properties' specs (@extra:
 * more flags, such as GST_PARAM_MUTABLE_READY). */
GParamSpec *jwt_key_spec (GParamFlags extra = GParamFlags (0));
GParamSpec *jwt_algorithm_spec (GParamFlags extra = GParamFlags (0));
/* Both, installed as
 * @key_id and @algorithm_id on @klass; @extra: more flags (mutable in
 * READY, ...). */
void install_jwt_properties (GObjectClass *klass, guint key_id, guint algorithm_id,
                             GParamFlags extra = GParamFlags (0));

} // namespace rtc

/* RtcTurn: short-lived TURN credentials from a secret shared with the TURN
 * server (the "TURN REST API" scheme, draft-uberti-behave-turn-rest; coturn's
 * use-auth-secret / static-auth-secret): the username is the expiry time
 * (Unix seconds) and a label, "1733400000:live"; the password is
 * base64(HMAC-SHA1(secret, username)). The TURN server checks both without
 * any per-user state, and a credential that leaked stops working at its
 * expiry: no long-term credential ever reaches a page.
 *
 * Pure functions; thread-safe.
 */
#pragma once

#include <glib-object.h>
#include <string>

namespace rtc {

/* A day: a session that outlives its credentials loses its relay (the TURN
 * server refuses the allocation's refresh). */
const guint DEFAULT_TURN_CREDENTIAL_LIFETIME_S = 86400;

/* "turn-secret" (write-only: a secret is never read back, so never printed
 * by gst-inspect or a launch line's -v) and "turn-credential-lifetime" on
 * @klass, with the same text everywhere. */
void install_turn_secret_properties (GObjectClass *klass, guint secret_id, guint lifetime_id);
/* The two specs themselves (new, floating), with @extra flags added. */
GParamSpec *turn_secret_spec (GParamFlags extra = GParamFlags (0));
GParamSpec *turn_credential_lifetime_spec (GParamFlags extra = GParamFlags (0));

struct TurnCredentials {
  std::string username;
  std::string password;
};

/* Credentials valid for @lifetime_s seconds from @now_s (Unix time) for
 * @label (no ':' needed; it is only for the TURN server's logs). */
TurnCredentials turn_rest_credentials (const std::string &secret, guint lifetime_s,
                                       const std::string &label, gint64 now_s);

/* @servers (comma-separated stun:// and turn(s):// URLs) with each
 * turn(s):// URL that has no user:password of its own given fresh
 * credentials (turn://user:password@host:port?query, both percent-encoded);
 * everything else as it was. With an empty @secret, @servers unchanged. */
std::string turn_rest_fill (const std::string &servers, const std::string &secret, guint lifetime_s,
                            const std::string &label);

/* Whether @url is a turn: or turns: URL (either spelling, "turn://" or
 * "turn:"). */
bool is_turn_url (const std::string &url);

} // namespace rtc

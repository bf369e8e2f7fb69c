/* RtcHttpAccess: who may use an HTTP signalling endpoint and what its
 * answers carry besides the SDP — CORS, the bearer token, the origin
 * allow-list, and the ICE servers announced in Link headers (RFC 9725,
 * section 4.6). Pure functions on a request; thread-safe.
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <libsoup/soup.h>
#include <string>
#include <vector>

#include "rtcjwt.h"

namespace rtc {

/* An ICE server as browsers take it (RTCIceServer). */
struct IceServer {
  std::string url; /* "stun:host:port", "turn:host:port" */
  std::string username, credential;
};
/* @servers: comma-separated GStreamer-style URLs (stun://host:port,
 * turn(s)://user:pass@host:port, user and password percent-encoded). URLs
 * that do not parse are logged on @log_object and left out. */
std::vector<IceServer> parse_ice_servers (const std::string &servers, GstObject *log_object);

/* CORS headers of every answer: @allowed_origins "*", or the request's
 * Origin when listed (with Vary: Origin). */
void http_add_cors (SoupServerMessage *msg, const std::string &allowed_origins);
/* Origin allow-list (comma-separated, "*", or empty: same origin — the
 * Origin's host:port is the request's Host) and bearer token (empty: no
 * check). A request without Origin (not a browser) passes the origin check. Answers the request
 * (403, 401 with WWW-Authenticate) and returns false when access is denied. */
bool http_check_access (SoupServerMessage *msg, const std::string &token,
                        const std::string &allowed_origins);
/* The same with JSON Web Tokens too (rtcjwt.h): a bearer token that is not
 * @token is verified as a JWT when @jwt has a key. @needed: the permission
 * the request needs (PERMIT_VIEW for a WHEP offer, ...); a token without
 * it gets 403. True with what the request may do (@granted): everything
 * with @token or with no token nor JWT key configured, else the JWT's
 * permissions. */
/* What a presented token (a bearer token, a room's join token) admits:
 * everything when it is @token (compared in constant time), else what it
 * permits as a JWT when @jwt has a key (rtcjwt.h). False with @why
 * ("wrong token", or what is wrong with the JWT). */
bool token_admits (const std::string &presented, const std::string &token, const JwtCheck &jwt,
                   unsigned &granted, std::string &why);
struct HttpAccess {
  std::string token;
  std::string allowed_origins;
  JwtCheck jwt; /* jwt.key empty: no JWT accepted */
};
bool http_check_access (SoupServerMessage *msg, const HttpAccess &access, unsigned needed,
                        unsigned &granted);
/* Failed attempts (a wrong or missing bearer token, an unknown session
 * URL) per client address, across the process: after 20 within a minute
 * the address gets 429 + Retry-After for every checked request until its
 * count drains (20 a minute). http_check_access() checks and counts
 * tokens; session 404s are counted with http_count_failure(). */
void http_count_failure (SoupServerMessage *msg);
/* Answers 429 and returns true when @msg's address is throttled. */
bool http_throttled (SoupServerMessage *msg);

/* Offers (WHEP/WHIP POSTs) per client address, across the process: a
 * burst of OFFERS_BURST, then OFFERS_PER_SECOND; one more is answered 503
 * + Retry-After: 1 (true returned), before any work is done for it.
 * Loopback clients are not limited (the tests' crowds, and a reverse proxy
 * on the same machine, which limits by the real address itself). */
const double OFFERS_PER_SECOND = 10;
const double OFFERS_BURST = 20;
bool http_offers_limited (SoupServerMessage *msg);

/* DNS rebinding: a server listening on a loopback address answers only
 * requests whose Host is a loopback name or address (localhost,
 * *.localhost, 127.0.0.0/8, ::1). A page on evil.example whose name was
 * made to resolve to 127.0.0.1 sends Host: evil.example and its Origin
 * matches that Host, so the same-origin check alone would let it in.
 * The server calls this for every request when it listens on loopback.
 * Answers the request (403) and returns false when refused; a request
 * without Host (HTTP/1.0) passes. */
bool http_check_loopback_host (SoupServerMessage *msg);
/* Whether @address (an IP literal, or "localhost") is a loopback one. */
bool http_is_loopback (const std::string &address);
/* One Link rel="ice-server" header per URL of @ice_servers (comma-separated
 * stun://host:port, turn(s)://user:pass@host:port); URLs that do not parse
 * are logged on @log_object and left out; a URL's query
 * ("?transport=tcp") is kept. Without @with_credentials, TURN servers and
 * any server with credentials are left out: an unauthenticated OPTIONS must
 * not hand credentials out (RFC 9725, 4.6), and a TURN server without them
 * is of no use to a browser; they go in the 201. */
void http_add_ice_server_links (SoupMessageHeaders *resp, const std::string &ice_servers,
                                GstObject *log_object, bool with_credentials);

/* @n_bytes from the system's cryptographic random source (/dev/urandom,
 * read through GIO), as hex; false when it cannot be read. Never g_random
 * or g_uuid_string_random: they are predictable. */
bool random_secret (std::string &out, gsize n_bytes = 24);
/* Compares in a time that does not depend on where they differ (tokens,
 * secrets). */
bool secret_equal (const std::string &a, const std::string &b);

/* The request's media type ("application/sdp"; "" when none). */
std::string http_media_type (SoupServerMessage *msg);
/* A WHIP/WHEP POST's body as an SDP offer (sdp_validate_offer ()), or
 * nullptr once the request is answered: 415 with Accept-Post for another
 * content type, 400 for an offer that does not parse or is incomplete. */
GstSDPMessage *http_read_sdp_offer (SoupServerMessage *msg, GBytes *body);

} // namespace rtc

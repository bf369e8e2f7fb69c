/* RtcHttpClient: what the HTTP client signallers need beyond libsoup —
 * requests whose response bodies are bounded, and the origin rules for
 * where a bearer token may go. Thread-safe functions; the callbacks run in
 * the thread-default main context of the caller (as libsoup's).
 */
#pragma once

#include <libsoup/soup.h>
#include <string>

namespace rtc {

/* Sends @msg on @session and reads its response body, at most @max_body
 * bytes: a longer body (its Content-Length, or as it arrives) ends the
 * request with G_IO_ERROR_MESSAGE_TOO_LARGE and the connection is dropped,
 * not read to its end. @cancellable (may be NULL) cancels it. @callback
 * gets @session as its source object. */
void http_send_capped (SoupSession *session, SoupMessage *msg, gsize max_body,
                       GCancellable *cancellable, GAsyncReadyCallback callback, gpointer data);
/* The body (nullptr with @error); the message is http_capped_message(). */
GBytes *http_send_capped_finish (GAsyncResult *res, GError **error);
/* The message of a http_send_capped() result (not a new reference). */
SoupMessage *http_capped_message (GAsyncResult *res);

/* Whether @a and @b (absolute http(s) URLs) have the same origin: scheme,
 * host and port (default ports filled in). False when either does not
 * parse. */
bool http_same_origin (const std::string &a, const std::string &b);
/* Whether @to (absolute) would take a request made to @from over https
 * down to plain http. */
bool http_downgrades (const std::string &from, const std::string &to);

/* The ICE servers a WHIP/WHEP server announces in its Link header (@links:
 * its values joined by commas, as soup_message_headers_get_list() gives
 * them; NULL when absent): "<stun:host:3478>; rel=ice-server" and
 * "<turn:host:3478?transport=udp>; rel=ice-server; username=u;
 * credential=p" as GStreamer-style URLs, comma-separated (empty when none).
 * Links of other relations and other schemes are skipped. */
std::string http_parse_ice_links (const char *links);

} // namespace rtc

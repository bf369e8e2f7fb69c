/* RtcHttpAuthorize: the application's say in who may do what, for the
 * HTTP signallers (GstRtcHttpServerSignaller and GstRtcHttpSignaller,
 * which relays it) and the room's (GstRtcRoomSignaller, relayed by
 * GstRtcRoomDefaultSignaller: its `join` and its WHIP door, rtcroomhub.h).
 *
 * The "authorize" signal: gboolean handler (GObject *signaller,
 * GstStructure *request), emitted for every WHEP/WHIP offer (POST) and
 * every PATCH and DELETE of a session URL that passed the built-in checks
 * (origin, auth-token or JWT: rtchttpaccess.h). @request, named
 * "rtc-request", has:
 *   method, path, stream, remote-address (strings);
 *   headers (GstStructure "headers": each request header, its name in
 *   lower case, repeated ones joined with ", "; Authorization too, so that
 *   an application can check a token scheme of its own);
 *   permissions (string: "view,publish,control" — what the built-in checks
 *   granted; a C handler may narrow or widen it in place).
 * FALSE refuses the request (403); the first handler decides; without a
 * handler, TRUE. It runs on the server's thread: a handler must not block
 * (no network or disk I/O).
 *
 * PermitTable keeps each session's permissions for
 * gst_rtc_signaller_session_permits (any thread).
 */
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <map>
#include <mutex>
#include <string>

namespace rtc {

/* Adds the "authorize" signal to @type (class_init). */
void install_authorize_signal (GType type);
/* Re-emits @inner's "authorize" as @outer's (both have it): the
 * application connects to the signaller it holds. */
void relay_authorize (GObject *inner, GObject *outer);
/* @msg's request headers as the "headers" structure described above. */
GstStructure *http_request_headers (SoupServerMessage *msg);
/* A new "rtc-request" (see above); @headers is taken (nullptr: an empty
 * one). */
GstStructure *authorize_request (const std::string &method, const std::string &path,
                                 const std::string &stream, const std::string &remote,
                                 GstStructure *headers, unsigned granted);
/* Emits "authorize" on @emitter with @request (freed). True when allowed,
 * @granted then what the handlers left in "permissions"; false when
 * refused, or when a handler left something that is not a list of
 * permissions (logged on @emitter). */
bool emit_authorize (GObject *emitter, GstStructure *request, unsigned &granted);
/* Emits "authorize" on @emitter for @msg. True with the permissions the
 * request has now (@granted, updated); false once @msg is answered: 403
 * when refused, or when it no longer has @needed. */
bool http_authorize (GObject *emitter, SoupServerMessage *msg, const std::string &method,
                     const std::string &stream, unsigned needed, unsigned &granted);

class PermitTable {
public:
  void set (const std::string &session, unsigned permissions);
  void forget (const std::string &session);
  void clear ();
  /* @permission by name ("view", "publish", "control"); false for a
   * session it does not know and for another name. */
  bool permits (const std::string &session, const std::string &permission);

private:
  std::mutex lock_;
  std::map<std::string, unsigned> table_;
};

} // namespace rtc

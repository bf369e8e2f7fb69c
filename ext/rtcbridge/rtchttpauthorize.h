/* RtcHttpAuthorize: the application's say in who may do what, for the
 * HTTP signallers (GstRtcHttpServerSignaller and GstRtcHttpSignaller,
 * which relays it).
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
void http_install_authorize_signal (GType type);
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

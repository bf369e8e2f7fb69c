/* GstRtcHttpClientSignaller: the client side of WHIP (RFC 9725) and WHEP,
 * as a GstRtcSignaller. webrtcpublish uses it to push to a WHIP URL,
 * webrtcsubscribe to pull from a WHEP URL; the exchange is the same.
 *
 *  - role: offerer; descriptions complete (the offer waits for candidates);
 *  - start(): asks the element for an offer ("session-requested" without
 *    an offer);
 *  - send_description (offer): POST url, Content-Type application/sdp, Authorization:
 *    Bearer <auth-token>; redirects (307/308) are followed; 201 gives the
 *    answer ("session-description"), the session URL (Location), its ETag
 *    and the ICE servers (Link rel="ice-server", kept in "ice-servers" for
 *    the next offer);
 *  - send_ice_candidate(): PATCH the session URL with a
 *    trickle-ice-sdpfrag (If-Match: the ETag), queued until the POST is
 *    answered;
 *  - end_session() / a failed POST: DELETE the session URL, "session-ended",
 *    and after a back-off (Retry-After when the server sent one, else
 *    doubling from retry-delay-min to retry-delay-max) a new
 *    "session-requested";
 *  - a 4xx that retrying cannot fix (400, 401, 403, 404, 405, 415, 422...):
 *    "error" ("WHIP publishing failed: ..." / "WHEP playback failed: ...")
 *    and no retry;
 *  - reject_session(): the element cannot offer; "failed", no retry;
 *  - stop(): DELETE the session URL (waits up to 2 s) and no retry.
 *
 * Progress is reported by "state-changed": connecting, answered, retrying,
 * failed, stopped.
 *
 * Threading: HTTP runs on the signaller's own thread ("rtc-http-client"),
 * where every signal is emitted. The vfuncs may be called from any thread.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_HTTP_CLIENT_SIGNALLER (gst_rtc_http_client_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcHttpClientSignaller, gst_rtc_http_client_signaller, GST,
                      RTC_HTTP_CLIENT_SIGNALLER, GstObject)

G_END_DECLS

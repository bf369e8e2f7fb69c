/* GstRtcHttpServerSignaller: the server side of WHEP (draft-ietf-wish-whep, for
 * webrtcpublish) or WHIP (RFC 9725, for webrtcsubscribe) on the embedded
 * HTTP server, as a GstRtcSignaller. Both protocols are the same exchange;
 * the "protocol" property picks the URL prefix and wording.
 *
 * POST /<p>/<stream-name>         offer -> 201 + answer + Location + ETag
 *                                 (+ Link rel="ice-server" per ICE server)
 * PATCH /<p>/<stream-name>/<id>   trickle-ice-sdpfrag -> 204 (412 on a wrong
 *                                 If-Match, 422 for an ICE restart)
 * DELETE /<p>/<stream-name>/<id>  -> 200
 * OPTIONS                         CORS preflight, Accept-Post / Accept-Patch
 *
 * Threading: HTTP requests run on the server thread. The GstRtcSignaller
 * vfuncs may be called from any thread; they hand their work to the server
 * thread. Properties are guarded by the object's private lock.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstRtcHttpProtocol:
 * @GST_RTC_HTTP_PROTOCOL_WHEP: WHEP: peers receive (/whep/<name>)
 * @GST_RTC_HTTP_PROTOCOL_WHIP: WHIP: peers publish (/whip/<name>)
 */
typedef enum {
  GST_RTC_HTTP_PROTOCOL_WHEP,
  GST_RTC_HTTP_PROTOCOL_WHIP,
} GstRtcHttpProtocol;

#define GST_TYPE_RTC_HTTP_PROTOCOL (gst_rtc_http_protocol_get_type ())
GType gst_rtc_http_protocol_get_type (void);

#define GST_TYPE_RTC_HTTP_SERVER_SIGNALLER (gst_rtc_http_server_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcHttpServerSignaller, gst_rtc_http_server_signaller, GST,
                      RTC_HTTP_SERVER_SIGNALLER, GstObject)

G_END_DECLS

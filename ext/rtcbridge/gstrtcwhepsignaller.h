/* GstRtcWhepSignaller: the WHEP server side (draft-ietf-wish-whep) on the
 * embedded HTTP server, as a GstRtcSignaller.
 *
 * POST /whep/<stream-name>        offer -> 201 + answer + Location
 * PATCH /whep/<stream-name>/<id>  trickle-ice-sdpfrag -> 204
 * DELETE /whep/<stream-name>/<id> -> 200
 * OPTIONS                         CORS preflight, Accept-Post / Accept-Patch
 *
 * Threading: HTTP requests run on the server thread. The GstRtcSignaller
 * vfuncs may be called from any thread; they hand their work to the server
 * thread. Properties are guarded by the object's private lock.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_WHEP_SIGNALLER (gst_rtc_whep_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcWhepSignaller, gst_rtc_whep_signaller, GST, RTC_WHEP_SIGNALLER,
                      GstObject)

G_END_DECLS

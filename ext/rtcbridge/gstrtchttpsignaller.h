/* GstRtcHttpSignaller: the elements' default signaller: the standard HTTP
 * signalling (WHEP, WHIP) as a server on the embedded HTTP server, or as a
 * client of a remote endpoint when its client URL is set.
 *
 *   webrtcpublish   (protocol whep): WHEP server   | whip-url set: WHIP client
 *   webrtcsubscribe (protocol whip): WHIP server   | whep-url set: WHEP client
 *
 * The work is done by GstRtcHttpServerSignaller and GstRtcHttpClientSignaller;
 * this object holds both with their settings, starts the one its URL
 * selects and relays its signals. Its role follows: answerer as a server,
 * offerer as a client. Neither protocol trickles from the server, so it
 * asks for complete descriptions.
 *
 * Being the elements' child "signaller", every setting is reachable from
 * gst-launch-1.0: `webrtcpublish signaller::port=0`,
 * `webrtcsubscribe signaller::whep-url=http://...`; the elements' own
 * properties of the same names forward here.
 *
 * Threading: properties from any thread (the object lock guards the
 * selection); the vfuncs from the element's control thread; signals are
 * relayed on the thread the inner signaller emits them on.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtcbridge/gstrtcsignaller.h>

#include "gstrtchttpserversignaller.h"

G_BEGIN_DECLS

#define GST_TYPE_RTC_HTTP_SIGNALLER (gst_rtc_http_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcHttpSignaller, gst_rtc_http_signaller, GST, RTC_HTTP_SIGNALLER,
                      GstObject)

/* A default signaller for an element that sends media (@protocol WHEP) or
 * receives it (WHIP). */
GstRtcSignaller *gst_rtc_http_signaller_new (GstRtcHttpProtocol protocol);

G_END_DECLS

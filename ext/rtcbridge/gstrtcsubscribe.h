/* GstRtcSubscribe (webrtcsubscribe): receives WebRTC media into a pipeline.
 *
 * By default (a GstRtcHttpSignaller):
 *  - WHIP server: publishers (OBS, browsers, webrtcpublish in WHIP client
 *    mode, any RFC 9725 client) POST to /whip/<stream-name> on the embedded
 *    server; the publish page /publish/<stream-name> sends a browser's
 *    camera and microphone;
 *  - WHEP client ("whep-url" set): pulls a stream from a WHEP server,
 *    retrying with back-off.
 * Any other signaller (a Janus VideoRoom, the loopback, an application's)
 * works in either role.
 *
 * Src pads video_%u / audio_%u (sometimes pads) appear as media arrives,
 * decoded (default) or encoded ("decode" = FALSE). They stay when the
 * publisher goes away: the next publisher's media flows out of the same pads
 * (no new stream-start, no EOS), so a recording keeps running across
 * reconnects. With max-publishers > 1 each live publisher has its own set.
 *
 * Objects: a thin GObject shell around an rtc::ElementCore (rtcelement.h)
 * and an rtc::Subscriber (gst/rtc/rtcsubscriber.h: the publishers'
 * sessions through the shared session layer, and rtc::Outputs, the pads and
 * receive chains: webrtcbin.src_N -> depayloader [-> parser | -> decoder]
 * -> ghost pad).
 *
 * Threading:
 *  - control thread ("rtcsubscribe-ctl"): sessions, signaller events,
 *    timers.
 *  - streaming threads: webrtcbin's pad-added builds the chain and links it
 *    to the output pad, under the outputs' lock.
 *  - application thread: properties, state changes.
 * Lock order: the settings lock and the outputs' lock are each taken alone.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_SUBSCRIBE (gst_rtc_subscribe_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcSubscribe, gst_rtc_subscribe, GST, RTC_SUBSCRIBE, GstBin)

G_END_DECLS

/* GstRtcSubscribe (webrtcsubscribe): receives WebRTC media into a pipeline.
 *
 * Two modes:
 *  - WHIP server (default): publishers (OBS, browsers, webrtcpublish in WHIP
 *    client mode, any RFC 9725 client) POST to /whip/<stream-name> on the
 *    embedded server; the publish page /publish/<stream-name> sends a
 *    browser's camera and microphone.
 *  - WHEP client ("whep-url" set): pulls a stream from a WHEP server
 *    (webrtcpublish in another process, or any WHEP server), retrying with
 *    back-off.
 *
 * Src pads video_%u / audio_%u (sometimes pads) appear as media arrives,
 * decoded (default) or encoded ("decode" = FALSE). They stay when the
 * publisher goes away: the next publisher's media flows out of the same pads
 * (no new stream-start, no EOS), so a recording keeps running across
 * reconnects.
 *
 * Inside:
 *   webrtcbin.src_N -> depayloader [-> parser | -> decoder] -> ghost pad
 * One webrtcbin per publisher session (PeerSession), one chain per m-line.
 *
 * Threading:
 *  - control thread ("rtcsubscribe-ctl"): sessions, signaller events,
 *    timers; owns `sessions`.
 *  - streaming threads: webrtcbin's pad-added builds the chain and links it
 *    to the output pad, under `out_lock`.
 *  - application thread: properties, state changes.
 * Lock order: `lock` (settings), then `out_lock`.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_SUBSCRIBE (gst_rtc_subscribe_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcSubscribe, gst_rtc_subscribe, GST, RTC_SUBSCRIBE, GstBin)

G_END_DECLS

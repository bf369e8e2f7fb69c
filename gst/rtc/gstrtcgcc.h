/* GstRtcGcc (element "rtcgcc"): congestion control for one RTP session, on
 * the send path right before the rtpsession — in webrtcbin, the element
 * returned from its "request-aux-sender" signal:
 *
 *   g_signal_connect (webrtcbin, "request-aux-sender", G_CALLBACK (cb), NULL);
 *   static GstElement *cb (GstElement *webrtcbin, GstWebRTCDTLSTransport *t, gpointer d)
 *   { return gst_element_factory_make ("rtcgcc", NULL); }
 *
 * The rtpsession reports transport-wide congestion control feedback
 * (TWCC, negotiated with the peer) as "RTPTWCCPackets" upstream events; the
 * element feeds them to a GCC estimator (rtcgcc.h) and publishes the
 * result in "estimated-bitrate" (notify::estimated-bitrate): set the
 * encoders' total bitrate from it. It paces the packets at pacing-factor
 * times the estimate, so bursts (keyframes) do not overflow a shallow
 * bottleneck queue.
 *
 * Threading: no thread of its own. The streaming thread that brings a
 * packet waits for the pacer's budget (in webrtcpublish and webrtcroom the
 * viewer's own queue thread: what waits stays in that queue) and pushes it
 * on; flushing and deactivation wake it. Feedback arrives on the
 * rtpsession's RTCP thread. One lock guards the pacer and the estimator
 * (taken before the element's object lock, never after); notifications are
 * emitted without it.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_GCC (gst_rtc_gcc_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcGcc, gst_rtc_gcc, GST, RTC_GCC, GstElement)

GST_ELEMENT_REGISTER_DECLARE (rtcgcc);

G_END_DECLS

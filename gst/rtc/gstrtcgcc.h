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
 * encoders' total bitrate from it. Its src pad paces the packets at
 * pacing-factor times the estimate, so bursts (keyframes) do not overflow
 * a shallow bottleneck queue.
 *
 * Pass the transport on ("dtls-transport") so that packets wait for the
 * DTLS handshake instead of blocking the shared pacer.
 *
 * Threading: the sink pad takes packets from any streaming thread and
 * queues them in a PacedFlow (rtcpacer.h); one of the process's few shared
 * pacer threads pushes them out of the src pad. Feedback arrives on the
 * rtpsession's RTCP thread. priv->lock guards the estimator and the
 * settings; the flow has its own lock (taken under priv->lock, never the
 * other way round); notifications are emitted without either.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_GCC (gst_rtc_gcc_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcGcc, gst_rtc_gcc, GST, RTC_GCC, GstElement)

GST_ELEMENT_REGISTER_DECLARE (rtcgcc);

G_END_DECLS

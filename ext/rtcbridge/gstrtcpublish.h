/* GstRtcPublish (webrtcpublish): publishes a pipeline's audio and video to
 * any number of WebRTC viewers, with an embedded WHEP server and viewer page.
 *
 * Objects: the element (a GstBin) owns one input branch per request pad
 * (capsfilter ! tee ! fakesink), one RtcEncoderBranch per input and codec in
 * use ("encode once"), and one RtcPeerSession per viewer (its webrtcbin and
 * per-viewer payloaders). A GstRtcSignaller (by default GstRtcHttpSignaller
 * on the shared RtcHttpServer) brings viewers' offers.
 *
 * Threads:
 *  - application thread: properties, state changes, pad requests;
 *  - control thread ("rtcpublish-ctl", one per element, own GMainContext):
 *    every change of topology (sessions, encoder branches), negotiation
 *    steps that touch the bin, timers; work from the other threads is
 *    posted to it and never waits for it;
 *  - the HTTP server thread (shared): runs the signaller, which emits
 *    "session-requested"/"ice-candidate"/"session-ended"; our handlers only
 *    post to the control thread;
 *  - webrtcbin's threads: promise callbacks and notifications, handled
 *    inside RtcPeerSession, reported to the control thread;
 *  - streaming threads: never block on the network; probes only.
 *
 * Lock order: GstRtcPublishPrivate::lock, then a session's lock. No lock is
 * held while emitting a signal, posting a message or changing a state.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_PUBLISH (gst_rtc_publish_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcPublish, gst_rtc_publish, GST, RTC_PUBLISH, GstBin)

G_END_DECLS

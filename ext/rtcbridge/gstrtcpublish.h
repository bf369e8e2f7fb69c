/* GstRtcPublish (webrtcpublish): publishes a pipeline's audio and video to
 * any number of WebRTC viewers, with an embedded WHEP server and viewer page
 * by default, or to whatever its signaller connects it with.
 *
 * Objects: the element is a thin GObject shell (properties, pads, state,
 * signals) around an rtc::ElementCore (shared settings, the signaller, the
 * control thread, the data router; rtcelement.h) and an rtc::Publisher
 * (gst/rtc/rtcpublisher.h: inputs, the encoder pool, congestion control and
 * the viewers' sessions through the shared session layer).
 *
 * Threads:
 *  - application thread: properties, state changes, pad requests;
 *  - control thread ("rtcpublish-ctl", one per element, own GMainContext):
 *    every change of topology (sessions, encoder branches), negotiation
 *    steps that touch the bin, timers; work from the other threads is
 *    posted to it and never waits for it;
 *  - the signaller's threads (the shared HTTP server, a client's or Janus's
 *    thread): its signals are posted to the control thread;
 *  - webrtcbin's threads: promise callbacks and notifications, handled
 *    inside RtcPeerSession, reported to the control thread;
 *  - streaming threads: never block on the network; probes only.
 *
 * Lock order: the element's settings lock (ElementCore::lock) is taken
 * alone. No lock is held while emitting a signal, posting a message or
 * changing a state.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_PUBLISH (gst_rtc_publish_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcPublish, gst_rtc_publish, GST, RTC_PUBLISH, GstBin)

G_END_DECLS

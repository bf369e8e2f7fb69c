/* GstRtcLoopbackSignaller: connects elements of one process with no
 * server. Loopback signallers with the same "channel" form a hub: ONE
 * offerer and any number of answerers. Each answerer has its own session
 * with the offerer (ids "loopback-<channel>-<n>", n counting up per
 * channel), asked for by the offerer side as soon as both are started, and
 * again after that session ended while both still run. What an element
 * sends on a session (its descriptions, its candidates, its end, a
 * rejection) reaches the other end of that session only: the session's
 * first offer is "session-requested" on the answerer, later offers (from
 * either end: renegotiation) and answers are "session-description". An
 * answerer that stops ends its own session; the offerer that stops ends
 * them all. With one answerer it is the pair it always was:
 *
 *   pub = webrtcpublish, signaller = loopback (channel "a", role offerer)
 *   sub = webrtcsubscribe, signaller = loopback (channel "a", role answerer)
 *
 * and a room with participants:
 *
 *   webrtcroom, signaller = loopback (channel "r", role offerer)
 *   webrtcroom room-url=..., signaller = loopback (channel "r", role answerer)  (× n)
 *
 * It trickles candidates. A second offerer on a channel fails to start.
 * The peer the offerer's element is told of is "loopback:<channel>".
 *
 * Threading: the vfuncs emit the other end's signals on the calling thread
 * (the elements' control threads); a new session after one ended is asked
 * for from the system clock's thread. A process-wide lock guards the
 * channel table; no signal is emitted while it is held.
 */
#pragma once

#include <gst/gst.h>

#include "gstrtcsignaller.h"

G_BEGIN_DECLS

#define GST_TYPE_RTC_LOOPBACK_SIGNALLER (gst_rtc_loopback_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcLoopbackSignaller, gst_rtc_loopback_signaller, GST,
                      RTC_LOOPBACK_SIGNALLER, GstObject)

GstRtcSignaller *gst_rtc_loopback_signaller_new (const gchar *channel, GstRtcSignallerRole role);

G_END_DECLS

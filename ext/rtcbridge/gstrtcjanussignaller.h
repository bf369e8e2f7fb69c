/* GstRtcJanusSignaller: a Janus VideoRoom (Janus 1.x, its HTTP API) as a
 * GstRtcSignaller. With role=offerer the element publishes into the room;
 * with role=answerer (the default) it receives feeds from the room: one by
 * id ("feed"), those of one display name ("feed-display"), or every feed,
 * one session per feed, following publishers as they come and go.
 *
 *  - start(): creates a Janus session, attaches janus.plugin.videoroom and
 *    joins the room (creating it first with create-room=true). Publisher:
 *    "session-requested" without an offer; the element's offer goes out in
 *    a "publish" request and Janus's answer comes back as
 *    "session-description". Subscriber: per followed feed a handle joins as
 *    a subscriber, Janus offers ("session-requested" with the offer, peer
 *    "feed <id> (<display>)"), the element's answer goes out in a "start"
 *    request;
 *  - trickles (get_trickle() is TRUE): local candidates go out as "trickle"
 *    requests ({"completed":true} for the last), Janus's come back as
 *    "ice-candidate";
 *  - end_session()/reject_session(): hangs the publisher up and publishes
 *    again after a back-off; detaches a subscriber's handle (a rejected feed
 *    is not asked for again until it publishes again);
 *  - a followed feed that unpublishes or leaves, a Janus hangup: that
 *    session's "session-ended";
 *  - Janus unreachable, restarted or timing the session out: every session
 *    ends, "state-changed" says "retrying" and why, and after a back-off
 *    (retry-delay-min doubling to retry-delay-max) everything is joined and
 *    asked for again;
 *  - no such room (and create-room off), a wrong room-pin or api-secret, no
 *    VideoRoom plugin: "error" with what to change, and no retry;
 *  - stop(): destroys the Janus session (waits up to 2 s); no signal after.
 *
 * "state-changed": connecting, joined, publishing, subscribing, subscribed,
 * connected, waiting, unsubscribed, retrying, failed, stopped (see
 * docs/janus.md).
 *
 * Threading: HTTP and every signal run on the signaller's own thread
 * ("rtc-janus", its own GMainContext). The vfuncs may be called from any
 * thread: they post their work there, except stop(), which waits for the
 * thread (at most 2 s for Janus, then joins it) and so must not be called
 * from a signal handler. `lock` in the private struct guards the properties
 * and the read-only ids; it is never held while emitting a signal or while
 * waiting for the thread (the only lock: no order to keep).
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_JANUS_SIGNALLER (gst_rtc_janus_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcJanusSignaller, gst_rtc_janus_signaller, GST, RTC_JANUS_SIGNALLER,
                      GstObject)

G_END_DECLS

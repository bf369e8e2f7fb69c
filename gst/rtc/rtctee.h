/* Branching a running tee.
 *
 * GstTee 1.22 copies its sink pad's sticky events to a new request pad
 * before it adds the pad to its list of pads; a segment or caps event that
 * the tee forwards in between reaches the existing pads only, and the new
 * branch's first buffer arrives without it ("Got data flow before segment
 * event", "Sticky event misordering"). So a branch is requested and linked
 * while no data is inside the tee: in an IDLE probe on the pad that feeds
 * the tee (a src pad counts the pushes in flight; a sink pad does not).
 *
 * Two GStreamer 1.22 details shape the probe: an IDLE probe added to an
 * idle pad runs at once, on the caller's thread, while staying installed,
 * so a push ending meanwhile may run it a second time on its own thread;
 * and the probe's data may be used after the caller returned. Only the
 * first call does the work, the state is shared (not on the caller's
 * stack), and a caller that waited a second for a pad that never became
 * idle (a push blocked downstream) links the branch itself.
 *
 * Threading: any thread but the one pushing into the tee (it would wait
 * for itself: the second's fallback ends that). */
#pragma once

#include <gst/gst.h>

namespace rtc {

/* Requests a pad "src_%u" of @tee and links it to @sink. Returns the
 * request pad (the caller's reference: release it with
 * gst_element_release_request_pad () and unref it) or nullptr when the tee
 * gave none; *@linked (when set) tells whether the link succeeded. */
GstPad *link_tee_branch (GstElement *tee, GstPad *sink, bool *linked = nullptr);

} // namespace rtc

/* Branching a running tee.
 *
 * GstTee 1.22 copies its sink pad's sticky events to a new request pad
 * before it adds the pad to its list of pads; a segment or caps event that
 * the tee forwards in between reaches the existing pads only, and the new
 * branch's first buffer arrives without it ("Got data flow before segment
 * event", "Sticky event misordering"). So a branch is requested and linked
 * with the tee's sink pad's stream lock held: every buffer and serialized
 * event goes through the tee under that lock, so the tee is between two of
 * them meanwhile.
 *
 * An IDLE pad probe did this before and was let go: on the tee's sink pad
 * GStreamer 1.22 runs it at once but keeps it installed while it runs, so
 * an upstream event crossing the pad then runs it a second time on another
 * thread (a crash in the room's mixing); on the pad that feeds the tee it
 * left a rare hole (a CI run still saw a branch's data before its segment).
 *
 * Threading: any thread. The lock is polled for at most a second (a push
 * blocked downstream must not hold a room's control thread for good); after
 * that the branch is made without it. Lock order: the tee's sink pad's
 * stream lock, then the tee's and the pads' object locks (what a push
 * through the tee takes too). */
#pragma once

#include <gst/gst.h>

namespace rtc {

/* Requests a pad "src_%u" of @tee and links it to @sink. Returns the
 * request pad (the caller's reference: release it with
 * gst_element_release_request_pad () and unref it) or nullptr when the tee
 * gave none; *@linked (when set) tells whether the link succeeded. */
GstPad *link_tee_branch (GstElement *tee, GstPad *sink, bool *linked = nullptr);

/* Makes @queue (the head of a branch) drop its oldest data once it holds
 * @max_time of it (or @max_buffers, 0 = no limit), so that a slow branch
 * never holds up its tee. GstQueue 1.22 stores a sticky event it drops from
 * the head straight on its src pad, from the upstream thread, while its own
 * task may be pushing the event before it: at a stream's start that stores
 * caps before stream-start ("Sticky event misordering", seen in
 * webrtcroom_churn). So the queue drops new data instead until its first
 * buffer has left (the start's sticky events are out by then), and its
 * oldest data after that. Until then it has no time limit (GstQueue's time
 * level is wrong between taking a stream's segment and its first buffer)
 * and holds at most @max_buffers, or 500 when that is 0. */
void set_leaky (GstElement *queue, GstClockTime max_time, guint max_buffers = 0);

/* GStreamer 1.22's parsers (GstBaseParse: opusparse, h264parse, ...)
 * write timestamps and durations into the buffers they are given without
 * making them writable first. After a tee, another branch holds the same
 * buffer and reads them changed under it: an Opus decoder beside an
 * opusparse branch output a frame 0.4 s in the past, then jumped 0.4 s
 * ahead, every few seconds. Buffers entering @element's sink pad get a copy
 * of their own when shared (the metadata only: the memory stays shared).
 * For every parser that is not a tee's only consumer. Returns @element
 * (nullptr passes through). */
GstElement *own_buffers (GstElement *element);

} // namespace rtc

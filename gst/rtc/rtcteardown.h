/* Taking elements out of a running pipeline without waiting on its
 * streaming threads.
 *
 * Setting a receiving webrtcbin (or the depayloader/decoder behind it) to
 * NULL waits for its streaming threads. When a downstream sink is blocked
 * (a pipeline going to PAUSED prerolls), those threads only return once
 * the application's state change reaches the sink — which may itself be
 * waiting for our element: a deadlock. So the elements are unlinked and
 * taken out of the bin at once (no streaming lock needed), and stopped and
 * freed on a worker thread, which may wait as long as it has to. */
#pragma once

#include <gst/gst.h>
#include <vector>

namespace rtc {

/* Removes @elements from @bin now and sets them to NULL (the last one
 * first: list a chain upstream to downstream) and drops them on a worker
 * thread. Takes its own references. Any thread. */
void dispose_elements (GstBin *bin, const std::vector<GstElement *> &elements);

/* Waits until every disposal started so far has finished (tests, and an
 * element stopping: so that nothing outlives it). */
void wait_disposals ();

} // namespace rtc

/* rtc::Pacer: the packet pacer shared by every rtcgcc in the process.
 *
 * Each rtcgcc owns a PacedFlow: its packets (and the serialized events
 * between them) wait in the flow until the flow's byte budget, refilled at
 * its pacing rate in 5 ms bursts, lets them out. A few worker threads (one
 * per core, at most 4) serve all flows: a flow is bound to the worker that
 * had the fewest flows when it was made. A worker sleeps until the earliest
 * time any of its flows may send, then pushes what every flow may send,
 * consecutive buffers of a flow as one buffer list. One thread per viewer
 * (and a thread switch per packet) was what congestion control cost before.
 *
 * A push must not block: one blocked flow would hold up every flow of its
 * worker. webrtcbin holds RTP back (a pad block) until the DTLS keys are
 * set, so a flow starts "not ready" when its element knows its DTLS
 * transport and the element marks it ready on the transport's key; until
 * then packets wait in the flow. Every flow holds at most MAX_HELD_BYTES;
 * beyond that the oldest packets are dropped.
 *
 * Threading: push (), set_* (), flush and activation are called from any
 * thread (streaming threads, the RTCP thread, the application). A flow's
 * state is guarded by its worker's mutex. A worker pushes with the flow's
 * pad's stream lock held, so taking that stream lock (as pad deactivation
 * and FLUSH_STOP do) waits for a push in flight. Lock order: a pad's stream
 * lock, then a worker's mutex; a worker never takes a stream lock with its
 * mutex held.
 */
#pragma once

#include <gst/gst.h>
#include <memory>

namespace rtc {

class PacerWorker;

class PacedFlow : public std::enable_shared_from_this<PacedFlow> {
public:
  /* How long a queue may grow before it is drained faster than the rate. */
  static constexpr gint64 MAX_QUEUE_US = 250000;
  static constexpr gint64 BURST_US = 5000;
  static constexpr gsize MAX_HELD_BYTES = 4 * 1024 * 1024;

  /* @pad: the src pad the flow pushes on; it must outlive the flow. */
  static std::shared_ptr<PacedFlow> create (GstPad *pad);
  ~PacedFlow ();

  /* Takes @obj (a buffer, buffer list or serialized event of @bytes
   * bytes, 0 for events). Returns FLUSHING while flushing, the last
   * downstream error after one. */
  GstFlowReturn push (GstMiniObject *obj, gsize bytes);
  /* Bytes per second; the rate used is raised so that a queue is drained
   * within MAX_QUEUE_US. */
  void set_rate (double bytes_per_second);
  void set_pacing (bool pacing);
  void set_ready (bool ready);
  bool ready () const;
  /* true: drops the queue and refuses new data (FLUSH_START, pad
   * deactivation); false: accepts data again (FLUSH_STOP, activation). Take
   * the pad's stream lock around false to be sure no old push is in flight. */
  void set_flushing (bool flushing);
  gsize queued_bytes () const;

  PacedFlow (const PacedFlow &) = delete;
  PacedFlow &operator= (const PacedFlow &) = delete;

private:
  friend class PacerWorker;
  explicit PacedFlow (GstPad *pad);
  struct State;
  GstPad *pad_;
  PacerWorker *worker_;
  std::unique_ptr<State> state_;
};

} // namespace rtc

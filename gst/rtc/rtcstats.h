/* RtcStats: what an element reports about itself and its sessions (its
 * `stats` property and its periodic "<prefix>-stats" bus message).
 *
 * A report is one GstStructure: the element's own figures (sessions,
 * handshakes in progress, offers rejected by reason, whatever its delegate
 * adds: encoders running, ...) and a "sessions" list with one structure per
 * session: its state and peer, the selected candidate pair, codecs, bytes
 * and packets each way with their rates since the previous report, RTT,
 * jitter, loss, NACK/PLI/FIR counts and repaired packets (from webrtcbin's
 * get-stats), and the element's own figures for it (the congestion
 * controller's estimate, the ladder rung, ...). docs/stats.md lists them.
 *
 * Collecting never blocks a streaming thread: the session layer's facts are
 * taken on the control thread (Sessions::facts ()), then get-stats is asked
 * of every webrtcbin at once and each answers on its own thread; the report
 * is complete when the last one has answered.
 *
 * Threading: report () from any thread but a webrtcbin's own (it would
 * wait for itself: it then gives up after its timeout and reports without
 * that session's webrtcbin figures); it gathers on the control thread.
 * The periodic message is gathered on the control thread and completed on
 * a worker thread of GLib's shared pool, at most one at a time per element
 * (a report still being made when the next is due skips that one).
 * Locks: the reporter's lock_, then the core's (rates, busy flag); neither
 * is held while calling into webrtcbin or posting.
 */
#pragma once

#include <gst/gst.h>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rtccontrolthread.h"
#include "rtcptr.h"

namespace rtc {

/* When a session's media first flowed once it was connected: the first
 * buffer into its webrtcbin (sent) and out of it (received). Streaming
 * threads write, any thread reads. */
struct FirstMedia {
  std::atomic<gint64> sent_us{0}, received_us{0}; /* monotonic; 0: not yet */
  /* The earlier of the two, or 0. */
  gint64 first_us () const;
};

/* Watches @webrtcbin's pads from now on (once its session connected): a
 * probe on each, present and added later, removed at its first buffer.
 * Control thread. */
std::shared_ptr<FirstMedia> watch_first_media (GstElement *webrtcbin);

/* What the session layer knows of one session (control thread). */
struct SessionFacts {
  std::string id;
  std::string peer_address;
  std::string state;               /* "connecting" or "connected" */
  gint64 created_us = 0;           /* monotonic */
  gint64 connected_us = 0;         /* 0: not yet */
  gint64 first_media_us = 0;       /* FirstMedia::first_us () */
  ObjectPtr<GstElement> webrtcbin; /* asked for its get-stats */
  StructurePtr extra;              /* the element's own fields for it */
};

/* Counts of observations (seconds) under fixed bounds, as a Prometheus
 * histogram has them; reported as "<name>-bounds" (array of doubles),
 * "<name>-counts" (cumulative, one more than the bounds: the last is the
 * total), "<name>-sum". Control thread. */
struct Histogram {
  explicit Histogram (std::vector<double> bounds)
      : bounds (std::move (bounds)), counts (this->bounds.size () + 1, 0)
  {}
  void observe (double seconds);
  void report (GstStructure *fields, const std::string &name) const;

  std::vector<double> bounds;
  std::vector<guint64> counts; /* per bucket, not cumulative */
  double sum = 0;
};

/* @field of @s as a number, whichever integer, floating or boolean type it
 * has (webrtcbin 1.22 uses several for one figure: bytes-sent is guint64 in
 * outbound-rtp, guint in remote-outbound-rtp); false when absent, not a
 * number or not finite. */
bool stats_number (const GstStructure *s, const char *field, double &out);

/* Copies what the report keeps of webrtcbin's get-stats answer @reply into
 * the session's structure @out (missing figures are left out, never
 * invented). Pure: no GStreamer object is touched. */
void summarize_webrtc_stats (const GstStructure *reply, GstStructure *out);

/* @sdp with every a=ice-pwd value replaced by "(hidden)". Pure. */
std::string hide_ice_passwords (const std::string &sdp);

/* How long a report waits for the webrtcbins' answers. */
constexpr guint STATS_TIMEOUT_MS = 2000;

/* Reports of one element (its `stats` property, its periodic message). */
class StatsReporter {
public:
  /* Control thread: adds the element's figures to @element_fields and its
   * sessions' facts to the list. */
  using Gather = std::function<void (GstStructure *element_fields, std::vector<SessionFacts> &)>;

  /* @prefix names the report ("<prefix>-stats") and the message. */
  StatsReporter (GstElement *element, const std::string &prefix, ControlThread &control,
                 Gather gather);
  ~StatsReporter ();
  StatsReporter (const StatsReporter &) = delete;
  StatsReporter &operator= (const StatsReporter &) = delete;

  /* A report now (transfer full), with each session's SDP exchanged
   * ("local-sdp", "remote-sdp": ICE passwords hidden; the periodic
   * message leaves them out). Any thread but a webrtcbin's (see above);
   * waits at most STATS_TIMEOUT_MS for the webrtcbins. */
  GstStructure *report ();
  /* The periodic message every @interval_ms (0: none). Any thread. */
  void set_interval (guint interval_ms);
  /* With the control thread: the timer starts and stops. */
  void start ();
  void stop ();

  struct Core; /* what outlives the reporter while a report is made */

private:
  void arm ();
  GstElement *element_;
  ControlThread &control_;
  Gather gather_;
  std::shared_ptr<Core> core_;
  std::mutex lock_; /* guards interval_, generation_, running_ */
  guint interval_ = 0;
  guint generation_ = 0;
  bool running_ = false;
};

} // namespace rtc

/* RtcGcc: a bandwidth estimator in the spirit of Google Congestion Control
 * (draft-ietf-rmcat-gcc-02), fed with transport-wide congestion control
 * feedback (per packet: send time, arrival time or lost, size).
 *
 *  - Delay-based: packets are grouped by send time (5 ms bursts); the
 *    change of one-way delay between groups is accumulated, smoothed, and
 *    its trend over the last groups (a linear regression, as current
 *    implementations do in place of the draft's Kalman filter) is compared
 *    with an adaptive threshold (up 0.0087, down 0.039 per ms, 6..600 ms)
 *    by the over-use detector (over-use held 10 ms).
 *  - Rate control (AIMD): over-use -> decrease to beta (0.85) times the
 *    received rate; normal -> increase, multiplicatively (8 %/s) far from
 *    the last decrease point, additively (about a packet per response
 *    time) near it; under-use -> hold. Never above 1.5x the received rate.
 *  - Loss-based: over 10 % loss -> rate x (1 - loss/2); under 2 % -> x1.05
 *    (at most every 200 ms); the target is the lower of both.
 *  - Start-up probing: until the first over-use or loss the rate grows
 *    fast (x1.5 a feedback round of 200 ms, bounded by 2x the received
 *    rate), so a call reaches the link's capacity in seconds, not minutes.
 *
 * A plain C++ class, not thread-safe: its owner serialises calls. Times
 * are in microseconds on any monotonic clock, sizes in bytes, rates in
 * bit/s.
 */
#pragma once

#include <glib.h>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace rtc {

struct PacketResult {
  guint64 seqnum = 0;     /* transport-wide, unwrapped */
  gint64 send_us = 0;     /* sender's clock */
  gint64 arrival_us = -1; /* receiver's clock; -1 = lost */
  guint32 size = 0;       /* bytes */
  bool lost () const { return arrival_us < 0; }
};

class GccEstimator {
public:
  enum class Usage { NORMAL, OVERUSE, UNDERUSE };
  enum class State { STARTUP, INCREASE, HOLD, DECREASE };

  struct Config {
    guint min_bps = 100000;
    guint start_bps = 1000000;
    guint max_bps = 4000000;
  };

  explicit GccEstimator (const Config &config);

  /* One feedback report (packets in any order). Returns the target
   * bitrate. */
  guint on_feedback (std::vector<PacketResult> packets, gint64 now_us);
  /* The sender sent nothing for a while (app-limited): keeps the estimate. */
  guint target_bps () const { return target_; }
  void set_bounds (guint min_bps, guint max_bps);

  /* Introspection (tests, statistics). */
  Usage usage () const { return usage_; }
  State state () const { return state_; }
  double trend_ms () const { return modified_trend_; }
  double threshold_ms () const { return threshold_; }
  double loss_ratio () const { return loss_ratio_; }
  guint received_bps () const { return received_bps_; }
  size_t received_window_packets () const { return received_.size (); }
  gint64 rtt_us () const { return rtt_us_; }
  guint delay_bps () const { return (guint)delay_rate_; }
  guint loss_bps () const { return (guint)loss_rate_; }
  static const char *state_name (State s);
  static const char *usage_name (Usage u);

private:
  struct Group {
    gint64 first_send_us = -1;
    gint64 last_send_us = 0;
    gint64 last_arrival_us = 0;
    guint64 bytes = 0;
    bool complete = false;
  };

  void add_packet (const PacketResult &p);
  void on_group (const Group &prev, const Group &cur);
  void detect (double now_ms, double delta_ms);
  void update_threshold (double now_ms);
  void update_received_rate (const std::vector<PacketResult> &packets);
  void update_loss (const std::vector<PacketResult> &packets, gint64 now_us);
  void update_rate (gint64 now_us);
  guint clamp (double bps) const;

  Config config_;
  /* grouping */
  Group current_, previous_;
  bool have_previous_ = false;
  gint64 first_arrival_us_ = -1;
  /* trendline */
  double accumulated_ms_ = 0, smoothed_ms_ = 0;
  std::deque<std::pair<double, double>> history_; /* arrival ms, smoothed delay ms */
  int num_deltas_ = 0;
  double modified_trend_ = 0, previous_trend_ = 0;
  /* over-use detection */
  double threshold_ = 12.5;
  double last_threshold_update_ms_ = -1;
  double overuse_start_ms_ = -1;
  int overuse_count_ = 0;
  Usage usage_ = Usage::NORMAL;
  bool overuse_pending_ = false; /* an over-use not acted on yet */
  /* received rate: a 500 ms window of delivered packets */
  std::deque<std::pair<gint64, guint32>> received_; /* arrival us, bytes */
  guint received_bps_ = 0;
  /* loss */
  guint64 window_packets_ = 0, window_lost_ = 0;
  gint64 last_loss_update_us_ = -1;
  gint64 last_loss_decrease_us_ = -1;
  double loss_ratio_ = 0;
  bool seen_loss_ = false;
  /* rate control */
  State state_ = State::STARTUP;
  double delay_rate_, loss_rate_;
  guint target_;
  gint64 last_rate_update_us_ = -1;
  double avg_max_bps_ = -1, var_max_ = 0.4; /* of the rate at decreases, kbit/s */
  gint64 rtt_us_ = 100000;
  gint64 last_decrease_us_ = -1;
};

} // namespace rtc

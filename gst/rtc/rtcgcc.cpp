/* See rtcgcc.h. */
#include "rtcgcc.h"

#include <algorithm>
#include <cmath>

namespace rtc {

namespace {

const gint64 BURST_US = 5000;      /* packets sent within 5 ms: one group */
const size_t TREND_WINDOW = 20;    /* groups in the trend regression */
const double SMOOTHING = 0.9;      /* of the accumulated delay */
const double TREND_GAIN = 4.0;     /* scales the slope to the threshold's unit */
const double OVERUSE_TIME_MS = 10; /* over-use held this long */
/* Adaptive threshold, per ms: it rises slowly towards a larger trend and
 * falls quickly back (libwebrtc's values; the draft's 0.01/0.00018 let it
 * climb after a noisy stretch and detect congestion only with a full
 * queue). */
const double K_UP = 0.0087, K_DOWN = 0.039;
const double MIN_THRESHOLD = 6, MAX_THRESHOLD = 600;
const double BETA = 0.85; /* multiplicative decrease */
const gint64 RECEIVED_WINDOW_US = 500000;
/* At most this many packets in that window (16,384 in 500 ms is ~390 Mbit/s
 * of 1,500-byte packets): a peer reporting every packet at one instant
 * would otherwise grow it for the whole session. */
const size_t RECEIVED_WINDOW_MAX = 16384;
const gint64 LOSS_INTERVAL_US = 200000;
const double STARTUP_GROWTH = 1.5; /* per 200 ms of start-up */

double regression_slope (const std::deque<std::pair<double, double>> &points)
{
  double sx = 0, sy = 0;
  for (auto &p : points) {
    sx += p.first;
    sy += p.second;
  }
  double mx = sx / points.size (), my = sy / points.size ();
  double num = 0, den = 0;
  for (auto &p : points) {
    num += (p.first - mx) * (p.second - my);
    den += (p.first - mx) * (p.first - mx);
  }
  return den == 0 ? 0 : num / den;
}

} // namespace

GccEstimator::GccEstimator (const Config &config)
    : config_ (config), delay_rate_ (config.start_bps), loss_rate_ (config.start_bps),
      target_ (config.start_bps)
{
  target_ = clamp (config.start_bps);
  delay_rate_ = loss_rate_ = target_;
}

void GccEstimator::set_bounds (guint min_bps, guint max_bps)
{
  config_.min_bps = min_bps;
  config_.max_bps = std::max (min_bps, max_bps);
  delay_rate_ = clamp (delay_rate_);
  loss_rate_ = clamp (loss_rate_);
  target_ = clamp (std::min (delay_rate_, loss_rate_));
}

guint GccEstimator::clamp (double bps) const
{
  return (guint)std::min<double> (config_.max_bps, std::max<double> (config_.min_bps, bps));
}

const char *GccEstimator::state_name (State s)
{
  switch (s) {
  case State::STARTUP:
    return "startup";
  case State::INCREASE:
    return "increase";
  case State::HOLD:
    return "hold";
  case State::DECREASE:
    return "decrease";
  }
  return "?";
}

const char *GccEstimator::usage_name (Usage u)
{
  switch (u) {
  case Usage::NORMAL:
    return "normal";
  case Usage::OVERUSE:
    return "overuse";
  case Usage::UNDERUSE:
    return "underuse";
  }
  return "?";
}

guint GccEstimator::on_feedback (std::vector<PacketResult> packets, gint64 now_us)
{
  if (packets.empty ())
    return target_;
  std::sort (packets.begin (), packets.end (),
             [] (const PacketResult &a, const PacketResult &b) { return a.seqnum < b.seqnum; });
  gint64 newest_send = G_MININT64;
  for (auto &p : packets) {
    if (p.lost ())
      continue;
    add_packet (p);
    newest_send = std::max (newest_send, p.send_us);
  }
  if (newest_send != G_MININT64 && now_us > newest_send) {
    gint64 sample = now_us - newest_send;
    rtt_us_ = (gint64)(0.9 * rtt_us_ + 0.1 * sample);
  }
  update_received_rate (packets);
  update_loss (packets, now_us);
  update_rate (now_us);
  return target_;
}

/* Groups packets by send time; a completed group against the previous one
 * gives one delay variation sample. */
void GccEstimator::add_packet (const PacketResult &p)
{
  if (first_arrival_us_ < 0)
    first_arrival_us_ = p.arrival_us;
  if (current_.first_send_us < 0) {
    current_.first_send_us = current_.last_send_us = p.send_us;
    current_.last_arrival_us = p.arrival_us;
    current_.bytes = p.size;
    return;
  }
  if (p.send_us < current_.first_send_us)
    return; /* reordered, older than the group being filled */
  gint64 arrival_delta = p.arrival_us - current_.last_arrival_us;
  gint64 send_delta = p.send_us - current_.last_send_us;
  /* A burst: sent together, or arriving together faster than sent (a
   * queue draining). */
  bool burst = p.send_us - current_.first_send_us <= BURST_US ||
               (arrival_delta <= BURST_US && arrival_delta - send_delta < 0);
  if (burst) {
    current_.last_send_us = std::max (current_.last_send_us, p.send_us);
    current_.last_arrival_us = std::max (current_.last_arrival_us, p.arrival_us);
    current_.bytes += p.size;
    return;
  }
  if (have_previous_)
    on_group (previous_, current_);
  previous_ = current_;
  have_previous_ = true;
  current_ = Group ();
  current_.first_send_us = current_.last_send_us = p.send_us;
  current_.last_arrival_us = p.arrival_us;
  current_.bytes = p.size;
}

void GccEstimator::on_group (const Group &prev, const Group &cur)
{
  double send_delta = (cur.last_send_us - prev.last_send_us) / 1000.0;
  double arrival_delta = (cur.last_arrival_us - prev.last_arrival_us) / 1000.0;
  double delta = arrival_delta - send_delta;
  /* A pause of the stream or a clock jump says nothing about queues. */
  if (arrival_delta > 3000 || std::fabs (delta) > 1000) {
    history_.clear ();
    accumulated_ms_ = smoothed_ms_ = 0;
    num_deltas_ = 0;
    return;
  }
  double now_ms = (cur.last_arrival_us - first_arrival_us_) / 1000.0;
  num_deltas_ = std::min (num_deltas_ + 1, 1000);
  accumulated_ms_ += delta;
  smoothed_ms_ = SMOOTHING * smoothed_ms_ + (1 - SMOOTHING) * accumulated_ms_;
  history_.push_back ({now_ms, smoothed_ms_});
  if (history_.size () > TREND_WINDOW)
    history_.pop_front ();
  if (history_.size () == TREND_WINDOW) {
    double slope = regression_slope (history_);
    modified_trend_ = std::min (num_deltas_, 60) * slope * TREND_GAIN;
  }
  detect (now_ms, send_delta);
}

void GccEstimator::detect (double now_ms, double delta_ms)
{
  double t = modified_trend_;
  if (t > threshold_) {
    if (overuse_start_ms_ < 0)
      overuse_start_ms_ = now_ms - delta_ms / 2;
    overuse_count_++;
    if (now_ms - overuse_start_ms_ > OVERUSE_TIME_MS && overuse_count_ > 1 &&
        t >= previous_trend_) {
      usage_ = Usage::OVERUSE;
      overuse_pending_ = true;
      overuse_start_ms_ = -1;
      overuse_count_ = 0;
    }
  } else if (t < -threshold_) {
    overuse_start_ms_ = -1;
    overuse_count_ = 0;
    usage_ = Usage::UNDERUSE;
  } else {
    overuse_start_ms_ = -1;
    overuse_count_ = 0;
    usage_ = Usage::NORMAL;
  }
  previous_trend_ = t;
  update_threshold (now_ms);
}

void GccEstimator::update_threshold (double now_ms)
{
  if (last_threshold_update_ms_ < 0)
    last_threshold_update_ms_ = now_ms;
  double t = std::fabs (modified_trend_);
  /* A sudden spike (a route change, a delayed feedback) should not drag
   * the threshold along. */
  if (t > threshold_ + 15) {
    last_threshold_update_ms_ = now_ms;
    return;
  }
  double k = t < threshold_ ? K_DOWN : K_UP;
  double dt = std::min (now_ms - last_threshold_update_ms_, 100.0);
  threshold_ += std::min (1.0, k * dt) * (t - threshold_);
  threshold_ = std::min (MAX_THRESHOLD, std::max (MIN_THRESHOLD, threshold_));
  last_threshold_update_ms_ = now_ms;
}

void GccEstimator::update_received_rate (const std::vector<PacketResult> &packets)
{
  for (auto &p : packets)
    if (!p.lost ())
      received_.push_back ({p.arrival_us, p.size});
  if (received_.empty ())
    return;
  std::sort (received_.begin (), received_.end ());
  gint64 newest = received_.back ().first;
  while (!received_.empty () && newest - received_.front ().first > RECEIVED_WINDOW_US)
    received_.pop_front ();
  while (received_.size () > RECEIVED_WINDOW_MAX)
    received_.pop_front ();
  if (received_.size () < 5)
    return;
  guint64 bytes = 0;
  for (auto &r : received_)
    bytes += r.second;
  gint64 span = std::max<gint64> (newest - received_.front ().first, 100000);
  received_bps_ = (guint)(bytes * 8 * 1e6 / span);
}

void GccEstimator::update_loss (const std::vector<PacketResult> &packets, gint64 now_us)
{
  for (auto &p : packets) {
    window_packets_++;
    window_lost_ += p.lost ();
  }
  if (last_loss_update_us_ >= 0 && now_us - last_loss_update_us_ < LOSS_INTERVAL_US)
    return;
  last_loss_update_us_ = now_us;
  if (window_packets_ == 0)
    return;
  loss_ratio_ = (double)window_lost_ / window_packets_;
  window_packets_ = window_lost_ = 0;
  if (loss_ratio_ > 0.10) {
    /* One decrease per 300 ms + RTT: the loss a decrease cures shows that
     * much later, and cutting at every report compounds (a queue that
     * overflowed for 300 ms cut the rate three times). */
    if (last_loss_decrease_us_ < 0 || now_us - last_loss_decrease_us_ >= 300000 + rtt_us_) {
      loss_rate_ = std::min (loss_rate_, (double)target_) * (1 - 0.5 * loss_ratio_);
      last_loss_decrease_us_ = now_us;
    }
    seen_loss_ = true;
    if (state_ == State::STARTUP)
      state_ = State::HOLD;
  } else if (loss_ratio_ < 0.02) {
    /* Until the path has shown loss, loss does not limit the rate. */
    loss_rate_ = seen_loss_ ? loss_rate_ * 1.05 : std::max (loss_rate_, delay_rate_);
  }
  loss_rate_ = clamp (loss_rate_);
}

void GccEstimator::update_rate (gint64 now_us)
{
  double dt =
      last_rate_update_us_ < 0 ? 0.0 : std::min (1.0, (now_us - last_rate_update_us_) / 1e6);
  last_rate_update_us_ = now_us;
  double received = received_bps_;
  Usage signal = overuse_pending_ ? Usage::OVERUSE : usage_;
  switch (signal) {
  case Usage::OVERUSE: {
    /* One decrease per round trip: the effect of the last one takes that
     * long to show. */
    if (last_decrease_us_ >= 0 && now_us - last_decrease_us_ < std::max<gint64> (rtt_us_, 100000))
      break;
    overuse_pending_ = false;
    double measured = received > 0 ? received : delay_rate_;
    double kbps = measured / 1000;
    if (avg_max_bps_ >= 0 && kbps < avg_max_bps_ - 3 * std::sqrt (var_max_ * avg_max_bps_))
      avg_max_bps_ = -1; /* the link changed: forget the old level */
    if (avg_max_bps_ < 0) {
      avg_max_bps_ = kbps;
    } else {
      avg_max_bps_ = 0.95 * avg_max_bps_ + 0.05 * kbps;
      double norm = std::max (avg_max_bps_, 1.0);
      var_max_ = 0.95 * var_max_ + 0.05 * (avg_max_bps_ - kbps) * (avg_max_bps_ - kbps) / norm;
      var_max_ = std::min (2.5, std::max (0.4, var_max_));
    }
    delay_rate_ = std::min (delay_rate_, BETA * measured);
    state_ = State::DECREASE;
    last_decrease_us_ = now_us;
    break;
  }
  case Usage::UNDERUSE:
    /* Queues are draining: wait for them before probing again. */
    if (state_ != State::STARTUP)
      state_ = State::HOLD;
    break;
  case Usage::NORMAL:
    if (state_ == State::DECREASE || state_ == State::HOLD)
      state_ = State::INCREASE;
    if (state_ == State::STARTUP) {
      double grown = delay_rate_ * std::pow (STARTUP_GROWTH, dt / 0.2);
      delay_rate_ = received > 0 ? std::min (grown, std::max (delay_rate_, 2 * received)) : grown;
    } else if (state_ == State::INCREASE) {
      double kbps = received / 1000;
      if (avg_max_bps_ >= 0 && kbps > avg_max_bps_ + 3 * std::sqrt (var_max_ * avg_max_bps_))
        avg_max_bps_ = -1; /* above the old level: the link grew */
      bool near = avg_max_bps_ >= 0 &&
                  std::fabs (kbps - avg_max_bps_) <= 3 * std::sqrt (var_max_ * avg_max_bps_);
      /* What was received bounds the increase, never lowers the estimate:
       * the received rate dips with every small frame, and a rate pulled
       * down by each dip ratchets far below the path (the encoder then
       * produces less, so received dips further). */
      double limit = received > 0 ? 1.5 * received + 10000 : G_MAXDOUBLE;
      if (delay_rate_ < limit) {
        double grown;
        if (near) {
          /* About one packet more per response time. */
          double response_s = (rtt_us_ + 100000) / 1e6;
          grown = delay_rate_ + std::max (1000.0, 1200 * 8 * dt / response_s);
        } else {
          grown = delay_rate_ * std::pow (1.08, dt);
        }
        delay_rate_ = std::min (grown, limit);
      }
    }
    break;
  }
  delay_rate_ = clamp (delay_rate_);
  if (!seen_loss_)
    loss_rate_ = std::max (loss_rate_, delay_rate_);
  target_ = clamp (std::min (delay_rate_, loss_rate_));
}

} // namespace rtc

/* The GCC estimator (gst/rtc/rtcgcc.*) on synthetic feedback, in virtual
 * time: a sender of 30 fps video paced at 2.5x the estimate, a bottleneck
 * with a drop-tail queue, one-way delay, optional jitter and random loss,
 * and TWCC-like feedback every 50 ms. Deterministic (seeded). */
#include <gst/check/gstcheck.h>
#include <algorithm>
#include <cmath>
#include <deque>
#include <random>
#include <vector>

#include "rtcgcc.h"

namespace {

struct Link {
  std::vector<std::pair<double, double>> schedule; /* seconds, bit/s */
  double delay_ms = 50;
  double queue_ms = 300;
  double jitter_ms = 0;
  double loss = 0;
  /* The sender side: every @quiet_every_s seconds the encoder produces
   * @quiet_factor of its target for @quiet_s (a still scene); 0: never. */
  double quiet_every_s = 0, quiet_s = 0.4, quiet_factor = 0.5;
  double capacity (double t) const
  {
    double c = schedule.front ().second;
    for (auto &s : schedule)
      if (t >= s.first)
        c = s.second;
    return c;
  }
};

struct Sample {
  double t, target, capacity, qdelay_ms;
};

/* Runs @seconds of virtual time; returns the estimate every 200 ms. */
std::vector<Sample> simulate (const Link &link, double seconds, guint start_bps = 300000,
                              unsigned seed = 1)
{
  rtc::GccEstimator::Config cfg;
  cfg.min_bps = 50000;
  cfg.start_bps = start_bps;
  cfg.max_bps = 5000000;
  rtc::GccEstimator gcc (cfg);
  std::mt19937 rng (seed);
  std::uniform_real_distribution<double> uni (0, 1);

  struct Pkt {
    guint64 seq;
    gint64 send_us;
    guint32 size;
  };
  std::deque<Pkt> pacer, queue;
  std::deque<rtc::PacketResult> arrived; /* waiting for the next feedback */
  std::deque<std::pair<gint64, std::vector<rtc::PacketResult>>> in_flight_feedback;
  guint64 seq = 0;
  double queue_bytes = 0, link_free_us = 0, last_delivery_us = 0, pacer_budget = 0;
  double qdelay_sum = 0;
  int qdelay_n = 0;
  std::vector<Sample> out;
  const gint64 step = 1000; /* 1 ms */
  for (gint64 now = 0; now < (gint64)(seconds * 1e6); now += step) {
    double t = now / 1e6;
    guint target = gcc.target_bps ();
    /* The encoder: a frame every 33 ms of target/30 bytes, keyframes 3x
     * every 2 s. */
    if (now % 33333 < step) {
      double bytes = target / 8.0 / 30;
      if (now % 2000000 < 33333)
        bytes *= 3;
      if (link.quiet_every_s > 0 &&
          std::fmod (t, link.quiet_every_s) >= link.quiet_every_s - link.quiet_s)
        bytes *= link.quiet_factor;
      for (; bytes > 0; bytes -= 1200)
        pacer.push_back ({seq++, 0, (guint32)std::min (1200.0, std::max (bytes, 100.0))});
    }
    /* The pacer: 2.5x the estimate. */
    pacer_budget =
        std::min (pacer_budget + 2.5 * target * step / 1e6 / 8, 2.5 * target / 8 * 0.005);
    while (!pacer.empty () && pacer_budget >= 0) {
      Pkt p = pacer.front ();
      pacer.pop_front ();
      p.send_us = now;
      pacer_budget -= p.size;
      double limit = link.capacity (t) * link.queue_ms / 1000 / 8;
      if (queue_bytes + p.size > limit) {
        arrived.push_back ({p.seq, p.send_us, -1, p.size}); /* queue overflow */
        continue;
      }
      queue.push_back (p);
      queue_bytes += p.size;
    }
    /* The bottleneck. */
    while (!queue.empty ()) {
      double start = std::max (link_free_us, (double)queue.front ().send_us);
      if (start > now)
        break;
      Pkt p = queue.front ();
      queue.pop_front ();
      queue_bytes -= p.size;
      link_free_us = start + p.size * 8 * 1e6 / link.capacity (start / 1e6);
      qdelay_sum += (start - p.send_us) / 1000;
      qdelay_n++;
      if (uni (rng) < link.loss) {
        arrived.push_back ({p.seq, p.send_us, -1, p.size});
        continue;
      }
      double at = link_free_us + link.delay_ms * 1000 + uni (rng) * link.jitter_ms * 1000;
      at = std::max (at, last_delivery_us);
      last_delivery_us = at;
      arrived.push_back ({p.seq, p.send_us, (gint64)at, p.size});
    }
    /* Feedback every 50 ms about what has arrived, back after the delay. */
    if (now % 50000 == 0) {
      std::vector<rtc::PacketResult> report;
      while (!arrived.empty () && arrived.front ().arrival_us <= now) {
        report.push_back (arrived.front ());
        arrived.pop_front ();
      }
      if (!report.empty ())
        in_flight_feedback.push_back ({now + (gint64)(link.delay_ms * 1000), report});
    }
    while (!in_flight_feedback.empty () && in_flight_feedback.front ().first <= now) {
      gcc.on_feedback (in_flight_feedback.front ().second, now);
      in_flight_feedback.pop_front ();
    }
    if (now % 200000 == 0) {
      out.push_back (
          {t, (double)gcc.target_bps (), link.capacity (t), qdelay_n ? qdelay_sum / qdelay_n : 0});
      qdelay_sum = 0;
      qdelay_n = 0;
    }
  }
  return out;
}

double mean_target (const std::vector<Sample> &s, double from, double to)
{
  double sum = 0;
  int n = 0;
  for (auto &x : s)
    if (x.t >= from && x.t < to) {
      sum += x.target;
      n++;
    }
  return n ? sum / n : 0;
}

double percentile_qdelay (const std::vector<Sample> &s, double from, double to, double p)
{
  std::vector<double> v;
  for (auto &x : s)
    if (x.t >= from && x.t < to)
      v.push_back (x.qdelay_ms);
  std::sort (v.begin (), v.end ());
  return v.empty () ? 0 : v[(size_t)(p / 100 * (v.size () - 1))];
}

/* First time at or after @from the estimate satisfies @pred. */
double first_time (const std::vector<Sample> &s, double from, bool (*pred) (const Sample &))
{
  for (auto &x : s)
    if (x.t >= from && pred (x))
      return x.t;
  return 1e9;
}

void dump (const char *name, const std::vector<Sample> &s)
{
  for (auto &x : s)
    if (std::fmod (x.t, 2.0) < 0.1)
      GST_INFO ("%s t=%.1f target=%.0f kbit/s capacity=%.0f qdelay=%.1f ms", name, x.t,
                x.target / 1000, x.capacity / 1000, x.qdelay_ms);
}

} // namespace

GST_START_TEST (test_steady_link)
{
  Link link;
  link.schedule = {{0, 1500000}};
  auto s = simulate (link, 40);
  dump ("steady", s);
  /* Start-up probing reaches most of the link in a few seconds. */
  double reach = first_time (s, 0, [] (const Sample &x) { return x.target >= 0.7 * x.capacity; });
  fail_unless (reach <= 6, "70 %% of the link only at %.1f s", reach);
  double mean = mean_target (s, 20, 40);
  fail_unless (mean >= 0.75 * 1500000 && mean <= 1.1 * 1500000, "mean %.0f", mean);
  double q95 = percentile_qdelay (s, 20, 40, 95);
  fail_unless (q95 < 100, "p95 queuing delay %.1f ms", q95);
}
GST_END_TEST;

GST_START_TEST (test_capacity_drop)
{
  Link link;
  link.schedule = {{0, 2500000}, {20, 1000000}};
  auto s = simulate (link, 40);
  dump ("drop", s);
  double before = mean_target (s, 12, 20);
  fail_unless (before >= 0.65 * 2500000, "before the drop %.0f", before);
  double follow = first_time (s, 20, [] (const Sample &x) { return x.target <= 1.1 * 1000000; });
  fail_unless (follow - 20 <= 3, "the drop followed after %.1f s", follow - 20);
  double after = mean_target (s, 26, 40);
  fail_unless (after >= 0.65 * 1000000 && after <= 1.1 * 1000000, "after the drop %.0f", after);
  fail_unless (percentile_qdelay (s, 26, 40, 95) < 150);
}
GST_END_TEST;

GST_START_TEST (test_capacity_rise)
{
  Link link;
  link.schedule = {{0, 1000000}, {20, 2500000}};
  auto s = simulate (link, 50);
  dump ("rise", s);
  double before = mean_target (s, 10, 20);
  fail_unless (before >= 0.7 * 1000000 && before <= 1.15 * 1000000, "before %.0f", before);
  double rise = first_time (s, 20, [] (const Sample &x) { return x.target >= 0.7 * x.capacity; });
  fail_unless (rise - 20 <= 15, "70 %% of the new capacity after %.1f s", rise - 20);
  fail_unless (mean_target (s, 40, 50) >= 0.7 * 2500000);
}
GST_END_TEST;

GST_START_TEST (test_random_loss)
{
  Link link;
  link.schedule = {{0, 1500000}};
  link.loss = 0.05; /* 2..10 %: the loss controller holds */
  auto s = simulate (link, 40);
  dump ("loss5", s);
  fail_unless (mean_target (s, 20, 40) >= 0.6 * 1500000, "5 %% loss: %.0f",
               mean_target (s, 20, 40));
  link.loss = 0.25; /* heavy loss: back off */
  s = simulate (link, 40);
  dump ("loss25", s);
  fail_unless (mean_target (s, 20, 40) <= 0.6 * 1500000, "25 %% loss: %.0f",
               mean_target (s, 20, 40));
}
GST_END_TEST;

GST_START_TEST (test_delay_jitter)
{
  Link link;
  link.schedule = {{0, 1500000}};
  link.jitter_ms = 15;
  auto s = simulate (link, 40);
  dump ("jitter", s);
  double mean = mean_target (s, 20, 40);
  fail_unless (mean >= 0.6 * 1500000, "with 15 ms jitter %.0f", mean);
  fail_unless (mean <= 1.1 * 1500000);
}
GST_END_TEST;

GST_START_TEST (test_uneven_encoder_output)
{
  /* An encoder that often produces less than asked (still scenes) on a
   * link with room to spare: what was received bounds the increase but
   * must not drag the estimate down with each quiet stretch, or it
   * ratchets far below the link (it fell to the 50 kbit/s minimum). */
  Link link;
  link.schedule = {{0, 2000000}};
  link.quiet_every_s = 1.5;
  link.quiet_factor = 0.5; /* half the target for 0.4 s of every 1.5 s */
  auto s = simulate (link, 40);
  dump ("uneven", s);
  double mean = mean_target (s, 20, 40);
  fail_unless (mean >= 0.6 * 2000000, "estimate %.0f with a quiet encoder on 2 Mbit/s", mean);
  fail_unless (mean <= 1.1 * 2000000);
  fail_unless (percentile_qdelay (s, 20, 40, 95) < 150);
  /* A quarter: an over-use seen just after a quiet stretch backs off from
   * a low received rate, so the estimate sits lower, but holds. */
  link.quiet_factor = 0.25;
  s = simulate (link, 40);
  dump ("quiet", s);
  mean = mean_target (s, 20, 40);
  fail_unless (mean >= 0.35 * 2000000, "estimate %.0f with a quieter encoder", mean);
}
GST_END_TEST;

GST_START_TEST (test_deterministic)
{
  Link link;
  link.schedule = {{0, 2000000}};
  link.loss = 0.01;
  link.jitter_ms = 5;
  auto a = simulate (link, 10, 300000, 7), b = simulate (link, 10, 300000, 7);
  fail_unless_equals_int (a.size (), b.size ());
  for (size_t i = 0; i < a.size (); i++)
    fail_unless (a[i].target == b[i].target);
}
GST_END_TEST;

/* A peer reporting every packet as arriving at the same instant: the
 * received-rate window stays bounded (it held every packet of the session)
 * and the estimate within its bounds. */
GST_START_TEST (test_identical_arrivals)
{
  rtc::GccEstimator gcc (rtc::GccEstimator::Config{});
  guint64 seq = 0;
  for (int report = 0; report < 2000; report++) {
    std::vector<rtc::PacketResult> packets (50);
    for (auto &p : packets) {
      p.seqnum = seq++;
      p.send_us = report * 50000;
      p.arrival_us = 1000000;
      p.size = 1200;
    }
    guint target = gcc.on_feedback (packets, report * 50000);
    fail_unless (target >= 100000 && target <= 4000000, "target %u", target);
  }
  fail_unless (gcc.received_window_packets () <= 16384, "%zu packets in the window",
               gcc.received_window_packets ());
}
GST_END_TEST;

static Suite *rtcgcc_suite (void)
{
  Suite *s = suite_create ("rtcgcc");
  TCase *tc = tcase_create ("estimator");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_steady_link);
  tcase_add_test (tc, test_capacity_drop);
  tcase_add_test (tc, test_capacity_rise);
  tcase_add_test (tc, test_random_loss);
  tcase_add_test (tc, test_delay_jitter);
  tcase_add_test (tc, test_uneven_encoder_output);
  tcase_add_test (tc, test_deterministic);
  tcase_add_test (tc, test_identical_arrivals);
  return s;
}

GST_CHECK_MAIN (rtcgcc);

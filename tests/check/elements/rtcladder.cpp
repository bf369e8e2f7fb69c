/* The encoding ladder (gst/rtc/rtcladder.*) against docs/congestion-control.md:
 * rung bands, the rung a budget reaches, a rung's encoder bitrate, the moves
 * between rungs with their hold times (driven with explicit timestamps), the
 * frame-rate cap of the lowest rung, and ladders of one rung or with
 * min-bitrate >= video-bitrate. Pure functions: no GStreamer element.
 * Also the host-load reading the room's low layers depend on (rtchostload.h):
 * Linux PSI text parsed, malformed text refused. */
#include <gst/check/gstcheck.h>
#include <vector>

#include "rtchostload.h"
#include "rtcladder.h"

namespace {

const gint64 MS = 1000;
const gint64 S = 1000 * MS;
/* The element re-evaluates the ladder on a timer; the tests step as often. */
const gint64 STEP = 50 * MS;

rtc::Ladder make_ladder (guint rungs, guint min_bps, guint max_bps)
{
  rtc::Ladder l;
  l.rungs = rungs;
  l.min_bps = min_bps;
  l.max_bps = max_bps;
  return l;
}

/* One viewer as the element keeps it between calls to next(). */
struct Viewer {
  int rung;
  int wanted;
  gint64 since_us;
  Viewer (int r, gint64 now_us) : rung (r), wanted (r), since_us (now_us) {}
};

/* Calls next() every STEP from @from_us to @to_us (inclusive) with @budget.
 * Returns the time of the first move (-1: none) and leaves @v updated. */
gint64 drive (const rtc::Ladder &l, Viewer &v, guint budget, gint64 from_us, gint64 to_us)
{
  gint64 moved = -1;
  for (gint64 t = from_us; t <= to_us; t += STEP) {
    int r = l.next (v.rung, budget, t, v.wanted, v.since_us);
    fail_unless (r >= 0 && r < (int)l.rungs, "rung %d out of the ladder", r);
    if (r != v.rung && moved < 0)
      moved = t;
    v.rung = r;
  }
  return moved;
}

/* Invariants a user of any ladder with min <= max relies on. */
void check_invariants (const rtc::Ladder &l)
{
  for (int r = 0; r < (int)l.rungs; r++) {
    fail_unless (l.low (r) <= l.high (r), "rung %d: band [%u, %u]", r, l.low (r), l.high (r));
    fail_unless (l.high (r) <= l.max_bps, "rung %d: ceiling %u over max %u", r, l.high (r),
                 l.max_bps);
    fail_unless (l.low (r) >= l.min_bps, "rung %d: floor %u under min %u", r, l.low (r), l.min_bps);
    if (r > 0)
      fail_unless (l.high (r) <= l.high (r - 1), "rung %d runs faster than rung %d", r, r - 1);
  }
  /* The full budget reaches the full size; below the minimum, the lowest rung. */
  fail_unless_equals_int (l.rung_for (l.max_bps), 0);
  fail_unless_equals_int (l.rung_for (G_MAXUINT), 0);
  fail_unless_equals_int (l.rung_for (0), (int)l.rungs - 1);
  if (l.min_bps > 0)
    fail_unless_equals_int (l.rung_for (l.min_bps - 1), (int)l.rungs - 1);
  /* A bigger budget never gets a worse rung; a rung's encoder stays in its band. */
  int previous = (int)l.rungs - 1;
  for (guint b = 0; b <= l.max_bps + l.max_bps / 2; b += l.max_bps / 500 + 1) {
    int r = l.rung_for (b);
    fail_unless (r >= 0 && r < (int)l.rungs);
    fail_unless (r <= previous, "budget %u: rung %d after rung %d", b, r, previous);
    previous = r;
    for (int k = 0; k < (int)l.rungs; k++) {
      guint rate = l.bitrate (k, b);
      fail_unless (rate >= l.low (k) && rate <= l.high (k), "rung %d at %u: %u", k, b, rate);
      fail_unless (rate >= l.min_bps && rate <= l.max_bps);
    }
  }
}

} // namespace

GST_START_TEST (test_default_bands)
{
  rtc::Ladder l; /* the defaults: 3 rungs, 150 kbit/s - 2 Mb/s */
  fail_unless_equals_int (l.rungs, 3);
  /* docs/congestion-control.md: 0.8-2 Mb/s, 320-800 kbit/s, 150-320 kbit/s */
  fail_unless_equals_int (l.low (0), 800000);
  fail_unless_equals_int (l.high (0), 2000000);
  fail_unless_equals_int (l.low (1), 320000);
  fail_unless_equals_int (l.high (1), 800000);
  fail_unless_equals_int (l.low (2), 150000);
  fail_unless_equals_int (l.high (2), 320000);
  /* Contiguous: each rung's ceiling is the floor of the one above. */
  for (int r = 1; r < 3; r++)
    fail_unless_equals_int (l.high (r), l.low (r - 1));
  check_invariants (l);

  /* The bands scale with video-bitrate (B = 3 Mb/s). */
  rtc::Ladder big = make_ladder (3, 150000, 3000000);
  fail_unless_equals_int (big.low (0), 1200000);
  fail_unless_equals_int (big.low (1), 480000);
  fail_unless_equals_int (big.high (2), 480000);
  check_invariants (big);

  /* A min-bitrate over 0.16 B lifts the lower floors; nothing goes under it. */
  for (guint min : {50000u, 150000u, 400000u, 900000u, 1999999u, 2000000u})
    check_invariants (make_ladder (3, min, 2000000));
  for (guint rungs : {1u, 2u, 3u})
    check_invariants (make_ladder (rungs, 100000, 1000000));
}
GST_END_TEST;

GST_START_TEST (test_rung_for)
{
  rtc::Ladder l;
  fail_unless_equals_int (l.rung_for (5000000), 0);
  fail_unless_equals_int (l.rung_for (2000000), 0);
  fail_unless_equals_int (l.rung_for (800000), 0);
  fail_unless_equals_int (l.rung_for (799999), 1);
  fail_unless_equals_int (l.rung_for (500000), 1);
  fail_unless_equals_int (l.rung_for (320000), 1);
  fail_unless_equals_int (l.rung_for (319999), 2);
  fail_unless_equals_int (l.rung_for (150000), 2);
  /* Under min-bitrate there is no better place than the lowest rung. */
  fail_unless_equals_int (l.rung_for (100000), 2);
  fail_unless_equals_int (l.rung_for (0), 2);
}
GST_END_TEST;

GST_START_TEST (test_bitrate)
{
  rtc::Ladder l;
  /* Viewers of a rung share the lowest budget among them, inside the band:
   * 1.0 and 1.9 Mb/s on rung 0 both get 1.0. */
  fail_unless_equals_int (l.bitrate (0, 1000000), 1000000);
  fail_unless_equals_int (l.bitrate (0, 5000000), 2000000);
  fail_unless_equals_int (l.bitrate (0, 300000), 800000); /* the floor, until it moves down */
  fail_unless_equals_int (l.bitrate (1, 500000), 500000);
  fail_unless_equals_int (l.bitrate (1, 1500000), 800000);
  fail_unless_equals_int (l.bitrate (1, 0), 320000);
  fail_unless_equals_int (l.bitrate (2, 200000), 200000);
  fail_unless_equals_int (l.bitrate (2, 0), 150000);
  fail_unless_equals_int (l.bitrate (2, 1000000), 320000);
}
GST_END_TEST;

/* One viewer's budget cannot pull a shared encoder down for everyone: a
 * viewer under its rung's band (moving down, or under the last rung's
 * floor) does not count (issue 14, finding 11). */
GST_START_TEST (test_encoder_bitrate)
{
  rtc::Ladder l;
  const guint rung0[] = {1800000, 1500000, 200000};
  fail_unless_equals_int (l.encoder_bitrate (0, rung0, 3), 1500000); /* was 800000 */
  const guint rung2[] = {300000, 200000, 50000};
  fail_unless_equals_int (l.encoder_bitrate (2, rung2, 3), 200000); /* was 150000 */
  const guint below[] = {100000, 50000};
  fail_unless_equals_int (l.encoder_bitrate (0, below, 2), 800000); /* all moving: the floor */
  fail_unless_equals_int (l.encoder_bitrate (0, below, 0), 800000);
  rtc::Ladder one;
  one.rungs = 1;
  const guint single[] = {1200000, 90000};
  fail_unless_equals_int (one.encoder_bitrate (0, single, 2), 1200000);
}
GST_END_TEST;

GST_START_TEST (test_down_after_hold)
{
  rtc::Ladder l;
  gint64 t0 = 1000 * S;
  /* Under rung 0's floor: down after 0.5 s, not before. */
  Viewer v (0, t0);
  gint64 moved = drive (l, v, 500000, t0, t0 + 2 * S);
  fail_unless (moved >= t0 + 500 * MS && moved <= t0 + 550 * MS,
               "moved after %" G_GINT64_FORMAT " us", moved - t0);
  fail_unless_equals_int (v.rung, 1);

  /* Far under: straight to the rung the budget reaches, not one by one. */
  Viewer w (0, t0);
  moved = drive (l, w, 100000, t0, t0 + 2 * S);
  fail_unless (moved >= t0 + 500 * MS && moved <= t0 + 550 * MS);
  fail_unless_equals_int (w.rung, 2);

  /* Dips shorter than the hold, with the budget back in the band between
   * them, never move the viewer. */
  Viewer d (0, t0);
  gint64 t = t0;
  for (int i = 0; i < 10; i++) {
    fail_unless_equals_int (drive (l, d, 500000, t, t + 400 * MS), -1);
    fail_unless_equals_int (drive (l, d, 1200000, t + 450 * MS, t + 1 * S), -1);
    t += 1050 * MS;
  }
  fail_unless_equals_int (d.rung, 0);

  /* In the band: no move, however long. */
  Viewer s (1, t0);
  fail_unless_equals_int (drive (l, s, 500000, t0, t0 + 60 * S), -1);
}
GST_END_TEST;

GST_START_TEST (test_up_after_hold)
{
  rtc::Ladder l;
  gint64 t0 = 50 * S;
  /* 20 % over rung 1's floor (384 kbit/s): up after 3 s, not before. */
  Viewer v (2, t0);
  gint64 moved = drive (l, v, 400000, t0, t0 + 10 * S);
  fail_unless (moved >= t0 + 3 * S && moved <= t0 + 3 * S + 50 * MS,
               "moved after %" G_GINT64_FORMAT " us", moved - t0);
  fail_unless_equals_int (v.rung, 1);

  /* Over the better floor but within the margin: stays (no flapping). */
  Viewer m (2, t0);
  fail_unless_equals_int (drive (l, m, 350000, t0, t0 + 30 * S), -1);
  Viewer m1 (1, t0);
  fail_unless_equals_int (drive (l, m1, 900000, t0, t0 + 30 * S), -1); /* < 1.2 x 800k */
  fail_unless_equals_int (m1.rung, 1);

  /* Over the top rung's floor with the margin: straight up two rungs. */
  Viewer top (2, t0);
  moved = drive (l, top, 2000000, t0, t0 + 10 * S);
  fail_unless (moved >= t0 + 3 * S && moved <= t0 + 3 * S + 50 * MS);
  fail_unless_equals_int (top.rung, 0);

  /* Rises shorter than 3 s, with the budget back in the band between them,
   * never move the viewer up. */
  Viewer r (1, t0);
  gint64 t = t0;
  for (int i = 0; i < 5; i++) {
    fail_unless_equals_int (drive (l, r, 1500000, t, t + 2500 * MS), -1);
    fail_unless_equals_int (drive (l, r, 600000, t + 2550 * MS, t + 3 * S), -1);
    t += 3050 * MS;
  }
  fail_unless_equals_int (r.rung, 1);
}
GST_END_TEST;

GST_START_TEST (test_no_oscillation)
{
  rtc::Ladder l;
  gint64 t0 = 7 * S;
  /* Down to rung 1 at 700 kbit/s, then the estimate recovers to just over
   * rung 0's floor: the viewer stays on rung 1 (the margin). */
  Viewer v (0, t0);
  drive (l, v, 700000, t0, t0 + 1 * S);
  fail_unless_equals_int (v.rung, 1);
  fail_unless_equals_int (drive (l, v, 850000, t0 + 1 * S + STEP, t0 + 30 * S), -1);
  fail_unless_equals_int (v.rung, 1);
  /* ... and goes up once it is clearly over it for 3 s. */
  gint64 from = t0 + 31 * S;
  gint64 moved = drive (l, v, 1000000, from, from + 5 * S);
  fail_unless (moved >= from + 3 * S);
  fail_unless_equals_int (v.rung, 0);
  /* The rung a viewer sits on is always in the ladder, whatever it was told. */
  int wanted = 9;
  gint64 since = 0;
  int r = l.next (7, 2000000, t0, wanted, since);
  fail_unless (r >= 0 && r < 3);
  r = l.next (-3, 0, t0, wanted, since);
  fail_unless (r >= 0 && r < 3);
}
GST_END_TEST;

GST_START_TEST (test_max_framerate)
{
  rtc::Ladder l; /* min 150 kbit/s: 15 fps under 225 kbit/s, restored over 300 */
  fail_unless_equals_int (l.max_framerate (2, 200000, 0), 15);
  fail_unless_equals_int (l.max_framerate (2, 150000, 0), 15);
  fail_unless_equals_int (l.max_framerate (2, 310000, 15), 0);
  fail_unless_equals_int (l.max_framerate (2, 320000, 0), 0);
  /* In between the cap stays as it was (hysteresis). */
  fail_unless_equals_int (l.max_framerate (2, 250000, 15), 15);
  fail_unless_equals_int (l.max_framerate (2, 250000, 0), 0);
  fail_unless_equals_int (l.max_framerate (2, 225000, 15), 15);
  fail_unless_equals_int (l.max_framerate (2, 300000, 15), 15);
  fail_unless_equals_int (l.max_framerate (2, 300000, 0), 0);
  /* Only the lowest rung is capped, however low the rate. */
  for (int r = 0; r < 2; r++) {
    fail_unless_equals_int (l.max_framerate (r, 100000, 0), 0);
    fail_unless_equals_int (l.max_framerate (r, 100000, 15), 0);
  }
  /* A rate falling through the lowest band: capped once under 1.5 x min
   * and kept until over 2 x min. */
  guint cap = 0;
  std::vector<guint> caps;
  for (guint rate : {320000u, 280000u, 240000u, 220000u, 240000u, 290000u, 305000u})
    caps.push_back (cap = l.max_framerate (2, rate, cap));
  std::vector<guint> expected = {0, 0, 0, 15, 15, 15, 0};
  fail_unless (caps == expected);
}
GST_END_TEST;

GST_START_TEST (test_one_rung)
{
  rtc::Ladder l = make_ladder (1, 150000, 2000000);
  fail_unless_equals_int (l.low (0), 150000);
  fail_unless_equals_int (l.high (0), 2000000);
  for (guint b : {0u, 100000u, 150000u, 1000000u, 2000000u, 9000000u})
    fail_unless_equals_int (l.rung_for (b), 0);
  /* Every viewer at the lowest estimate, within [min, max]. */
  fail_unless_equals_int (l.bitrate (0, 1000000), 1000000);
  fail_unless_equals_int (l.bitrate (0, 5000000), 2000000);
  fail_unless_equals_int (l.bitrate (0, 50000), 150000);
  /* Nowhere to move. */
  Viewer v (0, 0);
  fail_unless_equals_int (drive (l, v, 0, 0, 10 * S), -1);
  fail_unless_equals_int (drive (l, v, 9000000, 10 * S + STEP, 20 * S), -1);
  /* The only rung is the lowest: its frame rate is capped at low rates. */
  fail_unless_equals_int (l.max_framerate (0, 200000, 0), 15);
  fail_unless_equals_int (l.max_framerate (0, 1000000, 15), 0);
  check_invariants (l);

  /* Two rungs: full size over 0.4 B, half size under. */
  rtc::Ladder two = make_ladder (2, 150000, 2000000);
  fail_unless_equals_int (two.low (0), 800000);
  fail_unless_equals_int (two.low (1), 150000);
  fail_unless_equals_int (two.high (1), 800000);
  fail_unless_equals_int (two.rung_for (100000), 1);
  fail_unless_equals_int (two.max_framerate (1, 200000, 0), 15);
  fail_unless_equals_int (two.max_framerate (0, 200000, 0), 0);
  check_invariants (two);
}
GST_END_TEST;

GST_START_TEST (test_min_not_under_max)
{
  /* webrtcpublish builds its ladder with min = MIN (min-bitrate,
   * video-bitrate): min == max. Every rung then runs at max, and a viewer
   * that has max gets the full size. */
  rtc::Ladder eq = make_ladder (3, 2000000, 2000000);
  for (int r = 0; r < 3; r++) {
    fail_unless_equals_int (eq.low (r), 2000000);
    fail_unless_equals_int (eq.high (r), 2000000);
    fail_unless_equals_int (eq.bitrate (r, 0), 2000000);
    fail_unless_equals_int (eq.bitrate (r, 9000000), 2000000);
  }
  fail_unless_equals_int (eq.rung_for (2000000), 0);
  fail_unless_equals_int (eq.rung_for (1999999), 2);
  check_invariants (eq);

  /* min > max given to the ladder itself: the lowest rung (and a one-rung
   * ladder) never goes over max, and a budget under both lands there. */
  rtc::Ladder inv = make_ladder (3, 3000000, 2000000);
  fail_unless_equals_int (inv.rung_for (0), 2);
  fail_unless_equals_int (inv.bitrate (2, 0), 2000000);
  fail_unless_equals_int (inv.bitrate (2, 9000000), 2000000);
  rtc::Ladder one = make_ladder (1, 3000000, 2000000);
  fail_unless_equals_int (one.rung_for (0), 0);
  fail_unless_equals_int (one.bitrate (0, 0), 2000000);
  fail_unless_equals_int (one.bitrate (0, 9000000), 2000000);

  /* min = 0 is allowed: the lowest rung starts at 0. */
  rtc::Ladder zero = make_ladder (3, 0, 2000000);
  fail_unless_equals_int (zero.low (2), 0);
  fail_unless_equals_int (zero.bitrate (2, 0), 0);
  check_invariants (zero);
}
GST_END_TEST;

/* A budget wobbling between two rungs below the current one still moves
 * the viewer down after the hold (the hold counts from the first wish to
 * move that way, not from the last change of target); likewise up. */
GST_START_TEST (test_down_while_estimate_wobbles)
{
  rtc::Ladder l;
  gint64 t0 = 10 * S;
  Viewer v (0, t0);
  for (gint64 t = t0; t <= t0 + 10 * S; t += 200 * MS) {
    guint budget = ((t - t0) / (200 * MS)) % 2 ? 310000 : 330000;
    v.rung = l.next (v.rung, budget, t, v.wanted, v.since_us);
    if (t >= t0 + 1 * S)
      fail_if (v.rung == 0,
               "still on rung 0 (encoder >= 800 kbit/s) after %" G_GINT64_FORMAT
               " ms with a budget of ~320 kbit/s",
               (t - t0) / MS);
  }
  Viewer u (2, t0);
  for (gint64 t = t0; t <= t0 + 10 * S; t += 200 * MS) {
    guint budget = ((t - t0) / (200 * MS)) % 2 ? 950000 : 970000;
    u.rung = l.next (u.rung, budget, t, u.wanted, u.since_us);
  }
  fail_if (u.rung == 2, "still on rung 2 after 10 s with a budget of ~960 kbit/s");
}
GST_END_TEST;

/* A min over the max (possible for a ladder made by hand) never runs a rung
 * above the max. */
GST_START_TEST (test_min_over_max_stays_under_max)
{
  rtc::Ladder l = make_ladder (3, 3000000, 2000000);
  for (int r = 0; r < 3; r++)
    fail_unless (l.bitrate (r, 9000000) <= 2000000, "rung %d encodes at %u > max 2000000", r,
                 l.bitrate (r, 9000000));
  fail_unless_equals_int (l.rung_for (2000000), 0);
}
GST_END_TEST;

/* /proc/pressure/cpu's "some avg10", whatever the order of the lines;
 * anything else is "unknown" (-1), never a number made up. */
GST_START_TEST (test_cpu_pressure_parse)
{
  fail_unless_equals_float (
      rtc::parse_psi_some_avg10 ("some avg10=12.34 avg60=5.00 avg300=1.00 total=42\n"
                                 "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
      12.34);
  fail_unless_equals_float (rtc::parse_psi_some_avg10 ("full avg10=99.00 avg60=0 avg300=0 total=0\n"
                                                       "some avg10=0.50 avg60=0 avg300=0 total=0"),
                            0.5);
  fail_unless_equals_float (rtc::parse_psi_some_avg10 (nullptr), -1);
  fail_unless_equals_float (rtc::parse_psi_some_avg10 (""), -1);
  fail_unless_equals_float (rtc::parse_psi_some_avg10 ("some avg60=3.0\nfull avg10=4.0"), -1);
  fail_unless_equals_float (rtc::parse_psi_some_avg10 ("some avg10=x"), -1);
  fail_unless_equals_float (rtc::parse_psi_some_avg10 ("some avg10=-3"), -1);
  /* This host: a percentage from PSI or the load average, or unknown. */
  rtc::CpuPressure p = rtc::read_cpu_pressure ();
  fail_unless (p.percent >= -1 && p.percent <= 100, "pressure %d", p.percent);
  fail_unless ((p.percent < 0) == (p.source == nullptr));
}
GST_END_TEST;

static Suite *rtcladder_suite (void)
{
  Suite *s = suite_create ("rtcladder");
  TCase *tc = tcase_create ("ladder");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_default_bands);
  tcase_add_test (tc, test_rung_for);
  tcase_add_test (tc, test_bitrate);
  tcase_add_test (tc, test_encoder_bitrate);
  tcase_add_test (tc, test_down_after_hold);
  tcase_add_test (tc, test_up_after_hold);
  tcase_add_test (tc, test_no_oscillation);
  tcase_add_test (tc, test_max_framerate);
  tcase_add_test (tc, test_one_rung);
  tcase_add_test (tc, test_min_not_under_max);
  tcase_add_test (tc, test_down_while_estimate_wobbles);
  tcase_add_test (tc, test_min_over_max_stays_under_max);
  tcase_add_test (tc, test_cpu_pressure_parse);
  return s;
}

int main (int argc, char **argv)
{
  /* No plugin is needed: never scan (or load) one. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtcladder_suite (), "rtcladder", __FILE__);
}

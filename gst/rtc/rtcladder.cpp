/* See rtcladder.h. */
#include "rtcladder.h"

#include <algorithm>

namespace rtc {

static const double STEP = 0.4;             /* each rung's band is 0.4x the one above */
static const gint64 DOWN_AFTER_US = 500000; /* under the band this long: down */
static const gint64 UP_AFTER_US = 3000000;  /* over the better floor this long: up */
static const double UP_MARGIN = 1.2;

guint Ladder::low (int rung) const
{
  /* A min over the max is the max: no rung runs above it. */
  guint floor = std::min (min_bps, max_bps);
  if (rung >= (int)rungs - 1)
    return floor;
  double f = 1;
  for (int i = 0; i <= rung; i++)
    f *= STEP;
  return std::max (floor, (guint)(max_bps * f));
}

guint Ladder::high (int rung) const
{
  double f = 1;
  for (int i = 0; i < rung; i++)
    f *= STEP;
  return std::max (low (rung), (guint)(max_bps * f));
}

int Ladder::rung_for (guint budget) const
{
  for (int r = 0; r < (int)rungs; r++)
    if (budget >= low (r))
      return r;
  return (int)rungs - 1;
}

int Ladder::next (int current, guint budget, gint64 now_us, int &wanted, gint64 &since_us) const
{
  current = std::min (std::max (current, 0), (int)rungs - 1);
  int target = rung_for (budget);
  /* Up only with a margin over the better rung's floor. */
  if (target < current) {
    int up = current;
    while (up > 0 && budget >= low (up - 1) * UP_MARGIN)
      up--;
    target = up;
  }
  if (target == current) {
    wanted = current;
    since_us = now_us;
    return current;
  }
  /* The hold counts from when the viewer first wanted to move that way:
   * a budget wobbling between two rungs below (or above) still moves it. */
  bool down = target > current;
  if (down != (wanted > current) || wanted == current)
    since_us = now_us;
  wanted = target;
  gint64 hold = target > current ? DOWN_AFTER_US : UP_AFTER_US;
  if (now_us - since_us >= hold) {
    since_us = now_us;
    return target;
  }
  return current;
}

guint Ladder::bitrate (int rung, guint lowest_budget) const
{
  return std::min (high (rung), std::max (low (rung), lowest_budget));
}

guint Ladder::encoder_bitrate (int rung, const guint *budgets, gsize n) const
{
  guint lowest = G_MAXUINT;
  for (gsize i = 0; i < n; i++)
    if (budgets[i] >= low (rung))
      lowest = std::min (lowest, budgets[i]);
  return bitrate (rung, lowest == G_MAXUINT ? 0 : lowest);
}

guint Ladder::max_framerate (int rung, guint bitrate, guint current_cap) const
{
  if (rung != (int)rungs - 1)
    return 0;
  if (bitrate < min_bps * 3 / 2)
    return 15;
  if (bitrate > min_bps * 2)
    return 0;
  return current_cap; /* in between: as it was */
}

} // namespace rtc

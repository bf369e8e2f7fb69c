/* RtcLadder: the encoding ladder of webrtcpublish — per-viewer adaptation
 * without an encoder per viewer.
 *
 * A raw video input is encoded at up to `rungs` sizes: rung 0 at the input
 * size, rung k at 1/2^k of its width and height. Each rung is encoded once,
 * only while some viewer receives it, and serves a band of bitrates:
 *
 *   rung 0: [0.4 max, max]   rung 1: [0.16 max, 0.4 max]   rung 2: [min, 0.16 max]
 *
 * (one rung: [min, max]). Each viewer's congestion controller gives it a
 * budget; the viewer sits on the best rung its budget reaches, and a
 * rung's encoder runs at the lowest budget among its viewers that reach
 * the rung's band, kept inside it — a viewer on a poor link moves down a
 * rung instead of slowing everyone (while it waits to move, or under the
 * last rung's floor, its budget does not count). Moves have hysteresis:
 * down when the budget has been under the rung's band for 0.5 s, up when
 * it has been 20 % over the better rung's floor for 3 s. The lowest rung
 * also halves the frame rate (15 fps) under 1.5x min, and restores it
 * over 2x min.
 *
 * Pure functions of the settings; thread-safe.
 */
#pragma once

#include <glib.h>

namespace rtc {

struct Ladder {
  guint rungs = 3;
  guint min_bps = 150000;
  guint max_bps = 2000000;

  guint low (int rung) const;
  guint high (int rung) const;
  /* The best rung @budget reaches. */
  int rung_for (guint budget) const;
  /* The rung a viewer on @current with @budget moves to at @now_us, with
   * hysteresis; @wanted/@since_us are the viewer's state between calls. */
  int next (int current, guint budget, gint64 now_us, int &wanted, gint64 &since_us) const;
  /* The encoder bitrate of @rung for the lowest budget among its viewers. */
  guint bitrate (int rung, guint lowest_budget) const;
  /* The encoder bitrate of @rung for its viewers' @budgets (@n of them):
   * the lowest budget that reaches the rung's band. A viewer under the
   * band is on its way down a rung (or, on the last rung, under the
   * floor): it does not pull the encoder down for everyone. */
  guint encoder_bitrate (int rung, const guint *budgets, gsize n) const;
  /* Frame rate cap (0 = none) of @rung at @bitrate, given the current cap. */
  guint max_framerate (int rung, guint bitrate, guint current_cap) const;
};

} // namespace rtc

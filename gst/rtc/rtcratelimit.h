/* RtcRateLimit: how fast one peer may send messages of one kind (room
 * protocol messages, remote-control events). A bucket of 2 s worth of
 * messages, refilled at the rate; what comes on an empty bucket is dropped
 * and counted in an excess that drains at the same rate.
 *
 * Not thread-safe: its owner serializes take().
 */
#pragma once

#include <glib.h>

namespace rtc {

class RateLimit {
public:
  enum class Verdict {
    PASS,       /* within the rate */
    DROP_FIRST, /* dropped, the first since the last message passed with no excess: tell the peer */
    DROP,       /* dropped again */
    FLOOD,      /* dropped, and more than a second's worth dropped: the peer ignores the limit */
  };

  /* One message at @now_us (monotonic) with @rate messages per second. */
  Verdict take (double rate, gint64 now_us)
  {
    rate = MAX (1.0, rate);
    double elapsed = at_us_ ? (now_us - at_us_) / 1e6 : 0;
    at_us_ = now_us;
    if (tokens_ < 0)
      tokens_ = 2 * rate;
    tokens_ = MIN (2 * rate, tokens_ + elapsed * rate);
    excess_ = MAX (0.0, excess_ - elapsed * rate);
    if (tokens_ >= 1) {
      tokens_ -= 1;
      if (excess_ == 0)
        warned_ = false;
      return Verdict::PASS;
    }
    excess_ += 1;
    if (excess_ > rate)
      return Verdict::FLOOD;
    if (warned_)
      return Verdict::DROP;
    warned_ = true;
    return Verdict::DROP_FIRST;
  }
  /* When take() was last called (0: never). */
  gint64 last_us () const { return at_us_; }

private:
  double tokens_ = -1, excess_ = 0;
  gint64 at_us_ = 0;
  bool warned_ = false;
};

} // namespace rtc

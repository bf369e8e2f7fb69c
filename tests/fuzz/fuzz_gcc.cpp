/* The congestion-control estimator (rtc::GccEstimator, gst/rtc/rtcgcc.h)
 * driven by a session decoded from the input: packets sent at our clock's
 * times with their sizes, transport-wide feedback reporting them arrived
 * (delays, reordering, clock offsets, arrival times a peer made up) or
 * lost, in any order, at any later time (so any round trip), and bounds
 * changed while it runs. After every step the estimate must be finite and
 * within the bounds in force.
 *
 * Input: 12 bytes of configuration (min, start, max), then operations, each
 * an opcode byte followed by its operands (missing bytes read as 0). */
#include <glib.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "fuzzinit.h"
#include "rtcgcc.h"

namespace {

class Reader {
public:
  Reader (const uint8_t *data, size_t size) : p_ (data), end_ (data + size) {}
  bool done () const { return p_ >= end_; }
  uint64_t bytes (int n)
  {
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
      v = (v << 8) | (p_ < end_ ? *p_++ : 0);
    return v;
  }
  uint8_t u8 () { return (uint8_t)bytes (1); }
  uint16_t u16 () { return (uint16_t)bytes (2); }
  uint32_t u32 () { return (uint32_t)bytes (4); }

private:
  const uint8_t *p_, *end_;
};

struct Bounds {
  guint min_bps, max_bps;
};

void check (const rtc::GccEstimator &gcc, const Bounds &b)
{
  guint target = gcc.target_bps ();
  if (target < b.min_bps || target > b.max_bps)
    __builtin_trap ();
  if (!std::isfinite (gcc.trend_ms ()) || !std::isfinite (gcc.threshold_ms ()) ||
      !std::isfinite (gcc.loss_ratio ()) || gcc.loss_ratio () < 0 || gcc.loss_ratio () > 1)
    __builtin_trap ();
  if (gcc.delay_bps () < b.min_bps || gcc.delay_bps () > b.max_bps || gcc.loss_bps () < b.min_bps ||
      gcc.loss_bps () > b.max_bps)
    __builtin_trap ();
}

/* Bitrates from 0 to about 100 Mb/s. */
guint rate (Reader &r)
{
  return r.u32 () % 100000000;
}

} // namespace

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  rtc_fuzz::init ();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Reader r (data, size);
  rtc::GccEstimator::Config config;
  config.min_bps = rate (r);
  config.start_bps = rate (r);
  config.max_bps = std::max (config.min_bps, rate (r));
  Bounds bounds{config.min_bps, config.max_bps};
  rtc::GccEstimator gcc (config);
  check (gcc, bounds);

  /* Our clock (send times, now) starts anywhere in the first day; the
   * peer's clock is offset from it by up to ~12 days either way (TWCC's
   * 24-bit reference time in 64 ms units). */
  gint64 now = (gint64)(r.u32 () % 86400000) * 1000;
  gint64 offset = ((gint64)r.u32 () % (2 * 1073741824LL)) - 1073741824LL;
  guint64 seqnum = 0;
  struct Sent {
    guint64 seqnum;
    gint64 send_us;
    guint32 size;
  };
  std::vector<Sent> unreported;
  int steps = 0;
  while (!r.done () && steps++ < 2000) {
    switch (r.u8 () % 6) {
    case 0: { /* send a burst: count, spacing (us), size */
      int count = 1 + r.u8 () % 64;
      gint64 spacing = r.u16 () % 20000;
      guint32 packet = 20 + r.u16 () % 1481;
      for (int i = 0; i < count && unreported.size () < 4096; i++) {
        unreported.push_back ({seqnum++, now, packet});
        now += spacing;
      }
      break;
    }
    case 1: { /* feedback on the oldest unreported packets: count, queueing
               * delay start and growth per packet (us), losses, reorder */
      size_t count = std::min<size_t> (1 + r.u8 (), unreported.size ());
      gint64 delay = r.u16 () * 10, growth = (gint16)r.u16 ();
      uint32_t loss_mask = r.u32 ();
      bool reversed = r.u8 () & 1;
      std::vector<rtc::PacketResult> feedback;
      gint64 newest = now;
      for (size_t i = 0; i < count; i++) {
        const Sent &s = unreported[i];
        rtc::PacketResult p;
        p.seqnum = s.seqnum;
        p.send_us = s.send_us;
        p.size = s.size;
        if (!(loss_mask >> (i % 32) & 1))
          p.arrival_us = std::max<gint64> (0, s.send_us + offset + delay + growth * (gint64)i);
        newest = std::max (newest, s.send_us + delay + growth * (gint64)i);
        feedback.push_back (p);
      }
      unreported.erase (unreported.begin (), unreported.begin () + count);
      if (reversed)
        std::reverse (feedback.begin (), feedback.end ());
      /* The report arrives a return trip after the newest arrival. */
      now = std::max (now, newest) + r.u16 () * 10;
      gcc.on_feedback (std::move (feedback), now);
      break;
    }
    case 2: { /* a report with times a peer made up: count, then per packet
               * its seqnum offset, arrival (any 48-bit value or lost), size */
      int count = 1 + r.u8 () % 16;
      std::vector<rtc::PacketResult> feedback;
      for (int i = 0; i < count; i++) {
        rtc::PacketResult p;
        p.seqnum = seqnum + r.u8 ();
        p.send_us = now - (gint64)r.u16 () * 100;
        uint64_t arrival = r.bytes (6);
        p.arrival_us = arrival & 1 ? -1 : (gint64)(arrival >> 1);
        p.size = r.u16 () % 1501;
        feedback.push_back (p);
      }
      seqnum += 256;
      gcc.on_feedback (std::move (feedback), now);
      break;
    }
    case 3: /* time passes: up to ~70 min */
      now += (gint64)r.u32 ();
      break;
    case 4: { /* the bounds change (the element's properties) */
      guint min = rate (r), max = rate (r);
      gcc.set_bounds (min, max);
      bounds = {min, std::max (min, max)};
      break;
    }
    case 5: /* an empty report */
      gcc.on_feedback ({}, now);
      break;
    }
    check (gcc, bounds);
  }
  return 0;
}

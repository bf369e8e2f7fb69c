/* Glass-to-glass latency, pipeline -> pipeline through webrtcpublish (WHIP
 * client) -> webrtcsubscribe (WHIP server), in one process on loopback so
 * both sides read the same clock.
 *
 * Each raw frame gets its capture time (the clock's time when it enters
 * the encoder's input) drawn into its top rows as 48 black/white 16x16
 * blocks; when the subscriber's sink renders it (sync=true, as a display
 * would) the code is read back and compared with the clock. Frames lost on the way are counted from
 * the sequence of codes (the sender numbers them too).
 *
 *   bench-latency [--seconds S] [--latency MS ...]
 * Prints p50/p95/max per receive latency setting and the share of frames
 * that arrived. Run inside tests/netns-run.sh (bench/run.sh does). */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "rtctestutil.h"
#include "stats.h"

static const int BLOCK = 16;
static const int BITS = 48;             /* microseconds of clock time, mod 2^40, + 8-bit counter */
static const int PER_ROW = 640 / BLOCK; /* 40 blocks per row at 640 wide */

static GstClock *the_clock;

struct Stamp {
  std::atomic<guint> frames{0};
};

static void draw_code (GstVideoFrame *f, guint64 code)
{
  guint8 *y = (guint8 *)GST_VIDEO_FRAME_PLANE_DATA (f, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
  for (int b = 0; b < BITS; b++) {
    int bx = (b % PER_ROW) * BLOCK, by = (b / PER_ROW) * BLOCK;
    guint8 v = (code >> b) & 1 ? 235 : 16;
    for (int r = 0; r < BLOCK; r++)
      memset (y + (by + r) * stride + bx, v, BLOCK);
  }
}

static bool read_code (GstVideoFrame *f, guint64 &code)
{
  const guint8 *y = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (f, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
  code = 0;
  for (int b = 0; b < BITS; b++) {
    int cx = (b % PER_ROW) * BLOCK + BLOCK / 2, cy = (b / PER_ROW) * BLOCK + BLOCK / 2;
    int v = y[cy * stride + cx];
    if (v > 100 && v < 150)
      return false; /* not a clean code: a corrupt or concealed frame */
    if (v >= 150)
      code |= (guint64)1 << b;
  }
  return true;
}

static guint64 now_us ()
{
  return gst_clock_get_time (the_clock) / 1000;
}

static GstPadProbeReturn stamp_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto stamp = static_cast<Stamp *> (data);
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vi;
  if (caps && gst_video_info_from_caps (&vi, caps)) {
    GstVideoFrame f;
    if (gst_video_frame_map (&f, &vi, buf, GST_MAP_WRITE)) {
      guint64 n = stamp->frames++;
      draw_code (&f, ((now_us () & ((1ull << 40) - 1))) | ((n & 0xff) << 40));
      gst_video_frame_unmap (&f);
    }
  }
  if (caps)
    gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

struct Receiver {
  std::mutex lock;
  std::vector<double> latencies_ms;
  guint frames = 0, unreadable = 0, gaps = 0;
  int last_counter = -1;
  bool measuring = false;
};

/* fakesink's handoff: called when the frame is rendered, i.e. after the
 * sink waited for its time (sync=true), as a display would show it. */
static void on_handoff (GstElement *, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  auto rx = static_cast<Receiver *> (data);
  guint64 now = now_us () & ((1ull << 40) - 1);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vi;
  if (caps && gst_video_info_from_caps (&vi, caps)) {
    GstVideoFrame f;
    if (gst_video_frame_map (&f, &vi, buffer, GST_MAP_READ)) {
      guint64 code;
      bool ok = read_code (&f, code);
      gst_video_frame_unmap (&f);
      std::lock_guard<std::mutex> g (rx->lock);
      if (rx->measuring) {
        rx->frames++;
        if (!ok) {
          rx->unreadable++;
        } else {
          guint64 sent = code & ((1ull << 40) - 1);
          int counter = (int)((code >> 40) & 0xff);
          if (rx->last_counter >= 0)
            rx->gaps += (guint)((counter - rx->last_counter - 1 + 256) % 256);
          rx->last_counter = counter;
          if (now >= sent)
            rx->latencies_ms.push_back ((now - sent) / 1000.0);
        }
      }
    }
  }
  if (caps)
    gst_caps_unref (caps);
}

static void run (guint latency_ms, double seconds)
{
  Receiver rx;
  Stamp stamp;
  std::string sub_launch =
      "webrtcsubscribe name=sub port=0 latency=" + std::to_string (latency_ms) +
      " sub.video_0 ! videoconvert ! video/x-raw,format=I420 ! fakesink "
      "name=out sync=true async=false signal-handoffs=true";
  TestPipeline sub (sub_launch, "sub");
  GstElement *out = gst_bin_get_by_name (GST_BIN (sub.pipeline), "out");
  g_signal_connect (out, "handoff", G_CALLBACK (on_handoff), &rx);
  gst_object_unref (out);

  TestPipeline pub ("videotestsrc is-live=true pattern=ball ! "
                    "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
                    "identity name=stamp ! webrtcpublish name=pub video-bitrate=2000000 "
                    "codec-preferences=VP8 whip-url=" +
                    sub.base () + "/whip/live");
  GstElement *st = gst_bin_get_by_name (GST_BIN (pub.pipeline), "stamp");
  GstPad *src = gst_element_get_static_pad (st, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, stamp_probe, &stamp, nullptr);
  gst_object_unref (src);
  gst_object_unref (st);

  /* Warm up (connection, first keyframe, bitrate), then measure. */
  wait_until ([&] { return false; }, 3000);
  guint sent0 = stamp.frames;
  {
    std::lock_guard<std::mutex> g (rx.lock);
    rx.measuring = true;
  }
  wait_until ([&] { return false; }, (guint)(seconds * 1000));
  guint sent = stamp.frames - sent0;
  std::lock_guard<std::mutex> g (rx.lock);
  rx.measuring = false;
  printf ("  latency=%4u ms: frames sent %u, received %u (%.1f%%), gaps %u, unreadable %u; "
          "glass-to-glass p50 %.1f ms, p95 %.1f ms, max %.1f ms\n",
          latency_ms, sent, rx.frames, sent ? 100.0 * rx.frames / sent : 0.0, rx.gaps,
          rx.unreadable, percentile (rx.latencies_ms, 50), percentile (rx.latencies_ms, 95),
          percentile (rx.latencies_ms, 100));
  fflush (stdout);
}

int main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  the_clock = gst_system_clock_obtain ();
  double seconds = 10;
  std::vector<guint> latencies;
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (!strcmp (argv[i], "--latency") && i + 1 < argc)
      latencies.push_back ((guint)atoi (argv[++i]));
  }
  if (latencies.empty ())
    latencies = {100, 50, 20, 0};
  printf ("glass-to-glass latency, webrtcpublish (WHIP) -> webrtcsubscribe, VP8 640x360@30, "
          "loopback, %.0f s per setting (the default is latency=100)\n",
          seconds);
  for (guint l : latencies)
    run (l, seconds);
  gst_object_unref (the_clock);
  return 0;
}

/* Data channels pipeline -> pipeline, in one process (one clock):
 * webrtcpublish (WHEP server) -> webrtcsubscribe (WHEP client) on loopback.
 *  - throughput of a reliable ordered channel: MB of 16 KiB messages into
 *    a data_send pad, timed from the first push to the last byte out of
 *    the other side's data_recv pad; --runs runs, median;
 *  - latency of 100-byte messages at 10 Hz, both directions: each carries
 *    its send time (monotonic clock), read when it leaves the other
 *    element's src pad.
 * Prints a table and a "RESULT {json}" line (bench/datachannel.mjs reads it).
 *   bench-datachannel [--mb 50] [--runs 3] [--messages 100]
 */
#include <gst/gst.h>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "rtctestutil.h"
#include "stats.h"

namespace {

struct Sink {
  std::atomic<guint64> bytes{0};
  std::atomic<gint64> last_us{0};
  std::mutex lock;
  std::vector<double> delays_ms; /* latency probes */

  static void handoff (GstElement *, GstBuffer *buf, GstPad *, gpointer data)
  {
    auto self = static_cast<Sink *> (data);
    gint64 now = g_get_monotonic_time ();
    gsize size = gst_buffer_get_size (buf);
    self->bytes += size;
    self->last_us = now;
    if (size == 100) {
      gint64 sent = 0;
      gst_buffer_extract (buf, 0, &sent, sizeof sent);
      std::lock_guard<std::mutex> g (self->lock);
      self->delays_ms.push_back ((now - sent) / 1000.0);
    }
  }
  void attach (GstElement *pipeline, const char *name)
  {
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
    g_object_set (e, "signal-handoffs", TRUE, "sync", FALSE, nullptr);
    g_signal_connect (e, "handoff", G_CALLBACK (handoff), this);
    gst_object_unref (e);
  }
};

void push (GstElement *pipeline, const char *name, GstBuffer *buf)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstFlowReturn ret;
  g_signal_emit_by_name (src, "push-buffer", buf, &ret);
  gst_object_unref (src);
}

/* Sends @n stamped 100-byte messages at 10 Hz through appsrc @src. */
void probe (GstElement *pipeline, const char *src, int n)
{
  for (int i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (nullptr, 100, nullptr);
    gst_buffer_memset (buf, 0, 0, 100);
    gint64 now = g_get_monotonic_time ();
    gst_buffer_fill (buf, 0, &now, sizeof now);
    push (pipeline, src, buf);
    gst_buffer_unref (buf);
    wait_until ([] { return false; }, 100);
  }
}

#define APPSRC(name) "appsrc name=" name " is-live=true format=time caps=application/octet-stream "

} // namespace

int main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  int mb = 50, runs = 3, messages = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp (argv[i], "--mb"))
      mb = atoi (argv[i + 1]);
    else if (!strcmp (argv[i], "--runs"))
      runs = atoi (argv[i + 1]);
    else if (!strcmp (argv[i], "--messages"))
      messages = atoi (argv[i + 1]);
  }
  Sink bulk_in, ping_in, pong_in;
  TestPipeline pub ("videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
                    "webrtcpublish name=pub port=0 " APPSRC (
                        "bulk") "block=true max-bytes=262144 "
                                "! pub.data_send_bulk " APPSRC (
                                    "ping") "! pub.data_send_ping "
                                            "pub.data_recv_pong ! fakesink name=pong_in",
                    "pub");
  if (!pub.wait_caps ()) {
    g_printerr ("the publisher did not start\n");
    return 1;
  }
  pong_in.attach (pub.pipeline, "pong_in");
  TestPipeline sub ("webrtcsubscribe name=sub whep-url=" + pub.whep () +
                        " sub.video_0 ! fakesink sync=false sub.data_recv_bulk ! fakesink "
                        "name=bulk_in sub.data_recv_ping ! fakesink name=ping_in " APPSRC (
                            "pong") "! sub.data_send_pong",
                    "sub");
  bulk_in.attach (sub.pipeline, "bulk_in");
  ping_in.attach (sub.pipeline, "ping_in");
  /* Opened on both sides (the client opens them before its offer). */
  if (!wait_until (
          [&] {
            return pub.find (GST_MESSAGE_ELEMENT, "webrtcpublish-data-channel-opened") &&
                   sub.find (GST_MESSAGE_ELEMENT, "webrtcsubscribe-data-channel-opened");
          },
          20000)) {
    g_printerr ("no data channel\n");
    return 1;
  }
  wait_until ([] { return false; }, 1500); /* all three channels */

  const gsize CHUNK = 16384;
  const guint64 total = (guint64)mb * 1024 * 1024 / CHUNK * CHUNK;
  GstBuffer *chunk = gst_buffer_new_allocate (nullptr, CHUNK, nullptr);
  gst_buffer_memset (chunk, 0, 0x5a, CHUNK);
  std::vector<double> mbps;
  for (int r = 0; r < runs; r++) {
    guint64 base = bulk_in.bytes;
    gint64 start = g_get_monotonic_time ();
    for (guint64 sent = 0; sent < total; sent += CHUNK)
      push (pub.pipeline, "bulk", chunk);
    if (!wait_until ([&] { return bulk_in.bytes - base >= total; }, 120000)) {
      g_printerr ("run %d: only %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes\n", r,
                  (guint64)(bulk_in.bytes - base), total);
      return 1;
    }
    double s = (bulk_in.last_us - start) / 1e6;
    mbps.push_back (total / 1e6 / s);
    printf ("pipeline -> pipeline run %d: %.1f MB in %.2f s = %.1f MB/s\n", r + 1, total / 1e6, s,
            mbps.back ());
  }
  gst_buffer_unref (chunk);

  probe (pub.pipeline, "ping", messages);
  probe (sub.pipeline, "pong", messages);
  wait_until ([] { return false; }, 500);
  std::vector<double> down, up;
  {
    std::lock_guard<std::mutex> g1 (ping_in.lock), g2 (pong_in.lock);
    down = ping_in.delays_ms;
    up = pong_in.delays_ms;
  }
  std::sort (mbps.begin (), mbps.end ());
  double median = mbps[mbps.size () / 2];
  printf ("pipeline -> pipeline throughput: median %.1f MB/s over %d runs of %.0f MB\n", median,
          runs, total / 1e6);
  printf ("latency of 100-byte messages at 10 Hz (ms): publish -> subscribe p50 %.2f p99 %.2f "
          "(%zu), subscribe -> publish p50 %.2f p99 %.2f (%zu)\n",
          percentile (down, 50), percentile (down, 99), down.size (), percentile (up, 50),
          percentile (up, 99), up.size ());
  printf ("RESULT {\"mbps\": %.2f, \"down_p50\": %.3f, \"down_p99\": %.3f, \"up_p50\": %.3f, "
          "\"up_p99\": %.3f, \"down_n\": %zu, \"up_n\": %zu}\n",
          median, percentile (down, 50), percentile (down, 99), percentile (up, 50),
          percentile (up, 99), down.size (), up.size ());
  fflush (stdout);
  return 0;
}

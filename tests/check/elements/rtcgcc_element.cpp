/* The rtcgcc element: its properties, and in a webrtcpublish session
 * with a webrtcsubscribe viewer in the same process — TWCC negotiated
 * between our own elements, webrtcbin's request-aux-sender puts an rtcgcc
 * on the viewer's session, rtpsession's feedback reaches it, and its
 * estimate drives the encoder. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "rtctestutil.h"

#include <algorithm>
#include <functional>
#include <vector>

GST_START_TEST (test_properties)
{
  GstElement *gcc = gst_element_factory_make ("rtcgcc", nullptr);
  fail_unless (gcc != nullptr);
  guint est = 0, min = 0, max = 0, start = 0;
  gboolean pacing = FALSE;
  g_object_get (gcc, "estimated-bitrate", &est, "min-bitrate", &min, "max-bitrate", &max,
                "start-bitrate", &start, "pacing", &pacing, nullptr);
  fail_unless_equals_int (min, 100000);
  fail_unless_equals_int (max, 4000000);
  fail_unless_equals_int (start, 1000000);
  fail_unless_equals_int (est, start);
  fail_unless (pacing);
  g_object_set (gcc, "start-bitrate", 500000, nullptr);
  g_object_get (gcc, "estimated-bitrate", &est, nullptr);
  fail_unless_equals_int (est, 500000);
  GstStructure *stats = nullptr;
  g_object_get (gcc, "stats", &stats, nullptr);
  fail_unless (stats != nullptr);
  guint64 feedbacks = 99;
  fail_unless (gst_structure_get_uint64 (stats, "feedbacks", &feedbacks));
  fail_unless_equals_uint64 (feedbacks, 0);
  fail_unless_equals_string (gst_structure_get_string (stats, "state"), "startup");
  gst_structure_free (stats);
  /* Through a pipeline with no feedback it passes packets and events. */
  GstHarness *h = gst_harness_new_with_element (gcc, "sink", "src");
  gst_harness_set_src_caps_str (h, "application/x-rtp,media=video,payload=96,clock-rate=90000");
  for (int i = 0; i < 10; i++)
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (nullptr, 1000, nullptr)),
                            GST_FLOW_OK);
  for (int i = 0; i < 10; i++) {
    GstBuffer *out = gst_harness_pull (h);
    fail_unless (out != nullptr);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  gst_object_unref (gcc);
}
GST_END_TEST;

/* Pushes @n buffers of @size bytes and pulls them out again; the seconds
 * it took until the last one came out. */
static double push_buffers (GstHarness *h, int n, gsize size)
{
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < n; i++)
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (nullptr, size, nullptr)),
                            GST_FLOW_OK);
  for (int i = 0; i < n; i++)
    gst_buffer_unref (gst_harness_pull (h));
  return (g_get_monotonic_time () - start) / 1e6;
}

/* Pacing: 10 kB packets at an estimate of 1 Mbit/s leave at 2.5 x 1
 * Mbit/s, faster while the queue holds more than 250 ms of that, so 20 of
 * them (200 kB) take at least 0.3 s (0.46 s measured; unpaced: ~0); a
 * backlog (100 kB at 1 kbit/s, where pacing alone would take 320 s) is
 * drained within ~250 ms of queue. */
GST_START_TEST (test_pacing)
{
  GstHarness *h = gst_harness_new ("rtcgcc");
  g_object_set (h->element, "start-bitrate", 1000000, nullptr);
  gst_harness_set_src_caps_str (h, "application/x-rtp,media=video,payload=96,clock-rate=90000");
  double took = push_buffers (h, 20, 10000);
  fail_unless (took >= 0.3, "200 kB left in %.3f s: not paced", took);
  gst_harness_teardown (h);

  h = gst_harness_new ("rtcgcc");
  g_object_set (h->element, "min-bitrate", 1000, "start-bitrate", 1000, nullptr);
  gst_harness_set_src_caps_str (h, "application/x-rtp,media=video,payload=96,clock-rate=90000");
  took = push_buffers (h, 100, 1000);
  fail_unless (took < 10, "a backlog was paced at 1 kbit/s (%.1f s)", took);
  gst_harness_teardown (h);
}
GST_END_TEST;

static guint process_threads ()
{
  guint n = 0;
  GDir *dir = g_dir_open ("/proc/self/task", 0, nullptr);
  while (dir && g_dir_read_name (dir))
    n++;
  if (dir)
    g_dir_close (dir);
  return n;
}

static guint64 pacer_queue_ns (GstElement *gcc)
{
  GstStructure *st = nullptr;
  guint64 queue = 0;
  g_object_get (gcc, "stats", &st, nullptr);
  gst_structure_get_uint64 (st, "pacer-queue", &queue);
  gst_structure_free (st);
  return queue;
}

/* Thirty sessions share the pacer's few threads (at most one per core, 4),
 * not a thread each, and each gets its own packets, in order. */
GST_START_TEST (test_shared_pacer)
{
  const int sessions = 30, packets = 20;
  std::vector<GstHarness *> hs;
  hs.push_back (gst_harness_new ("rtcgcc")); /* the pacer's threads start */
  guint before = process_threads ();
  for (int i = 1; i < sessions; i++)
    hs.push_back (gst_harness_new ("rtcgcc"));
  for (auto h : hs) {
    g_object_set (h->element, "start-bitrate", 2000000, nullptr);
    gst_harness_set_src_caps_str (h, "application/x-rtp,media=video,payload=96,clock-rate=90000");
  }
  for (int p = 0; p < packets; p++)
    for (int i = 0; i < sessions; i++) {
      GstBuffer *b = gst_buffer_new_allocate (nullptr, 1200, nullptr);
      GST_BUFFER_OFFSET (b) = i * 1000 + p;
      fail_unless_equals_int (gst_harness_push (hs[i], b), GST_FLOW_OK);
    }
  guint during = process_threads ();
  fail_unless (during <= before + 3, "%u threads with 1 session, %u with %d", before, during,
               sessions);
  for (int i = 0; i < sessions; i++)
    for (int p = 0; p < packets; p++) {
      GstBuffer *b = gst_harness_pull (hs[i]);
      fail_unless (b != nullptr);
      fail_unless_equals_uint64 (GST_BUFFER_OFFSET (b), (guint64)(i * 1000 + p));
      gst_buffer_unref (b);
    }
  for (auto h : hs)
    gst_harness_teardown (h);
}
GST_END_TEST;

/* With its DTLS transport not connected yet the session's packets wait in
 * the pacer (webrtcbin would block a push, and with it every session of
 * that pacer thread), within a bound; they leave once it no longer waits. */
GST_START_TEST (test_held_until_dtls)
{
  GstHarness *h = gst_harness_new ("rtcgcc");
  GType type = g_type_from_name ("GstWebRTCDTLSTransport");
  fail_unless (type != 0);
  GObject *transport = G_OBJECT (g_object_new (type, "session-id", 0, nullptr));
  g_object_set (h->element, "dtls-transport", transport, "start-bitrate", 4000000, nullptr);
  gst_harness_set_src_caps_str (h, "application/x-rtp,media=video,payload=96,clock-rate=90000");
  for (int i = 0; i < 5; i++) {
    GstBuffer *b = gst_buffer_new_allocate (nullptr, 1000, nullptr);
    GST_BUFFER_OFFSET (b) = i;
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  g_usleep (300000);
  GstBuffer *early = gst_harness_try_pull (h);
  fail_unless (early == nullptr, "a packet left before DTLS was up");
  fail_unless (pacer_queue_ns (h->element) > 0);
  /* Bounded: 6 MB more are not all kept (4 MB at most). */
  for (int i = 0; i < 600; i++)
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (nullptr, 10000, nullptr)),
                            GST_FLOW_OK);
  guint64 held_ns = pacer_queue_ns (h->element);
  double held_bytes = held_ns / 1e9 * 2.5 * 4000000 / 8;
  fail_unless (held_bytes <= 4.2 * 1024 * 1024 && held_bytes > 3e6, "%.0f bytes held", held_bytes);
  /* Released: what is held leaves (the oldest were dropped for the bound). */
  g_object_set (h->element, "dtls-transport", nullptr, nullptr);
  GstBuffer *b = gst_harness_pull (h);
  fail_unless (b != nullptr);
  gst_buffer_unref (b);
  fail_unless (wait_until ([&] { return pacer_queue_ns (h->element) == 0; }, 10000));
  gst_harness_teardown (h);
  g_object_unref (transport);
}
GST_END_TEST;

/* The largest value of an int property over every element of @factory. */
static gint max_int_property (GstElement *bin, const char *factory, const char *prop)
{
  gint best = -1;
  for_each_of_factory (bin, factory, [&] (GstElement *e) {
    gint val = 0;
    g_object_get (e, prop, &val, nullptr);
    best = std::max (best, val);
  });
  return best;
}

GST_START_TEST (test_feedback_drives_the_encoder)
{
  TestPipeline pub ("videotestsrc is-live=true pattern=smpte horizontal-speed=3 ! "
                    "video/x-raw,width=640,height=480,framerate=30/1 ! "
                    "webrtcpublish name=pub port=0 start-bitrate=300000 video-bitrate=2500000",
                    "pub");
  fail_unless (pub.wait_caps ());
  TestPipeline sub ("webrtcsubscribe name=sub whep-url=" + pub.whep () +
                        " sub.video_0 ! fakesink sync=false",
                    "sub");
  GstElement *gcc = nullptr;
  fail_unless (
      wait_until ([&] { return (gcc = find_by_factory (pub.pub, "rtcgcc")) != nullptr; }, 20000),
      "no rtcgcc on the viewer's session");
  guint64 feedbacks = 0;
  guint estimate = 0;
  fail_unless (wait_until (
                   [&] {
                     GstStructure *st = nullptr;
                     g_object_get (gcc, "stats", &st, nullptr);
                     gst_structure_get_uint64 (st, "feedbacks", &feedbacks);
                     gst_structure_get_uint (st, "estimated-bitrate", &estimate);
                     gst_structure_free (st);
                     return feedbacks >= 20 && estimate >= 900000;
                   },
                   20000),
               "feedback %" G_GUINT64_FORMAT ", estimate %u", feedbacks, estimate);
  /* Start-up probing took it from 300 kbit/s; the encoder follows. The
   * viewer may move between rungs meanwhile (each rung has its own
   * encoder, capped at its own rate), so look at every vp8enc each time:
   * the one the viewer watches is the one with the highest target. */
  gint target = 0;
  fail_unless (wait_until (
                   [&] {
                     target = max_int_property (pub.pub, "vp8enc", "target-bitrate");
                     return target >= 700000;
                   },
                   20000),
               "encoder target %d", target);
  gst_object_unref (gcc);
}
GST_END_TEST;

static Suite *rtcgcc_element_suite (void)
{
  Suite *s = suite_create ("rtcgcc_element");
  TCase *tc = tcase_create ("element");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_pacing);
  tcase_add_test (tc, test_shared_pacer);
  tcase_add_test (tc, test_held_until_dtls);
  tcase_add_test (tc, test_feedback_drives_the_encoder);
  return s;
}

GST_CHECK_MAIN (rtcgcc_element);

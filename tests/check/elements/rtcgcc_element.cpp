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
  tcase_add_test (tc, test_feedback_drives_the_encoder);
  return s;
}

GST_CHECK_MAIN (rtcgcc_element);

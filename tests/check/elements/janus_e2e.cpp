/* The elements through a real Janus VideoRoom (tests/janus, started by
 * TestJanus inside the test's network namespace): webrtcpublish publishes
 * into a room with the Janus signaller, webrtcsubscribe receives from it;
 * congestion control runs on Janus's transport-wide feedback; a Janus
 * restart is reported on the bus and both sides come back; a subscriber
 * follows every feed of the room, one set of pads per feed.
 *
 * The signaller comes from the plugin (gst_dynamic_type_factory_load). */
#include <gst/check/gstcheck.h>
#include <gst/rtcbridge/rtcbridge.h>
#include <string>

#include "rtctestjanus.h"
#include "rtctestutil.h"

namespace {

std::function<void (GstElement *)> janus (const std::string &url, GstRtcSignallerRole role,
                                          const char *display, const char *feed_display = nullptr)
{
  return [=] (GstElement *element) {
    GType type = gst_dynamic_type_factory_load ("GstRtcJanusSignaller");
    fail_unless (type != 0, "GstRtcJanusSignaller is not in the rtcbridge plugin");
    GObject *s = G_OBJECT (g_object_new (type, "url", url.c_str (), "role", role, "display",
                                         display, "feed-display", feed_display, "retry-delay-min",
                                         200, "retry-delay-max", 1000, nullptr));
    g_object_set (element, "signaller", s, nullptr); /* takes the floating reference */
  };
}

std::string publisher (const char *pattern = "smpte")
{
  return std::string ("videotestsrc is-live=true pattern=") + pattern +
         " ! video/x-raw,width=320,height=240,framerate=30/1 ! webrtcpublish name=pub "
         "audiotestsrc is-live=true ! pub.";
}

const char *SUB = "webrtcsubscribe name=sub sub.video_0 ! fakesink name=vsink sync=false "
                  "async=false sub.audio_0 ! fakesink name=asink sync=false async=false";

guint count_named (TestPipeline &p, GstMessageType type, const char *name,
                   const char *state = nullptr)
{
  p.find (type); /* drains the bus */
  guint n = 0;
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    if (GST_MESSAGE_TYPE (m) != type || !s || !gst_structure_has_name (s, name))
      continue;
    const char *st = gst_structure_get_string (s, "state");
    if (!state || (st && g_str_equal (st, state)))
      n++;
  }
  return n;
}

/* The feedback reports the viewer's rtcgcc got (0 when it has none). */
guint64 gcc_feedbacks (GstElement *pub)
{
  guint64 feedbacks = 0;
  for_each_of_factory (pub, "rtcgcc", [&] (GstElement *e) {
    GstStructure *st = nullptr;
    g_object_get (e, "stats", &st, nullptr);
    if (st) {
      gst_structure_get_uint64 (st, "feedbacks", &feedbacks);
      gst_structure_free (st);
    }
  });
  return feedbacks;
}

} // namespace

/* Publish into a room, subscribe by display name: video of the right size
 * and audio; Janus's feedback drives the publisher's estimator. */
GST_START_TEST (test_publish_and_subscribe)
{
  TestJanus j;
  fail_unless (j.start (), "Janus did not start");
  /* The publisher as a gst-launch-1.0 line would have it. */
  std::string line = publisher ();
  line.replace (
      line.find ("webrtcpublish name=pub"), strlen ("webrtcpublish name=pub"),
      "webrtcpublish name=pub signaller-type=GstRtcJanusSignaller signaller::url=" + j.url () +
          " signaller::room=1234 signaller::role=offerer "
          "signaller::display=cam");
  TestPipeline pub (line);
  TestPipeline sub (SUB, "sub", janus (j.url (), GST_RTC_SIGNALLER_ROLE_ANSWERER, nullptr, "cam"));
  BufferCounter video, audio;
  video.attach (sub.pipeline, "vsink");
  audio.attach (sub.pipeline, "asink");
  fail_unless (wait_until ([&] { return video.buffers >= 60 && audio.buffers >= 20; }, 40000),
               "video %u, audio %u buffers", video.buffers.load (), audio.buffers.load ());
  fail_unless_equals_int (video.width (), 320);
  fail_unless_equals_int (video.height (), 240);
  fail_unless (audio.type () == "audio/x-raw", "%s", audio.type ().c_str ());
  fail_unless (pub.find (GST_MESSAGE_ELEMENT, "webrtcpublish-viewer-added") != nullptr);
  GstMessage *m = sub.find (GST_MESSAGE_ELEMENT, "webrtcsubscribe-publisher-connected");
  fail_unless (m != nullptr);
  const char *peer = gst_structure_get_string (gst_message_get_structure (m), "remote-address");
  fail_unless (peer && strstr (peer, "(cam)"), "%s", peer ? peer : "null");
  /* Congestion control keeps working: Janus sends transport-wide feedback. */
  fail_unless (wait_until ([&] { return gcc_feedbacks (pub.pub) > 5; }, 15000),
               "rtcgcc got %" G_GUINT64_FORMAT " feedback reports", gcc_feedbacks (pub.pub));
  fail_if (pub.find (GST_MESSAGE_ERROR) || sub.find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* Janus goes away mid-stream: the publisher says so on the bus and both
 * sides are back once Janus is. */
GST_START_TEST (test_janus_restart)
{
  TestJanus j;
  fail_unless (j.start (), "Janus did not start");
  TestPipeline pub (publisher (), "pub",
                    janus (j.url (), GST_RTC_SIGNALLER_ROLE_OFFERER, "phoenix"));
  TestPipeline sub (SUB, "sub",
                    janus (j.url (), GST_RTC_SIGNALLER_ROLE_ANSWERER, nullptr, "phoenix"));
  BufferCounter video;
  video.attach (sub.pipeline, "vsink");
  fail_unless (wait_until ([&] { return video.buffers >= 30; }, 40000), "video %u",
               video.buffers.load ());
  j.kill ();
  fail_unless (wait_until (
                   [&] {
                     return count_named (pub, GST_MESSAGE_ELEMENT, "webrtcpublish-client-state",
                                         "retrying") > 0;
                   },
                   20000),
               "the publisher did not report that Janus went away");
  fail_unless (wait_until (
      [&] { return count_named (pub, GST_MESSAGE_ELEMENT, "webrtcpublish-viewer-removed") > 0; },
      20000));
  g_usleep (500000);
  fail_unless (j.start (), "Janus did not start again");
  guint before = video.buffers;
  fail_unless (wait_until ([&] { return video.buffers >= before + 60; }, 60000),
               "video %u (was %u)", video.buffers.load (), before);
  fail_unless (count_named (pub, GST_MESSAGE_ELEMENT, "webrtcpublish-viewer-added") >= 2);
  fail_if (pub.find (GST_MESSAGE_ERROR) || sub.find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* A subscriber following every feed of the room: one set of pads per
 * feed, both flowing. */
GST_START_TEST (test_follow_every_feed)
{
  TestJanus j;
  fail_unless (j.start (), "Janus did not start");
  TestPipeline a (publisher ("smpte"), "pub",
                  janus (j.url (), GST_RTC_SIGNALLER_ROLE_OFFERER, "a"));
  TestPipeline b (publisher ("ball"), "pub", janus (j.url (), GST_RTC_SIGNALLER_ROLE_OFFERER, "b"));
  TestPipeline sub ("webrtcsubscribe name=sub max-publishers=0 sub.video_0 ! fakesink name=v0 "
                    "sync=false async=false sub.video_1 ! fakesink name=v1 sync=false async=false",
                    "sub", janus (j.url (), GST_RTC_SIGNALLER_ROLE_ANSWERER, nullptr));
  BufferCounter v0, v1;
  v0.attach (sub.pipeline, "v0");
  v1.attach (sub.pipeline, "v1");
  fail_unless (wait_until ([&] { return v0.buffers >= 30 && v1.buffers >= 30; }, 40000),
               "video_0 %u, video_1 %u", v0.buffers.load (), v1.buffers.load ());
  fail_unless (count_named (sub, GST_MESSAGE_ELEMENT, "webrtcsubscribe-publisher-connected") >= 2);
  fail_unless (count_named (sub, GST_MESSAGE_ELEMENT, "webrtcsubscribe-output") >= 2);
  fail_if (a.find (GST_MESSAGE_ERROR) || b.find (GST_MESSAGE_ERROR) ||
           sub.find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

static Suite *janus_e2e_suite (void)
{
  Suite *s = suite_create ("janus_e2e");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_publish_and_subscribe);
  tcase_add_test (tc, test_janus_restart);
  tcase_add_test (tc, test_follow_every_feed);
  return s;
}

int main (int argc, char **argv)
{
  gst_check_init (&argc, &argv);
  TestJanus janus;
  if (!janus.available ()) {
    /* install-deps.sh installs it: missing means a broken set-up. */
    g_printerr ("Janus is not installed (Debian package janus)\n");
    return 1;
  }
  return gst_check_run_suite (janus_e2e_suite (), "janus_e2e", __FILE__);
}

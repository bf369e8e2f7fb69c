/* webrtcsubscribe end to end, in one process (run inside the test network
 * namespace): webrtcpublish as WHIP client -> webrtcsubscribe as WHIP
 * server, webrtcsubscribe as WHEP client <- webrtcpublish as WHEP server,
 * encoded output, and a recording that survives ten publisher reconnects. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <string>

#include <json-glib/json-glib.h>

#include "rtctesthttp.h"
#include "rtctestutil.h"

static const char *SUB_AV = "webrtcsubscribe name=sub port=0 sub.video_0 ! fakesink name=vsink "
                            "sync=false sub.audio_0 ! fakesink name=asink sync=false";

static std::string whip_publisher (const std::string &url, bool audio = true)
{
  std::string launch =
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 "
      "! webrtcpublish name=pub whip-url=" +
      url;
  if (audio)
    launch += " audiotestsrc is-live=true ! pub.";
  return launch;
}

static guint count_messages (TestPipeline &p, const char *name)
{
  p.find (GST_MESSAGE_ELEMENT); /* drains the bus */
  guint n = 0;
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT && s && gst_structure_has_name (s, name))
      n++;
  }
  return n;
}

static std::string first_error (TestPipeline &p)
{
  GstMessage *m = p.find (GST_MESSAGE_ERROR);
  if (!m)
    return "";
  GError *err = nullptr;
  gst_message_parse_error (m, &err, nullptr);
  std::string text = err ? err->message : "?";
  g_clear_error (&err);
  return text;
}

static void on_session_created (GstElement *, const gchar *, GstElement *webrtcbin, gpointer data)
{
  auto slot = static_cast<GstElement **> (data);
  if (!*slot)
    *slot = GST_ELEMENT (gst_object_ref (webrtcbin));
}

GST_START_TEST (test_whip_client_to_whip_server)
{
  TestPipeline sub (std::string (SUB_AV) + " ", "sub");
  fail_unless (sub.port > 0);
  GstElement *webrtcbin = nullptr;
  g_signal_connect (sub.pub, "session-created", G_CALLBACK (on_session_created), &webrtcbin);
  BufferCounter video, audio;
  video.attach (sub.pipeline, "vsink");
  audio.attach (sub.pipeline, "asink");
  fail_unless (sub.find (GST_MESSAGE_ELEMENT, "webrtcsubscribe-listening") != nullptr);
  std::string url = sub.base () + "/whip/live";
  {
    TestPipeline pub (whip_publisher (url));
    fail_unless (sub.wait_message (GST_MESSAGE_ELEMENT, "webrtcsubscribe-publisher-connected",
                                   20000) != nullptr,
                 "the publisher never connected");
    fail_unless (wait_until ([&] { return video.buffers >= 60 && audio.buffers >= 20; }, 30000),
                 "video %u, audio %u buffers", video.buffers.load (), audio.buffers.load ());
    fail_unless_equals_int (video.width (), 320);
    fail_unless_equals_int (video.height (), 240);
    fail_unless (video.type () == "video/x-raw", "%s", video.type ().c_str ());
    fail_unless (audio.type () == "audio/x-raw", "%s", audio.type ().c_str ());
    fail_unless (webrtcbin != nullptr);
    guint latency = 0;
    g_object_get (webrtcbin, "latency", &latency, nullptr);
    gst_object_unref (webrtcbin);
    fail_unless_equals_int (latency, 100); /* the documented default */
    gboolean connected = FALSE;
    g_object_get (sub.pub, "connected", &connected, nullptr);
    fail_unless (connected);
    GstMessage *state = pub.wait_message (GST_MESSAGE_ELEMENT, "webrtcpublish-client-state");
    fail_unless (state != nullptr);
    fail_unless (first_error (pub).empty (), "publisher error: %s", first_error (pub).c_str ());
  }
  /* The publisher stopped: its DELETE ends the session at once. */
  fail_unless (sub.wait_message (GST_MESSAGE_ELEMENT, "webrtcsubscribe-publisher-disconnected",
                                 5000) != nullptr,
               "no publisher-disconnected after the publisher's DELETE");
  gboolean connected = TRUE;
  g_object_get (sub.pub, "connected", &connected, nullptr);
  fail_if (connected);
  fail_unless (first_error (sub).empty (), "subscriber error: %s", first_error (sub).c_str ());
}
GST_END_TEST;

GST_START_TEST (test_whep_client_pulls_from_webrtcpublish)
{
  TestPipeline pub ("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 "
                    "! webrtcpublish name=pub port=0 audiotestsrc is-live=true ! pub.");
  fail_unless (pub.port > 0);
  {
    TestPipeline sub (std::string ("webrtcsubscribe name=sub whep-url=") + pub.whep () +
                          " latency=50 sub.video_0 ! fakesink name=vsink sync=false sub.audio_0 ! "
                          "fakesink name=asink sync=false",
                      "sub");
    BufferCounter video, audio;
    video.attach (sub.pipeline, "vsink");
    audio.attach (sub.pipeline, "asink");
    fail_unless (wait_until ([&] { return video.buffers >= 60 && audio.buffers >= 20; }, 30000),
                 "video %u, audio %u buffers", video.buffers.load (), audio.buffers.load ());
    fail_unless (video.width () == 320 && video.height () == 240, "%s %dx%d",
                 video.type ().c_str (), video.width (), video.height ());
    fail_unless_equals_int (pub.viewers (), 1);
    /* Each step of the client is on the bus. */
    fail_unless (count_messages (sub, "webrtcsubscribe-client-state") >= 2);
    fail_unless (sub.find (GST_MESSAGE_ELEMENT, "webrtcsubscribe-publisher-connected") != nullptr);
    fail_unless (first_error (sub).empty (), "%s", first_error (sub).c_str ());
  }
  /* Stopping the subscriber DELETEs its WHEP session. */
  fail_unless (wait_until ([&] { return pub.viewers () == 0; }, 5000));
}
GST_END_TEST;

GST_START_TEST (test_encoded_output)
{
  TestPipeline sub ("webrtcsubscribe name=sub port=0 decode=false sub.video_0 ! fakesink "
                    "name=vsink sync=false",
                    "sub");
  BufferCounter video;
  video.attach (sub.pipeline, "vsink");
  TestPipeline pub (whip_publisher (sub.base () + "/whip/live", false));
  fail_unless (wait_until ([&] { return video.buffers >= 30; }, 30000), "%u buffers",
               video.buffers.load ());
  fail_unless (video.type () == "video/x-vp8", "%s", video.type ().c_str ());
  fail_unless_equals_int (count_children (sub.pub, "Decoder"), 0);
}
GST_END_TEST;

/* A recording keeps running while the publisher comes and goes: same pads,
 * no error, frames after every reconnect, a playable file at the end. */
GST_START_TEST (test_reconnects_keep_recording)
{
  gchar *dir = g_dir_make_tmp ("rtcsub-XXXXXX", nullptr);
  std::string file = std::string (dir) + "/rec.mp4";
  TestPipeline sub ("webrtcsubscribe name=sub port=0 sub.video_0 ! identity name=tap ! queue ! "
                    "videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast "
                    "key-int-max=30 ! h264parse ! mp4mux ! filesink location=" +
                        file,
                    "sub");
  BufferCounter frames;
  frames.attach (sub.pipeline, "tap");
  const char *n_env = g_getenv ("RTC_RECONNECT_CYCLES");
  guint cycles = n_env ? (guint)atoi (n_env) : 10;
  for (guint i = 0; i < cycles; i++) {
    guint before = frames.buffers;
    {
      TestPipeline pub (whip_publisher (sub.base () + "/whip/live", false));
      fail_unless (wait_until ([&] { return frames.buffers >= before + 20; }, 30000),
                   "cycle %u: %u frames after the reconnect", i, frames.buffers - before);
    }
    fail_unless (
        wait_until (
            [&] { return count_messages (sub, "webrtcsubscribe-publisher-disconnected") == i + 1; },
            10000),
        "cycle %u: no disconnect message", i);
    fail_unless (first_error (sub).empty (), "cycle %u: %s", i, first_error (sub).c_str ());
  }
  /* One video pad all along. */
  fail_unless_equals_int (sub.pub->numsrcpads, 1);
  fail_unless_equals_int (count_messages (sub, "webrtcsubscribe-publisher-connected"), cycles);
  gst_element_send_event (sub.pipeline, gst_event_new_eos ());
  fail_unless (sub.wait_message (GST_MESSAGE_EOS, nullptr, 20000) != nullptr,
               "the recording did not finish");
  gst_element_set_state (sub.pipeline, GST_STATE_NULL);

  /* Play the file back. */
  TestPipeline play ("filesrc location=" + file +
                         " ! qtdemux ! h264parse ! avdec_h264 ! fakesink name=out sync=false",
                     "out");
  BufferCounter decoded;
  decoded.attach (play.pipeline, "out");
  fail_unless (play.wait_message (GST_MESSAGE_EOS, nullptr, 30000) != nullptr,
               "the file does not play to the end: %s", first_error (play).c_str ());
  /* Every reconnect left frames in the file (the encoder may drop a few
   * at each time jump). */
  fail_unless (decoded.buffers * 10 >= frames.buffers * 9, "%u of %u frames in the file",
               decoded.buffers.load (), frames.buffers.load ());
  fail_unless_equals_int (decoded.width (), 320);
  g_print ("reconnects: %u cycles, %u frames recorded, %u decoded back\n", cycles,
           frames.buffers.load (), decoded.buffers.load ());
  g_unlink (file.c_str ());
  g_rmdir (dir);
  g_free (dir);
}
GST_END_TEST;

/* The next publisher sends another size and codec: same pad, new caps
 * downstream, no error. */
GST_START_TEST (test_format_change_between_publishers)
{
  TestPipeline sub ("webrtcsubscribe name=sub port=0 sub.video_0 ! videoconvert ! fakesink "
                    "name=vsink sync=false",
                    "sub");
  BufferCounter video;
  video.attach (sub.pipeline, "vsink");
  std::string url = sub.base () + "/whip/live";
  {
    TestPipeline pub (whip_publisher (url, false));
    fail_unless (wait_until ([&] { return video.buffers >= 20 && video.width () == 320; }, 30000));
  }
  fail_unless (wait_until (
      [&] { return count_messages (sub, "webrtcsubscribe-publisher-disconnected") == 1; }, 10000));
  guint before = video.buffers;
  {
    TestPipeline pub ("videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 "
                      "! webrtcpublish name=pub codec-preferences=H264 whip-url=" +
                      url);
    fail_unless (
        wait_until ([&] { return video.buffers >= before + 20 && video.width () == 640; }, 30000),
        "%u frames, %dx%d", video.buffers - before, video.width (), video.height ());
    fail_unless_equals_int (video.height (), 360);
    GstMessage *m = sub.find (GST_MESSAGE_ELEMENT, "webrtcsubscribe-publisher-connected");
    fail_unless (m != nullptr);
  }
  fail_unless_equals_int (sub.pub->numsrcpads, 1);
  fail_unless (first_error (sub).empty (), "%s", first_error (sub).c_str ());
}
GST_END_TEST;

/* The application takes only video; the publisher also sends audio: the
 * audio pad stays unlinked and nothing fails. */
GST_START_TEST (test_unlinked_pad_is_harmless)
{
  TestPipeline sub ("webrtcsubscribe name=sub port=0 sub.video_0 ! fakesink name=vsink sync=false",
                    "sub");
  BufferCounter video;
  video.attach (sub.pipeline, "vsink");
  TestPipeline pub (whip_publisher (sub.base () + "/whip/live", true));
  fail_unless (wait_until ([&] { return video.buffers >= 60 && sub.pub->numsrcpads == 2; }, 30000),
               "%u frames, %u pads", video.buffers.load (), sub.pub->numsrcpads);
  fail_unless (first_error (sub).empty (), "%s", first_error (sub).c_str ());
}
GST_END_TEST;

/* A publisher in another process: gst-launch-1.0 with @launch (the test's
 * plugin path and registry are in the environment). Returns its pid. */
static GPid spawn_publisher (const std::string &launch)
{
  gchar **args = nullptr;
  fail_unless (
      g_shell_parse_argv (("gst-launch-1.0 -q " + launch).c_str (), nullptr, &args, nullptr));
  /* Under the sanitizers their runtimes go first, or gst-launch-1.0 cannot
   * load the sanitized plugin (tests/check/meson.build). */
  gchar **env = g_get_environ ();
  if (const char *preload = g_getenv ("RTC_SANITIZER_PRELOAD"))
    env = g_environ_setenv (env, "LD_PRELOAD", preload, TRUE);
  GPid pid = 0;
  GError *error = nullptr;
  fail_unless (g_spawn_async (nullptr, args, env,
                              GSpawnFlags (G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                           G_SPAWN_STDOUT_TO_DEV_NULL),
                              nullptr, nullptr, &pid, &error),
               "gst-launch-1.0: %s", error ? error->message : "?");
  g_strfreev (args);
  g_strfreev (env);
  return pid;
}

static void kill_publisher (GPid pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, nullptr, 0);
  g_spawn_close_pid (pid);
}

/* The publisher's process is killed (no DELETE, no RTCP BYE) and started
 * again at once: its new POST is refused (409, the old session is still
 * live) until publisher-timeout finds the old one silent; the client
 * retries, and the subscriber's output resumes on the same pad. */
GST_START_TEST (test_publisher_killed_and_restarted)
{
  TestPipeline sub ("webrtcsubscribe name=sub port=0 publisher-timeout=3000 sub.video_0 ! "
                    "fakesink name=vsink sync=false",
                    "sub");
  BufferCounter video;
  video.attach (sub.pipeline, "vsink");
  std::string launch = whip_publisher (sub.base () + "/whip/live", false) +
                       " signaller::retry-delay-min=200 signaller::retry-delay-max=1000";
  GPid first = spawn_publisher (launch);
  fail_unless (wait_until ([&] { return video.buffers >= 20; }, 30000),
               "the first publisher's video did not arrive");
  kill_publisher (first);
  gint64 killed = g_get_monotonic_time ();
  GPid second = spawn_publisher (launch);
  guint before = video.buffers;
  bool resumed = wait_until ([&] { return video.buffers >= before + 20; }, 40000);
  double after_s = (g_get_monotonic_time () - killed) / 1e6;
  kill_publisher (second);
  fail_unless (resumed, "no video from the restarted publisher (%u frames)",
               video.buffers - before);
  g_print ("publisher killed and restarted: video again %.1f s later\n", after_s);
  GstMessage *gone = sub.find (GST_MESSAGE_ELEMENT, "webrtcsubscribe-publisher-disconnected");
  fail_unless (gone != nullptr);
  g_print ("the killed publisher: %s\n",
           gst_structure_get_string (gst_message_get_structure (gone), "reason"));
  fail_unless (count_messages (sub, "webrtcsubscribe-publisher-connected") >= 2);
  fail_unless_equals_int (sub.pub->numsrcpads, 1);
  fail_unless (first_error (sub).empty (), "%s", first_error (sub).c_str ());
}
GST_END_TEST;

/* The stats property and message (docs/stats.md), on both ends of one
 * WHEP session: what the publisher says it sent is what the subscriber
 * says it received, and the periodic message follows stats-interval. */
static GstStructure *read_stats (GstElement *e)
{
  GstStructure *st = nullptr;
  g_object_get (e, "stats", &st, nullptr);
  return st;
}

static std::string text (const GstStructure *s)
{
  gchar *t = s ? gst_structure_to_string (s) : g_strdup ("(null)");
  std::string r = t;
  g_free (t);
  return r;
}

static const GstStructure *only_session (const GstStructure *st)
{
  const GValue *list = gst_structure_get_value (st, "sessions");
  if (!list || !GST_VALUE_HOLDS_ARRAY (list) || gst_value_array_get_size (list) != 1)
    return nullptr;
  return gst_value_get_structure (gst_value_array_get_value (list, 0));
}

static guint64 field_u64 (const GstStructure *s, const char *field)
{
  guint64 v = 0;
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s in %s", field, text (s).c_str ());
  return v;
}

GST_START_TEST (test_stats)
{
  TestPipeline pub ("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 "
                    "! webrtcpublish name=pub port=0 stats-interval=250 audiotestsrc "
                    "is-live=true ! pub.");
  fail_unless (pub.port > 0);
  /* Before anyone came: no session, nothing rejected. */
  GstStructure *st = read_stats (pub.pub);
  fail_unless (st != nullptr);
  fail_unless (gst_structure_has_name (st, "webrtcpublish-stats"), "%s", text (st).c_str ());
  guint n = 99;
  fail_unless (gst_structure_get_uint (st, "n-sessions", &n) && n == 0, "%s", text (st).c_str ());
  gst_structure_free (st);
  {
    TestPipeline sub (std::string ("webrtcsubscribe name=sub whep-url=") + pub.whep () +
                          " latency=50 sub.video_0 ! fakesink name=vsink sync=false sub.audio_0 ! "
                          "fakesink name=asink sync=false",
                      "sub");
    BufferCounter video;
    video.attach (sub.pipeline, "vsink");
    fail_unless (wait_until ([&] { return video.buffers >= 60; }, 30000));

    GstStructure *theirs = read_stats (sub.pub);
    GstStructure *ours = read_stats (pub.pub);
    const GstStructure *in = only_session (theirs), *out = only_session (ours);
    fail_unless (in && out, "%s / %s", text (theirs).c_str (), text (ours).c_str ());
    fail_unless_equals_string (gst_structure_get_string (out, "state"), "connected");
    fail_unless_equals_string (gst_structure_get_string (in, "state"), "connected");
    guint connected = 0, handshakes = 9;
    fail_unless (gst_structure_get_uint (ours, "connected", &connected) && connected == 1);
    fail_unless (gst_structure_get_uint (ours, "handshakes", &handshakes) && handshakes == 0);
    /* The subscriber's figures were read first: the publisher has sent at
     * least that much since, and not wildly more (a second or two). */
    guint64 sent = field_u64 (out, "bytes-sent"), received = field_u64 (in, "bytes-received");
    fail_unless (received > 10000, "received %" G_GUINT64_FORMAT, received);
    fail_unless (sent >= received && sent < received * 3,
                 "sent %" G_GUINT64_FORMAT ", received %" G_GUINT64_FORMAT, sent, received);
    fail_unless (field_u64 (out, "packets-sent") >= field_u64 (in, "packets-received"));
    fail_unless (field_u64 (out, "bitrate-sent") > 0);
    fail_unless (field_u64 (in, "bitrate-received") > 0);
    fail_unless_equals_string (gst_structure_get_string (out, "codecs"), "VP8,OPUS");
    fail_unless_equals_string (gst_structure_get_string (in, "codecs"), "VP8,OPUS");
    /* The selected pair: both ends host candidates on this machine. */
    fail_unless_equals_string (gst_structure_get_string (out, "local-candidate-type"), "host");
    fail_unless_equals_string (gst_structure_get_string (out, "remote-candidate-type"), "host");
    fail_unless (gst_structure_get_string (out, "remote-address") != nullptr);
    double connect_time = -1;
    fail_unless (gst_structure_get_double (out, "connect-time", &connect_time) && connect_time > 0);
    /* Media flowed once connected, both ways: the publisher's first sent,
     * the subscriber's first received; each in its element's histogram. */
    for (const GstStructure *session : {out, in}) {
      double connect = -1, first = -1;
      fail_unless (gst_structure_get_double (session, "connect-time", &connect) &&
                       gst_structure_get_double (session, "first-media-time", &first) &&
                       first >= connect && first < connect + 10,
                   "%s", text (session).c_str ());
    }
    for (const GstStructure *element : {ours, theirs}) {
      const GValue *counts = gst_structure_get_value (element, "first-media-time-counts");
      fail_unless (counts && gst_value_array_get_size (counts) == 9, "%s", text (element).c_str ());
      fail_unless_equals_int (g_value_get_uint64 (gst_value_array_get_value (counts, 8)), 1);
    }
    gint rung = -1;
    fail_unless (gst_structure_get_int (out, "rung", &rung) && rung >= 0);
    /* The encoder the viewer uses is listed. */
    const GValue *encoders = gst_structure_get_value (ours, "encoders");
    fail_unless (encoders && gst_value_array_get_size (encoders) == 2, "%s", text (ours).c_str ());
    /* /stats.json says the same of the same session, a moment later. */
    HttpReply j = http_request ("GET", pub.base () + "/stats.json");
    fail_unless_equals_int (j.status, 200);
    JsonParser *parser = json_parser_new ();
    fail_unless (json_parser_load_from_data (parser, j.body.c_str (), -1, nullptr));
    JsonObject *stream = json_array_get_object_element (
        json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                      "streams"),
        0);
    fail_unless_equals_int (json_object_get_int_member (stream, "connected"), 1);
    JsonObject *session =
        json_array_get_object_element (json_object_get_array_member (stream, "sessions"), 0);
    fail_unless_equals_string (json_object_get_string_member (session, "id"),
                               gst_structure_get_string (out, "id"));
    fail_unless (json_object_get_int_member (session, "bytes-sent") >= (gint64)sent);
    fail_unless_equals_string (json_object_get_string_member (session, "remote-address"),
                               gst_structure_get_string (out, "remote-address"));
    g_object_unref (parser);
    gst_structure_free (theirs);
    gst_structure_free (ours);

    /* Every 250 ms on the bus: a few in 2 s. */
    guint before = count_messages (pub, "webrtcpublish-stats");
    g_usleep (2 * G_USEC_PER_SEC);
    guint during = count_messages (pub, "webrtcpublish-stats") - before;
    fail_unless (during >= 3 && during <= 12, "%u messages in 2 s", during);
    GstMessage *m = pub.find (GST_MESSAGE_ELEMENT, "webrtcpublish-stats");
    fail_unless (m != nullptr);
    /* stats-interval=0: no more. */
    g_object_set (pub.pub, "stats-interval", 0u, nullptr);
    g_usleep (G_USEC_PER_SEC / 2);
    before = count_messages (pub, "webrtcpublish-stats");
    g_usleep (G_USEC_PER_SEC);
    fail_unless_equals_int (count_messages (pub, "webrtcpublish-stats"), before);
  }
  fail_unless (wait_until ([&] { return pub.viewers () == 0; }, 5000));
  st = read_stats (pub.pub);
  fail_unless (gst_structure_get_uint (st, "n-sessions", &n) && n == 0, "%s", text (st).c_str ());
  gst_structure_free (st);
}
GST_END_TEST;

static Suite *webrtcsubscribe_e2e_suite (void)
{
  Suite *s = suite_create ("webrtcsubscribe_e2e");
  TCase *tc = tcase_create ("e2e");
  tcase_set_timeout (tc, 600);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_whip_client_to_whip_server);
  tcase_add_test (tc, test_whep_client_pulls_from_webrtcpublish);
  tcase_add_test (tc, test_encoded_output);
  tcase_add_test (tc, test_reconnects_keep_recording);
  tcase_add_test (tc, test_format_change_between_publishers);
  tcase_add_test (tc, test_unlinked_pad_is_harmless);
  tcase_add_test (tc, test_publisher_killed_and_restarted);
  tcase_add_test (tc, test_stats);
  return s;
}

GST_CHECK_MAIN (webrtcsubscribe_e2e);

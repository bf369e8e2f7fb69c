/* webrtcsubscribe as an element: registration, pads, properties and their
 * documented defaults, its place in a pipeline (a live source), sharing the
 * embedded server with webrtcpublish, and the errors a user sees for bad
 * settings. */
#include <gst/check/gstcheck.h>

#include "rtctesthttp.h"
#include "rtctestutil.h"

GST_START_TEST (test_registration_and_templates)
{
  GstElementFactory *f = gst_element_factory_find ("webrtcsubscribe");
  fail_unless (f != nullptr);
  fail_unless_equals_string (gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_KLASS),
                             "Source/Network/WebRTC");
  std::string names;
  int data = 0;
  for (const GList *l = gst_element_factory_get_static_pad_templates (f); l; l = l->next) {
    auto t = static_cast<GstStaticPadTemplate *> (l->data);
    if (g_str_has_prefix (t->name_template, "data_")) {
      /* Data channels: request pads both ways. */
      fail_unless (t->presence == GST_PAD_REQUEST);
      fail_unless (t->direction ==
                   (g_str_equal (t->name_template, "data_send_%s") ? GST_PAD_SINK : GST_PAD_SRC));
      data++;
      continue;
    }
    fail_unless (t->direction == GST_PAD_SRC && t->presence == GST_PAD_SOMETIMES);
    names += std::string (t->name_template) + " ";
  }
  fail_unless (names == "video_%u audio_%u " || names == "audio_%u video_%u ", "%s",
               names.c_str ());
  fail_unless_equals_int (data, 2);
  gst_object_unref (f);
}
GST_END_TEST;

GST_START_TEST (test_property_defaults)
{
  GstElement *e = gst_element_factory_make ("webrtcsubscribe", nullptr);
  gboolean server, decode, takeover, connected;
  gchar *address, *name, *prefs, *whep, *token;
  guint port, latency, timeout, handshake;
  g_object_get (e, "enable-server", &server, "address", &address, "port", &port, "stream-name",
                &name, "codec-preferences", &prefs, "whep-url", &whep, "auth-token", &token,
                "decode", &decode, "latency", &latency, "publisher-takeover", &takeover,
                "publisher-timeout", &timeout, "handshake-timeout", &handshake, "connected",
                &connected, nullptr);
  fail_unless (server && decode && !takeover && !connected);
  fail_unless_equals_string (address, "127.0.0.1");
  fail_unless_equals_int (port, 8080);
  fail_unless_equals_string (name, "live");
  fail_unless_equals_string (prefs, "VP8,H264,VP9,OPUS");
  fail_unless (whep == nullptr && token == nullptr);
  fail_unless_equals_int (latency, 100);
  fail_unless_equals_int (timeout, 10000);
  fail_unless_equals_int (handshake, 15000);
  GObject *signaller = nullptr;
  g_object_get (e, "signaller", &signaller, nullptr);
  fail_unless (signaller != nullptr);
  g_object_unref (signaller);
  g_free (address);
  g_free (name);
  g_free (prefs);
  gst_object_unref (e);
}
GST_END_TEST;

/* A live source: no preroll, and the WHIP server is announced on the bus
 * with the port it took. */
GST_START_TEST (test_live_source_and_listening)
{
  GstElement *pipeline = gst_pipeline_new (nullptr);
  GstElement *sub = gst_element_factory_make ("webrtcsubscribe", nullptr);
  g_object_set (sub, "port", 0, "stream-name", "cam", nullptr);
  gst_bin_add (GST_BIN (pipeline), sub);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
                          GST_STATE_CHANGE_NO_PREROLL);
  guint port = 0;
  gchar *url = nullptr;
  g_object_get (sub, "port", &port, "url", &url, nullptr);
  fail_unless (port > 0);
  fail_unless (url && g_str_has_suffix (url, "/publish/cam"), "%s", url);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (m != nullptr);
  const GstStructure *s = gst_message_get_structure (m);
  fail_unless (gst_structure_has_name (s, "webrtcsubscribe-listening"));
  guint announced = 0;
  gst_structure_get_uint (s, "port", &announced);
  fail_unless_equals_int (announced, port);
  gst_message_unref (m);
  /* The publish page and the stream list are served. */
  std::string base = "http://127.0.0.1:" + std::to_string (port);
  HttpReply r = http_request ("GET", base + "/publish/cam");
  fail_unless_equals_int (r.status, 200);
  fail_unless (r.body.find ("publish.js") != std::string::npos);
  r = http_request ("GET", base + "/static/publish.js");
  fail_unless_equals_int (r.status, 200);
  fail_unless (r.body.find ("WhipClient") != std::string::npos);
  r = http_request ("GET", base + "/streams.json");
  fail_unless (r.body.find ("\"whip\":\"/whip/cam\"") != std::string::npos, "%s", r.body.c_str ());
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  g_free (url);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* webrtcpublish and webrtcsubscribe share one server per port: a relay
 * receives on /whip/<name> and serves on /whep/<name>. */
GST_START_TEST (test_shares_server_with_webrtcpublish)
{
  TestPipeline sub ("webrtcsubscribe name=sub port=0 stream-name=relay sub.video_0 ! fakesink",
                    "sub");
  fail_unless (sub.port > 0);
  TestPipeline pub ("videotestsrc is-live=true ! webrtcpublish name=pub stream-name=relay port=" +
                    std::to_string (sub.port));
  fail_unless_equals_int (pub.port, sub.port);
  HttpReply r = http_request ("GET", sub.base () + "/streams.json");
  fail_unless (r.body.find ("\"whip\":\"/whip/relay\"") != std::string::npos, "%s",
               r.body.c_str ());
  fail_unless (r.body.find ("\"whep\":\"/whep/relay\"") != std::string::npos, "%s",
               r.body.c_str ());
}
GST_END_TEST;

static std::string error_of (GstElement *pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  if (!m)
    return "";
  GError *err = nullptr;
  gst_message_parse_error (m, &err, nullptr);
  std::string text = err->message;
  g_error_free (err);
  gst_message_unref (m);
  return text;
}

GST_START_TEST (test_bad_settings)
{
  struct Case {
    const char *launch;
    const char *expect;
  } cases[] = {
      {"webrtcsubscribe name=s port=0 codec-preferences=VP8,NOPE s.video_0 ! fakesink",
       "codec-preferences"},
      {"webrtcsubscribe name=s whep-url=ftp://example.invalid/x s.video_0 ! fakesink",
       "not an http(s) URL"},
      {"webrtcsubscribe name=s whep-url=not-a-url s.video_0 ! fakesink", "not an http(s) URL"},
  };
  for (auto &c : cases) {
    GstElement *pipeline = gst_parse_launch (c.launch, nullptr);
    fail_unless (pipeline != nullptr);
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                            GST_STATE_CHANGE_FAILURE);
    std::string err = error_of (pipeline);
    fail_unless (err.find (c.expect) != std::string::npos, "%s: '%s'", c.launch, err.c_str ());
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
  /* Names on a shared port. */
  TestPipeline first ("webrtcsubscribe name=sub port=0 sub.video_0 ! fakesink", "sub");
  GstElement *second = gst_parse_launch (("webrtcsubscribe name=s stream-name=other port=" +
                                          std::to_string (first.port) + " s.video_0 ! fakesink")
                                             .c_str (),
                                         nullptr);
  /* Same port in one process: shared, so this one works... */
  fail_unless (gst_element_set_state (second, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (second, GST_STATE_NULL);
  /* ...but the same name twice on one server is an error. */
  GstElement *third = gst_parse_launch (
      ("webrtcsubscribe name=s port=" + std::to_string (first.port) + " s.video_0 ! fakesink")
          .c_str (),
      nullptr);
  fail_unless_equals_int (gst_element_set_state (third, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_FAILURE);
  std::string err = error_of (third);
  fail_unless (err.find ("live") != std::string::npos, "%s", err.c_str ());
  gst_element_set_state (third, GST_STATE_NULL);
  gst_object_unref (third);
  gst_object_unref (second);
}
GST_END_TEST;

static Suite *webrtcsubscribe_suite (void)
{
  Suite *s = suite_create ("webrtcsubscribe");
  TCase *tc = tcase_create ("element");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_registration_and_templates);
  tcase_add_test (tc, test_property_defaults);
  tcase_add_test (tc, test_live_source_and_listening);
  tcase_add_test (tc, test_shares_server_with_webrtcpublish);
  tcase_add_test (tc, test_bad_settings);
  return s;
}

GST_CHECK_MAIN (webrtcsubscribe);

/* webrtcpublish as an element: registration, pads, properties, the shared
 * server, raw and encoded input, and the SDP answers it gives to real
 * browsers' offers. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/sdp/sdp.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "rtctesthttp.h"
#include "rtctestutil.h"

GST_START_TEST (test_registration_and_templates)
{
  GstElementFactory *f = gst_element_factory_find ("webrtcpublish");
  fail_unless (f != nullptr);
  fail_unless_equals_string (gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_KLASS),
                             "Sink/Network/WebRTC");
  bool video = false, audio = false, data_send = false, data_recv = false;
  for (const GList *l = gst_element_factory_get_static_pad_templates (f); l; l = l->next) {
    auto t = static_cast<GstStaticPadTemplate *> (l->data);
    /* Data channels: request pads both ways. */
    if (g_str_equal (t->name_template, "data_send_%s") ||
        g_str_equal (t->name_template, "data_recv_%s")) {
      bool send = g_str_equal (t->name_template, "data_send_%s");
      fail_unless (t->presence == GST_PAD_REQUEST);
      fail_unless (t->direction == (send ? GST_PAD_SINK : GST_PAD_SRC));
      (send ? data_send : data_recv) = true;
      continue;
    }
    fail_unless (t->direction == GST_PAD_SINK && t->presence == GST_PAD_REQUEST);
    GstCaps *caps = gst_static_pad_template_get_caps (t);
    gchar *s = gst_caps_to_string (caps);
    if (g_str_equal (t->name_template, "video_%u")) {
      video = true;
      for (const char *c : {"video/x-raw", "video/x-h264", "video/x-vp8", "video/x-vp9"})
        fail_unless (strstr (s, c), "%s missing from %s", c, s);
    } else if (g_str_equal (t->name_template, "audio_%u")) {
      audio = true;
      fail_unless (strstr (s, "audio/x-raw") && strstr (s, "audio/x-opus"), "%s", s);
    }
    g_free (s);
    gst_caps_unref (caps);
  }
  fail_unless (video && audio && data_send && data_recv);
  gst_object_unref (f);
}
GST_END_TEST;

GST_START_TEST (test_property_defaults)
{
  GstElement *e = gst_element_factory_make ("webrtcpublish", nullptr);
  gboolean server;
  gchar *address, *name, *prefs, *stun, *origins;
  guint port, max_viewers, bitrate, n;
  g_object_get (e, "enable-server", &server, "address", &address, "port", &port, "stream-name",
                &name, "codec-preferences", &prefs, "stun-server", &stun, "max-viewers",
                &max_viewers, "video-bitrate", &bitrate, "n-viewers", &n, "allowed-origins",
                &origins, nullptr);
  fail_unless (server);
  fail_unless_equals_string (address, "127.0.0.1");
  fail_unless_equals_int (port, 8080);
  fail_unless_equals_string (name, "live");
  fail_unless_equals_string (prefs, "VP8,H264,VP9,OPUS");
  fail_unless (stun == nullptr);
  fail_unless_equals_int (max_viewers, 0);
  fail_unless_equals_int (bitrate, 2000000);
  fail_unless_equals_int (n, 0);
  fail_unless_equals_string (origins, "");
  gint policy = -1;
  guint max_channels = 0;
  g_object_get (e, "data-channel-policy", &policy, "max-data-channels", &max_channels, nullptr);
  fail_unless_equals_int (policy, 2 /* listed */);
  fail_unless_equals_int (max_channels, 16);
  GObject *signaller = nullptr;
  g_object_get (e, "signaller", &signaller, nullptr);
  fail_unless (signaller != nullptr);
  g_object_unref (signaller);
  g_free (address);
  g_free (name);
  g_free (prefs);
  g_free (origins);
  gst_object_unref (e);
}
GST_END_TEST;

GST_START_TEST (test_request_pads)
{
  GstElement *e = gst_element_factory_make ("webrtcpublish", nullptr);
  GstPad *v0 = gst_element_request_pad_simple (e, "video_%u");
  GstPad *a0 = gst_element_request_pad_simple (e, "audio_%u");
  GstPad *v1 = gst_element_request_pad_simple (e, "video_%u");
  fail_unless_equals_string (GST_PAD_NAME (v0), "video_0");
  fail_unless_equals_string (GST_PAD_NAME (a0), "audio_0");
  fail_unless_equals_string (GST_PAD_NAME (v1), "video_1");
  gst_element_release_request_pad (e, v1);
  gst_object_unref (v1);
  gst_object_unref (v0);
  gst_object_unref (a0);
  gst_object_unref (e);
}
GST_END_TEST;

GST_START_TEST (test_launch_without_pad_names)
{
  /* gst-launch picks the pads by caps. */
  TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 "
                   "audiotestsrc is-live=true ! pub.");
  fail_unless (p.port > 0);
  GstPad *v = gst_element_get_static_pad (p.pub, "video_0");
  GstPad *a = gst_element_get_static_pad (p.pub, "audio_0");
  fail_unless (v && gst_pad_is_linked (v));
  fail_unless (a && gst_pad_is_linked (a));
  gst_object_unref (v);
  gst_object_unref (a);
}
GST_END_TEST;

GST_START_TEST (test_port_zero_announced)
{
  GstElement *pipeline = gst_parse_launch (
      "videotestsrc is-live=true ! webrtcpublish name=pub port=0 stream-name=cam1", nullptr);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ELEMENT);
  fail_unless (m != nullptr);
  const GstStructure *s = gst_message_get_structure (m);
  fail_unless_equals_string (gst_structure_get_name (s), "webrtcpublish-listening");
  guint port = 0;
  fail_unless (gst_structure_get_uint (s, "port", &port) && port > 0);
  GstElement *pub = gst_bin_get_by_name (GST_BIN (pipeline), "pub");
  guint prop_port = 0;
  gchar *url = nullptr;
  g_object_get (pub, "port", &prop_port, "url", &url, nullptr);
  fail_unless_equals_int (prop_port, port);
  std::string expected = "http://127.0.0.1:" + std::to_string (port) + "/view/cam1";
  fail_unless_equals_string (url, expected.c_str ());
  fail_unless_equals_string (gst_structure_get_string (s, "url"), expected.c_str ());
  /* The page and the stream list are served. */
  HttpReply page = http_request ("GET", expected);
  fail_unless_equals_int (page.status, 200);
  fail_unless (page.body.find ("<html") != std::string::npos ||
               page.body.find ("<!DOCTYPE") != std::string::npos);
  HttpReply list =
      http_request ("GET", "http://127.0.0.1:" + std::to_string (port) + "/streams.json");
  fail_unless_equals_int (list.status, 200);
  fail_unless (list.body.find ("\"cam1\"") != std::string::npos, "%s", list.body.c_str ());
  g_free (url);
  gst_message_unref (m);
  gst_object_unref (pub);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* Starting @launch fails with an error message that contains @what. */
static void expect_start_error (const std::string &launch, const char *what)
{
  GstElement *pipeline = gst_parse_launch (launch.c_str (), nullptr);
  GstBus *bus = gst_element_get_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_FAILURE);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (m != nullptr, "no error message for %s", launch.c_str ());
  GError *err = nullptr;
  gst_message_parse_error (m, &err, nullptr);
  fail_unless (strstr (err->message, what), "%s", err->message);
  g_error_free (err);
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* A bearer token never crosses a network in clear text unless the user
 * says so: a plain-HTTP server off loopback, or an http:// WHIP URL to
 * another host, with auth-token does not start (issue 14, finding 7). */
GST_START_TEST (test_token_in_clear_text)
{
  expect_start_error ("videotestsrc ! webrtcpublish port=0 address=0.0.0.0 auth-token=t",
                      "clear text");
  expect_start_error ("videotestsrc ! webrtcpublish whip-url=http://192.0.2.1:9/whip/x "
                      "auth-token=t",
                      "clear text");
  /* Explicitly accepted; loopback needs nothing. */
  for (const char *launch :
       {"videotestsrc is-live=true ! webrtcpublish port=0 address=0.0.0.0 auth-token=t "
        "insecure-auth=true",
        "videotestsrc is-live=true ! webrtcpublish port=0 address=127.0.0.1 auth-token=t"}) {
    GstElement *pipeline = gst_parse_launch (launch, nullptr);
    fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE,
                 "%s", launch);
    GstBus *bus = gst_element_get_bus (pipeline);
    GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_SECOND, GST_MESSAGE_ERROR);
    fail_unless (m == nullptr, "%s: an error", launch);
    gst_object_unref (bus);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
}
GST_END_TEST;

GST_START_TEST (test_shared_server_two_streams)
{
  TestPublisher a ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 stream-name=one");
  fail_unless (a.port > 0);
  std::string launch =
      "videotestsrc is-live=true ! webrtcpublish name=pub port=" + std::to_string (a.port) +
      " stream-name=two";
  TestPublisher b (launch);
  fail_unless_equals_int (b.port, a.port);
  HttpReply list = http_request ("GET", a.base () + "/streams.json");
  fail_unless (list.body.find ("\"one\"") != std::string::npos, "%s", list.body.c_str ());
  fail_unless (list.body.find ("\"two\"") != std::string::npos, "%s", list.body.c_str ());
  /* The same name twice on one server is a clear error. */
  std::string dup =
      "videotestsrc is-live=true ! webrtcpublish name=pub port=" + std::to_string (a.port) +
      " stream-name=one";
  expect_start_error (dup, "already used");
  /* Stopping one stream leaves the other served. */
  gst_element_set_state (a.pipeline, GST_STATE_NULL);
  list = http_request ("GET", b.base () + "/streams.json");
  fail_unless (list.body.find ("\"one\"") == std::string::npos, "%s", list.body.c_str ());
  fail_unless (list.body.find ("\"two\"") != std::string::npos, "%s", list.body.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_bad_codec_preferences)
{
  expect_start_error ("videotestsrc ! webrtcpublish name=pub port=0 codec-preferences=VP8,H266",
                      "H266");
}
GST_END_TEST;

/* Raw and encoded input are accepted and flow to EOS. */
static void check_input_runs_to_eos (const char *launch)
{
  GstElement *pipeline = gst_parse_launch (launch, nullptr);
  fail_unless (pipeline != nullptr, "%s", launch);
  GstBus *bus = gst_element_get_bus (pipeline);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  GstMessage *m = gst_bus_timed_pop_filtered (
      bus, 30 * GST_SECOND, (GstMessageType)(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (m != nullptr, "no EOS for %s", launch);
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error (m, &err, nullptr);
    fail ("%s: %s", launch, err->message);
  }
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_raw_and_encoded_input)
{
  check_input_runs_to_eos ("videotestsrc num-buffers=30 ! webrtcpublish port=0 name=p "
                           "audiotestsrc num-buffers=30 ! p.");
  check_input_runs_to_eos ("videotestsrc num-buffers=30 ! x264enc ! webrtcpublish port=0");
  check_input_runs_to_eos ("videotestsrc num-buffers=30 ! vp8enc ! webrtcpublish port=0");
  check_input_runs_to_eos (
      "videotestsrc num-buffers=30 ! vp9enc deadline=1 ! webrtcpublish port=0");
  check_input_runs_to_eos ("audiotestsrc num-buffers=30 ! opusenc ! webrtcpublish port=0");
}
GST_END_TEST;

GST_START_TEST (test_harness_raw_video)
{
  GstHarness *h = gst_harness_new_with_padnames ("webrtcpublish", "video_0", nullptr);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=I420,width=64,height=48,framerate=30/1");
  g_object_set (h->element, "port", 0, nullptr);
  gst_harness_play (h);
  for (int i = 0; i < 5; i++) {
    GstBuffer *buf = gst_harness_create_buffer (h, 64 * 48 * 3 / 2);
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  gst_harness_teardown (h);
}
GST_END_TEST;

/* POSTs a real browser's offer and checks the answer. */
static GstSDPMessage *answer_for (TestPublisher &p, const char *fixture, guint &status,
                                  std::string &body)
{
  std::string offer = read_fixture (std::string ("offers/") + fixture);
  fail_if (offer.empty (), "fixture %s missing", fixture);
  HttpReply r = http_request ("POST", p.whep (), "application/sdp", offer);
  status = r.status;
  body = r.body;
  if (r.status != 201)
    return nullptr;
  fail_unless (g_str_has_prefix (r.header ("location").c_str (), "/whep/live/"));
  fail_unless (r.header ("content-type").find ("application/sdp") == 0);
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text (r.body.c_str (), &sdp);
  return sdp;
}

static std::string media_attr (const GstSDPMedia *m, const char *key)
{
  const char *v = gst_sdp_media_get_attribute_val (m, key);
  return v ? v : "";
}

static void check_answer_common (GstSDPMessage *offer_unused, GstSDPMessage *answer)
{
  fail_unless (gst_sdp_message_medias_len (answer) >= 2);
  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (answer, i);
    if (gst_sdp_media_get_port (m) == 0)
      continue;
    fail_unless (gst_sdp_media_get_attribute_val (m, "sendonly") != nullptr ||
                     gst_sdp_media_get_attribute_val (m, "inactive") != nullptr,
                 "m-line %u is neither sendonly nor inactive", i);
    fail_unless (!media_attr (m, "fingerprint").empty ());
    fail_unless (!media_attr (m, "ice-ufrag").empty ());
    fail_unless (gst_sdp_media_get_attribute_val (m, "candidate") != nullptr,
                 "answer has no candidate on m-line %u", i);
  }
}

static std::string answered_rtpmap (GstSDPMessage *answer, const char *kind)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (answer, i);
    if (g_str_equal (gst_sdp_media_get_media (m), kind) &&
        gst_sdp_media_get_attribute_val (m, "sendonly"))
      return media_attr (m, "rtpmap");
  }
  return "";
}

GST_START_TEST (test_answers_to_real_offers)
{
  TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 "
                   "audiotestsrc is-live=true ! pub.");
  fail_unless (p.port > 0);
  fail_unless (p.wait_caps ("video_0") && p.wait_caps ("audio_0"));
  guint status;
  std::string body;
  for (const char *fixture : {"chromium.sdp", "firefox.sdp"}) {
    GstSDPMessage *a = answer_for (p, fixture, status, body);
    fail_unless_equals_int (status, 201);
    fail_unless (a, "%s: %s", fixture, body.c_str ());
    check_answer_common (nullptr, a);
    fail_unless (answered_rtpmap (a, "video").find ("VP8/90000") != std::string::npos, "%s",
                 fixture);
    fail_unless (answered_rtpmap (a, "audio").find ("OPUS/48000") != std::string::npos ||
                     answered_rtpmap (a, "audio").find ("opus/48000") != std::string::npos,
                 "%s: %s", fixture, answered_rtpmap (a, "audio").c_str ());
    gst_sdp_message_free (a);
  }
  GstSDPMessage *a = answer_for (p, "safari-h264.sdp", status, body);
  fail_unless_equals_int (status, 201);
  check_answer_common (nullptr, a);
  std::string rtpmap = answered_rtpmap (a, "video");
  fail_unless (rtpmap.find ("H264/90000") != std::string::npos, "%s", rtpmap.c_str ());
  gchar *text = gst_sdp_message_as_text (a);
  fail_unless (strstr (text, "packetization-mode=1"), "%s", text);
  g_free (text);
  gst_sdp_message_free (a);
}
GST_END_TEST;

/* A gathering timeout that passes before the answer is even made (as on a
 * loaded machine): the answer still waits for its first candidate, since a
 * WHEP player that does not trickle could do nothing with none. */
GST_START_TEST (test_gathering_timeout_still_sends_candidates)
{
  TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 "
                   "ice-gathering-timeout=0 audiotestsrc is-live=true ! pub.");
  fail_unless (p.wait_caps ("video_0") && p.wait_caps ("audio_0"));
  for (int i = 0; i < 3; i++) {
    guint status;
    std::string body;
    GstSDPMessage *a = answer_for (p, "chromium.sdp", status, body);
    fail_unless_equals_int (status, 201);
    fail_unless (a, "%s", body.c_str ());
    check_answer_common (nullptr, a);
    gst_sdp_message_free (a);
  }
}
GST_END_TEST;

GST_START_TEST (test_no_common_codec_is_422)
{
  TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 "
                   "codec-preferences=VP8,OPUS");
  fail_unless (p.port > 0);
  fail_unless (p.wait_caps ());
  guint status;
  std::string body;
  GstSDPMessage *a = answer_for (p, "safari-h264.sdp", status, body);
  fail_unless (a == nullptr);
  fail_unless_equals_int (status, 422);
  fail_unless (body.find ("no common video codec") != std::string::npos, "%s", body.c_str ());
  fail_unless (body.find ("H264") != std::string::npos, "%s", body.c_str ());
  fail_unless_equals_int (p.viewers (), 0);
}
GST_END_TEST;

static gboolean accept_any_certificate (SoupMessage *, GTlsCertificate *, GTlsCertificateFlags,
                                        gpointer)
{
  return TRUE; /* the test's own self-signed certificate */
}

GST_START_TEST (test_tls)
{
  gchar *dir = g_dir_make_tmp ("rtc-tls-XXXXXX", nullptr);
  std::string cert = std::string (dir) + "/cert.pem", key = std::string (dir) + "/key.pem";
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                    "-keyout " +
                    key + " -out " + cert + " 2>/dev/null";
  fail_unless_equals_int (system (cmd.c_str ()), 0);
  TestPublisher p ("videotestsrc is-live=true ! webrtcpublish name=pub port=0 "
                   "tls-certificate-file=" +
                   cert + " tls-key-file=" + key);
  fail_unless (p.port > 0);
  gchar *url = nullptr;
  g_object_get (p.pub, "url", &url, nullptr);
  fail_unless (g_str_has_prefix (url, "https://"), "%s", url);
  g_free (url);
  std::string https = "https://127.0.0.1:" + std::to_string (p.port) + "/streams.json";
  SoupSession *session = soup_session_new_with_options ("timeout", 20, nullptr);
  SoupMessage *msg = soup_message_new ("GET", https.c_str ());
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), nullptr);
  GBytes *body = soup_session_send_and_read (session, msg, nullptr, nullptr);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless (body && g_bytes_get_size (body) > 0);
  g_bytes_unref (body);
  g_object_unref (msg);
  g_object_unref (session);
  /* A missing certificate is a clear start error. */
  expect_start_error ("videotestsrc ! webrtcpublish port=0 tls-certificate-file=/nonexistent.pem",
                      "TLS certificate");
  unlink (cert.c_str ());
  unlink (key.c_str ());
  g_rmdir (dir);
  g_free (dir);
}
GST_END_TEST;

GST_START_TEST (test_port_in_use)
{
  /* Another program holds the port: a clear error, no hang. */
  GSocket *sock =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  GInetAddress *lo = g_inet_address_new_from_string ("127.0.0.1");
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  fail_unless (g_socket_bind (sock, addr, FALSE, nullptr) && g_socket_listen (sock, nullptr));
  GSocketAddress *bound = g_socket_get_local_address (sock, nullptr);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  expect_start_error ("videotestsrc ! webrtcpublish port=" + std::to_string (port),
                      "could not listen");
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (sock);
}
GST_END_TEST;

static Suite *webrtcpublish_suite (void)
{
  Suite *s = suite_create ("webrtcpublish");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_registration_and_templates);
  tcase_add_test (tc, test_property_defaults);
  tcase_add_test (tc, test_token_in_clear_text);
  tcase_add_test (tc, test_request_pads);
  tcase_add_test (tc, test_launch_without_pad_names);
  tcase_add_test (tc, test_port_zero_announced);
  tcase_add_test (tc, test_shared_server_two_streams);
  tcase_add_test (tc, test_bad_codec_preferences);
  tcase_add_test (tc, test_raw_and_encoded_input);
  tcase_add_test (tc, test_harness_raw_video);
  tcase_add_test (tc, test_answers_to_real_offers);
  tcase_add_test (tc, test_gathering_timeout_still_sends_candidates);
  tcase_add_test (tc, test_no_common_codec_is_422);
  tcase_add_test (tc, test_tls);
  tcase_add_test (tc, test_port_in_use);
  return s;
}

GST_CHECK_MAIN (webrtcpublish);

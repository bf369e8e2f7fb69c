/* GstRtcJanusSignaller on its own, against a real Janus (tests/janus,
 * started by TestJanus inside the test's network namespace) and against a
 * fake one that talks nonsense. Plain webrtcbins stand in for the elements
 * (rtctestsignallerpeer.h): what is tested is the GstRtcSignaller contract.
 *
 * The signaller comes from the plugin (GST_PLUGIN_PATH), with
 * gst_dynamic_type_factory_load (): it is not compiled into this binary. */
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#ifdef RTC_TEST_HAVE_LIBCRYPTO
#include <openssl/crypto.h>
#endif
#include <condition_variable>

#include "rtctestjanus.h"
#include "rtctestsignallerpeer.h"

namespace {

/* A Janus signaller from the plugin, retrying quickly. */
gpointer janus_signaller (const std::string &url, GstRtcSignallerRole role,
                          const char *display = nullptr)
{
  GType type = gst_dynamic_type_factory_load ("GstRtcJanusSignaller");
  fail_unless (type != 0, "GstRtcJanusSignaller is not in the rtcbridge plugin");
  return g_object_new (type, "url", url.c_str (), "role", role, "display", display,
                       "retry-delay-min", 200, "retry-delay-max", 1000, nullptr);
}

/* The publishing and the receiving side on Janus. */
struct JanusPublisher : Publisher {
  JanusPublisher (const std::string &url, const char *display)
      : Publisher (janus_signaller (url, GST_RTC_SIGNALLER_ROLE_OFFERER, display))
  {}
};
struct JanusSubscriber : Subscriber {
  explicit JanusSubscriber (const std::string &url)
      : Subscriber (janus_signaller (url, GST_RTC_SIGNALLER_ROLE_ANSWERER))
  {}
};

void start_janus (TestJanus &janus)
{
  fail_unless (janus.start (), "Janus did not start");
}

} // namespace

/* A publisher and two subscribers (by feed id, by display name) through
 * Janus: both decode 320x240 VP8 and Opus. */
GST_START_TEST (test_publish_and_subscribe)
{
  TestJanus janus;
  start_janus (janus);
  JanusPublisher pub (janus.url (), "cam-one");
  pub.start ();
  fail_unless (pub.wait ([&] { return pub.property_u64 ("publisher-id") != 0; }, 20000),
               "the publisher did not join:\n%s", pub.state_log ().c_str ());
  guint64 feed = pub.property_u64 ("publisher-id");
  fail_unless (pub.property_u64 ("janus-session-id") != 0);
  fail_unless (pub.wait ([&] { return pub.requested.size () == 1; }, 10000));
  fail_unless (gst_rtc_signaller_get_trickle (pub.sig));
  fail_unless_equals_int (gst_rtc_signaller_get_role (pub.sig), GST_RTC_SIGNALLER_ROLE_OFFERER);

  JanusSubscriber by_id (janus.url ());
  g_object_set (by_id.object (), "feed", feed, nullptr);
  JanusSubscriber by_name (janus.url ());
  g_object_set (by_name.object (), "feed-display", "cam-one", nullptr);
  fail_unless_equals_int (gst_rtc_signaller_get_role (by_id.sig), GST_RTC_SIGNALLER_ROLE_ANSWERER);
  by_id.start ();
  by_name.start ();
  for (Subscriber *sub : {&by_id, &by_name}) {
    fail_unless (decodes (*sub, 60, 30000), "no media:\n%s\npublisher:\n%s",
                 sub->state_log ().c_str (), pub.state_log ().c_str ());
    Session *s = sub->latest ();
    fail_unless_equals_int (s->counts->width, 320);
    fail_unless_equals_int (s->counts->height, 240);
    fail_unless_equals_int (sub->requested.size (), 1);
    std::string peer = "feed " + std::to_string (feed) + " (cam-one)";
    fail_unless (sub->peers[0] == peer, "peer '%s'", sub->peers[0].c_str ());
    fail_unless (sub->states_named ("joined") == 1 && sub->states_named ("subscribed") == 1, "%s",
                 sub->state_log ().c_str ());
  }
  fail_unless (pub.states_named ("publishing") == 1, "%s", pub.state_log ().c_str ());
  Session *ps = pub.latest ();
  fail_unless (ps && !ps->answer.empty ());
  /* Not asserted (Janus's choice, per room: transport_wide_cc_ext), reported. */
  gchar **lines = g_strsplit (ps->answer.c_str (), "\r\n", -1);
  for (gchar **l = lines; *l; l++)
    if (strstr (*l, "transport-cc") || strstr (*l, "transport-wide-cc"))
      g_print ("Janus's answer to our transport-cc offer: %s\n", *l);
  g_strfreev (lines);
  fail_unless (pub.ended.empty () && by_id.ended.empty () && by_name.ended.empty ());
  fail_unless (pub.error_log ().empty () && by_id.error_log ().empty ());

  by_id.stop ();
  by_name.stop ();
  pub.stop ();
  for (Peer *p : std::vector<Peer *>{&pub, &by_id, &by_name})
    fail_unless (p->stop_ms < 2500, "stop took %" G_GINT64_FORMAT " ms", p->stop_ms);
  fail_unless_equals_int (pub.property_u64 ("janus-session-id"), 0);
  g_usleep (300000);
  fail_unless_equals_int (pub.after_stop + by_id.after_stop + by_name.after_stop, 0);
}
GST_END_TEST;

/* Following every publisher: a second one brings a second session, its
 * leaving ends that session only. */
GST_START_TEST (test_follow_all)
{
  TestJanus janus;
  start_janus (janus);
  JanusSubscriber sub (janus.url ());
  sub.start ();
  fail_unless (sub.wait ([&] { return sub.states_named ("waiting") >= 1; }, 20000), "%s",
               sub.state_log ().c_str ());
  JanusPublisher first (janus.url (), "first");
  first.start ();
  fail_unless (decodes (sub, 10, 30000), "%s", sub.state_log ().c_str ());
  fail_unless_equals_int (sub.requested.size (), 1);
  std::string first_id = sub.requested[0];

  auto second = std::make_unique<JanusPublisher> (janus.url (), "second");
  second->start ();
  fail_unless (sub.wait ([&] { return sub.requested.size () == 2; }, 30000), "%s",
               sub.state_log ().c_str ());
  fail_unless (sub.peers[1].find ("(second)") != std::string::npos, "%s", sub.peers[1].c_str ());
  std::string second_id = sub.requested[1];
  fail_unless (decodes (sub, 10, 30000), "%s", sub.state_log ().c_str ());

  second.reset (); /* stops: Janus tells the room it left */
  fail_unless (sub.wait ([&] { return sub.ended.size () == 1; }, 20000), "%s",
               sub.state_log ().c_str ());
  fail_unless (sub.ended[0] == second_id);
  Session *s = sub.session (first_id);
  fail_unless (s != nullptr);
  guint before = s->counts->video;
  fail_unless (sub.wait ([&] { return s->counts->video > before + 10; }, 10000),
               "the first feed stopped too");
  fail_unless_equals_int (sub.requested.size (), 2);
  fail_unless (sub.error_log ().empty ());
}
GST_END_TEST;

/* Janus crashes and comes back: every session ends, the signallers retry,
 * the publisher publishes again (same feed id) and the subscriber decodes
 * again. */
GST_START_TEST (test_janus_restart)
{
  TestJanus janus;
  start_janus (janus);
  JanusPublisher pub (janus.url (), "phoenix");
  pub.start ();
  fail_unless (pub.wait ([&] { return pub.property_u64 ("publisher-id") != 0; }, 20000));
  guint64 feed = pub.property_u64 ("publisher-id");
  JanusSubscriber sub (janus.url ());
  g_object_set (sub.object (), "feed", feed, nullptr);
  sub.start ();
  fail_unless (decodes (sub, 30, 30000), "%s", sub.state_log ().c_str ());

  janus.kill ();
  fail_unless (
      pub.wait ([&] { return !pub.ended.empty () && pub.states_named ("retrying") > 0; }, 20000),
      "%s", pub.state_log ().c_str ());
  fail_unless (sub.wait ([&] { return !sub.ended.empty (); }, 20000), "%s",
               sub.state_log ().c_str ());
  fail_unless (pub.ended[0] == pub.requested[0]);
  g_usleep (500000);
  fail_unless (janus.start (), "Janus did not start again");

  fail_unless (pub.wait ([&] { return pub.requested.size () >= 2; }, 30000), "%s",
               pub.state_log ().c_str ());
  fail_unless (decodes (sub, 30, 40000), "%s\npublisher:\n%s", sub.state_log ().c_str (),
               pub.state_log ().c_str ());
  fail_unless (sub.requested.size () >= 2);
  fail_unless_equals_int (pub.property_u64 ("publisher-id"), feed);
  fail_unless (pub.error_log ().empty () && sub.error_log ().empty ());
}
GST_END_TEST;

/* What retrying cannot fix is an error with what to change. */
GST_START_TEST (test_fatal_errors)
{
  TestJanus janus;
  start_janus (janus);
  JanusPublisher missing (janus.url (), "nobody");
  g_object_set (missing.object (), "room", (guint64)999999, nullptr);
  missing.start ();
  fail_unless (missing.wait ([&] { return !missing.error_log ().empty (); }, 20000), "%s",
               missing.state_log ().c_str ());
  std::string message = missing.error_log ()[0];
  g_print ("no such room: %s\n", message.c_str ());
  fail_unless (message.find ("999999") != std::string::npos &&
                   message.find ("does not exist") != std::string::npos &&
                   message.find ("create-room") != std::string::npos,
               "%s", message.c_str ());
  fail_unless (missing.requested.empty ());
  fail_unless_equals_int (missing.states_named ("failed"), 1);

  JanusSubscriber wrong_pin (janus.url ());
  g_object_set (wrong_pin.object (), "room", (guint64)4321, "room-pin", "wrong-pin", nullptr);
  wrong_pin.start ();
  fail_unless (wrong_pin.wait ([&] { return !wrong_pin.error_log ().empty (); }, 20000));
  message = wrong_pin.error_log ()[0];
  fail_unless (message.find ("room-pin") != std::string::npos, "%s", message.c_str ());

  JanusSubscriber right_pin (janus.url ());
  g_object_set (right_pin.object (), "room", (guint64)4321, "room-pin", "right-pin", nullptr);
  right_pin.start ();
  fail_unless (right_pin.wait ([&] { return right_pin.states_named ("waiting") > 0; }, 20000), "%s",
               right_pin.state_log ().c_str ());

  JanusPublisher creator (janus.url (), "creator");
  g_object_set (creator.object (), "room", (guint64)777001, "create-room", TRUE, nullptr);
  creator.start ();
  fail_unless (creator.wait ([&] { return creator.requested.size () == 1; }, 20000), "%s",
               creator.state_log ().c_str ());
  fail_unless (creator.error_log ().empty () && right_pin.error_log ().empty ());
  /* A Janus with an API secret. */
  TestJanus guarded;
  guarded.args = {"--apisecret=open-sesame"};
  start_janus (guarded);
  JanusSubscriber no_secret (guarded.url ());
  no_secret.start ();
  fail_unless (no_secret.wait ([&] { return !no_secret.error_log ().empty (); }, 20000), "%s",
               no_secret.state_log ().c_str ());
  message = no_secret.error_log ()[0];
  fail_unless (message.find ("api-secret") != std::string::npos, "%s", message.c_str ());
  JanusSubscriber with_secret (guarded.url ());
  g_object_set (with_secret.object (), "api-secret", "open-sesame", nullptr);
  with_secret.start ();
  fail_unless (with_secret.wait ([&] { return with_secret.states_named ("waiting") > 0; }, 20000),
               "%s", with_secret.state_log ().c_str ());
  fail_unless (with_secret.error_log ().empty ());

  /* After an error nothing more is tried. */
  g_usleep (500000);
  missing.pump ();
  fail_unless_equals_int (missing.error_log ().size (), 1);
  fail_unless_equals_int (missing.states_named ("connecting"), 1);
}
GST_END_TEST;

namespace {

/* A fake "Janus" on its own thread: every answer is wrong in some way. */
class FakeJanus {
public:
  enum Mode { BAD_JSON, WRONG_FIELDS, BAD_EVENTS, NO_PLUGIN };

  explicit FakeJanus (Mode mode) : mode_ (mode)
  {
    thread_ = g_thread_new ("fake-janus", run, this);
    std::unique_lock<std::mutex> l (lock_);
    while (!port_)
      ready_.wait (l);
  }
  ~FakeJanus ()
  {
    g_main_loop_quit (loop_);
    g_thread_join (thread_);
  }
  std::string url () const { return "http://127.0.0.1:" + std::to_string (port_) + "/janus"; }
  std::atomic<guint> requests{0}, polls{0};

private:
  static gpointer run (gpointer data)
  {
    auto self = static_cast<FakeJanus *> (data);
    GMainContext *ctx = g_main_context_new ();
    g_main_context_push_thread_default (ctx);
    self->loop_ = g_main_loop_new (ctx, FALSE);
    SoupServer *server = soup_server_new (nullptr, nullptr);
    soup_server_add_handler (server, "/janus", handle, self, nullptr);
    fail_unless (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, nullptr));
    GSList *uris = soup_server_get_uris (server);
    {
      std::lock_guard<std::mutex> g (self->lock_);
      self->port_ = g_uri_get_port ((GUri *)uris->data);
      self->ready_.notify_one ();
    }
    g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
    g_main_loop_run (self->loop_);
    soup_server_disconnect (server);
    g_object_unref (server);
    g_main_loop_unref (self->loop_);
    g_main_context_pop_thread_default (ctx);
    g_main_context_unref (ctx);
    return nullptr;
  }
  static void reply (SoupServerMessage *msg, const std::string &text, guint status = 200)
  {
    soup_server_message_set_status (msg, status, nullptr);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text.data (),
                                      text.size ());
  }
  static void handle (SoupServer *, SoupServerMessage *msg, const char *, GHashTable *,
                      gpointer data)
  {
    auto self = static_cast<FakeJanus *> (data);
    if (g_str_equal (soup_server_message_get_method (msg), "GET")) {
      guint n = self->polls++;
      if (self->mode_ != BAD_EVENTS) {
        reply (msg, "{\"janus\":\"keepalive\"}");
      } else if (n % 3 == 0) {
        /* Valid JSON, wrong everything. */
        reply (msg, "[42,\"x\",null,{\"janus\":7},{\"janus\":\"event\",\"sender\":22,"
                    "\"plugindata\":{\"data\":{\"videoroom\":\"joined\",\"id\":\"nan\","
                    "\"publishers\":\"no\",\"unpublished\":-5}}},{\"janus\":\"trickle\","
                    "\"sender\":22,\"candidate\":{\"candidate\":5}},{\"janus\":\"hangup\"},"
                    "{\"janus\":\"event\"},{\"janus\":\"webrtcup\",\"sender\":\"22\"}]");
      } else if (n % 3 == 1) {
        reply (msg, "[{\"janus\":\"event\",\"sender\":22,\"plugindata\":{");
      } else {
        reply (msg, "[" + std::string (2 * 1024 * 1024, ' ') + "]");
      }
      return;
    }
    self->requests++;
    SoupMessageBody *body = soup_server_message_get_request_body (msg);
    std::string kind, transaction;
    JsonParser *parser = json_parser_new ();
    if (json_parser_load_from_data (parser, body->data, body->length, nullptr)) {
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      kind = json_object_get_string_member_with_default (o, "janus", "");
      transaction = json_object_get_string_member_with_default (o, "transaction", "");
    }
    g_object_unref (parser);
    std::string tx = "\"transaction\":\"" + transaction + "\"";
    switch (self->mode_) {
    case BAD_JSON:
      reply (msg, "{\"janus\": \"success\", " + tx + ", \"data\": {\"id\": ");
      break;
    case WRONG_FIELDS: {
      static const char *const wrong[] = {"\"data\":{\"id\":\"11\"}", "\"data\":{\"id\":-1}",
                                          "\"data\":[1,2]", "\"nodata\":1"};
      guint n = self->requests % 5;
      if (n == 4)
        reply (msg, "<html>Internal error</html>", 500);
      else
        reply (msg, "{\"janus\":\"success\"," + tx + "," + wrong[n] + "}");
      break;
    }
    case BAD_EVENTS:
    case NO_PLUGIN:
      if (kind == "create")
        reply (msg, "{\"janus\":\"success\"," + tx + ",\"data\":{\"id\":11}}");
      else if (kind == "attach" && self->mode_ == NO_PLUGIN)
        reply (msg, "{\"janus\":\"error\"," + tx +
                        ",\"error\":{\"code\":460,\"reason\":\"No such plugin "
                        "'janus.plugin.videoroom'\"}}");
      else if (kind == "attach")
        reply (msg, "{\"janus\":\"success\"," + tx + ",\"data\":{\"id\":22}}");
      else if (kind == "destroy")
        reply (msg, "{\"janus\":\"success\"," + tx + "}");
      else
        reply (msg, "{\"janus\":\"ack\"," + tx + "}");
      break;
    }
  }

  Mode mode_;
  GThread *thread_ = nullptr;
  GMainLoop *loop_ = nullptr;
  std::mutex lock_;
  std::condition_variable ready_;
  guint port_ = 0;
};

} // namespace

/* A "Janus" that talks nonsense: no crash, retries with the reason, no
 * session; a missing VideoRoom plugin is an error. */
GST_START_TEST (test_garbage_from_janus)
{
  struct Case {
    FakeJanus::Mode mode;
    const char *detail; /* a "retrying" detail must contain it */
  };
  for (Case c :
       {Case{FakeJanus::BAD_JSON, "malformed JSON"}, Case{FakeJanus::WRONG_FIELDS, "no session id"},
        Case{FakeJanus::BAD_EVENTS, "larger than"}}) {
    FakeJanus fake (c.mode);
    JanusPublisher pub (fake.url (), "victim");
    g_object_set (pub.object (), "retry-delay-min", 50, "retry-delay-max", 200, nullptr);
    pub.start ();
    fail_unless (pub.wait ([&] { return pub.states_named ("retrying") >= 4; }, 20000), "%s",
                 pub.state_log ().c_str ());
    fail_unless (pub.states_named ("retrying", c.detail) > 0, "no '%s' in:\n%s", c.detail,
                 pub.state_log ().c_str ());
    if (c.mode == FakeJanus::BAD_EVENTS)
      fail_unless (pub.states_named ("retrying", "malformed JSON") > 0, "%s",
                   pub.state_log ().c_str ());
    fail_unless (pub.requested.empty ());
    fail_unless (pub.error_log ().empty ());
    pub.stop ();
    fail_unless (pub.stop_ms < 2500);
  }
  FakeJanus fake (FakeJanus::NO_PLUGIN);
  JanusSubscriber sub (fake.url ());
  sub.start ();
  fail_unless (sub.wait ([&] { return !sub.error_log ().empty (); }, 20000), "%s",
               sub.state_log ().c_str ());
  fail_unless (sub.error_log ()[0].find ("janus.plugin.videoroom") != std::string::npos, "%s",
               sub.error_log ()[0].c_str ());
  fail_unless (sub.requested.empty ());
}
GST_END_TEST;

static Suite *janus_signaller_suite (void)
{
  Suite *s = suite_create ("janus_signaller");
  TCase *tc = tcase_create ("janus");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_publish_and_subscribe);
  tcase_add_test (tc, test_follow_all);
  tcase_add_test (tc, test_janus_restart);
  tcase_add_test (tc, test_fatal_errors);
  tcase_add_test (tc, test_garbage_from_janus);
  return s;
}

int main (int argc, char **argv)
{
#ifdef RTC_TEST_HAVE_LIBCRYPTO
  /* Each test runs in a forked child that exit()s: OpenSSL's exit handler
   * (OPENSSL_cleanup) then races with pool threads that used DTLS and are
   * ending, and crashed there about once in 40 tests. */
  OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, nullptr);
#endif
  gst_check_init (&argc, &argv);
  TestJanus janus;
  if (!janus.available ()) {
    g_print ("SKIP: Janus is not installed (Debian package janus)\n");
    return 77;
  }
  return gst_check_run_suite (janus_signaller_suite (), "janus_signaller", __FILE__);
}

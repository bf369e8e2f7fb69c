/* Signalling that applications plug in: both elements with signallers other
 * than the HTTP ones, in both roles, in one process.
 *
 *  - the loopback signaller of the public library (publish offers,
 *    subscribe answers, and the other way round), video, audio and a data
 *    channel whose messages carry the GstRtcDataMeta; one offerer and any
 *    number of answerers on a channel;
 *  - custom signallers written here, as an application would: an answerer
 *    ("server") and an offerer ("client"), one pair asking for complete
 *    descriptions and one trickling, delivering through a thread of their
 *    own like a network: the four element/role combinations stream;
 *  - bad input from a custom signaller (a malformed offer, a candidate for
 *    an unknown session, a description in the wrong state, a session asked
 *    for twice): a warning on the bus, nothing crashes, the live session
 *    goes on;
 *  - the default signaller as the elements' child: signaller::port=0,
 *    signaller::whep-url, forwarded properties. */
#include <gst/check/gstcheck.h>
#include <gst/rtcbridge/rtcbridge.h>
#include <atomic>
#include <mutex>
#include <set>
#include <string>

#include "rtctestutil.h"

/* ---- a custom signaller, as an application writes one -------------------- */

#define TEST_TYPE_SIGNALLER (test_signaller_get_type ())
G_DECLARE_FINAL_TYPE (TestSignaller, test_signaller, TEST, SIGNALLER, GObject)

/* C++ state lives in a private struct: GLib does not run constructors. */
struct TestSignallerState {
  GstRtcSignallerRole role = GST_RTC_SIGNALLER_ROLE_ANSWERER;
  bool trickle = false;
  TestSignaller *peer = nullptr; /* not owned; set by test_signaller_pair () */
  GThreadPool *wire = nullptr;   /* one thread: delivers in order, like a connection */
  std::atomic<bool> started{false};
  /* what the element did */
  std::mutex lock;
  std::set<std::string> rejected; /* "id:code" */
  std::atomic<int> descriptions{0}, descriptions_with_candidates{0}, candidates_sent{0};
  std::atomic<int> serial{0};
};

struct _TestSignaller {
  GObject parent;
  TestSignallerState *st;
};

static void test_signaller_iface_init (GstRtcSignallerInterface *iface);
G_DEFINE_TYPE_WITH_CODE (TestSignaller, test_signaller, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER, test_signaller_iface_init));

/* Something to do on the wire thread: emit on @target. */
struct Delivery {
  TestSignaller *target; /* a reference */
  std::function<void (TestSignaller *)> fn;
};

static void deliver (gpointer data, gpointer)
{
  auto d = static_cast<Delivery *> (data);
  if (d->target->st->started)
    d->fn (d->target);
  g_object_unref (d->target);
  delete d;
}

/* Runs @fn for the peer on @self's wire thread (a network hop). */
static void send_to_peer (TestSignaller *self, std::function<void (TestSignaller *)> fn)
{
  if (!self->st->peer)
    return;
  g_thread_pool_push (self->st->wire,
                      new Delivery{TEST_SIGNALLER (g_object_ref (self->st->peer)), std::move (fn)},
                      nullptr);
}

static void request_session (TestSignaller *offerer)
{
  std::string id = "test-" + std::to_string (++offerer->st->serial);
  g_signal_emit_by_name (offerer, "session-requested", id.c_str (), "test peer", nullptr);
}

static gboolean ts_start (GstRtcSignaller *s, GError **)
{
  auto self = TEST_SIGNALLER (s);
  self->st->started = true;
  /* The offerer asks its element for a session once both ends run. */
  TestSignaller *offerer = self->st->role == GST_RTC_SIGNALLER_ROLE_OFFERER ? self : self->st->peer;
  if (offerer && offerer->st->started && offerer->st->peer && offerer->st->peer->st->started)
    g_thread_pool_push (offerer->st->wire,
                        new Delivery{TEST_SIGNALLER (g_object_ref (offerer)), request_session},
                        nullptr);
  return TRUE;
}

static void ts_stop (GstRtcSignaller *s)
{
  TEST_SIGNALLER (s)->st->started = false;
}

static GstRtcSignallerRole ts_get_role (GstRtcSignaller *s)
{
  return TEST_SIGNALLER (s)->st->role;
}

static gboolean ts_get_trickle (GstRtcSignaller *s)
{
  return TEST_SIGNALLER (s)->st->trickle;
}

static void ts_send_description (GstRtcSignaller *s, const gchar *session_id,
                                 GstWebRTCSessionDescription *desc)
{
  auto self = TEST_SIGNALLER (s);
  self->st->descriptions++;
  gchar *text = gst_sdp_message_as_text (desc->sdp);
  if (strstr (text, "a=candidate:"))
    self->st->descriptions_with_candidates++;
  g_free (text);
  std::string id = session_id;
  GstWebRTCSessionDescription *copy = gst_webrtc_session_description_copy (desc);
  send_to_peer (self, [id, copy] (TestSignaller *peer) {
    if (copy->type == GST_WEBRTC_SDP_TYPE_OFFER)
      g_signal_emit_by_name (peer, "session-requested", id.c_str (), "test peer", copy);
    else
      g_signal_emit_by_name (peer, "session-description", id.c_str (), copy);
    gst_webrtc_session_description_free (copy);
  });
}

static void ts_send_ice_candidate (GstRtcSignaller *s, const gchar *session_id, guint mline,
                                   const gchar *candidate)
{
  auto self = TEST_SIGNALLER (s);
  if (!candidate)
    return;
  self->st->candidates_sent++;
  std::string id = session_id, cand = candidate;
  send_to_peer (self, [id, mline, cand] (TestSignaller *peer) {
    g_signal_emit_by_name (peer, "ice-candidate", id.c_str (), mline, cand.c_str ());
  });
}

static void ts_reject_session (GstRtcSignaller *s, const gchar *session_id, const GError *error)
{
  auto self = TEST_SIGNALLER (s);
  {
    std::lock_guard<std::mutex> g (self->st->lock);
    self->st->rejected.insert (std::string (session_id) + ":" +
                               std::to_string (error ? error->code : -1));
  }
  std::string id = session_id;
  send_to_peer (self, [id] (TestSignaller *peer) {
    g_signal_emit_by_name (peer, "session-ended", id.c_str ());
  });
}

static void ts_end_session (GstRtcSignaller *s, const gchar *session_id)
{
  auto self = TEST_SIGNALLER (s);
  std::string id = session_id;
  send_to_peer (self, [id] (TestSignaller *peer) {
    g_signal_emit_by_name (peer, "session-ended", id.c_str ());
  });
}

static void test_signaller_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = ts_start;
  iface->stop = ts_stop;
  iface->get_role = ts_get_role;
  iface->get_trickle = ts_get_trickle;
  iface->send_description = ts_send_description;
  iface->send_ice_candidate = ts_send_ice_candidate;
  iface->reject_session = ts_reject_session;
  iface->end_session = ts_end_session;
}

static void test_signaller_finalize (GObject *object)
{
  auto self = TEST_SIGNALLER (object);
  g_thread_pool_free (self->st->wire, FALSE, TRUE);
  delete self->st;
  G_OBJECT_CLASS (test_signaller_parent_class)->finalize (object);
}

static void test_signaller_class_init (TestSignallerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_signaller_finalize;
}

static void test_signaller_init (TestSignaller *self)
{
  self->st = new TestSignallerState ();
  self->st->wire = g_thread_pool_new (deliver, nullptr, 1, FALSE, nullptr);
}

/* Two signallers that talk to each other; @answerer's element answers. */
static void test_signaller_pair (gboolean trickle, TestSignaller **answerer,
                                 TestSignaller **offerer)
{
  *answerer = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  *offerer = TEST_SIGNALLER (g_object_new (TEST_TYPE_SIGNALLER, nullptr));
  (*answerer)->st->role = GST_RTC_SIGNALLER_ROLE_ANSWERER;
  (*offerer)->st->role = GST_RTC_SIGNALLER_ROLE_OFFERER;
  (*answerer)->st->trickle = (*offerer)->st->trickle = trickle;
  (*answerer)->st->peer = *offerer;
  (*offerer)->st->peer = *answerer;
}

static bool was_rejected (TestSignaller *s, const std::string &id_code)
{
  std::lock_guard<std::mutex> g (s->st->lock);
  return s->st->rejected.count (id_code) > 0;
}

/* ---- pipelines ---------------------------------------------------------- */

static std::string pub_launch (const std::string &properties = "")
{
  return "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
         "webrtcpublish name=pub " +
         properties + " audiotestsrc is-live=true ! pub.";
}
static const std::string PUB = pub_launch ();
static const char *SUB = "webrtcsubscribe name=sub sub.video_0 ! fakesink name=vsink sync=false "
                         "sub.audio_0 ! fakesink name=asink sync=false";

static std::function<void (GstElement *)> use_signaller (gpointer signaller)
{
  return [signaller] (GstElement *e) {
    g_object_set (e, "signaller", signaller, nullptr);
  };
}

static guint count_warnings (TestPipeline &p, const char *text)
{
  p.find (GST_MESSAGE_WARNING); /* drains the bus */
  guint n = 0;
  for (GstMessage *m : p.kept) {
    if (GST_MESSAGE_TYPE (m) != GST_MESSAGE_WARNING)
      continue;
    GError *err = nullptr;
    gst_message_parse_warning (m, &err, nullptr);
    if (err && strstr (err->message, text))
      n++;
    g_clear_error (&err);
  }
  return n;
}

/* Streams from @pub_signaller's element to @sub_signaller's: ≥ 60 decoded
 * frames of 320x240 and audio. */
static void check_streams (gpointer pub_signaller, gpointer sub_signaller)
{
  TestPipeline sub (SUB, "sub", use_signaller (sub_signaller));
  BufferCounter video, audio;
  video.attach (sub.pipeline, "vsink");
  audio.attach (sub.pipeline, "asink");
  TestPipeline pub (PUB, "pub", use_signaller (pub_signaller));
  fail_unless (wait_until ([&] { return video.buffers >= 60 && audio.buffers >= 20; }, 30000),
               "video %u, audio %u buffers", video.buffers.load (), audio.buffers.load ());
  fail_unless_equals_int (video.width (), 320);
  fail_unless_equals_int (video.height (), 240);
  fail_unless (sub.find (GST_MESSAGE_ELEMENT, "webrtcsubscribe-publisher-connected") != nullptr);
  fail_unless (pub.find (GST_MESSAGE_ELEMENT, "webrtcpublish-viewer-added") != nullptr);
  fail_if (pub.find (GST_MESSAGE_ERROR) || sub.find (GST_MESSAGE_ERROR));
}

/* ---- the loopback signaller ---------------------------------------------- */

struct DataCollector {
  std::mutex lock;
  std::vector<std::string> texts, sessions, labels;
  static void on_handoff (GstElement *, GstBuffer *buf, GstPad *, gpointer data)
  {
    auto self = static_cast<DataCollector *> (data);
    GstRtcDataMeta *meta = gst_rtc_buffer_get_data_meta (buf);
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    std::lock_guard<std::mutex> g (self->lock);
    self->texts.emplace_back ((const char *)map.data, map.size);
    self->sessions.push_back (meta && meta->session_id ? meta->session_id : "");
    self->labels.push_back (meta && meta->label ? meta->label : "");
    gst_buffer_unmap (buf, &map);
  }
  size_t size ()
  {
    std::lock_guard<std::mutex> g (lock);
    return texts.size ();
  }
};

GST_START_TEST (test_loopback_publish_offers)
{
  GstRtcSignaller *offerer = gst_rtc_loopback_signaller_new ("a", GST_RTC_SIGNALLER_ROLE_OFFERER);
  GstRtcSignaller *answerer = gst_rtc_loopback_signaller_new ("a", GST_RTC_SIGNALLER_ROLE_ANSWERER);
  {
    TestPipeline sub (std::string (SUB) + " sub.data_recv_chat ! fakesink name=chat "
                                          "signal-handoffs=true sync=false",
                      "sub", use_signaller (answerer));
    DataCollector chat;
    GstElement *chat_sink = gst_bin_get_by_name (GST_BIN (sub.pipeline), "chat");
    g_signal_connect (chat_sink, "handoff", G_CALLBACK (DataCollector::on_handoff), &chat);
    BufferCounter video, audio;
    video.attach (sub.pipeline, "vsink");
    audio.attach (sub.pipeline, "asink");
    TestPipeline pub (pub_launch ("data-channels=chat"), "pub", use_signaller (offerer));
    fail_unless (wait_until ([&] { return video.buffers >= 60 && audio.buffers >= 20; }, 30000),
                 "video %u, audio %u buffers", video.buffers.load (), audio.buffers.load ());
    fail_unless_equals_int (video.width (), 320);
    /* The channel the offerer opened before its offer carries messages. */
    fail_unless (wait_until (
        [&] {
          gboolean ok = FALSE;
          g_signal_emit_by_name (pub.pub, "send-string", nullptr, "chat", "hello", &ok);
          return ok && chat.size () > 0;
        },
        15000));
    {
      std::lock_guard<std::mutex> g (chat.lock);
      fail_unless (chat.texts[0] == "hello", "%s", chat.texts[0].c_str ());
      fail_unless (chat.labels[0] == "chat");
      fail_unless (g_str_has_prefix (chat.sessions[0].c_str (), "loopback-a-"), "%s",
                   chat.sessions[0].c_str ());
    }
    fail_if (pub.find (GST_MESSAGE_ERROR) || sub.find (GST_MESSAGE_ERROR));
    gst_object_unref (chat_sink);
  }
  gst_object_unref (offerer);
  gst_object_unref (answerer);
}
GST_END_TEST;

GST_START_TEST (test_loopback_subscribe_offers_and_reconnects)
{
  GstRtcSignaller *offerer = gst_rtc_loopback_signaller_new ("b", GST_RTC_SIGNALLER_ROLE_OFFERER);
  GstRtcSignaller *answerer = gst_rtc_loopback_signaller_new ("b", GST_RTC_SIGNALLER_ROLE_ANSWERER);
  g_object_set (offerer, "retry-delay", 100u, nullptr);
  {
    TestPipeline sub (SUB, "sub", use_signaller (offerer));
    BufferCounter video;
    video.attach (sub.pipeline, "vsink");
    {
      TestPipeline pub (PUB, "pub", use_signaller (answerer));
      fail_unless (wait_until ([&] { return video.buffers >= 60; }, 30000), "video %u",
                   video.buffers.load ());
    }
    /* The publisher went away and comes back: a new session, the same pads. */
    guint before = video.buffers;
    TestPipeline pub (PUB, "pub", use_signaller (answerer));
    fail_unless (wait_until ([&] { return video.buffers >= before + 60; }, 30000), "video %u",
                 video.buffers.load ());
    fail_unless (sub.find (GST_MESSAGE_ELEMENT, "webrtcsubscribe-publisher-disconnected"));
    fail_if (pub.find (GST_MESSAGE_ERROR) || sub.find (GST_MESSAGE_ERROR));
  }
  gst_object_unref (offerer);
  gst_object_unref (answerer);
}
GST_END_TEST;

/* A channel has one offerer and any number of answerers. */
GST_START_TEST (test_loopback_channel_taken)
{
  GstRtcSignaller *one = gst_rtc_loopback_signaller_new ("c", GST_RTC_SIGNALLER_ROLE_OFFERER);
  GstRtcSignaller *two = gst_rtc_loopback_signaller_new ("c", GST_RTC_SIGNALLER_ROLE_OFFERER);
  GstRtcSignaller *a1 = gst_rtc_loopback_signaller_new ("c", GST_RTC_SIGNALLER_ROLE_ANSWERER);
  GstRtcSignaller *a2 = gst_rtc_loopback_signaller_new ("c", GST_RTC_SIGNALLER_ROLE_ANSWERER);
  fail_unless (gst_rtc_signaller_start (one, nullptr));
  GError *error = nullptr;
  fail_if (gst_rtc_signaller_start (two, &error));
  fail_unless (error && strstr (error->message, "already has an offerer"));
  g_clear_error (&error);
  fail_unless (gst_rtc_signaller_start (a1, nullptr));
  fail_unless (gst_rtc_signaller_start (a2, nullptr));
  gst_rtc_signaller_stop (one);
  fail_unless (gst_rtc_signaller_start (two, nullptr));
  for (GstRtcSignaller *s : {two, a1, a2})
    gst_rtc_signaller_stop (s);
  for (GstRtcSignaller *s : {one, two, a1, a2})
    gst_object_unref (s);
}
GST_END_TEST;

/* ---- custom signallers: four combinations ------------------------------- */

/* Publish answers, subscribe offers; complete descriptions (no trickle). */
GST_START_TEST (test_custom_publish_answers_subscribe_offers)
{
  TestSignaller *answerer, *offerer;
  test_signaller_pair (FALSE, &answerer, &offerer);
  check_streams (answerer, offerer);
  /* Each description waited for its candidates. */
  fail_unless (answerer->st->descriptions >= 1 && offerer->st->descriptions >= 1);
  fail_unless_equals_int (answerer->st->descriptions_with_candidates, answerer->st->descriptions);
  fail_unless_equals_int (offerer->st->descriptions_with_candidates, offerer->st->descriptions);
  g_object_unref (answerer);
  g_object_unref (offerer);
}
GST_END_TEST;

/* Publish offers, subscribe answers; trickled candidates. */
GST_START_TEST (test_custom_publish_offers_subscribe_answers)
{
  TestSignaller *answerer, *offerer;
  test_signaller_pair (TRUE, &answerer, &offerer);
  check_streams (offerer, answerer);
  /* Trickling: the descriptions went at once, the candidates after them. */
  fail_unless (offerer->st->candidates_sent > 0 && answerer->st->candidates_sent > 0);
  fail_unless_equals_int (offerer->st->descriptions_with_candidates, 0);
  g_object_unref (answerer);
  g_object_unref (offerer);
}
GST_END_TEST;

/* ---- bad input from a custom signaller ----------------------------------- */

static GstWebRTCSessionDescription *description (GstWebRTCSDPType type, const char *text)
{
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text (text, &sdp);
  return gst_webrtc_session_description_new (type, sdp);
}

GST_START_TEST (test_bad_input_from_a_signaller)
{
  TestSignaller *answerer, *offerer;
  test_signaller_pair (TRUE, &answerer, &offerer);
  {
    TestPipeline sub (SUB, "sub", use_signaller (offerer));
    BufferCounter video;
    video.attach (sub.pipeline, "vsink");
    TestPipeline pub (PUB, "pub", use_signaller (answerer));
    fail_unless (wait_until ([&] { return video.buffers >= 30; }, 30000));
    std::string live = "test-" + std::to_string (offerer->st->serial.load ());

    /* A malformed offer: refused as a bad request. */
    GstWebRTCSessionDescription *bad = description (GST_WEBRTC_SDP_TYPE_OFFER, "v=0\r\n");
    g_signal_emit_by_name (answerer, "session-requested", "bad-1", "nobody", bad);
    /* A candidate for a session nobody made. */
    g_signal_emit_by_name (answerer, "ice-candidate", "no-such-session", 0u,
                           "candidate:1 1 UDP 2122252543 10.0.0.1 5000 typ host");
    /* An answer for a session where the element answered (wrong state). */
    GstWebRTCSessionDescription *answer = description (
        GST_WEBRTC_SDP_TYPE_ANSWER, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
    g_signal_emit_by_name (answerer, "session-description", live.c_str (), answer);
    /* The live session asked for again. */
    g_signal_emit_by_name (answerer, "session-requested", live.c_str (), "nobody", bad);
    /* An answerer bringing no offer. */
    g_signal_emit_by_name (answerer, "session-requested", "bad-2", "nobody", nullptr);
    gst_webrtc_session_description_free (bad);
    gst_webrtc_session_description_free (answer);

    fail_unless (
        wait_until ([&] { return count_warnings (pub, "Bad input from the signaller") >= 5; },
                    10000),
        "%u warnings", count_warnings (pub, "Bad input from the signaller"));
    fail_unless (wait_until (
        [&] {
          return was_rejected (answerer,
                               "bad-1:" + std::to_string (GST_RTC_SIGNALLER_ERROR_BAD_REQUEST)) &&
                 was_rejected (answerer,
                               "bad-2:" + std::to_string (GST_RTC_SIGNALLER_ERROR_BAD_REQUEST));
        },
        5000));
    /* The live session goes on. */
    guint before = video.buffers;
    fail_unless (wait_until ([&] { return video.buffers >= before + 60; }, 20000));
    guint viewers = 0;
    g_object_get (pub.pub, "n-viewers", &viewers, nullptr);
    fail_unless_equals_int (viewers, 1);
    fail_if (pub.find (GST_MESSAGE_ERROR) || sub.find (GST_MESSAGE_ERROR));
  }
  g_object_unref (answerer);
  g_object_unref (offerer);
}
GST_END_TEST;

/* ---- the default signaller as the elements' child ----------------------- */

GST_START_TEST (test_default_signaller_child)
{
  /* signaller::port=0 from a launch line; the element reads the bound port. */
  TestPipeline pub ("videotestsrc is-live=true ! webrtcpublish name=pub signaller::port=0 "
                    "signaller::stream-name=cam");
  fail_unless (pub.port > 0 && pub.port != 8080, "port %u", pub.port);
  GstElement *signaller = nullptr;
  g_object_get (pub.pub, "signaller", &signaller, nullptr);
  fail_unless (signaller != nullptr);
  fail_unless_equals_int (gst_rtc_signaller_get_role (GST_RTC_SIGNALLER (signaller)),
                          GST_RTC_SIGNALLER_ROLE_ANSWERER);
  gchar *name = nullptr;
  g_object_get (pub.pub, "stream-name", &name, nullptr);
  fail_unless_equals_string (name, "cam");
  g_free (name);
  gst_object_unref (signaller);
  GstMessage *m = pub.find (GST_MESSAGE_ELEMENT, "webrtcpublish-listening");
  fail_unless (m != nullptr);
  fail_unless (strstr (gst_structure_get_string (gst_message_get_structure (m), "url"),
                       "/view/cam") != nullptr);

  /* An element property forwards to the default signaller. */
  GstElement *sub = gst_element_factory_make ("webrtcsubscribe", nullptr);
  g_object_set (sub, "whep-url", "http://127.0.0.1:1/whep/x", nullptr);
  GstChildProxy *proxy = GST_CHILD_PROXY (sub);
  GObject *child = gst_child_proxy_get_child_by_name (proxy, "signaller");
  fail_unless (child != nullptr);
  gchar *url = nullptr;
  g_object_get (child, "whep-url", &url, nullptr);
  fail_unless_equals_string (url, "http://127.0.0.1:1/whep/x");
  g_free (url);
  fail_unless_equals_int (gst_rtc_signaller_get_role (GST_RTC_SIGNALLER (child)),
                          GST_RTC_SIGNALLER_ROLE_OFFERER);
  /* And signaller::... reads back through the element. */
  gst_util_set_object_arg (G_OBJECT (child), "port", "9123");
  guint port = 0;
  g_object_get (sub, "port", &port, nullptr);
  fail_unless_equals_int (port, 9123);
  g_object_unref (child);
  /* whip-url does not fit an element that receives: a clear error. */
  g_object_set (sub, "whep-url", nullptr, nullptr);
  GObject *s2 = gst_child_proxy_get_child_by_name (proxy, "signaller");
  g_object_set (s2, "whip-url", "http://127.0.0.1:1/whip/x", nullptr);
  GError *error = nullptr;
  fail_if (gst_rtc_signaller_start (GST_RTC_SIGNALLER (s2), &error));
  fail_unless (error && strstr (error->message, "set whep-url instead"), "%s",
               error ? error->message : "no error");
  g_clear_error (&error);
  g_object_unref (s2);
  gst_object_unref (sub);
}
GST_END_TEST;

/* signaller-type picks a signaller from a launch line; an unknown type
 * fails the start with a message that says what fits. */
GST_START_TEST (test_signaller_type_from_a_launch_line)
{
  {
    std::string line = SUB;
    line.insert (strlen ("webrtcsubscribe name=sub "),
                 "signaller-type=GstRtcLoopbackSignaller signaller::channel=line "
                 "signaller::role=answerer ");
    TestPipeline sub (line, "sub");
    BufferCounter video;
    video.attach (sub.pipeline, "vsink");
    TestPipeline pub (pub_launch ("signaller-type=GstRtcLoopbackSignaller signaller::channel=line "
                                  "signaller::role=offerer"));
    fail_unless (wait_until ([&] { return video.buffers >= 30; }, 30000), "video %u",
                 video.buffers.load ());
    GObject *s = nullptr;
    g_object_get (pub.pub, "signaller", &s, nullptr);
    fail_unless (GST_IS_RTC_LOOPBACK_SIGNALLER (s));
    g_object_unref (s);
  }
  TestPipeline bad (pub_launch ("signaller-type=NoSuchSignaller"));
  GstMessage *m = bad.wait_message (GST_MESSAGE_ERROR);
  fail_unless (m != nullptr);
  GError *err = nullptr;
  gst_message_parse_error (m, &err, nullptr);
  fail_unless (strstr (err->message, "'NoSuchSignaller' is not a GstRtcSignaller type"), "%s",
               err->message);
  g_clear_error (&err);
}
GST_END_TEST;

static Suite *signallers_suite (void)
{
  Suite *s = suite_create ("signallers");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_default_signaller_child);
  tcase_add_test (tc, test_loopback_channel_taken);
  tcase_add_test (tc, test_signaller_type_from_a_launch_line);
  tcase_add_test (tc, test_loopback_publish_offers);
  tcase_add_test (tc, test_loopback_subscribe_offers_and_reconnects);
  tcase_add_test (tc, test_custom_publish_answers_subscribe_offers);
  tcase_add_test (tc, test_custom_publish_offers_subscribe_answers);
  tcase_add_test (tc, test_bad_input_from_a_signaller);
  return s;
}

GST_CHECK_MAIN (signallers);

/* Data channels pipeline <-> pipeline, in one process (inside the test
 * network namespace): data pads both ways on webrtcpublish (WHEP server)
 * and webrtcsubscribe (WHEP client), and on the WHIP direction; 10,000
 * ordered messages, a 20 MB transfer checked by SHA-256 with bounded
 * memory, per-session routing, a session leaving mid-transfer, oversized
 * and malformed messages, the channel policy, unreliable channels, pad
 * properties from a launch line. Remote control: webrtcdata_control. */
#include <gst/check/gstcheck.h>
#include <gst/video/navigation.h>

#include <atomic>
#include <gst/rtcbridge/gstrtcdatameta.h>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "rtctestdata.h"
#include "rtctestutil.h"

/* What reaches a fakesink named @name: messages (kept when small), the
 * SHA-256 of all bytes, the session ids of the GstRtcDataMeta. */
struct Collector {
  std::mutex lock;
  std::vector<std::string> messages;
  std::set<std::string> sessions;
  std::string caps;
  GChecksum *sha = g_checksum_new (G_CHECKSUM_SHA256);
  guint64 bytes = 0;
  guint count = 0;
  bool missing_meta = false;

  GstElement *sink = nullptr;

  /* Declared after the pipeline, it goes first: no handoff may reach it. */
  ~Collector ()
  {
    if (sink) {
      g_signal_handlers_disconnect_by_data (sink, this);
      gst_object_unref (sink);
    }
    g_checksum_free (sha);
  }
  void attach (GstElement *pipeline, const char *name)
  {
    sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
    fail_unless (sink != nullptr, "no element %s", name);
    g_object_set (sink, "signal-handoffs", TRUE, "sync", FALSE, nullptr);
    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), this);
  }
  static void on_handoff (GstElement *, GstBuffer *buf, GstPad *pad, gpointer data)
  {
    auto self = static_cast<Collector *> (data);
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    GstRtcDataMeta *meta = gst_rtc_buffer_get_data_meta (buf);
    std::lock_guard<std::mutex> g (self->lock);
    if (meta) {
      self->sessions.insert (meta->session_id ? meta->session_id : "");
    } else {
      self->missing_meta = true;
    }
    if (map.size <= 256)
      self->messages.emplace_back ((const char *)map.data, map.size);
    g_checksum_update (self->sha, map.data, map.size);
    self->bytes += map.size;
    self->count++;
    if (self->caps.empty ()) {
      GstCaps *caps = gst_pad_get_current_caps (pad);
      if (caps) {
        self->caps = gst_structure_get_name (gst_caps_get_structure (caps, 0));
        gst_caps_unref (caps);
      }
    }
    gst_buffer_unmap (buf, &map);
  }
  guint n ()
  {
    std::lock_guard<std::mutex> g (lock);
    return count;
  }
  guint64 total ()
  {
    std::lock_guard<std::mutex> g (lock);
    return bytes;
  }
  std::string digest ()
  {
    std::lock_guard<std::mutex> g (lock);
    GChecksum *copy = g_checksum_copy (sha);
    std::string out = g_checksum_get_string (copy);
    g_checksum_free (copy);
    return out;
  }
};

static void push (GstElement *pipeline, const char *appsrc, const void *data, gsize size)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), appsrc);
  fail_unless (src != nullptr);
  GstBuffer *buf = gst_buffer_new_memdup (data, size);
  GstFlowReturn ret;
  g_signal_emit_by_name (src, "push-buffer", buf, &ret);
  gst_buffer_unref (buf);
  gst_object_unref (src);
}

static void push_text (GstElement *pipeline, const char *appsrc, const std::string &text)
{
  push (pipeline, appsrc, text.data (), text.size ());
}

static void end_stream (GstElement *pipeline, const char *appsrc)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), appsrc);
  GstFlowReturn ret;
  g_signal_emit_by_name (src, "end-of-stream", &ret);
  gst_object_unref (src);
}

static guint64 pad_counter (GstElement *element, const char *pad_name, const char *property)
{
  GstPad *pad = gst_element_get_static_pad (element, pad_name);
  fail_unless (pad != nullptr, "no pad %s", pad_name);
  guint64 v = 0;
  g_object_get (pad, property, &v, nullptr);
  gst_object_unref (pad);
  return v;
}

#define VIDEO "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
#define TEXT_SRC(name) "appsrc name=" name " is-live=true format=time caps=text/x-raw,format=utf8 "
#define BIN_SRC(name)                                                                              \
  "appsrc name=" name " is-live=true format=time caps=application/octet-stream block=true "        \
  "max-bytes=65536 "

GST_START_TEST (test_pads_both_ways_in_order)
{
  Collector sub_in;
  Collector pub_in;
  ChannelLog pub_log;
  TestPipeline pub (
      VIDEO "webrtcpublish name=pub port=0 " TEXT_SRC (
          "chat_out") "! pub.data_send_chat pub.data_recv_chat ! fakesink name=chat_in",
      "pub");
  fail_unless (pub.wait_caps ());
  pub_log.attach (pub.pub);
  pub_in.attach (pub.pipeline, "chat_in");
  TestPipeline sub (whep_subscriber (pub, "",
                                     TEXT_SRC ("up") "! sub.data_send_chat "
                                                     "sub.data_recv_chat ! fakesink name=down"),
                    "sub");
  sub_in.attach (sub.pipeline, "down");
  fail_unless (wait_opened (pub_log, "chat"), "chat never opened");
  /* One channel per label: the client opened it, the server did not add
   * its own after the grace period. */
  g_usleep (1500 * 1000);
  fail_unless_equals_int (pub_log.sessions ("chat").size (), 1);
  std::string session = pub_log.sessions ("chat")[0];

  const guint N = 10000;
  for (guint i = 0; i < N; i++) {
    push_text (pub.pipeline, "chat_out", "down-" + std::to_string (i));
    push_text (sub.pipeline, "up", "up-" + std::to_string (i));
  }
  fail_unless (wait_until ([&] { return sub_in.n () >= N && pub_in.n () >= N; }, 60000),
               "received %u and %u of %u", sub_in.n (), pub_in.n (), N);
  for (guint i = 0; i < N; i++) {
    fail_unless (sub_in.messages[i] == "down-" + std::to_string (i), "down %u is %s", i,
                 sub_in.messages[i].c_str ());
    fail_unless (pub_in.messages[i] == "up-" + std::to_string (i), "up %u is %s", i,
                 pub_in.messages[i].c_str ());
  }
  /* The publisher tells its viewers apart by the meta; the text came as
   * text. */
  fail_unless (!pub_in.missing_meta);
  fail_unless_equals_int (pub_in.sessions.size (), 1);
  fail_unless (*pub_in.sessions.begin () == session);
  fail_unless_equals_uint64 (pad_counter (pub.pub, "data_send_chat", "messages-sent"), N);
  fail_unless_equals_uint64 (pad_counter (pub.pub, "data_recv_chat", "messages-received"), N);
  fail_unless_equals_uint64 (pad_counter (pub.pub, "data_send_chat", "messages-dropped"), 0);
  fail_unless (pub.find (GST_MESSAGE_ERROR) == nullptr);
  fail_unless (pub.find (GST_MESSAGE_ELEMENT, "webrtcpublish-data-channel-opened") != nullptr);
}
GST_END_TEST;

GST_START_TEST (test_large_transfer_with_backpressure)
{
  Collector got;
  ChannelLog pub_log;
  TestPipeline pub (VIDEO "webrtcpublish name=pub port=0 " BIN_SRC ("file") "! pub.data_send_file",
                    "pub");
  fail_unless (pub.wait_caps ());
  pub_log.attach (pub.pub);
  TestPipeline sub (whep_subscriber (pub, "", "sub.data_recv_file ! fakesink name=file_in"), "sub");
  got.attach (sub.pipeline, "file_in");
  fail_unless (wait_opened (pub_log, "file"));

  /* 20 MB in 16 KiB messages, pushed as fast as the pad takes them. */
  const gsize CHUNK = 16384, TOTAL = 20 * 1024 * 1024;
  std::vector<guint8> chunk (CHUNK);
  GChecksum *sha = g_checksum_new (G_CHECKSUM_SHA256);
  long rss_before = rss_kb (), rss_peak = rss_before;
  for (gsize sent = 0, i = 0; sent < TOTAL; sent += CHUNK, i++) {
    for (gsize j = 0; j < CHUNK; j++)
      chunk[j] = (guint8)(i * 31 + j);
    g_checksum_update (sha, chunk.data (), CHUNK);
    push (pub.pipeline, "file", chunk.data (), CHUNK);
    if (i % 64 == 0)
      rss_peak = std::max (rss_peak, rss_kb ());
  }
  /* EOS: the element ends the session only after the channel delivered. */
  end_stream (pub.pipeline, "file");
  gst_element_send_event (pub.pipeline, gst_event_new_eos ());
  fail_unless (pub.wait_message (GST_MESSAGE_EOS, nullptr, 60000) != nullptr, "no EOS");
  fail_unless (wait_until ([&] { return got.total () >= TOTAL; }, 10000), "got %" G_GUINT64_FORMAT,
               got.total ());
  fail_unless_equals_uint64 (got.total (), TOTAL);
  fail_unless (got.digest () == g_checksum_get_string (sha), "SHA-256 differs");
  fail_unless_equals_uint64 (pad_counter (pub.pub, "data_send_file", "messages-dropped"), 0);
  fail_unless_equals_string (got.caps.c_str (), "application/octet-stream");
  g_checksum_free (sha);
  /* Back-pressure kept the queue bounded: pushing 20 MB did not grow the
   * process by anything like 20 MB (max-buffered-bytes is 1 MiB). */
  if (!g_getenv ("RTC_SANITIZED")) /* ASan keeps freed memory in quarantine */
    fail_unless (rss_peak - rss_before < 12 * 1024, "RSS grew %ld kB", rss_peak - rss_before);
}
GST_END_TEST;

GST_START_TEST (test_routing_and_a_session_leaving)
{
  Collector a_in, b_in;
  ChannelLog a_log, b_log;
  ChannelLog pub_log;
  TestPipeline pub (VIDEO "webrtcpublish name=pub port=0 data-channels=chat " BIN_SRC (
                        "bulk") "! pub.data_send_bulk",
                    "pub");
  fail_unless (pub.wait_caps ());
  pub_log.attach (pub.pub);
  auto a = std::make_unique<TestPipeline> (
      whep_subscriber (pub, "data-channels=chat", "sub.data_recv_bulk ! fakesink name=bulk_in"),
      "sub");
  auto b = std::make_unique<TestPipeline> (
      whep_subscriber (pub, "data-channels=chat", "sub.data_recv_bulk ! fakesink name=bulk_in"),
      "sub");
  a_log.attach (a->pub);
  b_log.attach (b->pub);
  a_in.attach (a->pipeline, "bulk_in");
  b_in.attach (b->pipeline, "bulk_in");
  fail_unless (wait_opened (pub_log, "chat", 2) && wait_opened (pub_log, "bulk", 2));
  fail_unless (wait_channel (*a, "opened", "chat") && wait_channel (*b, "opened", "chat"));

  /* The application tells viewers apart: which session is a? */
  gboolean ok = FALSE;
  g_signal_emit_by_name (a->pub, "send-string", NULL, "chat", "i am a", &ok);
  fail_unless (ok);
  fail_unless (wait_until ([&] { return pub_log.strings.size () >= 1; }, 10000));
  std::string a_id = pub_log.strings[0].first;
  std::string b_id;
  for (auto &s : pub_log.sessions ("chat"))
    if (s != a_id)
      b_id = s;
  fail_unless (!b_id.empty ());

  g_signal_emit_by_name (pub.pub, "send-string", a_id.c_str (), "chat", "only a", &ok);
  fail_unless (ok);
  g_signal_emit_by_name (pub.pub, "send-string", NULL, "chat", "everyone", &ok);
  fail_unless (ok);
  fail_unless (wait_until (
      [&] { return a_log.has_string ("chat:everyone") && b_log.has_string ("chat:everyone"); },
      10000));
  fail_unless (a_log.has_string ("chat:only a"));
  fail_unless (!b_log.has_string ("chat:only a"));
  /* A session that does not exist takes nothing. */
  g_signal_emit_by_name (pub.pub, "send-string", "no-such-session", "chat", "x", &ok);
  fail_unless (!ok);

  /* Bulk to both; b leaves half way: a gets every byte. */
  const gsize CHUNK = 16384, TOTAL = 8 * 1024 * 1024;
  std::vector<guint8> chunk (CHUNK);
  GChecksum *sha = g_checksum_new (G_CHECKSUM_SHA256);
  for (gsize sent = 0, i = 0; sent < TOTAL; sent += CHUNK, i++) {
    for (gsize j = 0; j < CHUNK; j++)
      chunk[j] = (guint8)(i + j * 7);
    g_checksum_update (sha, chunk.data (), CHUNK);
    push (pub.pipeline, "bulk", chunk.data (), CHUNK);
    if (sent == TOTAL / 2)
      b.reset ();
  }
  fail_unless (wait_until ([&] { return a_in.total () >= TOTAL; }, 60000),
               "a got %" G_GUINT64_FORMAT, a_in.total ());
  fail_unless (a_in.digest () == g_checksum_get_string (sha));
  g_checksum_free (sha);
  fail_unless (wait_until ([&] { return pub.viewers () == 1; }, 35000));
  fail_unless (pub_log.n_closed ("bulk") >= 1);
  fail_unless (pub.find (GST_MESSAGE_ERROR) == nullptr);
}
GST_END_TEST;

GST_START_TEST (test_oversized_and_invalid_messages)
{
  Collector big_in, text_in;
  ChannelLog pub_log;
  TestPipeline pub (VIDEO "webrtcpublish name=pub port=0 " BIN_SRC (
                        "big") "! pub.data_send_big " TEXT_SRC ("text") "! pub.data_send_text",
                    "pub");
  fail_unless (pub.wait_caps ());
  pub_log.attach (pub.pub);
  TestPipeline sub (whep_subscriber (pub, "",
                                     "sub.data_recv_big ! fakesink name=big_in "
                                     "sub.data_recv_text ! fakesink name=text_in"),
                    "sub");
  big_in.attach (sub.pipeline, "big_in");
  text_in.attach (sub.pipeline, "text_in");
  fail_unless (wait_opened (pub_log, "big") && wait_opened (pub_log, "text"));

  /* Over the maximum message size: refused with a warning, never cut. */
  std::vector<guint8> huge (4 * 1024 * 1024, 0x5a);
  push (pub.pipeline, "big", huge.data (), huge.size ());
  push (pub.pipeline, "big", "small", 5);
  fail_unless (wait_until ([&] { return big_in.n () >= 1; }, 10000));
  g_usleep (300 * 1000);
  fail_unless_equals_int (big_in.n (), 1);
  fail_unless (big_in.messages[0] == "small");
  fail_unless_equals_uint64 (pad_counter (pub.pub, "data_send_big", "messages-dropped"), 1);
  GstMessage *w = pub.wait_message (GST_MESSAGE_WARNING);
  fail_unless (w != nullptr);
  GError *err = nullptr;
  gst_message_parse_warning (w, &err, nullptr);
  fail_unless (strstr (err->message, "maximum message size") != nullptr, "%s", err->message);
  g_clear_error (&err);
  /* The same from the API: FALSE. */
  GBytes *bytes = g_bytes_new (huge.data (), huge.size ());
  gboolean ok = TRUE;
  g_signal_emit_by_name (pub.pub, "send-data", NULL, "big", bytes, &ok);
  fail_unless (!ok);
  g_bytes_unref (bytes);

  /* Invalid UTF-8 on a text pad is dropped with a warning; the next text
   * goes through. */
  push (pub.pipeline, "text", "\xff\xfe bad", 6);
  push_text (pub.pipeline, "text", "good");
  fail_unless (wait_until ([&] { return text_in.n () >= 1; }, 10000));
  g_usleep (300 * 1000);
  fail_unless_equals_int (text_in.n (), 1);
  fail_unless (text_in.messages[0] == "good");
  fail_unless_equals_string (text_in.caps.c_str (), "application/octet-stream");
  fail_unless_equals_uint64 (pad_counter (pub.pub, "data_send_text", "messages-dropped"), 1);
  fail_unless (pub.find (GST_MESSAGE_ERROR) == nullptr);
}
GST_END_TEST;

GST_START_TEST (test_policy)
{
  /* reject: channels the viewer opens are closed; the element's own stay. */
  {
    ChannelLog sub_log;
    ChannelLog pub_log;
    TestPipeline pub (VIDEO "webrtcpublish name=pub port=0 data-channel-policy=reject "
                            "data-channels=mine",
                      "pub");
    fail_unless (pub.wait_caps ());
    pub_log.attach (pub.pub);
    TestPipeline sub (whep_subscriber (pub, "data-channels=theirs data-channel-policy=accept"),
                      "sub");
    sub_log.attach (sub.pub);
    fail_unless (wait_channel (sub, "opened", "mine"), "the publisher's own channel must open");
    fail_unless (wait_channel (sub, "closed", "theirs"));
    fail_unless (pub_log.sessions ("theirs").empty ());
  }
  /* listed: only labels the element has. */
  {
    ChannelLog sub_log;
    ChannelLog pub_log;
    TestPipeline pub (VIDEO "webrtcpublish name=pub port=0 data-channel-policy=listed "
                            "data-channels=a",
                      "pub");
    fail_unless (pub.wait_caps ());
    pub_log.attach (pub.pub);
    TestPipeline sub (whep_subscriber (pub, "data-channels=a,b"), "sub");
    sub_log.attach (sub.pub);
    fail_unless (wait_opened (pub_log, "a"));
    fail_unless (wait_channel (sub, "closed", "b"));
    fail_unless (pub_log.sessions ("b").empty ());
  }
  /* The default is listed: a label the element does not have is closed. */
  {
    ChannelLog pub_log;
    TestPipeline pub (VIDEO "webrtcpublish name=pub port=0 data-channels=a", "pub");
    fail_unless (pub.wait_caps ());
    pub_log.attach (pub.pub);
    TestPipeline sub (whep_subscriber (pub, "data-channels=a,surprise"), "sub");
    fail_unless (wait_opened (pub_log, "a"));
    fail_unless (wait_channel (sub, "closed", "surprise"));
    fail_unless (pub_log.sessions ("surprise").empty ());
  }
  /* accept: an unknown label is announced and usable; at most
   * max-data-channels of the peer's own at once, labels of at most 256
   * bytes. */
  {
    ChannelLog pub_log;
    std::string long_label (257, 'l');
    TestPipeline pub (VIDEO "webrtcpublish name=pub port=0 data-channel-policy=accept "
                            "max-data-channels=3",
                      "pub");
    fail_unless (pub.wait_caps ());
    pub_log.attach (pub.pub);
    TestPipeline sub (whep_subscriber (pub, "data-channels=surprise,c2,c3,c4,c5," + long_label),
                      "sub");
    fail_unless (wait_channel (sub, "closed", long_label));
    /* Which three are kept depends on the order the peer's opens arrive. */
    std::vector<std::string> labels = {"surprise", "c2", "c3", "c4", "c5"};
    auto closed = [&] {
      guint n = 0;
      for (auto &l : labels)
        n += channel_messages (sub, "closed", l);
      return n;
    };
    fail_unless (wait_until ([&] { return closed () >= 2; }, 20000), "%u closed", closed ());
    g_usleep (500 * 1000);
    std::vector<std::string> kept;
    for (auto &l : labels)
      if (!pub_log.sessions (l).empty ())
        kept.push_back (l);
    fail_unless_equals_int (kept.size (), 3);
    fail_unless_equals_int (closed (), 2);
    fail_unless (pub_log.sessions (long_label).empty ());
    gboolean ok = FALSE;
    g_signal_emit_by_name (sub.pub, "send-string", NULL, kept[0].c_str (), "hello", &ok);
    fail_unless (ok);
    fail_unless (wait_until ([&] { return pub_log.has_string (kept[0] + ":hello"); }, 10000));
  }
}
GST_END_TEST;

/* A slow link for the test's peers: everything in this namespace goes
 * through lo. */
static bool shape_loopback (const char *rate)
{
  gchar *cmd = rate ? g_strdup_printf ("tc qdisc replace dev lo root tbf rate %s burst 16kb "
                                       "latency 100ms",
                                       rate)
                    : g_strdup ("tc qdisc del dev lo root");
  gint status = -1;
  gboolean ran = g_spawn_command_line_sync (cmd, nullptr, nullptr, &status, nullptr);
  g_free (cmd);
  return ran && g_spawn_check_wait_status (status, nullptr);
}

GST_START_TEST (test_unreliable_drops_instead_of_blocking)
{
  Collector got;
  ChannelLog pub_log;
  /* Pad properties from a launch line: child::property on the element. */
  TestPipeline pub (VIDEO "webrtcpublish name=pub port=0 data_send_telemetry::max-retransmits=0 "
                          "data_send_telemetry::ordered=false "
                          "data_send_telemetry::max-buffered-bytes=16384 " BIN_SRC (
                              "tm") "! pub.data_send_telemetry",
                    "pub");
  fail_unless (pub.wait_caps ());
  /* The launch line set the pad's properties once the pad existed. */
  GstPad *pad = gst_element_get_static_pad (pub.pub, "data_send_telemetry");
  gint rexmit = -1;
  gboolean ordered = TRUE;
  guint limit = 0;
  g_object_get (pad, "max-retransmits", &rexmit, "ordered", &ordered, "max-buffered-bytes", &limit,
                nullptr);
  gst_object_unref (pad);
  fail_unless_equals_int (rexmit, 0);
  fail_unless (!ordered);
  fail_unless_equals_int (limit, 16384);
  pub_log.attach (pub.pub);
  TestPipeline sub (whep_subscriber (pub, "", "sub.data_recv_telemetry ! fakesink name=tm_in"),
                    "sub");
  got.attach (sub.pipeline, "tm_in");
  fail_unless (wait_opened (pub_log, "telemetry"));
  /* 32 MB into a 4 Mbit/s link (a reliable channel would need over a
   * minute): the unreliable channel drops what the link cannot take, the
   * pad never waits for the link. */
  fail_unless (shape_loopback ("4mbit"), "tc failed");
  const guint N = 2000;
  std::vector<guint8> chunk (16384, 1);
  for (guint i = 0; i < N; i++)
    push (pub.pipeline, "tm", chunk.data (), chunk.size ());
  guint64 sent = 0, dropped = 0;
  fail_unless (wait_until (
      [&] {
        sent = pad_counter (pub.pub, "data_send_telemetry", "messages-sent");
        dropped = pad_counter (pub.pub, "data_send_telemetry", "messages-dropped");
        return sent + dropped == N;
      },
      30000));
  fail_unless (wait_until ([&] { return got.n () > 0; }, 10000));
  g_usleep (2 * G_USEC_PER_SEC);
  shape_loopback (nullptr);
  guint received = got.n ();
  GST_INFO ("sent %" G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT " received %u", sent, dropped,
            received);
  fail_unless (received < N, "all %u arrived through a 4 Mbit/s link", N);
  fail_unless (received <= sent);
}
GST_END_TEST;

GST_START_TEST (test_whip_direction)
{
  ChannelLog pub_log;
  Collector back;
  ChannelLog sub_log;
  Collector meta_in;
  TestPipeline sub ("webrtcsubscribe name=sub port=0 sub.video_0 ! fakesink sync=false "
                    "sub.data_recv_meta ! fakesink name=meta_in",
                    "sub");
  fail_unless (sub.port > 0);
  meta_in.attach (sub.pipeline, "meta_in");
  sub_log.attach (sub.pub);
  std::string url = "http://127.0.0.1:" + std::to_string (sub.port) + "/whip/live";
  TestPipeline pub (VIDEO "webrtcpublish name=pub whip-url=" + url +
                        " " BIN_SRC ("meta") "! pub.data_send_meta pub.data_recv_meta ! "
                                             "fakesink name=back",
                    "pub");
  back.attach (pub.pipeline, "back");
  pub_log.attach (pub.pub);
  fail_unless (wait_opened (pub_log, "meta"));
  for (int i = 0; i < 100; i++) {
    guint8 msg[3] = {0x06, 0x0e, (guint8)i}; /* a KLV-ish binary record */
    push (pub.pipeline, "meta", msg, sizeof msg);
  }
  fail_unless (wait_until ([&] { return meta_in.n () >= 100; }, 20000));
  fail_unless_equals_int (meta_in.messages[99][2], 99);
  /* The other way, from the subscriber's application. */
  GBytes *reply = g_bytes_new_static ("ack", 3);
  gboolean ok = FALSE;
  g_signal_emit_by_name (sub.pub, "send-data", NULL, "meta", reply, &ok);
  g_bytes_unref (reply);
  fail_unless (ok);
  fail_unless (wait_until ([&] { return back.n () >= 1; }, 10000));
  fail_unless (back.messages[0] == "ack");
  fail_unless (sub.find (GST_MESSAGE_ELEMENT, "webrtcsubscribe-data-channel-opened") != nullptr);
}
GST_END_TEST;

GST_START_TEST (test_bad_pad_requests)
{
  GstElement *pub = gst_element_factory_make ("webrtcpublish", nullptr);
  fail_unless (gst_element_request_pad_simple (pub, "data_send_") == nullptr);
  GstPad *a = gst_element_request_pad_simple (pub, "data_send_x");
  fail_unless (a != nullptr);
  fail_unless (GST_PAD_DIRECTION (a) == GST_PAD_SINK);
  GstPad *b = gst_element_request_pad_simple (pub, "data_recv_x");
  fail_unless (b != nullptr);
  fail_unless (GST_PAD_DIRECTION (b) == GST_PAD_SRC);
  gchar *label = nullptr;
  g_object_get (b, "label", &label, nullptr);
  fail_unless_equals_string (label, "x");
  g_free (label);
  gst_element_release_request_pad (pub, a);
  gst_element_release_request_pad (pub, b);
  gst_object_unref (a);
  gst_object_unref (b);
  fail_unless (gst_element_get_static_pad (pub, "data_send_x") == nullptr);
  /* Not running: sends fail cleanly. */
  GBytes *bytes = g_bytes_new_static ("x", 1);
  gboolean ok = TRUE;
  g_signal_emit_by_name (pub, "send-data", NULL, "x", bytes, &ok);
  fail_unless (!ok);
  g_bytes_unref (bytes);
  gst_object_unref (pub);
}
GST_END_TEST;

static Suite *webrtcdata_suite (void)
{
  Suite *s = suite_create ("webrtcdata");
  TCase *tc = tcase_create ("data");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_bad_pad_requests);
  tcase_add_test (tc, test_pads_both_ways_in_order);
  tcase_add_test (tc, test_large_transfer_with_backpressure);
  tcase_add_test (tc, test_routing_and_a_session_leaving);
  tcase_add_test (tc, test_oversized_and_invalid_messages);
  tcase_add_test (tc, test_policy);
  tcase_add_test (tc, test_unreliable_drops_instead_of_blocking);
  tcase_add_test (tc, test_whip_direction);
  return s;
}

GST_CHECK_MAIN (webrtcdata);

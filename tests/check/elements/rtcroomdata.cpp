/* The relay policy of webrtcroom's room-wide data channels
 * (ext/rtcbridge/rtcroomdata.*) against docs/room-protocol.md, "Room data
 * channels", with a fake transport instead of webrtcbin: seq and order,
 * the echo on logged labels only, the log replayed before live messages
 * (also while messages keep coming), clear, the log's caps, binary relay,
 * malformed / oversized / deeply nested JSON, the pipeline as a member, a
 * FULL target not stalling the others, the queue caps and the "dropped"
 * notice, members that leave. */
/* Before gstcheck.h, whose `fail` macro breaks C++ headers. */
#include "rtcroomdata.h"

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using rtc::RoomData;
using TrySend = RoomData::TrySend;

/* One message as a target got it. */
struct Got {
  std::string from; /* deliver_local's @from (the pipeline's share) */
  std::string text; /* "" for binary */
  std::string bytes;
  bool binary = false;
};

/* Records what each target got; sessions in `full` answer FULL. */
struct FakeTransport : RoomData::Transport {
  std::mutex lock;
  std::condition_variable cv;
  std::map<std::string, std::vector<Got>> got; /* by "session/label", "pipeline/label" */
  std::set<std::string> full;
  std::map<std::string, guint> full_answers;

  static std::string key (const std::string &who, const std::string &label)
  {
    return who + "/" + label;
  }
  void record (const std::string &k, const std::string &from, const gchar *text, GBytes *bytes)
  {
    Got g;
    g.from = from;
    if (text) {
      g.text = text;
    } else {
      gsize n = 0;
      const char *d = bytes ? (const char *)g_bytes_get_data (bytes, &n) : nullptr;
      g.bytes.assign (d ? d : "", n);
      g.binary = true;
    }
    got[k].push_back (g);
    cv.notify_all ();
  }
  TrySend try_send (const std::string &session, const std::string &label, const gchar *text,
                    GBytes *bytes) override
  {
    std::lock_guard<std::mutex> g (lock);
    if (full.count (session)) {
      full_answers[session]++;
      cv.notify_all ();
      return TrySend::FULL;
    }
    record (key (session, label), "", text, bytes);
    return TrySend::OK;
  }
  void deliver_local (const std::string &from, const std::string &label, const gchar *text,
                      GBytes *bytes) override
  {
    std::lock_guard<std::mutex> g (lock);
    record (key ("pipeline", label), from, text, bytes);
  }
  /* Waits (up to 5 s) until @k got @n messages; a copy of them. */
  std::vector<Got> wait (const std::string &k, size_t n, guint timeout_ms = 5000)
  {
    std::unique_lock<std::mutex> lk (lock);
    cv.wait_for (lk, std::chrono::milliseconds (timeout_ms), [&] { return got[k].size () >= n; });
    return got[k];
  }
  std::vector<Got> now (const std::string &k)
  {
    std::lock_guard<std::mutex> g (lock);
    return got[k];
  }
  void set_full (const std::string &session, bool on)
  {
    std::lock_guard<std::mutex> g (lock);
    if (on)
      full.insert (session);
    else
      full.erase (session);
  }
  guint fulls (const std::string &session)
  {
    std::lock_guard<std::mutex> g (lock);
    return full_answers[session];
  }
};

/* A wrapped message, parsed. */
struct Wrapped {
  gint64 seq = -1;
  std::string from, name, op, code;
  std::string msg; /* compact JSON of "msg" */
};

Wrapped parse (const std::string &text)
{
  Wrapped w;
  g_autoptr (JsonParser) p = json_parser_new ();
  fail_unless (json_parser_load_from_data (p, text.c_str (), -1, nullptr), "not JSON: %s",
               text.c_str ());
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  fail_unless (o != nullptr);
  w.seq = json_object_get_int_member (o, "seq");
  w.from = json_object_get_string_member (o, "from");
  if (json_object_has_member (o, "name"))
    w.name = json_object_get_string_member (o, "name");
  JsonNode *msg = json_object_get_member (o, "msg");
  fail_unless (msg && JSON_NODE_HOLDS_OBJECT (msg), "no msg object: %s", text.c_str ());
  JsonObject *m = json_node_get_object (msg);
  w.op = json_object_get_string_member_with_default (m, "op", "");
  w.code = json_object_get_string_member_with_default (m, "code", "");
  g_autofree gchar *s = json_to_string (msg, FALSE);
  w.msg = s;
  return w;
}

std::vector<gint64> seqs (const std::vector<Got> &v)
{
  std::vector<gint64> out;
  for (auto &g : v)
    out.push_back (parse (g.text).seq);
  return out;
}

RoomData::Channel channel (const char *label, bool logged)
{
  RoomData::Channel c;
  c.options.label = label;
  c.logged = logged;
  return c;
}

/* A room with board (logged), chat and files (not logged). */
struct Room {
  FakeTransport t;
  RoomData data;
  explicit Room (const RoomData::Limits &limits = RoomData::Limits ()) : data (nullptr, t, limits)
  {
    data.configure ({channel ("board", true), channel ("chat", false), channel ("files", false)});
    data.start ();
  }
  ~Room () { data.stop (); }
  void join (const std::string &session, std::initializer_list<const char *> labels)
  {
    for (const char *l : labels)
      data.opened (session, l);
  }
  void text (const std::string &from, const char *label, const std::string &json)
  {
    data.received (from, label, json.c_str (), nullptr);
  }
};

/* Lets the worker run what was queued, for checks of what did NOT arrive. */
void settle ()
{
  g_usleep (100 * 1000);
}

const std::string ERROR_BAD =
    R"({"seq":0,"from":"room","msg":{"op":"error","code":"bad-message"}})";

} // namespace

GST_START_TEST (test_seq_and_order)
{
  Room r;
  r.data.set_name ("a", "Alice");
  r.data.set_name ("b", "Bob \"the\" builder");
  r.join ("a", {"chat"});
  r.join ("b", {"chat"});
  r.join ("c", {"chat"});
  r.text ("a", "chat", R"({"n":1})");
  r.text ("b", "chat", R"({"n":2})");
  r.text ("a", "chat", R"({"n":3, "nested": {"x": [1, 2, "three"]}})");
  auto c = r.t.wait ("c/chat", 3);
  ck_assert_uint_eq (c.size (), 3);
  Wrapped w0 = parse (c[0].text), w1 = parse (c[1].text), w2 = parse (c[2].text);
  ck_assert_int_eq (w0.seq, 1);
  ck_assert_int_eq (w1.seq, 2);
  ck_assert_int_eq (w2.seq, 3);
  ck_assert_str_eq (w0.from.c_str (), "a");
  ck_assert_str_eq (w0.name.c_str (), "Alice");
  ck_assert_str_eq (w1.name.c_str (), "Bob \"the\" builder");
  ck_assert_str_eq (w0.msg.c_str (), R"({"n":1})");
  ck_assert_str_eq (w2.msg.c_str (), R"({"n":3,"nested":{"x":[1,2,"three"]}})");
  /* Not logged: no echo; every other member in the same order. */
  auto a = r.t.wait ("a/chat", 1);
  auto b = r.t.wait ("b/chat", 2);
  settle ();
  a = r.t.now ("a/chat");
  ck_assert_uint_eq (a.size (), 1);
  ck_assert_int_eq (parse (a[0].text).seq, 2);
  ck_assert_uint_eq (b.size (), 2);
  fail_unless (seqs (b) == std::vector<gint64> ({1, 3}));
  /* The pipeline has everything, with the senders in the meta. */
  auto p = r.t.wait ("pipeline/chat", 3);
  ck_assert_uint_eq (p.size (), 3);
  ck_assert_str_eq (p[0].from.c_str (), "a");
  ck_assert_str_eq (p[1].from.c_str (), "b");
  fail_unless (p[2].text == c[2].text);
  /* seq is per label. */
  r.join ("c", {"board"});
  r.text ("a", "board", R"({"op":"stroke"})");
  auto cb = r.t.wait ("c/board", 1);
  ck_assert_int_eq (parse (cb[0].text).seq, 1);
  RoomData::Stats st = r.data.stats ();
  ck_assert_uint_eq (st.relayed, 4);
  ck_assert_uint_eq (st.refused, 0);
}
GST_END_TEST;

GST_START_TEST (test_echo_on_logged_labels_only)
{
  Room r;
  r.join ("a", {"board", "chat", "files"});
  r.join ("b", {"board", "chat", "files"});
  r.text ("a", "board", R"({"op":"stroke","id":"a:1"})");
  r.text ("a", "chat", R"({"hello":true})");
  GBytes *bin = g_bytes_new ("\x01\x02", 2);
  r.data.received ("a", "board", nullptr, bin);
  g_bytes_unref (bin);
  auto a = r.t.wait ("a/board", 1);
  ck_assert_uint_eq (a.size (), 1);
  ck_assert_str_eq (parse (a[0].text).from.c_str (), "a");
  r.t.wait ("b/board", 2);
  r.t.wait ("b/chat", 1);
  settle ();
  ck_assert_uint_eq (r.t.now ("a/chat").size (), 0);
  /* Binary is never echoed, even on a logged label, nor logged. */
  ck_assert_uint_eq (r.t.now ("a/board").size (), 1);
  ck_assert_uint_eq (r.t.now ("b/board").size (), 2);
  r.join ("c", {"board"});
  settle ();
  auto c = r.t.wait ("c/board", 1);
  ck_assert_uint_eq (c.size (), 1);
  fail_if (c[0].binary);
}
GST_END_TEST;

GST_START_TEST (test_log_replayed_before_live)
{
  Room r;
  r.join ("a", {"board"});
  for (int i = 0; i < 50; i++)
    r.text ("a", "board", "{\"op\":\"stroke\",\"n\":" + std::to_string (i) + "}");
  /* Messages keep coming while b's channel opens: b gets 1..N, each once,
   * in order, whatever the interleaving. */
  std::atomic<bool> go{true};
  std::thread writer ([&] {
    for (int i = 50; i < 2000 && go; i++)
      r.text ("a", "board", "{\"op\":\"stroke\",\"n\":" + std::to_string (i) + "}");
  });
  g_usleep (2000);
  r.join ("b", {"board"});
  writer.join ();
  auto a = r.t.wait ("a/board", 2000);
  ck_assert_uint_eq (a.size (), 2000);
  auto b = r.t.wait ("b/board", 2000);
  ck_assert_uint_eq (b.size (), 2000);
  std::vector<gint64> s = seqs (b);
  for (size_t i = 0; i < s.size (); i++)
    ck_assert_int_eq (s[i], (gint64)i + 1);
  /* The pipeline got each once, with b's order. */
  auto p = r.t.wait ("pipeline/board", 2000);
  ck_assert_uint_eq (p.size (), 2000);
  fail_unless (seqs (p) == s);
}
GST_END_TEST;

GST_START_TEST (test_clear)
{
  Room r;
  r.join ("a", {"board"});
  r.text ("a", "board", R"({"op":"stroke","id":"a:1"})");
  r.text ("a", "board", R"({"op":"rect","id":"a:2"})");
  r.text ("a", "board", R"({"op":"clear"})");
  r.text ("a", "board", R"({"op":"text","id":"a:3"})");
  r.t.wait ("a/board", 4);
  r.join ("c", {"board"});
  auto c = r.t.wait ("c/board", 2);
  settle ();
  c = r.t.now ("c/board");
  ck_assert_uint_eq (c.size (), 2);
  Wrapped w0 = parse (c[0].text), w1 = parse (c[1].text);
  ck_assert_str_eq (w0.op.c_str (), "clear");
  ck_assert_int_eq (w0.seq, 3);
  ck_assert_str_eq (w1.op.c_str (), "text");
  ck_assert_int_eq (w1.seq, 4);
  /* "clear" on a label that is not logged is a message like any other. */
  r.join ("a", {"chat"});
  r.join ("c", {"chat"});
  r.text ("a", "chat", R"({"op":"clear"})");
  ck_assert_str_eq (parse (r.t.wait ("c/chat", 1)[0].text).op.c_str (), "clear");
}
GST_END_TEST;

GST_START_TEST (test_log_caps)
{
  RoomData::Limits limits;
  limits.log_messages = 3;
  Room r (limits);
  r.join ("a", {"board"});
  r.join ("b", {"board"});
  for (int i = 0; i < 4; i++)
    r.text ("a", "board", R"({"op":"stroke"})");
  auto a = r.t.wait ("a/board", 4);
  ck_assert_uint_eq (a.size (), 4);
  Wrapped refused = parse (a[3].text);
  ck_assert_int_eq (refused.seq, 0);
  ck_assert_str_eq (refused.from.c_str (), "room");
  ck_assert_str_eq (refused.code.c_str (), "log-full");
  settle ();
  auto b = r.t.now ("b/board");
  ck_assert_uint_eq (b.size (), 3); /* the sender alone hears of it */
  /* A clear always goes through and makes room. */
  r.text ("b", "board", R"({"op":"clear"})");
  r.text ("a", "board", R"({"op":"stroke"})");
  b = r.t.wait ("b/board", 5);
  ck_assert_uint_eq (b.size (), 5);
  ck_assert_int_eq (parse (b[3].text).seq, 4);
  ck_assert_int_eq (parse (b[4].text).seq, 5);
  ck_assert_uint_eq (r.data.stats ().refused, 1);

  /* The byte cap, on the wrapped messages. */
  RoomData::Limits small;
  small.log_bytes = 300;
  Room r2 (small);
  r2.join ("a", {"board"});
  std::string big = "{\"op\":\"text\",\"text\":\"" + std::string (150, 'x') + "\"}";
  r2.text ("a", "board", big);
  r2.text ("a", "board", big);
  auto a2 = r2.t.wait ("a/board", 2);
  ck_assert_int_eq (parse (a2[0].text).seq, 1);
  ck_assert_str_eq (parse (a2[1].text).code.c_str (), "log-full");
}
GST_END_TEST;

GST_START_TEST (test_binary_relay)
{
  Room r;
  r.join ("a", {"files"});
  r.join ("b", {"files"});
  r.join ("c", {"files"});
  std::string chunk (16 * 1024 + 8, '\0');
  for (size_t i = 0; i < chunk.size (); i++)
    chunk[i] = (char)(i * 7);
  GBytes *bytes = g_bytes_new (chunk.data (), chunk.size ());
  r.data.received ("a", "files", nullptr, bytes);
  g_bytes_unref (bytes);
  for (const char *who : {"b/files", "c/files"}) {
    auto got = r.t.wait (who, 1);
    ck_assert_uint_eq (got.size (), 1);
    fail_unless (got[0].binary && got[0].bytes == chunk, "%s: not the bytes sent", who);
  }
  auto p = r.t.wait ("pipeline/files", 1);
  fail_unless (p[0].binary && p[0].bytes == chunk);
  ck_assert_str_eq (p[0].from.c_str (), "a");
  /* Empty binary is relayed too; over 64 KiB is refused to the sender. */
  GBytes *empty = g_bytes_new (nullptr, 0);
  r.data.received ("b", "files", nullptr, empty);
  g_bytes_unref (empty);
  GBytes *huge = g_bytes_new_take (g_malloc0 (64 * 1024 + 1), 64 * 1024 + 1);
  r.data.received ("b", "files", nullptr, huge);
  g_bytes_unref (huge);
  auto b = r.t.wait ("b/files", 2);
  ck_assert_uint_eq (b.size (), 2);
  ck_assert_str_eq (b[1].text.c_str (), ERROR_BAD.c_str ());
  auto c = r.t.wait ("c/files", 2);
  settle ();
  c = r.t.now ("c/files");
  ck_assert_uint_eq (c.size (), 2);
  fail_unless (c[1].binary && c[1].bytes.empty ());
  ck_assert_uint_eq (r.t.now ("a/files").size (), 1);
}
GST_END_TEST;

GST_START_TEST (test_malformed)
{
  Room r;
  r.join ("a", {"board"});
  r.join ("b", {"board"});
  std::string deep_array (200000, '[');
  std::string deep_in_object = "{\"a\":" + std::string (100000, '{');
  std::string nested_65 = "{\"a\":" + std::string (64, '[') + std::string (64, ']') + "}";
  std::string nested_64 = "{\"a\":" + std::string (63, '[') + std::string (63, ']') + "}";
  std::string oversized = "{\"t\":\"" + std::string (64 * 1024, 'x') + "\"}";
  /* Brackets inside strings are not nesting. */
  std::string brackets_in_string = "{\"t\":\"" + std::string (1000, '[') + "\\\"" + "\"}";
  const std::vector<std::string> bad = {
      "not json",
      "[1,2]",
      "\"a string\"",
      "42",
      "",
      "{\"a\":",
      "{\"a\":1,}",
      deep_array,
      deep_in_object,
      nested_65,
      oversized,
      "{\"x\":1e400}",
      "{\"bad\":\"\xff\xfe\"}",
  };
  for (auto &m : bad)
    r.text ("a", "board", m);
  r.text ("a", "board", nested_64);
  r.text ("a", "board", brackets_in_string);
  auto a = r.t.wait ("a/board", bad.size () + 2);
  ck_assert_uint_eq (a.size (), bad.size () + 2);
  for (size_t i = 0; i < bad.size (); i++)
    fail_unless (a[i].text == ERROR_BAD, "message %zu: %s", i, a[i].text.substr (0, 80).c_str ());
  ck_assert_int_eq (parse (a[bad.size ()].text).seq, 1);
  ck_assert_int_eq (parse (a[bad.size () + 1].text).seq, 2);
  /* The others got only the good ones; nothing bad was logged. */
  settle ();
  ck_assert_uint_eq (r.t.now ("b/board").size (), 2);
  ck_assert_uint_eq (r.t.now ("pipeline/board").size (), 2);
  ck_assert_uint_eq (r.data.stats ().refused, bad.size ());
  /* A sender that is not (or no longer) a member hears nothing. */
  r.text ("z", "board", "nope");
  /* Labels the room does not have are not taken. */
  fail_if (r.data.takes ("navigation"));
  fail_unless (r.data.takes ("board"));
  r.text ("a", "navigation", R"({"op":"x"})");
  settle ();
  ck_assert_uint_eq (r.t.now ("a/board").size (), bad.size () + 2);
}
GST_END_TEST;

GST_START_TEST (test_pipeline_member)
{
  Room r;
  r.join ("a", {"board", "chat"});
  r.join ("b", {"board", "chat"});
  r.data.from_pipeline ("board", R"({"op":"text","text":"hi"})", nullptr);
  r.data.from_pipeline ("chat", R"({"x":1})", nullptr);
  for (const char *who : {"a/board", "b/board", "a/chat", "b/chat"}) {
    auto got = r.t.wait (who, 1);
    Wrapped w = parse (got[0].text);
    ck_assert_str_eq (w.from.c_str (), "pipeline");
    ck_assert_str_eq (w.name.c_str (), "pipeline");
    ck_assert_int_eq (w.seq, 1);
  }
  /* Its own text comes back on a logged label only. */
  auto p = r.t.wait ("pipeline/board", 1);
  ck_assert_str_eq (p[0].from.c_str (), "pipeline");
  settle ();
  ck_assert_uint_eq (r.t.now ("pipeline/chat").size (), 0);
  /* Malformed from the pipeline: nobody gets anything (a warning). */
  r.data.from_pipeline ("board", "[]", nullptr);
  settle ();
  ck_assert_uint_eq (r.t.now ("a/board").size (), 1);
  ck_assert_uint_eq (r.t.now ("pipeline/board").size (), 1);
  ck_assert_uint_eq (r.data.stats ().refused, 1);
  /* Its binary goes to the members, not back to it. */
  r.join ("a", {"files"});
  GBytes *bytes = g_bytes_new ("xyz", 3);
  r.data.from_pipeline ("files", nullptr, bytes);
  g_bytes_unref (bytes);
  auto f = r.t.wait ("a/files", 1);
  fail_unless (f[0].binary && f[0].bytes == "xyz");
  settle ();
  ck_assert_uint_eq (r.t.now ("pipeline/files").size (), 0);
}
GST_END_TEST;

GST_START_TEST (test_full_target_does_not_stall_others)
{
  Room r;
  r.join ("a", {"board"});
  r.join ("slow", {"board"});
  r.join ("c", {"board"});
  r.t.set_full ("slow", true);
  for (int i = 0; i < 200; i++)
    r.text ("a", "board", "{\"op\":\"stroke\",\"n\":" + std::to_string (i) + "}");
  gint64 t0 = g_get_monotonic_time ();
  auto c = r.t.wait ("c/board", 200, 2000);
  ck_assert_uint_eq (c.size (), 200);
  fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC, "the others waited for the slow one");
  /* It is tried again (a poll of a few ms) and gets nothing. */
  settle ();
  fail_unless (r.t.fulls ("slow") >= 2);
  ck_assert_uint_eq (r.t.now ("slow/board").size (), 0);
  fail_unless (r.data.stats ().queued > 0);
  /* It drains: everything, in order, nothing lost. */
  r.t.set_full ("slow", false);
  r.data.drained ("slow", "board");
  auto s = r.t.wait ("slow/board", 200);
  ck_assert_uint_eq (s.size (), 200);
  std::vector<gint64> q = seqs (s);
  for (size_t i = 0; i < q.size (); i++)
    ck_assert_int_eq (q[i], (gint64)i + 1);
  settle ();
  ck_assert_uint_eq (r.data.stats ().queued, 0);
}
GST_END_TEST;

/* What a FULL target @who got once it drains: messages in order, then the
 * "dropped" notice where its view stops being complete. */
static void check_dropped (FakeTransport &t, RoomData &data, const char *who, size_t sent)
{
  std::string k = std::string (who) + "/chat";
  t.set_full (who, false);
  data.drained (who, "chat");
  t.wait (k, 2);
  settle ();
  auto got = t.now (k);
  fail_unless (got.size () >= 2 && got.size () <= sent, "%s got %zu", who, got.size ());
  Wrapped last = parse (got.back ().text);
  ck_assert_str_eq (last.from.c_str (), "room");
  ck_assert_str_eq (last.code.c_str (), "dropped");
  for (size_t i = 0; i + 1 < got.size (); i++)
    ck_assert_int_eq (parse (got[i].text).seq, (gint64)i + 1);
}

GST_START_TEST (test_queue_caps)
{
  std::string pad (60, 'x');
  auto message = [&pad] (int i) {
    return "{\"n\":" + std::to_string (i) + ",\"pad\":\"" + pad + "\"}";
  };
  /* A target's own cap. */
  {
    RoomData::Limits limits;
    limits.target_bytes = 2000;
    Room r (limits);
    r.join ("a", {"chat"});
    r.join ("s1", {"chat"});
    r.join ("c", {"chat"});
    r.t.set_full ("s1", true);
    /* At the pace of the member that keeps up (a burst faster than the
     * worker would fill anyone's small cap). */
    for (int i = 0; i < 40; i++) {
      r.text ("a", "chat", message (i));
      r.t.wait ("c/chat", i + 1);
    }
    ck_assert_uint_eq (r.t.wait ("c/chat", 40).size (), 40);
    settle ();
    RoomData::Stats st = r.data.stats ();
    fail_unless (st.dropped > 0);
    fail_unless (st.queued <= limits.target_bytes, "%zu queued", st.queued);
    check_dropped (r.t, r.data, "s1", 40);
    ck_assert_uint_eq (r.data.stats ().queued, 0);
    /* Drained, it gets messages again. */
    size_t before = r.t.now ("s1/chat").size ();
    r.text ("a", "chat", R"({"after":true})");
    auto s1 = r.t.wait ("s1/chat", before + 1);
    ck_assert_int_eq (parse (s1.back ().text).seq, 41);
  }
  /* The room's cap: the slow ones lose, the one that keeps up does not. */
  {
    RoomData::Limits limits;
    limits.room_bytes = 3000;
    Room r (limits);
    r.join ("a", {"chat"});
    r.join ("s1", {"chat"});
    r.join ("s2", {"chat"});
    r.join ("c", {"chat"});
    r.t.set_full ("s1", true);
    r.t.set_full ("s2", true);
    /* At the pace of the member that keeps up (a burst faster than the
     * worker would fill anyone's small cap). */
    for (int i = 0; i < 40; i++) {
      r.text ("a", "chat", message (i));
      r.t.wait ("c/chat", i + 1);
    }
    ck_assert_uint_eq (r.t.wait ("c/chat", 40).size (), 40);
    ck_assert_uint_eq (r.t.wait ("pipeline/chat", 40).size (), 40);
    settle ();
    RoomData::Stats st = r.data.stats ();
    fail_unless (st.dropped > 0);
    fail_unless (st.queued <= limits.room_bytes, "%zu queued", st.queued);
    check_dropped (r.t, r.data, "s1", 40);
    check_dropped (r.t, r.data, "s2", 40);
    ck_assert_uint_eq (r.data.stats ().queued, 0);
  }
}
GST_END_TEST;

GST_START_TEST (test_members_leave)
{
  Room r;
  r.join ("a", {"board", "chat"});
  r.join ("b", {"board", "chat"});
  r.t.set_full ("b", true);
  for (int i = 0; i < 10; i++)
    r.text ("a", "chat", R"({"x":1})");
  r.t.wait ("pipeline/chat", 10);
  settle ();
  fail_unless (r.data.stats ().queued > 0);
  /* b goes: its queues are freed, nothing more is tried for it. */
  r.data.forget ("b");
  ck_assert_uint_eq (r.data.stats ().queued, 0);
  settle ();
  guint tries = r.t.fulls ("b");
  r.text ("a", "chat", R"({"x":2})");
  settle ();
  ck_assert_uint_eq (r.t.fulls ("b"), tries);
  /* A channel that closes: the same, for that label. */
  r.t.set_full ("b", false);
  r.join ("b", {"chat", "board"});
  r.data.closed ("b", "chat");
  r.text ("a", "chat", R"({"x":3})");
  r.text ("a", "board", R"({"x":4})");
  r.t.wait ("b/board", 1);
  settle ();
  ck_assert_uint_eq (r.t.now ("b/chat").size (), 0);
  /* Stopped: events do nothing. */
  r.data.stop ();
  guint64 relayed = r.data.stats ().relayed;
  r.text ("a", "board", R"({"x":5})");
  ck_assert_uint_eq (r.data.stats ().relayed, relayed);
}
GST_END_TEST;

GST_START_TEST (test_describe)
{
  std::vector<RoomData::Channel> channels = RoomData::default_channels ();
  RoomData::Channel game = channel ("game", false);
  game.options.ordered = false;
  game.options.max_retransmits = 0;
  channels.push_back (game);
  std::string json = RoomData::describe (channels);
  ck_assert_str_eq (json.c_str (),
                    R"([{"label":"board","ordered":true,"log":true},)"
                    R"({"label":"files","ordered":true,"log":false},)"
                    R"({"label":"game","ordered":false,"maxRetransmits":0,"log":false}])");
}
GST_END_TEST;

static Suite *rtcroomdata_suite (void)
{
  Suite *s = suite_create ("rtcroomdata");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_seq_and_order);
  tcase_add_test (tc, test_echo_on_logged_labels_only);
  tcase_add_test (tc, test_log_replayed_before_live);
  tcase_add_test (tc, test_clear);
  tcase_add_test (tc, test_log_caps);
  tcase_add_test (tc, test_binary_relay);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_pipeline_member);
  tcase_add_test (tc, test_full_target_does_not_stall_others);
  tcase_add_test (tc, test_queue_caps);
  tcase_add_test (tc, test_members_leave);
  tcase_add_test (tc, test_describe);
  return s;
}

int main (int argc, char **argv)
{
  /* No plugin is needed: never scan (or load) one. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtcroomdata_suite (), "rtcroomdata", __FILE__);
}

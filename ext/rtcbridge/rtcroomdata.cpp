/* See rtcroomdata.h. */
#include "rtcroomdata.h"

#include "rtcjsondepth.h"

#include <json-glib/json-glib.h>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>

GST_DEBUG_CATEGORY_STATIC (rtc_room_data_debug);
#define GST_CAT_DEFAULT rtc_room_data_debug

namespace rtc {

namespace {

/* How the pipeline is named as a sender ("from" and "name"). */
const char PIPELINE[] = "pipeline";
/* The pipeline's targets are keyed by this session id: no session has it. */
const char PIPELINE_TARGET[] = "";

struct BytesUnref {
  void operator() (GBytes *b) const { g_bytes_unref (b); }
};
using BytesPtr = std::unique_ptr<GBytes, BytesUnref>;

/* One message as it goes out, shared by every queue it is in and the log. */
struct Payload {
  std::string from; /* a session, "pipeline" or "room": the meta of deliver_local */
  std::string text; /* a text message, when !bytes */
  BytesPtr bytes;   /* a binary one */
  gsize size () const { return bytes ? g_bytes_get_size (bytes.get ()) : text.size (); }
};
using PayloadPtr = std::shared_ptr<const Payload>;

struct Queued {
  PayloadPtr payload;
  bool replay = false; /* shares the log's memory: not counted against the caps */
  bool notice = false; /* the "dropped" notice: not counted either */
};

/* One member's channel of one label (or the pipeline's share of a label). */
struct Target {
  std::string session, label; /* set once */
  std::deque<Queued> queue;
  gsize live_bytes = 0;
  gint64 blocked_until = 0; /* its last try was FULL: not before (monotonic µs) */
  bool notice_queued = false;
  bool gone = false;
};
using TargetPtr = std::shared_ptr<Target>;
using Key = std::pair<std::string, std::string>; /* session, label */

struct LabelState {
  RoomData::Channel channel;
  guint64 seq = 0;
  std::deque<PayloadPtr> log;
  gsize log_bytes = 0;
  std::set<std::string> members; /* sessions whose channel is open */
};

/* What to tell the bus once the lock is released. */
struct Report {
  bool drop_warning = false;
  std::string drop_session, drop_label;
  std::string pipeline_refused; /* why a message of the pipeline went nowhere */
};

PayloadPtr room_message (const char *code)
{
  auto p = std::make_shared<Payload> ();
  p->from = "room";
  p->text = std::string (R"({"seq":0,"from":"room","msg":{"op":"error","code":")") + code + "\"}}";
  return p;
}

/* @s as a JSON string literal. */
std::string json_quote (const std::string &s)
{
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        g_snprintf (buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += (char)c;
      }
    }
  }
  return out + "\"";
}

/* Whether every number in @node is finite (1e400 parses as infinity, which
 * json-glib would write back as "inf": not JSON). Bounded by json_depth_within(). */
bool finite (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node)) {
  case JSON_NODE_VALUE:
    return json_node_get_value_type (node) != G_TYPE_DOUBLE ||
           std::isfinite (json_node_get_double (node));
  case JSON_NODE_ARRAY: {
    JsonArray *a = json_node_get_array (node);
    for (guint i = 0; i < json_array_get_length (a); i++)
      if (!finite (json_array_get_element (a, i)))
        return false;
    return true;
  }
  case JSON_NODE_OBJECT: {
    bool ok = true;
    JsonObjectIter it;
    const gchar *name;
    JsonNode *member;
    json_object_iter_init (&it, json_node_get_object (node));
    while (ok && json_object_iter_next (&it, &name, &member))
      ok = finite (member);
    return ok;
  }
  default:
    return true;
  }
}

/* A text message: nullptr and @msg (the object, written back compactly:
 * what json-glib accepts beyond JSON, such as comments, does not go out),
 * @clear when its "op" is "clear"; or why it is refused. */
const char *parse_text (const gchar *text, gsize len, guint max_depth, std::string &msg,
                        bool &clear)
{
  if (!g_utf8_validate (text, len, nullptr))
    return "not UTF-8";
  if (!json_depth_within (text, len, max_depth))
    return "nested too deep";
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, len, nullptr))
    return "not JSON";
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    return "not a JSON object";
  if (!finite (root))
    return "a number out of range";
  JsonNode *op = json_object_get_member (json_node_get_object (root), "op");
  clear = op && JSON_NODE_HOLDS_VALUE (op) && json_node_get_value_type (op) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (op), "clear") == 0;
  g_autofree gchar *out = json_to_string (root, FALSE);
  msg = out;
  return nullptr;
}

} // namespace

struct RoomData::State {
  State (GstElement *e, Transport &t, Limits l) : element (e), transport (t), limits (l) {}

  GstElement *element; /* not owned */
  Transport &transport;
  const Limits limits;
  const PayloadPtr dropped_notice = room_message ("dropped");
  const PayloadPtr bad_message = room_message ("bad-message");
  const PayloadPtr log_full = room_message ("log-full");

  mutable std::mutex lock; /* guards everything below */
  std::condition_variable cv;
  bool running = false;
  GThread *worker = nullptr;
  std::vector<Channel> channels; /* configured, in order */
  std::map<std::string, LabelState> labels;
  std::map<std::string, std::string> names;
  std::map<Key, TargetPtr> targets;
  Key cursor; /* the target served last */
  gsize room_bytes = 0;
  Stats stats;
  bool warned_drop = false, warned_pipeline = false;

  /* ---- under the lock ---- */

  Target &target_unlocked (const std::string &session, const std::string &label)
  {
    TargetPtr &t = targets[{session, label}];
    if (!t) {
      t = std::make_shared<Target> ();
      t->session = session;
      t->label = label;
    }
    return *t;
  }

  void remove_target_unlocked (std::map<Key, TargetPtr>::iterator it)
  {
    it->second->gone = true;
    room_bytes -= it->second->live_bytes;
    targets.erase (it);
  }

  std::string name_unlocked (const std::string &session) const
  {
    if (session == PIPELINE_TARGET)
      return PIPELINE;
    auto it = names.find (session);
    return it == names.end () ? session : it->second;
  }

  /* A live message for @t, unless over a cap: then dropped for @t alone. */
  void enqueue_unlocked (Target &t, const PayloadPtr &p, Report &r)
  {
    gsize size = p->size ();
    /* Over the room's cap, only targets whose channel is full lose
     * messages: members that keep up are not punished for the slow ones
     * (they are bounded by their own cap). */
    bool room_full = room_bytes + size > limits.room_bytes && t.blocked_until != 0;
    if (t.live_bytes + size <= limits.target_bytes && !room_full) {
      t.live_bytes += size;
      room_bytes += size;
      t.queue.push_back ({p, false, false});
      return;
    }
    stats.dropped++;
    GST_DEBUG ("dropped %" G_GSIZE_FORMAT " bytes for %s on '%s' (%" G_GSIZE_FORMAT
               " queued for it, %" G_GSIZE_FORMAT " in the room)",
               size, t.session.c_str (), t.label.c_str (), t.live_bytes, room_bytes);
    if (!warned_drop) {
      warned_drop = true;
      r.drop_warning = true;
      r.drop_session = t.session.empty () ? PIPELINE : t.session;
      r.drop_label = t.label;
    }
    /* Where its view starts to be incomplete; the pipeline has the warning. */
    if (!t.notice_queued && t.session != PIPELINE_TARGET) {
      t.notice_queued = true;
      t.queue.push_back ({dropped_notice, false, true});
    }
  }

  /* @sender's message is refused: it alone hears why. */
  void refuse_unlocked (const std::string &sender, LabelState &l, const PayloadPtr &error,
                        const char *why, Report &r)
  {
    stats.refused++;
    const std::string &label = l.channel.options.label;
    GST_INFO ("message from %s on '%s' refused: %s", sender.empty () ? PIPELINE : sender.c_str (),
              label.c_str (), why);
    if (sender == PIPELINE_TARGET) {
      r.pipeline_refused = std::string ("a message on '") + label + "' was refused: " + why;
      return;
    }
    if (l.members.count (sender))
      enqueue_unlocked (target_unlocked (sender, label), error, r);
  }

  /* ---- events ---- */

  /* A message from @sender (PIPELINE_TARGET: the pipeline) on @label. */
  void accept (const std::string &sender, const std::string &label, const gchar *text,
               GBytes *bytes)
  {
    gsize size = text ? strlen (text) : (bytes ? g_bytes_get_size (bytes) : 0);
    std::string msg;
    bool clear = false;
    const char *problem = nullptr;
    if (size > limits.max_message)
      problem = "larger than the maximum message size";
    else if (text)
      problem = parse_text (text, size, limits.max_depth, msg, clear);
    Report r;
    {
      std::lock_guard<std::mutex> g (lock);
      auto it = labels.find (label);
      if (!running || it == labels.end ())
        return;
      LabelState &l = it->second;
      bool logged = text && l.channel.logged;
      auto p = std::make_shared<Payload> ();
      p->from = sender == PIPELINE_TARGET ? PIPELINE : sender;
      if (!problem && text)
        p->text = "{\"seq\":" + std::to_string (l.seq + 1) + ",\"from\":" + json_quote (p->from) +
                  ",\"name\":" + json_quote (name_unlocked (sender)) + ",\"msg\":" + msg + "}";
      else if (!problem)
        p->bytes.reset (bytes ? g_bytes_ref (bytes) : g_bytes_new (nullptr, 0));
      if (problem) {
        refuse_unlocked (sender, l, bad_message, problem, r);
      } else if (logged && !clear &&
                 (l.log.size () >= limits.log_messages ||
                  l.log_bytes + p->text.size () > limits.log_bytes)) {
        refuse_unlocked (sender, l, log_full, "the log is full", r);
      } else {
        if (text)
          l.seq++;
        if (logged && clear) {
          l.log.clear ();
          l.log_bytes = 0;
        }
        stats.relayed++;
        /* Text on a logged label comes back to its sender too. */
        for (auto &m : l.members)
          if (m != sender || logged)
            enqueue_unlocked (target_unlocked (m, label), p, r);
        if (sender != PIPELINE_TARGET || logged)
          enqueue_unlocked (target_unlocked (PIPELINE_TARGET, label), p, r);
        if (logged) {
          l.log.push_back (p);
          l.log_bytes += p->text.size ();
        }
      }
    }
    cv.notify_one ();
    report (r);
  }

  void opened (const std::string &session, const std::string &label)
  {
    {
      std::lock_guard<std::mutex> g (lock);
      auto it = labels.find (label);
      if (!running || it == labels.end () || session == PIPELINE_TARGET ||
          !it->second.members.insert (session).second)
        return;
      /* Before anything live: the log, in order. */
      Target &t = target_unlocked (session, label);
      for (auto &p : it->second.log)
        t.queue.push_back ({p, true, false});
      GST_INFO ("%s joins '%s': %" G_GSIZE_FORMAT " logged messages to replay", session.c_str (),
                label.c_str (), it->second.log.size ());
    }
    cv.notify_one ();
  }

  void closed (const std::string &session, const std::string &label)
  {
    std::lock_guard<std::mutex> g (lock);
    auto it = labels.find (label);
    if (it != labels.end ())
      it->second.members.erase (session);
    auto t = targets.find ({session, label});
    if (t != targets.end () && session != PIPELINE_TARGET)
      remove_target_unlocked (t);
  }

  void forget (const std::string &session)
  {
    if (session == PIPELINE_TARGET)
      return;
    std::lock_guard<std::mutex> g (lock);
    names.erase (session);
    for (auto &kv : labels)
      kv.second.members.erase (session);
    for (auto it = targets.begin (); it != targets.end ();) {
      auto next = std::next (it);
      if (it->first.first == session)
        remove_target_unlocked (it);
      it = next;
    }
  }

  void drained (const std::string &session, const std::string &label)
  {
    {
      std::lock_guard<std::mutex> g (lock);
      auto it = targets.find ({session, label});
      if (it == targets.end () || it->second->blocked_until == 0)
        return;
      it->second->blocked_until = 0;
    }
    cv.notify_one ();
  }

  void report (const Report &r)
  {
    if (r.drop_warning) {
      if (element)
        GST_ELEMENT_WARNING (
            element, RESOURCE, WRITE,
            ("Room data channel messages dropped: %s does not keep up on '%s'",
             r.drop_session.c_str (), r.drop_label.c_str ()),
            ("over the queue limit of a participant (%" G_GSIZE_FORMAT
             " bytes) or of the room (%" G_GSIZE_FORMAT
             " bytes); the participant is told (error \"dropped\") and resyncs by rejoining; "
             "later drops are only counted",
             limits.target_bytes, limits.room_bytes));
      else
        GST_WARNING ("messages dropped for %s on '%s'", r.drop_session.c_str (),
                     r.drop_label.c_str ());
    }
    if (!r.pipeline_refused.empty ()) {
      bool first;
      {
        std::lock_guard<std::mutex> g (lock);
        first = !warned_pipeline;
        warned_pipeline = true;
      }
      if (first && element)
        GST_ELEMENT_WARNING (
            element, STREAM, FORMAT, ("Room data channel: %s", r.pipeline_refused.c_str ()),
            ("text must be one JSON object of at most %" G_GSIZE_FORMAT
             " bytes, nested at most %u deep; binary at most as large; a logged "
             "label takes at most %u messages / %" G_GSIZE_FORMAT " bytes until cleared",
             limits.max_message, limits.max_depth, limits.log_messages, limits.log_bytes));
      else
        GST_WARNING ("%s", r.pipeline_refused.c_str ());
    }
  }

  /* ---- the worker ---- */

  /* The next target to serve after the cursor (each in turn), or nullptr
   * and in @wake the earliest time a FULL one may be tried again. */
  TargetPtr next_unlocked (gint64 now, gint64 &wake)
  {
    auto it = targets.upper_bound (cursor);
    for (size_t n = 0; n < targets.size (); n++, ++it) {
      if (it == targets.end ())
        it = targets.begin ();
      Target &t = *it->second;
      if (t.queue.empty ())
        continue;
      if (t.blocked_until <= now) {
        cursor = it->first;
        return it->second;
      }
      wake = std::min (wake, t.blocked_until);
    }
    return nullptr;
  }

  TrySend send (const Target &t, const Payload &p)
  {
    const gchar *text = p.bytes ? nullptr : p.text.c_str ();
    if (t.session == PIPELINE_TARGET) {
      transport.deliver_local (p.from, t.label, text, p.bytes.get ());
      return TrySend::OK;
    }
    return transport.try_send (t.session, t.label, text, p.bytes.get ());
  }

  void pop_unlocked (Target &t)
  {
    const Queued &q = t.queue.front ();
    if (q.notice) {
      t.notice_queued = false;
    } else if (!q.replay) {
      gsize size = q.payload->size ();
      t.live_bytes -= size;
      room_bytes -= size;
    }
    t.queue.pop_front ();
  }

  void run ()
  {
    std::unique_lock<std::mutex> lk (lock);
    while (running) {
      gint64 now = g_get_monotonic_time (), wake = G_MAXINT64;
      TargetPtr t = next_unlocked (now, wake);
      if (!t) {
        if (wake == G_MAXINT64)
          cv.wait (lk);
        else
          cv.wait_for (lk, std::chrono::microseconds (wake - now));
        continue;
      }
      PayloadPtr p = t->queue.front ().payload;
      lk.unlock ();
      TrySend result = send (*t, *p);
      lk.lock ();
      if (t->gone)
        continue;
      switch (result) {
      case TrySend::TOO_LARGE:
        stats.dropped++;
        /* fall through */
      case TrySend::OK:
        t->blocked_until = 0;
        pop_unlocked (*t);
        break;
      case TrySend::FULL:
        t->blocked_until = g_get_monotonic_time () + (gint64)limits.retry_ms * 1000;
        break;
      case TrySend::GONE:
        GST_DEBUG ("%s's channel '%s' is gone", t->session.c_str (), t->label.c_str ());
        remove_target_unlocked (targets.find ({t->session, t->label}));
        break;
      }
    }
  }

  static gpointer thread_main (gpointer data)
  {
    static_cast<State *> (data)->run ();
    return nullptr;
  }
};

/* ---- RoomData ------------------------------------------------------------ */

RoomData::RoomData (GstElement *element, Transport &transport)
    : RoomData (element, transport, Limits ())
{}

RoomData::RoomData (GstElement *element, Transport &transport, const Limits &limits)
    : state_ (std::make_shared<State> (element, transport, limits))
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_room_data_debug, "rtcroomdata", 0,
                             "webrtcroom's room-wide data channels");
    g_once_init_leave (&once, 1);
  }
}

RoomData::~RoomData ()
{
  stop ();
}

std::vector<RoomData::Channel> RoomData::default_channels ()
{
  Channel board, files;
  board.options.label = "board";
  board.logged = true;
  files.options.label = "files";
  return {board, files};
}

void RoomData::configure (const std::vector<Channel> &channels)
{
  std::lock_guard<std::mutex> g (state_->lock);
  state_->channels.clear ();
  state_->labels.clear ();
  for (auto &c : channels) {
    if (c.options.label.empty () || state_->labels.count (c.options.label))
      continue;
    state_->channels.push_back (c);
    state_->labels[c.options.label].channel = c;
  }
}

std::string RoomData::describe (const std::vector<Channel> &channels)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (auto &c : channels) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "label");
    json_builder_add_string_value (b, c.options.label.c_str ());
    json_builder_set_member_name (b, "ordered");
    json_builder_add_boolean_value (b, c.options.ordered);
    if (c.options.max_retransmits >= 0) {
      json_builder_set_member_name (b, "maxRetransmits");
      json_builder_add_int_value (b, c.options.max_retransmits);
    } else if (c.options.max_packet_lifetime >= 0) {
      json_builder_set_member_name (b, "maxPacketLifeTime");
      json_builder_add_int_value (b, c.options.max_packet_lifetime);
    }
    if (!c.options.protocol.empty ()) {
      json_builder_set_member_name (b, "protocol");
      json_builder_add_string_value (b, c.options.protocol.c_str ());
    }
    json_builder_set_member_name (b, "log");
    json_builder_add_boolean_value (b, c.logged);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *text = json_to_string (root, FALSE);
  return text;
}

void RoomData::start ()
{
  State &s = *state_;
  std::lock_guard<std::mutex> g (s.lock);
  if (s.running)
    return;
  s.targets.clear ();
  s.cursor = Key ();
  s.room_bytes = 0;
  s.stats = Stats ();
  s.warned_drop = s.warned_pipeline = false;
  for (auto &kv : s.labels) {
    LabelState &l = kv.second;
    l = LabelState{l.channel, 0, {}, 0, {}};
    s.target_unlocked (PIPELINE_TARGET, kv.first);
  }
  s.running = true;
  s.worker = g_thread_new ("rtcroom-data", State::thread_main, &s);
}

void RoomData::stop ()
{
  State &s = *state_;
  GThread *worker;
  {
    std::lock_guard<std::mutex> g (s.lock);
    s.running = false;
    worker = s.worker;
    s.worker = nullptr;
  }
  s.cv.notify_all ();
  if (worker)
    g_thread_join (worker);
  std::lock_guard<std::mutex> g (s.lock);
  for (auto &kv : s.targets)
    kv.second->gone = true;
  s.targets.clear ();
  s.room_bytes = 0;
  s.names.clear ();
  for (auto &kv : s.labels) {
    kv.second.log.clear ();
    kv.second.log_bytes = 0;
    kv.second.members.clear ();
  }
}

DataRouter::Relay RoomData::relay ()
{
  std::weak_ptr<State> weak = state_;
  DataRouter::Relay r;
  r.takes = [weak] (const std::string &label) {
    auto s = weak.lock ();
    if (!s)
      return false;
    std::lock_guard<std::mutex> g (s->lock);
    return s->labels.count (label) > 0;
  };
  r.received = [weak] (const std::string &session, const std::string &label, const gchar *text,
                       GBytes *bytes) {
    if (auto s = weak.lock ())
      s->accept (session, label, text, bytes);
  };
  r.opened = [weak] (const std::string &session, const std::string &label) {
    if (auto s = weak.lock ())
      s->opened (session, label);
  };
  r.closed = [weak] (const std::string &session, const std::string &label) {
    if (auto s = weak.lock ())
      s->closed (session, label);
  };
  r.from_pipeline = [weak] (const std::string &label, const gchar *text, GBytes *bytes) {
    if (auto s = weak.lock ())
      s->accept (PIPELINE_TARGET, label, text, bytes);
  };
  r.drained = [weak] (const std::string &session, const std::string &label) {
    if (auto s = weak.lock ())
      s->drained (session, label);
  };
  return r;
}

bool RoomData::takes (const std::string &label) const
{
  std::lock_guard<std::mutex> g (state_->lock);
  return state_->labels.count (label) > 0;
}

void RoomData::received (const std::string &session, const std::string &label, const gchar *text,
                         GBytes *bytes)
{
  if (session != PIPELINE_TARGET)
    state_->accept (session, label, text, bytes);
}

void RoomData::from_pipeline (const std::string &label, const gchar *text, GBytes *bytes)
{
  state_->accept (PIPELINE_TARGET, label, text, bytes);
}

void RoomData::opened (const std::string &session, const std::string &label)
{
  state_->opened (session, label);
}

void RoomData::closed (const std::string &session, const std::string &label)
{
  state_->closed (session, label);
}

void RoomData::drained (const std::string &session, const std::string &label)
{
  state_->drained (session, label);
}

void RoomData::set_name (const std::string &session, const std::string &name)
{
  if (session == PIPELINE_TARGET)
    return;
  std::lock_guard<std::mutex> g (state_->lock);
  state_->names[session] = name;
}

void RoomData::forget (const std::string &session)
{
  state_->forget (session);
}

RoomData::Stats RoomData::stats () const
{
  std::lock_guard<std::mutex> g (state_->lock);
  Stats s = state_->stats;
  s.queued = state_->room_bytes;
  return s;
}

} // namespace rtc

/* See rtcdatarouter.h. */
#include "rtcdatarouter.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "rtcptr.h"

GST_DEBUG_CATEGORY_STATIC (rtc_data_debug);
#define GST_CAT_DEFAULT rtc_data_debug

namespace rtc {

#define SRC_CAPS "application/octet-stream; text/x-raw, format=(string)utf8"

static GstStaticPadTemplate send_template =
    GST_STATIC_PAD_TEMPLATE ("data_send_%s", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate recv_template = GST_STATIC_PAD_TEMPLATE (
    "data_recv_%s", GST_PAD_SRC, GST_PAD_REQUEST, GST_STATIC_CAPS (SRC_CAPS));

/* A drained queue is one a sender may add to; EOS waits this long at most. */
static const gint64 DRAIN_TIMEOUT_US = 10 * G_USEC_PER_SEC;
static const guint DEFAULT_LIMIT = 1024 * 1024;
/* How long an answerer leaves the offerer to open its channels. */
static const guint ANSWERER_GRACE_MS = 1000;

GType data_policy_get_type ()
{
  static gsize type = 0;
  static const GEnumValue values[] = {
      {(gint)DataPolicy::ACCEPT, "Accept every channel the peer opens", "accept"},
      {(gint)DataPolicy::REJECT, "Close every channel the peer opens", "reject"},
      {(gint)DataPolicy::LISTED,
       "Accept only labels the element has (a pad, data-channels, navigation)", "listed"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtcDataChannelPolicy", values));
  return (GType)type;
}

namespace {

enum { SIG_OPENED, SIG_CLOSED, SIG_DATA, SIG_STRING, N_SIGS };

struct PadState {
  GstRtcDataPad *pad; /* owned by the element */
  bool sink;
  std::string label;
  /* sink pads (under Core::lock) */
  bool text = false;
  bool eos = false;
  bool flushing = false;
  bool warned = false;
  GstSegment segment;
  GstClockID clock_id = nullptr; /* while waiting to send a timestamped message */
  /* src pads: messages wait in a queue for the pad's task (webrtcbin's
   * threads must never block on downstream) */
  std::mutex queue_lock; /* guards the members below */
  std::condition_variable queue_cond;
  std::deque<GstBuffer *> queue; /* nullptr = EOS */
  gsize queued_bytes = 0;
  bool queue_flushing = true;
  bool started = false; /* stream-start, caps, segment and gap sent (task only) */
  bool warned_full = false;
  PadState () { gst_segment_init (&segment, GST_FORMAT_TIME); }
  ~PadState ()
  {
    for (GstBuffer *b : queue)
      if (b)
        gst_buffer_unref (b);
  }
};

struct Chan {
  std::weak_ptr<DataRouter::Core> core;
  std::string session;
  std::string label;
  GstWebRTCDataChannel *dc = nullptr; /* owned */
  bool ours = false;
  bool reliable = true;
  /* Bytes handed to webrtcbin (empty messages count 0): EOS waits until
   * the SCTP association took them all (drain). */
  std::atomic<guint64> handed{0};
  /* under Core::lock */
  bool open = false;
  bool gone = false; /* closed or detached */
  guint64 open_order = 0;
  std::vector<gulong> handlers;
  ~Chan ()
  {
    if (dc)
      gst_object_unref (dc);
  }
};
using ChanPtr = std::shared_ptr<Chan>;

struct Session {
  GstElement *webrtcbin = nullptr; /* owned */
  gulong on_channel = 0;
  std::vector<ChanPtr> channels;
  ~Session ()
  {
    if (webrtcbin)
      gst_object_unref (webrtcbin);
  }
};

} // namespace

struct DataRouter::Core {
  GstElement *element; /* not owned: owns us */
  std::string prefix;
  std::mutex lock; /* guards everything below */
  std::condition_variable cv;
  bool running = false;
  DataPolicy policy = DEFAULT_DATA_POLICY;
  std::vector<std::string> labels;
  std::vector<std::pair<DataChannelOptions, DataRouter::Handler>> internal;
  std::vector<std::shared_ptr<PadState>> pads;
  std::map<std::string, std::shared_ptr<Session>> sessions;
  std::function<void ()> sink_eos;
  guint64 open_counter = 0;
  guint signals[N_SIGS] = {0, 0, 0, 0};
  DataRouter *router = nullptr;

  std::shared_ptr<PadState> pad_state (GstPad *pad)
  {
    for (auto &p : pads)
      if (GST_PAD (p->pad) == pad)
        return p;
    return nullptr;
  }
  std::shared_ptr<PadState> pad_for (const std::string &label, bool sink)
  {
    for (auto &p : pads)
      if (p->sink == sink && p->label == label)
        return p;
    return nullptr;
  }
  bool wanted_unlocked (const std::string &label)
  {
    if (pad_for (label, true) || pad_for (label, false))
      return true;
    if (std::find (labels.begin (), labels.end (), label) != labels.end ())
      return true;
    for (auto &i : internal)
      if (i.first.label == label)
        return true;
    return false;
  }
  /* The channel a session sends @label on: the first one that opened. */
  ChanPtr send_channel_unlocked (Session &s, const std::string &label)
  {
    ChanPtr best;
    for (auto &c : s.channels)
      if (c->label == label && c->open && !c->gone && (!best || c->open_order < best->open_order))
        best = c;
    return best;
  }
};

static GQuark router_quark ()
{
  static GQuark q = g_quark_from_static_string ("rtc-data-router");
  return q;
}

static void post_message (DataRouter::Core *core, const char *what, const Chan &c)
{
  std::string name = core->prefix + "-data-channel-" + what;
  GstStructure *s = gst_structure_new (name.c_str (), "session-id", G_TYPE_STRING,
                                       c.session.c_str (), "label", G_TYPE_STRING, c.label.c_str (),
                                       "opened-by", G_TYPE_STRING, c.ours ? "local" : "remote",
                                       "reliable", G_TYPE_BOOLEAN, (gboolean)c.reliable, nullptr);
  gst_element_post_message (core->element, gst_message_new_element (GST_OBJECT (core->element), s));
}

/* ---- channel callbacks (webrtcbin threads) ----------------------------- */

static ChanPtr chan_of (gpointer data)
{
  return *static_cast<ChanPtr *> (data);
}

static void chan_unref (gpointer data, GClosure *)
{
  delete static_cast<ChanPtr *> (data);
}

static void announce (const std::shared_ptr<DataRouter::Core> &core, const ChanPtr &c, bool open)
{
  GST_INFO_OBJECT (core->element, "session %s: data channel '%s' %s (%s)", c->session.c_str (),
                   c->label.c_str (), open ? "open" : "closed", c->ours ? "ours" : "theirs");
  g_signal_emit (core->element, core->signals[open ? SIG_OPENED : SIG_CLOSED], 0,
                 c->session.c_str (), c->label.c_str ());
  post_message (core.get (), open ? "opened" : "closed", *c);
}

static void mark_open (const std::shared_ptr<DataRouter::Core> &core, const ChanPtr &c)
{
  {
    std::lock_guard<std::mutex> g (core->lock);
    if (c->open || c->gone)
      return;
    c->open = true;
    c->open_order = ++core->open_counter;
  }
  announce (core, c, true);
}

static void on_open (GstWebRTCDataChannel *, gpointer data)
{
  ChanPtr c = chan_of (data);
  if (auto core = c->core.lock ())
    mark_open (core, c);
}

static void on_close (GstWebRTCDataChannel *, gpointer data)
{
  ChanPtr c = chan_of (data);
  auto core = c->core.lock ();
  if (!core)
    return;
  bool was_open;
  {
    std::lock_guard<std::mutex> g (core->lock);
    if (c->gone)
      return;
    was_open = c->open;
    c->open = false;
    c->gone = true;
    auto it = core->sessions.find (c->session);
    if (it != core->sessions.end ()) {
      auto &v = it->second->channels;
      v.erase (std::remove (v.begin (), v.end (), c), v.end ());
    }
  }
  core->cv.notify_all ();
  if (was_open)
    announce (core, c, false);
}

static void on_error (GstWebRTCDataChannel *, GError *error, gpointer data)
{
  ChanPtr c = chan_of (data);
  if (auto core = c->core.lock ())
    GST_WARNING_OBJECT (core->element, "session %s: data channel '%s': %s", c->session.c_str (),
                        c->label.c_str (), error ? error->message : "error");
}

static void on_low (GstWebRTCDataChannel *, gpointer data)
{
  ChanPtr c = chan_of (data);
  if (auto core = c->core.lock ()) {
    std::lock_guard<std::mutex> g (core->lock);
    core->cv.notify_all ();
  }
}

static GstClockTime running_time (GstElement *element)
{
  GstClock *clock = gst_element_get_clock (element);
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  GstClockTime now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  GstClockTime base = gst_element_get_base_time (element);
  return now >= base ? now - base : 0;
}

/* The pad's task, first: stream-start, caps (what downstream takes: binary
 * unless only text fits) and a segment; a gap lets what follows preroll
 * before any message arrives. */
static void start_src (GstElement *element, PadState &ps)
{
  GstPad *pad = GST_PAD (ps.pad);
  /* gst_pad_create_stream_id() wants at most one sink pad on the element. */
  gchar *stream_id = g_strdup_printf ("%08x%08x/%s/%s", g_random_int (), g_random_int (),
                                      GST_ELEMENT_NAME (element), GST_PAD_NAME (pad));
  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  CapsPtr templ (gst_pad_get_pad_template_caps (pad));
  CapsPtr peer (gst_pad_peer_query_caps (pad, templ.get ()));
  GstCaps *caps = peer && !gst_caps_is_empty (peer.get ())
                      ? gst_caps_fixate (gst_caps_ref (peer.get ()))
                      : gst_caps_new_empty_simple ("application/octet-stream");
  gst_pad_push_event (pad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
  ps.started = true;
  gst_pad_push_event (pad, gst_event_new_gap (0, GST_CLOCK_TIME_NONE));
}

/* The router state of data pad @pad of element @parent (nullptr when the
 * pad is being released), and the router's core in @core. */
static std::shared_ptr<PadState> pad_state_of (GstPad *pad, GstObject *parent,
                                               DataRouter::Core *&core)
{
  DataRouter *router = parent ? DataRouter::from (GST_ELEMENT (parent)) : nullptr;
  core = router ? router->core_ptr () : nullptr;
  if (!core)
    return nullptr;
  std::lock_guard<std::mutex> g (core->lock);
  return core->pad_state (pad);
}

/* A src pad's streaming thread: pushes what sessions received. */
static void src_loop (gpointer data)
{
  auto ps = static_cast<PadState *> (data);
  GstPad *pad = GST_PAD (ps->pad);
  if (!ps->started) {
    GstObject *parent = gst_pad_get_parent (pad);
    if (parent) {
      start_src (GST_ELEMENT (parent), *ps);
      gst_object_unref (parent);
    }
  }
  GstBuffer *buf;
  {
    std::unique_lock<std::mutex> lk (ps->queue_lock);
    ps->queue_cond.wait (lk, [ps] { return ps->queue_flushing || !ps->queue.empty (); });
    if (ps->queue_flushing) {
      lk.unlock ();
      gst_pad_pause_task (pad);
      return;
    }
    buf = ps->queue.front ();
    ps->queue.pop_front ();
    if (buf)
      ps->queued_bytes -= gst_buffer_get_size (buf);
  }
  if (!buf) {
    gst_pad_push_event (pad, gst_event_new_eos ());
    gst_pad_pause_task (pad);
    return;
  }
  GstFlowReturn ret = gst_pad_push (pad, buf);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_NOT_LINKED && ret != GST_FLOW_FLUSHING)
    GST_WARNING_OBJECT (pad, "push: %s", gst_flow_get_name (ret));
}

/* Messages arrive when the peer sends them and are stamped with the running
 * time of arrival: a live source without latency of its own. */
static gboolean src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static gboolean src_activate_mode (GstPad *pad, GstObject *parent, GstPadMode mode, gboolean active)
{
  DataRouter::Core *core = nullptr;
  std::shared_ptr<PadState> ps = pad_state_of (pad, parent, core);
  if (!ps || mode != GST_PAD_MODE_PUSH)
    return !active;
  {
    std::lock_guard<std::mutex> g (ps->queue_lock);
    ps->queue_flushing = !active;
    if (active) {
      ps->started = false; /* a new stream */
    } else {
      for (GstBuffer *b : ps->queue)
        if (b)
          gst_buffer_unref (b);
      ps->queue.clear ();
      ps->queued_bytes = 0;
    }
  }
  ps->queue_cond.notify_all ();
  if (active)
    return gst_pad_start_task (pad, src_loop, ps.get (), nullptr);
  return gst_pad_stop_task (pad);
}

/* Queues @buf (or EOS when nullptr) for @ps's task; a full queue drops. */
static void enqueue (GstElement *element, PadState &ps, GstBuffer *buf)
{
  guint limit = data_pad_max_queued (ps.pad);
  bool dropped = false, warn = false;
  {
    std::lock_guard<std::mutex> g (ps.queue_lock);
    if (ps.queue_flushing) {
      dropped = buf != nullptr;
    } else if (buf && ps.queued_bytes + gst_buffer_get_size (buf) > limit && !ps.queue.empty ()) {
      dropped = true;
      warn = !ps.warned_full;
      ps.warned_full = true;
    } else {
      ps.queue.push_back (buf);
      if (buf)
        ps.queued_bytes += gst_buffer_get_size (buf);
      buf = nullptr;
    }
  }
  ps.queue_cond.notify_one ();
  if (dropped) {
    data_pad_count (ps.pad, 0, 0, 1);
    gst_buffer_unref (buf);
  }
  if (warn)
    GST_ELEMENT_WARNING (
        element, RESOURCE, WRITE,
        ("Messages for %s dropped: downstream does not keep up", GST_PAD_NAME (ps.pad)),
        ("more than max-queued-bytes (%u) waiting; later drops are counted in "
         "messages-dropped",
         limit));
}

static void push_to_pad (DataRouter::Core *core, PadState &ps, const std::string &session,
                         const gchar *text, GBytes *bytes)
{
  GstBuffer *buf;
  bool newline = data_pad_newline (ps.pad);
  if (text) {
    gsize len = strlen (text);
    buf = gst_buffer_new_allocate (nullptr, len + (newline ? 1 : 0), nullptr);
    gst_buffer_fill (buf, 0, text, len);
    if (newline)
      gst_buffer_memset (buf, len, '\n', 1);
  } else if (!newline) {
    buf = bytes ? gst_buffer_new_wrapped_bytes (bytes) : gst_buffer_new ();
  } else {
    gsize len = 0;
    const void *data = bytes ? g_bytes_get_data (bytes, &len) : nullptr;
    buf = gst_buffer_new_allocate (nullptr, len + 1, nullptr);
    if (len)
      gst_buffer_fill (buf, 0, data, len);
    gst_buffer_memset (buf, len, '\n', 1);
  }
  GstCustomMeta *meta = gst_buffer_add_custom_meta (buf, GST_RTC_DATA_META_NAME);
  gst_structure_set (gst_custom_meta_get_structure (meta), "session-id", G_TYPE_STRING,
                     session.c_str (), "label", G_TYPE_STRING, ps.label.c_str (), "binary",
                     G_TYPE_BOOLEAN, (gboolean)(text == nullptr), nullptr);
  GST_BUFFER_PTS (buf) = running_time (core->element);
  enqueue (core->element, ps, buf);
}

static void deliver (const ChanPtr &c, const gchar *text, GBytes *bytes)
{
  auto core = c->core.lock ();
  if (!core)
    return;
  DataRouter::Handler handler;
  std::shared_ptr<PadState> ps;
  {
    std::lock_guard<std::mutex> g (core->lock);
    if (c->gone)
      return;
    for (auto &i : core->internal)
      if (i.first.label == c->label)
        handler = i.second;
    if (!handler)
      ps = core->pad_for (c->label, false);
  }
  if (handler) {
    handler (*core->router, c->session, text, bytes);
    return;
  }
  if (text)
    g_signal_emit (core->element, core->signals[SIG_STRING], 0, c->session.c_str (),
                   c->label.c_str (), text);
  else
    g_signal_emit (core->element, core->signals[SIG_DATA], 0, c->session.c_str (),
                   c->label.c_str (), bytes);
  if (ps) {
    data_pad_count (ps->pad, 0, 1, 0);
    push_to_pad (core.get (), *ps, c->session, text, bytes);
  }
}

static void on_string (GstWebRTCDataChannel *, const gchar *text, gpointer data)
{
  deliver (chan_of (data), text ? text : "", nullptr);
}

static void on_data (GstWebRTCDataChannel *, GBytes *bytes, gpointer data)
{
  if (bytes) {
    deliver (chan_of (data), nullptr, bytes);
    return;
  }
  GBytes *empty = g_bytes_new (nullptr, 0);
  deliver (chan_of (data), nullptr, empty);
  g_bytes_unref (empty);
}

/* Wraps @dc of @session, connects its signals; the caller adds it. */
static ChanPtr make_chan (const std::shared_ptr<DataRouter::Core> &core, const std::string &session,
                          GstWebRTCDataChannel *dc, bool ours)
{
  auto c = std::make_shared<Chan> ();
  c->core = core;
  c->session = session;
  c->dc = GST_WEBRTC_DATA_CHANNEL (gst_object_ref (dc));
  c->ours = ours;
  gchar *label = nullptr;
  gint rexmit = -1, lifetime = -1;
  g_object_get (dc, "label", &label, "max-retransmits", &rexmit, "max-packet-lifetime", &lifetime,
                nullptr);
  c->label = label ? label : "";
  g_free (label);
  c->reliable = rexmit < 0 && lifetime < 0;
  g_object_set (dc, "buffered-amount-low-threshold", (guint64)DEFAULT_LIMIT / 4, nullptr);
  struct {
    const char *name;
    GCallback cb;
  } sigs[] = {
      {"on-open", G_CALLBACK (on_open)},         {"on-close", G_CALLBACK (on_close)},
      {"on-error", G_CALLBACK (on_error)},       {"on-message-string", G_CALLBACK (on_string)},
      {"on-message-data", G_CALLBACK (on_data)}, {"on-buffered-amount-low", G_CALLBACK (on_low)},
  };
  for (auto &s : sigs)
    c->handlers.push_back (
        g_signal_connect_data (dc, s.name, s.cb, new ChanPtr (c), chan_unref, GConnectFlags (0)));
  return c;
}

static bool is_open (GstWebRTCDataChannel *dc)
{
  GstWebRTCDataChannelState state;
  g_object_get (dc, "ready-state", &state, nullptr);
  return state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN;
}

static void disconnect (const ChanPtr &c)
{
  for (gulong h : c->handlers)
    g_signal_handler_disconnect (c->dc, h);
  c->handlers.clear ();
}

struct SessionRef {
  std::weak_ptr<DataRouter::Core> core;
  std::string id;
};

static void session_ref_free (gpointer data, GClosure *)
{
  delete static_cast<SessionRef *> (data);
}

/* The peer opened a channel. */
static void on_data_channel (GstElement *, GstWebRTCDataChannel *dc, gpointer data)
{
  auto ref = static_cast<SessionRef *> (data);
  auto core = ref->core.lock ();
  if (!core)
    return;
  gchar *label = nullptr;
  g_object_get (dc, "label", &label, nullptr);
  std::string name = label ? label : "";
  g_free (label);
  bool accept;
  {
    std::lock_guard<std::mutex> g (core->lock);
    if (!core->sessions.count (ref->id))
      return;
    bool internal = false;
    for (auto &i : core->internal)
      internal = internal || i.first.label == name;
    accept = internal || core->policy == DataPolicy::ACCEPT ||
             (core->policy == DataPolicy::LISTED && core->wanted_unlocked (name));
  }
  if (!accept) {
    GST_INFO_OBJECT (core->element, "session %s: closing data channel '%s' (policy)",
                     ref->id.c_str (), name.c_str ());
    gst_webrtc_data_channel_close (dc);
    return;
  }
  ChanPtr c = make_chan (core, ref->id, dc, false);
  {
    std::lock_guard<std::mutex> g (core->lock);
    auto it = core->sessions.find (ref->id);
    if (it == core->sessions.end ()) {
      c->gone = true;
    } else {
      it->second->channels.push_back (c);
    }
  }
  if (c->gone) {
    disconnect (c);
    return;
  }
  if (is_open (dc))
    mark_open (core, c);
}

/* ---- sending ----------------------------------------------------------- */

/* Outcome of one send to one channel. */
enum class Sent { OK, DROPPED, TOO_LARGE, CLOSED };

static guint64 max_message_size (GstWebRTCDataChannel *dc)
{
  guint64 max = 0;
  GObject *transport = nullptr;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (dc), "transport"))
    g_object_get (dc, "transport", &transport, nullptr);
  if (transport) {
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (transport), "max-message-size"))
      g_object_get (transport, "max-message-size", &max, nullptr);
    g_object_unref (transport);
  }
  return max;
}

static guint64 buffered (GstWebRTCDataChannel *dc)
{
  guint64 amount = 0;
  g_object_get (dc, "buffered-amount", &amount, nullptr);
  return amount;
}

/* Waits until @c may take more (reliable) or says whether to drop
 * (unreliable). @flushing is the sending pad's flag (nullptr: none). */
static bool wait_for_room (DataRouter::Core *core, const ChanPtr &c, guint limit, PadState *ps)
{
  if (buffered (c->dc) <= limit)
    return true;
  if (!c->reliable)
    return false;
  std::unique_lock<std::mutex> lk (core->lock);
  while (core->running && !c->gone &&
         !(ps && (ps->flushing || GST_PAD_IS_FLUSHING (GST_PAD (ps->pad))))) {
    lk.unlock ();
    bool room = buffered (c->dc) <= limit;
    lk.lock ();
    if (room)
      return true;
    core->cv.wait_for (lk, std::chrono::milliseconds (50));
  }
  return false;
}

static Sent send_one (DataRouter::Core *core, const ChanPtr &c, const gchar *text, GBytes *bytes,
                      guint limit, PadState *ps, std::string &error)
{
  if (!wait_for_room (core, c, limit, ps))
    return c->reliable ? Sent::CLOSED : Sent::DROPPED;
  GError *err = nullptr;
  gboolean ok = text ? gst_webrtc_data_channel_send_string_full (c->dc, text, &err)
                     : gst_webrtc_data_channel_send_data_full (c->dc, bytes, &err);
  if (ok) {
    c->handed += text ? strlen (text) : (bytes ? g_bytes_get_size (bytes) : 0);
    return Sent::OK;
  }
  Sent result = Sent::CLOSED;
  /* GST_WEBRTC_ERROR: the 1.22 header declares its quark function without C
   * linkage, so ask for the quark by name. */
  static const GQuark webrtc_error = g_quark_from_static_string ("gst-webrtc-error-quark");
  if (err && err->domain == webrtc_error && err->code == GST_WEBRTC_ERROR_TYPE_ERROR) {
    gsize size = text ? strlen (text) : (bytes ? g_bytes_get_size (bytes) : 0);
    error = "a message of " + std::to_string (size) +
            " bytes is larger than the maximum message size of session " + c->session + " (" +
            std::to_string (max_message_size (c->dc)) + " bytes); send smaller messages";
    result = Sent::TOO_LARGE;
  } else {
    error = err ? err->message : "the channel is closed";
  }
  g_clear_error (&err);
  return result;
}

/* The channels a message to @label goes to (every session, or @session). */
static std::vector<ChanPtr> targets (DataRouter::Core *core, const gchar *session,
                                     const std::string &label)
{
  std::vector<ChanPtr> out;
  std::lock_guard<std::mutex> g (core->lock);
  for (auto &kv : core->sessions) {
    if (session && kv.first != session)
      continue;
    if (ChanPtr c = core->send_channel_unlocked (*kv.second, label))
      out.push_back (c);
  }
  return out;
}

struct MappedBuffer {
  GstBuffer *buffer;
  GstMapInfo map;
};

static void mapped_free (gpointer data)
{
  auto m = static_cast<MappedBuffer *> (data);
  gst_buffer_unmap (m->buffer, &m->map);
  gst_buffer_unref (m->buffer);
  delete m;
}

/* With sync, a timestamped message leaves at its running time (a
 * subtitle file goes out with the video it belongs to, not all at once).
 * False when flushing or stopping. */
static bool wait_clock (DataRouter::Core *core, PadState &ps, GstBuffer *buffer)
{
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  if (!data_pad_sync (ps.pad) || !GST_CLOCK_TIME_IS_VALID (pts))
    return true;
  GstClockTime rt;
  {
    std::lock_guard<std::mutex> g (core->lock);
    rt = gst_segment_to_running_time (&ps.segment, GST_FORMAT_TIME, pts);
  }
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return true;
  /* Prerolling: running time starts with PLAYING. */
  {
    std::unique_lock<std::mutex> lk (core->lock);
    while (GST_STATE (core->element) != GST_STATE_PLAYING) {
      if (!core->running || ps.flushing)
        return false;
      core->cv.wait_for (lk, std::chrono::milliseconds (50));
    }
  }
  GstClock *clock = gst_element_get_clock (core->element);
  if (!clock)
    return true;
  GstClockID id =
      gst_clock_new_single_shot_id (clock, gst_element_get_base_time (core->element) + rt);
  gst_object_unref (clock);
  {
    std::lock_guard<std::mutex> g (core->lock);
    if (!core->running || ps.flushing) {
      gst_clock_id_unref (id);
      return false;
    }
    ps.clock_id = id;
  }
  GstClockReturn ret = gst_clock_id_wait (id, nullptr);
  {
    std::lock_guard<std::mutex> g (core->lock);
    ps.clock_id = nullptr;
  }
  gst_clock_id_unref (id);
  return ret != GST_CLOCK_UNSCHEDULED;
}

/* Under the lock: wakes @ps out of wait_clock(). */
static void unschedule (PadState &ps)
{
  if (ps.clock_id)
    gst_clock_id_unschedule (ps.clock_id);
}

static GstFlowReturn sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  DataRouter::Core *core = nullptr;
  std::shared_ptr<PadState> ps = pad_state_of (pad, parent, core);
  if (!ps) {
    gst_buffer_unref (buffer);
    return GST_FLOW_FLUSHING;
  }
  auto dpad = GST_RTC_DATA_PAD (pad);
  if (!wait_clock (core, *ps, buffer)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_FLUSHING;
  }
  auto m = new MappedBuffer{buffer, GST_MAP_INFO_INIT};
  if (!gst_buffer_map (buffer, &m->map, GST_MAP_READ)) {
    delete m;
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  CharPtr text;
  if (ps->text) {
    const gchar *end = nullptr;
    if (!g_utf8_validate ((const gchar *)m->map.data, m->map.size, &end) ||
        memchr (m->map.data, 0, m->map.size)) {
      data_pad_count (dpad, 0, 0, 1);
      GST_ELEMENT_WARNING (core->element, STREAM, FORMAT,
                           ("Dropped a message on %s: not valid UTF-8 text", GST_PAD_NAME (pad)),
                           ("the pad's caps are text/x-raw; use other caps to send binary"));
      mapped_free (m);
      return GST_FLOW_OK;
    }
    text.reset (g_strndup ((const gchar *)m->map.data, m->map.size));
    mapped_free (m);
    m = nullptr;
  }
  GBytes *bytes =
      m ? g_bytes_new_with_free_func (m->map.data, m->map.size, mapped_free, m) : nullptr;
  guint limit = data_pad_max_buffered (dpad);
  guint64 sent = 0, dropped = 0;
  auto chans = targets (core, nullptr, ps->label);
  GST_LOG_OBJECT (pad, "%" G_GSIZE_FORMAT " bytes to %" G_GSIZE_FORMAT " sessions",
                  gst_buffer_get_size (buffer), chans.size ());
  for (auto &c : chans) {
    std::string error;
    switch (send_one (core, c, text.get (), bytes, limit, ps.get (), error)) {
    case Sent::OK:
      sent++;
      break;
    case Sent::DROPPED:
      dropped++;
      break;
    case Sent::TOO_LARGE: {
      dropped++;
      bool first;
      {
        std::lock_guard<std::mutex> g (core->lock);
        first = !ps->warned;
        ps->warned = true;
      }
      if (first)
        GST_ELEMENT_WARNING (core->element, RESOURCE, WRITE,
                             ("Message on %s not sent: %s", GST_PAD_NAME (pad), error.c_str ()),
                             ("later messages too large are counted in messages-dropped"));
      else
        GST_WARNING_OBJECT (pad, "%s", error.c_str ());
      break;
    }
    case Sent::CLOSED:
      GST_DEBUG_OBJECT (pad, "session %s: %s", c->session.c_str (), error.c_str ());
      break;
    }
  }
  if (bytes)
    g_bytes_unref (bytes);
  data_pad_count (dpad, sent, 0, dropped);
  bool flushing;
  {
    std::lock_guard<std::mutex> g (core->lock);
    flushing = ps->flushing || !core->running;
  }
  return flushing ? GST_FLOW_FLUSHING : GST_FLOW_OK;
}

/* The sctpenc inside @webrtcbin, once the association exists. */
static ObjectPtr<GstElement> sctpenc_of (GstElement *webrtcbin)
{
  ObjectPtr<GstElement> found;
  if (!webrtcbin || !GST_IS_BIN (webrtcbin))
    return found;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (webrtcbin));
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto e = GST_ELEMENT (g_value_get_object (&item));
    GstElementFactory *f = gst_element_get_factory (e);
    if (f && g_str_equal (GST_OBJECT_NAME (f), "sctpenc"))
      found = ref_object (e);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

/* Whether what was handed to @c left webrtcbin's queue and its sctpenc:
 * buffered-amount drops when a message leaves the queue, before sctpenc
 * gave it to the association (and a full association blocks it there). */
static bool taken_by_sctp (const ChanPtr &c, GstElement *sctpenc)
{
  if (buffered (c->dc) != 0)
    return false;
  gint id = -1;
  g_object_get (c->dc, "id", &id, nullptr);
  if (!sctpenc || id < 0)
    return true; /* nothing to ask: buffered-amount is all we know */
  guint64 sent = 0;
  g_signal_emit_by_name (sctpenc, "bytes-sent", (guint)id, &sent);
  GST_LOG ("channel %s/%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes in the association",
           c->session.c_str (), c->label.c_str (), sent, c->handed.load ());
  return sent >= c->handed;
}

/* EOS: wait until every session took what was queued for this label. */
static void drain (DataRouter::Core *core, PadState &ps)
{
  gint64 end = g_get_monotonic_time () + DRAIN_TIMEOUT_US;
  for (auto &c : targets (core, nullptr, ps.label)) {
    ObjectPtr<GstElement> webrtcbin;
    {
      std::lock_guard<std::mutex> g (core->lock);
      auto it = core->sessions.find (c->session);
      if (it != core->sessions.end ())
        webrtcbin = ref_object (it->second->webrtcbin);
    }
    /* Walked without our lock: the bin takes its own. */
    ObjectPtr<GstElement> enc = sctpenc_of (webrtcbin.get ());
    std::unique_lock<std::mutex> lk (core->lock);
    while (core->running && !c->gone && !ps.flushing && !GST_PAD_IS_FLUSHING (GST_PAD (ps.pad)) &&
           g_get_monotonic_time () < end) {
      lk.unlock ();
      bool taken = taken_by_sctp (c, enc.get ());
      lk.lock ();
      if (taken)
        break;
      core->cv.wait_for (lk, std::chrono::milliseconds (20));
    }
  }
}

static gboolean sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  DataRouter::Core *core = nullptr;
  std::shared_ptr<PadState> ps = pad_state_of (pad, parent, core);
  if (!ps) {
    gst_event_unref (event);
    return FALSE;
  }
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_CAPS: {
    GstCaps *caps;
    gst_event_parse_caps (event, &caps);
    bool text = gst_structure_has_name (gst_caps_get_structure (caps, 0), "text/x-raw");
    std::lock_guard<std::mutex> g (core->lock);
    ps->text = text;
    break;
  }
  case GST_EVENT_FLUSH_START: {
    std::lock_guard<std::mutex> g (core->lock);
    ps->flushing = true;
    unschedule (*ps);
    core->cv.notify_all ();
    break;
  }
  case GST_EVENT_FLUSH_STOP:
  case GST_EVENT_STREAM_START: {
    std::lock_guard<std::mutex> g (core->lock);
    ps->flushing = false;
    ps->eos = false;
    if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
      gst_segment_init (&ps->segment, GST_FORMAT_TIME);
    break;
  }
  case GST_EVENT_SEGMENT: {
    std::lock_guard<std::mutex> g (core->lock);
    gst_event_copy_segment (event, &ps->segment);
    break;
  }
  case GST_EVENT_EOS: {
    drain (core, *ps);
    std::function<void ()> cb;
    {
      std::lock_guard<std::mutex> g (core->lock);
      ps->eos = true;
      cb = core->sink_eos;
    }
    GST_INFO_OBJECT (pad, "end of stream, drained");
    if (cb)
      cb ();
    break;
  }
  default:
    break;
  }
  gst_event_unref (event);
  return TRUE;
}

/* ---- element API --------------------------------------------------------- */

static gboolean action_send (GstElement *element, const gchar *session, const gchar *label,
                             const gchar *text, GBytes *bytes)
{
  DataRouter *router = DataRouter::from (element);
  if (!router || !label)
    return FALSE;
  std::string error;
  if (router->send (session, label, text, bytes, error))
    return TRUE;
  GST_INFO_OBJECT (element, "send on '%s': %s", label, error.c_str ());
  return FALSE;
}

static gboolean action_send_data (GstElement *element, const gchar *session, const gchar *label,
                                  GBytes *data)
{
  return action_send (element, session, label, nullptr, data);
}

static gboolean action_send_string (GstElement *element, const gchar *session, const gchar *label,
                                    const gchar *text)
{
  return action_send (element, session, label, text ? text : "", nullptr);
}

void DataRouter::install (GstElementClass *klass)
{
  GType type = G_TYPE_FROM_CLASS (klass);
  gst_element_class_add_static_pad_template (klass, &send_template);
  gst_element_class_add_static_pad_template (klass, &recv_template);
  /**
   * data-channel-opened:
   * @session_id: the session
   * @label: the channel's label
   *
   * A data channel of a session opened (ours or the peer's). Emitted on a
   * webrtcbin thread.
   */
  g_signal_new ("data-channel-opened", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * data-channel-closed:
   * @session_id: the session
   * @label: the channel's label
   *
   * A data channel closed, or its session ended.
   */
  g_signal_new ("data-channel-closed", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * data-received:
   * @session_id: the sender
   * @label: the channel's label
   * @data: the binary message
   *
   * Emitted on a webrtcbin thread for each binary message; must not block
   * for long.
   */
  g_signal_new ("data-received", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE,
                3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES);
  /**
   * string-received:
   * @session_id: the sender
   * @label: the channel's label
   * @text: the text message
   */
  g_signal_new ("string-received", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * send-data:
   * @session_id: (nullable): one session, or NULL for all
   * @label: the channel's label
   * @data: the message
   *
   * Sends a binary message. Blocks while a reliable channel has more than
   * max-buffered-bytes queued (1 MiB, or the data_send_<label> pad's).
   * Returns: TRUE when every targeted channel took it.
   */
  g_signal_new_class_handler ("send-data", type, GSignalFlags (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                              G_CALLBACK (action_send_data), nullptr, nullptr, nullptr,
                              G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES);
  /**
   * send-string:
   * @session_id: (nullable): one session, or NULL for all
   * @label: the channel's label
   * @text: the message
   *
   * Sends a text message, as send-data.
   */
  g_signal_new_class_handler ("send-string", type,
                              GSignalFlags (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                              G_CALLBACK (action_send_string), nullptr, nullptr, nullptr,
                              G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  gst_type_mark_as_plugin_api (GST_TYPE_RTC_DATA_PAD, (GstPluginAPIFlags)0);
  gst_type_mark_as_plugin_api (data_policy_get_type (), (GstPluginAPIFlags)0);
}

static GstChildProxyInterface *parent_child_proxy = nullptr;

/* Data pads are children too, so that gst-launch-1.0 sets their
 * properties ("name.data_send_x::ordered=false" or, on the element,
 * "data_send_x::ordered=false") once the pad exists. */
static GObject *child_by_name (GstChildProxy *proxy, const gchar *name)
{
  bool sink;
  std::string label;
  if (parse_data_pad_name (name, sink, label)) {
    if (GstPad *pad = gst_element_get_static_pad (GST_ELEMENT (proxy), name))
      return G_OBJECT (pad);
  }
  if (parent_child_proxy && parent_child_proxy->get_child_by_name)
    return parent_child_proxy->get_child_by_name (proxy, name);
  GstElement *child = gst_bin_get_by_name (GST_BIN (proxy), name);
  return child ? G_OBJECT (child) : nullptr;
}

void DataRouter::child_proxy_init (gpointer g_iface, gpointer)
{
  auto iface = static_cast<GstChildProxyInterface *> (g_iface);
  parent_child_proxy = static_cast<GstChildProxyInterface *> (g_type_interface_peek_parent (iface));
  iface->get_child_by_name = child_by_name;
}

/* ---- DataRouter -------------------------------------------------------- */

DataRouter::DataRouter (GstElement *element, const char *prefix) : core_ (std::make_shared<Core> ())
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_data_debug, "rtcdata", 0, "Data channels of an element");
    g_once_init_leave (&once, 1);
  }
  core_->element = element;
  core_->prefix = prefix;
  core_->router = this;
  static const char *names[N_SIGS] = {"data-channel-opened", "data-channel-closed", "data-received",
                                      "string-received"};
  for (int i = 0; i < N_SIGS; i++)
    core_->signals[i] = g_signal_lookup (names[i], G_OBJECT_TYPE (element));
  g_object_set_qdata (G_OBJECT (element), router_quark (), this);
}

DataRouter::~DataRouter ()
{
  stop ();
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    for (auto &kv : core_->sessions)
      ids.push_back (kv.first);
  }
  for (auto &id : ids)
    detach (id);
  g_object_set_qdata (G_OBJECT (core_->element), router_quark (), nullptr);
}

DataRouter *DataRouter::from (GstElement *element)
{
  return static_cast<DataRouter *> (g_object_get_qdata (G_OBJECT (element), router_quark ()));
}

void DataRouter::configure (DataPolicy policy, const std::string &labels)
{
  std::vector<std::string> list;
  g_auto (GStrv) parts = g_strsplit (labels.c_str (), ",", -1);
  for (guint i = 0; parts[i]; i++) {
    gchar *l = g_strstrip (parts[i]);
    if (*l)
      list.push_back (l);
  }
  std::lock_guard<std::mutex> g (core_->lock);
  core_->policy = policy;
  core_->labels = list;
  core_->internal.clear ();
}

void DataRouter::add_internal (const DataChannelOptions &options, Handler handler)
{
  std::lock_guard<std::mutex> g (core_->lock);
  for (auto &i : core_->internal)
    if (i.first.label == options.label)
      return;
  core_->internal.push_back ({options, std::move (handler)});
}

bool DataRouter::is_data_template (GstPadTemplate *templ)
{
  return g_str_has_prefix (templ->name_template, "data_");
}

GstPad *DataRouter::request_pad (GstPadTemplate *templ, const gchar *name)
{
  bool sink;
  std::string label;
  if (!parse_data_pad_name (name, sink, label) || sink != (templ->direction == GST_PAD_SINK)) {
    GST_WARNING_OBJECT (core_->element,
                        "data pads are requested by name: data_send_<label> or data_recv_<label>");
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> g (core_->lock);
    if (core_->pad_for (label, sink)) {
      GST_WARNING_OBJECT (core_->element, "there is a pad %s already", name);
      return nullptr;
    }
  }
  GstPad *pad = GST_PAD (g_object_new (GST_TYPE_RTC_DATA_PAD, "name", name, "direction",
                                       templ->direction, "template", templ, nullptr));
  if (sink) {
    gst_pad_set_chain_function (pad, sink_chain);
    gst_pad_set_event_function (pad, sink_event);
  } else {
    gst_pad_set_activatemode_function (pad, src_activate_mode);
    gst_pad_set_query_function (pad, src_query);
  }
  auto ps = std::make_shared<PadState> ();
  ps->pad = GST_RTC_DATA_PAD (pad);
  ps->sink = sink;
  ps->label = label;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    core_->pads.push_back (ps);
  }
  if (GST_STATE (core_->element) > GST_STATE_READY)
    gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (core_->element, pad);
  if (GST_IS_CHILD_PROXY (core_->element))
    gst_child_proxy_child_added (GST_CHILD_PROXY (core_->element), G_OBJECT (pad), name);
  return pad;
}

bool DataRouter::release_pad (GstPad *pad)
{
  {
    std::lock_guard<std::mutex> g (core_->lock);
    auto it = std::find_if (
        core_->pads.begin (), core_->pads.end (),
        [pad] (const std::shared_ptr<PadState> &p) { return GST_PAD (p->pad) == pad; });
    if (it == core_->pads.end ())
      return false;
    (*it)->flushing = true;
    unschedule (**it);
    core_->pads.erase (it);
    core_->cv.notify_all ();
  }
  gst_pad_set_active (pad, FALSE);
  if (GST_IS_CHILD_PROXY (core_->element))
    gst_child_proxy_child_removed (GST_CHILD_PROXY (core_->element), G_OBJECT (pad),
                                   GST_PAD_NAME (pad));
  gst_element_remove_pad (core_->element, pad);
  return true;
}

std::vector<DataChannelOptions> DataRouter::wanted ()
{
  std::vector<DataChannelOptions> out;
  std::vector<std::shared_ptr<PadState>> pads;
  std::vector<std::string> labels;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    pads = core_->pads;
    labels = core_->labels;
    for (auto &i : core_->internal)
      out.push_back (i.first);
  }
  auto have = [&out] (const std::string &l) {
    return std::any_of (out.begin (), out.end (),
                        [&l] (const DataChannelOptions &o) { return o.label == l; });
  };
  /* A sink pad's options win over its src twin's. */
  std::stable_partition (pads.begin (), pads.end (),
                         [] (const std::shared_ptr<PadState> &p) { return p->sink; });
  for (auto &p : pads)
    if (!have (p->label))
      out.push_back (data_pad_options (p->pad));
  for (auto &l : labels) {
    if (have (l))
      continue;
    DataChannelOptions o;
    o.label = l;
    out.push_back (o);
  }
  return out;
}

void DataRouter::attach (const std::string &id, GstElement *webrtcbin)
{
  auto s = std::make_shared<Session> ();
  s->webrtcbin = GST_ELEMENT (gst_object_ref (webrtcbin));
  s->on_channel =
      g_signal_connect_data (webrtcbin, "on-data-channel", G_CALLBACK (on_data_channel),
                             new SessionRef{core_, id}, session_ref_free, GConnectFlags (0));
  std::lock_guard<std::mutex> g (core_->lock);
  core_->sessions[id] = s;
}

void DataRouter::open_channels (const std::string &id)
{
  std::shared_ptr<Session> s;
  std::vector<DataChannelOptions> missing;
  std::vector<DataChannelOptions> all = wanted ();
  {
    std::lock_guard<std::mutex> g (core_->lock);
    auto it = core_->sessions.find (id);
    if (it == core_->sessions.end ())
      return;
    s = it->second;
    for (auto &o : all) {
      bool have = std::any_of (s->channels.begin (), s->channels.end (),
                               [&o] (const ChanPtr &c) { return c->label == o.label; });
      if (!have)
        missing.push_back (o);
    }
  }
  for (auto &o : missing) {
    GstStructure *opts = o.to_structure ();
    GstWebRTCDataChannel *dc = nullptr;
    g_signal_emit_by_name (s->webrtcbin, "create-data-channel", o.label.c_str (), opts, &dc);
    gst_structure_free (opts);
    if (!dc) {
      GST_ELEMENT_WARNING (
          core_->element, RESOURCE, FAILED,
          ("Could not open data channel '%s' to session %s", o.label.c_str (), id.c_str ()),
          ("webrtcbin refused the options (ordered, max-retransmits, "
           "max-packet-lifetime, negotiated-id)"));
      continue;
    }
    ChanPtr c = make_chan (core_, id, dc, true);
    gst_object_unref (dc);
    bool gone;
    {
      std::lock_guard<std::mutex> g (core_->lock);
      gone = !core_->sessions.count (id);
      if (!gone)
        s->channels.push_back (c);
      c->gone = gone;
    }
    if (gone) {
      disconnect (c);
      continue;
    }
    if (is_open (c->dc))
      mark_open (core_, c);
  }
}

void DataRouter::prepare_offer (const std::string &id, PeerSession::Config &config)
{
  if (wanted ().empty ())
    return;
  config.before_offer = [this, id] () {
    open_channels (id);
  };
}

void DataRouter::connected (const std::string &id, const PeerSession &peer, ControlThread &control)
{
  if (!peer.remote_has_data () || wanted ().empty ())
    return;
  /* Both sides opening a label at once would make two channels. */
  control.after (ANSWERER_GRACE_MS, [this, id] () { open_channels (id); });
}

void DataRouter::detach (const std::string &id)
{
  std::shared_ptr<Session> s;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    auto it = core_->sessions.find (id);
    if (it == core_->sessions.end ())
      return;
    s = it->second;
    core_->sessions.erase (it);
  }
  g_signal_handler_disconnect (s->webrtcbin, s->on_channel);
  std::vector<ChanPtr> announced;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    for (auto &c : s->channels) {
      if (c->open)
        announced.push_back (c);
      c->open = false;
      c->gone = true;
    }
  }
  core_->cv.notify_all ();
  for (auto &c : s->channels)
    disconnect (c);
  for (auto &c : announced)
    announce (core_, c, false);
}

bool DataRouter::send (const gchar *session, const std::string &label, const gchar *text,
                       GBytes *bytes, std::string &error)
{
  guint limit = DEFAULT_LIMIT;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    if (!core_->running) {
      error = "the element is not running";
      return false;
    }
    if (auto ps = core_->pad_for (label, true))
      limit = data_pad_max_buffered (ps->pad);
  }
  auto chans = targets (core_.get (), session, label);
  if (chans.empty ()) {
    error = "no open data channel '" + label + "'" +
            (session ? std::string (" to session ") + session : std::string ());
    return false;
  }
  bool all = true;
  for (auto &c : chans) {
    std::string why;
    Sent r = send_one (core_.get (), c, text, bytes, limit, nullptr, why);
    if (r == Sent::TOO_LARGE)
      GST_ELEMENT_WARNING (
          core_->element, RESOURCE, WRITE,
          ("Message on data channel '%s' not sent: %s", label.c_str (), why.c_str ()), (nullptr));
    if (r != Sent::OK) {
      all = false;
      error = r == Sent::DROPPED ? "the unreliable channel to session " + c->session +
                                       " is over its buffer limit; message dropped"
                                 : why;
    }
  }
  return all;
}

void DataRouter::start ()
{
  std::lock_guard<std::mutex> g (core_->lock);
  core_->running = true;
  for (auto &p : core_->pads)
    p->eos = false;
}

void DataRouter::stop ()
{
  std::lock_guard<std::mutex> g (core_->lock);
  core_->running = false;
  for (auto &p : core_->pads)
    unschedule (*p);
  core_->cv.notify_all ();
}

void DataRouter::close_all (guint timeout_ms)
{
  std::vector<ChanPtr> chans;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    for (auto &kv : core_->sessions)
      for (auto &c : kv.second->channels)
        chans.push_back (c);
  }
  for (auto &c : chans)
    gst_webrtc_data_channel_close (c->dc);
  auto until = std::chrono::steady_clock::now () + std::chrono::milliseconds (timeout_ms);
  std::unique_lock<std::mutex> lk (core_->lock);
  bool all = core_->cv.wait_until (lk, until, [&chans] {
    return std::all_of (chans.begin (), chans.end (), [] (const ChanPtr &c) { return c->gone; });
  });
  GST_INFO_OBJECT (core_->element, "closed %zu data channels%s", chans.size (),
                   all ? "" : " (some peers did not answer in time)");
}

void DataRouter::push_eos ()
{
  std::vector<std::shared_ptr<PadState>> pads;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    pads = core_->pads;
  }
  for (auto &p : pads)
    if (!p->sink)
      enqueue (core_->element, *p, nullptr);
}

bool DataRouter::sinks_ended ()
{
  std::lock_guard<std::mutex> g (core_->lock);
  for (auto &p : core_->pads)
    if (p->sink && !p->eos)
      return false;
  return true;
}

void DataRouter::set_sink_eos_callback (std::function<void ()> cb)
{
  std::lock_guard<std::mutex> g (core_->lock);
  core_->sink_eos = std::move (cb);
}

} // namespace rtc

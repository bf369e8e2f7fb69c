/* See rtcdatarouter.h: sessions and their channels, policy, pads, signals.
 * The sending direction is in rtcdatasend.cpp, the receiving one in
 * rtcdatarecv.cpp; what they share (and the threading rules) in
 * rtcdatarouterprivate.h. */
#include "rtcdatarouterprivate.h"
#include "rtcdebug.h"

#include <chrono>

namespace rtc {

RTC_DEBUG_CATEGORY_FUNCTION (data_category, "rtcdata", "Data channels of an element")

using namespace data_router;

#define SRC_CAPS "application/octet-stream; text/x-raw, format=(string)utf8"

static GstStaticPadTemplate send_template =
    GST_STATIC_PAD_TEMPLATE ("data_send_%s", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate recv_template = GST_STATIC_PAD_TEMPLATE (
    "data_recv_%s", GST_PAD_SRC, GST_PAD_REQUEST, GST_STATIC_CAPS (SRC_CAPS));

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

/* Tells the relay (when it takes the label) that @c's session has its
 * channel @c->label open, or no more (callers skip it while a twin of
 * the same label is open). */
static void tell_relay (const std::shared_ptr<const DataRouter::Relay> &relay, const Chan &c,
                        bool open)
{
  if (auto r = relay_taking (relay, c.label))
    (open ? r->opened : r->closed) (c.session, c.label);
}

static void mark_open (const std::shared_ptr<DataRouter::Core> &core, const ChanPtr &c)
{
  bool twin;
  std::shared_ptr<const DataRouter::Relay> relay;
  {
    std::lock_guard<std::mutex> g (core->lock);
    if (c->open || c->gone)
      return;
    twin = core->twin_open_unlocked (*c);
    c->open = true;
    c->open_order = ++core->open_counter;
    relay = core->relay;
  }
  announce (core, c, true);
  if (!twin)
    tell_relay (relay, *c, true);
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
  bool was_open, twin;
  std::shared_ptr<const DataRouter::Relay> relay;
  {
    std::lock_guard<std::mutex> g (core->lock);
    if (c->gone)
      return;
    was_open = c->open;
    c->open = false;
    c->gone = true;
    twin = core->twin_open_unlocked (*c);
    relay = core->relay;
    auto it = core->sessions.find (c->session);
    if (it != core->sessions.end ()) {
      auto &v = it->second->channels;
      v.erase (std::remove (v.begin (), v.end (), c), v.end ());
    }
  }
  core->cv.notify_all ();
  if (was_open)
    announce (core, c, false);
  if (was_open && !twin)
    tell_relay (relay, *c, false);
}

static void on_error (GstWebRTCDataChannel *, GError *error, gpointer data)
{
  ChanPtr c = chan_of (data);
  if (auto core = c->core.lock ())
    GST_WARNING_OBJECT (core->element, "session %s: data channel '%s': %s", c->session.c_str (),
                        c->label.c_str (), error ? error->message : "error");
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

/* GStreamer 1.22's data channel removes the probe on its appsrc's pad in
 * finalize without waiting for a call of it running on the appsrc's
 * streaming thread (webrtcdatachannel.c, on_appsrc_data): a channel whose
 * last reference goes while its appsrc still pushes (the peer closed it and
 * webrtcbin dropped it, or we let go of it when a session ends before its
 * webrtcbin stopped) has that call use a freed channel (CI:
 * "invalid unclassed pointer in cast to 'GObject'" in webrtcdata_control).
 * webrtcbin keeps a closed channel's elements until it is disposed anyway;
 * this keeps the channel as long: released with @webrtcbin, stopped by
 * then. */
static void keep_with_webrtcbin (GstElement *webrtcbin, GstWebRTCDataChannel *dc)
{
  static std::mutex lock;
  std::lock_guard<std::mutex> g (lock);
  auto kept = static_cast<GPtrArray *> (g_object_get_data (G_OBJECT (webrtcbin), "rtc-channels"));
  if (!kept) {
    kept = g_ptr_array_new_with_free_func (gst_object_unref);
    g_object_set_data_full (G_OBJECT (webrtcbin), "rtc-channels", kept,
                            (GDestroyNotify)g_ptr_array_unref);
  }
  g_ptr_array_add (kept, gst_object_ref (dc));
}

/* The peer opened a channel. */
static void on_data_channel (GstElement *webrtcbin, GstWebRTCDataChannel *dc, gpointer data)
{
  keep_with_webrtcbin (webrtcbin, dc);
  auto ref = static_cast<SessionRef *> (data);
  auto core = ref->core.lock ();
  if (!core)
    return;
  gchar *label = nullptr;
  g_object_get (dc, "label", &label, nullptr);
  std::string name = label ? label : "";
  g_free (label);
  const char *refused = nullptr;
  guint max = 0;
  {
    std::lock_guard<std::mutex> g (core->lock);
    auto it = core->sessions.find (ref->id);
    if (it == core->sessions.end ())
      return;
    bool internal = false;
    for (auto &i : core->internal)
      internal = internal || i.first.label == name;
    guint theirs = 0;
    for (auto &c : it->second->channels)
      theirs += !c->ours;
    max = core->max_peer_channels;
    if (name.size () > MAX_DATA_CHANNEL_LABEL)
      refused = "its label is too long";
    else if (!(internal || core->policy == DataPolicy::ACCEPT ||
               (core->policy == DataPolicy::LISTED && core->listed_unlocked (name))))
      refused = "data-channel-policy";
    else if (max > 0 && theirs >= max)
      refused = "max-data-channels";
  }
  if (refused) {
    /* (The label is the peer's: at most its first 64 bytes are logged.) */
    std::string shown = name.substr (0, 64) + (name.size () > 64 ? "..." : "");
    if (g_str_equal (refused, "max-data-channels"))
      GST_WARNING_OBJECT (core->element,
                          "session %s: closing data channel '%s': the peer has %u open already "
                          "(max-data-channels)",
                          ref->id.c_str (), shown.c_str (), max);
    else
      GST_INFO_OBJECT (core->element, "session %s: closing data channel '%s' (%s)",
                       ref->id.c_str (), shown.c_str (), refused);
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

/* ---- element API --------------------------------------------------------- */

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
   * Emitted on a webrtcbin thread for each binary message (webrtcroom's
   * room-wide channels: on the room's data thread); must not block for
   * long.
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

void DataRouter::configure (DataPolicy policy, const std::string &labels, guint max_peer_channels)
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
  core_->max_peer_channels = max_peer_channels;
  core_->labels = list;
  core_->accepted.clear ();
  core_->internal.clear ();
}

void DataRouter::also_accept (const std::vector<std::string> &labels)
{
  std::lock_guard<std::mutex> g (core_->lock);
  core_->accepted = labels;
}

void DataRouter::add_internal (const DataChannelOptions &options, Handler handler)
{
  std::lock_guard<std::mutex> g (core_->lock);
  for (auto &i : core_->internal)
    if (i.first.label == options.label)
      return;
  core_->internal.push_back ({options, std::move (handler)});
}

std::shared_ptr<PadState> data_router::pad_state_of (GstPad *pad, GstObject *parent,
                                                     DataRouter::Core *&core)
{
  DataRouter *router = parent ? DataRouter::from (GST_ELEMENT (parent)) : nullptr;
  core = router ? router->core_ptr () : nullptr;
  if (!core)
    return nullptr;
  std::lock_guard<std::mutex> g (core->lock);
  return core->pad_state (pad);
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
  if (sink)
    setup_send_pad (pad);
  else
    setup_recv_pad (pad);
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
    if (dc)
      keep_with_webrtcbin (s->webrtcbin, dc);
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
  std::shared_ptr<const Relay> relay;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    for (auto &c : s->channels) {
      if (c->open)
        announced.push_back (c);
      c->open = false;
      c->gone = true;
    }
    relay = core_->relay;
  }
  core_->cv.notify_all ();
  for (auto &c : s->channels)
    disconnect (c);
  std::vector<std::string> told;
  for (auto &c : announced) {
    announce (core_, c, false);
    if (std::find (told.begin (), told.end (), c->label) != told.end ())
      continue;
    told.push_back (c->label);
    tell_relay (relay, *c, false);
  }
}

void DataRouter::set_relay (Relay relay)
{
  std::lock_guard<std::mutex> g (core_->lock);
  core_->relay = relay.takes ? std::make_shared<const Relay> (std::move (relay)) : nullptr;
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

} // namespace rtc

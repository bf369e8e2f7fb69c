/* The sending direction of rtc::DataRouter (see rtcdatarouterprivate.h):
 * data_send_<label> pads, send() and the send actions, back-pressure, the
 * maximum message size, EOS and drain. */
#include "rtcdatarouterprivate.h"

#include <chrono>
#include <cstring>

#include "rtcptr.h"

namespace rtc {

using namespace data_router;

/* A drained queue is one a sender may add to; EOS waits this long at most. */
static const gint64 DRAIN_TIMEOUT_US = 10 * G_USEC_PER_SEC;

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

void data_router::on_low (GstWebRTCDataChannel *, gpointer data)
{
  ChanPtr c = chan_of (data);
  auto core = c->core.lock ();
  if (!core)
    return;
  std::shared_ptr<const DataRouter::Relay> relay;
  {
    std::lock_guard<std::mutex> g (core->lock);
    core->cv.notify_all ();
    relay = core->relay;
  }
  if (auto r = relay_taking (relay, c->label))
    if (r->drained)
      r->drained (c->session, c->label);
}

/* Gives @c the message (it has room). */
static Sent hand_over (const ChanPtr &c, const gchar *text, GBytes *bytes, std::string &error)
{
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

static Sent send_one (DataRouter::Core *core, const ChanPtr &c, const gchar *text, GBytes *bytes,
                      guint limit, PadState *ps, std::string &error)
{
  if (!wait_for_room (core, c, limit, ps))
    return c->reliable ? Sent::CLOSED : Sent::DROPPED;
  return hand_over (c, text, bytes, error);
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
void data_router::unschedule (PadState &ps)
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
  std::shared_ptr<const DataRouter::Relay> relay;
  {
    std::lock_guard<std::mutex> g (core->lock);
    relay = core->relay;
  }
  if (auto r = relay_taking (relay, ps->label)) {
    /* The relay's (webrtcroom: the room's channel): it sends to every member. */
    r->from_pipeline (ps->label, text.get (), bytes);
    if (bytes)
      g_bytes_unref (bytes);
    data_pad_count (dpad, 1, 0, 0);
    return GST_FLOW_OK;
  }
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

void data_router::setup_send_pad (GstPad *pad)
{
  gst_pad_set_chain_function (pad, sink_chain);
  gst_pad_set_event_function (pad, sink_event);
}

/* ---- send() and the send actions ---------------------------------------- */

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

gboolean data_router::action_send_data (GstElement *element, const gchar *session,
                                        const gchar *label, GBytes *data)
{
  return action_send (element, session, label, nullptr, data);
}

gboolean data_router::action_send_string (GstElement *element, const gchar *session,
                                          const gchar *label, const gchar *text)
{
  return action_send (element, session, label, text ? text : "", nullptr);
}

bool DataRouter::send (const gchar *session, const std::string &label, const gchar *text,
                       GBytes *bytes, std::string &error)
{
  guint limit = DEFAULT_LIMIT;
  std::shared_ptr<const Relay> relay;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    if (!core_->running) {
      error = "the element is not running";
      return false;
    }
    if (auto ps = core_->pad_for (label, true))
      limit = data_pad_max_buffered (ps->pad);
    relay = core_->relay;
  }
  if (!session) {
    if (auto r = relay_taking (relay, label)) {
      r->from_pipeline (label, text, bytes);
      return true;
    }
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

DataRouter::TrySend DataRouter::try_send (const std::string &session, const std::string &label,
                                          const gchar *text, GBytes *bytes)
{
  guint limit = DEFAULT_LIMIT;
  ChanPtr c;
  {
    std::lock_guard<std::mutex> g (core_->lock);
    auto it = core_->sessions.find (session);
    if (it != core_->sessions.end ())
      c = core_->send_channel_unlocked (*it->second, label);
    if (auto ps = core_->pad_for (label, true))
      limit = data_pad_max_buffered (ps->pad);
  }
  if (!c)
    return TrySend::GONE;
  if (buffered (c->dc) > limit)
    return TrySend::FULL;
  std::string error;
  switch (hand_over (c, text, bytes, error)) {
  case Sent::OK:
    return TrySend::OK;
  case Sent::TOO_LARGE:
    GST_WARNING_OBJECT (core_->element, "%s", error.c_str ());
    return TrySend::TOO_LARGE;
  default:
    GST_DEBUG_OBJECT (core_->element, "session %s, '%s': %s", session.c_str (), label.c_str (),
                      error.c_str ());
    return TrySend::GONE;
  }
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

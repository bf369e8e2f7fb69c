/* Internals of rtc::DataRouter (see rtcdatarouter.h), shared by the files
 * that implement it and included by no others:
 *
 *  - rtcdatarouter.cpp: configuration and policy, sessions and their
 *    channels (opened by us or by the peer, closed, failed), close_all(),
 *    pad requests, the class's pad templates, signals and actions, the
 *    child proxy.
 *  - rtcdatasend.cpp: the sending direction: data_send_<label> sink pads,
 *    send() and the send actions, back-pressure, the maximum message size,
 *    EOS and drain, start()/stop() (only senders wait on `running`).
 *  - rtcdatarecv.cpp: the receiving direction: data_recv_<label> src pads
 *    and their tasks, delivery of received messages (internal handlers,
 *    signals, pads), push_eos().
 *
 * Threading:
 *  - Application thread: configure(), add_internal(), request_pad(),
 *    release_pad(), start(), stop(). Control thread: attach(),
 *    open_channels(), detach(). close_all() and push_eos() where the
 *    element ends its streams (control, streaming or application thread).
 *  - A data_send_ pad's chain and event functions run on its upstream's
 *    streaming thread, send() on any thread; both may wait on Core::cv
 *    (room in a reliable channel, PLAYING, a drain) or on the clock.
 *  - A data_recv_ pad's task pushes its queue; webrtcbin's threads only
 *    add to that queue, so they never wait for downstream.
 *  - webrtcbin's threads call the channel callbacks (on_open, on_close,
 *    on_error, on_low, on_string, on_data) and on_data_channel. Each
 *    holds a ChanPtr (or a SessionRef) and reaches the core through a
 *    weak_ptr, so a connected handler never keeps the router's state
 *    alive.
 *  - Core::lock guards the Core and what is marked "under Core::lock" in
 *    Chan and PadState. Core::cv goes with it: it is notified when a
 *    channel closes or drains, a sink pad flushes or is released, and on
 *    stop(); waiters also wake every few tens of milliseconds, since
 *    buffered-amount and the element's state do not notify it.
 *  - PadState::queue_lock guards a src pad's queue. It is never taken
 *    together with Core::lock.
 *  - Neither lock is held while calling into webrtcbin or a data channel,
 *    calling the relay (Core::relay, copied out under Core::lock), emitting
 *    a signal, posting a message, pushing a buffer or an event, or waiting
 *    on the clock. Inside Core::lock only a data pad's object
 *    lock (reading its properties) and the clock's (unscheduling a wait)
 *    are taken.
 */
#pragma once

#include "rtcdatarouter.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

namespace rtc {

GstDebugCategory *data_category ();
#define GST_CAT_DEFAULT rtc::data_category ()

/* Back-pressure limit of send() on a label without a data_send_ pad. */
constexpr guint DEFAULT_LIMIT = 1024 * 1024;

/* Named, not anonymous: DataRouter::Core has members of these types, and
 * each of the router's files defines Core. */
namespace data_router {

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
  /* When the peer last sent a message on it (monotonic µs). */
  std::atomic<gint64> last_received{0};
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

} // namespace data_router

struct DataRouter::Core {
  using PadState = data_router::PadState;
  using ChanPtr = data_router::ChanPtr;
  using Session = data_router::Session;

  GstElement *element; /* not owned: owns us */
  std::string prefix;
  std::mutex lock; /* guards everything below */
  std::condition_variable cv;
  bool running = false;
  DataPolicy policy = DEFAULT_DATA_POLICY;
  guint max_peer_channels = DEFAULT_MAX_DATA_CHANNELS;
  std::vector<std::string> labels;
  std::vector<std::string> accepted; /* also_accept() */
  std::vector<std::pair<DataChannelOptions, DataRouter::Handler>> internal;
  std::vector<std::shared_ptr<PadState>> pads;
  std::map<std::string, std::shared_ptr<Session>> sessions;
  std::function<void ()> sink_eos;
  std::shared_ptr<const DataRouter::Relay> relay; /* nullptr: none */
  guint64 open_counter = 0;
  guint signals[data_router::N_SIGS] = {0, 0, 0, 0};
  DataRouter *router = nullptr;

  /* The helpers below expect the lock held. */
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
  /* Whether the listed policy lets the peer open @label. */
  bool listed_unlocked (const std::string &label)
  {
    if (std::find (accepted.begin (), accepted.end (), label) != accepted.end ())
      return true;
    return wanted_unlocked (label);
  }
  /* Whether another channel than @c of @c's session and label is open. */
  bool twin_open_unlocked (const data_router::Chan &c)
  {
    auto it = sessions.find (c.session);
    if (it == sessions.end ())
      return false;
    for (auto &o : it->second->channels)
      if (o.get () != &c && o->label == c.label && o->open && !o->gone)
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

namespace data_router {

/* The channel a webrtcbin callback was connected with (its closure data). */
inline ChanPtr chan_of (gpointer data)
{
  return *static_cast<ChanPtr *> (data);
}

/* rtcdatarouter.cpp: the router state of data pad @pad of element @parent
 * (nullptr when the pad is being released), and the router's core in
 * @core. */
std::shared_ptr<PadState> pad_state_of (GstPad *pad, GstObject *parent, DataRouter::Core *&core);

/* rtcdatasend.cpp */
/* Sets a new data_send_ pad's chain and event functions. */
void setup_send_pad (GstPad *pad);
/* A channel's buffered-amount-low: wakes senders waiting for room. */
void on_low (GstWebRTCDataChannel *dc, gpointer data);
/* Under Core::lock: wakes @ps out of its clock wait. */
void unschedule (PadState &ps);
/* The send-data and send-string actions. */
gboolean action_send_data (GstElement *element, const gchar *session, const gchar *label,
                           GBytes *data);
gboolean action_send_string (GstElement *element, const gchar *session, const gchar *label,
                             const gchar *text);

/* The relay, when it takes @label (called without Core::lock). */
inline std::shared_ptr<const DataRouter::Relay>
relay_taking (const std::shared_ptr<const DataRouter::Relay> &relay, const std::string &label)
{
  return relay && relay->takes (label) ? relay : nullptr;
}

/* rtcdatarecv.cpp */
/* Sets a new data_recv_ pad's activation and query functions. */
void setup_recv_pad (GstPad *pad);
/* A channel's on-message-string and on-message-data. */
void on_string (GstWebRTCDataChannel *dc, const gchar *text, gpointer data);
void on_data (GstWebRTCDataChannel *dc, GBytes *bytes, gpointer data);

} // namespace data_router
} // namespace rtc

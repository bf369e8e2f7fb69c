/* RoomData: the relay policy of webrtcroom's room-wide data channels
 * (docs/room-protocol.md, "Room data channels"). What a member sends on a
 * room channel reaches every other member on the same label:
 *
 *  - text must be a JSON object (at most Limits::max_message bytes, nested
 *    at most Limits::max_depth deep); it goes out as
 *    {"seq": n, "from": "<id>", "name": "<display name>", "msg": <object>}
 *    with `seq` increasing per label, room wide (the same order for every
 *    member); binary (at most max_message bytes) is relayed unchanged;
 *  - a logged label (the board) also echoes text to its sender, keeps it
 *    in an ordered log (Limits::log_messages / log_bytes; beyond, the
 *    sender alone gets {"seq": 0, "from": "room", "msg": {"op": "error",
 *    "code": "log-full"}}), empties the log on {"op": "clear"} (keeping
 *    the clear), and replays the whole log to a member whose channel
 *    opens, before any live message;
 *  - malformed messages are answered to their sender alone with
 *    {"seq": 0, "from": "room", "msg": {"op": "error", "code":
 *    "bad-message"}} and go nowhere else;
 *  - the pipeline is a member too: its messages (data_send_<label>, the
 *    send actions to every session) come "from": "pipeline", and what is
 *    relayed reaches it (data_recv_<label> and the signals, through
 *    Transport::deliver_local), wrapped the same way, so a pipeline can
 *    record the board. Its own text comes back to it on logged labels
 *    only, as for any member.
 *
 * Sending: ONE worker thread (owned here) sends from per-target queues (a
 * target is one member's channel of one label) with Transport::try_send,
 * which never blocks (rtcdatarouter.h tells why it must not): a FULL
 * target is skipped and retried when drained() says its channel went
 * under its low threshold, or after Limits::retry_ms, so a slow member
 * never stalls the others. Targets are served in turn, one message each.
 *
 * Memory: a message is stored once and shared by every queue and the log.
 * Live messages count against a target's cap (Limits::target_bytes) and
 * the room's (Limits::room_bytes, the sum over targets). A message over a
 * target's cap, or over the room's for a target whose channel is full
 * (its last try answered FULL: members that keep up are not punished for
 * the slow ones, their own cap bounds them), is dropped for that target
 * alone, counted in Stats::dropped, and reported once with a warning. The target then gets {"seq":
 * 0, "from": "room", "msg": {"op": "error", "code": "dropped"}} where the first dropped message
 * would have been: from there on its view is incomplete — on a logged label its board differs from
 * everyone's, and the way back is to rejoin (the replay is the whole log again). A replay costs no
 * memory of its own (it shares the log's messages) and is never dropped.
 *
 * Membership: opened()/closed() (the DataRouter's relay events) add and
 * remove a member's target on a label; forget() drops everything of a
 * session (its name, its queues), set_name() names it for "name".
 *
 * Threading: configure() on the application thread while stopped; start()/stop() on the application
 * thread; the events (received, opened, closed, drained, from_pipeline, set_name, forget) on any
 * thread, never blocking (they take the lock briefly and queue). The worker calls the Transport
 * with no lock held. One lock (State::lock) guards everything; it is taken alone and never held
 * while calling the Transport, posting a message or logging a warning to the bus, so the
 * DataRouter's lock and this one are never nested.
 */
#pragma once

#include <gst/gst.h>
#include <memory>
#include <string>
#include <vector>

#include "gstrtcdatapad.h"
#include "rtcdatarouter.h"

namespace rtc {

class RoomData {
public:
  using TrySend = DataRouter::TrySend;

  /* Where messages go: the element's DataRouter (RouterTransport) or a
   * test's fake. Called on the worker thread only. */
  class Transport {
  public:
    virtual ~Transport () = default;
    virtual TrySend try_send (const std::string &session, const std::string &label,
                              const gchar *text, GBytes *bytes) = 0;
    virtual void deliver_local (const std::string &from, const std::string &label,
                                const gchar *text, GBytes *bytes) = 0;
  };

  /* One room channel: its options, and whether it is logged. */
  struct Channel {
    DataChannelOptions options;
    bool logged = false;
  };

  struct Limits {
    gsize max_message = 64 * 1024; /* bytes of a message as sent */
    guint max_depth = 64;          /* JSON nesting */
    guint log_messages = 100000;
    gsize log_bytes = 16 * 1024 * 1024; /* of the wrapped messages */
    gsize target_bytes = 16 * 1024 * 1024;
    gsize room_bytes = 64 * 1024 * 1024;
    guint retry_ms = 10; /* a FULL target is tried again after this */
  };

  struct Stats {
    guint64 relayed = 0; /* messages accepted from members */
    guint64 refused = 0; /* malformed, too big, log full */
    guint64 dropped = 0; /* (message, target) pairs over a cap */
    gsize queued = 0;    /* live bytes waiting, all targets */
  };

  /* @element (nullable) gets the warnings. */
  RoomData (GstElement *element, Transport &transport);
  RoomData (GstElement *element, Transport &transport, const Limits &limits);
  ~RoomData ();
  RoomData (const RoomData &) = delete;
  RoomData &operator= (const RoomData &) = delete;

  /* board (logged) and files: reliable, ordered. */
  static std::vector<Channel> default_channels ();
  /* While stopped: the room's channels (a label listed twice: the first). */
  void configure (const std::vector<Channel> &channels);
  /* welcome.data for @channels: a JSON array of {label, ordered,
   * maxRetransmits?, maxPacketLifeTime?, protocol?, log}. */
  static std::string describe (const std::vector<Channel> &channels);
  /* The worker starts with an empty room (no logs, no members). */
  void start ();
  /* Joins the worker; queued messages are dropped. */
  void stop ();

  /* The DataRouter::Relay calling the events below; it holds the state
   * weakly (a relay outliving this object does nothing). */
  DataRouter::Relay relay ();

  bool takes (const std::string &label) const;
  void received (const std::string &session, const std::string &label, const gchar *text,
                 GBytes *bytes);
  void from_pipeline (const std::string &label, const gchar *text, GBytes *bytes);
  void opened (const std::string &session, const std::string &label);
  void closed (const std::string &session, const std::string &label);
  void drained (const std::string &session, const std::string &label);
  void set_name (const std::string &session, const std::string &name);
  void forget (const std::string &session);

  Stats stats () const;

  struct State;

private:
  std::shared_ptr<State> state_;
};

/* RoomData's transport over an element's DataRouter. */
class RouterTransport : public RoomData::Transport {
public:
  explicit RouterTransport (DataRouter &router) : router_ (router) {}
  RoomData::TrySend try_send (const std::string &session, const std::string &label,
                              const gchar *text, GBytes *bytes) override
  {
    return router_.try_send (session, label, text, bytes);
  }
  void deliver_local (const std::string &from, const std::string &label, const gchar *text,
                      GBytes *bytes) override
  {
    router_.deliver_local (from, label, text, bytes);
  }

private:
  DataRouter &router_;
};

} // namespace rtc

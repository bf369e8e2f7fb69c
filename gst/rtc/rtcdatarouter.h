/* RtcDataRouter: the data channels of one element (webrtcpublish or
 * webrtcsubscribe) across all its sessions.
 *
 *  - Pads: data_send_<label> sink pads send each buffer as one message to
 *    every session's <label> channel; data_recv_<label> src pads output
 *    each message received on <label> (GstRtcDataPad).
 *  - Channels: for every session the router opens one channel per wanted
 *    label (a pad's label, a label of the element's data-channels
 *    property, an internal label such as navigation) unless the peer
 *    opened that label first; channels the peer opens are kept or closed
 *    by the policy (accept / reject / only wanted labels).
 *  - Application API: the element's signals data-channel-opened/-closed,
 *    data-received/string-received and the send-data/send-string actions
 *    (install_signals()), and "<element>-data-channel-opened/-closed" bus
 *    messages.
 *  - Back-pressure: a reliable channel whose queue (buffered-amount) is over
 *    the pad's max-buffered-bytes blocks the sender until it drains; an
 *    unreliable one drops the message and counts it. Messages over the
 *    peer's maximum message size are refused with a warning, never cut.
 *  - Relay (set_relay()): an element that relays messages between its
 *    sessions (webrtcroom's room-wide channels) takes over some labels:
 *    what sessions send on them goes to the relay instead of the pads and
 *    signals, what the pipeline sends on them (data_send_ pads, the send
 *    actions to every session) goes to the relay instead of the sessions;
 *    the relay forwards with try_send() and hands the pipeline its share
 *    with deliver_local().
 *
 *    Why try_send() never waits: the relay learns of a message on the
 *    receiving session's webrtcbin thread. Sending from there with send()
 *    would block that thread while the target's queue is full: the
 *    sender's other messages (and every member's) wait for the slowest
 *    member, and two sessions relaying to each other with both queues
 *    full wait on each other — each queue drains only if its peer keeps
 *    reading, and a peer that is itself blocked sending to us (a pipeline
 *    in send(), any client whose reads and writes share one loop) stops
 *    reading: the classic deadlock of two writers on full pipes. So a
 *    relay queues, sends from a thread of its own, and try_send() answers
 *    FULL instead of waiting (retry on the relay's drained() call or a
 *    short poll).
 *
 * Threading: configuration and pads on the application thread; attach(),
 * open_channels() and detach() on the element's control thread; send()
 * and the pads' chain functions on any thread (they may block for
 * back-pressure); try_send() and deliver_local() on any thread, never
 * blocking; webrtcbin calls back on its own threads, where received
 * messages are pushed out of src pads and signals are emitted, and the
 * relay's received/opened/closed/drained are called. One lock guards the
 * router's state; it is never held while calling into webrtcbin, calling
 * the relay, emitting a signal, posting a message or pushing a buffer
 * (so a relay's own lock and the router's are never nested).
 */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gstrtcdatapad.h"
#include "rtccontrolthread.h"
#include "rtcpeersession.h"

namespace rtc {

enum class DataPolicy { ACCEPT = 0, REJECT = 1, LISTED = 2 };

/* GType of the policy enum (GstRtcDataChannelPolicy) for properties. */
GType data_policy_get_type ();
/* Only the labels the element has: a page on another site that reaches
 * the stream cannot open channels of its own choosing. */
#define DEFAULT_DATA_POLICY rtc::DataPolicy::LISTED
/* Channels one peer may have open that it opened itself (more are closed
 * at once), and the longest label accepted from a peer, in bytes. */
#define DEFAULT_MAX_DATA_CHANNELS 16
#define MAX_DATA_CHANNEL_LABEL 256

class DataRouter {
public:
  /* Handles a message on an internal label; runs on a webrtcbin thread.
   * Exactly one of @text and @bytes is set (@bytes may be nullptr for an
   * empty binary message when @text is nullptr too). */
  using Handler = std::function<void (DataRouter &router, const std::string &session,
                                      const gchar *text, GBytes *bytes)>;

  /* Outcome of try_send(): sent; the channel's buffered-amount is over its
   * limit (retry later); no open channel @label to that session; the
   * message is over the peer's maximum message size. */
  enum class TrySend { OK, FULL, GONE, TOO_LARGE };

  /* Who relays messages between sessions (see the top of this file). Every
   * member must be set when @takes is; none may block or call back into
   * the router with a lock of its own held that the router could wait on
   * (the router calls them with no lock held). In each, exactly one of
   * @text and @bytes is set. */
  struct Relay {
    /* Whether the relay takes @label (asked for every message). */
    std::function<bool (const std::string &label)> takes;
    /* Session @session sent a message on @label (webrtcbin thread). */
    std::function<void (const std::string &session, const std::string &label, const gchar *text,
                        GBytes *bytes)>
        received;
    /* @session's channel @label opened / closed (its first open channel of
     * that label / its last one; also when the session goes). */
    std::function<void (const std::string &session, const std::string &label)> opened;
    std::function<void (const std::string &session, const std::string &label)> closed;
    /* The pipeline sent a message on @label (streaming or application
     * thread). */
    std::function<void (const std::string &label, const gchar *text, GBytes *bytes)> from_pipeline;
    /* @session's channel @label went under its buffered-amount-low
     * threshold: a FULL target may take more. Optional. */
    std::function<void (const std::string &session, const std::string &label)> drained;
  };

  /* @element owns the router; @prefix names its bus messages. */
  DataRouter (GstElement *element, const char *prefix);
  ~DataRouter ();
  DataRouter (const DataRouter &) = delete;
  DataRouter &operator= (const DataRouter &) = delete;

  /* The router of @element (nullptr when it has none). */
  static DataRouter *from (GstElement *element);
  /* Pad templates, signals and child-proxy lookup of data pads, for an
   * element class (call from class_init). */
  static void install (GstElementClass *klass);
  /* Chains GstBin's GstChildProxy so that "data_send_x::ordered=false"
   * works from gst-launch-1.0 (G_IMPLEMENT_INTERFACE init function). */
  static void child_proxy_init (gpointer iface, gpointer data);
  static bool is_data_template (GstPadTemplate *templ);

  /* Application thread, before start(): the policy, the comma-separated
   * labels of the element's data-channels property, how many channels a
   * peer may open (0: no bound); clears the internal labels. */
  void configure (DataPolicy policy, const std::string &labels,
                  guint max_peer_channels = DEFAULT_MAX_DATA_CHANNELS);
  /* After configure(): labels the peer may open under the listed policy
   * that the element does not open itself (a room client: the room's
   * channels, which the room opens). */
  void also_accept (const std::vector<std::string> &labels);
  /* A label the element serves itself: opened on every session, and its
   * messages go to @handler instead of signals and pads. */
  void add_internal (const DataChannelOptions &options, Handler handler);

  GstPad *request_pad (GstPadTemplate *templ, const gchar *name);
  /* False when @pad is not one of ours. */
  bool release_pad (GstPad *pad);
  /* The labels opened on every session, with their options. */
  std::vector<DataChannelOptions> wanted ();

  /* Control thread. */
  void attach (const std::string &session, GstElement *webrtcbin);
  /* Opens the wanted labels the peer has not opened (offerer: before the
   * offer; answerer: once connected). */
  void open_channels (const std::string &session);
  /* Offerer: opens the wanted labels just before the offer is made, so
   * that it has an m=application line (nothing when none is wanted). */
  void prepare_offer (const std::string &session, PeerSession::Config &config);
  /* Answerer, once connected: when the peer offered SCTP, it opens its
   * channels first (a page opens the labels /streams.json lists); the
   * labels it did not open are opened a moment later on @control. */
  void connected (const std::string &session, const PeerSession &peer, ControlThread &control);
  void detach (const std::string &session);

  /* Any thread: sends to @session's channel @label, or to every session's
   * when @session is nullptr (to the relay instead when it takes @label).
   * False with @error when no channel took it. */
  bool send (const gchar *session, const std::string &label, const gchar *text, GBytes *bytes,
             std::string &error);

  /* Application thread, before start() (an empty @relay: none). */
  void set_relay (Relay relay);
  /* Any thread: when @session's peer last sent a message on any channel
   * (monotonic µs; 0: never). A sign of life for a peer that sends no
   * media (a board page). */
  gint64 last_received_us (const std::string &session);
  /* Any thread, never blocks: sends to @session's channel @label if its
   * buffered-amount is within the limit (the data_send_<label> pad's
   * max-buffered-bytes, or 1 MiB); a message may overshoot the limit by
   * its own size. Independent of start()/stop(): the relay lives with the
   * sessions. */
  TrySend try_send (const std::string &session, const std::string &label, const gchar *text,
                    GBytes *bytes);
  /* Any thread: to the pipeline, as if session @from had sent it on
   * @label: out of data_recv_<label> (its GstRtcDataMeta naming @from)
   * and the data-received / string-received signals (emitted on the
   * calling thread). */
  void deliver_local (const std::string &from, const std::string &label, const gchar *text,
                      GBytes *bytes);

  /* State: start() on READY->PAUSED, stop() on PAUSED->READY (wakes
   * blocked senders, refuses new sends). */
  void start ();
  void stop ();
  /* Closes every channel and waits (at most @timeout_ms) until each peer
   * has received what was queued and closed its side. */
  void close_all (guint timeout_ms);
  /* EOS out of every src pad, after what is queued. */
  void push_eos ();
  /* Whether every data sink pad got EOS (true with none). */
  bool sinks_ended ();
  /* Called (streaming thread) when a data sink pad got EOS and drained. */
  void set_sink_eos_callback (std::function<void ()> cb);

  struct Core;
  Core *core_ptr () const { return core_.get (); }

private:
  std::shared_ptr<Core> core_;
};

} // namespace rtc

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
 *
 * Threading: configuration and pads on the application thread; attach(),
 * open_channels() and detach() on the element's control thread; send()
 * and the pads' chain functions on any thread (they may block for
 * back-pressure); webrtcbin calls back on its own threads, where received
 * messages are pushed out of src pads and signals are emitted. One lock
 * guards the router's state; it is never held while calling into
 * webrtcbin, emitting a signal, posting a message or pushing a buffer.
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
#define DEFAULT_DATA_POLICY rtc::DataPolicy::ACCEPT

class DataRouter {
public:
  /* Handles a message on an internal label; runs on a webrtcbin thread.
   * Exactly one of @text and @bytes is set (@bytes may be nullptr for an
   * empty binary message when @text is nullptr too). */
  using Handler = std::function<void (DataRouter &router, const std::string &session,
                                      const gchar *text, GBytes *bytes)>;

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
   * labels of the element's data-channels property; clears the internal
   * labels. */
  void configure (DataPolicy policy, const std::string &labels);
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
   * when @session is nullptr. False with @error when no channel took it. */
  bool send (const gchar *session, const std::string &label, const gchar *text, GBytes *bytes,
             std::string &error);

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

/* rtc::JanusVideoRoom: what GstRtcJanusSignaller does in a Janus VideoRoom,
 * as a plain C++ class; the signaller is its GObject edge.
 *
 * Publisher (the element offers): create a Janus session, attach
 * janus.plugin.videoroom, join the room as a publisher (creating the room
 * first when asked to), then ask for a session; the element's offer goes
 * out in a "publish" request and Janus's answer comes back. Our feed id is
 * asked for again at every rejoin, so subscribers that follow it by id find
 * it after a Janus restart.
 *
 * Subscriber (the element answers): the same, joined as a publisher that
 * never publishes (a "listener": the room tells it which feeds come and
 * go), and one more handle per followed feed, joined as a subscriber: Janus
 * offers that feed, the element answers with a "start" request. It follows
 * one feed by id, the feeds of one display name, or every feed of the room.
 *
 * Janus trickles; a local candidate goes out as a "trickle" request, and
 * Janus's own (half-trickle: in its SDP; full-trickle: trickle events) come
 * back. When the Janus session is lost every live session ends, and after a
 * back-off (retry_min_ms doubling to retry_max_ms) the room is joined again.
 * What retrying cannot fix (no such room, wrong pin or API secret, no
 * VideoRoom plugin) is an error and the end.
 *
 * Threading: one thread (the signaller's). Every method, every Output call
 * and every Scheduler task runs there. Output is never called after stop()
 * or from the destructor.
 */
#pragma once

#include <gst/webrtc/webrtc.h>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "rtcjanusclient.h"

namespace rtc {

class JanusVideoRoom {
public:
  struct Settings {
    std::string url;
    guint64 room = 1234;
    bool publisher = false; /* publish into the room; otherwise subscribe */
    std::string display;
    guint64 feed = 0;
    std::string feed_display;
    bool create_room = false;
    std::string pin;
    std::string api_secret;
    guint keepalive_ms = 25000;
    guint retry_min_ms = 500;
    guint retry_max_ms = 10000;
  };
  /* What the room tells the signaller, which emits it as signals. */
  struct Output {
    std::function<void (const std::string &id, const std::string &peer,
                        GstWebRTCSessionDescription *offer)>
        session_requested;
    std::function<void (const std::string &id, GstWebRTCSessionDescription *answer)>
        session_description;
    std::function<void (const std::string &id, guint mline, const std::string &candidate)>
        ice_candidate;
    std::function<void (const std::string &id)> session_ended;
    std::function<void (const std::string &state, const std::string &detail)> state_changed;
    std::function<void (const std::string &message)> error;
    /* The Janus session and our feed id (0 when none). */
    std::function<void (guint64 janus_session, guint64 publisher_id)> ids_changed;
  };
  /* Runs a function on the thread after a delay. */
  using Scheduler = std::function<void (guint delay_ms, std::function<void ()> fn)>;

  JanusVideoRoom (Settings settings, Output output, Scheduler after);
  ~JanusVideoRoom ();
  JanusVideoRoom (const JanusVideoRoom &) = delete;
  JanusVideoRoom &operator= (const JanusVideoRoom &) = delete;

  void start ();
  /* Leaves: destroys the Janus session; @done when Janus answered or
   * failed (the caller bounds the wait). Nothing is output after. */
  void stop (std::function<void ()> done);
  void send_description (const std::string &id, GstWebRTCSessionDescription *description);
  void send_ice_candidate (const std::string &id, guint mline, const char *candidate);
  /* The element ended (or refused, @rejected) session @id. */
  void end_session (const std::string &id, bool rejected, const std::string &why);
  /* HTTP requests not completed yet, for draining the context. */
  std::shared_ptr<guint> in_flight () const { return in_flight_; }

private:
  struct Subscription {
    guint64 feed = 0;
    guint64 attempt = 0;
    guint64 handle = 0;
    std::string session; /* empty until Janus offered */
    std::vector<std::string> mids;
  };

  void connect ();
  void join ();
  void on_joined (const JanusReply &reply);
  void create_room ();
  void request_publish ();
  void on_published (const std::string &id, const JanusReply &reply);
  void end_publish (bool tell, const std::string &why);
  void follow (JsonArray *publishers);
  bool wants (guint64 feed, const std::string &display) const;
  void subscribe (guint64 feed);
  void on_attached (guint64 feed, guint64 attempt, const JanusReply &reply);
  void end_subscription (guint64 feed, bool tell, bool resubscribe, const std::string &why);
  void feed_gone (guint64 feed, const std::string &why);
  void on_event (guint64 sender, JsonObject *event);
  void on_room_event (JsonObject *data);
  void on_remote_candidate (guint64 sender, JsonObject *candidate);
  Subscription *subscription_by_handle (guint64 handle);
  Subscription *subscription_by_session (const std::string &id);
  void lose (const std::string &why);
  void fatal (const std::string &message);
  void end_all (bool tell);
  void retire_client ();
  guint backoff ();
  void later (guint delay_ms, std::function<void ()> fn);
  void state (const std::string &state, const std::string &detail);
  std::string describe (guint64 feed) const;
  std::string where () const;

  Settings s_;
  Output out_;
  Scheduler after_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool> (true);
  std::shared_ptr<guint> in_flight_ = std::make_shared<guint> (0);
  std::unique_ptr<JanusClient> client_;
  std::vector<std::unique_ptr<JanusClient>> retired_; /* destroying their Janus session */
  guint epoch_ = 0; /* bumped when a connection is given up: its timers do nothing */
  guint failures_ = 0;
  bool stopped_ = true;
  bool failed_ = false;
  guint64 handle_ = 0;       /* our participant: the publisher, or the listener */
  guint64 publisher_id_ = 0; /* our feed id, asked for again at each rejoin */
  guint64 private_id_ = 0;
  std::string pub_session_;
  std::vector<std::string> pub_mids_;
  bool pub_answered_ = false;
  std::map<guint64, std::string> publishers_; /* feed -> display, as the room announced */
  std::map<guint64, Subscription> subs_;      /* the feeds we follow */
  std::set<guint64> refused_;                 /* rejected by the element until republished */
  guint64 serial_ = 0;
};

} // namespace rtc

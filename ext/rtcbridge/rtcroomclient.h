/* rtc::RoomClient: a participant's connection to a room of the room
 * protocol (docs/room-protocol.md) over one WebSocket (libsoup 3,
 * subprotocol rtcbridge-room.v1; JSON through json-glib). The room
 * signaller's participant side, GstRtcRoomClientSignaller, is built on it;
 * it knows no GObject of ours and reports through Output.
 *
 *  - start (): connects and sends `join` (display name, the token: never in
 *    the URL, never logged, resume {id, secret} when it may keep its id);
 *  - `welcome`: the participant id, the roster and the room's ICE servers
 *    (Output::values); the room's first `description` (its offer) is the
 *    session (Output::session_requested: session id = our participant id,
 *    peer = the room's name); its later descriptions (its offers, its
 *    answers to ours) → Output::session_description, its candidates →
 *    Output::ice_candidate (sdpMLineIndex, else the m-line of sdpMid);
 *  - send_description () → `description`; after each of ours, `track
 *    publish`/`unpublish` for the m-lines we send on (an answer's at once,
 *    an offer's once the room answered it: an offer the room ignored in a
 *    glare announces nothing; rtcroomroster.h); send_candidate () →
 *    `candidate`;
 *  - `ping` is answered, and we ping every 5 s; a room silent for 15 s is a
 *    dropped socket;
 *  - stop (): `leave`, the close handshake (waited for, at most 1 s), and
 *    nothing reported after.
 *
 * Glare: the room is impolite, we are polite. The element's session with a
 * room hosted elsewhere applies its later offers only once answered
 * (PeerSession's Config::polite), so a room's offer that crosses ours
 * reaches the element as any later offer would: it drops its own, answers
 * the room's and offers again. The room's `error glare` (which follows that
 * offer on the socket) is only logged.
 *
 * Connection trouble:
 *  - the room refuses us for good (`unauthorized`, `full`, `version`, its
 *    pipeline refused our session, HTTP 4xx on the upgrade, a message too
 *    big or a flood): the session ends (Output::session_ended), then
 *    Output::error with a message that names the URL and the setting to
 *    fix; no retry;
 *  - before the first `welcome`, a room that cannot be reached (refused,
 *    no route, no such host, it dropped the socket) is tried again after a
 *    back-off (0.5 s doubling to 10 s) for Settings::join_timeout_ms; then
 *    Output::error naming the URL and why;
 *  - once in, any other loss (the socket dropped, the room went silent,
 *    stopped (1001), failed (1011)): the session ends at once (the room ends
 *    a participant's media session when its socket drops) and we join
 *    again after the back-off, for as long as it takes, with `resume` {id,
 *    secret}: within the room's grace period the participant id stays; the
 *    room's next first offer is a new session;
 *  - end_session () (the element gave the session up: it failed): `leave`,
 *    then we join again as a new participant after the back-off;
 *  - reject_session (): `leave`, and Output::error when retrying cannot
 *    help (@hopeless), else as end_session ().
 * Progress is Output::state: connecting, joined, retrying, failed, stopped.
 *
 * Threading: one thread. The client is made, used and destroyed on the
 * thread of @thread (the signaller's), whose context runs the socket, the
 * timers and every Output call. An Output call may not destroy the client.
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <functional>
#include <memory>
#include <string>

#include "rtccontrolthread.h"

namespace rtc {

class RoomClient {
public:
  struct Settings {
    std::string url;               /* ws(s)://host[:port]/room/<name> */
    std::string name;              /* display name (display_name ()) */
    std::string token;             /* the room's token; "" for none */
    guint join_timeout_ms = 10000; /* 0: keep trying */
  };
  struct Output {
    std::function<void (const std::string &session, const std::string &peer,
                        GstWebRTCSessionDescription *offer)>
        session_requested;
    std::function<void (const std::string &session, GstWebRTCSessionDescription *description)>
        session_description;
    std::function<void (const std::string &session, guint mline, const std::string &candidate)>
        ice_candidate;
    std::function<void (const std::string &session)> session_ended;
    std::function<void (const std::string &state, const std::string &detail)> state;
    std::function<void (const std::string &message)> error;
    /* What the room told: our id ("" before a welcome), the roster (JSON),
     * its ICE servers (the elements' comma-separated URLs); nullptr:
     * unchanged. */
    std::function<void (const std::string *id, const std::string *roster,
                        const std::string *ice_servers)>
        values;
  };

  RoomClient (Settings settings, Output output, ControlThread &thread);
  ~RoomClient ();
  RoomClient (const RoomClient &) = delete;
  RoomClient &operator= (const RoomClient &) = delete;

  void start ();
  /* Leaves (when in), closes the socket and cancels what is under way;
   * iterates the thread's context to let the close go out (at most 1 s).
   * Nothing is reported after it; the client may be destroyed. */
  void stop ();

  /* The element's side of the session @session. */
  void send_description (const std::string &session, GstWebRTCSDPType type,
                         const GstSDPMessage *sdp);
  /* @candidate nullptr: the end of our candidates. */
  void send_candidate (const std::string &session, guint mline, const char *candidate);
  void end_session (const std::string &session);
  void reject_session (const std::string &session, bool hopeless, const std::string &why);

  /* The room's name in ws(s)://host[:port]/room/<name>; "" when @url is
   * not such a URL. */
  static std::string room_name_of (const std::string &url);
  /* The display name for @setting: itself, or this machine's name when
   * empty ("gstreamer" when it has none), cut to 64 characters. */
  static std::string display_name (const std::string &setting);

  struct Link;

private:
  std::shared_ptr<Link> link_;
};

} // namespace rtc

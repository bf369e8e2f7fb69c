/* RtcRoomHub: one room of the room protocol (docs/room-protocol.md): its
 * participants' WebSockets, join and welcome, the roster, the token,
 * limits (participants, message size and rate), keepalive, resume within
 * the grace period, chat, track and mute relay, and the negotiation state
 * that tells glare — everything but the media. A plain C++ class:
 * GstRtcRoomSignaller is its GObject edge.
 *
 * What the element must learn leaves through Events; what the element says
 * comes in through the element-side methods. Participants are sessions:
 * the session id is the participant id.
 *
 * Threading: one thread, the HTTP server's (the GMainContext given to the
 * constructor): the sockets, the timer, every method and every Event.
 * Events are called without any lock of the RoomHub held; a handler must not
 * call back into the RoomHub (the signaller posts its calls to the thread).
 * settings() is called from this thread and takes the signaller's lock.
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <libsoup/soup.h>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "rtchttpaccess.h"
#include "rtcjwt.h"
#include "rtcroomprotocol.h"

namespace rtc {

class RoomHub {
public:
  struct Settings {
    std::string name;  /* the room's */
    std::string token; /* empty: none */
    JwtCheck jwt;      /* key empty: no JSON Web Token (rtcjwt.h) */
    guint max_participants = 16;
    guint keepalive_timeout_ms = 15000;
    guint resume_timeout_ms = 10000;
    guint messages_per_second = 50;
    std::vector<IceServer> ice_servers;
    /* Its URLs as configured and turn-secret: with a secret, each welcome
     * gets TURN credentials of its own (rtcturn.h). */
    std::string ice_server_urls, turn_secret;
    guint turn_lifetime_s = 0;
    std::string data_channels = "[]"; /* a JSON array, checked */
  };
  struct Events {
    /* @offer: the participant's (a WHIP publisher's), or nullptr: the
     * element offers (a participant of the room protocol). */
    std::function<void (const std::string &id, const std::string &name,
                        GstWebRTCSessionDescription *offer)>
        session_requested;
    std::function<void (const std::string &id, GstWebRTCSessionDescription *description)>
        session_description;
    /* @candidate nullptr: the end of the participant's candidates */
    std::function<void (const std::string &id, guint mline, const char *candidate)> ice_candidate;
    std::function<void (const std::string &id)> session_ended;
    std::function<void (const std::string &id, const room::Track &track)> track_published;
    std::function<void (const std::string &id, const std::string &mid)> track_unpublished;
    std::function<void (const std::string &id, const std::string &name, const std::string &text,
                        guint64 seq)>
        chat;
    std::function<void (guint n)> participants_changed;
    /* Participant @id hears @participant ("pipeline" too) at @volume (0..2). */
    std::function<void (const std::string &id, const std::string &participant, double volume)>
        audio_volume;
    /* The application's say on a `join` that passed the token checks
     * (rtchttpauthorize.h): @request, an "rtc-request" with method "join",
     * the participant's "name" and, when it sent one, its "token", is
     * taken. True with @permissions what the application left; false:
     * refused. Unset: allowed as they are. */
    std::function<bool (GstStructure *request, unsigned &permissions)> authorize;
  };

  /* @new_id gives a participant id never given before ("p1", "p2"...);
   * messages are logged on @log_object (weak: it outlives the RoomHub). */
  RoomHub (GMainContext *context, Events events, std::function<Settings ()> settings,
           std::function<std::string ()> new_id, GstObject *log_object);
  /* Cuts the sockets still open (shutdown() first closes them cleanly). */
  ~RoomHub ();
  RoomHub (const RoomHub &) = delete;
  RoomHub &operator= (const RoomHub &) = delete;

  /* A new WebSocket on the room's path (a reference is taken); @headers:
   * its upgrade request's (rtchttpauthorize.h), taken. */
  void accept (SoupWebsocketConnection *conn, const std::string &remote, GstStructure *headers);

  /* The element. Calls for a participant that is no more are dropped. */
  void send_description (const std::string &id, GstWebRTCSDPType type, const GstSDPMessage *sdp);
  void send_candidate (const std::string &id, guint mline, const char *candidate);
  void end_session (const std::string &id);
  /* error @code to the participant, then its socket closed with @close_code. */
  void reject_session (const std::string &id, const std::string &code, const std::string &message,
                       gushort close_code);
  void set_pipeline_tracks (const std::vector<room::Track> &tracks);
  void send_chat (const std::string &text);
  void send_speaking (const std::string &participant, bool speaking, gint level, bool active);
  /* The host muted @participant for everyone, or let it be heard again:
   * every participant is told ("audio-muted"), and each newcomer. */
  void send_audio_muted (const std::string &participant, bool muted);
  /* Every participant's level now (dBFS): told to everyone ("levels"). */
  void send_levels (const std::vector<std::pair<std::string, gint>> &levels);

  /* WHIP into the room (rtcroomhubwhip.cpp): a publisher without the room
   * protocol (an audio app, OBS) POSTs its offer to /whip-room/<name>: it
   * joins as a participant named @name, its sending m-lines its tracks
   * (label "microphone" or "camera"); the answer goes back once the
   * element's candidates are gathered (WHIP does not trickle here), with
   * Location /whip-room/<name>/<secret>. It receives nothing and is never
   * offered anything; it leaves on DELETE of that URL, when its POST's
   * connection drops before the answer, or when the element ends its
   * session (its media stopped for participant-timeout). @msg is answered
   * (4xx, 503) or paused until the answer. @resource_prefix:
   * "/whip-room/<name>". */
  void whip_offer (SoupServerMessage *msg, GBytes *body, const std::string &name,
                   const std::string &resource_prefix);
  /* DELETE of @secret's resource: false when no session has it. */
  bool whip_delete (const std::string &secret);

  /* Closes every socket with @code and @reason and calls no Event after. */
  void shutdown (gushort code, const std::string &reason);
  guint open_connections () const { return (guint)connections_.size (); }
  guint n_participants () const { return (guint)participants_.size (); }

private:
  struct Connection;
  struct Participant;
  struct Whip;
  struct Departed {
    std::string secret;
    gint64 until_us;
  };
  using SdpPtr = std::unique_ptr<GstSDPMessage, decltype (&gst_sdp_message_free)>;

  static void on_message (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data);
  static void on_closed (SoupWebsocketConnection *ws, gpointer data);
  static void on_error (SoupWebsocketConnection *ws, GError *error, gpointer data);
  static gboolean on_tick (gpointer data);

  void schedule_tick ();
  void tick ();
  bool admit (Connection &c, const Settings &s);
  void handle (Connection &c, const room::Message &m);
  void handle_join (Connection &c, const room::Message &m);
  void handle_description (Participant &p, const room::Message &m);
  void handle_candidate (Participant &p, const room::Message &m);
  void handle_track (Participant &p, const room::Message &m);
  void handle_mute (Participant &p, const room::Message &m);
  void handle_volume (Participant &p, const room::Message &m);
  void handle_chat (Participant &p, const room::Message &m);
  /* Gives @text from @from (@name) the next seq, sends it to everyone, keeps it for resumes. */
  guint64 post_chat (const std::string &from, const std::string &name, const std::string &text);

  Participant *find (const std::string &id);
  void send (Connection &c, const std::string &text);
  void send_error (Connection &c, const std::string &code, const std::string &message,
                   const std::string &ref = "");
  /* To every participant but @except. */
  void broadcast (const std::string &text, const Participant *except = nullptr);
  /* Closes @c (kept until "closed"); a participant still on it is kicked. */
  void close (Connection &c, gushort code, const std::string &reason);
  /* Removes @id from the room: `left` to the others; with @resumable its id
   * may come back within resume-timeout; with @ended "session-ended". @id
   * is a copy: the participant and its connection's copy go. */
  void leave (std::string id, const std::string &reason, bool resumable, bool ended);
  void forget (Connection *c);
  std::string label_of (const std::string &participant, const std::string &track);
  /* rtcroomhubwhip.cpp */
  void whip_answer (Participant &p, GstWebRTCSDPType type, const GstSDPMessage *sdp);
  void whip_candidate (Participant &p, guint mline, const char *candidate);
  void whip_finish (Participant &p);
  void whip_fail (Participant &p, guint status, const std::string &why);
  static void on_whip_disconnected (SoupServerMessage *msg, gpointer data);
  static gboolean on_whip_timeout (gpointer data);

  GMainContext *context_;
  Events events_;
  std::function<Settings ()> settings_;
  std::function<std::string ()> new_id_;
  GstObject *log_;
  bool stopped_ = false;
  struct SourceDeleter {
    void operator() (GSource *source) const;
  };
  std::unique_ptr<GSource, SourceDeleter> timer_; /* one-shot, made again each tick */
  guint64 next_serial_ = 1;
  guint64 chat_seq_ = 0;
  /* The latest room::CHAT_REPLAY chat messages (seq, the message), for
   * resumed participants. */
  std::deque<std::pair<guint64, std::string>> chat_log_;
  std::map<guint64, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Participant>> participants_; /* in the order they joined */
  std::map<std::string, Departed> departed_;
  std::vector<room::Track> pipeline_tracks_;
  /* Audio mixing: who speaks now (id -> level) and the active speaker, as
   * the element said (send_speaking ()); told to each newcomer. */
  std::map<std::string, gint> speaking_;
  /* Who the host muted (send_audio_muted ()); told to each newcomer. */
  std::set<std::string> host_muted_;
  std::string active_speaker_;
};

} // namespace rtc

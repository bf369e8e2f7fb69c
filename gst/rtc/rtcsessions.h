/* RtcSessions: the session layer both elements share. It is the element's
 * handler of signaller events and of its PeerSessions' events, and owns:
 *
 *  - the table of sessions (one per peer, each with its PeerSession);
 *  - the offer/answer exchange in the role the signaller declares: answerer
 *    (the peer's offer comes with "session-requested") or offerer (the
 *    element offers, the answer comes with "session-description");
 *  - the description gate: a signaller that does not trickle gets a
 *    description that holds the candidates gathered in time; a trickling
 *    one gets it at once and the candidates one by one;
 *  - teardown (reject before the answer, end after it), handshake and
 *    silence expiry, and the bus warnings for bad input from a signaller
 *    (a malformed description, a candidate for an unknown session, a
 *    description in the wrong state) — each ends only the session it names.
 *
 * What is the element's own — which m-lines it takes, what it sends or
 * receives, what it posts — is decided by its Delegate.
 *
 * Threading: everything runs on the element's control thread, except
 * bind()/unbind() (application thread, while the control thread runs no
 * session). Signaller signals reach it through a SignallerLink, PeerSession
 * events are posted to the control thread. It takes no lock of its own.
 */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gst/rtcbridge/gstrtcsignaller.h>

#include "rtccontrolthread.h"
#include "rtcdatarouter.h"
#include "rtcpeersession.h"
#include "rtcsignallerlink.h"
#include "rtcstats.h"

namespace rtc {

/* One peer's session; elements derive their own (a viewer's media, a
 * publisher's outputs). */
struct Session {
  virtual ~Session ();
  /* Whether the peer is expected to send something (media, RTCP for what
   * it receives, data): when not, silence does not end the session (its
   * signaller's keepalive says whether it is there). Control thread. */
  virtual bool expects_traffic () const { return true; }

  std::string id;
  std::string peer_address; /* who the peer is, as the signaller said */
  std::unique_ptr<PeerSession> peer;
  bool offerer = false;    /* the element made the offer */
  bool agreed = false;     /* our answer went out, or the peer's answer was applied */
  bool connected = false;  /* ICE and DTLS */
  gint64 connected_us = 0; /* monotonic: when it first connected; 0: not yet */
  /* Its first media once connected (rtcstats.h), and whether the element's
   * histogram has it yet. */
  std::shared_ptr<FirstMedia> first_media;
  bool first_media_counted = false;
  /* Renegotiation (sessions whose m-lines change): */
  bool awaiting_answer = false; /* our offer is out */
  bool answering = false;       /* the peer's later offer is being answered */
  bool offer_again = false;     /* offer once the exchange under way is done */
  bool applying_answer = false; /* the peer's answer to our offer is being applied */
  /* The peer's offer that came while its answer to ours was being applied:
   * answered right after (owned). */
  GstWebRTCSessionDescription *queued_offer = nullptr;

  /* The description gate (non-trickling signallers). */
  struct Gate {
    GstWebRTCSessionDescription *description = nullptr; /* owned, until sent */
    std::vector<std::pair<guint, std::string>> candidates;
    bool complete = false, timed_out = false, armed = false, last_chance = false;
    bool sent = false;
    guint64 serial = 0; /* identifies this session in timers */
    ~Gate ();
  } gate;
};

class Sessions : public SignallerLink::Handler {
public:
  /* What the element gives a new session. */
  struct Plan {
    PeerSession::Config config;
    std::vector<MediaChoice> choices; /* answerer: one per answered m-line */
    std::vector<CapsPtr> mlines;      /* offerer: the codecs offered, per m-line */
    /* Instead of @mlines (offerer) or @choices (answerer): adds the
     * m-lines to the running session's PeerSession (add_send_line ()...)
     * before the offer is made or the peer's offer applied (an answerer
     * adds one transceiver per offered audio/video m-line, in order: webrtcbin
     * pairs them with the offer's m-lines by order and codec); false with
     * @error fails the session. */
    std::function<bool (PeerSession &peer, std::string &error)> build;
  };
  /* Why the element will not take a session now. */
  struct Refusal {
    GstRtcSignallerError code = GST_RTC_SIGNALLER_ERROR_INTERNAL;
    std::string reason;
    bool wait = false; /* offerer: not yet; the element calls retry_pending() */
  };

  class Delegate {
  public:
    virtual ~Delegate () = default;
    /* A peer's offer: the element's session for it and the choices to
     * answer with, or nullptr and why not. */
    virtual std::unique_ptr<Session> answer_offer (const std::string &id, const std::string &peer,
                                                   const GstSDPMessage *offer, Plan &plan,
                                                   Refusal &refusal) = 0;
    /* The element is to offer: its session and the m-lines, or nullptr and
     * why not (refusal.wait: ask again at retry_pending()). */
    virtual std::unique_ptr<Session> make_offer (const std::string &id, const std::string &peer,
                                                 Plan &plan, Refusal &refusal) = 0;
    /* Sessions that may be connecting at once (0: any number). */
    virtual guint max_handshakes () { return 0; }
    /* Whether an offering signaller may also bring a peer's offer (a room:
     * a WHIP publisher among participants it offers to). */
    virtual bool takes_offers_when_offering () const { return false; }
    /* The session's webrtcbin exists, before negotiation. */
    virtual void created (Session &session) {}
    /* The peer's answer to our offer was applied. False with @error ends
     * the session. */
    virtual bool answer_applied (Session &session, std::string &error) { return true; }
    /* The offer/answer exchange is done (answer sent, or answer applied). */
    virtual void agreed (Session &session) {}
    /* ICE and DTLS are up. */
    virtual void connected (Session &session) {}
    /* A later exchange is done: the answer to our later offer
     * (Sessions::renegotiate ()) was applied, or our answer to the peer's
     * later offer went out. */
    virtual void renegotiated (Session &session) {}
    /* The session was taken down (its PeerSession is gone). */
    virtual void removed (Session &session, const std::string &reason) = 0;
    /* Stats (rtcstats.h): the element's own fields for @session, and for
     * itself (encoders running, ...). */
    virtual void describe (Session &session, GstStructure *fields) {}
    virtual void describe (GstStructure *fields) {}
    /* The signaller's progress and fatal failure. */
    virtual void signaller_state (const std::string &state, const std::string &detail) {}
    virtual void signaller_error (const std::string &message) = 0;
  };

  /* How the element's peers are called: "viewer" (publish) or "publisher"
   * (subscribe), and the field naming the session in warnings. */
  struct Names {
    const char *peer;
    const char *id_field;
  };

  Sessions (GstElement *element, Names names, Delegate &delegate, DataRouter &data,
            ControlThread &control);
  ~Sessions () override;
  Sessions (const Sessions &) = delete;
  Sessions &operator= (const Sessions &) = delete;

  /* Application thread, before the signaller starts / after it stopped. */
  void bind (GstRtcSignaller *signaller);
  void unbind ();

  GstRtcSignallerRole role () const { return role_; }
  const Names &names () const { return names_; }
  Session *find (const std::string &id);
  const std::map<std::string, std::unique_ptr<Session>> &all () const { return sessions_; }
  size_t size () const { return sessions_.size (); }

  /* Ends session @id: its PeerSession goes, the delegate cleans up, and
   * when @tell the signaller hears of it (reject before the exchange,
   * end after). @warn posts a warning naming the session; with
   * @explain_ice, when ICE never connected, the warning also says why
   * (rtcicediagnosis.h: the text, and ice-diagnosis, local-candidates and
   * remote-candidates fields). */
  void remove (const std::string &id, const std::string &reason, bool tell, bool warn,
               bool explain_ice = false);
  void remove_all (const std::string &reason, bool tell);
  /* Rejects a session the element never made. */
  void reject (const std::string &id, GstRtcSignallerError code, const std::string &reason);
  /* The end of the stream: an offerer's signaller is stopped (it would ask
   * for a new session); an answerer's keeps refusing new peers. */
  void stop_offering ();
  /* Ends the sessions not connected @handshake_us after they were made, and
   * the connected ones silent (no media, RTCP or data-channel message from
   * the peer) for @silence_us — but not one that expects no traffic
   * (Session::expects_traffic) or whose peer's description carries no media
   * (data channels alone), which has nothing to send when idle: its
   * signaller ends it. */
  void expire (gint64 handshake_us, gint64 silence_us);
  /* Stats (rtcstats.h): the element's figures — n-sessions, connected,
   * handshakes (in progress), rejected (offers refused by reason: a
   * structure of counts), the connect-time and session-duration
   * histograms, and the delegate's — into @fields, and each session's
   * facts. */
  void gather_stats (GstStructure *fields, std::vector<SessionFacts> &facts);
  /* Offerer: asks the delegate again for the offers it deferred. */
  void retry_pending ();
  /* A new offer for session @id, whose m-lines changed (PeerSession's
   * add_send_line () ...): at once, or once the exchange under way is
   * done. The peer's own later offers are answered; in a glare, the
   * peer's offer loses, unless the session is polite (PeerSession's
   * Config::polite): then ours is dropped and made again after. */
  void renegotiate (const std::string &id);

  /* SignallerLink::Handler */
  void session_requested (const std::string &id, const std::string &peer,
                          GstWebRTCSessionDescription *offer) override;
  void session_description (const std::string &id,
                            GstWebRTCSessionDescription *description) override;
  void remote_candidate (const std::string &id, guint mline, const std::string &candidate) override;
  void session_ended (const std::string &id) override;
  void state_changed (const std::string &state, const std::string &detail) override;
  void error (const std::string &message) override;

private:
  /* @s's first media (FirstMedia::first_us (), 0: not yet), into the
   * histogram the first time it is there. */
  gint64 count_first_media (Session &s);
  void answer (const std::string &id, const std::string &peer, GstWebRTCSessionDescription *offer);
  void offer_session (const std::string &id, const std::string &peer);
  Session &add (std::unique_ptr<Session> session, const std::string &id, const std::string &peer,
                bool offerer, const Plan &plan);
  void on_event (const std::string &id, PeerSession::Event event, const std::string &detail);
  void send_description (Session &s, GstWebRTCSessionDescription *description);
  void gate_check (Session &s, bool on_candidate);
  void gate_timer (Session &s, guint ms, bool timeout);
  void gate_release (Session &s);
  void bad_input (const std::string &id, const std::string &what);
  void apply_signaller_ice_servers (PeerSession::Config &config);
  bool recently_removed (const std::string &id) const;

  GstElement *element_;
  Names names_;
  Delegate &delegate_;
  DataRouter &data_;
  ControlThread &control_;
  GstRtcSignaller *signaller_ = nullptr; /* while bound; owned */
  GstRtcSignallerRole role_ = GST_RTC_SIGNALLER_ROLE_ANSWERER;
  bool trickle_ = false;
  guint64 next_serial_ = 0;

  std::map<std::string, std::unique_ptr<Session>> sessions_;
  std::vector<std::pair<std::string, std::string>> pending_; /* offerer: id, peer */
  std::deque<std::string> removed_;                          /* the last ids removed */
  std::map<GstRtcSignallerError, guint> rejected_;           /* sessions refused, by why */
  /* Seconds from a session's start to connected, and connected sessions'
   * lives (from their start to their end). */
  Histogram connect_times_{{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
  Histogram first_media_times_{{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
  Histogram durations_{{1, 10, 60, 300, 1800, 3600, 4 * 3600}};
};

/* What every element's delegate has: its session layer, its bus messages
 * ("<prefix>-client-state" for the signaller's progress), and the hooks to
 * its signals and errors. */
class ElementSessions : public Sessions::Delegate {
public:
  struct Hooks {
    /* The session's webrtcbin exists (viewer-created / session-created). */
    std::function<void (const std::string &id, GstElement *webrtcbin)> created;
    /* The signaller's fatal failure (the element posts an error). */
    std::function<void (const std::string &message)> error;
  };
  /* The timeouts of the element's sessions. */
  struct Timeouts {
    PeerSession::Config session; /* ICE servers, gathering timeout */
    gint64 handshake_us = 15 * G_USEC_PER_SEC;
    gint64 silence_us = 30 * G_USEC_PER_SEC;
    /* Sessions connecting at once (0: no limit): a new one beyond it is
     * refused (UNAVAILABLE). */
    guint max_handshakes = 0;
  };

  /* @prefix names the bus messages ("webrtcpublish"). */
  ElementSessions (GstElement *element, const char *prefix, Sessions::Names names, DataRouter &data,
                   ControlThread &control, Hooks hooks);

  Sessions &sessions () { return sessions_; }
  /* Any thread (the element's handle_message): an error from inside one
   * session's webrtcbin (a peer's broken DTLS, ...) ends that session, not
   * the pipeline: true when @message is such an error (the caller drops
   * it; a warning naming the session is posted instead). */
  bool absorb_session_error (GstMessage *message);
  void signaller_state (const std::string &state, const std::string &detail) override;
  void signaller_error (const std::string &message) override;

protected:
  /* Posts @fields as element message "<prefix><suffix>". */
  void post (const std::string &suffix, GstStructure *fields);
  void created_hook (Session &session);

  GstElement *element_;
  std::string prefix_;
  ControlThread &control_;
  Hooks hooks_;
  Sessions sessions_;
};

} // namespace rtc

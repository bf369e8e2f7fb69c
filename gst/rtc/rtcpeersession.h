/* RtcPeerSession: one remote peer and its webrtcbin, in either role and
 * either direction:
 *
 *  - answerer (start()): the peer offered (a WHEP viewer, a WHIP publisher);
 *  - offerer (start_offer()): we offer (WHIP client, WHEP client) and the
 *    peer's answer comes through set_remote_answer();
 *  - sending (Config::direction SENDONLY): the element links a shared
 *    encoder branch to each m-line once connected:
 *      encoder branch tee -> queue (leaky) -> payloader (peer's PT) -> webrtcbin.sink_N
 *  - receiving (RECVONLY): webrtcbin's src pads are handed to
 *    Config::on_src_pad as media arrives.
 *
 * Life: the transceivers are added, the description is created and set:
 * our offer or answer is ready (Event::LOCAL_READY), then each local
 * candidate is reported (Event::LOCAL_CANDIDATE) and the end of gathering
 * (Event::GATHERING_DONE), in that order. Whether the peer gets the
 * description at once or with its candidates is the session layer's
 * business (rtcsessions.h), not this class's. A polite session's later
 * offers (Config::polite) are reported as soon as they are made and applied
 * only with the peer's answer, so that glare costs nothing but a dropped
 * offer (drop_local_offer ()).
 *
 * Threading:
 *  - webrtcbin's callbacks (promises, on-ice-candidate, notify::*) run on
 *    webrtcbin's own thread; they only touch this object's state under
 *    `lock_` and report through Notify, which must not block (the element
 *    posts to its control thread). Config::on_src_pad runs on a streaming
 *    thread.
 *  - Everything else (constructor, start, link_media, destructor) runs on
 *    the element's control thread.
 *  - Lock order: the element's lock, then `notify_lock_`, then `lock_`.
 *    `lock_` is never held while calling into webrtcbin or Notify;
 *    `notify_lock_` only orders the description before its candidates.
 */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rtccodecs.h"
#include "rtcencoderbranch.h"
#include "rtcicediagnosis.h"
#include "rtcicerestart.h"

namespace rtc {

struct SessionHandle;

/* Turns off libnice's UPnP port mapping on @webrtcbin's ICE agent. */
void disable_upnp (GstElement *webrtcbin);

class PeerSession {
public:
  enum class Event {
    LOCAL_READY,     /* take_local_description() has our offer or answer */
    GATHERING_DONE,  /* every local candidate was reported */
    FAILED,          /* negotiation or connection failed; detail says why */
    REFUSED,         /* webrtcbin refused the offer (a bad offer); detail says why */
    CONNECTED,       /* ICE + DTLS connected: link the media */
    REMOTE_SET,      /* the peer's answer was applied (offerer) */
    CLOSED,          /* the peer said goodbye (RTCP BYE) */
    LOCAL_CANDIDATE, /* detail is "<mline> <candidate>" */
  };
  using Notify =
      std::function<void (const std::string &id, Event event, const std::string &detail)>;

  struct Config {
    std::string stun_server;               /* stun://host:port or empty */
    std::vector<std::string> turn_servers; /* turn(s)://user:pass@host:port */
    /* Only relayed candidates (TURN): the peer never learns our addresses. */
    bool relay_only = false;
    /* The session layer's wait for candidates (non-trickling signallers). */
    GstClockTime gather_timeout = GST_SECOND;
    GstWebRTCRTPTransceiverDirection direction = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
    gint latency_ms = -1; /* receive jitter buffer; -1 = webrtcbin's default */
    /* Receiving: called on a streaming thread with each new src pad of the
     * webrtcbin (caps set). Must not block. */
    std::function<void (GstPad *pad)> on_src_pad;
    /* Offerer: called once the webrtcbin runs, just before the offer is
     * made (to open data channels, which the offer then includes). */
    std::function<void ()> before_offer;
    /* An RTCP BYE from the peer ends the session (a WHEP viewer leaving);
     * false where the peer's tracks come and go (a room). */
    bool end_on_bye = true;
    /* Retransmission on every video m-line (NACK feedback, RTX): lost
     * packets are asked for and resent on this hop. */
    bool nack = false;
    /* The polite side of perfect negotiation (RFC 8829 4.1.10): our offers
     * (make_offer (), always later offers: a polite session answered the
     * first) are applied only once the peer's answer comes, so that a
     * peer's offer that crosses one can still be answered: webrtcbin 1.22
     * cannot roll an applied offer back. See drop_local_offer (). */
    bool polite = false;
  };

  PeerSession (std::string id, std::string peer_address, GstBin *bin, Notify notify);
  ~PeerSession ();
  PeerSession (const PeerSession &) = delete;
  PeerSession &operator= (const PeerSession &) = delete;

  const std::string &id () const { return id_; }
  const std::string &peer_address () const { return peer_address_; }
  GstElement *webrtcbin () const { return webrtcbin_; }

  /* Answerer: adds the webrtcbin to the bin and answers @offer, one
   * transceiver per choice. */
  bool start (const Config &config, GstWebRTCSessionDescription *offer,
              std::vector<MediaChoice> &choices, std::string &error);
  /* Offerer: adds the webrtcbin to the bin and makes an offer with one
   * m-line per entry of @mlines (the codecs offered for it, in order). */
  bool start_offer (const Config &config, const std::vector<GstCaps *> &mlines, std::string &error);
  /* Offerer: applies the peer's answer (REMOTE_SET, or REFUSED). Also the
   * answer to a later offer (make_offer ()). */
  void set_remote_answer (GstWebRTCSessionDescription *answer);

  /* Sessions whose m-lines come and go (a room), in either role:
   *  - begin (): the webrtcbin in the bin, running, no m-line yet;
   *  - add_send_line (): a new sending m-line: webrtcbin's new sink pad
   *    (owned by the session) with @caps as the codecs offered and @msid
   *    announced (a=ssrc ... msid:), linked later with link_pad ();
   *  - add_recv_line (): a new receiving m-line (or, with @inactive, one
   *    that carries nothing: an answerer's place holder for an offered
   *    m-line it neither sends nor receives on);
   *  - set_inactive (): an m-line that carries nothing any more, for good
   *    (webrtcbin 1.22 cannot make it send again);
   *  - make_offer (): our (new) offer: LOCAL_READY, then the answer through
   *    set_remote_answer ();
   *  - set_remote_offer (): the peer's (new) offer: our answer, LOCAL_READY;
   *    a refused one is REFUSED. A later offer with new ICE credentials
   *    restarts ICE (rtcicerestart.h): the answer has new credentials of
   *    ours and the connection stays up meanwhile (any session, not only a
   *    room's). */
  bool begin (const Config &config, std::string &error);
  GstPad *add_send_line (GstCaps *caps, const std::string &msid, std::string &error);
  bool add_recv_line (GstCaps *caps, std::string &error, bool inactive = false);
  void set_inactive (GstPad *send_line);
  void make_offer ();
  void set_remote_offer (GstWebRTCSessionDescription *offer);
  /* Polite sessions: the peer's offer crossed ours (glare): ours is
   * forgotten (not applied yet, or still being made: it never shows up),
   * and the peer's can be answered. The element offers again afterwards. */
  void drop_local_offer ();
  bool polite () const { return polite_; }
  /* The m-line index of a sending line, once negotiated (-1 before). */
  gint mline_of (GstPad *send_line) const;
  /* Our offer or answer (transfer full), once LOCAL_READY. */
  GstWebRTCSessionDescription *take_local_description ();
  void add_remote_candidate (guint mline, const std::string &candidate);
  /* What ICE had, for explaining why it did not connect
   * (rtcicediagnosis.h). Control thread. */
  IceFacts ice_facts () const;
  /* The peer's offer or answer (nullptr before it is known). */
  const GstSDPMessage *remote_sdp () const { return remote_sdp_; }
  /* Whether the peer's description has an m=application (SCTP) line. */
  bool remote_has_data () const;
  /* Receiving: asks the peer for a keyframe (PLI) on every video stream. */
  void request_keyframe ();

  /* Links m-line @mline to @branch (control thread, after CONNECTED), sent
   * with payload type @pt and SSRC @ssrc (the one our description
   * announced; 0: the payloader's own). */
  bool link_media (guint mline, gint pt, guint ssrc, EncoderBranch *branch, std::string &error);
  /* The same for a sending line of add_send_line (). */
  bool link_pad (GstPad *send_line, gint pt, guint ssrc, EncoderBranch *branch, std::string &error);
  /* Moves m-line @mline, linked before, to @branch (another rung of the
   * same codec): the viewer's path waits for the new branch's keyframe
   * (control thread). */
  bool relink_media (guint mline, EncoderBranch *branch, std::string &error);
  /* Unlinks every media path (control thread). */
  void unlink_media ();
  /* Unlinks the media path of one sending line (control thread). */
  void unlink_pad (GstPad *send_line);

  bool connected () const { return connected_; }
  gint64 created_us () const { return created_us_; }
  /* Last time RTCP came from the peer (or the connection time). */
  gint64 last_activity_us () const { return last_activity_us_; }
  /* Any thread: the peer showed life at @when_us otherwise (a data-channel
   * message); the later of the two counts. */
  void touch (gint64 when_us);
  std::vector<std::string> codec_names () const;
  /* Why the session should end at @now_us, or "" : not connected
   * @handshake_us after it was made, or silent (no RTCP, nor media when
   * receiving, nor what touch() reported) for @silence_us once connected. @peer names the peer in
   * the reason ("viewer", "publisher"). */
  std::string expiry_reason (gint64 now_us, gint64 handshake_us, gint64 silence_us,
                             const char *peer) const;
  /* Liveness token handed to webrtcbin callbacks (see the .cpp). */
  const std::shared_ptr<SessionHandle> &handle () const { return handle_; }

private:
  void apply_first_offer (GstWebRTCSessionDescription *offer);
  struct MediaLink {
    guint mline;
    EncoderBranch *branch;
    GstPad *tee_pad;
    GstElement *queue;
    GstElement *payloader;
  };

  static void on_remote_set (GstPromise *promise, gpointer data);
  static void on_description_created (GstPromise *promise, gpointer data);
  static void on_remote_answer_set (GstPromise *promise, gpointer data);
  static void on_pad_added (GstElement *webrtcbin, GstPad *pad, gpointer data);
  static void on_new_jitterbuffer (GstElement *rtpbin, GstElement *jitterbuffer, guint session,
                                   guint ssrc, gpointer data);
  static GstPadProbeReturn on_rtp_in (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  static void on_rtpbin_pad_added (GstElement *rtpbin, GstPad *pad, gpointer data);
  static GstPadProbeReturn drop_unlinked (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  bool prepare (const Config &config, std::string &error);
  bool add_to_bin (const Config &config, std::string &error);
  static void on_local_set (GstPromise *promise, gpointer data);
  static void on_ice_candidate (GstElement *webrtcbin, guint mline, gchar *candidate,
                                gpointer data);
  static void on_gathering_state (GObject *webrtcbin, GParamSpec *pspec, gpointer data);
  static void on_connection_state (GObject *webrtcbin, GParamSpec *pspec, gpointer data);
  static void on_ssrc_active (GstElement *rtpbin, guint session, guint ssrc, gpointer data);
  static void on_bye_ssrc (GstElement *rtpbin, guint session, guint ssrc, gpointer data);
  static GstPadProbeReturn keyframe_gate (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  void local_ready ();
  void gathering_done ();
  void fail (const std::string &reason, Event event = Event::FAILED);

  std::shared_ptr<SessionHandle> handle_; /* see rtcpeersessionprivate.h */
  const std::string id_;
  const std::string peer_address_;
  GstBin *bin_;           /* not owned: the element */
  GstElement *webrtcbin_; /* child of bin_ */
  GstElement *rtpbin_ = nullptr;
  Notify notify_;
  GstSDPMessage *remote_sdp_ = nullptr;
  /* The peer's a=fingerprint ("sha-256 AB:…"), checked once DTLS connects
   * (rtcdtlscheck.h). Guarded by lock_. */
  std::string remote_fingerprint_;
  gint64 created_us_;
  std::atomic<gint64> last_activity_us_{0};
  std::atomic<bool> connected_{false};
  std::vector<MediaLink> links_;                       /* control thread only */
  std::vector<std::pair<guint, std::string>> choices_; /* mline, codec name */
  void keep_dtls_role (GstSDPMessage *description, bool offer);
  /* The peer's first description's fingerprint, for the check once DTLS
   * connects (rtcdtlscheck.h). */
  void note_remote_fingerprint (const GstSDPMessage *sdp);
  std::string dtls_setup_;      /* our DTLS role in SDP terms, once the first exchange gave it */
  bool creating_offer_ = false; /* what create-offer/-answer is making; webrtcbin's thread */
  bool polite_ = false;         /* Config::polite, from begin () */
  static void on_deferred_local_set (GstPromise *promise, gpointer data);
  void park_unnegotiated (const std::vector<GstPad *> &lines);
  void unpark ();
  std::vector<GstPad *> send_lines_; /* add_send_line (), owned; control thread */
  std::function<void (GstPad *)> on_src_pad_;

  std::mutex notify_lock_;                       /* orders LOCAL_READY before the candidates */
  std::mutex lock_;                              /* guards the members below */
  GstWebRTCSessionDescription *local_ = nullptr; /* our offer or answer */
  bool local_applied_ = false;
  std::vector<std::pair<guint, std::string>> local_candidates_; /* before local_applied_ */
  bool gathering_reported_ = false;
  bool failed_ = false;
  /* Polite sessions: our offer, made but not applied until answered. */
  GstWebRTCSessionDescription *deferred_ = nullptr;
  guint64 offers_made_ = 0, offers_created_ = 0, dropped_upto_ = 0; /* drop_local_offer () */
  /* While a peer's offer is answered, our sending lines that no exchange
   * has placed yet take codec preferences that match no offer: webrtcbin
   * 1.22 would otherwise give a free transceiver of ours to a new m-line of
   * the peer's offer (their directions would cancel out). The real
   * preferences come back once the answer is made. */
  bool answering_ = false;
  std::vector<std::pair<GstWebRTCRTPTransceiver *, GstCaps *>> parked_; /* owned */
  /* The peer's later offer restarts ICE (new credentials): libnice's
   * stream was restarted and the answer made for it gets these
   * (rtcicerestart.h); empty otherwise. */
  IceCredentials restart_;
  /* Control thread: for ice_facts (). */
  guint trickled_mdns_ = 0; /* '.local' candidates the peer trickled */
  bool has_turn_ = false;   /* Config::turn_servers were given */
};

} // namespace rtc

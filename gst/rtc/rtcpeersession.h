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
 * Life: the transceivers are added, the description is created and set;
 * when ICE gathering completes (or the gathering timeout fires) our offer or
 * answer with its candidates is ready (Event::LOCAL_READY). Candidates found
 * later are reported one by one (Event::LOCAL_CANDIDATE).
 *
 * Threading:
 *  - webrtcbin's callbacks (promises, on-ice-candidate, notify::*) run on
 *    webrtcbin's own thread; they only touch this object's state under
 *    `lock_` and report through Notify, which must not block (the element
 *    posts to its control thread). Config::on_src_pad runs on a streaming
 *    thread.
 *  - Everything else (constructor, start, link_media, destructor, timers)
 *    runs on the element's control thread.
 *  - Lock order: the element's lock, then `lock_`. `lock_` is never held
 *    while calling into webrtcbin or Notify.
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

namespace rtc {

struct SessionHandle;

/* Turns off libnice's UPnP port mapping on @webrtcbin's ICE agent. */
void disable_upnp (GstElement *webrtcbin);

class PeerSession {
public:
  enum class Event {
    LOCAL_READY,     /* take_local_description() has our offer or answer */
    FAILED,          /* negotiation or connection failed; detail says why */
    REFUSED,         /* webrtcbin refused the offer (a bad offer); detail says why */
    CONNECTED,       /* ICE + DTLS connected: link the media */
    REMOTE_SET,      /* the peer's answer was applied (offerer) */
    CLOSED,          /* the peer said goodbye (RTCP BYE) */
    LOCAL_CANDIDATE, /* detail is "<mline> <candidate>" gathered after the answer */
  };
  using Notify =
      std::function<void (const std::string &id, Event event, const std::string &detail)>;

  struct Config {
    std::string stun_server;               /* stun://host:port or empty */
    std::vector<std::string> turn_servers; /* turn(s)://user:pass@host:port */
    GstClockTime gather_timeout = GST_SECOND;
    GMainContext *control_context = nullptr; /* for the gathering timer */
    GstWebRTCRTPTransceiverDirection direction = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
    gint latency_ms = -1; /* receive jitter buffer; -1 = webrtcbin's default */
    /* Receiving: called on a streaming thread with each new src pad of the
     * webrtcbin (caps set). Must not block. */
    std::function<void (GstPad *pad)> on_src_pad;
    /* Offerer: called once the webrtcbin runs, just before the offer is
     * made (to open data channels, which the offer then includes). */
    std::function<void ()> before_offer;
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
  /* Offerer: applies the peer's answer (REMOTE_SET, or REFUSED). */
  void set_remote_answer (GstWebRTCSessionDescription *answer);
  /* Our offer or answer with gathered candidates (transfer full), once
   * LOCAL_READY. */
  GstWebRTCSessionDescription *take_local_description ();
  void add_remote_candidate (guint mline, const std::string &candidate);
  /* The peer's offer or answer (nullptr before it is known). */
  const GstSDPMessage *remote_sdp () const { return remote_sdp_; }
  /* Whether the peer's description has an m=application (SCTP) line. */
  bool remote_has_data () const;
  /* Receiving: asks the peer for a keyframe (PLI) on every video stream. */
  void request_keyframe ();

  /* Links m-line @mline to @branch (control thread, after CONNECTED). */
  bool link_media (guint mline, gint pt, EncoderBranch *branch, std::string &error);
  /* Moves m-line @mline, linked before, to @branch (another rung of the
   * same codec): the viewer's path waits for the new branch's keyframe
   * (control thread). */
  bool relink_media (guint mline, EncoderBranch *branch, std::string &error);
  /* Unlinks every media path (control thread). */
  void unlink_media ();

  bool connected () const { return connected_; }
  gint64 created_us () const { return created_us_; }
  /* Last time RTCP came from the peer (or the connection time). */
  gint64 last_activity_us () const { return last_activity_us_; }
  std::vector<std::string> codec_names () const;
  /* Why the session should end at @now_us, or "" : not connected
   * @handshake_us after it was made, or silent (no RTCP, nor media when
   * receiving) for @silence_us once connected. @peer names the peer in the
   * reason ("viewer", "publisher"). */
  std::string expiry_reason (gint64 now_us, gint64 handshake_us, gint64 silence_us,
                             const char *peer) const;
  /* Liveness token handed to webrtcbin callbacks (see the .cpp). */
  const std::shared_ptr<SessionHandle> &handle () const { return handle_; }

private:
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
  bool prepare (const Config &config, std::string &error);
  bool add_to_bin (const Config &config, std::string &error);
  static void on_local_set (GstPromise *promise, gpointer data);
  static void on_ice_candidate (GstElement *webrtcbin, guint mline, gchar *candidate,
                                gpointer data);
  static void on_gathering_state (GObject *webrtcbin, GParamSpec *pspec, gpointer data);
  static void on_connection_state (GObject *webrtcbin, GParamSpec *pspec, gpointer data);
  static void on_ssrc_active (GstElement *rtpbin, guint session, guint ssrc, gpointer data);
  static void on_bye_ssrc (GstElement *rtpbin, guint session, guint ssrc, gpointer data);
  static gboolean on_gather_timeout (gpointer data);
  static GstPadProbeReturn keyframe_gate (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  /* Sends our description when it may go (see the .cpp). */
  void maybe_finish (bool on_candidate);
  static gboolean on_finish_timer (gpointer data);
  void add_timer (guint ms, GSourceFunc fn);
  void finish_local ();
  void fail (const std::string &reason, Event event = Event::FAILED);

  std::shared_ptr<SessionHandle> handle_; /* see the .cpp */
  const std::string id_;
  const std::string peer_address_;
  GstBin *bin_;           /* not owned: the element */
  GstElement *webrtcbin_; /* child of bin_ */
  GstElement *rtpbin_ = nullptr;
  Notify notify_;
  GstSDPMessage *remote_sdp_ = nullptr;
  gint64 created_us_;
  std::atomic<gint64> last_activity_us_{0};
  std::atomic<bool> connected_{false};
  std::vector<MediaLink> links_;                       /* control thread only */
  std::vector<std::pair<guint, std::string>> choices_; /* mline, codec name */
  bool offerer_ = false;
  std::function<void (GstPad *)> on_src_pad_;

  std::mutex lock_;                              /* guards the members below */
  GstWebRTCSessionDescription *local_ = nullptr; /* our offer or answer */
  bool local_applied_ = false;
  bool gather_timed_out_ = false; /* the gathering timer fired */
  bool finish_armed_ = false, last_chance_armed_ = false;
  std::vector<GSource *> timers_; /* owned, on control_context_ */
  GMainContext *control_context_ = nullptr;
  std::vector<std::pair<guint, std::string>> local_candidates_;
  bool local_sent_ = false;
  bool failed_ = false;
};

} // namespace rtc

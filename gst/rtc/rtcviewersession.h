/* RtcViewerSession: one remote peer receiving our media. Owns that peer's
 * webrtcbin and the per-viewer tail of each media path:
 *
 *   encoder branch tee ─▶ queue (leaky) ─▶ payloader (peer's PT) ─▶ webrtcbin.sink_N
 *
 * Life: start() adds one send-only transceiver per chosen m-line, sets the
 * offer, creates and sets the answer; when ICE gathering completes (or the
 * gathering timeout fires) the answer with its candidates is ready
 * (Event::ANSWER_READY). The media paths are linked by the element once the
 * peer is connected (Event::CONNECTED), with a keyframe request so that the
 * first frame does not wait for the GOP.
 *
 * Threading:
 *  - webrtcbin's callbacks (promises, on-ice-candidate, notify::*) run on
 *    webrtcbin's own thread; they only touch this object's state under
 *    `lock_` and report through Notify, which must not block (the element
 *    posts to its control thread).
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

class ViewerSession {
public:
  enum class Event {
    ANSWER_READY,    /* take_answer() has the answer */
    FAILED,          /* negotiation or connection failed; detail says why */
    REFUSED,         /* webrtcbin refused the offer (a bad offer); detail says why */
    CONNECTED,       /* ICE + DTLS connected: link the media */
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
  };

  ViewerSession (std::string id, std::string peer_address, GstBin *bin, Notify notify);
  ~ViewerSession ();
  ViewerSession (const ViewerSession &) = delete;
  ViewerSession &operator= (const ViewerSession &) = delete;

  const std::string &id () const { return id_; }
  const std::string &peer_address () const { return peer_address_; }
  GstElement *webrtcbin () const { return webrtcbin_; }

  /* Adds the webrtcbin to the bin and starts negotiation. */
  bool start (const Config &config, GstWebRTCSessionDescription *offer,
              std::vector<MediaChoice> &choices, std::string &error);
  /* The answer with gathered candidates (transfer full), once ANSWER_READY. */
  GstWebRTCSessionDescription *take_answer ();
  void add_remote_candidate (guint mline, const std::string &candidate);
  /* The peer's offer. */
  const GstSDPMessage *remote_sdp () const { return remote_sdp_; }

  /* Links m-line @mline to @branch (control thread, after CONNECTED). */
  bool link_media (guint mline, gint pt, EncoderBranch *branch, std::string &error);
  /* Unlinks every media path (control thread). */
  void unlink_media ();

  bool connected () const { return connected_; }
  gint64 created_us () const { return created_us_; }
  /* Last time RTCP came from the peer (or the connection time). */
  gint64 last_activity_us () const { return last_activity_us_; }
  std::vector<std::string> codec_names () const;
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
  static void on_answer_created (GstPromise *promise, gpointer data);
  static void on_local_set (GstPromise *promise, gpointer data);
  static void on_ice_candidate (GstElement *webrtcbin, guint mline, gchar *candidate,
                                gpointer data);
  static void on_gathering_state (GObject *webrtcbin, GParamSpec *pspec, gpointer data);
  static void on_connection_state (GObject *webrtcbin, GParamSpec *pspec, gpointer data);
  static void on_ssrc_active (GstElement *rtpbin, guint session, guint ssrc, gpointer data);
  static void on_bye_ssrc (GstElement *rtpbin, guint session, guint ssrc, gpointer data);
  static gboolean on_gather_timeout (gpointer data);
  static GstPadProbeReturn keyframe_gate (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  void finish_answer ();
  void fail (const std::string &reason, Event event = Event::FAILED);

  std::shared_ptr<SessionHandle> handle_; /* see the .cpp */
  const std::string id_;
  const std::string peer_address_;
  GstBin *bin_;           /* not owned: the element */
  GstElement *webrtcbin_; /* child of bin_ */
  GstElement *rtpbin_ = nullptr;
  Notify notify_;
  GSource *gather_timer_ = nullptr;
  GstSDPMessage *remote_sdp_ = nullptr;
  gint64 created_us_;
  std::atomic<gint64> last_activity_us_{0};
  std::atomic<bool> connected_{false};
  std::vector<MediaLink> links_;                       /* control thread only */
  std::vector<std::pair<guint, std::string>> choices_; /* mline, codec name */

  std::mutex lock_; /* guards the members below */
  GstWebRTCSessionDescription *answer_ = nullptr;
  std::vector<std::pair<guint, std::string>> local_candidates_;
  bool answer_sent_ = false;
  bool failed_ = false;
};

} // namespace rtc

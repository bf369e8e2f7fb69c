/**
 * SECTION:element-webrtcpublish
 * @title: webrtcpublish
 *
 * Publishes audio and video to any number of WebRTC viewers. Each viewer is
 * a session with its own webrtcbin; raw input is encoded once per codec and
 * shared by every viewer of that codec; encoded input (H.264, VP8, VP9,
 * Opus) is parsed and re-payloaded, never re-encoded. By default an embedded
 * HTTP server offers a WHEP endpoint (/whep/<stream-name>) and a viewer page
 * (/view/<stream-name>, listed at /).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! webrtcpublish name=pub \
 *     audiotestsrc is-live=true ! pub.
 * ]| then open http://127.0.0.1:8080/
 *
 * Since: 0.1
 */
#include "gstrtcpublish.h"

#include <gst/pbutils/codec-utils.h>
#include <json-glib/json-glib.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "gstrtcbridgeelements.h"
#include "gstrtcsignaller.h"
#include "gstrtchttpclientsignaller.h"
#include "gstrtchttpsignaller.h"
#include "rtccodecs.h"
#include "rtccontrolthread.h"
#include "rtcencoderbranch.h"
#include "rtcsdp.h"
#include "rtcsettings.h"
#include "rtcsignallerlink.h"
#include "rtcteardown.h"
#include "rtcnavigation.h"
#include "rtcpeersession.h"
#include "rtcdatarouter.h"
#include "rtcladder.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_publish_debug);
#define GST_CAT_DEFAULT gst_rtc_publish_debug

using rtc::Codec;
using rtc::EncoderBranch;
using rtc::InputFormat;
using rtc::MediaKind;
using rtc::PeerSession;

#define DEFAULT_MAX_VIEWERS 0
#define DEFAULT_VIDEO_BITRATE 2000000
#define DEFAULT_AUDIO_BITRATE 64000
#define DEFAULT_KEYFRAME_INTERVAL 2000
#define DEFAULT_VIEWER_TIMEOUT 30000
#define DEFAULT_NAVIGATION FALSE
#define DEFAULT_CONGESTION_CONTROL GST_RTC_CONGESTION_CONTROL_GCC
#define DEFAULT_MIN_BITRATE 150000
#define DEFAULT_START_BITRATE 1000000
#define DEFAULT_LADDER_RUNGS 3
/* The transport-wide congestion control header extension. */
#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
/* RTP/UDP/IP and RTCP overhead kept out of a viewer's video budget. */
#define OVERHEAD 0.95
/* The id our offers (WHIP client) give TWCC. */
#define OFFERED_TWCC_ID 3

typedef enum {
  GST_RTC_CONGESTION_CONTROL_NONE,
  GST_RTC_CONGESTION_CONTROL_GCC,
} GstRtcCongestionControl;

static GType gst_rtc_congestion_control_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
      {GST_RTC_CONGESTION_CONTROL_NONE, "None: every viewer gets video-bitrate", "none"},
      {GST_RTC_CONGESTION_CONTROL_GCC,
       "Google Congestion Control on transport-wide feedback, per viewer", "gcc"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtcCongestionControl", values));
  return (GType)type;
}
#define NAVIGATION_LABEL "navigation"

/* The shared properties (rtc::Settings) come first. */
enum {
  PROP_MAX_VIEWERS = rtc::Settings::N_PROPS,
  PROP_VIDEO_BITRATE,
  PROP_AUDIO_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_VIEWER_TIMEOUT,
  PROP_SIGNALLER,
  PROP_N_VIEWERS,
  PROP_URL,
  PROP_NAVIGATION,
  PROP_CONGESTION_CONTROL,
  PROP_MIN_BITRATE,
  PROP_START_BITRATE,
  PROP_LADDER_RUNGS,
};

enum {
  SIGNAL_VIEWER_CREATED,
  SIGNAL_VIEWER_REMOVED,
  N_SIGNALS,
};
static guint signals[N_SIGNALS];

#define VIDEO_CAPS "video/x-raw; video/x-h264; video/x-vp8; video/x-vp9"
#define AUDIO_CAPS "audio/x-raw; audio/x-opus"

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (VIDEO_CAPS));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (AUDIO_CAPS));

namespace {

struct Input {
  GstRtcPublish *owner = nullptr;
  std::string name;
  MediaKind kind;
  GstPad *ghost = nullptr;      /* our sink pad */
  GstElement *filter = nullptr; /* children of the element */
  GstElement *tee = nullptr;
  GstElement *clock_sink = nullptr; /* paces non-live input, gives the bin EOS */
  /* guarded by the element's lock: */
  bool have_format = false;
  InputFormat format;
  guint fps = 30;
  gint width = 0, height = 0; /* raw or encoded video */
  bool eos = false;
  /* control thread: the encoder branches by codec and ladder rung */
  std::map<std::pair<const Codec *, int>, std::unique_ptr<EncoderBranch>> branches;

  /* We keep a reference on our elements: during dispose the bin drops its
   * children before the request pads are released. */
  ~Input ()
  {
    branches.clear ();
    for (GstElement *e : {filter, tee, clock_sink})
      if (e)
        gst_object_unref (e);
  }
};

struct MediaUse {
  guint mline;
  Input *input;
  const Codec *codec;
  gint pt;
  EncoderBranch *branch = nullptr; /* once reserved */
  bool linked = false;
};

struct Viewer {
  std::unique_ptr<PeerSession> session;
  std::vector<MediaUse> media;
  bool answered = false;
  /* congestion control (control thread) */
  bool twcc = false;              /* negotiated with the viewer */
  rtc::ObjectPtr<GstElement> gcc; /* its rtcgcc, once webrtcbin asked */
  guint estimate = 0;             /* bit/s, from the rtcgcc */
  int rung = 0, wanted_rung = 0;
  gint64 wanted_since_us = 0;
};

} // namespace

struct GstRtcPublishPrivate {
  std::mutex lock; /* guards settings, inputs' format fields, ctx */
  /* settings */
  rtc::Settings settings;
  guint max_viewers = DEFAULT_MAX_VIEWERS;
  guint video_bitrate = DEFAULT_VIDEO_BITRATE;
  guint audio_bitrate = DEFAULT_AUDIO_BITRATE;
  guint keyframe_interval_ms = DEFAULT_KEYFRAME_INTERVAL;
  guint viewer_timeout_ms = DEFAULT_VIEWER_TIMEOUT;
  bool navigation = DEFAULT_NAVIGATION;
  GstRtcCongestionControl congestion_control = DEFAULT_CONGESTION_CONTROL;
  guint min_bitrate = DEFAULT_MIN_BITRATE;
  guint start_bitrate = DEFAULT_START_BITRATE;
  guint ladder_rungs = DEFAULT_LADDER_RUNGS;
  std::unique_ptr<rtc::DataRouter> data; /* from init to finalize */
  rtc::SignallerHost host{{"webrtcpublish", false, "WHIP publishing", "viewer page"}};

  std::vector<std::unique_ptr<Input>> inputs; /* add/remove: application thread */
  guint next_pad[2] = {0, 0};

  /* while started */
  rtc::ControlThread control;
  std::unique_ptr<rtc::SignallerLink::Handler> handler;
  std::string pending_offer; /* client: an offer is wanted but an input has no caps yet */
  std::vector<const Codec *> preferences;
  std::map<const Codec *, std::string> encoders; /* codec -> encoder factory */
  std::atomic<guint> n_viewers{0};

  /* control thread only */
  std::map<std::string, Viewer> viewers;
};

struct _GstRtcPublish {
  GstBin parent;
  GstRtcPublishPrivate *priv;
};

#define gst_rtc_publish_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRtcPublish, gst_rtc_publish, GST_TYPE_BIN,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
                                                rtc::DataRouter::child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    webrtcpublish, "webrtcpublish", GST_RANK_NONE, GST_TYPE_RTC_PUBLISH,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_publish_debug, "webrtcpublish", 0, "WebRTC publisher"));

/* ---- control thread --------------------------------------------------- */

namespace {

/* The encoding ladder of the settings (under the lock). */
rtc::Ladder ladder (GstRtcPublishPrivate *priv)
{
  rtc::Ladder l;
  l.rungs = priv->congestion_control == GST_RTC_CONGESTION_CONTROL_NONE ? 1 : priv->ladder_rungs;
  l.min_bps = std::min (priv->min_bitrate, priv->video_bitrate);
  l.max_bps = priv->video_bitrate;
  return l;
}

/* Runs @fn on the control thread, later. Dropped when the element is not
 * started. Any thread. */
void post (GstRtcPublish *self, std::function<void (GstRtcPublish *)> fn)
{
  self->priv->control.post ([self, fn] () { fn (self); });
}

/* Runs @fn on the control thread and waits (application thread only). */
void post_sync (GstRtcPublish *self, std::function<void (GstRtcPublish *)> fn)
{
  self->priv->control.post_sync ([self, fn] () { fn (self); });
}

void post_element_message (GstRtcPublish *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

GError *signaller_error (GstRtcSignallerError code, const std::string &message)
{
  return g_error_new_literal (GST_RTC_SIGNALLER_ERROR, code, message.c_str ());
}

void reject (GstRtcPublish *self, const std::string &id, GstRtcSignallerError code,
             const std::string &reason)
{
  GST_INFO_OBJECT (self, "viewer %s rejected: %s", id.c_str (), reason.c_str ());
  GError *error = signaller_error (code, reason);
  gst_rtc_signaller_reject_session (self->priv->host.signaller, id.c_str (), error);
  g_error_free (error);
}

/* Control thread: tells the bus an encoder started or stopped. */
void post_encoder_message (GstRtcPublish *self, const Input &input, const Codec *codec, int rung,
                           bool added)
{
  guint total = 0;
  for (auto &in : self->priv->inputs)
    total += in->branches.size ();
  post_element_message (self, gst_structure_new ("webrtcpublish-encoder", "action", G_TYPE_STRING,
                                                 added ? "added" : "removed", "input",
                                                 G_TYPE_STRING, input.name.c_str (), "codec",
                                                 G_TYPE_STRING, codec->name, "rung", G_TYPE_INT,
                                                 rung, "encoders", G_TYPE_UINT, total, nullptr));
}

/* Control thread: @use no longer takes its branch; a branch nobody takes
 * is stopped (encode only while watched). */
void release_branch (GstRtcPublish *self, MediaUse &use)
{
  if (!use.branch)
    return;
  EncoderBranch *branch = use.branch;
  use.branch = nullptr;
  if (--branch->viewers > 0)
    return;
  for (auto it = use.input->branches.begin (); it != use.input->branches.end (); ++it) {
    if (it->second.get () == branch) {
      auto key = it->first;
      use.input->branches.erase (it);
      post_encoder_message (self, *use.input, key.first, key.second, false);
      return;
    }
  }
}

/* Control thread: ends one viewer and frees everything it used. */
void remove_viewer (GstRtcPublish *self, const std::string &id, const std::string &reason,
                    bool tell_signaller, bool warn)
{
  auto priv = self->priv;
  auto it = priv->viewers.find (id);
  if (it == priv->viewers.end ())
    return;
  Viewer viewer = std::move (it->second);
  priv->viewers.erase (it);
  priv->n_viewers = priv->viewers.size ();
  std::string peer = viewer.session->peer_address ();
  bool answered = viewer.answered;
  priv->data->detach (id);
  viewer.session.reset (); /* unlinks the media, stops and removes its webrtcbin */
  for (auto &use : viewer.media) {
    if (!use.branch)
      continue;
    release_branch (self, use);
  }
  GST_INFO_OBJECT (self, "viewer %s removed: %s (%u left)", id.c_str (), reason.c_str (),
                   priv->n_viewers.load ());
  if (tell_signaller) {
    if (answered || priv->host.client)
      gst_rtc_signaller_end_session (priv->host.signaller, id.c_str ());
    else
      reject (self, id, GST_RTC_SIGNALLER_ERROR_INTERNAL, reason);
  }
  if (warn) {
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, FAILED,
                                      ("Viewer %s: %s", id.c_str (), reason.c_str ()), (nullptr),
                                      ("viewer-id", G_TYPE_STRING, id.c_str (), "remote-address",
                                       G_TYPE_STRING, peer.c_str (), nullptr));
  }
  if (answered) {
    post_element_message (self, gst_structure_new ("webrtcpublish-viewer-removed", "id",
                                                   G_TYPE_STRING, id.c_str (), "remote-address",
                                                   G_TYPE_STRING, peer.c_str (), "reason",
                                                   G_TYPE_STRING, reason.c_str (), "viewers",
                                                   G_TYPE_UINT, priv->n_viewers.load (), nullptr));
    g_signal_emit (self, signals[SIGNAL_VIEWER_REMOVED], 0, id.c_str ());
  }
}

void remove_all_viewers (GstRtcPublish *self, const std::string &reason)
{
  std::vector<std::string> ids;
  for (auto &kv : self->priv->viewers)
    ids.push_back (kv.first);
  for (auto &id : ids)
    remove_viewer (self, id, reason, true, false);
}

/* Control thread: the encoder branch for @codec of @input, made if needed. */
EncoderBranch *branch_for (GstRtcPublish *self, Input *input, const Codec *codec, int rung,
                           std::string &error)
{
  auto priv = self->priv;
  /* Encoded input and audio have one rung: what comes in. */
  if (codec->kind != MediaKind::VIDEO || !input->format.raw)
    rung = 0;
  auto it = input->branches.find ({codec, rung});
  if (it != input->branches.end ())
    return it->second.get ();
  EncoderBranch::Config config;
  InputFormat format;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    format = input->format;
    auto enc = priv->encoders.find (codec);
    config.encoder_factory = enc != priv->encoders.end () ? enc->second : "";
    config.bitrate_bps =
        codec->kind == MediaKind::VIDEO ? priv->video_bitrate : priv->audio_bitrate;
    config.keyframe_interval_frames =
        std::max<guint> (1, priv->keyframe_interval_ms * input->fps / 1000);
    config.scale = 1u << rung;
    config.width = input->width;
    config.height = input->height;
    if (codec->kind == MediaKind::VIDEO &&
        priv->congestion_control != GST_RTC_CONGESTION_CONTROL_NONE)
      config.bitrate_bps = ladder (priv).bitrate (rung, priv->start_bitrate);
  }
  auto branch = EncoderBranch::create (GST_BIN (self), input->tee, *codec, format, config, error);
  if (!branch)
    return nullptr;
  EncoderBranch *raw = branch.get ();
  input->branches[{codec, rung}] = std::move (branch);
  post_encoder_message (self, *input, codec, rung, true);
  return raw;
}

/* Control thread: makes (or shares) the encoder branch of each of the
 * viewer's media and counts the viewer on it. False when the viewer was
 * removed because a branch could not be made. */
bool reserve_branches (GstRtcPublish *self, const std::string &id, Viewer &viewer)
{
  for (auto &use : viewer.media) {
    if (use.branch)
      continue;
    std::string error;
    use.branch = branch_for (self, use.input, use.codec, viewer.rung, error);
    if (!use.branch) {
      remove_viewer (self, id, "could not encode " + std::string (use.codec->name) + ": " + error,
                     true, true);
      return false;
    }
    use.branch->viewers++;
  }
  return true;
}

/* What a viewer's video may use, bit/s: its estimate less audio and
 * overhead; all of video-bitrate without congestion control. For answered
 * viewers only (before the answer a WHIP client's media have no codec). */
guint video_budget (GstRtcPublishPrivate *priv, const Viewer &v, bool cc, guint video_max,
                    guint audio)
{
  if (!cc || !v.twcc)
    return video_max;
  bool has_audio = std::any_of (v.media.begin (), v.media.end (), [] (const MediaUse &u) {
    return u.codec->kind == MediaKind::AUDIO;
  });
  double budget = v.estimate * OVERHEAD - (has_audio ? audio : 0);
  return (guint)std::max (0.0, budget);
}

/* Control thread: moves a viewer's video to another rung of the ladder. */
void move_viewer (GstRtcPublish *self, const std::string &id, Viewer &v, int rung)
{
  for (auto &use : v.media) {
    if (use.codec->kind != MediaKind::VIDEO || !use.branch || !use.input->format.raw)
      continue;
    std::string error;
    EncoderBranch *to = branch_for (self, use.input, use.codec, rung, error);
    if (!to) {
      GST_WARNING_OBJECT (self, "viewer %s stays on its rung: %s", id.c_str (), error.c_str ());
      return;
    }
    if (use.linked && !v.session->relink_media (use.mline, to, error)) {
      GST_WARNING_OBJECT (self, "viewer %s: %s", id.c_str (), error.c_str ());
      continue;
    }
    to->viewers++;
    release_branch (self, use);
    use.branch = to;
  }
  GST_INFO_OBJECT (self, "viewer %s: rung %d -> %d (estimate %u)", id.c_str (), v.rung, rung,
                   v.estimate);
  v.rung = rung;
  post_element_message (self,
                        gst_structure_new ("webrtcpublish-viewer-adapted", "id", G_TYPE_STRING,
                                           id.c_str (), "rung", G_TYPE_INT, rung, "estimate",
                                           G_TYPE_UINT, v.estimate, nullptr));
}

/* Control thread: puts each viewer on the rung its estimate reaches and
 * sets each encoder's bitrate (and frame rate) from its viewers'. */
void rebalance (GstRtcPublish *self)
{
  auto priv = self->priv;
  rtc::Ladder lad;
  bool cc;
  guint video_max, audio;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    lad = ladder (priv);
    cc = priv->congestion_control != GST_RTC_CONGESTION_CONTROL_NONE;
    video_max = priv->video_bitrate;
    audio = priv->audio_bitrate;
  }
  gint64 now = g_get_monotonic_time ();
  for (auto &kv : priv->viewers) {
    Viewer &v = kv.second;
    if (!v.answered)
      continue;
    int rung = lad.next (v.rung, video_budget (priv, v, cc, video_max, audio), now, v.wanted_rung,
                         v.wanted_since_us);
    if (rung != v.rung)
      move_viewer (self, kv.first, v, rung);
  }
  std::map<EncoderBranch *, guint> lowest;
  for (auto &kv : priv->viewers) {
    if (!kv.second.answered)
      continue;
    guint budget = video_budget (priv, kv.second, cc, video_max, audio);
    for (auto &use : kv.second.media) {
      if (!use.branch || use.codec->kind != MediaKind::VIDEO)
        continue;
      auto it = lowest.find (use.branch);
      if (it == lowest.end ())
        lowest[use.branch] = budget;
      else
        it->second = std::min (it->second, budget);
    }
  }
  for (auto &in : priv->inputs) {
    for (auto &kv : in->branches) {
      EncoderBranch *branch = kv.second.get ();
      if (kv.first.first->kind == MediaKind::AUDIO) {
        branch->set_bitrate (audio);
        continue;
      }
      auto it = lowest.find (branch);
      guint rate = !cc                   ? video_max
                   : it != lowest.end () ? lad.bitrate (kv.first.second, it->second)
                                         : branch->bitrate ();
      branch->set_bitrate (rate);
      branch->set_max_framerate (
          cc ? lad.max_framerate (kv.first.second, rate, branch->max_framerate ()) : 0);
    }
  }
}

/* Control thread: the viewer's session is agreed (answer sent, or the WHIP
 * server's answer applied): announce it and warm up its encoders. */
void viewer_answered (GstRtcPublish *self, const std::string &id, Viewer &viewer)
{
  auto priv = self->priv;
  viewer.answered = true;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    bool cc = priv->congestion_control != GST_RTC_CONGESTION_CONTROL_NONE;
    viewer.estimate = priv->start_bitrate;
    viewer.rung = viewer.wanted_rung = ladder (priv).rung_for (
        video_budget (priv, viewer, cc, priv->video_bitrate, priv->audio_bitrate));
    viewer.wanted_since_us = g_get_monotonic_time ();
  }
  std::string codecs;
  for (auto &use : viewer.media)
    codecs += (codecs.empty () ? "" : ",") + std::string (use.codec->name);
  post_element_message (self, gst_structure_new ("webrtcpublish-viewer-added", "id", G_TYPE_STRING,
                                                 id.c_str (), "remote-address", G_TYPE_STRING,
                                                 viewer.session->peer_address ().c_str (), "codecs",
                                                 G_TYPE_STRING, codecs.c_str (), "viewers",
                                                 G_TYPE_UINT, priv->n_viewers.load (), nullptr));
  /* Start the encoders now, so they are warm when ICE and DTLS are done. */
  reserve_branches (self, id, viewer);
}

/* Client: the codec and payload type the server chose for each m-line of
 * our offer. M-lines it refused (port 0) are dropped. */
bool take_answered_codecs (Viewer &viewer, std::string &error)
{
  const GstSDPMessage *answer = viewer.session->remote_sdp ();
  std::vector<MediaUse> kept;
  for (auto &use : viewer.media) {
    const GstSDPMedia *media = answer ? gst_sdp_message_get_media (answer, use.mline) : nullptr;
    if (!media || gst_sdp_media_get_port (media) == 0 || gst_sdp_media_formats_len (media) == 0)
      continue;
    gint pt = atoi (gst_sdp_media_get_format (media, 0));
    rtc::CapsPtr caps (gst_sdp_media_get_caps_from_media (media, pt));
    const gchar *enc =
        caps ? gst_structure_get_string (gst_caps_get_structure (caps.get (), 0), "encoding-name")
             : nullptr;
    const Codec *codec = enc ? rtc::codec_by_name (enc) : nullptr;
    if (!codec || codec->kind != use.input->kind) {
      error = std::string ("the server answered with a codec we did not offer (") +
              (enc ? enc : "?") + ")";
      return false;
    }
    use.codec = codec;
    use.pt = pt;
    kept.push_back (use);
  }
  if (kept.empty ()) {
    error = "the server accepted none of our media";
    return false;
  }
  viewer.media = std::move (kept);
  return true;
}

void on_session_event (GstRtcPublish *self, const std::string &id, PeerSession::Event event,
                       const std::string &detail)
{
  auto priv = self->priv;
  auto it = priv->viewers.find (id);
  if (it == priv->viewers.end ())
    return;
  Viewer &viewer = it->second;
  switch (event) {
  case PeerSession::Event::LOCAL_READY: {
    GstWebRTCSessionDescription *desc = viewer.session->take_local_description ();
    if (!desc)
      return;
    if (priv->host.client) {
      gst_rtc_signaller_send_offer (priv->host.signaller, id.c_str (), desc);
      gst_webrtc_session_description_free (desc);
      return;
    }
    gst_rtc_signaller_send_answer (priv->host.signaller, id.c_str (), desc);
    gst_webrtc_session_description_free (desc);
    viewer_answered (self, id, viewer);
    break;
  }
  case PeerSession::Event::REMOTE_SET: {
    std::string error;
    if (!take_answered_codecs (viewer, error)) {
      remove_viewer (self, id, error, true, true);
      return;
    }
    /* The server takes transport-wide feedback, or there is no estimate. */
    const GstSDPMessage *answer = viewer.session->remote_sdp ();
    bool twcc = false;
    for (guint m = 0; answer && m < gst_sdp_message_medias_len (answer); m++)
      twcc = twcc || rtc::sdp_extmap_id (gst_sdp_message_get_media (answer, m), RTC_TWCC_URI) > 0;
    viewer.twcc = viewer.twcc && twcc;
    viewer_answered (self, id, viewer);
    break;
  }
  case PeerSession::Event::CONNECTED: {
    GST_INFO_OBJECT (self, "viewer %s connected", id.c_str ());
    if (!priv->host.client)
      priv->data->connected (id, *viewer.session, priv->control);
    if (!reserve_branches (self, id, viewer))
      return;
    for (auto &use : viewer.media) {
      std::string error;
      if (!viewer.session->link_media (use.mline, use.pt, use.branch, error)) {
        remove_viewer (self, id, "could not send " + std::string (use.codec->name) + ": " + error,
                       true, true);
        return;
      }
      use.linked = true;
    }
    rebalance (self);
    break;
  }
  case PeerSession::Event::FAILED:
    remove_viewer (self, id, detail, true, viewer.answered);
    break;
  case PeerSession::Event::REFUSED:
    reject (self, id, GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, detail);
    remove_viewer (self, id, detail, false, false);
    break;
  case PeerSession::Event::CLOSED:
    remove_viewer (self, id, detail, true, false);
    break;

  case PeerSession::Event::LOCAL_CANDIDATE: {
    auto space = detail.find (' ');
    guint mline = (guint)g_ascii_strtoull (detail.c_str (), nullptr, 10);
    gst_rtc_signaller_send_ice_candidate (priv->host.signaller, id.c_str (), mline,
                                          detail.substr (space + 1).c_str ());
    break;
  }
  }
}

/* What a new session needs to know, read under the lock. */
struct Snapshot {
  std::string error; /* why no session can be made now */
  guint max_viewers = 0;
  std::vector<std::pair<Input *, InputFormat>> inputs;
  PeerSession::Config config;
  std::vector<const Codec *> encodable;
};

Snapshot snapshot (GstRtcPublish *self)
{
  auto priv = self->priv;
  Snapshot snap;
  std::lock_guard<std::mutex> g (priv->lock);
  snap.max_viewers = priv->max_viewers;
  for (auto &in : priv->inputs) {
    if (!in->have_format) {
      snap.error = "the stream has not started yet (" + in->name + " has no data)";
      break;
    }
    if (in->eos)
      snap.error = "the stream has ended";
    snap.inputs.push_back ({in.get (), in->format});
  }
  if (priv->inputs.empty ())
    snap.error = "the stream has no inputs";
  priv->settings.fill (snap.config);
  snap.config.control_context = priv->control.context ();
  for (auto &kv : priv->encoders)
    snap.encodable.push_back (kv.first);
  return snap;
}

/* Control thread: makes the session object of a new viewer (or of our WHIP
 * session) and lets the application see its webrtcbin. */
/* A viewer's rtcgcc: made on webrtcbin's "request-aux-sender" (webrtcbin's
 * thread), followed through notify::estimated-bitrate. */
struct AuxContext {
  GstRtcPublish *self;
  std::string id;
  guint min_bps, start_bps, max_bps;
  std::atomic<bool> made{false};
};

void on_estimate (GObject *gcc, GParamSpec *, gpointer data)
{
  auto ctx = static_cast<AuxContext *> (data);
  guint bps = 0;
  g_object_get (gcc, "estimated-bitrate", &bps, nullptr);
  std::string id = ctx->id;
  post (ctx->self, [id, bps] (GstRtcPublish *s) {
    auto it = s->priv->viewers.find (id);
    if (it == s->priv->viewers.end ())
      return;
    it->second.estimate = bps;
    rebalance (s);
  });
}

GstElement *on_request_aux_sender (GstElement *, GstWebRTCDTLSTransport *, gpointer data)
{
  auto ctx = static_cast<AuxContext *> (data);
  /* One estimator per viewer: the (bundled) transport of its video. */
  if (ctx->made.exchange (true))
    return nullptr;
  GstElement *gcc = gst_element_factory_make ("rtcgcc", nullptr);
  if (!gcc)
    return nullptr;
  g_object_set (gcc, "min-bitrate", ctx->min_bps, "start-bitrate", ctx->start_bps, "max-bitrate",
                ctx->max_bps, nullptr);
  auto notify_ctx = new AuxContext{ctx->self, ctx->id, 0, 0, 0};
  g_signal_connect_data (
      gcc, "notify::estimated-bitrate", G_CALLBACK (on_estimate), notify_ctx,
      [] (gpointer d, GClosure *) { delete static_cast<AuxContext *> (d); }, GConnectFlags (0));
  GstElement *ref = GST_ELEMENT (gst_object_ref (gcc)); /* ours; webrtcbin sinks the floating one */
  std::string id = ctx->id;
  post (ctx->self, [id, ref] (GstRtcPublish *s) {
    auto it = s->priv->viewers.find (id);
    if (it != s->priv->viewers.end () && !it->second.gcc)
      it->second.gcc.reset (ref);
    else
      gst_object_unref (ref);
  });
  return gcc;
}

/* Control thread: congestion control for @viewer when it negotiated TWCC. */
void attach_congestion_control (GstRtcPublish *self, const std::string &id, Viewer &viewer)
{
  auto priv = self->priv;
  AuxContext *ctx;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    if (priv->congestion_control == GST_RTC_CONGESTION_CONTROL_NONE || !viewer.twcc)
      return;
    guint audio = priv->audio_bitrate;
    ctx = new AuxContext{self, id, priv->min_bitrate + audio, priv->start_bitrate,
                         (guint)((priv->video_bitrate + audio) / OVERHEAD)};
  }
  g_signal_connect_data (
      viewer.session->webrtcbin (), "request-aux-sender", G_CALLBACK (on_request_aux_sender), ctx,
      [] (gpointer d, GClosure *) { delete static_cast<AuxContext *> (d); }, GConnectFlags (0));
}

Viewer &add_viewer (GstRtcPublish *self, const std::string &id, const std::string &peer,
                    std::vector<MediaUse> uses)
{
  auto priv = self->priv;
  auto session = std::make_unique<PeerSession> (
      id, peer, GST_BIN (self),
      [self] (const std::string &sid, PeerSession::Event ev, const std::string &detail) {
        post (self,
              [sid, ev, detail] (GstRtcPublish *s) { on_session_event (s, sid, ev, detail); });
      });
  if (session->webrtcbin ()) {
    priv->data->attach (id, session->webrtcbin ());
    g_signal_emit (self, signals[SIGNAL_VIEWER_CREATED], 0, id.c_str (), session->webrtcbin ());
  }
  Viewer &viewer = priv->viewers[id];
  viewer.session = std::move (session);
  viewer.media = std::move (uses);
  priv->n_viewers = priv->viewers.size ();
  return viewer;
}

/* The profile-level-id to offer for encoded H.264 of caps profile @profile. */
const char *h264_profile_level_id (const std::string &profile)
{
  if (profile == "baseline")
    return "42001f";
  if (profile == "main")
    return "4d001f";
  if (profile == "high")
    return "64001f";
  return "42e01f";
}

/* Control thread, client mode: the WHIP client wants our offer: one
 * send-only m-line per input, with every codec we could send for it. */
void on_offer_wanted (GstRtcPublish *self, const std::string &id, const std::string &url)
{
  auto priv = self->priv;
  Snapshot snap = snapshot (self);
  if (!snap.error.empty ()) {
    GST_INFO_OBJECT (self, "offer for %s waits: %s", url.c_str (), snap.error.c_str ());
    priv->pending_offer = id;
    return;
  }
  priv->pending_offer.clear ();
  std::vector<rtc::CapsPtr> caps;
  std::vector<MediaUse> uses;
  gint pt = 96;
  bool cc;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    cc = priv->congestion_control != GST_RTC_CONGESTION_CONTROL_NONE;
  }
  for (auto &in : snap.inputs) {
    GstCaps *mcaps = gst_caps_new_empty ();
    for (const Codec *codec : priv->preferences) {
      if (codec->kind != in.second.kind)
        continue;
      bool usable = in.second.raw ? std::find (snap.encodable.begin (), snap.encodable.end (),
                                               codec) != snap.encodable.end ()
                                  : codec == in.second.codec;
      if (!usable)
        continue;
      rtc::CapsPtr c = rtc::rtp_caps_for (*codec, pt++);
      if (!in.second.raw && g_str_equal (codec->name, "H264"))
        gst_caps_set_simple (c.get (), "profile-level-id", G_TYPE_STRING,
                             h264_profile_level_id (in.second.h264_profile), nullptr);
      gst_caps_append (mcaps, c.release ());
    }
    if (gst_caps_is_empty (mcaps)) {
      gst_caps_unref (mcaps);
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
                         ("No codec to send %s with", in.first->name.c_str ()),
                         ("check codec-preferences and the installed encoders"));
      return;
    }
    if (cc)
      rtc::caps_add_twcc (mcaps, OFFERED_TWCC_ID);
    uses.push_back ({(guint)caps.size (), in.first, nullptr, -1});
    caps.emplace_back (mcaps);
  }
  snap.config.direction = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
  rtc::apply_signaller_ice_servers (priv->host.signaller, snap.config);
  priv->data->prepare_offer (id, snap.config);
  Viewer &viewer = add_viewer (self, id, url, std::move (uses));
  viewer.twcc = cc; /* until the answer says otherwise */
  attach_congestion_control (self, id, viewer);
  std::vector<GstCaps *> mlines;
  for (auto &c : caps)
    mlines.push_back (c.get ());
  std::string error;
  if (!viewer.session->start_offer (snap.config, mlines, error))
    remove_viewer (self, id, error, true, true);
}

/* Control thread, client mode: an input got its caps; make the offer that
 * was waiting for them. */
void offer_if_pending (GstRtcPublish *self)
{
  std::string id = self->priv->pending_offer; /* a copy: on_offer_wanted clears it */
  if (!id.empty ())
    on_offer_wanted (self, id, "");
}

/* Control thread: a viewer's offer arrived. */
void on_session_requested (GstRtcPublish *self, const std::string &id, const std::string &peer,
                           GstWebRTCSessionDescription *offer)
{
  auto priv = self->priv;
  Snapshot snap = snapshot (self);
  std::string error = snap.error;
  auto &inputs = snap.inputs;
  auto &config = snap.config;
  auto &encodable = snap.encodable;
  guint max_viewers = snap.max_viewers;
  if (!error.empty ()) {
    reject (self, id, GST_RTC_SIGNALLER_ERROR_UNAVAILABLE, error);
    return;
  }
  if (max_viewers > 0 && priv->viewers.size () >= max_viewers) {
    reject (self, id, GST_RTC_SIGNALLER_ERROR_UNAVAILABLE,
            "this stream is full (max-viewers=" + std::to_string (max_viewers) + ")");
    return;
  }
  if (!rtc::sdp_validate_offer (offer->sdp, error)) {
    reject (self, id, GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, "malformed offer: " + error);
    return;
  }

  bool cc, with_twcc = false;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    cc = priv->congestion_control != GST_RTC_CONGESTION_CONTROL_NONE;
  }
  /* m-lines take the inputs of their kind in order: video_0, video_1, ... */
  std::vector<rtc::MediaChoice> choices;
  std::vector<MediaUse> uses;
  std::set<Input *> used;
  std::string problems;
  for (guint m = 0; m < gst_sdp_message_medias_len (offer->sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer->sdp, m);
    const gchar *kind = gst_sdp_media_get_media (media);
    /* Port 0 rejects an m-line, unless it is bundle-only (RFC 8843). */
    if (!kind || (gst_sdp_media_get_port (media) == 0 &&
                  !gst_sdp_media_get_attribute_val (media, "bundle-only")))
      continue;
    for (auto &in : inputs) {
      if (used.count (in.first) || !g_str_equal (kind, rtc::media_kind_name (in.second.kind)))
        continue;
      used.insert (in.first);
      rtc::MediaChoice choice;
      std::string why;
      if (rtc::choose_media (offer->sdp, m, in.second, priv->preferences, encodable, choice, why)) {
        /* Congestion control when the viewer offers transport-wide feedback. */
        int twcc = cc ? rtc::sdp_extmap_id (media, RTC_TWCC_URI) : 0;
        if (twcc > 0) {
          rtc::caps_add_twcc (choice.caps.get (), twcc);
          with_twcc = true;
        }
        uses.push_back ({m, in.first, choice.codec, choice.pt});
        choices.push_back (std::move (choice));
      } else {
        problems += (problems.empty () ? "" : "; ") + why;
      }
      break;
    }
  }
  if (!problems.empty () || choices.empty ()) {
    reject (self, id, GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE,
            problems.empty () ? "the offer has no audio or video m-line this stream can use"
                              : problems);
    return;
  }

  Viewer &viewer = add_viewer (self, id, peer, std::move (uses));
  viewer.twcc = with_twcc;
  attach_congestion_control (self, id, viewer);
  if (!viewer.session->start (config, offer, choices, error)) {
    remove_viewer (self, id, error, false, false);
    reject (self, id, GST_RTC_SIGNALLER_ERROR_INTERNAL, error);
  }
}

/* Control thread, every second: handshakes that never finish, viewers that
 * went silent (closed tab, lost network: no RTCP). */
bool on_tick (GstRtcPublish *self)
{
  auto priv = self->priv;
  gint64 timeout_us, handshake_us;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    timeout_us = (gint64)priv->viewer_timeout_ms * 1000;
    handshake_us = (gint64)priv->settings.handshake_timeout_ms * 1000;
  }
  gint64 now = g_get_monotonic_time ();
  std::vector<std::pair<std::string, std::string>> expired;
  for (auto &kv : priv->viewers) {
    std::string why = kv.second.session->expiry_reason (now, handshake_us, timeout_us, "viewer");
    if (!why.empty ())
      expired.push_back ({kv.first, why});
  }
  for (auto &e : expired)
    remove_viewer (self, e.first, e.second, true, true);
  /* A viewer that negotiated TWCC but never sends feedback gets a fixed
   * bitrate rather than the start estimate forever. */
  for (auto &kv : priv->viewers) {
    Viewer &v = kv.second;
    if (!v.twcc || !v.gcc || !v.session->connected () || now - v.session->created_us () < 8000000)
      continue;
    GstStructure *st = nullptr;
    g_object_get (v.gcc.get (), "stats", &st, nullptr);
    guint64 feedbacks = 0;
    if (st) {
      gst_structure_get_uint64 (st, "feedbacks", &feedbacks);
      gst_structure_free (st);
    }
    if (feedbacks == 0) {
      GST_INFO_OBJECT (self, "viewer %s sends no congestion control feedback: fixed bitrate",
                       kv.first.c_str ());
      v.twcc = false;
    }
  }
  rebalance (self); /* the ladder's hold times */
  return true;
}

} // namespace

/* ---- signaller -------------------------------------------------------- */

namespace {

/* Signaller events, on the control thread. */
class Handler : public rtc::SignallerLink::Handler {
public:
  explicit Handler (GstRtcPublish *self) : self_ (self) {}

  void session_requested (const std::string &id, const std::string &peer,
                          GstWebRTCSessionDescription *offer) override
  {
    if (offer)
      on_session_requested (self_, id, peer, offer);
    else
      on_offer_wanted (self_, id, peer);
  }
  void session_description (const std::string &id, GstWebRTCSessionDescription *answer) override
  {
    auto it = self_->priv->viewers.find (id);
    if (it != self_->priv->viewers.end ())
      it->second.session->set_remote_answer (answer);
  }
  void remote_candidate (const std::string &id, guint mline, const std::string &cand) override
  {
    auto it = self_->priv->viewers.find (id);
    if (it != self_->priv->viewers.end ())
      it->second.session->add_remote_candidate (mline, cand);
  }
  void session_ended (const std::string &id) override
  {
    if (self_->priv->pending_offer == id)
      self_->priv->pending_offer.clear ();
    remove_viewer (self_, id,
                   self_->priv->host.client ? "the WHIP session ended" : "the viewer left", false,
                   false);
  }
  void state_changed (const std::string &state, const std::string &detail) override
  {
    post_element_message (self_, gst_structure_new ("webrtcpublish-client-state", "state",
                                                    G_TYPE_STRING, state.c_str (), "detail",
                                                    G_TYPE_STRING, detail.c_str (), nullptr));
  }
  void error (const std::string &message) override
  {
    if (self_->priv->host.client)
      GST_ELEMENT_ERROR (self_, RESOURCE, OPEN_WRITE,
                         ("WHIP publishing failed: %s", message.c_str ()),
                         ("retrying cannot fix this; check the URL and auth-token"));
    else
      GST_ELEMENT_WARNING (self_, RESOURCE, FAILED, ("Signalling: %s", message.c_str ()),
                           (nullptr));
  }

private:
  GstRtcPublish *self_;
};

} // namespace

static std::string media_list (GstRtcPublishPrivate *priv)
{
  std::string media;
  for (auto &in : priv->inputs)
    media += (media.empty () ? "" : ",") + std::string (rtc::media_kind_name (in->kind));
  return media;
}

/* What /streams.json lists for the stream: media kinds, data channels. */
static void describe (GstRtcPublish *self)
{
  auto priv = self->priv;
  std::string media;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    media = media_list (priv);
  }
  priv->host.describe (media, rtc::data_channels_json (priv->data->wanted ()));
}

/* ---- inputs ----------------------------------------------------------- */

static GstPadProbeReturn input_event_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto input = static_cast<Input *> (data);
  auto self = input->owner;
  auto priv = self->priv;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gst_event_parse_caps (event, &caps);
    GstStructure *s = gst_caps_get_structure (caps, 0);
    InputFormat format;
    format.kind = input->kind;
    format.raw = g_str_has_suffix (gst_structure_get_name (s), "/x-raw");
    format.codec = format.raw ? nullptr : rtc::codec_for_caps (caps);
    if (format.codec && g_str_equal (format.codec->name, "H264")) {
      const gchar *profile = gst_structure_get_string (s, "profile");
      const GValue *cd = gst_structure_get_value (s, "codec_data");
      if (!profile && cd && G_VALUE_HOLDS (cd, GST_TYPE_BUFFER)) {
        GstMapInfo map;
        GstBuffer *buf = gst_value_get_buffer (cd);
        if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
          if (map.size > 4)
            profile = gst_codec_utils_h264_get_profile (map.data + 1, map.size - 1);
          gst_buffer_unmap (buf, &map);
        }
      }
      format.h264_profile = profile ? profile : "";
    }
    gint num = 0, den = 1;
    bool changed;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      changed = input->have_format &&
                (input->format.raw != format.raw || input->format.codec != format.codec);
      input->format = format;
      input->have_format = true;
      if (gst_structure_get_fraction (s, "framerate", &num, &den) && num > 0 && den > 0)
        input->fps = std::max (1, num / den);
      gst_structure_get_int (s, "width", &input->width);
      gst_structure_get_int (s, "height", &input->height);
    }
    if (changed)
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
                           ("Input %s changed format; viewers keep the old codec until they "
                            "reconnect",
                            input->name.c_str ()),
                           ("new caps %" GST_PTR_FORMAT, caps));
    /* A live source paces itself; a file does not: only then sync to the clock. */
    GstQuery *q = gst_query_new_latency ();
    gboolean live = FALSE;
    if (gst_pad_peer_query (GST_PAD (input->ghost), q))
      gst_query_parse_latency (q, &live, nullptr, nullptr);
    gst_query_unref (q);
    g_object_set (input->clock_sink, "sync", !live, nullptr);
    post (self, [] (GstRtcPublish *s) {
      if (s->priv->host.client)
        offer_if_pending (s);
    });
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START ||
             GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    std::lock_guard<std::mutex> g (priv->lock);
    input->eos = false;
  }
  return GST_PAD_PROBE_OK;
}

static GstPad *gst_rtc_publish_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                                const gchar *name, const GstCaps *)
{
  auto self = GST_RTC_PUBLISH (element);
  auto priv = self->priv;
  if (rtc::DataRouter::is_data_template (templ)) {
    GstPad *pad = priv->data->request_pad (templ, name);
    if (pad)
      describe (self);
    return pad;
  }
  MediaKind kind =
      g_str_has_prefix (templ->name_template, "video") ? MediaKind::VIDEO : MediaKind::AUDIO;
  int k = kind == MediaKind::VIDEO ? 0 : 1;
  auto input = std::make_unique<Input> ();
  input->owner = self;
  input->kind = kind;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    guint index = priv->next_pad[k];
    if (name &&
        sscanf (name + strlen (kind == MediaKind::VIDEO ? "video_" : "audio_"), "%u", &index) ==
            1 &&
        g_str_has_prefix (name, kind == MediaKind::VIDEO ? "video_" : "audio_")) {
      for (auto &in : priv->inputs)
        if (in->name == name)
          return nullptr;
    }
    priv->next_pad[k] = std::max (priv->next_pad[k], index + 1);
    input->name =
        std::string (kind == MediaKind::VIDEO ? "video_" : "audio_") + std::to_string (index);
  }
  input->filter = gst_element_factory_make ("capsfilter", (input->name + "-filter").c_str ());
  input->tee = gst_element_factory_make ("tee", (input->name + "-tee").c_str ());
  input->clock_sink = gst_element_factory_make ("fakesink", (input->name + "-clock").c_str ());
  if (!input->filter || !input->tee || !input->clock_sink) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("Core elements are missing"),
                       ("capsfilter, tee or fakesink could not be made"));
    return nullptr;
  }
  rtc::CapsPtr caps (gst_caps_from_string (kind == MediaKind::VIDEO ? VIDEO_CAPS : AUDIO_CAPS));
  g_object_set (input->filter, "caps", caps.get (), nullptr);
  g_object_set (input->tee, "allow-not-linked", TRUE, nullptr);
  g_object_set (input->clock_sink, "sync", FALSE, "async", FALSE, "qos", FALSE, "max-lateness",
                (gint64)-1, "enable-last-sample", FALSE, nullptr);
  gst_bin_add_many (GST_BIN (self), GST_ELEMENT (gst_object_ref (input->filter)),
                    GST_ELEMENT (gst_object_ref (input->tee)),
                    GST_ELEMENT (gst_object_ref (input->clock_sink)), nullptr);
  gst_element_link_many (input->filter, input->tee, input->clock_sink, nullptr);

  rtc::ObjectPtr<GstPad> target (gst_element_get_static_pad (input->filter, "sink"));
  input->ghost = gst_ghost_pad_new_from_template (input->name.c_str (), target.get (), templ);
  rtc::ObjectPtr<GstPad> filter_src (gst_element_get_static_pad (input->filter, "src"));
  gst_pad_add_probe (filter_src.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, input_event_probe,
                     input.get (), nullptr);
  gst_element_sync_state_with_parent (input->clock_sink);
  gst_element_sync_state_with_parent (input->tee);
  gst_element_sync_state_with_parent (input->filter);
  if (GST_STATE (self) > GST_STATE_NULL)
    gst_pad_set_active (input->ghost, TRUE);
  GstPad *pad = input->ghost;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    priv->inputs.push_back (std::move (input));
  }
  describe (self);
  gst_element_add_pad (element, pad);
  return pad;
}

static void gst_rtc_publish_release_pad (GstElement *element, GstPad *pad)
{
  auto self = GST_RTC_PUBLISH (element);
  auto priv = self->priv;
  if (priv->data->release_pad (pad))
    return;
  /* Viewers of this input lose it: end them first, on the control thread. */
  post_sync (self, [pad] (GstRtcPublish *s) {
    std::vector<std::string> ids;
    for (auto &kv : s->priv->viewers)
      for (auto &use : kv.second.media)
        if (use.input->ghost == pad)
          ids.push_back (kv.first);
    for (auto &id : ids)
      remove_viewer (s, id, "the input was removed", true, false);
    for (auto &in : s->priv->inputs)
      if (in->ghost == pad)
        in->branches.clear ();
  });
  std::unique_ptr<Input> input;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    auto it = std::find_if (priv->inputs.begin (), priv->inputs.end (),
                            [pad] (const std::unique_ptr<Input> &in) { return in->ghost == pad; });
    if (it == priv->inputs.end ())
      return;
    input = std::move (*it);
    priv->inputs.erase (it);
  }
  gst_element_remove_pad (element, pad);
  for (GstElement *e : {input->filter, input->tee, input->clock_sink}) {
    gst_element_set_locked_state (e, TRUE);
    gst_element_set_state (e, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (e) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), e);
  }
}

/* ---- EOS -------------------------------------------------------------- */

/* When every input has ended (media and data sink pads), viewers are
 * ended cleanly (data channels closed once delivered) and the element
 * posts EOS: webrtcbins never reach EOS themselves. Any thread. */
static void finish_if_ended (GstRtcPublish *self)
{
  auto priv = self->priv;
  bool all = priv->data->sinks_ended ();
  bool started;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    for (auto &in : priv->inputs)
      all = all && in->eos;
    started = priv->control.running ();
  }
  if (!all)
    return;
  GST_INFO_OBJECT (self, "all inputs ended");
  if (!started) {
    priv->data->push_eos ();
    gst_element_post_message (GST_ELEMENT (self), gst_message_new_eos (GST_OBJECT (self)));
    return;
  }
  post (self, [] (GstRtcPublish *s) {
    if (s->priv->host.client) /* DELETE the WHIP session, no retry */
      gst_rtc_signaller_stop (s->priv->host.signaller);
    /* What data channels still carry reaches the peers before they go. */
    s->priv->data->close_all (2000);
    remove_all_viewers (s, "end of stream");
    s->priv->data->push_eos ();
    /* Queued behind the signaller's last state message. */
    post (s, [] (GstRtcPublish *s2) {
      gst_element_post_message (GST_ELEMENT (s2), gst_message_new_eos (GST_OBJECT (s2)));
    });
  });
}

static void gst_rtc_publish_handle_message (GstBin *bin, GstMessage *message)
{
  auto self = GST_RTC_PUBLISH (bin);
  auto priv = self->priv;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS) {
    /* EOS is ours to post (finish_if_ended): the input clock sinks tell. */
    bool mine = false;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      for (auto &in : priv->inputs) {
        if (GST_MESSAGE_SRC (message) == GST_OBJECT (in->clock_sink)) {
          in->eos = true;
          mine = true;
        }
      }
    }
    gst_message_unref (message);
    if (mine)
      finish_if_ended (self);
    return;
  }
  GST_BIN_CLASS (parent_class)->handle_message (bin, message);
}

/* EOS sent to the pipeline goes to every element flagged as a source, and
 * webrtcbin holds sources (ICE, and each data channel's queue): those must
 * not end, or what a data channel still carries would never leave. The
 * inputs' own EOS ends the stream (finish_if_ended). */
static gboolean gst_rtc_publish_send_event (GstElement *element, GstEvent *event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    GST_DEBUG_OBJECT (element, "EOS is for our inputs, not for webrtcbin's sources");
    gst_event_unref (event);
    return TRUE;
  }
  return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
}

/* ---- start / stop ----------------------------------------------------- */

/* Remote control: a viewer's message on the navigation channel becomes a
 * navigation event travelling upstream from the first video input; a bad
 * message gets an error back on the channel. webrtcbin thread. */
static void on_navigation (GstRtcPublish *self, rtc::DataRouter &router, const std::string &session,
                           const gchar *text)
{
  auto priv = self->priv;
  rtc::ObjectPtr<GstPad> target;
  gint width = 0, height = 0;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    for (auto &in : priv->inputs)
      if (in->kind == MediaKind::VIDEO && !target) {
        target = rtc::ref_object (in->ghost);
        width = in->width;
        height = in->height;
      }
  }
  std::string error;
  GstEvent *event = nullptr;
  if (!text)
    error = "navigation messages are JSON text";
  else if (!target || width <= 0 || height <= 0)
    error = "this stream has no video to navigate";
  else
    event = rtc::navigation_event_from_json (text, width, height, error);
  if (event) {
    GST_LOG_OBJECT (self, "viewer %s: %" GST_PTR_FORMAT, session.c_str (), event);
    gst_pad_push_event (target.get (), event);
    return;
  }
  GST_INFO_OBJECT (self, "viewer %s: bad navigation message: %s", session.c_str (), error.c_str ());
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "error");
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, error.c_str ());
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *reply = json_to_string (root, FALSE);
  std::string ignored;
  router.send (session.c_str (), NAVIGATION_LABEL, reply, nullptr, ignored);
}

static bool gst_rtc_publish_start (GstRtcPublish *self)
{
  auto priv = self->priv;
  rtc::Settings settings;
  std::string error;
  bool navigation;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    settings = priv->settings;
    navigation = priv->navigation;
  }
  priv->data->configure (settings.data_policy, settings.data_channels);
  if (navigation) {
    rtc::DataChannelOptions nav;
    nav.label = NAVIGATION_LABEL;
    priv->data->add_internal (
        nav, [self] (rtc::DataRouter &router, const std::string &session, const gchar *text,
                     GBytes *) { on_navigation (self, router, session, text); });
  }
  priv->data->set_sink_eos_callback ([self] () { finish_if_ended (self); });
  std::string prefs_text = settings.codec_preferences;
  std::vector<const Codec *> prefs;
  if (!rtc::parse_codec_preferences (prefs_text, prefs, error)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Invalid codec-preferences: %s", error.c_str ()),
                       (nullptr));
    return false;
  }
  std::map<const Codec *, std::string> encoders;
  for (const Codec *c : prefs) {
    std::string enc = rtc::find_encoder (*c);
    if (!enc.empty ())
      encoders[c] = enc;
  }
  {
    std::lock_guard<std::mutex> g (priv->lock);
    priv->preferences = prefs;
    priv->encoders = encoders;
  }
  priv->control.start ("rtcpublish-ctl");
  priv->control.every (1000, [self] () { return on_tick (self); });

  if (!priv->host.start (GST_ELEMENT (self), settings, &priv->control, priv->handler.get ()))
    return false;
  describe (self);
  return true;
}

static void gst_rtc_publish_stop (GstRtcPublish *self)
{
  auto priv = self->priv;
  priv->data->stop ();
  priv->host.stop ();
  if (!priv->control.running ())
    return;
  post_sync (self, [] (GstRtcPublish *s) {
    auto p = s->priv;
    std::vector<std::string> ids;
    for (auto &kv : p->viewers)
      ids.push_back (kv.first);
    for (auto &id : ids)
      remove_viewer (s, id, "the stream stopped", false, false);
    for (auto &in : p->inputs)
      in->branches.clear ();
  });
  priv->control.stop ();
  rtc::wait_disposals (); /* nothing of ours outlives the element */
}

static GstStateChangeReturn gst_rtc_publish_change_state (GstElement *element,
                                                          GstStateChange transition)
{
  auto self = GST_RTC_PUBLISH (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !gst_rtc_publish_start (self)) {
    gst_rtc_publish_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    std::lock_guard<std::mutex> g (self->priv->lock);
    for (auto &in : self->priv->inputs)
      in->eos = false;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    self->priv->data->start ();
  else if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    self->priv->data->stop (); /* blocked senders let go before their pads stop */
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL ||
      (transition == GST_STATE_CHANGE_NULL_TO_READY && ret == GST_STATE_CHANGE_FAILURE))
    gst_rtc_publish_stop (self);
  return ret;
}

/* ---- properties ------------------------------------------------------- */

static void gst_rtc_publish_set_property (GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec)
{
  auto self = GST_RTC_PUBLISH (object);
  auto priv = self->priv;
  if (prop_id == PROP_SIGNALLER) {
    if (GST_STATE (self) != GST_STATE_NULL) {
      GST_WARNING_OBJECT (self, "the signaller can only be changed in the NULL state");
      return;
    }
    priv->host.set (GST_RTC_SIGNALLER (g_value_get_object (value)));
    return;
  }
  {
    std::lock_guard<std::mutex> g (priv->lock);
    if (priv->settings.set (prop_id, value))
      return;
    switch (prop_id) {
    case PROP_MAX_VIEWERS:
      priv->max_viewers = g_value_get_uint (value);
      break;
    case PROP_VIDEO_BITRATE:
      priv->video_bitrate = g_value_get_uint (value);
      break;
    case PROP_AUDIO_BITRATE:
      priv->audio_bitrate = g_value_get_uint (value);
      break;
    case PROP_KEYFRAME_INTERVAL:
      priv->keyframe_interval_ms = g_value_get_uint (value);
      break;
    case PROP_VIEWER_TIMEOUT:
      priv->viewer_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_NAVIGATION:
      priv->navigation = g_value_get_boolean (value);
      break;
    case PROP_CONGESTION_CONTROL:
      priv->congestion_control = (GstRtcCongestionControl)g_value_get_enum (value);
      break;
    case PROP_MIN_BITRATE:
      priv->min_bitrate = g_value_get_uint (value);
      break;
    case PROP_START_BITRATE:
      priv->start_bitrate = g_value_get_uint (value);
      break;
    case PROP_LADDER_RUNGS:
      priv->ladder_rungs = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  }
  if (prop_id == PROP_VIDEO_BITRATE || prop_id == PROP_AUDIO_BITRATE ||
      prop_id == PROP_MIN_BITRATE) {
    /* Applied to running encoders on the control thread. */
    post (self, [] (GstRtcPublish *s) { rebalance (s); });
  }
}

static void gst_rtc_publish_get_property (GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec)
{
  auto self = GST_RTC_PUBLISH (object);
  auto priv = self->priv;
  if (prop_id == rtc::Settings::PORT || prop_id == PROP_URL) {
    GstRtcSignaller *running = nullptr;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      running = priv->host.ref_running_server ();
    }
    rtc::Settings::get_live (prop_id == PROP_URL ? 0 : prop_id, value, running);
    if (running)
      gst_object_unref (running);
    if (prop_id == rtc::Settings::PORT && !running) {
      std::lock_guard<std::mutex> g (priv->lock);
      g_value_set_uint (value, priv->settings.port);
    }
    return;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  if (priv->settings.get (prop_id, value))
    return;
  switch (prop_id) {
  case PROP_MAX_VIEWERS:
    g_value_set_uint (value, priv->max_viewers);
    break;
  case PROP_VIDEO_BITRATE:
    g_value_set_uint (value, priv->video_bitrate);
    break;
  case PROP_AUDIO_BITRATE:
    g_value_set_uint (value, priv->audio_bitrate);
    break;
  case PROP_KEYFRAME_INTERVAL:
    g_value_set_uint (value, priv->keyframe_interval_ms);
    break;
  case PROP_VIEWER_TIMEOUT:
    g_value_set_uint (value, priv->viewer_timeout_ms);
    break;
  case PROP_NAVIGATION:
    g_value_set_boolean (value, priv->navigation);
    break;
  case PROP_CONGESTION_CONTROL:
    g_value_set_enum (value, priv->congestion_control);
    break;
  case PROP_MIN_BITRATE:
    g_value_set_uint (value, priv->min_bitrate);
    break;
  case PROP_START_BITRATE:
    g_value_set_uint (value, priv->start_bitrate);
    break;
  case PROP_LADDER_RUNGS:
    g_value_set_uint (value, priv->ladder_rungs);
    break;
  case PROP_SIGNALLER:
    g_value_set_object (value, priv->host.signaller);
    break;
  case PROP_N_VIEWERS:
    g_value_set_uint (value, priv->n_viewers.load ());
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_publish_finalize (GObject *object)
{
  delete GST_RTC_PUBLISH (object)->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gst_rtc_publish_class_init (GstRtcPublishClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  gobject_class->set_property = gst_rtc_publish_set_property;
  gobject_class->get_property = gst_rtc_publish_get_property;
  gobject_class->finalize = gst_rtc_publish_finalize;
  element_class->request_new_pad = gst_rtc_publish_request_new_pad;
  element_class->release_pad = gst_rtc_publish_release_pad;
  element_class->change_state = gst_rtc_publish_change_state;
  element_class->send_event = gst_rtc_publish_send_event;
  bin_class->handle_message = gst_rtc_publish_handle_message;

  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto rw_ready = GParamFlags (rw | GST_PARAM_MUTABLE_READY);
  auto rw_playing = GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING);

  rtc::Settings::install (
      gobject_class,
      {"viewers", "whip-url",
       "WHIP endpoint URL to publish to (client mode: no embedded server); the stream is pushed "
       "there, reconnecting with back-off (NULL = serve viewers over WHEP)",
       "/whep/<name> and /view/<name>"});
  g_object_class_install_property (
      gobject_class, PROP_MAX_VIEWERS,
      g_param_spec_uint ("max-viewers", "Max viewers",
                         "Most viewers at once; more get HTTP 503 (0 = no limit)", 0, G_MAXUINT,
                         DEFAULT_MAX_VIEWERS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_BITRATE,
      g_param_spec_uint ("video-bitrate", "Video bitrate",
                         "Bitrate of the video encoders the element creates, bit/s; with "
                         "congestion control the most any viewer gets",
                         1000, G_MAXUINT, DEFAULT_VIDEO_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_CONGESTION_CONTROL,
      g_param_spec_enum ("congestion-control", "Congestion control",
                         "Per-viewer bandwidth estimation (GCC on transport-wide congestion "
                         "control feedback, an rtcgcc per viewer) driving the encoding ladder, "
                         "or none",
                         gst_rtc_congestion_control_get_type (), DEFAULT_CONGESTION_CONTROL,
                         rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_MIN_BITRATE,
      g_param_spec_uint ("min-bitrate", "Min bitrate",
                         "Congestion control: the least video bitrate a viewer gets, bit/s", 30000,
                         G_MAXUINT, DEFAULT_MIN_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_START_BITRATE,
      g_param_spec_uint ("start-bitrate", "Start bitrate",
                         "Congestion control: a new viewer's estimate before feedback, bit/s "
                         "(start-up probing grows it)",
                         30000, G_MAXUINT, DEFAULT_START_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_LADDER_RUNGS,
      g_param_spec_uint ("ladder-rungs", "Ladder rungs",
                         "Congestion control: sizes raw video is encoded at (full, 1/2, 1/4), each "
                         "once and only while watched; viewers move between them by their "
                         "estimate. 1 = one encoder per codec at the lowest viewer's rate",
                         1, 3, DEFAULT_LADDER_RUNGS, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_BITRATE,
      g_param_spec_uint ("audio-bitrate", "Audio bitrate",
                         "Target bitrate of the audio encoders the element creates, bit/s", 6000,
                         510000, DEFAULT_AUDIO_BITRATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_uint ("keyframe-interval", "Keyframe interval",
                         "Longest time between keyframes of the encoders the element creates, ms",
                         100, 60000, DEFAULT_KEYFRAME_INTERVAL, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_VIEWER_TIMEOUT,
      g_param_spec_uint ("viewer-timeout", "Viewer timeout",
                         "A connected viewer that sends no RTCP for this long is removed (closed "
                         "tab, lost network), ms. Viewers send RTCP every 1 to 7.5 s",
                         3000, 600000, DEFAULT_VIEWER_TIMEOUT, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_SIGNALLER,
      g_param_spec_object ("signaller", "Signaller",
                           "How viewers reach the element (default: the embedded WHEP server)",
                           GST_TYPE_RTC_SIGNALLER,
                           GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_N_VIEWERS,
      g_param_spec_uint ("n-viewers", "Viewers", "Number of viewer sessions now", 0, G_MAXUINT, 0,
                         GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL", "The viewer page URL while the server runs", nullptr,
                           GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_NAVIGATION,
      g_param_spec_boolean ("navigation", "Navigation",
                            "Remote control: open a \"navigation\" data channel with every "
                            "viewer; the mouse, keyboard and touch events the viewer page sends "
                            "on it travel upstream from the first video input as navigation "
                            "events. Lets viewers drive the pipeline: enable only for trusted "
                            "viewers (auth-token)",
                            DEFAULT_NAVIGATION, rw_ready));

  /**
   * GstRtcPublish::viewer-created:
   * @self: the element
   * @viewer_id: the session id
   * @webrtcbin: the viewer's webrtcbin, not yet negotiated
   *
   * Emitted on the element's control thread when a viewer's session is
   * made, before negotiation: the application may customise @webrtcbin.
   */
  signals[SIGNAL_VIEWER_CREATED] =
      g_signal_new ("viewer-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                    nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, GST_TYPE_ELEMENT);
  /**
   * GstRtcPublish::viewer-removed:
   * @self: the element
   * @viewer_id: the session id
   *
   * Emitted on the control thread after a viewer's session was torn down.
   */
  signals[SIGNAL_VIEWER_REMOVED] =
      g_signal_new ("viewer-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                    nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  rtc::DataRouter::install (element_class);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC publisher", "Sink/Network/WebRTC",
      "Publishes audio and video to WebRTC viewers (WHEP, embedded server and viewer page), "
      "encoding once per codec for all viewers",
      "gst-rtcbridge developers");
  gst_type_mark_as_plugin_api (GST_TYPE_RTC_SIGNALLER, (GstPluginAPIFlags)0);
  gst_type_mark_as_plugin_api (gst_rtc_congestion_control_get_type (), (GstPluginAPIFlags)0);
}

static void gst_rtc_publish_init (GstRtcPublish *self)
{
  self->priv = new GstRtcPublishPrivate ();
  self->priv->handler = std::make_unique<Handler> (self);
  self->priv->data = std::make_unique<rtc::DataRouter> (GST_ELEMENT (self), "webrtcpublish");
}

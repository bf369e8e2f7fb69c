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
#include "gstrtcwhepsignaller.h"
#include "rtccodecs.h"
#include "rtccontrolthread.h"
#include "rtcencoderbranch.h"
#include "rtcsdp.h"
#include "rtcpeersession.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_publish_debug);
#define GST_CAT_DEFAULT gst_rtc_publish_debug

using rtc::Codec;
using rtc::EncoderBranch;
using rtc::InputFormat;
using rtc::MediaKind;
using rtc::PeerSession;

#define DEFAULT_ENABLE_SERVER TRUE
#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_PORT 8080
#define DEFAULT_STREAM_NAME "live"
#define DEFAULT_MAX_VIEWERS 0
#define DEFAULT_VIDEO_BITRATE 2000000
#define DEFAULT_AUDIO_BITRATE 64000
#define DEFAULT_KEYFRAME_INTERVAL 2000
#define DEFAULT_ICE_GATHERING_TIMEOUT 1000
#define DEFAULT_VIEWER_TIMEOUT 30000
#define DEFAULT_HANDSHAKE_TIMEOUT 15000
#define DEFAULT_ALLOWED_ORIGINS "*"

enum {
  PROP_0,
  PROP_ENABLE_SERVER,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_STREAM_NAME,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_CODEC_PREFERENCES,
  PROP_MAX_VIEWERS,
  PROP_VIDEO_BITRATE,
  PROP_AUDIO_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_ICE_GATHERING_TIMEOUT,
  PROP_VIEWER_TIMEOUT,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_AUTH_TOKEN,
  PROP_ALLOWED_ORIGINS,
  PROP_TLS_CERTIFICATE_FILE,
  PROP_TLS_KEY_FILE,
  PROP_SIGNALLER,
  PROP_N_VIEWERS,
  PROP_URL,
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
  bool eos = false;
  /* control thread: */
  std::map<const Codec *, std::unique_ptr<EncoderBranch>> branches;

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
  EncoderBranch *branch = nullptr; /* once linked */
};

struct Viewer {
  std::unique_ptr<PeerSession> session;
  std::vector<MediaUse> media;
  bool answered = false;
};

} // namespace

struct GstRtcPublishPrivate {
  std::mutex lock; /* guards settings, inputs' format fields, ctx */
  /* settings */
  bool enable_server = DEFAULT_ENABLE_SERVER;
  std::string address = DEFAULT_ADDRESS;
  guint port = DEFAULT_PORT;
  std::string stream_name = DEFAULT_STREAM_NAME;
  std::string stun_server;
  std::string turn_servers;
  std::string codec_preferences = rtc::DEFAULT_CODEC_PREFERENCES;
  guint max_viewers = DEFAULT_MAX_VIEWERS;
  guint video_bitrate = DEFAULT_VIDEO_BITRATE;
  guint audio_bitrate = DEFAULT_AUDIO_BITRATE;
  guint keyframe_interval_ms = DEFAULT_KEYFRAME_INTERVAL;
  guint gathering_timeout_ms = DEFAULT_ICE_GATHERING_TIMEOUT;
  guint viewer_timeout_ms = DEFAULT_VIEWER_TIMEOUT;
  guint handshake_timeout_ms = DEFAULT_HANDSHAKE_TIMEOUT;
  std::string auth_token;
  std::string allowed_origins = DEFAULT_ALLOWED_ORIGINS;
  std::string tls_certificate_file;
  std::string tls_key_file;
  GstRtcSignaller *signaller = nullptr; /* owned */
  bool signaller_is_default = true;

  std::vector<std::unique_ptr<Input>> inputs; /* add/remove: application thread */
  guint next_pad[2] = {0, 0};

  /* while started */
  rtc::ControlThread control;
  bool signaller_started = false;
  std::vector<gulong> signaller_handlers;
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
G_DEFINE_TYPE (GstRtcPublish, gst_rtc_publish, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    webrtcpublish, "webrtcpublish", GST_RANK_NONE, GST_TYPE_RTC_PUBLISH,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_publish_debug, "webrtcpublish", 0, "WebRTC publisher"));

/* ---- control thread --------------------------------------------------- */

namespace {

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
  gst_rtc_signaller_reject_session (self->priv->signaller, id.c_str (), error);
  g_error_free (error);
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
  viewer.session.reset (); /* unlinks the media, stops and removes its webrtcbin */
  for (auto &use : viewer.media) {
    if (!use.branch)
      continue;
    if (--use.branch->viewers == 0) {
      /* Nobody watches this codec any more: stop encoding it. */
      use.input->branches.erase (&use.branch->codec ());
    }
  }
  GST_INFO_OBJECT (self, "viewer %s removed: %s (%u left)", id.c_str (), reason.c_str (),
                   priv->n_viewers.load ());
  if (tell_signaller) {
    if (answered)
      gst_rtc_signaller_end_session (priv->signaller, id.c_str ());
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
EncoderBranch *branch_for (GstRtcPublish *self, Input *input, const Codec *codec,
                           std::string &error)
{
  auto priv = self->priv;
  auto it = input->branches.find (codec);
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
  }
  auto branch = EncoderBranch::create (GST_BIN (self), input->tee, *codec, format, config, error);
  if (!branch)
    return nullptr;
  EncoderBranch *raw = branch.get ();
  input->branches[codec] = std::move (branch);
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
    use.branch = branch_for (self, use.input, use.codec, error);
    if (!use.branch) {
      remove_viewer (self, id, "could not encode " + std::string (use.codec->name) + ": " + error,
                     true, true);
      return false;
    }
    use.branch->viewers++;
  }
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
    GstWebRTCSessionDescription *answer = viewer.session->take_local_description ();
    if (!answer)
      return;
    gst_rtc_signaller_send_answer (priv->signaller, id.c_str (), answer);
    gst_webrtc_session_description_free (answer);
    viewer.answered = true;
    std::string codecs;
    for (auto &c : viewer.session->codec_names ())
      codecs += (codecs.empty () ? "" : ",") + c;
    post_element_message (
        self, gst_structure_new (
                  "webrtcpublish-viewer-added", "id", G_TYPE_STRING, id.c_str (), "remote-address",
                  G_TYPE_STRING, viewer.session->peer_address ().c_str (), "codecs", G_TYPE_STRING,
                  codecs.c_str (), "viewers", G_TYPE_UINT, priv->n_viewers.load (), nullptr));
    /* Start the encoders now, so they are warm when ICE and DTLS are done. */
    if (!reserve_branches (self, id, viewer))
      return;
    break;
  }
  case PeerSession::Event::CONNECTED: {
    GST_INFO_OBJECT (self, "viewer %s connected", id.c_str ());
    if (!reserve_branches (self, id, viewer))
      return;
    for (auto &use : viewer.media) {
      std::string error;
      if (!viewer.session->link_media (use.mline, use.pt, use.branch, error)) {
        remove_viewer (self, id, "could not send " + std::string (use.codec->name) + ": " + error,
                       true, true);
        return;
      }
    }
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
  case PeerSession::Event::REMOTE_SET:
    break;
  case PeerSession::Event::LOCAL_CANDIDATE: {
    auto space = detail.find (' ');
    guint mline = (guint)g_ascii_strtoull (detail.c_str (), nullptr, 10);
    gst_rtc_signaller_send_ice_candidate (priv->signaller, id.c_str (), mline,
                                          detail.substr (space + 1).c_str ());
    break;
  }
  }
}

/* Control thread: a viewer's offer arrived. */
void on_session_requested (GstRtcPublish *self, const std::string &id, const std::string &peer,
                           GstWebRTCSessionDescription *offer)
{
  auto priv = self->priv;
  std::string error;
  guint max_viewers;
  std::vector<std::pair<Input *, InputFormat>> inputs;
  PeerSession::Config config;
  std::vector<const Codec *> encodable;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    max_viewers = priv->max_viewers;
    for (auto &in : priv->inputs) {
      if (!in->have_format) {
        error = "the stream has not started yet (" + in->name + " has no data)";
        break;
      }
      if (in->eos)
        error = "the stream has ended";
      inputs.push_back ({in.get (), in->format});
    }
    config.stun_server = priv->stun_server;
    g_auto (GStrv) turns = g_strsplit (priv->turn_servers.c_str (), ",", -1);
    for (guint i = 0; turns[i]; i++)
      if (*g_strstrip (turns[i]))
        config.turn_servers.push_back (turns[i]);
    config.gather_timeout = priv->gathering_timeout_ms * GST_MSECOND;
    config.control_context = priv->control.context ();
    for (auto &kv : priv->encoders)
      encodable.push_back (kv.first);
  }
  if (inputs.empty ())
    error = "the stream has no inputs";
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

  auto session = std::make_unique<PeerSession> (
      id, peer, GST_BIN (self),
      [self] (const std::string &sid, PeerSession::Event ev, const std::string &detail) {
        post (self,
              [sid, ev, detail] (GstRtcPublish *s) { on_session_event (s, sid, ev, detail); });
      });
  if (session->webrtcbin ())
    g_signal_emit (self, signals[SIGNAL_VIEWER_CREATED], 0, id.c_str (), session->webrtcbin ());
  Viewer &viewer = priv->viewers[id];
  viewer.session = std::move (session);
  viewer.media = std::move (uses);
  priv->n_viewers = priv->viewers.size ();
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
    handshake_us = (gint64)priv->handshake_timeout_ms * 1000;
  }
  gint64 now = g_get_monotonic_time ();
  std::vector<std::pair<std::string, std::string>> expired;
  for (auto &kv : priv->viewers) {
    auto &s = kv.second.session;
    if (!s->connected () && now - s->created_us () > handshake_us)
      expired.push_back ({kv.first, "the viewer did not connect in time (ICE/DTLS handshake)"});
    else if (s->connected () && now - s->last_activity_us () > timeout_us)
      expired.push_back ({kv.first, "no RTCP from the viewer for " +
                                        std::to_string (timeout_us / 1000000) + " s (gone)"});
  }
  for (auto &e : expired)
    remove_viewer (self, e.first, e.second, true, true);
  return true;
}

} // namespace

/* ---- signaller -------------------------------------------------------- */

static void on_signaller_session_requested (GstRtcSignaller *, const gchar *id, const gchar *peer,
                                            GstWebRTCSessionDescription *offer, gpointer data)
{
  auto self = GST_RTC_PUBLISH (data);
  std::string sid = id, speer = peer ? peer : "";
  GstWebRTCSessionDescription *copy = gst_webrtc_session_description_copy (offer);
  auto holder =
      std::shared_ptr<GstWebRTCSessionDescription> (copy, gst_webrtc_session_description_free);
  post (self, [sid, speer, holder] (GstRtcPublish *s) {
    on_session_requested (s, sid, speer, holder.get ());
  });
}

static void on_signaller_ice_candidate (GstRtcSignaller *, const gchar *id, guint mline,
                                        const gchar *candidate, gpointer data)
{
  auto self = GST_RTC_PUBLISH (data);
  std::string sid = id, cand = candidate;
  post (self, [sid, mline, cand] (GstRtcPublish *s) {
    auto it = s->priv->viewers.find (sid);
    if (it != s->priv->viewers.end ())
      it->second.session->add_remote_candidate (mline, cand);
  });
}

static void on_signaller_session_ended (GstRtcSignaller *, const gchar *id, gpointer data)
{
  auto self = GST_RTC_PUBLISH (data);
  std::string sid = id;
  post (self,
        [sid] (GstRtcPublish *s) { remove_viewer (s, sid, "the viewer left", false, false); });
}

static void on_signaller_error (GstRtcSignaller *, const gchar *message, gpointer data)
{
  auto self = GST_RTC_PUBLISH (data);
  GST_ELEMENT_WARNING (self, RESOURCE, FAILED, ("Signalling: %s", message), (nullptr));
}

static std::string media_list (GstRtcPublishPrivate *priv)
{
  std::string media;
  for (auto &in : priv->inputs)
    media += (media.empty () ? "" : ",") + std::string (rtc::media_kind_name (in->kind));
  return media;
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
  std::string media;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    priv->inputs.push_back (std::move (input));
    media = media_list (priv);
  }
  if (priv->signaller &&
      g_object_class_find_property (G_OBJECT_GET_CLASS (priv->signaller), "media"))
    g_object_set (priv->signaller, "media", media.c_str (), nullptr);
  gst_element_add_pad (element, pad);
  return pad;
}

static void gst_rtc_publish_release_pad (GstElement *element, GstPad *pad)
{
  auto self = GST_RTC_PUBLISH (element);
  auto priv = self->priv;
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

static void gst_rtc_publish_handle_message (GstBin *bin, GstMessage *message)
{
  auto self = GST_RTC_PUBLISH (bin);
  auto priv = self->priv;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS) {
    /* EOS is ours to post: webrtcbins never reach EOS, so the input clock
     * sinks decide. When every input has ended, viewers are ended cleanly
     * and the element posts EOS. */
    bool all = true, mine = false;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      for (auto &in : priv->inputs) {
        if (GST_MESSAGE_SRC (message) == GST_OBJECT (in->clock_sink)) {
          in->eos = true;
          mine = true;
        }
        all = all && in->eos;
      }
    }
    gst_message_unref (message);
    if (mine && all) {
      GST_INFO_OBJECT (self, "all inputs ended");
      post (self, [] (GstRtcPublish *s) {
        remove_all_viewers (s, "end of stream");
        gst_element_post_message (GST_ELEMENT (s), gst_message_new_eos (GST_OBJECT (s)));
      });
      bool started;
      {
        std::lock_guard<std::mutex> g (priv->lock);
        started = priv->control.running ();
      }
      if (!started)
        gst_element_post_message (GST_ELEMENT (self), gst_message_new_eos (GST_OBJECT (self)));
    }
    return;
  }
  GST_BIN_CLASS (parent_class)->handle_message (bin, message);
}

/* ---- start / stop ----------------------------------------------------- */

static bool gst_rtc_publish_start (GstRtcPublish *self)
{
  auto priv = self->priv;
  std::string prefs_text, error, address, name, token, origins, media, cert, key;
  guint port;
  bool enable_server;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    prefs_text = priv->codec_preferences;
    address = priv->address;
    port = priv->port;
    name = priv->stream_name;
    token = priv->auth_token;
    origins = priv->allowed_origins;
    cert = priv->tls_certificate_file;
    key = priv->tls_key_file;
    enable_server = priv->enable_server;
    media = media_list (priv);
  }
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

  GstRtcSignaller *signaller = priv->signaller;
  if (!priv->signaller_is_default || enable_server) {
    if (priv->signaller_is_default) {
      g_object_set (signaller, "address", address.c_str (), "port", port, "stream-name",
                    name.c_str (), "auth-token", token.empty () ? nullptr : token.c_str (),
                    "allowed-origins", origins.c_str (), "media", media.c_str (),
                    "tls-certificate-file", cert.empty () ? nullptr : cert.c_str (), "tls-key-file",
                    key.empty () ? nullptr : key.c_str (), nullptr);
    }
    priv->signaller_handlers = {
        g_signal_connect (signaller, "session-requested",
                          G_CALLBACK (on_signaller_session_requested), self),
        g_signal_connect (signaller, "ice-candidate", G_CALLBACK (on_signaller_ice_candidate),
                          self),
        g_signal_connect (signaller, "session-ended", G_CALLBACK (on_signaller_session_ended),
                          self),
        g_signal_connect (signaller, "error", G_CALLBACK (on_signaller_error), self),
    };
    GError *gerr = nullptr;
    if (!gst_rtc_signaller_start (signaller, &gerr)) {
      GST_ELEMENT_ERROR (
          self, RESOURCE, OPEN_READ_WRITE,
          ("Could not start the WebRTC server: %s", gerr ? gerr->message : "?"),
          ("address %s, port %u, stream-name %s", address.c_str (), port, name.c_str ()));
      g_clear_error (&gerr);
      return false;
    }
    priv->signaller_started = true;
    if (priv->signaller_is_default) {
      guint bound = 0;
      gchar *url = nullptr;
      g_object_get (signaller, "port", &bound, "url", &url, nullptr);
      GST_INFO_OBJECT (self, "viewer page: %s", url);
      post_element_message (self,
                            gst_structure_new ("webrtcpublish-listening", "address", G_TYPE_STRING,
                                               address.c_str (), "port", G_TYPE_UINT, bound, "url",
                                               G_TYPE_STRING, url, nullptr));
      g_free (url);
    }
  }
  return true;
}

static void gst_rtc_publish_stop (GstRtcPublish *self)
{
  auto priv = self->priv;
  for (gulong id : priv->signaller_handlers)
    g_signal_handler_disconnect (priv->signaller, id);
  priv->signaller_handlers.clear ();
  if (priv->signaller_started) {
    gst_rtc_signaller_stop (priv->signaller);
    priv->signaller_started = false;
  }
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
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL ||
      (transition == GST_STATE_CHANGE_NULL_TO_READY && ret == GST_STATE_CHANGE_FAILURE))
    gst_rtc_publish_stop (self);
  return ret;
}

/* ---- properties ------------------------------------------------------- */

static void set_signaller (GstRtcPublish *self, GstRtcSignaller *signaller)
{
  auto priv = self->priv;
  if (priv->signaller)
    gst_object_unref (priv->signaller);
  priv->signaller_is_default = signaller == nullptr;
  if (!signaller)
    signaller = GST_RTC_SIGNALLER (g_object_new (GST_TYPE_RTC_WHEP_SIGNALLER, nullptr));
  /* Takes a floating reference, adds one to a normal reference. */
  priv->signaller = GST_RTC_SIGNALLER (g_object_ref_sink (signaller));
}

static void gst_rtc_publish_set_property (GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec)
{
  auto self = GST_RTC_PUBLISH (object);
  auto priv = self->priv;
  auto str = [value] (const char *def) {
    const gchar *s = g_value_get_string (value);
    return std::string (s ? s : def);
  };
  if (prop_id == PROP_SIGNALLER) {
    if (GST_STATE (self) != GST_STATE_NULL) {
      GST_WARNING_OBJECT (self, "the signaller can only be changed in the NULL state");
      return;
    }
    set_signaller (self, GST_RTC_SIGNALLER (g_value_get_object (value)));
    return;
  }
  std::vector<EncoderBranch *> branches;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    switch (prop_id) {
    case PROP_ENABLE_SERVER:
      priv->enable_server = g_value_get_boolean (value);
      break;
    case PROP_ADDRESS:
      priv->address = str (DEFAULT_ADDRESS);
      break;
    case PROP_PORT:
      priv->port = g_value_get_uint (value);
      break;
    case PROP_STREAM_NAME:
      priv->stream_name = str (DEFAULT_STREAM_NAME);
      break;
    case PROP_STUN_SERVER:
      priv->stun_server = str ("");
      break;
    case PROP_TURN_SERVERS:
      priv->turn_servers = str ("");
      break;
    case PROP_CODEC_PREFERENCES:
      priv->codec_preferences = str (rtc::DEFAULT_CODEC_PREFERENCES);
      break;
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
    case PROP_ICE_GATHERING_TIMEOUT:
      priv->gathering_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_VIEWER_TIMEOUT:
      priv->viewer_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      priv->handshake_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_AUTH_TOKEN:
      priv->auth_token = str ("");
      break;
    case PROP_ALLOWED_ORIGINS:
      priv->allowed_origins = str (DEFAULT_ALLOWED_ORIGINS);
      break;
    case PROP_TLS_CERTIFICATE_FILE:
      priv->tls_certificate_file = str ("");
      break;
    case PROP_TLS_KEY_FILE:
      priv->tls_key_file = str ("");
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  }
  if (prop_id == PROP_VIDEO_BITRATE || prop_id == PROP_AUDIO_BITRATE) {
    /* Applied to running encoders on the control thread. */
    post (self, [] (GstRtcPublish *s) {
      guint video, audio;
      {
        std::lock_guard<std::mutex> g (s->priv->lock);
        video = s->priv->video_bitrate;
        audio = s->priv->audio_bitrate;
      }
      for (auto &in : s->priv->inputs)
        for (auto &kv : in->branches)
          kv.second->set_bitrate (kv.first->kind == MediaKind::VIDEO ? video : audio);
    });
  }
}

static void gst_rtc_publish_get_property (GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec)
{
  auto self = GST_RTC_PUBLISH (object);
  auto priv = self->priv;
  if (prop_id == PROP_PORT || prop_id == PROP_URL) {
    bool running;
    guint port;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      running = priv->signaller_started && priv->signaller_is_default;
      port = priv->port;
    }
    if (prop_id == PROP_PORT) {
      if (running)
        g_object_get (priv->signaller, "port", &port, nullptr);
      g_value_set_uint (value, port);
    } else {
      gchar *url = nullptr;
      if (running)
        g_object_get (priv->signaller, "url", &url, nullptr);
      g_value_take_string (value, url);
    }
    return;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  auto opt = [] (const std::string &s) {
    return s.empty () ? nullptr : s.c_str ();
  };
  switch (prop_id) {
  case PROP_ENABLE_SERVER:
    g_value_set_boolean (value, priv->enable_server);
    break;
  case PROP_ADDRESS:
    g_value_set_string (value, priv->address.c_str ());
    break;
  case PROP_STREAM_NAME:
    g_value_set_string (value, priv->stream_name.c_str ());
    break;
  case PROP_STUN_SERVER:
    g_value_set_string (value, opt (priv->stun_server));
    break;
  case PROP_TURN_SERVERS:
    g_value_set_string (value, opt (priv->turn_servers));
    break;
  case PROP_CODEC_PREFERENCES:
    g_value_set_string (value, priv->codec_preferences.c_str ());
    break;
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
  case PROP_ICE_GATHERING_TIMEOUT:
    g_value_set_uint (value, priv->gathering_timeout_ms);
    break;
  case PROP_VIEWER_TIMEOUT:
    g_value_set_uint (value, priv->viewer_timeout_ms);
    break;
  case PROP_HANDSHAKE_TIMEOUT:
    g_value_set_uint (value, priv->handshake_timeout_ms);
    break;
  case PROP_AUTH_TOKEN:
    g_value_set_string (value, opt (priv->auth_token));
    break;
  case PROP_ALLOWED_ORIGINS:
    g_value_set_string (value, priv->allowed_origins.c_str ());
    break;
  case PROP_TLS_CERTIFICATE_FILE:
    g_value_set_string (value, opt (priv->tls_certificate_file));
    break;
  case PROP_TLS_KEY_FILE:
    g_value_set_string (value, opt (priv->tls_key_file));
    break;
  case PROP_SIGNALLER:
    g_value_set_object (value, priv->signaller);
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
  auto self = GST_RTC_PUBLISH (object);
  if (self->priv->signaller)
    gst_object_unref (self->priv->signaller);
  delete self->priv;
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
  bin_class->handle_message = gst_rtc_publish_handle_message;

  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto rw_ready = GParamFlags (rw | GST_PARAM_MUTABLE_READY);
  auto rw_playing = GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING);

  g_object_class_install_property (
      gobject_class, PROP_ENABLE_SERVER,
      g_param_spec_boolean ("enable-server", "Enable server",
                            "Run the embedded HTTP server (WHEP endpoint and viewer page). "
                            "Ignored when a custom signaller is set",
                            DEFAULT_ENABLE_SERVER, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
                           "IP address the embedded server binds to (0.0.0.0 or :: for all "
                           "interfaces)",
                           DEFAULT_ADDRESS, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port",
                         "TCP port of the embedded server; 0 picks a free port, which this "
                         "property returns once the element is READY",
                         0, 65535, DEFAULT_PORT, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_STREAM_NAME,
      g_param_spec_string ("stream-name", "Stream name",
                           "Name of the stream: /whep/<name> and /view/<name> on the server",
                           DEFAULT_STREAM_NAME, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_STUN_SERVER,
      g_param_spec_string ("stun-server", "STUN server",
                           "STUN server for viewers' sessions, stun://host:port (NULL = none)",
                           nullptr, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_TURN_SERVERS,
      g_param_spec_string ("turn-servers", "TURN servers",
                           "Comma-separated TURN servers, turn(s)://user:password@host:port "
                           "(NULL = none)",
                           nullptr, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_CODEC_PREFERENCES,
      g_param_spec_string ("codec-preferences", "Codec preferences",
                           "Codecs to offer viewers, most preferred first (VP8, VP9, H264, OPUS)",
                           rtc::DEFAULT_CODEC_PREFERENCES, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_MAX_VIEWERS,
      g_param_spec_uint ("max-viewers", "Max viewers",
                         "Most viewers at once; more get HTTP 503 (0 = no limit)", 0, G_MAXUINT,
                         DEFAULT_MAX_VIEWERS, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_BITRATE,
      g_param_spec_uint ("video-bitrate", "Video bitrate",
                         "Target bitrate of the video encoders the element creates, bit/s", 1000,
                         G_MAXUINT, DEFAULT_VIDEO_BITRATE, rw_playing));
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
      gobject_class, PROP_ICE_GATHERING_TIMEOUT,
      g_param_spec_uint ("ice-gathering-timeout", "ICE gathering timeout",
                         "Longest wait for our ICE candidates before answering a viewer, ms "
                         "(host candidates take a few ms; STUN/TURN may take longer)",
                         0, 30000, DEFAULT_ICE_GATHERING_TIMEOUT, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_VIEWER_TIMEOUT,
      g_param_spec_uint ("viewer-timeout", "Viewer timeout",
                         "A connected viewer that sends no RTCP for this long is removed (closed "
                         "tab, lost network), ms. Viewers send RTCP every 1 to 7.5 s",
                         3000, 600000, DEFAULT_VIEWER_TIMEOUT, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_HANDSHAKE_TIMEOUT,
      g_param_spec_uint ("handshake-timeout", "Handshake timeout",
                         "A viewer that has not connected (ICE and DTLS) this long after its "
                         "offer is removed, ms",
                         1000, 600000, DEFAULT_HANDSHAKE_TIMEOUT, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_AUTH_TOKEN,
      g_param_spec_string ("auth-token", "Auth token",
                           "Bearer token viewers must present (NULL = anyone may watch)", nullptr,
                           rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_ALLOWED_ORIGINS,
      g_param_spec_string ("allowed-origins", "Allowed origins",
                           "Comma-separated browser origins allowed to use the WHEP endpoint, or *",
                           DEFAULT_ALLOWED_ORIGINS, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_TLS_CERTIFICATE_FILE,
      g_param_spec_string ("tls-certificate-file", "TLS certificate file",
                           "PEM certificate (chain) for the embedded server: HTTPS instead of "
                           "HTTP (NULL = plain HTTP)",
                           nullptr, rw_ready));
  g_object_class_install_property (
      gobject_class, PROP_TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS key file",
                           "PEM private key of tls-certificate-file (NULL = in that file)", nullptr,
                           rw_ready));
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
  gst_element_class_set_static_metadata (
      element_class, "WebRTC publisher", "Sink/Network/WebRTC",
      "Publishes audio and video to WebRTC viewers (WHEP, embedded server and viewer page), "
      "encoding once per codec for all viewers",
      "gst-rtcbridge developers");
  gst_type_mark_as_plugin_api (GST_TYPE_RTC_SIGNALLER, (GstPluginAPIFlags)0);
}

static void gst_rtc_publish_init (GstRtcPublish *self)
{
  self->priv = new GstRtcPublishPrivate ();
  set_signaller (self, nullptr);
}

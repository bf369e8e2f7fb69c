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

#include <gst/rtcbridge/gstrtcsignaller.h>
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gstrtcbridgeelements.h"
#include "rtccodecs.h"
#include "rtccontrolthread.h"
#include "rtcdatarouter.h"
#include "rtcnavigation.h"
#include "rtcpublisher.h"
#include "rtcelement.h"
#include "rtcteardown.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_publish_debug);
#define GST_CAT_DEFAULT gst_rtc_publish_debug

using rtc::Codec;

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

/* The shared properties (rtc::Settings) come first. */
enum {
  PROP_MAX_VIEWERS = rtc::Settings::N_PROPS,
  PROP_VIDEO_BITRATE,
  PROP_AUDIO_BITRATE,
  PROP_KEYFRAME_INTERVAL,
  PROP_VIEWER_TIMEOUT,
  PROP_SIGNALLER,
  PROP_N_VIEWERS,
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

struct GstRtcPublishPrivate {
  explicit GstRtcPublishPrivate (GstElement *self)
      : core (self, {"webrtcpublish", GST_RTC_HTTP_PROTOCOL_WHEP, "viewer page"})
  {}
  rtc::ElementCore core; /* core.lock guards the settings below */
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
  /* while started */
  std::vector<const Codec *> preferences;
  std::map<const Codec *, std::string> encoders; /* codec -> encoder factory */

  std::unique_ptr<rtc::Publisher> publisher; /* from init to finalize */
};

struct _GstRtcPublish {
  GstBin parent;
  GstRtcPublishPrivate *priv;
};

#define gst_rtc_publish_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRtcPublish, gst_rtc_publish, GST_TYPE_BIN,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
                                                rtc::SignallerHost::child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    webrtcpublish, "webrtcpublish", GST_RANK_NONE, GST_TYPE_RTC_PUBLISH,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_publish_debug, "webrtcpublish", 0, "WebRTC publisher"));

/* What the publisher works with, from the properties (any thread). */
static rtc::Publisher::Settings publisher_settings (GstRtcPublish *self)
{
  auto priv = self->priv;
  rtc::Publisher::Settings s;
  std::lock_guard<std::mutex> g (priv->core.lock);
  bool cc = priv->congestion_control != GST_RTC_CONGESTION_CONTROL_NONE;
  rtc::Ladder ladder;
  ladder.rungs = cc ? priv->ladder_rungs : 1;
  ladder.min_bps = std::min (priv->min_bitrate, priv->video_bitrate);
  ladder.max_bps = priv->video_bitrate;
  s.max_viewers = priv->max_viewers;
  s.preferences = priv->preferences;
  s.encoding.encoders = priv->encoders;
  s.encoding.video_bitrate = priv->video_bitrate;
  s.encoding.audio_bitrate = priv->audio_bitrate;
  s.encoding.keyframe_interval_ms = priv->keyframe_interval_ms;
  s.encoding.congestion_control = cc;
  s.encoding.ladder = ladder;
  s.encoding.start_bitrate = priv->start_bitrate;
  s.adaptation.enabled = cc;
  s.adaptation.ladder = ladder;
  s.adaptation.video_max = priv->video_bitrate;
  s.adaptation.audio = priv->audio_bitrate;
  s.adaptation.min = priv->min_bitrate;
  s.adaptation.start = priv->start_bitrate;
  priv->core.settings.fill (s.session);
  s.handshake_us = (gint64)priv->core.settings.handshake_timeout_ms * 1000;
  s.max_handshakes = priv->core.settings.max_handshakes;
  s.silence_us = (gint64)priv->viewer_timeout_ms * 1000;
  return s;
}

/* What /streams.json lists for the stream: media kinds, data channels. */
static void describe (GstRtcPublish *self)
{
  self->priv->core.describe (self->priv->publisher->inputs ().kinds ());
}

/* ---- pads --------------------------------------------------------------- */

static GstPad *gst_rtc_publish_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                                const gchar *name, const GstCaps *)
{
  auto self = GST_RTC_PUBLISH (element);
  auto priv = self->priv;
  GstPad *pad =
      rtc::DataRouter::is_data_template (templ)
          ? priv->core.data->request_pad (templ, name)
          : priv->publisher->inputs ().add (
                templ, name,
                g_str_has_prefix (templ->name_template, "video") ? VIDEO_CAPS : AUDIO_CAPS);
  if (pad)
    describe (self);
  return pad;
}

static void gst_rtc_publish_release_pad (GstElement *element, GstPad *pad)
{
  auto self = GST_RTC_PUBLISH (element);
  auto priv = self->priv;
  if (priv->core.data->release_pad (pad))
    return;
  const rtc::Input *input = priv->publisher->inputs ().find (pad);
  if (!input)
    return;
  /* Viewers of this input lose it: end them first, on the control thread. */
  priv->core.control.post_sync (
      [priv, input] () { priv->publisher->drop_input (input, "the input was removed"); });
  priv->publisher->inputs ().remove (pad);
  describe (self);
}

/* ---- EOS ---------------------------------------------------------------- */

/* When every input has ended (media and data sink pads), viewers are
 * ended cleanly (data channels closed once delivered) and the element
 * posts EOS: webrtcbins never reach EOS themselves. Any thread. */
static void finish_if_ended (GstRtcPublish *self)
{
  auto priv = self->priv;
  if (!priv->core.data->sinks_ended () || !priv->publisher->inputs ().all_ended ())
    return;
  GST_INFO_OBJECT (self, "all inputs ended");
  if (!priv->core.control.running ()) {
    priv->core.data->push_eos ();
    gst_element_post_message (GST_ELEMENT (self), gst_message_new_eos (GST_OBJECT (self)));
    return;
  }
  priv->core.control.post ([self, priv] () {
    priv->publisher->sessions ().stop_offering ();
    /* What data channels still carry reaches the peers before they go. */
    priv->core.data->close_all (2000);
    priv->publisher->stop ("end of stream", true);
    priv->core.data->push_eos ();
    /* Queued behind the signaller's last state message. */
    priv->core.control.post ([self] () {
      gst_element_post_message (GST_ELEMENT (self), gst_message_new_eos (GST_OBJECT (self)));
    });
  });
}

static void gst_rtc_publish_handle_message (GstBin *bin, GstMessage *message)
{
  auto self = GST_RTC_PUBLISH (bin);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS) {
    /* EOS is ours to post (finish_if_ended): the input clock sinks tell. */
    bool mine = self->priv->publisher->inputs ().mark_eos (GST_MESSAGE_SRC (message));
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

/* ---- start / stop ------------------------------------------------------- */

static bool gst_rtc_publish_start (GstRtcPublish *self)
{
  auto priv = self->priv;
  rtc::Settings settings = priv->core.copy_settings ();
  bool navigation;
  {
    std::lock_guard<std::mutex> g (priv->core.lock);
    navigation = priv->navigation;
  }
  priv->core.data->configure (settings.data_policy, settings.data_channels,
                              settings.max_data_channels);
  if (navigation) {
    rtc::DataChannelOptions nav;
    nav.label = rtc::NAVIGATION_LABEL;
    auto rate = std::make_shared<rtc::NavigationRate> ();
    priv->core.data->add_internal (nav, [self, rate] (rtc::DataRouter &router,
                                                      const std::string &session, const gchar *text,
                                                      GBytes *) {
      /* Remote control is a permission of its own (a JWT's "control"). */
      GstRtcSignaller *signaller = self->priv->core.host.ref ();
      bool permitted = gst_rtc_signaller_session_permits (signaller, session.c_str (), "control");
      gst_object_unref (signaller);
      if (!permitted) {
        GST_LOG_OBJECT (self, "session %s may not control the pipeline: event dropped",
                        session.c_str ());
        return;
      }
      gint width = 0, height = 0;
      rtc::ObjectPtr<GstPad> target (
          self->priv->publisher->inputs ().ref_first_video (width, height));
      rtc::navigation_handle (GST_ELEMENT (self), router, *rate, session, text, target.get (),
                              width, height);
    });
  }
  priv->core.data->set_sink_eos_callback ([self] () { finish_if_ended (self); });
  std::vector<const Codec *> prefs;
  if (!priv->core.parse_preferences (prefs))
    return false;
  std::map<const Codec *, std::string> encoders;
  for (const Codec *c : prefs) {
    std::string enc = rtc::find_encoder (*c);
    if (!enc.empty ())
      encoders[c] = enc;
  }
  {
    std::lock_guard<std::mutex> g (priv->core.lock);
    priv->preferences = prefs;
    priv->encoders = encoders;
  }
  if (!priv->core.start ("rtcpublish-ctl", priv->publisher->sessions (),
                         [priv] () { priv->publisher->tick (); }))
    return false;
  describe (self);
  return true;
}

static void gst_rtc_publish_stop (GstRtcPublish *self)
{
  auto priv = self->priv;
  priv->core.stop (priv->publisher->sessions (),
                   [priv] () { priv->publisher->stop ("the stream stopped", false); });
}

static GstStateChangeReturn gst_rtc_publish_change_state (GstElement *element,
                                                          GstStateChange transition)
{
  auto self = GST_RTC_PUBLISH (element);
  auto priv = self->priv;
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !gst_rtc_publish_start (self)) {
    gst_rtc_publish_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    priv->publisher->inputs ().reset_eos ();
  priv->core.data_transition (transition);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL ||
      (transition == GST_STATE_CHANGE_NULL_TO_READY && ret == GST_STATE_CHANGE_FAILURE))
    gst_rtc_publish_stop (self);
  return ret;
}

/* ---- properties --------------------------------------------------------- */

static void gst_rtc_publish_set_property (GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec)
{
  auto self = GST_RTC_PUBLISH (object);
  auto priv = self->priv;
  if (priv->core.set_property (prop_id, value, PROP_SIGNALLER))
    return;
  {
    std::lock_guard<std::mutex> g (priv->core.lock);
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
    priv->core.control.post ([priv] () { priv->publisher->rebalance (); });
  }
}

static void gst_rtc_publish_get_property (GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec)
{
  auto self = GST_RTC_PUBLISH (object);
  auto priv = self->priv;
  if (priv->core.get_property (prop_id, value, PROP_SIGNALLER))
    return;
  if (prop_id == PROP_N_VIEWERS) {
    g_value_set_uint (value, priv->publisher->n_viewers ());
    return;
  }
  std::lock_guard<std::mutex> g (priv->core.lock);
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
       "/whep/<name> and /view/<name>", "viewer page"});
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
                           "How viewers reach the element (default: a GstRtcHttpSignaller: the "
                           "embedded WHEP server, or a WHIP client when whip-url is set); also "
                           "the child \"signaller\" (signaller::port=0)",
                           GST_TYPE_RTC_SIGNALLER,
                           GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property (
      gobject_class, PROP_N_VIEWERS,
      g_param_spec_uint ("n-viewers", "Viewers", "Number of viewer sessions now", 0, G_MAXUINT, 0,
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
  auto priv = self->priv = new GstRtcPublishPrivate (GST_ELEMENT (self));
  rtc::Publisher::Callbacks cb;
  cb.settings = [self] () {
    return publisher_settings (self);
  };
  cb.removed = [self] (const std::string &id) {
    g_signal_emit (self, signals[SIGNAL_VIEWER_REMOVED], 0, id.c_str ());
  };
  priv->publisher = std::make_unique<rtc::Publisher> (
      GST_ELEMENT (self), "webrtcpublish", *priv->core.data, priv->core.control,
      priv->core.hooks (signals[SIGNAL_VIEWER_CREATED]), std::move (cb));
}

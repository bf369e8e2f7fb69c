/* See gstrtcsubscribe.h. */
#include "gstrtcsubscribe.h"

#include <gst/rtcbridge/gstrtcsignaller.h>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gstrtcbridgeelements.h"
#include "rtccodecs.h"
#include "rtccontrolthread.h"
#include "rtcdatarouter.h"
#include "rtcelement.h"
#include "rtcsubscriber.h"
#include "rtcteardown.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_subscribe_debug);
#define GST_CAT_DEFAULT gst_rtc_subscribe_debug

using rtc::Codec;

#define DEFAULT_DECODE TRUE
#define DEFAULT_LATENCY 100
#define DEFAULT_TAKEOVER FALSE
#define DEFAULT_PUBLISHER_TIMEOUT 10000
#define DEFAULT_MAX_PUBLISHERS 1

/* The shared properties (rtc::Settings) come first. */
enum {
  PROP_DECODE = rtc::Settings::N_PROPS,
  PROP_LATENCY,
  PROP_TAKEOVER,
  PROP_PUBLISHER_TIMEOUT,
  PROP_SIGNALLER,
  PROP_CONNECTED,
  PROP_MAX_PUBLISHERS,
};

enum {
  SIGNAL_SESSION_CREATED,
  N_SIGNALS,
};
static guint signals[N_SIGNALS];

static GstStaticPadTemplate video_template =
    GST_STATIC_PAD_TEMPLATE ("video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate audio_template =
    GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);

struct GstRtcSubscribePrivate {
  explicit GstRtcSubscribePrivate (GstElement *self)
      : core (self, {"webrtcsubscribe", GST_RTC_HTTP_PROTOCOL_WHIP, "publish page"})
  {}
  rtc::ElementCore core; /* core.lock guards the settings below */
  bool decode = DEFAULT_DECODE;
  guint latency_ms = DEFAULT_LATENCY;
  bool takeover = DEFAULT_TAKEOVER;
  guint publisher_timeout_ms = DEFAULT_PUBLISHER_TIMEOUT;
  guint max_publishers = DEFAULT_MAX_PUBLISHERS;
  /* while started */
  std::vector<const Codec *> preferences;
  std::map<const Codec *, std::string> decoders; /* codec -> decoder factory */

  std::unique_ptr<rtc::Subscriber> subscriber; /* from init to finalize */
};

struct _GstRtcSubscribe {
  GstBin parent;
  GstRtcSubscribePrivate *priv;
};

#define gst_rtc_subscribe_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRtcSubscribe, gst_rtc_subscribe, GST_TYPE_BIN,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
                                                rtc::SignallerHost::child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    webrtcsubscribe, "webrtcsubscribe", GST_RANK_NONE, GST_TYPE_RTC_SUBSCRIBE,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_subscribe_debug, "webrtcsubscribe", 0, "WebRTC subscriber"));

/* What the subscriber works with, from the properties (any thread). */
static rtc::Subscriber::Settings subscriber_settings (GstRtcSubscribe *self)
{
  auto priv = self->priv;
  rtc::Subscriber::Settings s;
  std::lock_guard<std::mutex> g (priv->core.lock);
  s.output.decode = priv->decode;
  s.output.decoders = priv->decoders;
  s.preferences = priv->preferences;
  s.latency_ms = priv->latency_ms;
  s.takeover = priv->takeover;
  s.max_publishers = priv->max_publishers;
  s.stream_name = priv->core.settings.stream_name;
  priv->core.settings.fill (s.session);
  s.handshake_us = (gint64)priv->core.settings.handshake_timeout_ms * 1000;
  s.max_handshakes = priv->core.settings.max_handshakes;
  s.silence_us = (gint64)priv->publisher_timeout_ms * 1000;
  return s;
}

/* What /streams.json lists for the stream: media kinds, data channels. */
static void describe (GstRtcSubscribe *self)
{
  self->priv->core.describe ("video,audio");
}

static GstPad *gst_rtc_subscribe_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                                  const gchar *name, const GstCaps *)
{
  auto self = GST_RTC_SUBSCRIBE (element);
  if (!rtc::DataRouter::is_data_template (templ))
    return nullptr;
  GstPad *pad = self->priv->core.data->request_pad (templ, name);
  if (pad)
    describe (self);
  return pad;
}

static void gst_rtc_subscribe_release_pad (GstElement *element, GstPad *pad)
{
  auto self = GST_RTC_SUBSCRIBE (element);
  if (self->priv->core.data->release_pad (pad))
    describe (self);
}

/* ---- start / stop ------------------------------------------------------- */

static bool gst_rtc_subscribe_start (GstRtcSubscribe *self)
{
  auto priv = self->priv;
  rtc::Settings settings = priv->core.copy_settings ();
  bool decode;
  {
    std::lock_guard<std::mutex> g (priv->core.lock);
    decode = priv->decode;
  }
  std::vector<const Codec *> prefs;
  if (!priv->core.parse_preferences (prefs))
    return false;
  std::map<const Codec *, std::string> decoders;
  for (const Codec *c : prefs) {
    std::string dec = decode ? rtc::find_decoder (*c) : "";
    if (!dec.empty ())
      decoders[c] = dec;
  }
  {
    std::lock_guard<std::mutex> g (priv->core.lock);
    priv->preferences = prefs;
    priv->decoders = decoders;
  }
  priv->core.data->configure (settings.data_policy, settings.data_channels,
                              settings.max_data_channels);
  if (!priv->core.start ("rtcsubscribe-ctl", priv->subscriber->sessions (),
                         [priv] () { priv->subscriber->tick (); }))
    return false;
  describe (self);
  return true;
}

static void gst_rtc_subscribe_stop (GstRtcSubscribe *self)
{
  auto priv = self->priv;
  priv->core.stop (priv->subscriber->sessions (),
                   [priv] () { priv->subscriber->stop ("the pipeline stopped", false); });
  priv->subscriber->outputs ().stop ();
}

static GstStateChangeReturn gst_rtc_subscribe_change_state (GstElement *element,
                                                            GstStateChange transition)
{
  auto self = GST_RTC_SUBSCRIBE (element);
  auto priv = self->priv;
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !gst_rtc_subscribe_start (self)) {
    gst_rtc_subscribe_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    priv->subscriber->outputs ().hold_eos ();
  priv->core.data_transition (transition);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  /* A live source: no preroll. */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED ||
      transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    ret = GST_STATE_CHANGE_NO_PREROLL;
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    gst_rtc_subscribe_stop (self);
  return ret;
}

/* EOS from the application (gst-launch-1.0 -e, an application finishing a
 * recording): goes out of every pad, so muxers can finish their files. */
static gboolean gst_rtc_subscribe_send_event (GstElement *element, GstEvent *event)
{
  auto self = GST_RTC_SUBSCRIBE (element);
  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
  self->priv->core.data->push_eos ();
  self->priv->subscriber->outputs ().push_eos (event);
  gst_event_unref (event);
  return TRUE;
}

/* webrtcbin holds network sinks and sources, which would make this bin a
 * sink in its parent's eyes (the pipeline would wait for its EOS and its
 * preroll). To the pipeline it is a source, whatever it holds. */
static void keep_source_flags (GstRtcSubscribe *self)
{
  GST_OBJECT_LOCK (self);
  GST_OBJECT_FLAG_UNSET (self, GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
  GST_OBJECT_UNLOCK (self);
}

static gboolean gst_rtc_subscribe_add_element (GstBin *bin, GstElement *element)
{
  gboolean ok = GST_BIN_CLASS (parent_class)->add_element (bin, element);
  keep_source_flags (GST_RTC_SUBSCRIBE (bin));
  return ok;
}

static gboolean gst_rtc_subscribe_remove_element (GstBin *bin, GstElement *element)
{
  gboolean ok = GST_BIN_CLASS (parent_class)->remove_element (bin, element);
  keep_source_flags (GST_RTC_SUBSCRIBE (bin));
  return ok;
}

/* ---- properties --------------------------------------------------------- */

static void gst_rtc_subscribe_set_property (GObject *object, guint prop_id, const GValue *value,
                                            GParamSpec *pspec)
{
  auto self = GST_RTC_SUBSCRIBE (object);
  auto priv = self->priv;
  if (priv->core.set_property (prop_id, value, PROP_SIGNALLER))
    return;
  std::lock_guard<std::mutex> g (priv->core.lock);
  switch (prop_id) {
  case PROP_DECODE:
    priv->decode = g_value_get_boolean (value);
    break;
  case PROP_LATENCY:
    priv->latency_ms = g_value_get_uint (value);
    break;
  case PROP_TAKEOVER:
    priv->takeover = g_value_get_boolean (value);
    break;
  case PROP_PUBLISHER_TIMEOUT:
    priv->publisher_timeout_ms = g_value_get_uint (value);
    break;
  case PROP_MAX_PUBLISHERS:
    priv->max_publishers = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_subscribe_get_property (GObject *object, guint prop_id, GValue *value,
                                            GParamSpec *pspec)
{
  auto self = GST_RTC_SUBSCRIBE (object);
  auto priv = self->priv;
  if (priv->core.get_property (prop_id, value, PROP_SIGNALLER))
    return;
  if (prop_id == PROP_CONNECTED) {
    g_value_set_boolean (value, priv->subscriber->connected ());
    return;
  }
  std::lock_guard<std::mutex> g (priv->core.lock);
  switch (prop_id) {
  case PROP_DECODE:
    g_value_set_boolean (value, priv->decode);
    break;
  case PROP_LATENCY:
    g_value_set_uint (value, priv->latency_ms);
    break;
  case PROP_TAKEOVER:
    g_value_set_boolean (value, priv->takeover);
    break;
  case PROP_PUBLISHER_TIMEOUT:
    g_value_set_uint (value, priv->publisher_timeout_ms);
    break;
  case PROP_MAX_PUBLISHERS:
    g_value_set_uint (value, priv->max_publishers);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_subscribe_finalize (GObject *object)
{
  delete GST_RTC_SUBSCRIBE (object)->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gst_rtc_subscribe_class_init (GstRtcSubscribeClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_rtc_subscribe_set_property;
  gobject_class->get_property = gst_rtc_subscribe_get_property;
  gobject_class->finalize = gst_rtc_subscribe_finalize;
  element_class->change_state = gst_rtc_subscribe_change_state;
  element_class->send_event = gst_rtc_subscribe_send_event;
  element_class->request_new_pad = gst_rtc_subscribe_request_new_pad;
  element_class->release_pad = gst_rtc_subscribe_release_pad;
  GST_BIN_CLASS (klass)->add_element = gst_rtc_subscribe_add_element;
  GST_BIN_CLASS (klass)->remove_element = gst_rtc_subscribe_remove_element;

  rtc::Settings::install (
      gobject_class,
      {"publishers", "whep-url",
       "WHEP endpoint URL to play from (client mode: no embedded server); reconnects with "
       "back-off (NULL = receive publishers over WHIP)",
       "/whip/<name> and /publish/<name>", "publish page"});
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_DECODE,
      g_param_spec_boolean ("decode", "Decode",
                            "Output decoded raw audio/video (TRUE) or the encoded stream, parsed "
                            "(FALSE)",
                            DEFAULT_DECODE, GParamFlags (rw | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (
      gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
                         "Receive jitter buffer, ms: more absorbs network jitter and leaves time "
                         "for retransmissions, less lowers delay (webrtcbin's own default is "
                         "200). Applies to sessions that start after a change",
                         0, 10000, DEFAULT_LATENCY, GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_TAKEOVER,
      g_param_spec_boolean ("publisher-takeover", "Publisher takeover",
                            "A new publisher beyond max-publishers replaces the oldest live one "
                            "(TRUE) instead of getting HTTP 409 (FALSE)",
                            DEFAULT_TAKEOVER, GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_PUBLISHER_TIMEOUT,
      g_param_spec_uint ("publisher-timeout", "Publisher timeout",
                         "A connected publisher that sends no media or RTCP for this long is "
                         "removed, ms",
                         1000, 600000, DEFAULT_PUBLISHER_TIMEOUT,
                         GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_SIGNALLER,
      g_param_spec_object ("signaller", "Signaller",
                           "How publishers reach the element (default: a GstRtcHttpSignaller: the "
                           "embedded WHIP server, or a WHEP client when whep-url is set); also "
                           "the child \"signaller\" (signaller::whep-url=...)",
                           GST_TYPE_RTC_SIGNALLER, rw));
  g_object_class_install_property (
      gobject_class, PROP_CONNECTED,
      g_param_spec_boolean ("connected", "Connected",
                            "Whether a publisher (or the WHEP server) is connected now", FALSE,
                            ro));
  g_object_class_install_property (
      gobject_class, PROP_MAX_PUBLISHERS,
      g_param_spec_uint ("max-publishers", "Max publishers",
                         "Publishers at once, each with its own pads (video_N, audio_N); one "
                         "more is refused (HTTP 409) or, with publisher-takeover, replaces the "
                         "oldest (0 = no limit: e.g. every feed of a Janus room)",
                         0, G_MAXUINT, DEFAULT_MAX_PUBLISHERS,
                         GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING)));

  /**
   * GstRtcSubscribe::session-created:
   * @self: the element
   * @session_id: the session id
   * @webrtcbin: the session's webrtcbin, not yet negotiated
   *
   * Emitted on the element's control thread when a publisher's (or the WHEP
   * client's) session is made: the application may customise @webrtcbin.
   */
  signals[SIGNAL_SESSION_CREATED] =
      g_signal_new ("session-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                    nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, GST_TYPE_ELEMENT);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  rtc::DataRouter::install (element_class);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC subscriber", "Source/Network/WebRTC",
      "Receives audio and video from WebRTC publishers (WHIP server) or a WHEP server",
      "gst-rtcbridge developers");
  gst_type_mark_as_plugin_api (GST_TYPE_RTC_SIGNALLER, (GstPluginAPIFlags)0);
}

static void gst_rtc_subscribe_init (GstRtcSubscribe *self)
{
  auto priv = self->priv = new GstRtcSubscribePrivate (GST_ELEMENT (self));
  priv->subscriber = std::make_unique<rtc::Subscriber> (
      GST_ELEMENT (self), "webrtcsubscribe", *priv->core.data, priv->core.control,
      priv->core.hooks (signals[SIGNAL_SESSION_CREATED]),
      [self] () { return subscriber_settings (self); });
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

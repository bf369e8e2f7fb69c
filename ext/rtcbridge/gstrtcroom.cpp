/**
 * SECTION:element-webrtcroom
 * @title: webrtcroom
 *
 * Hosts a room: browsers join at /room/<room-name> (a video conference) or
 * /board/<room-name> (a shared board) on the embedded server. Each
 * participant has one peer connection with the room and receives every
 * other participant's tracks, forwarded without decoding, and the
 * pipeline's own tracks (its video_%u / audio_%u sink pads, encoded once).
 * Each participant's tracks are src pads of the element,
 * participant_<id>_video_<n> and participant_<id>_audio_<n>, decoded or
 * parsed, added and removed as participants come and go.
 *
 * The room's data channels are room-wide (docs/room-protocol.md, "Room
 * data channels"): `board` (logged: a late joiner gets the whole log
 * first), `files` and the labels of the data-channels property, opened by
 * the room on every participant's session and relayed by it: a text
 * message (a JSON object) reaches every other participant as {"seq",
 * "from", "name", "msg"}, binary unchanged. The pipeline takes part: what
 * it sends on data_send_<label> (or with send-string/send-data to every
 * session) comes "from": "pipeline", and data_recv_<label> and the
 * string-received/data-received signals get everything relayed on the
 * label, wrapped the same way (the signals are emitted on the room's data
 * thread). send-string/send-data to one session go to that participant
 * alone, unwrapped. Other labels (a data pad's label alone) are plain
 * channels between the pipeline and each participant, as on
 * webrtcpublish.
 *
 * With room-url set the element is a participant of a room hosted
 * elsewhere (docs/room-client.md): it joins that room over the room
 * protocol's WebSocket (its default signaller then runs a
 * GstRtcRoomClientSignaller: signaller::display-name, join-timeout...),
 * publishes its sink pads there and exposes the room's tracks as
 * participant_<owner>_... src pads, <owner> being the host's id of each
 * participant ("pipeline" for the host pipeline's own tracks). Its
 * channels are plain channels to that room (which does the relaying); it
 * relays nothing itself.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 webrtcroom name=room room-name=team videotestsrc is-live=true ! room.
 * ]| then open http://127.0.0.1:8080/room/team in two browsers
 * |[
 * gst-launch-1.0 -e webrtcroom room-url=ws://127.0.0.1:8080/room/team record-location="rec/%s.mkv"
 * ]| joins that room from another pipeline and records every participant
 *
 * Since: 0.2
 */
#include "gstrtcroom.h"

#include <json-glib/json-glib.h>

#include <gst/rtcbridge/gstrtcsignaller.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <atomic>
#include <string>
#include <vector>

#include "gstrtcbridgeelements.h"
#include "gstrtcroomdefaultsignaller.h"
#include "gstrtcroomprivate.h"
#include "rtccodecs.h"
#include "rtcelement.h"
#include "rtcroom.h"
#include "rtcsettings.h"
#include "rtcroomdata.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_room_debug);
#define GST_CAT_DEFAULT gst_rtc_room_debug

using rtc::Codec;

enum {
  SIGNAL_PARTICIPANT_CREATED,
  N_SIGNALS,
};
static guint signals[N_SIGNALS];

#define VIDEO_CAPS "video/x-raw; video/x-h264; video/x-vp8; video/x-vp9"
#define AUDIO_CAPS "audio/x-raw; audio/x-opus"

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (VIDEO_CAPS));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (AUDIO_CAPS));
static GstStaticPadTemplate participant_video_template = GST_STATIC_PAD_TEMPLATE (
    "participant_%s_video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate participant_audio_template = GST_STATIC_PAD_TEMPLATE (
    "participant_%s_audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);
/* audio-mode=mix: everyone's audio, mixed (raw). */
static GstStaticPadTemplate mix_template = GST_STATIC_PAD_TEMPLATE (
    "mix", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS ("audio/x-raw,format=S16LE,rate=48000,channels=2,layout=interleaved"));

/* Hosts the room on the embedded server, or joins the one at room-url. */
static GstRtcSignaller *make_room_signaller ()
{
  return gst_rtc_room_default_signaller_new ();
}

GstRtcRoomPrivate::GstRtcRoomPrivate (GstElement *self)
    : core (self, {"webrtcroom", GST_RTC_HTTP_PROTOCOL_WHEP, "conference page", make_room_signaller,
                   "room-name", "room-url"})
{}

#define gst_rtc_room_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRtcRoom, gst_rtc_room, GST_TYPE_BIN,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
                                                rtc::SignallerHost::child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (webrtcroom, "webrtcroom", GST_RANK_NONE, GST_TYPE_RTC_ROOM,
                                       GST_DEBUG_CATEGORY_INIT (gst_rtc_room_debug, "webrtcroom", 0,
                                                                "WebRTC room"));

/* What the room works with, from the properties (any thread). */
static rtc::Room::Settings room_settings (GstRtcRoom *self)
{
  auto priv = self->priv;
  rtc::Room::Settings s;
  std::lock_guard<std::mutex> g (priv->core.lock);
  s.preferences = priv->preferences;
  s.decode = priv->decode;
  s.decoders = priv->decoders;
  s.encoding.encoders = priv->encoders;
  s.encoding.video_bitrate = priv->video_bitrate;
  s.encoding.audio_bitrate = priv->audio_bitrate;
  s.encoding.keyframe_interval_ms = priv->keyframe_interval_ms;
  s.encoding.congestion_control = false;
  s.max_participants = priv->max_participants;
  s.client = !priv->core.settings.remote_url.empty ();
  s.record_location = priv->record_location;
  s.layers.enabled = priv->congestion_control != GST_RTC_CONGESTION_CONTROL_NONE;
  s.layers.low_bitrate = priv->low_layer_bitrate;
  s.layers.low_width = (gint)priv->low_layer_width;
  s.layers.max_cpu_pressure = priv->low_layer_max_cpu_pressure;
  s.layers.max = priv->max_bitrate;
  s.layers.start = std::min (s.layers.start, priv->max_bitrate);
  s.layers.min = std::min (s.layers.min, priv->max_bitrate);
  s.layers.audio = priv->audio_bitrate;
  s.audio_mix = priv->audio_mode == GST_RTC_ROOM_AUDIO_MODE_MIX;
  s.noise_suppression = (gint)priv->noise_suppression;
  s.mix_frame_ms = priv->mix_frame_ms;
  priv->core.settings.fill (s.session);
  s.handshake_us = (gint64)priv->core.settings.handshake_timeout_ms * 1000;
  s.max_handshakes = priv->core.settings.max_handshakes;
  s.silence_us = (gint64)priv->participant_timeout_ms * 1000;
  return s;
}

/* The room's data channels: board (logged), files, then the labels of
 * data-channels; a data_send_/data_recv_ pad of the same label gives its
 * options. */
static std::vector<rtc::RoomData::Channel> room_channels (GstRtcRoom *self,
                                                          const rtc::Settings &settings)
{
  std::vector<rtc::RoomData::Channel> channels = rtc::RoomData::default_channels ();
  g_auto (GStrv) labels = g_strsplit (settings.data_channels.c_str (), ",", -1);
  for (guint i = 0; labels[i]; i++) {
    rtc::RoomData::Channel c;
    c.options.label = g_strstrip (labels[i]);
    if (!c.options.label.empty ())
      channels.push_back (c);
  }
  for (auto &o : self->priv->core.data->wanted ())
    for (auto &c : channels)
      if (c.options.label == o.label)
        c.options = o;
  return channels;
}

static bool is_host (const rtc::Settings &settings)
{
  return settings.remote_url.empty ();
}

/* What the signaller lists: the media, and the data channels (a host's
 * room channels with their "log" flag: welcome.data). */
static void describe (GstRtcRoom *self)
{
  auto priv = self->priv;
  std::string media = priv->room->inputs ().kinds ();
  rtc::Settings settings = priv->core.copy_settings ();
  if (is_host (settings))
    priv->core.describe (media, rtc::RoomData::describe (room_channels (self, settings)));
  else
    priv->core.describe (media);
}

/**
 * gst_rtc_room_get_data_channels:
 * @room: a webrtcroom
 *
 * The room's data channels as the room protocol's `welcome.data` lists
 * them: a JSON array of {label, ordered, maxRetransmits?,
 * maxPacketLifeTime?, protocol?, log}, e.g.
 * `[{"label":"board","ordered":true,"log":true},{"label":"files","ordered":true,"log":false}]`.
 * The element also gives it to its signaller's "data-channels" property,
 * when it has one, whenever it changes. Any thread.
 *
 * Returns: (transfer full): the JSON text; "[]" for a participant of a room
 * hosted elsewhere (room-url).
 */
gchar *gst_rtc_room_get_data_channels (GstRtcRoom *room)
{
  g_return_val_if_fail (GST_IS_RTC_ROOM (room), nullptr);
  rtc::Settings settings = room->priv->core.copy_settings ();
  if (!is_host (settings))
    return g_strdup ("[]");
  return g_strdup (rtc::RoomData::describe (room_channels (room, settings)).c_str ());
}

/* The signaller announces the pipeline's tracks in the rosters (when it is
 * one that does: the room protocol's). */
static void announce_pipeline_tracks (GstRtcRoom *self,
                                      const std::vector<rtc::Room::PublicTrack> &tracks)
{
  GstRtcSignaller *signaller = self->priv->core.host.ref ();
  if (!signaller)
    return;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (signaller), "pipeline-tracks")) {
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_array (b);
    for (auto &t : tracks) {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, t.id.c_str ());
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, t.kind.c_str ());
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, t.label.c_str ());
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    JsonNode *root = json_builder_get_root (b);
    gchar *text = json_to_string (root, FALSE);
    g_object_set (signaller, "pipeline-tracks", text, nullptr);
    g_free (text);
    json_node_unref (root);
    g_object_unref (b);
  }
  gst_object_unref (signaller);
}

/* ---- pads --------------------------------------------------------------- */

static GstPad *gst_rtc_room_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                             const gchar *name, const GstCaps *)
{
  auto self = GST_RTC_ROOM (element);
  auto priv = self->priv;
  GstPad *pad = rtc::DataRouter::is_data_template (templ)
                    ? priv->core.data->request_pad (templ, name)
                    : priv->room->inputs ().add (templ, name,
                                                 g_str_has_prefix (templ->name_template, "video")
                                                     ? VIDEO_CAPS
                                                     : AUDIO_CAPS);
  if (pad)
    describe (self);
  return pad;
}

static void gst_rtc_room_release_pad (GstElement *element, GstPad *pad)
{
  auto self = GST_RTC_ROOM (element);
  auto priv = self->priv;
  if (priv->core.data->release_pad (pad))
    return;
  const rtc::Input *input = priv->room->inputs ().find (pad);
  if (!input)
    return;
  priv->core.control.post_sync ([priv, input] () { priv->room->drop_input (input); });
  priv->room->inputs ().remove (pad);
  describe (self);
}

/* ---- start / stop ------------------------------------------------------- */

static void on_audio_volume (GstRtcSignaller *, const gchar *listener, const gchar *participant,
                             gdouble volume, gpointer data);

/* Participants' own volumes reach the room through its signaller, when it
 * is one that says them. */
static void listen_for_volumes (GstRtcRoom *self)
{
  auto priv = self->priv;
  GstRtcSignaller *signaller = priv->core.host.ref ();
  if (!signaller)
    return;
  if (!g_signal_lookup ("audio-volume", G_OBJECT_TYPE (signaller))) {
    gst_object_unref (signaller);
    return;
  }
  priv->volume_signaller = signaller;
  priv->volume_handler =
      g_signal_connect (signaller, "audio-volume", G_CALLBACK (on_audio_volume), priv);
}

static bool gst_rtc_room_start (GstRtcRoom *self)
{
  auto priv = self->priv;
  rtc::Settings settings = priv->core.copy_settings ();
  std::vector<const Codec *> prefs;
  if (!priv->core.parse_preferences (prefs))
    return false;
  std::map<const Codec *, std::string> encoders, decoders;
  for (const Codec *c : prefs) {
    std::string enc = rtc::find_encoder (*c), dec = rtc::find_decoder (*c);
    if (!enc.empty ())
      encoders[c] = enc;
    if (!dec.empty ())
      decoders[c] = dec;
  }
  {
    std::lock_guard<std::mutex> g (priv->core.lock);
    priv->preferences = prefs;
    priv->encoders = encoders;
    priv->decoders = decoders;
  }
  if (is_host (settings)) {
    /* The room opens its channels on every session and relays them. */
    std::vector<rtc::RoomData::Channel> channels = room_channels (self, settings);
    std::string labels;
    for (auto &c : channels)
      labels += (labels.empty () ? "" : ",") + c.options.label;
    priv->core.data->configure (settings.data_policy, labels, settings.max_data_channels);
    priv->room_data->configure (channels);
    priv->core.data->set_relay (priv->room_data->relay ());
    priv->room_data->start ();
  } else {
    priv->core.data->configure (settings.data_policy, settings.data_channels,
                                settings.max_data_channels);
    /* A participant takes the channels its room opens. */
    std::vector<std::string> room_labels;
    for (auto &c : room_channels (self, settings))
      room_labels.push_back (c.options.label);
    priv->core.data->also_accept (room_labels);
    priv->core.data->set_relay (rtc::DataRouter::Relay ());
  }
  listen_for_volumes (self);
  if (!priv->core.start ("rtcroom-ctl", priv->room->sessions (),
                         [priv] () { priv->room->tick (); }))
    return false;
  describe (self);
  return true;
}

static void gst_rtc_room_stop (GstRtcRoom *self)
{
  auto priv = self->priv;
  if (priv->volume_signaller) {
    g_signal_handler_disconnect (priv->volume_signaller, priv->volume_handler);
    gst_clear_object (&priv->volume_signaller);
  }
  priv->core.stop (priv->room->sessions (),
                   [priv] () { priv->room->stop ("the room stopped", false); });
  priv->room_data->stop ();
}

/* Whether the top-level pipeline @element is in is going to READY or NULL. */
static bool pipeline_stopping (GstElement *element)
{
  for (GstObject *o = GST_OBJECT (element); o; o = GST_OBJECT_PARENT (o))
    if (GST_IS_ELEMENT (o) && GST_STATE_TARGET (GST_ELEMENT (o)) <= GST_STATE_READY)
      return true;
  return false;
}

static void end_participants (GstRtcRoomPrivate *priv)
{
  priv->core.control.post_sync ([priv] () { priv->room->stop ("the room stopped", true); });
}

/* A participant of a room hosted elsewhere is in that room while it is
 * PAUSED or PLAYING. It leaves before its session ends (the end of a
 * session its signaller did not end reads as a failure, which the
 * signaller answers by joining again), and joins again from READY to
 * PAUSED. */
static void leave_remote_room (GstRtcRoomPrivate *priv)
{
  if (!is_host (priv->core.copy_settings ()))
    priv->core.host.stop ();
}

static bool join_remote_room (GstRtcRoom *self)
{
  auto priv = self->priv;
  rtc::Settings settings = priv->core.copy_settings ();
  if (is_host (settings) || priv->core.host.started ())
    return true;
  return priv->core.host.start (GST_ELEMENT (self), settings, &priv->core.control,
                                priv->room->sessions ());
}

static GstStateChangeReturn gst_rtc_room_change_state (GstElement *element,
                                                       GstStateChange transition)
{
  auto self = GST_RTC_ROOM (element);
  auto priv = self->priv;
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !gst_rtc_room_start (self)) {
    gst_rtc_room_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !join_remote_room (self))
    return GST_STATE_CHANGE_FAILURE;
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    priv->room->inputs ().reset_eos ();
    priv->eos_requested = false;
    priv->eos_posted = false;
  }
  priv->core.data_transition (transition);
  /* Stopping (the pipeline, not only this element, is going to READY or
   * NULL: a bin sets its children one step at a time): the recordings'
   * files are finished while their elements still run. */
  if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED && pipeline_stopping (element))
    priv->room->finish_recordings (5000);
  /* The participants go before the bin's own PAUSED->READY: their
   * forwarding links the sessions' webrtcbins in loops, so GstBin cannot
   * order its children, and a PAUSED webrtcbin's sink blocks the streaming
   * threads whose stream locks deactivating a payloader waits for
   * (gst-launch-1.0 hung on stop). Not at PLAYING->PAUSED: the sinks
   * downstream of the room are PAUSED already then, and removing a pad
   * waits for a push blocked in their preroll. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    leave_remote_room (priv);
    end_participants (priv);
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  /* Participants come and go: like a live source, no preroll. */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED ||
      transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    ret = GST_STATE_CHANGE_NO_PREROLL;
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    gst_rtc_room_stop (self);
  return ret;
}

/* EOS sent to the element (gst-launch-1.0 -e) ends the room: once its
 * inputs ended too, the recordings' files are finished and the element
 * posts EOS (a bin of sources only, it is the one to say so). Inputs that
 * end on their own (a file played to its end) do not end the room. */
static void finish_if_ended (GstRtcRoom *self)
{
  auto priv = self->priv;
  if (!priv->eos_requested || !priv->room->inputs ().all_ended () ||
      priv->eos_posted.exchange (true))
    return;
  GST_INFO_OBJECT (self, "end of stream: finishing the recordings");
  gst_object_ref (self);
  std::thread ([self] () {
    self->priv->room->finish_recordings (5000);
    gst_element_post_message (GST_ELEMENT (self), gst_message_new_eos (GST_OBJECT (self)));
    gst_object_unref (self);
  }).detach ();
}

/* The room's inputs end; its participants' pads end on EOS sent to the
 * element (gst-launch-1.0 -e), so recordings finish their files. */
static gboolean gst_rtc_room_send_event (GstElement *element, GstEvent *event)
{
  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
  auto self = GST_RTC_ROOM (element);
  self->priv->eos_requested = true;
  self->priv->core.data->push_eos ();
  GstIterator *it = gst_element_iterate_src_pads (element);
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    gst_pad_push_event (GST_PAD (g_value_get_object (&v)), gst_event_ref (event));
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  gst_event_unref (event);
  finish_if_ended (self);
  return TRUE;
}

/* To the pipeline the element is both: a source (EOS sent to the pipeline
 * reaches it: send_event) and a sink (the pipeline's EOS waits for the one
 * it posts once its recordings are finished: a pipeline with no sink never
 * ends). */
static void keep_source_flags (GstRtcRoom *self)
{
  GST_OBJECT_LOCK (self);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
  GST_OBJECT_UNLOCK (self);
}

static gboolean gst_rtc_room_add_element (GstBin *bin, GstElement *element)
{
  gboolean ok = GST_BIN_CLASS (parent_class)->add_element (bin, element);
  keep_source_flags (GST_RTC_ROOM (bin));
  return ok;
}

static gboolean gst_rtc_room_remove_element (GstBin *bin, GstElement *element)
{
  gboolean ok = GST_BIN_CLASS (parent_class)->remove_element (bin, element);
  keep_source_flags (GST_RTC_ROOM (bin));
  return ok;
}

/* EOS from the inputs' clock sinks is not the room's end. */
static void gst_rtc_room_handle_message (GstBin *bin, GstMessage *message)
{
  auto self = GST_RTC_ROOM (bin);
  if (self->priv->room->absorb_session_error (message)) {
    gst_message_unref (message);
    return;
  }
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS &&
      self->priv->room->inputs ().mark_eos (GST_MESSAGE_SRC (message))) {
    gst_message_unref (message);
    finish_if_ended (self);
    return;
  }
  GST_BIN_CLASS (parent_class)->handle_message (bin, message);
}

static void gst_rtc_room_finalize (GObject *object)
{
  auto priv = GST_RTC_ROOM (object)->priv;
  priv->core.data->set_relay (rtc::DataRouter::Relay ());
  delete priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void set_volume_later (GstRtcRoomPrivate *priv, const std::string &listener,
                              const std::string &participant, double volume)
{
  priv->core.control.post ([priv, listener, participant, volume] () {
    priv->room->set_volume (listener, participant, volume);
  });
}

/* A participant set its volume of another on its page (the room
 * protocol's "volume", the room signaller's "audio-volume"). Server thread. */
static void on_audio_volume (GstRtcSignaller *, const gchar *listener, const gchar *participant,
                             gdouble volume, gpointer data)
{
  if (listener && participant)
    set_volume_later (static_cast<GstRtcRoomPrivate *> (data), listener, participant, volume);
}

static void gst_rtc_room_class_init (GstRtcRoomClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_rtc_room_set_property;
  gobject_class->get_property = gst_rtc_room_get_property;
  gobject_class->finalize = gst_rtc_room_finalize;
  element_class->request_new_pad = gst_rtc_room_request_new_pad;
  element_class->release_pad = gst_rtc_room_release_pad;
  element_class->change_state = gst_rtc_room_change_state;
  element_class->send_event = gst_rtc_room_send_event;
  GST_BIN_CLASS (klass)->add_element = gst_rtc_room_add_element;
  GST_BIN_CLASS (klass)->remove_element = gst_rtc_room_remove_element;
  GST_BIN_CLASS (klass)->handle_message = gst_rtc_room_handle_message;

  gst_rtc_room_install_properties (gobject_class);

  /**
   * GstRtcRoom::participant-created:
   * @self: the element
   * @participant_id: the participant's id
   * @webrtcbin: its webrtcbin, not yet negotiated
   *
   * Emitted on the element's control thread when a participant's session
   * is made: the application may customise @webrtcbin.
   */
  signals[SIGNAL_PARTICIPANT_CREATED] =
      g_signal_new ("participant-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                    nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, GST_TYPE_ELEMENT);

  /**
   * GstRtcRoom::set-audio-muted:
   * @self: the element
   * @participant_id: a participant's id, or "pipeline" (the audio_%u pads)
   * @muted: silence it in every mix, or let it be heard again
   *
   * audio-mode=mix, while the element runs: the host mutes a participant
   * for everyone (it still sends; the room no longer mixes it in, and it
   * no longer counts as speaking). Any thread; takes effect on the control
   * thread, which posts "webrtcroom-audio-muted" (participant, muted). A
   * participant muted before it publishes audio is muted from its first
   * packet.
   */
  g_signal_new_class_handler ("set-audio-muted", G_TYPE_FROM_CLASS (klass),
                              GSignalFlags (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                              G_CALLBACK (+[] (GstRtcRoom *self, const gchar *id, gboolean muted) {
                                if (!id)
                                  return;
                                std::string participant = id;
                                auto priv = self->priv;
                                priv->core.control.post ([priv, participant, muted] () {
                                  priv->room->set_audio_muted (participant, muted);
                                });
                              }),
                              nullptr, nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING,
                              G_TYPE_BOOLEAN);

  /**
   * GstRtcRoom::set-audio-volume:
   * @self: the element
   * @listener_id: the participant whose mix it is
   * @participant_id: whom it hears at @volume: another participant, or
   *   "pipeline" (the audio_%u pads)
   * @volume: 1.0 as sent (default), 0.0 silent, at most 2.0
   *
   * audio-mode=mix, while the element runs: per-listener volume, as a
   * participant sets it on its page (the room protocol's "volume"). A
   * listener with its own volumes hears a mix of its own (one more
   * encoder when it publishes no audio). Any thread; takes effect on the
   * control thread, which posts "webrtcroom-volume" (listener,
   * participant, volume). The volumes go when the listener leaves.
   */
  g_signal_new_class_handler (
      "set-audio-volume", G_TYPE_FROM_CLASS (klass),
      GSignalFlags (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (+[] (GstRtcRoom *self, const gchar *listener, const gchar *id, gdouble volume) {
        if (listener && id)
          set_volume_later (self->priv, listener, id, volume);
      }),
      nullptr, nullptr, nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_DOUBLE);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_add_static_pad_template (element_class, &participant_video_template);
  gst_element_class_add_static_pad_template (element_class, &participant_audio_template);
  gst_element_class_add_static_pad_template (element_class, &mix_template);
  rtc::DataRouter::install (element_class);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC room", "Source/Sink/Network/WebRTC",
      "Hosts a multi-party WebRTC room: every participant receives every other's media, "
      "forwarded without decoding; participants' tracks are src pads, the pipeline's sink pads "
      "are published into the room",
      "gst-rtcbridge developers");
  gst_type_mark_as_plugin_api (GST_TYPE_RTC_SIGNALLER, (GstPluginAPIFlags)0);
}

/* Calls @emit with the room's signaller when it has action @signal (the
 * room protocol's does; others need not). */
static void with_signal (GstRtcRoom *self, const char *signal,
                         const std::function<void (GstRtcSignaller *)> &emit)
{
  GstRtcSignaller *signaller = self->priv->core.host.ref ();
  if (!signaller)
    return;
  if (g_signal_lookup (signal, G_OBJECT_TYPE (signaller)))
    emit (signaller);
  gst_object_unref (signaller);
}

static void gst_rtc_room_init (GstRtcRoom *self)
{
  auto priv = self->priv = new GstRtcRoomPrivate (GST_ELEMENT (self));
  {
    std::lock_guard<std::mutex> g (priv->core.lock);
    priv->core.settings.stream_name = "room";
  }
  priv->room = std::make_unique<rtc::Room> (GST_ELEMENT (self), "webrtcroom", *priv->core.data,
                                            priv->core.control,
                                            priv->core.hooks (signals[SIGNAL_PARTICIPANT_CREATED]),
                                            [self] () { return room_settings (self); });
  /* Speaking (audio-mode=mix) goes to the participants through the
   * signaller, when it is one that tells them (the room protocol's). */
  priv->room->on_speaking = [self] (const std::string &id, bool speaking, double level,
                                    bool active) {
    with_signal (self, "send-speaking", [&] (GstRtcSignaller *signaller) {
      g_signal_emit_by_name (signaller, "send-speaking", id.c_str (), (gboolean)speaking,
                             (gint)level, (gboolean)active);
    });
  };
  priv->room->on_audio_muted = [self] (const std::string &id, bool muted) {
    with_signal (self, "send-audio-muted", [&] (GstRtcSignaller *signaller) {
      g_signal_emit_by_name (signaller, "send-audio-muted", id.c_str (), (gboolean)muted);
    });
  };
  priv->room->on_levels = [self] (const std::vector<std::pair<std::string, gint>> &levels) {
    with_signal (self, "send-levels", [&] (GstRtcSignaller *signaller) {
      GstStructure *s = gst_structure_new_empty ("levels");
      for (auto &kv : levels)
        gst_structure_set (s, kv.first.c_str (), G_TYPE_INT, kv.second, nullptr);
      g_signal_emit_by_name (signaller, "send-levels", s);
      gst_structure_free (s);
    });
  };
  priv->room->on_pipeline_tracks = [self] (const std::vector<rtc::Room::PublicTrack> &tracks) {
    announce_pipeline_tracks (self, tracks);
  };
  priv->data_transport = std::make_unique<rtc::RouterTransport> (*priv->core.data);
  priv->room_data = std::make_unique<rtc::RoomData> (GST_ELEMENT (self), *priv->data_transport);
  rtc::RoomData *data = priv->room_data.get ();
  rtc::Room::Members members;
  members.joined = [data] (const std::string &id, const std::string &name) {
    data->set_name (id, name);
  };
  members.left = [data] (const std::string &id) {
    data->forget (id);
  };
  priv->room->set_members (members);
  keep_source_flags (self);
}

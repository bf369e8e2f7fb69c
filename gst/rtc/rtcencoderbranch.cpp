/* See rtcencoderbranch.h. */
#include "rtcencoderbranch.h"

#include "rtcteardown.h"
#include "rtctee.h"

#include <gst/video/video.h>

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC (rtc_encoder_branch_debug);
#define GST_CAT_DEFAULT rtc_encoder_branch_debug

namespace rtc {

/* How much raw audio may wait for its encoder before the oldest is dropped. */
static constexpr GstClockTime AUDIO_BACKLOG = 300 * GST_MSECOND;

static GstElement *make (const char *factory, std::string &error)
{
  GstElement *e = gst_element_factory_make (factory, nullptr);
  if (!e && error.empty ())
    error = std::string ("element '") + factory + "' is missing";
  return e;
}

std::unique_ptr<EncoderBranch> EncoderBranch::create (GstBin *bin, GstElement *input_tee,
                                                      const Codec &codec, const InputFormat &input,
                                                      const Config &config, std::string &error)
{
  static gsize debug_done = 0;
  if (g_once_init_enter (&debug_done)) {
    GST_DEBUG_CATEGORY_INIT (rtc_encoder_branch_debug, "rtcencoderbranch", 0,
                             "Shared encoding branch");
    g_once_init_leave (&debug_done, 1);
  }

  std::unique_ptr<EncoderBranch> self (new EncoderBranch ());
  self->codec_ = &codec;
  self->bin_ = bin;
  self->input_tee_ = input_tee;
  self->min_interval_ = config.min_keyframe_interval;

  std::vector<GstElement *> chain;
  GstElement *queue = make ("queue", error);
  chain.push_back (queue);
  if (queue && input.raw && codec.kind == MediaKind::VIDEO) {
    /* Raw frames: never let a slow encoder stall the input; drop old frames. */
    set_leaky (queue, 0, 3);
  } else if (queue && input.raw) {
    /* Raw audio: an encoder held up for a moment (a starved CPU, a
     * participant's session being set up beside it) catches up at once, so
     * keep what came meanwhile rather than cut holes in what everyone
     * hears; drop the oldest only past AUDIO_BACKLOG. Three buffers (60 ms
     * of a room's 20 ms mix) made 40-80 ms holes in a talker's mix when a
     * participant joined on a loaded host. */
    set_leaky (queue, AUDIO_BACKLOG);
  } else if (queue) {
    g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                  (guint64)GST_SECOND, nullptr);
  }
  self->scale_ = std::max (1u, config.scale);
  self->bitrate_ = config.bitrate_bps;
  if (input.raw) {
    bool video = codec.kind == MediaKind::VIDEO;
    bool scaled = video && self->scale_ > 1 && config.width > 0 && config.height > 0;
    if (scaled)
      chain.push_back (make ("videoscale", error));
    chain.push_back (make (video ? "videoconvert" : "audioconvert", error));
    if (!video)
      chain.push_back (make ("audioresample", error));
    GstElement *rawfilter = make ("capsfilter", error);
    if (rawfilter) {
      CapsPtr caps (
          gst_caps_from_string (video ? "video/x-raw,format=I420" : "audio/x-raw,rate=48000"));
      if (scaled) {
        /* Even sizes: every encoder takes them. */
        gint w = std::max (16, config.width / (gint)self->scale_) & ~1;
        gint h = std::max (16, config.height / (gint)self->scale_) & ~1;
        gst_caps_set_simple (caps.get (), "width", G_TYPE_INT, w, "height", G_TYPE_INT, h, nullptr);
      }
      g_object_set (rawfilter, "caps", caps.get (), nullptr);
    }
    chain.push_back (rawfilter);
    self->encoder_ = config.encoder_factory.empty ()
                         ? nullptr
                         : gst_element_factory_make (config.encoder_factory.c_str (), nullptr);
    if (!self->encoder_ && error.empty ())
      error = std::string ("no encoder for ") + codec.name;
    if (self->encoder_)
      configure_encoder (self->encoder_, config.bitrate_bps, config.keyframe_interval_frames);
    if (self->encoder_)
      for (auto &kv : config.encoder_properties)
        if (g_object_class_find_property (G_OBJECT_GET_CLASS (self->encoder_), kv.first.c_str ()))
          gst_util_set_object_arg (G_OBJECT (self->encoder_), kv.first.c_str (),
                                   kv.second.c_str ());
    chain.push_back (self->encoder_);
  }
  if (codec.parser) {
    GstElement *parser = make (codec.parser, error);
    if (parser && g_object_class_find_property (G_OBJECT_GET_CLASS (parser), "config-interval"))
      g_object_set (parser, "config-interval", -1, nullptr); /* SPS/PPS with every IDR */
    chain.push_back (own_buffers (parser)); /* the input's tee feeds other branches too */
  }
  self->out_filter_ = make ("capsfilter", error);
  if (self->out_filter_) {
    CapsPtr caps (
        gst_caps_from_string (codec.parsed_caps ? codec.parsed_caps : codec.encoded_caps));
    if (input.raw && g_str_equal (codec.name, "H264"))
      gst_caps_set_simple (caps.get (), "profile", G_TYPE_STRING, "constrained-baseline", nullptr);
    g_object_set (self->out_filter_, "caps", caps.get (), nullptr);
  }
  chain.push_back (self->out_filter_);
  self->tee_ = make ("tee", error);
  if (self->tee_)
    g_object_set (self->tee_, "allow-not-linked", TRUE, nullptr);
  chain.push_back (self->tee_);

  for (GstElement *e : chain) {
    if (!e) {
      for (GstElement *o : chain)
        if (o)
          gst_object_unref (gst_object_ref_sink (o));
      return nullptr;
    }
  }
  for (GstElement *e : chain) {
    gst_bin_add (bin, e);
    self->elements_.push_back (e);
  }
  for (size_t i = 0; i + 1 < chain.size (); i++) {
    if (!gst_element_link (chain[i], chain[i + 1])) {
      error = std::string ("could not link ") + GST_ELEMENT_NAME (chain[i]) + " to " +
              GST_ELEMENT_NAME (chain[i + 1]);
      return nullptr; /* the destructor removes what was added */
    }
  }

  ObjectPtr<GstPad> tee_sink (gst_element_get_static_pad (self->tee_, "sink"));
  gst_pad_add_probe (tee_sink.get (), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, upstream_probe,
                     self.get (), nullptr);
  gst_pad_add_probe (tee_sink.get (), GST_PAD_PROBE_TYPE_BUFFER, buffer_probe, self.get (),
                     nullptr);
  if (self->encoder_ && codec.kind == MediaKind::VIDEO) {
    ObjectPtr<GstPad> enc_sink (gst_element_get_static_pad (self->encoder_, "sink"));
    gst_pad_add_probe (enc_sink.get (), GST_PAD_PROBE_TYPE_BUFFER, rate_probe, self.get (),
                       nullptr);
  }

  /* Start downstream first so that nothing flows into a stopped element. */
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);

  ObjectPtr<GstPad> queue_sink (gst_element_get_static_pad (queue, "sink"));
  bool linked = false;
  self->input_pad_ = link_tee_branch (input_tee, queue_sink.get (), &linked);
  if (!linked) {
    error = "could not link the input to the encoder branch";
    return nullptr;
  }
  GST_INFO_OBJECT (bin, "created %s branch (%s, 1/%u)", codec.name,
                   self->encoder_ ? GST_OBJECT_NAME (self->encoder_) : "passthrough", self->scale_);
  return self;
}

EncoderBranch::~EncoderBranch ()
{
  if (input_pad_) {
    /* Releasing the tee pad waits for a push in progress on it; the branch
     * starts with a queue, so that wait is short. */
    gst_element_release_request_pad (input_tee_, input_pad_);
    gst_object_unref (input_pad_);
  }
  /* Stopped off this thread (see rtcteardown.h). */
  dispose_elements (bin_, elements_);
}

GstPad *EncoderBranch::link_output (GstPad *sink, bool *linked)
{
  return link_tee_branch (tee_, sink, linked);
}

void EncoderBranch::release_output (GstPad *pad)
{
  gst_element_release_request_pad (tee_, pad);
  gst_object_unref (pad);
}

void EncoderBranch::set_bitrate (guint bitrate_bps)
{
  if (!encoder_ || bitrate_bps == bitrate_)
    return;
  bitrate_ = bitrate_bps;
  set_encoder_bitrate (encoder_, bitrate_bps);
}

/* Frame rate reduction at low rates: frames closer than 1/max_fps to the
 * last one encoded are dropped before the encoder (no added latency). */
GstPadProbeReturn EncoderBranch::rate_probe (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto self = static_cast<EncoderBranch *> (data);
  guint fps = self->max_fps_.load ();
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  if (fps == 0 || !GST_CLOCK_TIME_IS_VALID (pts)) {
    self->last_pts_ = pts;
    return GST_PAD_PROBE_OK;
  }
  /* 10 % slack: a 30 fps input at max 15 keeps every other frame. */
  GstClockTime min_gap = GST_SECOND / fps * 9 / 10;
  if (GST_CLOCK_TIME_IS_VALID (self->last_pts_) && pts >= self->last_pts_ &&
      pts - self->last_pts_ < min_gap)
    return GST_PAD_PROBE_DROP;
  self->last_pts_ = pts;
  return GST_PAD_PROBE_OK;
}

bool EncoderBranch::keyframe_allowed_now ()
{
  gint64 now = g_get_monotonic_time ();
  gint64 last = last_request_us_.load ();
  if (now - last >= (gint64)GST_TIME_AS_USECONDS (min_interval_) &&
      last_request_us_.compare_exchange_strong (last, now)) {
    pending_request_ = false;
    return true;
  }
  pending_request_ = true;
  return false;
}

void EncoderBranch::send_keyframe_request ()
{
  /* Sent into the capsfilter's src pad, i.e. upstream of our own probe. */
  ObjectPtr<GstPad> src (gst_element_get_static_pad (out_filter_, "src"));
  GstEvent *event = gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0);
  gst_pad_send_event (src.get (), event);
}

void EncoderBranch::request_keyframe ()
{
  if (keyframe_allowed_now ()) {
    GST_DEBUG_OBJECT (tee_, "%s: keyframe requested", codec_->name);
    send_keyframe_request ();
  } else {
    GST_DEBUG_OBJECT (tee_, "%s: keyframe request deferred (rate limit)", codec_->name);
  }
}

GstPadProbeReturn EncoderBranch::upstream_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto self = static_cast<EncoderBranch *> (data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  if (self->keyframe_allowed_now ()) {
    GST_DEBUG ("%s: forwarding keyframe request from a viewer", self->codec_->name);
    return GST_PAD_PROBE_OK;
  }
  GST_LOG ("%s: keyframe request merged (rate limit)", self->codec_->name);
  return GST_PAD_PROBE_DROP;
}

GstPadProbeReturn EncoderBranch::buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto self = static_cast<EncoderBranch *> (data);
  if (self->pending_request_.load () && self->keyframe_allowed_now ()) {
    GST_DEBUG_OBJECT (self->tee_, "%s: deferred keyframe request sent", self->codec_->name);
    self->send_keyframe_request ();
  }
  return GST_PAD_PROBE_OK;
}

} // namespace rtc

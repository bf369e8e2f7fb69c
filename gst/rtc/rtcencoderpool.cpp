/* See rtcencoderpool.h. */
#include "rtcencoderpool.h"

#include <algorithm>

namespace rtc {

EncoderPool::EncoderPool (GstElement *element, std::string message_name)
    : element_ (element), message_name_ (std::move (message_name))
{}

EncoderPool::~EncoderPool () = default;

void EncoderPool::post (const Key &key, bool added)
{
  const Input *input = std::get<0> (key);
  GstStructure *s = gst_structure_new (
      message_name_.c_str (), "action", G_TYPE_STRING, added ? "added" : "removed", "input",
      G_TYPE_STRING, input->name.c_str (), "codec", G_TYPE_STRING, std::get<1> (key)->name, "rung",
      G_TYPE_INT, std::get<2> (key), "encoders", G_TYPE_UINT, (guint)branches_.size (), nullptr);
  gst_element_post_message (element_, gst_message_new_element (GST_OBJECT (element_), s));
}

EncoderBranch *EncoderPool::acquire (const InputState &state, const Codec *codec, int rung,
                                     const Settings &settings, std::string &error)
{
  if (codec->kind != MediaKind::VIDEO || !state.format.raw)
    rung = 0;
  Key key{state.input, codec, rung};
  auto it = branches_.find (key);
  if (it != branches_.end ()) {
    it->second->viewers++;
    return it->second.get ();
  }
  EncoderBranch::Config config;
  auto enc = settings.encoders.find (codec);
  config.encoder_factory = enc != settings.encoders.end () ? enc->second : "";
  bool video = codec->kind == MediaKind::VIDEO;
  config.bitrate_bps = video ? settings.video_bitrate : settings.audio_bitrate;
  if (video && settings.congestion_control)
    config.bitrate_bps = settings.ladder.bitrate (rung, settings.start_bitrate);
  config.keyframe_interval_frames =
      std::max<guint> (1, settings.keyframe_interval_ms * state.fps / 1000);
  config.scale = 1u << rung;
  config.width = state.width;
  config.height = state.height;
  auto branch = EncoderBranch::create (GST_BIN (element_), state.input->tee, *codec, state.format,
                                       config, error);
  if (!branch)
    return nullptr;
  EncoderBranch *raw = branch.get ();
  raw->viewers = 1;
  branches_[key] = std::move (branch);
  post (key, true);
  return raw;
}

void EncoderPool::release (EncoderBranch *branch)
{
  if (!branch || --branch->viewers > 0)
    return;
  for (auto it = branches_.begin (); it != branches_.end (); ++it) {
    if (it->second.get () == branch) {
      Key key = it->first;
      branches_.erase (it);
      post (key, false);
      return;
    }
  }
}

void EncoderPool::clear (const Input *input)
{
  for (auto it = branches_.begin (); it != branches_.end ();) {
    if (!input || std::get<0> (it->first) == input)
      it = branches_.erase (it);
    else
      ++it;
  }
}

void EncoderPool::for_each (
    const std::function<void (const Input *, const Codec *, int, EncoderBranch *)> &fn)
{
  for (auto &kv : branches_)
    fn (std::get<0> (kv.first), std::get<1> (kv.first), std::get<2> (kv.first), kv.second.get ());
}

} // namespace rtc

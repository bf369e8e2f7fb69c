/* RtcRoom's audio mixing (Settings::audio_mix; rtcaudiomix.h does the
 * mixing): what changes in the room when audio is mixed instead of
 * forwarded.
 *
 *  - A participant's audio track is decoded once (queue, decoder, [noise
 *    suppressor,] tee) and becomes a source of the mixes, owned by the
 *    participant; it is not offered to anyone (its src pad and recording
 *    stay as in forwarding).
 *  - Each participant receives one audio line, msid "room/mix", carrying
 *    the mix of everyone but itself (the AudioMix mix named by its id) or,
 *    while it publishes no audio, the shared mix of everyone (""). When it
 *    starts or stops publishing audio, the line moves to the other mix
 *    (PeerSession::relink_media, as a layer switch does).
 *  - The pipeline's audio inputs are sources of every mix (owner
 *    "pipeline"), not tracks.
 *  - The mix of everyone is the element's "mix" src pad, once asked for
 *    (the first participant or input).
 *  - A participant that sets its own volume of another (set_volume ())
 *    hears a mix of its own (AudioMix::set_gain ()): the one named by its
 *    id, which it has anyway when it publishes audio.
 *
 * Threading: the control thread, like the rest of the room.
 */
#include "rtcroomprivate.h"
#include "rtcteardown.h"
#include "rtctee.h"

#include <algorithm>
#include <cmath>

GstDebugCategory *rtc_room_category ();
#define GST_CAT_DEFAULT rtc_room_category ()

namespace rtc {

static const char *const MIX_MSID = "room/mix";

AudioMix &Room::mixer ()
{
  if (!mix_) {
    Settings s = settings ();
    AudioMix::Settings ms;
    auto enc = s.encoding.encoders.find (codec_by_name ("OPUS"));
    if (enc != s.encoding.encoders.end ())
      ms.encoder = enc->second;
    ms.bitrate = s.encoding.audio_bitrate;
    ms.frame = s.mix_frame_ms * GST_MSECOND;
    start_speaking ();
    mix_ = std::make_unique<AudioMix> (
        GST_BIN (element_), ms, [this] (const char *action, const std::string &name, size_t n) {
          post ("-mix", gst_structure_new ("x", "action", G_TYPE_STRING, action, "mix",
                                           G_TYPE_STRING, name.empty () ? "all" : name.c_str (),
                                           "encoders", G_TYPE_UINT, (guint)n, nullptr));
        });
  }
  return *mix_;
}

/* webrtcdsp as a noise suppressor alone (@level: its noise-suppression-level,
 * 0 low .. 3 very high), or NULL when -1 or the element is missing (a
 * warning, once). */
static GstElement *noise_suppressor (GstElement *room, gint level)
{
  if (level < 0)
    return nullptr;
  GstElement *dsp = gst_element_factory_make ("webrtcdsp", nullptr);
  if (!dsp) {
    static gsize warned = 0;
    if (g_once_init_enter (&warned)) {
      GST_ELEMENT_WARNING (room, CORE, MISSING_PLUGIN,
                           ("No noise suppression: the webrtcdsp element is missing"),
                           ("install gstreamer1.0-plugins-bad"));
      g_once_init_leave (&warned, 1);
    }
    return nullptr;
  }
  static const char *const LEVELS[] = {"low", "moderate", "high", "very-high"};
  g_object_set (dsp, "echo-cancel", FALSE, "gain-control", FALSE, "noise-suppression", TRUE,
                nullptr);
  gst_util_set_object_arg (G_OBJECT (dsp), "noise-suppression-level", LEVELS[MIN (level, 3)]);
  return dsp;
}

/* queue ─▶ decoder [─▶ @filter] ─▶ tee, fed from a new request pad of @tee
 * (@tee_pad, for the caller to release); empty when the decoder is
 * missing. */
static std::vector<GstElement *> decode_chain (GstBin *bin, GstElement *tee, const char *decoder,
                                               GstElement *filter, GstPad *&tee_pad)
{
  GstElement *q = gst_element_factory_make ("queue", nullptr);
  GstElement *d = decoder ? gst_element_factory_make (decoder, nullptr) : nullptr;
  GstElement *out = gst_element_factory_make ("tee", nullptr);
  if (!q || !d || !out) {
    for (GstElement *e : {q, d, out, filter})
      if (e)
        gst_object_unref (gst_object_ref_sink (e));
    return {};
  }
  g_object_set (out, "allow-not-linked", TRUE, nullptr);
  std::vector<GstElement *> chain = {q, d};
  if (filter)
    chain.push_back (filter);
  chain.push_back (out);
  add_leaky_chain (bin, chain);
  ObjectPtr<GstPad> sink (gst_element_get_static_pad (q, "sink"));
  tee_pad = link_tee_branch (tee, sink.get ());
  return chain;
}

static void release_tee_pad (GstElement *tee, GstPad *&pad)
{
  if (!pad)
    return;
  gst_element_release_request_pad (tee, pad);
  gst_object_unref (pad);
  pad = nullptr;
}

void Room::mix_add_track (Track &t)
{
  Settings s = settings ();
  auto dec = s.decoders.find (t.codec);
  t.mix_chain = decode_chain (GST_BIN (element_), t.tee,
                              dec == s.decoders.end () ? nullptr : dec->second.c_str (),
                              noise_suppressor (element_, s.noise_suppression), t.mix_tee_pad);
  std::string error = "no decoder for " + std::string (t.codec->name);
  if (t.mix_chain.empty () || !mixer ().add_source (t.id, t.owner, t.mix_chain.back (), error)) {
    GST_ELEMENT_WARNING (
        element_, CORE, MISSING_PLUGIN,
        ("Cannot mix the audio of participant %s: %s", t.owner.c_str (), error.c_str ()),
        ("install gstreamer1.0-plugins-base (opus) and -good"));
    return;
  }
  expose_mix ();
  remix (t.owner);
}

void Room::mix_remove_track (Track &t)
{
  if (t.mix_chain.empty ())
    return;
  if (mix_)
    mix_->remove_source (t.id);
  release_tee_pad (t.tee, t.mix_tee_pad);
  dispose_elements (GST_BIN (element_), t.mix_chain);
  t.mix_chain.clear ();
  remix (t.owner);
}

void Room::mix_add_inputs ()
{
  Settings s = settings ();
  for (auto &st : inputs_.states ()) {
    if (!st.have_format || st.input->kind != MediaKind::AUDIO || mixed_inputs_.count (st.input))
      continue;
    GstElement *raw = st.input->tee;
    std::vector<GstElement *> chain;
    GstPad *tee_pad = nullptr;
    std::string error;
    if (!st.format.raw) {
      auto dec = s.decoders.find (st.format.codec);
      chain = decode_chain (GST_BIN (element_), st.input->tee,
                            dec == s.decoders.end () ? nullptr : dec->second.c_str (), nullptr,
                            tee_pad);
      raw = chain.empty () ? nullptr : chain.back ();
      error = "no decoder for its codec";
    }
    if (!raw || !mixer ().add_source ("input:" + st.input->name, "pipeline", raw, error)) {
      GST_ELEMENT_WARNING (
          element_, CORE, MISSING_PLUGIN,
          ("Cannot mix %s into the room: %s", st.input->name.c_str (), error.c_str ()), (nullptr));
      release_tee_pad (st.input->tee, tee_pad);
      if (!chain.empty ())
        dispose_elements (GST_BIN (element_), chain);
      continue;
    }
    mixed_inputs_[st.input] = {tee_pad, chain};
    expose_mix ();
  }
}

void Room::mix_drop_input (const Input *input)
{
  auto it = mixed_inputs_.find (input);
  if (it == mixed_inputs_.end ())
    return;
  if (mix_)
    mix_->remove_source ("input:" + input->name);
  release_tee_pad (input->tee, it->second.tee_pad);
  if (!it->second.chain.empty ())
    dispose_elements (GST_BIN (element_), it->second.chain);
  mixed_inputs_.erase (it);
}

bool Room::offer_mix (Participant &p, std::string &error)
{
  return p.mix_line.send_line || add_line (p, codec_by_name ("OPUS"), MIX_MSID, p.mix_line, error);
}

/* The peer offered first: its first receive-only audio m-line carries the
 * mix. False (nothing done, no error) when this m-line is not for it. */
bool Room::answer_mix (Participant &p, const GstSDPMessage *offer, guint mline, PeerSession &peer,
                       std::string &error)
{
  return !p.mix_line.send_line &&
         answer_send_line (peer, offer, mline, codec_by_name ("OPUS"), MIX_MSID, p.mix_line, error);
}

void Room::link_mix (Participant &p)
{
  Line &line = p.mix_line;
  if (!p.connected || !line.send_line || line.linked)
    return;
  const GstSDPMessage *remote = p.peer->remote_sdp ();
  gint known = remote ? (gint)gst_sdp_message_medias_len (remote) : 0;
  gint mline = p.peer->mline_of (line.send_line);
  if (mline < 0 || mline >= known)
    return;
  std::string error;
  if (!p.mix_branch) {
    p.mix_branch = mixer ().acquire (p.id, p.mix_name, error);
    if (!p.mix_branch) {
      GST_ELEMENT_WARNING (
          element_, CORE, MISSING_PLUGIN,
          ("Cannot mix the room's audio for participant %s: %s", p.id.c_str (), error.c_str ()),
          (nullptr));
      return;
    }
  }
  if (!p.peer->link_pad (line.send_line, line.pt, line.ssrc, p.mix_branch, error)) {
    GST_WARNING_OBJECT (element_, "participant %s: the mix: %s", p.id.c_str (), error.c_str ());
    return;
  }
  line.linked = true;
}

/* @owner's sources or volumes changed: its line moves to the mix it now
 * hears (AudioMix::mix_for ()). */
void Room::remix (const std::string &owner)
{
  auto p = static_cast<Participant *> (sessions_.find (owner));
  if (!p || !p->mix_branch || !mix_)
    return;
  std::string name = mix_->mix_for (owner);
  if (name == p->mix_name)
    return;
  std::string error, got;
  EncoderBranch *to = mix_->acquire (owner, got, error);
  if (!to) {
    GST_WARNING_OBJECT (element_, "participant %s: no mix: %s", owner.c_str (), error.c_str ());
    return;
  }
  gint mline = p->peer->mline_of (p->mix_line.send_line);
  if (p->mix_line.linked && (mline < 0 || !p->peer->relink_media ((guint)mline, to, error))) {
    GST_WARNING_OBJECT (element_, "participant %s: the mix: %s", owner.c_str (), error.c_str ());
    mix_->release (got);
    return;
  }
  mix_->release (p->mix_name);
  p->mix_branch = to;
  p->mix_name = got;
  GST_INFO_OBJECT (element_, "participant %s now hears mix '%s'", owner.c_str (), got.c_str ());
}

void Room::release_mix (Participant &p)
{
  if (p.mix_branch && mix_)
    mix_->release (p.mix_name);
  p.mix_branch = nullptr;
  if (mix_)
    mix_->forget (p.id);
}

bool Room::set_volume (const std::string &listener, const std::string &participant, double volume)
{
  Settings s = settings ();
  if (!s.audio_mix || s.client || listener == participant || !sessions_.find (listener) ||
      (participant != "pipeline" && !sessions_.find (participant)) || std::isnan (volume))
    return false;
  volume = CLAMP (volume, 0.0, AudioMix::MAX_GAIN);
  if (!mixer ().set_gain (listener, participant, volume))
    return false;
  remix (listener);
  post ("-volume", gst_structure_new ("x", "listener", G_TYPE_STRING, listener.c_str (),
                                      "participant", G_TYPE_STRING, participant.c_str (), "volume",
                                      G_TYPE_DOUBLE, volume, nullptr));
  return true;
}

/* The element's "mix" src pad: everyone's audio, raw. */
void Room::expose_mix ()
{
  if (mix_pad_)
    return;
  std::string error;
  GstElement *tee = mixer ().full_mix (error);
  GstElement *q = gst_element_factory_make ("queue", nullptr);
  if (!tee || !q) {
    if (q)
      gst_object_unref (gst_object_ref_sink (q));
    GST_ELEMENT_WARNING (element_, CORE, MISSING_PLUGIN,
                         ("Cannot expose the room's mix: %s", error.c_str ()), (nullptr));
    return;
  }
  add_leaky_chain (GST_BIN (element_), {q});
  ObjectPtr<GstPad> sink (gst_element_get_static_pad (q, "sink"));
  if (GstPad *src = link_tee_branch (tee, sink.get ()))
    gst_object_unref (src);
  ObjectPtr<GstPad> qsrc (gst_element_get_static_pad (q, "src"));
  GstPadTemplate *templ =
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (element_), "mix");
  mix_pad_ = gst_ghost_pad_new_from_template ("mix", qsrc.get (), templ);
  gst_pad_set_active (mix_pad_, TRUE);
  gst_element_add_pad (element_, mix_pad_);
  mix_pad_chain_ = {q};
  post ("-track-added",
        gst_structure_new ("x", "participant", G_TYPE_STRING, "room", "name", G_TYPE_STRING, "mix",
                           "pad", G_TYPE_STRING, "mix", "kind", G_TYPE_STRING, "audio", "codec",
                           G_TYPE_STRING, "raw", nullptr));
}

bool Room::set_audio_muted (const std::string &participant, bool muted)
{
  Settings s = settings ();
  if (!s.audio_mix || s.client || !mixer ().set_muted (participant, muted))
    return false;
  post ("-audio-muted", gst_structure_new ("x", "participant", G_TYPE_STRING, participant.c_str (),
                                           "muted", G_TYPE_BOOLEAN, (gboolean)muted, nullptr));
  if (on_audio_muted)
    on_audio_muted (participant, muted);
  return true;
}

void Room::stop_mix ()
{
  std::vector<const Input *> inputs;
  for (auto &kv : mixed_inputs_)
    inputs.push_back (kv.first);
  for (const Input *in : inputs)
    mix_drop_input (in);
  if (mix_pad_) {
    gst_pad_set_active (mix_pad_, FALSE);
    gst_element_remove_pad (element_, mix_pad_);
    mix_pad_ = nullptr;
    dispose_elements (GST_BIN (element_), mix_pad_chain_);
    mix_pad_chain_.clear ();
  }
  mix_.reset ();
  stop_speaking ();
}

} // namespace rtc

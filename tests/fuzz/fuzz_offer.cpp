/* The offer path of the WHEP/WHIP servers and the rooms: an SDP text as a
 * peer POSTs it is parsed (gst_sdp_message_parse_buffer), validated
 * (rtc::sdp_validate_offer) and, when valid, matched against what a
 * publisher or a subscriber has (rtc::match_offer, so rtc::choose_media per
 * m-line), then handled as our answer would be (BUNDLE check and removal,
 * candidates added, Opus formats unified, written out again), read as a
 * peer's answer (rtc::read_answer) and as a room participant's description
 * (the tracks and mids it names). */
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzzinit.h"
#include "rtcnegotiation.h"
#include "rtcroomprotocol.h"
#include "rtcsdp.h"

using namespace rtc;

namespace {

std::vector<const Codec *> codecs (const char *names)
{
  std::vector<const Codec *> out;
  std::string error;
  if (!parse_codec_preferences (names, out, error))
    __builtin_trap ();
  return out;
}

InputFormat raw (MediaKind kind)
{
  InputFormat f;
  f.kind = kind;
  return f;
}

InputFormat encoded (const char *codec, const char *h264_profile)
{
  InputFormat f;
  f.raw = false;
  f.codec = codec_by_name (codec);
  f.kind = f.codec->kind;
  f.h264_profile = h264_profile;
  return f;
}

/* What the elements negotiate with: a publisher of raw input, one of
 * encoded H.264 and raw input without congestion control, a subscriber.
 * (Few: GstSDP's caps of an m-line cost a scan of its attributes per
 * payload type, the bulk of an input's time.) */
std::vector<LocalMedia> local_sides ()
{
  std::vector<LocalMedia> out;
  LocalMedia l;
  l.preferences = codecs (DEFAULT_CODEC_PREFERENCES);
  l.usable = codecs ("VP8,H264,VP9,OPUS");
  l.inputs = {raw (MediaKind::VIDEO), raw (MediaKind::AUDIO)};
  out.push_back (l);
  l.inputs = {encoded ("H264", "high"), raw (MediaKind::VIDEO), raw (MediaKind::AUDIO)};
  l.twcc = false;
  out.push_back (l);
  LocalMedia r;
  r.receive = true;
  r.preferences = codecs (DEFAULT_CODEC_PREFERENCES);
  r.usable = codecs ("VP8,H264,VP9,OPUS");
  out.push_back (r);
  return out;
}

const std::vector<LocalMedia> &sides ()
{
  static const std::vector<LocalMedia> s = local_sides ();
  return s;
}

/* Our answer's treatment, on a copy of the offer. */
void as_answer (const GstSDPMessage *offer)
{
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy (offer, &copy);
  if (!sdp_bundle_consistent (copy))
    sdp_remove_bundle (copy);
  std::vector<std::pair<guint, std::string>> candidates;
  for (guint i = 0; i < gst_sdp_message_medias_len (copy) && i < 4; i++)
    candidates.push_back ({i, "candidate:1 1 UDP 2122252543 192.0.2.1 40000 typ host"});
  candidates.push_back ({gst_sdp_message_medias_len (copy) + 3,
                         "candidate:2 1 UDP 2122252543 192.0.2.2 40001 typ host"});
  sdp_add_candidates (copy, candidates, true);
  sdp_unify_opus_formats (copy);
  gchar *text = gst_sdp_message_as_text (copy);
  g_free (text);
  gst_sdp_message_free (copy);
}

} // namespace

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  rtc_fuzz::init ();
  sides ();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* An empty body is refused before it is parsed (rtc::http_read_sdp_offer;
   * GstSDP takes none); larger than the servers' body limit never arrives. */
  if (size == 0 || size > 256 * 1024)
    return 0;
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new (&sdp);
  if (gst_sdp_message_parse_buffer (data, (guint)size, sdp) != GST_SDP_OK) {
    gst_sdp_message_free (sdp);
    return 0;
  }
  std::string error;
  if (!sdp_validate_offer (sdp, error)) {
    gst_sdp_message_free (sdp);
    return 0;
  }
  for (auto &local : sides ()) {
    OfferMatch match;
    error.clear ();
    match_offer (sdp, local, match, error);
  }
  sdp_carries_media (sdp);
  sdp_has_twcc (sdp);
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    sdp_ice_ufrag (sdp, i);
    sdp_extmap_id (gst_sdp_message_get_media (sdp, i), RTC_TWCC_URI);
  }
  sdp_mline_for_ssrc (sdp, 12345678);
  as_answer (sdp);

  /* The same text as a peer's answer to an offer of video then audio. */
  std::vector<AnsweredLine> answered;
  error.clear ();
  read_answer (sdp, {MediaKind::VIDEO, MediaKind::AUDIO}, answered, error);

  /* As a room participant's description. */
  room::sdp_sent_tracks (sdp);
  std::vector<std::string> mids = room::sdp_mids (sdp);
  bool exists = false;
  for (auto &mid : mids)
    room::sdp_sending_media (sdp, mid, exists);
  room::sdp_sending_media (sdp, "no-such-mid", exists);
  gst_sdp_message_free (sdp);
  return 0;
}

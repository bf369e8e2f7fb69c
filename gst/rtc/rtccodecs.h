/* Codec knowledge shared by the elements: what each codec needs (parser,
 * payloader, caps), which encoder to use and how to tune it for real time,
 * and how to pick a codec and payload type from a peer's SDP offer.
 *
 * Pure functions and constant tables; thread-safe.
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <string>
#include <vector>

#include "rtcptr.h"

namespace rtc {

enum class MediaKind { VIDEO, AUDIO };

const char *media_kind_name (MediaKind kind); /* "video" / "audio" */

struct Codec {
  const char *name; /* SDP encoding name, upper case: "VP8" */
  MediaKind kind;
  const char *encoded_caps; /* "video/x-vp8" */
  const char *parser;       /* parser factory, or nullptr when none is needed */
  const char *parsed_caps;  /* caps forced after the parser, or nullptr */
  const char *payloader;    /* RTP payloader factory */
  const char *depayloader;  /* RTP depayloader factory */
  gint clock_rate;
};

const std::vector<Codec> &all_codecs ();
/* Case-insensitive; nullptr when unknown. */
const Codec *codec_by_name (const std::string &name);
/* The codec of encoded caps; nullptr for raw or unknown caps. */
const Codec *codec_for_caps (const GstCaps *caps);

/* The decoder factory for @codec: hardware decoders first, then by rank.
 * Empty when none is installed. */
std::string find_decoder (const Codec &codec);
/* Caps for offering to receive (or send) @codec with payload type @pt:
 * application/x-rtp with the codec's clock rate, keyframe requests (PLI),
 * NACK, and for H.264 packetization-mode 1 with a constrained-baseline
 * profile every browser can send. */
CapsPtr rtp_caps_for (const Codec &codec, gint pt);

/* Default for the "codec-preferences" property. */
constexpr const char *DEFAULT_CODEC_PREFERENCES = "VP8,H264,VP9,OPUS";

/* Parses "VP8, h264" into codecs in order. Returns false and sets @error for
 * an unknown or repeated name. */
bool parse_codec_preferences (const std::string &text, std::vector<const Codec *> &out,
                              std::string &error);

/* The encoder factory to use for @codec: hardware encoders (klass contains
 * "Hardware") first, then by rank. Empty when none is installed. */
std::string find_encoder (const Codec &codec);

/* Applies the real-time settings (no B-frames, zero lag, bounded keyframe
 * interval, CBR) of the encoder table to @encoder. Unknown encoders are left
 * at their defaults except for the bitrate when a known property exists. */
void configure_encoder (GstElement *encoder, guint bitrate_bps, guint keyframe_interval_frames);
/* Sets the bitrate through the encoder table (property and unit). Returns
 * false when the encoder is unknown to the table. Safe while PLAYING. */
bool set_encoder_bitrate (GstElement *encoder, guint bitrate_bps);

/* What one input of an element carries. */
struct InputFormat {
  MediaKind kind = MediaKind::VIDEO;
  bool raw = true;
  const Codec *codec = nullptr; /* when !raw */
  std::string h264_profile;     /* caps "profile" of encoded H.264, may be empty */
  /* Receiving instead of sending: choose_media() then picks what we can
   * take in (@encodable lists the codecs we can receive, any H.264 profile). */
  bool receive = false;
};

/* The codec and payload type chosen for one m-line of an offer. */
struct MediaChoice {
  guint mline = 0;
  const Codec *codec = nullptr;
  gint pt = -1;
  CapsPtr caps; /* codec preferences for the transceiver (offer's fmtp and rtcp-fb kept) */
};

/* Chooses the codec for m-line @mline of @offer for @input: the first codec
 * of @preferences that the offer has and that we can produce (an installed
 * encoder for raw input, the same codec for encoded input), and the offered
 * payload type that suits it best (H.264: packetization-mode=1 and a
 * compatible profile). @available_encoders says which codecs can be encoded.
 * Returns false with @error set when nothing fits. */
bool choose_media (const GstSDPMessage *offer, guint mline, const InputFormat &input,
                   const std::vector<const Codec *> &preferences,
                   const std::vector<const Codec *> &encodable, MediaChoice &choice,
                   std::string &error);

/* The H.264 profile name ("constrained-baseline", "high", ...) an offered
 * payload type's caps ask for. */
std::string h264_offered_profile (const GstStructure *caps_structure);
/* Can a stream of caps profile @stream_profile (empty = constrained-baseline,
 * what our encoders make) be sent on a payload type offering @offered? */
bool h264_profile_matches (const std::string &stream_profile, const std::string &offered);

} // namespace rtc

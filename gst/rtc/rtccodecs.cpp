/* Codec table, encoder table and offer matching. See rtccodecs.h. */
#include "rtccodecs.h"

#include <gst/pbutils/codec-utils.h>

#include <algorithm>
#include <cstring>
#include <map>

GST_DEBUG_CATEGORY_STATIC (rtc_codecs_debug);
#define GST_CAT_DEFAULT rtc_codecs_debug

namespace rtc {

static void ensure_debug ()
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (rtc_codecs_debug, "rtccodecs", 0, "RTC codec selection");
    g_once_init_leave (&done, 1);
  }
}

const char *media_kind_name (MediaKind kind)
{
  return kind == MediaKind::VIDEO ? "video" : "audio";
}

const std::vector<Codec> &all_codecs ()
{
  static const std::vector<Codec> codecs = {
      {"VP8", MediaKind::VIDEO, "video/x-vp8", nullptr, nullptr, "rtpvp8pay", "rtpvp8depay", 90000},
      {"VP9", MediaKind::VIDEO, "video/x-vp9", "vp9parse", nullptr, "rtpvp9pay", "rtpvp9depay",
       90000},
      {"H264", MediaKind::VIDEO, "video/x-h264", "h264parse",
       "video/x-h264,stream-format=byte-stream,alignment=au", "rtph264pay", "rtph264depay", 90000},
      {"OPUS", MediaKind::AUDIO, "audio/x-opus", "opusparse", nullptr, "rtpopuspay", "rtpopusdepay",
       48000},
  };
  return codecs;
}

const Codec *codec_by_name (const std::string &name)
{
  for (auto &c : all_codecs ()) {
    if (g_ascii_strcasecmp (c.name, name.c_str ()) == 0)
      return &c;
  }
  return nullptr;
}

const Codec *codec_for_caps (const GstCaps *caps)
{
  if (!caps || gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return nullptr;
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  for (auto &c : all_codecs ()) {
    if (g_str_equal (name, c.encoded_caps))
      return &c;
  }
  return nullptr;
}

bool parse_codec_preferences (const std::string &text, std::vector<const Codec *> &out,
                              std::string &error)
{
  out.clear ();
  g_auto (GStrv) parts = g_strsplit (text.c_str (), ",", -1);
  for (guint i = 0; parts[i]; i++) {
    std::string name = g_strstrip (parts[i]);
    if (name.empty ())
      continue;
    const Codec *codec = codec_by_name (name);
    if (!codec) {
      error = "unknown codec '" + name + "' (known: VP8, VP9, H264, OPUS)";
      return false;
    }
    if (std::find (out.begin (), out.end (), codec) != out.end ()) {
      error = "codec '" + name + "' is listed twice";
      return false;
    }
    out.push_back (codec);
  }
  if (out.empty ()) {
    error = "no codec listed";
    return false;
  }
  return true;
}

/* ---- encoders ---------------------------------------------------------- */

namespace {

struct EncoderEntry {
  const char *factory;
  const char *bitrate_property;
  guint bitrate_divisor;         /* property value = bits per second / divisor */
  const char *keyframe_property; /* in frames */
  std::vector<std::pair<const char *, const char *>> realtime;
};

const std::vector<EncoderEntry> &encoder_table ()
{
  static const std::vector<EncoderEntry> table = {
      /* hardware */
      {"nvh264enc",
       "bitrate",
       1000,
       "gop-size",
       {{"preset", "low-latency-hq"},
        {"rc-mode", "cbr"},
        {"zerolatency", "true"},
        {"bframes", "0"}}},
      {"vah264enc",
       "bitrate",
       1000,
       "key-int-max",
       {{"b-frames", "0"}, {"rate-control", "cbr"}, {"target-usage", "7"}}},
      {"vaapih264enc",
       "bitrate",
       1000,
       "keyframe-period",
       {{"rate-control", "cbr"}, {"max-bframes", "0"}, {"tune", "low-power"}}},
      {"qsvh264enc", "bitrate", 1000, "gop-size", {{"b-frames", "0"}, {"low-latency", "true"}}},
      {"vavp8enc", "bitrate", 1000, "key-int-max", {{"rate-control", "cbr"}}},
      {"vaapivp8enc", "bitrate", 1000, "keyframe-period", {{"rate-control", "cbr"}}},
      {"vavp9enc", "bitrate", 1000, "key-int-max", {{"rate-control", "cbr"}}},
      /* software */
      {"x264enc",
       "bitrate",
       1000,
       "key-int-max",
       {{"tune", "zerolatency"},
        {"speed-preset", "ultrafast"},
        {"bframes", "0"},
        {"b-adapt", "false"},
        {"pass", "cbr"},
        {"vbv-buf-capacity", "300"}}},
      {"openh264enc",
       "bitrate",
       1,
       "gop-size",
       {{"rate-control", "bitrate"}, {"complexity", "low"}, {"usage-type", "camera"}}},
      {"vp8enc",
       "target-bitrate",
       1,
       "keyframe-max-dist",
       {{"deadline", "1"},
        {"cpu-used", "8"},
        {"end-usage", "cbr"},
        {"lag-in-frames", "0"},
        {"error-resilient", "default"},
        {"threads", "2"},
        {"buffer-size", "300"},
        {"buffer-initial-size", "200"},
        {"buffer-optimal-size", "250"}}},
      {"vp9enc",
       "target-bitrate",
       1,
       "keyframe-max-dist",
       {{"deadline", "1"},
        {"cpu-used", "8"},
        {"end-usage", "cbr"},
        {"lag-in-frames", "0"},
        {"row-mt", "true"},
        {"threads", "2"},
        {"buffer-size", "300"}}},
      /* No AV1 RTP payloader in GStreamer 1.22's C plugins: AV1 is not
       * negotiated, but an application's av1enc is driven like the others. */
      {"av1enc",
       "target-bitrate",
       1000,
       "keyframe-max-dist",
       {{"usage-profile", "realtime"},
        {"cpu-used", "10"},
        {"end-usage", "cbr"},
        /* av1enc's default quantizer range (0-0) trips an assertion in
         * libaom's CBR rate control: give it the usual range. */
        {"min-quantizer", "4"},
        {"max-quantizer", "63"},
        {"lag-in-frames", "0"},
        {"row-mt", "true"},
        {"threads", "2"}}},
      {"opusenc", "bitrate", 1, nullptr, {{"audio-type", "generic"}}},
  };
  return table;
}

const EncoderEntry *entry_for (GstElement *encoder)
{
  GstElementFactory *factory = gst_element_get_factory (encoder);
  if (!factory)
    return nullptr;
  const gchar *name = gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory));
  for (auto &e : encoder_table ()) {
    if (g_str_equal (e.factory, name))
      return &e;
  }
  return nullptr;
}

void set_if_exists (GstElement *element, const char *property, const char *value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), property))
    gst_util_set_object_arg (G_OBJECT (element), property, value);
  else
    GST_DEBUG_OBJECT (element, "no property %s", property);
}

bool factory_produces (GstElementFactory *factory, const Codec &codec)
{
  CapsPtr wanted (gst_caps_from_string (codec.encoded_caps));
  for (const GList *l = gst_element_factory_get_static_pad_templates (factory); l; l = l->next) {
    auto tmpl = static_cast<GstStaticPadTemplate *> (l->data);
    if (tmpl->direction != GST_PAD_SRC)
      continue;
    CapsPtr caps (gst_static_pad_template_get_caps (tmpl));
    if (gst_caps_can_intersect (caps.get (), wanted.get ()))
      return true;
  }
  return false;
}

} // namespace

std::string find_encoder (const Codec &codec)
{
  ensure_debug ();
  struct Candidate {
    std::string name;
    bool hardware;
    guint rank;
    size_t order;
  };
  std::vector<Candidate> found;
  for (size_t i = 0; i < encoder_table ().size (); i++) {
    auto &entry = encoder_table ()[i];
    ObjectPtr<GstElementFactory> factory (gst_element_factory_find (entry.factory));
    if (!factory || !factory_produces (factory.get (), codec))
      continue;
    const gchar *klass =
        gst_element_factory_get_metadata (factory.get (), GST_ELEMENT_METADATA_KLASS);
    found.push_back ({entry.factory, klass && strstr (klass, "Hardware") != nullptr,
                      gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (factory.get ())), i});
  }
  std::stable_sort (found.begin (), found.end (), [] (const Candidate &a, const Candidate &b) {
    if (a.hardware != b.hardware)
      return a.hardware;
    if (a.rank != b.rank)
      return a.rank > b.rank;
    return a.order < b.order;
  });
  if (found.empty ()) {
    GST_INFO ("no encoder installed for %s", codec.name);
    return {};
  }
  GST_INFO ("encoder for %s: %s%s", codec.name, found[0].name.c_str (),
            found[0].hardware ? " (hardware)" : "");
  return found[0].name;
}

std::string find_decoder (const Codec &codec)
{
  ensure_debug ();
  GList *all = gst_element_factory_list_get_elements (
      GST_ELEMENT_FACTORY_TYPE_DECODER |
          (codec.kind == MediaKind::VIDEO ? GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO
                                          : GST_ELEMENT_FACTORY_TYPE_MEDIA_AUDIO),
      GST_RANK_MARGINAL);
  /* What the depayloader (and parser) hand the decoder: the decoder must
   * take all of it (a subset test keeps out e.g. vp8alphadecodebin, which
   * wants codec-alpha streams only). */
  const char *input = g_str_equal (codec.name, "OPUS") ? "audio/x-opus, channel-mapping-family=0"
                      : codec.parsed_caps              ? codec.parsed_caps
                                                       : codec.encoded_caps;
  CapsPtr caps (gst_caps_from_string (input));
  GList *usable = gst_element_factory_list_filter (all, caps.get (), GST_PAD_SINK, TRUE);
  gst_plugin_feature_list_free (all);
  std::string best;
  bool best_hw = false;
  guint best_rank = 0;
  for (GList *l = usable; l; l = l->next) {
    auto factory = GST_ELEMENT_FACTORY (l->data);
    const gchar *klass = gst_element_factory_get_metadata (factory, GST_ELEMENT_METADATA_KLASS);
    bool hw = klass && strstr (klass, "Hardware") != nullptr;
    guint rank = gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (factory));
    if (best.empty () || (hw && !best_hw) || (hw == best_hw && rank > best_rank)) {
      best = GST_OBJECT_NAME (factory);
      best_hw = hw;
      best_rank = rank;
    }
  }
  gst_plugin_feature_list_free (usable);
  GST_INFO ("decoder for %s: %s", codec.name, best.empty () ? "(none)" : best.c_str ());
  return best;
}

CapsPtr rtp_caps_for (const Codec &codec, gint pt)
{
  GstCaps *caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
                                       media_kind_name (codec.kind), "encoding-name", G_TYPE_STRING,
                                       codec.name, "clock-rate", G_TYPE_INT, codec.clock_rate,
                                       "payload", G_TYPE_INT, pt, nullptr);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  if (codec.kind == MediaKind::VIDEO) {
    gst_structure_set (s, "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN,
                       TRUE, "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, nullptr);
  } else {
    gst_structure_set (s, "encoding-params", G_TYPE_STRING, "2", "minptime", G_TYPE_STRING, "10",
                       "useinbandfec", G_TYPE_STRING, "1", nullptr);
  }
  if (g_str_equal (codec.name, "H264"))
    gst_structure_set (s, "packetization-mode", G_TYPE_STRING, "1", "profile-level-id",
                       G_TYPE_STRING, "42e01f", "level-asymmetry-allowed", G_TYPE_STRING, "1",
                       nullptr);
  return CapsPtr (caps);
}

void configure_encoder (GstElement *encoder, guint bitrate_bps, guint keyframe_interval_frames)
{
  auto entry = entry_for (encoder);
  if (!entry)
    return;
  for (auto &kv : entry->realtime)
    set_if_exists (encoder, kv.first, kv.second);
  if (entry->keyframe_property && keyframe_interval_frames > 0) {
    std::string v = std::to_string (keyframe_interval_frames);
    set_if_exists (encoder, entry->keyframe_property, v.c_str ());
  }
  set_encoder_bitrate (encoder, bitrate_bps);
}

bool set_encoder_bitrate (GstElement *encoder, guint bitrate_bps)
{
  auto entry = entry_for (encoder);
  if (!entry || bitrate_bps == 0)
    return false;
  std::string v = std::to_string (std::max<guint> (1, bitrate_bps / entry->bitrate_divisor));
  set_if_exists (encoder, entry->bitrate_property, v.c_str ());
  return true;
}

/* ---- offers ------------------------------------------------------------ */

std::string h264_offered_profile (const GstStructure *s)
{
  /* GstSDP turns profile-level-id into a "profile" field; a hand-made caps
   * may still carry the hex form. */
  const gchar *profile = gst_structure_get_string (s, "profile");
  if (profile)
    return profile;
  const gchar *plid = gst_structure_get_string (s, "profile-level-id");
  if (!plid || strlen (plid) != 6)
    return "constrained-baseline"; /* RFC 6184 default 42000a, decoded as CB */
  guint64 v = g_ascii_strtoull (plid, nullptr, 16);
  guint8 sps[3] = {guint8 (v >> 16), guint8 (v >> 8), guint8 (v)};
  const gchar *name = gst_codec_utils_h264_get_profile (sps, sizeof (sps));
  return name ? name : "";
}

bool h264_profile_matches (const std::string &stream_profile, const std::string &offered)
{
  /* rtph264pay links only when the profile names agree, so the match is
   * exact; our encoders make constrained-baseline, which every browser
   * offers. */
  const std::string &p = stream_profile.empty () ? "constrained-baseline" : stream_profile;
  return p == offered;
}

namespace {

/* Score of payload type @pt of @media for @codec; 0 = unusable. */
int score_format (const GstStructure *s, const Codec &codec, const InputFormat &input)
{
  const gchar *encoding = gst_structure_get_string (s, "encoding-name");
  if (!encoding || g_ascii_strcasecmp (encoding, codec.name) != 0)
    return 0;
  gint clock_rate = 0;
  if (gst_structure_get_int (s, "clock-rate", &clock_rate) && clock_rate != codec.clock_rate)
    return 0;
  if (g_str_equal (codec.name, "H264")) {
    const gchar *mode = gst_structure_get_string (s, "packetization-mode");
    if (input.receive) /* the depayloader takes any profile and both modes */
      return mode && g_str_equal (mode, "1") ? 2 : 1;
    if (!mode || !g_str_equal (mode, "1"))
      return 0; /* our payloader fragments (FU-A): mode 1 only */
    return h264_profile_matches (input.raw ? std::string () : input.h264_profile,
                                 h264_offered_profile (s))
               ? 1
               : 0;
  }
  return 1;
}

} // namespace

bool choose_media (const GstSDPMessage *offer, guint mline, const InputFormat &input,
                   const std::vector<const Codec *> &preferences,
                   const std::vector<const Codec *> &encodable, MediaChoice &choice,
                   std::string &error)
{
  ensure_debug ();
  const GstSDPMedia *media = gst_sdp_message_get_media (offer, mline);
  if (!media) {
    error = "no m-line " + std::to_string (mline);
    return false;
  }
  const gchar *kind = gst_sdp_media_get_media (media);
  if (!kind || !g_str_equal (kind, media_kind_name (input.kind))) {
    error = std::string ("m-line ") + std::to_string (mline) + " is not " +
            media_kind_name (input.kind);
    return false;
  }
  std::string offered;
  for (const Codec *codec : preferences) {
    if (codec->kind != input.kind)
      continue;
    if (input.raw ? std::find (encodable.begin (), encodable.end (), codec) == encodable.end ()
                  : codec != input.codec)
      continue;
    int best_score = 0;
    gint best_pt = -1;
    CapsPtr best_caps;
    for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
      gint pt = atoi (gst_sdp_media_get_format (media, i));
      CapsPtr caps (gst_sdp_media_get_caps_from_media (media, pt));
      if (!caps || gst_caps_is_empty (caps.get ()))
        continue;
      int score = score_format (gst_caps_get_structure (caps.get (), 0), *codec, input);
      if (score > best_score) {
        best_score = score;
        best_pt = pt;
        best_caps = std::move (caps);
      }
    }
    if (best_pt < 0)
      continue;
    GstStructure *s = gst_caps_get_structure (best_caps.get (), 0);
    gst_structure_set_name (s, "application/x-rtp");
    gst_structure_set (s, "media", G_TYPE_STRING, media_kind_name (input.kind), "encoding-name",
                       G_TYPE_STRING, codec->name, "payload", G_TYPE_INT, best_pt, "clock-rate",
                       G_TYPE_INT, codec->clock_rate, nullptr);
    choice.mline = mline;
    choice.codec = codec;
    choice.pt = best_pt;
    choice.caps = std::move (best_caps);
    GST_DEBUG ("m-line %u: %s pt %d: %" GST_PTR_FORMAT, mline, codec->name, best_pt,
               choice.caps.get ());
    return true;
  }
  /* Say what the peer offered, so the error is actionable. */
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    gint pt = atoi (gst_sdp_media_get_format (media, i));
    CapsPtr caps (gst_sdp_media_get_caps_from_media (media, pt));
    const gchar *enc =
        caps ? gst_structure_get_string (gst_caps_get_structure (caps.get (), 0), "encoding-name")
             : nullptr;
    if (enc && offered.find (enc) == std::string::npos)
      offered += (offered.empty () ? "" : ", ") + std::string (enc);
  }
  std::string can;
  if (input.raw) {
    for (const Codec *c : preferences)
      if (c->kind == input.kind &&
          std::find (encodable.begin (), encodable.end (), c) != encodable.end ())
        can += (can.empty () ? "" : ", ") + std::string (c->name);
  } else {
    can = input.codec->name;
    if (!input.h264_profile.empty ())
      can += " (" + input.h264_profile + " profile)";
  }
  error = std::string ("no common ") + media_kind_name (input.kind) + " codec: offer has [" +
          offered + "], this stream can " + (input.receive ? "receive" : "send") + " [" + can + "]";
  return false;
}

} // namespace rtc

/* See rtcnegotiation.h. */
#include "rtcnegotiation.h"

#include <algorithm>
#include <set>

#include "rtcsdp.h"

namespace rtc {

namespace {

bool contains (const std::vector<const Codec *> &list, const Codec *codec)
{
  return std::find (list.begin (), list.end (), codec) != list.end ();
}

/* The profile-level-id to offer for encoded H.264 of caps profile @profile. */
const char *h264_profile_level_id (const std::string &profile)
{
  if (profile == "baseline")
    return "42001f";
  if (profile == "main")
    return "4d001f";
  if (profile == "high")
    return "64001f";
  return "42e01f";
}

void append (std::string &list, const std::string &item)
{
  list += (list.empty () ? "" : "; ") + item;
}

} // namespace

bool match_offer (const GstSDPMessage *offer, const LocalMedia &local, OfferMatch &out,
                  std::string &error)
{
  out.lines.clear ();
  std::set<int> used;
  std::string problems;
  for (guint m = 0; m < gst_sdp_message_medias_len (offer); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer, m);
    const gchar *kind_name = gst_sdp_media_get_media (media);
    if (!kind_name || !sdp_media_used (media))
      continue;
    bool video = g_str_equal (kind_name, "video"), audio = g_str_equal (kind_name, "audio");
    if (!video && !audio)
      continue;
    MediaKind kind = video ? MediaKind::VIDEO : MediaKind::AUDIO;
    OfferMatch::Line line;
    line.mline = m;
    InputFormat format;
    if (local.receive) {
      /* A sender's offer: recvonly/inactive m-lines carry nothing for us. */
      if (sdp_media_has (media, "recvonly") || sdp_media_has (media, "inactive"))
        continue;
      format.kind = kind;
      format.receive = true;
    } else {
      for (size_t i = 0; i < local.inputs.size () && line.input < 0; i++)
        if (!used.count ((int)i) && local.inputs[i].kind == kind)
          line.input = (int)i;
      if (line.input < 0)
        continue; /* more m-lines of this kind than inputs */
      used.insert (line.input);
      format = local.inputs[line.input];
    }
    std::string why;
    if (!choose_media (offer, m, format, local.preferences, local.usable, line.choice, why)) {
      append (problems, why);
      continue;
    }
    int twcc = local.twcc ? sdp_extmap_id (media, RTC_TWCC_URI) : 0;
    if (twcc > 0) {
      caps_add_twcc (line.choice.caps.get (), twcc);
      line.twcc = true;
    }
    out.lines.push_back (std::move (line));
  }
  /* Sending, every input m-line must be served; receiving, what can be. */
  if ((!local.receive && !problems.empty ()) || out.lines.empty ()) {
    if (!problems.empty ())
      error = problems;
    else if (local.receive)
      error = "the offer sends no audio or video (its m-lines must be sendonly or sendrecv)";
    else
      error = "the offer has no audio or video m-line this stream can use";
    out.lines.clear ();
    return false;
  }
  return true;
}

bool build_offer (const LocalMedia &local, std::vector<OfferLine> &out, std::string &error)
{
  out.clear ();
  gint pt = 96;
  auto add_line = [&] (MediaKind kind, int input, const InputFormat *format) {
    OfferLine line;
    line.kind = kind;
    line.input = input;
    line.caps.reset (gst_caps_new_empty ());
    for (const Codec *codec : local.preferences) {
      if (codec->kind != kind)
        continue;
      bool usable =
          !format || format->raw ? contains (local.usable, codec) : codec == format->codec;
      if (!usable)
        continue;
      CapsPtr c = rtp_caps_for (*codec, pt++);
      if (format && !format->raw && g_str_equal (codec->name, "H264"))
        gst_caps_set_simple (c.get (), "profile-level-id", G_TYPE_STRING,
                             h264_profile_level_id (format->h264_profile), nullptr);
      gst_caps_append (line.caps.get (), c.release ());
      line.codecs.push_back (codec->name);
    }
    if (gst_caps_is_empty (line.caps.get ()))
      return false;
    if (local.twcc)
      caps_add_twcc (line.caps.get (), OFFERED_TWCC_ID);
    out.push_back (std::move (line));
    return true;
  };
  if (local.receive) {
    for (MediaKind kind : {MediaKind::VIDEO, MediaKind::AUDIO})
      add_line (kind, -1, nullptr);
    if (out.empty ())
      error = "no codec can be received (check codec-preferences and the installed "
              "depayloaders and decoders)";
    return !out.empty ();
  }
  for (size_t i = 0; i < local.inputs.size (); i++) {
    if (!add_line (local.inputs[i].kind, (int)i, &local.inputs[i])) {
      error = std::string ("no codec to send ") + media_kind_name (local.inputs[i].kind) +
              " input " + std::to_string (i) +
              " with (check codec-preferences and the installed encoders)";
      out.clear ();
      return false;
    }
  }
  if (out.empty ())
    error = "nothing to offer: the element has no inputs";
  return !out.empty ();
}

bool read_answer (const GstSDPMessage *answer, const std::vector<MediaKind> &offered,
                  std::vector<AnsweredLine> &out, std::string &error)
{
  out.clear ();
  for (guint m = 0; m < offered.size (); m++) {
    /* An answer may have fewer m-lines than we offered (GstSDP's getter
     * does not check the index). */
    const GstSDPMedia *media = answer && m < gst_sdp_message_medias_len (answer)
                                   ? gst_sdp_message_get_media (answer, m)
                                   : nullptr;
    if (!media || gst_sdp_media_get_port (media) == 0 || gst_sdp_media_formats_len (media) == 0)
      continue;
    const gchar *format = gst_sdp_media_get_format (media, 0);
    gint pt =
        format && g_ascii_isdigit (format[0]) ? (gint)g_ascii_strtoll (format, nullptr, 10) : -1;
    CapsPtr caps (pt >= 0 && pt <= 127 ? gst_sdp_media_get_caps_from_media (media, pt) : nullptr);
    const gchar *enc =
        caps ? gst_structure_get_string (gst_caps_get_structure (caps.get (), 0), "encoding-name")
             : nullptr;
    const Codec *codec = enc ? codec_by_name (enc) : nullptr;
    if (!codec || codec->kind != offered[m]) {
      error = std::string ("the peer answered m-line ") + std::to_string (m) +
              " with a codec we did not offer (" + (enc ? enc : "?") + ")";
      out.clear ();
      return false;
    }
    out.push_back ({m, codec, pt});
  }
  if (out.empty ()) {
    error = "the peer accepted none of our media";
    return false;
  }
  return true;
}

bool sdp_has_twcc (const GstSDPMessage *sdp)
{
  for (guint m = 0; sdp && m < gst_sdp_message_medias_len (sdp); m++)
    if (sdp_extmap_id (gst_sdp_message_get_media (sdp, m), RTC_TWCC_URI) > 0)
      return true;
  return false;
}

} // namespace rtc

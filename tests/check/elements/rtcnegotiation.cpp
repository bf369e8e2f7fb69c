/* The negotiation module (gst/rtc/rtcnegotiation.h) on the stored browser
 * offers, in both directions: which m-lines an element takes and with which
 * codec, what it offers itself, and what it reads from an answer; whether a
 * description carries media at all (rtcsdp.h). */
#include <gst/check/gstcheck.h>
#include <string>

#include <gst/rtp/rtp.h>

#include "rtcaudiolevel.h"
#include "rtcnegotiation.h"
#include "rtcptr.h"
#include "rtcsdp.h"

using namespace rtc;

namespace {

std::string fixture (const char *name)
{
  std::string path = std::string (FIXTURES_DIR) + "/offers/" + name;
  gchar *text = nullptr;
  fail_unless (g_file_get_contents (path.c_str (), &text, nullptr, nullptr), "missing %s",
               path.c_str ());
  std::string out = text;
  g_free (text);
  return out;
}

GstSDPMessage *parse (const std::string &text)
{
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text (text.c_str (), &sdp);
  return sdp;
}

/* A browser's viewer offer turned into a publisher's: it sends. */
std::string as_sender (std::string text)
{
  for (size_t at; (at = text.find ("a=recvonly")) != std::string::npos;)
    text.replace (at, strlen ("a=recvonly"), "a=sendonly");
  return text;
}

std::vector<const Codec *> codecs (const char *names)
{
  std::vector<const Codec *> out;
  std::string error;
  fail_unless (parse_codec_preferences (names, out, error), "%s", error.c_str ());
  return out;
}

InputFormat raw (MediaKind kind)
{
  InputFormat f;
  f.kind = kind;
  return f;
}

InputFormat encoded (const char *codec, const char *h264_profile = "")
{
  InputFormat f;
  f.raw = false;
  f.codec = codec_by_name (codec);
  f.kind = f.codec->kind;
  f.h264_profile = h264_profile;
  return f;
}

LocalMedia sender (std::vector<InputFormat> inputs, const char *usable = "VP8,H264,VP9,OPUS")
{
  LocalMedia l;
  l.inputs = std::move (inputs);
  l.preferences = codecs ("VP8,H264,VP9,OPUS");
  l.usable = *usable ? codecs (usable) : std::vector<const Codec *> ();
  return l;
}

LocalMedia receiver (const char *usable)
{
  LocalMedia l;
  l.receive = true;
  l.preferences = codecs ("VP8,H264,VP9,OPUS");
  l.usable = *usable ? codecs (usable) : std::vector<const Codec *> ();
  return l;
}

const char *kind_of (const GstSDPMessage *sdp, guint mline)
{
  return gst_sdp_media_get_media (gst_sdp_message_get_media (sdp, mline));
}

} // namespace

/* Every stored browser offer: the video m-line takes video_0, the audio one
 * audio_0, with the preferred codec the browser offers; transport-wide
 * feedback where the browser offers it. */
GST_START_TEST (test_send_on_browser_offers)
{
  struct Case {
    const char *file, *video;
  } cases[] = {{"chromium.sdp", "VP8"}, {"firefox.sdp", "VP8"}, {"safari-h264.sdp", "H264"}};
  for (auto &c : cases) {
    GstSDPMessage *offer = parse (fixture (c.file));
    OfferMatch match;
    std::string error;
    fail_unless (match_offer (offer, sender ({raw (MediaKind::VIDEO), raw (MediaKind::AUDIO)}),
                              match, error),
                 "%s: %s", c.file, error.c_str ());
    fail_unless_equals_int (match.lines.size (), 2);
    for (auto &line : match.lines) {
      bool video = g_str_equal (kind_of (offer, line.mline), "video");
      fail_unless_equals_int (line.input, video ? 0 : 1);
      fail_unless_equals_string (line.choice.codec->name, video ? c.video : "OPUS");
      fail_unless_equals_int (
          line.twcc,
          sdp_extmap_id (gst_sdp_message_get_media (offer, line.mline), RTC_TWCC_URI) > 0);
    }
    gst_sdp_message_free (offer);
  }
}
GST_END_TEST;

/* Fewer inputs than m-lines: an audio-only stream serves a browser's audio
 * m-line and leaves its video one; no codec for an input refuses the offer
 * and says why. */
GST_START_TEST (test_send_mismatches)
{
  GstSDPMessage *offer = parse (fixture ("chromium.sdp"));
  OfferMatch match;
  std::string error;
  fail_unless (match_offer (offer, sender ({raw (MediaKind::AUDIO)}), match, error));
  fail_unless_equals_int (match.lines.size (), 1);
  fail_unless_equals_string (kind_of (offer, match.lines[0].mline), "audio");
  /* No encoder for raw video. */
  fail_if (match_offer (offer, sender ({raw (MediaKind::VIDEO)}, "OPUS"), match, error));
  fail_unless (!error.empty ());
  gst_sdp_message_free (offer);
  /* Encoded VP9 to a browser that offers only H.264. */
  offer = parse (fixture ("safari-h264.sdp"));
  error.clear ();
  fail_if (match_offer (offer, sender ({encoded ("VP9")}), match, error));
  fail_unless (error.find ("VP9") != std::string::npos, "%s", error.c_str ());
  fail_unless (match.lines.empty ());
  gst_sdp_message_free (offer);
}
GST_END_TEST;

/* Receiving: the m-lines a publisher sends on get a codec we can take in;
 * a viewer's (recvonly) offer sends nothing. */
GST_START_TEST (test_receive)
{
  GstSDPMessage *offer = parse (as_sender (fixture ("firefox.sdp")));
  OfferMatch match;
  std::string error;
  fail_unless (match_offer (offer, receiver ("VP8,OPUS"), match, error), "%s", error.c_str ());
  fail_unless_equals_int (match.lines.size (), 2);
  for (auto &line : match.lines)
    fail_unless_equals_string (line.choice.codec->name,
                               g_str_equal (kind_of (offer, line.mline), "video") ? "VP8" : "OPUS");
  /* Only audio can be received: the video m-line is left out, not refused. */
  fail_unless (match_offer (offer, receiver ("OPUS"), match, error));
  fail_unless_equals_int (match.lines.size (), 1);
  gst_sdp_message_free (offer);

  offer = parse (fixture ("chromium.sdp"));
  fail_if (match_offer (offer, receiver ("VP8,OPUS"), match, error));
  fail_unless (error.find ("sends no audio or video") != std::string::npos, "%s", error.c_str ());
  gst_sdp_message_free (offer);
}
GST_END_TEST;

/* Our own offers: one m-line per input with every codec it can be sent as
 * (encoded input: its own codec and H.264 profile), TWCC when estimating;
 * receiving, a video and an audio m-line with what we can take in. */
GST_START_TEST (test_build_offers)
{
  std::vector<OfferLine> lines;
  std::string error;
  LocalMedia send = sender ({raw (MediaKind::VIDEO), encoded ("H264", "high")}, "VP8,H264,OPUS");
  send.inputs.push_back (raw (MediaKind::AUDIO));
  fail_unless (build_offer (send, lines, error), "%s", error.c_str ());
  fail_unless_equals_int (lines.size (), 3);
  fail_unless (lines[0].codecs == std::vector<std::string> ({"VP8", "H264"}));
  fail_unless (lines[1].codecs == std::vector<std::string> ({"H264"}));
  const GstStructure *h264 = gst_caps_get_structure (lines[1].caps.get (), 0);
  fail_unless_equals_string (gst_structure_get_string (h264, "profile-level-id"), "64001f");
  fail_unless (lines[2].codecs == std::vector<std::string> ({"OPUS"}));
  for (auto &l : lines)
    fail_unless (gst_structure_has_field (gst_caps_get_structure (l.caps.get (), 0),
                                          ("extmap-" + std::to_string (OFFERED_TWCC_ID)).c_str ()));
  /* Without congestion control, no TWCC. */
  send.twcc = false;
  fail_unless (build_offer (send, lines, error));
  fail_if (gst_structure_has_field (gst_caps_get_structure (lines[0].caps.get (), 0),
                                    ("extmap-" + std::to_string (OFFERED_TWCC_ID)).c_str ()));
  /* An input that cannot be sent: no offer, and why. */
  fail_if (build_offer (sender ({raw (MediaKind::VIDEO)}, "OPUS"), lines, error));
  fail_unless (error.find ("no codec to send video") != std::string::npos, "%s", error.c_str ());

  fail_unless (build_offer (receiver ("VP8,VP9,OPUS"), lines, error));
  fail_unless_equals_int (lines.size (), 2);
  fail_unless (lines[0].kind == MediaKind::VIDEO && lines[1].kind == MediaKind::AUDIO);
  fail_unless (lines[0].codecs == std::vector<std::string> ({"VP8", "VP9"}));
  fail_if (build_offer (receiver (""), lines, error));
}
GST_END_TEST;

static const char *ANSWER = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                            "m=video 9 UDP/TLS/RTP/SAVPF 97\r\na=rtpmap:97 H264/90000\r\n"
                            "a=extmap:3 http://www.ietf.org/id/"
                            "draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
                            "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\n";

/* What the peer chose: the codec and payload type per m-line, refused
 * m-lines (port 0) left out; a codec of the wrong kind is an error. */
GST_START_TEST (test_read_answer)
{
  GstSDPMessage *answer = parse (ANSWER);
  std::vector<AnsweredLine> lines;
  std::string error;
  fail_unless (read_answer (answer, {MediaKind::VIDEO, MediaKind::AUDIO}, lines, error), "%s",
               error.c_str ());
  fail_unless_equals_int (lines.size (), 1);
  fail_unless_equals_int (lines[0].mline, 0);
  fail_unless_equals_string (lines[0].codec->name, "H264");
  fail_unless_equals_int (lines[0].pt, 97);
  fail_unless (sdp_has_twcc (answer));
  /* We offered audio on m-line 0: H.264 there is not an answer to it. */
  fail_if (read_answer (answer, {MediaKind::AUDIO, MediaKind::AUDIO}, lines, error));
  fail_unless (error.find ("H264") != std::string::npos, "%s", error.c_str ());
  gst_sdp_message_free (answer);
  /* Everything refused. */
  answer = parse ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                  "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n");
  fail_if (read_answer (answer, {MediaKind::VIDEO}, lines, error));
  fail_unless (error.find ("accepted none") != std::string::npos, "%s", error.c_str ());
  fail_if (sdp_has_twcc (answer));
  gst_sdp_message_free (answer);
}
GST_END_TEST;

/* Whether a peer's description carries media (RTP or RTCP flows): what the
 * silence expiry asks before it ends a quiet session. A board page's answer
 * (media inactive, data channels) does not. */
GST_START_TEST (test_carries_media)
{
  const std::string head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  const std::string data = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
  const std::string video = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
  const std::string audio = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\n";
  struct Case {
    std::string sdp;
    bool media;
  } cases[] = {
      {head + video + "a=inactive\r\n" + audio + "a=inactive\r\n" + data, false},
      {head + data, false},
      {head + video + "a=recvonly\r\n" + data, true},
      {head + video + "a=sendonly\r\n", true},
      {head + video, true}, /* sendrecv by default */
      {head + "a=inactive\r\n" + video + data, false},
      {head + "a=inactive\r\n" + video + "a=recvonly\r\n", true},
      {head + "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n" + data, false},
      {head + "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=bundle-only\r\na=sendrecv\r\n", true},
  };
  for (auto &c : cases) {
    GstSDPMessage *sdp = parse (c.sdp);
    fail_unless (sdp != nullptr);
    fail_unless (sdp_carries_media (sdp) == c.media, "%s", c.sdp.c_str ());
    gst_sdp_message_free (sdp);
  }
  fail_if (sdp_carries_media (nullptr));
}
GST_END_TEST;

/* Which m-line a peer's description names as a source's (webrtcbin 1.22
 * can lose that when rtpbin times the source out and then gives the stream
 * to m-line 0; the room looks it up itself). */
GST_START_TEST (test_mline_for_ssrc)
{
  const std::string head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  const std::string video = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
  const std::string audio = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\n";
  GstSDPMessage *sdp =
      parse (head + audio + "a=ssrc:11 cname:x\r\n" + video +
             "a=ssrc-group:FID 22 23\r\na=ssrc:22 cname:x\r\na=ssrc:23 cname:x\r\n" + video +
             "a=ssrc:4222610231 msid:a b\r\n" + video + "a=ssrc:222 cname:x\r\n");
  fail_unless (sdp != nullptr);
  fail_unless_equals_int (sdp_mline_for_ssrc (sdp, 11), 0);
  fail_unless_equals_int (sdp_mline_for_ssrc (sdp, 22), 1);
  fail_unless_equals_int (sdp_mline_for_ssrc (sdp, 23), 1);
  fail_unless_equals_int (sdp_mline_for_ssrc (sdp, 4222610231u), 2);
  fail_unless_equals_int (sdp_mline_for_ssrc (sdp, 222), 3);
  fail_unless_equals_int (sdp_mline_for_ssrc (sdp, 2), -1); /* not a prefix match */
  fail_unless_equals_int (sdp_mline_for_ssrc (sdp, 33), -1);
  gst_sdp_message_free (sdp);
  std::string text = fixture ("firefox.sdp");
  sdp = parse (text);
  fail_unless_equals_int (sdp_mline_for_ssrc (sdp, 1653624072u), 0);
  fail_unless_equals_int (sdp_mline_for_ssrc (sdp, 3820858468u), 1);
  gst_sdp_message_free (sdp);
  fail_unless_equals_int (sdp_mline_for_ssrc (nullptr, 11), -1);
}
GST_END_TEST;

/* An RTP packet carrying the audio-level extension (one-byte header, @id)
 * with @level (-dBov) and the voice bit. */
static GstBuffer *rtp_with_level (guint8 id, guint8 level)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (20, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 111);
  guint8 v = 0x80 | level;
  fail_unless (gst_rtp_buffer_add_extension_onebyte_header (&rtp, id, &v, 1));
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

/* RFC 6464: the level read from each packet (the id from the caps'
 * extmap), the loudest since the last take; -127 with no packet. A stream
 * whose caps do not name the extension gives none. */
GST_START_TEST (test_audio_level_tap)
{
  GstPad *src = gst_pad_new ("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_chain_function (sink, [] (GstPad *, GstObject *, GstBuffer *b) {
    gst_buffer_unref (b);
    return GST_FLOW_OK;
  });
  fail_unless_equals_int (gst_pad_link (src, sink), GST_PAD_LINK_OK);
  gst_pad_set_active (src, TRUE);
  gst_pad_set_active (sink, TRUE);
  auto tap = rtc::AudioLevelTap::attach (sink);
  fail_unless (gst_pad_push_event (src, gst_event_new_stream_start ("s")));
  GstCaps *caps = gst_caps_from_string ("application/x-rtp,media=audio,encoding-name=OPUS,"
                                        "clock-rate=48000,payload=111");
  rtc::caps_add_audio_level (caps, 5);
  fail_unless (gst_pad_push_event (src, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (src, gst_event_new_segment (&seg)));
  fail_unless_equals_int ((int)tap->take (), -127);
  fail_if (tap->seen ());
  gst_pad_push (src, rtp_with_level (5, 40));
  gst_pad_push (src, rtp_with_level (5, 25));
  gst_pad_push (src, rtp_with_level (5, 60));
  fail_unless (tap->seen ());
  fail_unless_equals_int ((int)tap->take (), -25);
  fail_unless_equals_int ((int)tap->take (), -127);
  gst_pad_push (src, rtp_with_level (5, 127));
  fail_unless_equals_int ((int)tap->take (), -127);
  /* Another id than the caps name: not this extension. */
  gst_pad_push (src, rtp_with_level (4, 10));
  fail_unless_equals_int ((int)tap->take (), -127);
  gst_pad_set_active (src, FALSE);
  gst_object_unref (src);
  gst_object_unref (sink);
}
GST_END_TEST;

static Suite *rtcnegotiation_suite (void)
{
  Suite *s = suite_create ("rtcnegotiation");
  TCase *tc = tcase_create ("negotiation");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_send_on_browser_offers);
  tcase_add_test (tc, test_send_mismatches);
  tcase_add_test (tc, test_receive);
  tcase_add_test (tc, test_build_offers);
  tcase_add_test (tc, test_read_answer);
  tcase_add_test (tc, test_carries_media);
  tcase_add_test (tc, test_mline_for_ssrc);
  tcase_add_test (tc, test_audio_level_tap);
  return s;
}

GST_CHECK_MAIN (rtcnegotiation);

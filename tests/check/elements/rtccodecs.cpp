/* Codec preference logic and offer matching on stored real offers. */
#include <gst/check/gstcheck.h>
#include <string>

#include "rtccodecs.h"
#include "rtcptr.h"
#include "rtcsdp.h"

using namespace rtc;

static GstSDPMessage *load_offer (const char *name)
{
  std::string path = std::string (FIXTURES_DIR) + "/offers/" + name;
  gchar *text = nullptr;
  fail_unless (g_file_get_contents (path.c_str (), &text, nullptr, nullptr), "missing %s",
               path.c_str ());
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text (text, &sdp);
  g_free (text);
  return sdp;
}

static guint first_mline (const GstSDPMessage *sdp, const char *kind)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    if (g_str_equal (gst_sdp_media_get_media (gst_sdp_message_get_media (sdp, i)), kind))
      return i;
  fail ("no %s m-line", kind);
  return 0;
}

static std::string fmtp_of (const GstSDPMessage *sdp, guint mline, gint pt)
{
  const GstSDPMedia *m = gst_sdp_message_get_media (sdp, mline);
  std::string prefix = std::to_string (pt) + " ";
  for (guint i = 0; i < gst_sdp_media_attributes_len (m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);
    if (g_str_equal (a->key, "fmtp") && a->value && g_str_has_prefix (a->value, prefix.c_str ()))
      return a->value;
  }
  return "";
}

static std::string rtpmap_of (const GstSDPMessage *sdp, guint mline, gint pt)
{
  const GstSDPMedia *m = gst_sdp_message_get_media (sdp, mline);
  std::string prefix = std::to_string (pt) + " ";
  for (guint i = 0; i < gst_sdp_media_attributes_len (m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);
    if (g_str_equal (a->key, "rtpmap") && a->value && g_str_has_prefix (a->value, prefix.c_str ()))
      return a->value + prefix.size ();
  }
  return "";
}

GST_START_TEST (test_parse_preferences)
{
  std::vector<const Codec *> out;
  std::string error;
  fail_unless (parse_codec_preferences ("VP8,H264,VP9,OPUS", out, error));
  fail_unless_equals_int (out.size (), 4);
  fail_unless_equals_string (out[0]->name, "VP8");
  fail_unless_equals_string (out[1]->name, "H264");
  fail_unless (parse_codec_preferences (" h264 , opus ", out, error));
  fail_unless_equals_int (out.size (), 2);
  fail_unless_equals_string (out[0]->name, "H264");
  fail_if (parse_codec_preferences ("VP8,H265", out, error));
  fail_unless (error.find ("H265") != std::string::npos, "error: %s", error.c_str ());
  fail_if (parse_codec_preferences ("VP8,vp8", out, error));
  fail_unless (error.find ("twice") != std::string::npos);
  fail_if (parse_codec_preferences ("", out, error));
}
GST_END_TEST;

GST_START_TEST (test_codec_for_caps)
{
  CapsPtr h264 (gst_caps_from_string ("video/x-h264,stream-format=avc"));
  CapsPtr raw (gst_caps_from_string ("video/x-raw"));
  fail_unless_equals_string (codec_for_caps (h264.get ())->name, "H264");
  fail_unless (codec_for_caps (raw.get ()) == nullptr);
  fail_unless_equals_string (codec_by_name ("opus")->name, "OPUS");
}
GST_END_TEST;

GST_START_TEST (test_h264_profiles)
{
  auto offered = [] (const char *caps) {
    CapsPtr c (gst_caps_from_string (caps));
    return h264_offered_profile (gst_caps_get_structure (c.get (), 0));
  };
  fail_unless (offered ("x,profile-level-id=(string)42e01f") == "constrained-baseline");
  fail_unless (offered ("x,profile-level-id=(string)42001f") == "baseline");
  fail_unless (offered ("x,profile-level-id=(string)4d001f") == "main");
  fail_unless (offered ("x,profile-level-id=(string)640c1f") == "constrained-high");
  fail_unless (offered ("x,profile-level-id=(string)64001f") == "high");
  fail_unless (offered ("x,profile=(string)high") == "high");
  fail_unless (offered ("x") == "constrained-baseline");
  /* Our encoders make constrained baseline; rtph264pay links on exact names. */
  fail_unless (h264_profile_matches ("", "constrained-baseline"));
  fail_if (h264_profile_matches ("", "baseline"));
  fail_if (h264_profile_matches ("high", "constrained-baseline"));
  fail_unless (h264_profile_matches ("high", "high"));
}
GST_END_TEST;

GST_START_TEST (test_encoders_found)
{
  /* Debian's plugin packages ship software encoders for every codec. */
  for (const char *name : {"VP8", "VP9", "H264", "OPUS"}) {
    std::string enc = find_encoder (*codec_by_name (name));
    fail_if (enc.empty (), "no encoder for %s", name);
  }
}
GST_END_TEST;

/* The bitrate table: each encoder gets its own property and unit, and a
 * change while PLAYING changes what comes out. Counts encoded bytes per
 * input buffer before and after the change (no wall-clock timing). */
struct RateProbe {
  GstElement *encoder;
  guint high; /* bit/s, set at SWITCH_AT */
  guint64 in = 0;
  guint64 bytes_low = 0, bytes_high = 0;
  guint64 frames_low = 0, frames_high = 0;
};

static const guint64 SWITCH_AT = 100, SETTLE = 30, TOTAL = 240;

static GstPadProbeReturn count_in (GstPad *, GstPadProbeInfo *, gpointer data)
{
  auto rp = static_cast<RateProbe *> (data);
  if (++rp->in == SWITCH_AT)
    fail_unless (set_encoder_bitrate (rp->encoder, rp->high));
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn count_out (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto rp = static_cast<RateProbe *> (data);
  gsize size = gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  /* Leave the rate control time to settle after each (re)configuration. */
  if (rp->in > SETTLE && rp->in < SWITCH_AT) {
    rp->bytes_low += size;
    rp->frames_low++;
  } else if (rp->in > SWITCH_AT + SETTLE) {
    rp->bytes_high += size;
    rp->frames_high++;
  }
  return GST_PAD_PROBE_OK;
}

/* An integer property as unsigned, whichever of int/uint it is. */
static guint uint_property (GstElement *e, const char *name)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (e), name);
  fail_unless (pspec != nullptr, "no property %s", name);
  GValue v = G_VALUE_INIT;
  g_value_init (&v, pspec->value_type);
  g_object_get_property (G_OBJECT (e), name, &v);
  guint value = G_VALUE_HOLDS_INT (&v) ? (guint)g_value_get_int (&v) : g_value_get_uint (&v);
  g_value_unset (&v);
  return value;
}

GST_START_TEST (test_encoder_bitrate_while_playing)
{
  struct Case {
    const char *factory, *property;
    bool video;
    guint low, high;     /* bit/s */
    guint expected_high; /* the property's value at @high */
  };
  const Case cases[] = {
      {"vp8enc", "target-bitrate", true, 200000, 1500000, 1500000},
      {"vp9enc", "target-bitrate", true, 200000, 1500000, 1500000},
      {"x264enc", "bitrate", true, 200000, 1500000, 1500},
      {"openh264enc", "bitrate", true, 200000, 1500000, 1500000},
      {"av1enc", "target-bitrate", true, 200000, 1500000, 1500},
      {"opusenc", "bitrate", false, 16000, 128000, 128000},
  };
  const std::string n = std::to_string (TOTAL);
  for (const Case &c : cases) {
    ObjectPtr<GstElementFactory> factory (gst_element_factory_find (c.factory));
    fail_unless (factory != nullptr, "%s missing (install-deps installs it)", c.factory);
    std::string src = c.video
                          ? "videotestsrc pattern=smpte horizontal-speed=4 num-buffers=" + n +
                                " ! video/x-raw,width=320,height=240,framerate=30/1"
                          : "audiotestsrc wave=white-noise samplesperbuffer=960 num-buffers=" + n +
                                " ! audio/x-raw,rate=48000,channels=2";
    GstElement *parsed =
        gst_parse_launch ((src + " ! " + c.factory + " name=enc ! fakesink").c_str (), nullptr);
    fail_unless (parsed != nullptr, "%s", c.factory);
    ObjectPtr<GstElement> pipe (GST_ELEMENT (gst_object_ref_sink (parsed)));
    ObjectPtr<GstElement> enc (gst_bin_get_by_name (GST_BIN (pipe.get ()), "enc"));
    configure_encoder (enc.get (), c.low, 30);
    RateProbe rp{enc.get (), c.high};
    ObjectPtr<GstPad> sink (gst_element_get_static_pad (enc.get (), "sink"));
    ObjectPtr<GstPad> srcpad (gst_element_get_static_pad (enc.get (), "src"));
    gst_pad_add_probe (sink.get (), GST_PAD_PROBE_TYPE_BUFFER, count_in, &rp, nullptr);
    gst_pad_add_probe (srcpad.get (), GST_PAD_PROBE_TYPE_BUFFER, count_out, &rp, nullptr);
    gst_element_set_state (pipe.get (), GST_STATE_PLAYING);
    ObjectPtr<GstBus> bus (gst_element_get_bus (pipe.get ()));
    GstMessage *msg = gst_bus_timed_pop_filtered (
        bus.get (), 120 * GST_SECOND, GstMessageType (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS, "%s did not finish", c.factory);
    gst_message_unref (msg);
    gst_element_set_state (pipe.get (), GST_STATE_NULL);
    fail_unless_equals_int (uint_property (enc.get (), c.property), c.expected_high);
    fail_unless (rp.frames_low > 20 && rp.frames_high > 20,
                 "%s: %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " frames", c.factory, rp.frames_low,
                 rp.frames_high);
    double low = (double)rp.bytes_low / rp.frames_low,
           high = (double)rp.bytes_high / rp.frames_high;
    g_print ("%s: %.0f -> %.0f bytes per buffer (x%.1f)\n", c.factory, low, high, high / low);
    /* 7.5x (8x for audio) more bits asked for: over 2x more out. */
    fail_unless (high > 2 * low, "%s: %.0f B/frame at low, %.0f after the change", c.factory, low,
                 high);
  }
}
GST_END_TEST;

static std::vector<const Codec *> prefs (const char *text)
{
  std::vector<const Codec *> out;
  std::string error;
  fail_unless (parse_codec_preferences (text, out, error), "%s", error.c_str ());
  return out;
}

static std::vector<const Codec *> all_encodable ()
{
  return prefs ("VP8,VP9,H264,OPUS");
}

GST_START_TEST (test_chromium_offer)
{
  GstSDPMessage *sdp = load_offer ("chromium.sdp");
  InputFormat raw_video;
  MediaChoice choice;
  std::string error;
  guint v = first_mline (sdp, "video");
  fail_unless (
      choose_media (sdp, v, raw_video, prefs ("VP8,H264"), all_encodable (), choice, error), "%s",
      error.c_str ());
  fail_unless_equals_string (choice.codec->name, "VP8");
  fail_unless (rtpmap_of (sdp, v, choice.pt) == "VP8/90000", "got %s",
               rtpmap_of (sdp, v, choice.pt).c_str ());
  /* H.264 first: a packetization-mode=1 constrained-baseline payload type. */
  fail_unless (
      choose_media (sdp, v, raw_video, prefs ("H264,VP8"), all_encodable (), choice, error));
  fail_unless_equals_string (choice.codec->name, "H264");
  std::string fmtp = fmtp_of (sdp, v, choice.pt);
  fail_unless (fmtp.find ("packetization-mode=1") != std::string::npos, "%s", fmtp.c_str ());
  fail_unless (fmtp.find ("profile-level-id=42e0") != std::string::npos, "%s", fmtp.c_str ());
  /* The transceiver caps keep the offer's feedback so the answer has it. */
  GstStructure *s = gst_caps_get_structure (choice.caps.get (), 0);
  gboolean pli = FALSE;
  fail_unless (gst_structure_get_boolean (s, "rtcp-fb-nack-pli", &pli) && pli);

  InputFormat audio;
  audio.kind = MediaKind::AUDIO;
  guint a = first_mline (sdp, "audio");
  fail_unless (choose_media (sdp, a, audio, prefs ("OPUS"), all_encodable (), choice, error));
  fail_unless_equals_string (choice.codec->name, "OPUS");
  fail_unless (g_str_has_prefix (rtpmap_of (sdp, a, choice.pt).c_str (), "opus/48000"));
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

GST_START_TEST (test_firefox_offer)
{
  GstSDPMessage *sdp = load_offer ("firefox.sdp");
  InputFormat raw_video;
  MediaChoice choice;
  std::string error;
  guint v = first_mline (sdp, "video");
  fail_unless (
      choose_media (sdp, v, raw_video, prefs ("VP8,H264"), all_encodable (), choice, error), "%s",
      error.c_str ());
  fail_unless_equals_string (choice.codec->name, "VP8");
  fail_unless (rtpmap_of (sdp, v, choice.pt) == "VP8/90000", "got %s",
               rtpmap_of (sdp, v, choice.pt).c_str ());
  InputFormat vp9;
  vp9.raw = false;
  vp9.codec = codec_by_name ("VP9");
  fail_unless (choose_media (sdp, v, vp9, prefs ("VP8,VP9"), all_encodable (), choice, error), "%s",
               error.c_str ());
  fail_unless_equals_string (choice.codec->name, "VP9");
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

GST_START_TEST (test_safari_h264_only_offer)
{
  GstSDPMessage *sdp = load_offer ("safari-h264.sdp");
  InputFormat raw_video;
  MediaChoice choice;
  std::string error;
  guint v = first_mline (sdp, "video");
  /* VP8 is preferred but not offered: H.264 it is, mode 1. */
  fail_unless (
      choose_media (sdp, v, raw_video, prefs ("VP8,H264"), all_encodable (), choice, error), "%s",
      error.c_str ());
  fail_unless_equals_string (choice.codec->name, "H264");
  std::string fmtp = fmtp_of (sdp, v, choice.pt);
  fail_unless (fmtp.find ("packetization-mode=1") != std::string::npos, "%s", fmtp.c_str ());
  /* Only VP8 allowed: a clear error naming both sides. */
  fail_if (choose_media (sdp, v, raw_video, prefs ("VP8"), all_encodable (), choice, error));
  fail_unless (error.find ("H264") != std::string::npos, "%s", error.c_str ());
  fail_unless (error.find ("VP8") != std::string::npos, "%s", error.c_str ());
  /* Encoded high-profile input goes to the high-profile payload type if offered. */
  InputFormat high;
  high.raw = false;
  high.codec = codec_by_name ("H264");
  high.h264_profile = "high";
  if (choose_media (sdp, v, high, prefs ("H264"), all_encodable (), choice, error)) {
    fmtp = fmtp_of (sdp, v, choice.pt);
    fail_unless (fmtp.find ("profile-level-id=64") != std::string::npos, "%s", fmtp.c_str ());
  } else {
    fail_unless (error.find ("high") != std::string::npos, "%s", error.c_str ());
  }
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

GST_START_TEST (test_sdpfrag)
{
  GstSDPMessage *sdp = load_offer ("chromium.sdp");
  const char *mid0 = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, 0), "mid");
  std::string frag = std::string ("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
                                  "m=audio 9 RTP/AVP 0\r\na=mid:") +
                     mid0 +
                     "\r\na=candidate:1 1 udp 2113937151 10.213.0.1 5000 typ host\r\n"
                     "a=end-of-candidates\r\n";
  std::string ufrag, error;
  std::vector<RemoteCandidate> out;
  fail_unless (parse_trickle_sdpfrag (frag, sdp, ufrag, out, error), "%s", error.c_str ());
  fail_unless_equals_string (ufrag.c_str (), "abcd");
  fail_unless_equals_int (out.size (), 1);
  fail_unless_equals_int (out[0].mline, 0);
  fail_unless (g_str_has_prefix (out[0].candidate.c_str (), "candidate:1 1 udp"));
  out.clear ();
  fail_if (parse_trickle_sdpfrag ("m=audio 9 RTP/AVP 0\r\na=mid:nope\r\na=candidate:x\r\n", sdp,
                                  ufrag, out, error));
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

GST_START_TEST (test_bundle_consistency)
{
  GstSDPMessage *sdp = load_offer ("chromium.sdp");
  fail_unless (sdp_bundle_consistent (sdp));
  /* Give the second m-line its own credentials, as aiortc does. */
  GstSDPMedia *m = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (sdp, 1));
  for (guint i = 0; i < gst_sdp_media_attributes_len (m); i++) {
    if (g_str_equal (gst_sdp_media_get_attribute (m, i)->key, "ice-ufrag")) {
      GstSDPAttribute attr;
      gst_sdp_attribute_set (&attr, "ice-ufrag", "other");
      gst_sdp_media_replace_attribute (m, i, &attr);
    }
  }
  fail_if (sdp_bundle_consistent (sdp));
  sdp_remove_bundle (sdp);
  fail_unless (gst_sdp_message_get_attribute_val (sdp, "group") == nullptr);
  fail_unless (sdp_bundle_consistent (sdp));
  gst_sdp_message_free (sdp);
}
GST_END_TEST;

static Suite *rtccodecs_suite (void)
{
  Suite *s = suite_create ("rtccodecs");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_preferences);
  tcase_add_test (tc, test_codec_for_caps);
  tcase_add_test (tc, test_h264_profiles);
  tcase_add_test (tc, test_encoder_bitrate_while_playing);
  tcase_add_test (tc, test_encoders_found);
  tcase_add_test (tc, test_chromium_offer);
  tcase_add_test (tc, test_firefox_offer);
  tcase_add_test (tc, test_safari_h264_only_offer);
  tcase_add_test (tc, test_sdpfrag);
  tcase_add_test (tc, test_bundle_consistency);
  return s;
}

GST_CHECK_MAIN (rtccodecs);

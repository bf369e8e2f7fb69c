/* A trickle PATCH body (application/trickle-ice-sdpfrag, RFC 8840) read
 * against a session's remote description, as the WHEP/WHIP servers do
 * (rtc::parse_trickle_sdpfrag): the remote description is the stored
 * Chromium offer (tests/fixtures/offers/chromium.sdp, read once). */
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzzinit.h"
#include "rtcsdp.h"

namespace {

GstSDPMessage *remote = nullptr;

} // namespace

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  rtc_fuzz::init ();
  gchar *text = nullptr;
  gsize len = 0;
  if (!g_file_get_contents (FUZZ_REMOTE_OFFER, &text, &len, nullptr)) {
    g_printerr ("cannot read %s\n", FUZZ_REMOTE_OFFER);
    abort ();
  }
  gst_sdp_message_new (&remote);
  std::string error;
  if (gst_sdp_message_parse_buffer ((const guint8 *)text, (guint)len, remote) != GST_SDP_OK ||
      !rtc::sdp_validate_offer (remote, error)) {
    g_printerr ("%s is not a valid offer: %s\n", FUZZ_REMOTE_OFFER, error.c_str ());
    abort ();
  }
  g_free (text);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > 64 * 1024)
    return 0; /* the servers' PATCH body limit */
  std::string body ((const char *)data, size);
  std::string ufrag, error;
  std::vector<rtc::RemoteCandidate> out;
  if (rtc::parse_trickle_sdpfrag (body, remote, ufrag, out, error)) {
    for (auto &c : out)
      if (c.mline >= gst_sdp_message_medias_len (remote))
        __builtin_trap (); /* a candidate for an m-line the session does not have */
  }
  return 0;
}

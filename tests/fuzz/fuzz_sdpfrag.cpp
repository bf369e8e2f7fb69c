/* A trickle PATCH body (application/trickle-ice-sdpfrag, RFC 8840) read
 * against a session's remote description, as the WHEP/WHIP servers do
 * (rtc::parse_trickle_sdpfrag): the remote description is the stored
 * Chromium offer (tests/fixtures/offers/chromium.sdp, read once). One with
 * new credentials is an ICE restart: the new offer and the answer's
 * fragment are built from it and checked. */
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
  std::string ufrag, pwd, error;
  std::vector<rtc::RemoteCandidate> out;
  if (!rtc::parse_trickle_sdpfrag (body, remote, ufrag, out, error, &pwd))
    return 0;
  for (auto &c : out)
    if (c.mline >= gst_sdp_message_medias_len (remote))
      __builtin_trap (); /* a candidate for an m-line the session does not have */
  /* An ICE restart: the new offer carries exactly the fragment's
   * credentials, and the answer's fragment comes back out of it. */
  if (ufrag.empty () || !rtc::sdp_ice_credentials_valid (ufrag, pwd))
    return 0;
  GstSDPMessage *offer = rtc::sdp_restart_offer (remote, ufrag, pwd);
  if (rtc::sdp_ice_ufrag (offer, 0) != ufrag || rtc::sdp_ice_pwd (offer, 0) != pwd ||
      !rtc::sdp_candidates (offer).empty ())
    __builtin_trap ();
  std::vector<std::string> candidates;
  for (auto &c : out)
    candidates.push_back (c.candidate);
  std::string frag = rtc::sdp_restart_fragment (offer, candidates);
  std::string again_ufrag, again_pwd;
  std::vector<rtc::RemoteCandidate> again;
  if (!rtc::parse_trickle_sdpfrag (frag, offer, again_ufrag, again, error, &again_pwd) ||
      again_ufrag != ufrag || again_pwd != pwd)
    __builtin_trap (); /* what we answer must parse as what it says */
  gst_sdp_message_free (offer);
  return 0;
}

/* See rtcdtlscheck.h. */
#include "rtcdtlscheck.h"

#include <gst/webrtc/webrtc.h>
#include <vector>

namespace rtc {

std::string sdp_fingerprint (const GstSDPMessage *sdp)
{
  const char *value = gst_sdp_message_get_attribute_val (sdp, "fingerprint");
  for (guint i = 0; !value && i < gst_sdp_message_medias_len (sdp); i++)
    value = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, i), "fingerprint");
  return value ? value : "";
}

std::string pem_fingerprint (const std::string &pem, const std::string &func)
{
  GChecksumType type;
  if (!g_ascii_strcasecmp (func.c_str (), "sha-1"))
    type = G_CHECKSUM_SHA1;
  else if (!g_ascii_strcasecmp (func.c_str (), "sha-256"))
    type = G_CHECKSUM_SHA256;
  else if (!g_ascii_strcasecmp (func.c_str (), "sha-384"))
    type = G_CHECKSUM_SHA384;
  else if (!g_ascii_strcasecmp (func.c_str (), "sha-512"))
    type = G_CHECKSUM_SHA512;
  else
    return "";
  const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  size_t b = pem.find (begin), e = pem.find (end);
  if (b == std::string::npos || e == std::string::npos || e < b)
    return "";
  std::string body = pem.substr (b + begin.size (), e - b - begin.size ());
  gsize len = 0;
  guchar *der = g_base64_decode (body.c_str (), &len);
  if (!der || len == 0) {
    g_free (der);
    return "";
  }
  GChecksum *sum = g_checksum_new (type);
  g_checksum_update (sum, der, len);
  g_free (der);
  std::vector<guint8> digest (g_checksum_type_get_length (type));
  gsize n = digest.size ();
  g_checksum_get_digest (sum, digest.data (), &n);
  g_checksum_free (sum);
  std::string out;
  for (gsize i = 0; i < n; i++) {
    char hex[4];
    g_snprintf (hex, sizeof hex, "%s%02X", i ? ":" : "", digest[i]);
    out += hex;
  }
  return out;
}

std::string webrtcbin_remote_certificate (GstElement *webrtcbin)
{
  GstWebRTCDTLSTransport *dtls = nullptr;
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (webrtcbin, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && !dtls && i < transceivers->len; i++) {
    auto t = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
    GstWebRTCRTPReceiver *receiver = nullptr;
    g_object_get (t, "receiver", &receiver, nullptr);
    if (receiver) {
      g_object_get (receiver, "transport", &dtls, nullptr);
      gst_object_unref (receiver);
    }
  }
  if (transceivers)
    g_array_unref (transceivers);
  if (!dtls) {
    GstWebRTCSCTPTransport *sctp = nullptr;
    g_object_get (webrtcbin, "sctp-transport", &sctp, nullptr);
    if (sctp) {
      g_object_get (sctp, "transport", &dtls, nullptr);
      gst_object_unref (sctp);
    }
  }
  if (!dtls)
    return "";
  gchar *pem = nullptr;
  g_object_get (dtls, "remote-certificate", &pem, nullptr);
  gst_object_unref (dtls);
  std::string out = pem ? pem : "";
  g_free (pem);
  return out;
}

std::string check_remote_fingerprint (GstElement *webrtcbin, const std::string &expected)
{
  size_t space = expected.find (' ');
  if (space == std::string::npos)
    return "the peer's description has no DTLS fingerprint";
  std::string func = expected.substr (0, space), want = expected.substr (space + 1);
  std::string pem = webrtcbin_remote_certificate (webrtcbin);
  if (pem.empty ())
    return "the peer presented no DTLS certificate";
  std::string got = pem_fingerprint (pem, func);
  if (got.empty ())
    return "the peer's DTLS fingerprint uses an unknown hash (" + func + ")";
  if (g_ascii_strcasecmp (got.c_str (), want.c_str ()) != 0)
    return "DTLS fingerprint mismatch: the peer's certificate is not the one its description "
           "names (" +
           func + " " + got + ")";
  return "";
}

} // namespace rtc

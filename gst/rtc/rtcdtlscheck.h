/* RtcDtlsCheck: the check webrtcbin 1.22 leaves out. Its DTLS elements
 * accept any certificate from the peer and never compare it with the
 * a=fingerprint of the peer's description, so a party on the media path
 * could complete the DTLS handshake in the peer's place. Once DTLS is
 * connected, the session compares the peer's certificate with its
 * description's fingerprint and ends on a mismatch.
 *
 * Pure functions (and reads of webrtcbin's properties); thread-safe.
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <string>

namespace rtc {

/* "sha-256 AB:CD:…" of @sdp: the session level's, else the first m-line's
 * that has one; "" when none. */
std::string sdp_fingerprint (const GstSDPMessage *sdp);

/* The fingerprint of the first certificate of @pem with hash @func
 * ("sha-1", "sha-256", "sha-384", "sha-512"), as SDP writes it
 * ("AB:CD:…"); "" for another hash or a PEM without a certificate. */
std::string pem_fingerprint (const std::string &pem, const std::string &func);

/* The peer's certificate (PEM) on @webrtcbin's DTLS transport (its first
 * transceiver's, else the SCTP one's); "" when there is none yet. */
std::string webrtcbin_remote_certificate (GstElement *webrtcbin);

/* "" when @webrtcbin's peer certificate matches @expected (an
 * sdp_fingerprint ()), else why not, in words for a log or a bus message. */
std::string check_remote_fingerprint (GstElement *webrtcbin, const std::string &expected);

} // namespace rtc

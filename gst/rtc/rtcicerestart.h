/* RtcIceRestart: an ICE restart on a webrtcbin that is connected already,
 * as the answerer (RFC 8839 section 4.4.1.1.1; a WHEP/WHIP PATCH with new
 * credentials). GStreamer 1.22 has none: webrtcbin copies its first
 * credentials into every later answer and never restarts libnice's stream
 * ("FIXME: deal with ICE restarts"). PeerSession does it in three steps:
 *
 *  1. before the peer's new offer is set: ice_restart_stream () (libnice
 *     drops its checks and remote candidates, keeps the selected pair so
 *     media flows on until the new checks choose one);
 *  2. webrtcbin applies the offer (it sets the peer's new credentials);
 *  3. our answer gets ice_new_credentials () (rtcsdp.h's
 *     sdp_set_ice_credentials ())
 *     before it is set as the local description: webrtcbin hands them to
 *     libnice then.
 *
 * Nothing is gathered again: the answer's candidates are the ones the peer
 * had (our addresses did not change; the peer's new ones arrive with its
 * offer or as peer-reflexive candidates).
 *
 * Threading: the element's control thread (libnice locks its agent).
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <string>

namespace rtc {

struct IceCredentials {
  std::string ufrag, pwd;
};

/* New local credentials from the system's random source: a 16-character
 * ufrag, a 32-character pwd (RFC 8839: at least 24 and 128 random bits);
 * false when it cannot be read. */
bool ice_new_credentials (IceCredentials &out);
/* The libnice agent (a NiceAgent, new reference) of @webrtcbin and the id
 * of the stream its (bundled) transport uses (0: none found, as without a
 * transceiver); nullptr when webrtcbin's ICE agent is not libnice's. */
GObject *ice_stream_agent (GstElement *webrtcbin, guint &stream_id);
/* Restarts the libnice stream that carries @webrtcbin's (bundled)
 * transport; false with @error when its ICE agent is not libnice's or no
 * stream is found. */
bool ice_restart_stream (GstElement *webrtcbin, std::string &error);

} // namespace rtc

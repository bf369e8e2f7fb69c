/* RtcIceDiagnosis: why a session's ICE did not connect, in words a user can
 * act on. When a session ends without having connected (ICE failed, or the
 * handshake timed out), the session layer's warning carries the candidates
 * each side had and the likely cause (Sessions::remove ()).
 *
 * libnice 0.1 does not expose its check list, so the pairs are not listed;
 * the candidates and the local candidate pair state are what it tells.
 *
 * Threading: ice_diagnose () on the control thread (libnice locks its
 * agent); explain () is pure.
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <string>
#include <vector>

namespace rtc {

struct IceCandidate {
  std::string type;    /* host, srflx, prflx, relay */
  std::string proto;   /* udp, tcp */
  std::string address; /* an IP address, or a name (mDNS: "<uuid>.local") */
  guint port = 0;
  std::string text () const; /* "host udp 10.0.0.1:5000" */
};

struct IceFacts {
  std::vector<IceCandidate> local;
  std::vector<IceCandidate> remote; /* as libnice took them */
  guint remote_mdns = 0;            /* .local names the peer sent (webrtcbin drops them) */
  bool turn_configured = false;     /* turn-servers set (PeerSession knows) */
  bool stun_configured = false;     /* stun-server set */
  bool relay_only = false;          /* ice-transport-policy=relay */
};

/* "host udp 10.0.0.1:5000, srflx udp ..." */
std::string ice_candidates_text (const std::vector<IceCandidate> &candidates);

/* The likely cause, one sentence with what to change. */
std::string ice_explain (const IceFacts &facts);

/* What @webrtcbin's libnice agent has (its bundled stream) and the .local
 * names in the peer's description @remote_sdp (may be null). */
IceFacts ice_facts (GstElement *webrtcbin, const GstSDPMessage *remote_sdp);

} // namespace rtc

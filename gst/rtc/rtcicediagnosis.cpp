/* See rtcicediagnosis.h. */
#include "rtcicediagnosis.h"

#include <agent.h>
#include <gio/gio.h>
#include <gst/webrtc/webrtc.h>
#include <cstring>

#include "rtcicerestart.h"

namespace rtc {

std::string IceCandidate::text () const
{
  bool v6 = address.find (':') != std::string::npos;
  return type + " " + proto + " " + (v6 ? "[" : "") + address + (v6 ? "]" : "") + ":" +
         std::to_string (port);
}

namespace {

bool has_type (const std::vector<IceCandidate> &list, const char *type)
{
  for (auto &c : list)
    if (c.type == type)
      return true;
  return false;
}

/* An IPv4 address in 10/8, 172.16/12, 192.168/16, 169.254/16 or 100.64/10;
 * @net gets its first two octets. */
bool private_v4 (const std::string &address, guint32 &net)
{
  GInetAddress *a = g_inet_address_new_from_string (address.c_str ());
  if (!a)
    return false;
  bool v4 = g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV4;
  const guint8 *b = v4 ? g_inet_address_to_bytes (a) : nullptr;
  bool is_private =
      v4 && (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
             (b[0] == 169 && b[1] == 254) || (b[0] == 100 && (b[1] & 0xc0) == 64));
  if (is_private)
    net = (guint32)b[0] << 8 | b[1];
  g_object_unref (a);
  return is_private;
}

const char *type_name (NiceCandidateType t)
{
  switch (t) {
  case NICE_CANDIDATE_TYPE_HOST:
    return "host";
  case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
    return "srflx";
  case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
    return "prflx";
  case NICE_CANDIDATE_TYPE_RELAYED:
    return "relay";
  default:
    return "?";
  }
}

std::vector<IceCandidate> from_nice (GSList *candidates)
{
  std::vector<IceCandidate> out;
  for (GSList *l = candidates; l; l = l->next) {
    auto c = static_cast<NiceCandidate *> (l->data);
    gchar addr[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string (&c->addr, addr);
    IceCandidate ic;
    ic.type = type_name (c->type);
    ic.proto = c->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp";
    ic.address = addr;
    ic.port = nice_address_get_port (&c->addr);
    out.push_back (ic);
  }
  g_slist_free_full (candidates, (GDestroyNotify)nice_candidate_free);
  return out;
}

} // namespace

std::string ice_explain (const IceFacts &f)
{
  bool have_servers = f.stun_configured || f.turn_configured;
  if (f.local.empty ())
    return "we gathered no candidate: no usable network interface, and no STUN or TURN server "
           "answered; check the host's addresses and stun-server/turn-servers";
  if (f.relay_only && !has_type (f.local, "relay"))
    return "ice-transport-policy is relay, but no relay candidate was gathered: check "
           "turn-servers (address, credentials) and that the TURN server can be reached";
  if (f.remote.empty () && f.remote_mdns > 0)
    return "the peer gave its addresses only as mDNS names (" + std::to_string (f.remote_mdns) +
           " '.local' candidates), which GStreamer 1.22 cannot resolve: a browser reveals its "
           "addresses once the page has camera or microphone permission (or Chromium runs "
           "with --disable-features=WebRtcHideLocalIpsWithMdns); a STUN or TURN server on "
           "both sides gives candidates that need no name";
  if (f.remote.empty ())
    return "the peer sent no candidate (none in its description, none trickled): a client "
           "that does not trickle must wait for its ICE gathering to finish before it sends "
           "its offer";
  /* Peers on different private networks with nothing but host candidates. */
  bool only_private_elsewhere =
      !have_servers && !has_type (f.remote, "srflx") && !has_type (f.remote, "relay");
  for (auto &r : f.remote) {
    guint32 rnet = 0;
    if (!only_private_elsewhere)
      break;
    if (!private_v4 (r.address, rnet)) {
      only_private_elsewhere = false;
      break;
    }
    for (auto &l : f.local) {
      guint32 lnet = 0;
      if (private_v4 (l.address, lnet) && lnet == rnet)
        only_private_elsewhere = false;
    }
  }
  if (only_private_elsewhere)
    return "the peer's only addresses are private ones on another network than ours, and "
           "neither side has a server-reflexive or relayed candidate: set stun-server (behind "
           "a NAT) or turn-servers, and the same on the peer";
  std::string why = "the connectivity checks between these candidates got no answer: a "
                    "firewall or NAT between the peers drops them";
  if (!f.turn_configured)
    why += "; a TURN server (turn-servers) relays through most of them";
  return why;
}

IceFacts ice_facts (GstElement *webrtcbin, const GstSDPMessage *remote_sdp)
{
  IceFacts f;
  guint stream_id = 0;
  GObject *agent = ice_stream_agent (webrtcbin, stream_id);
  if (agent) {
    /* Bundled: one stream, one component; without a transceiver (data
     * channels alone) the one stream is the first. */
    if (!stream_id)
      stream_id = 1;
    f.local = from_nice (nice_agent_get_local_candidates (NICE_AGENT (agent), stream_id, 1));
    f.remote = from_nice (nice_agent_get_remote_candidates (NICE_AGENT (agent), stream_id, 1));
    g_object_unref (agent);
  }
  gchar *stun = nullptr;
  GstWebRTCICETransportPolicy policy = GST_WEBRTC_ICE_TRANSPORT_POLICY_ALL;
  g_object_get (webrtcbin, "stun-server", &stun, "ice-transport-policy", &policy, nullptr);
  f.stun_configured = stun && *stun;
  g_free (stun);
  f.relay_only = policy == GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY;
  for (guint m = 0; remote_sdp && m < gst_sdp_message_medias_len (remote_sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (remote_sdp, m);
    for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
      if (g_strcmp0 (a->key, "candidate") == 0 && a->value && strstr (a->value, ".local "))
        f.remote_mdns++;
    }
  }
  return f;
}

std::string ice_candidates_text (const std::vector<IceCandidate> &candidates)
{
  std::string out;
  for (auto &c : candidates)
    out += (out.empty () ? "" : ", ") + c.text ();
  return out;
}

} // namespace rtc

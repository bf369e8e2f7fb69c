/* SDP helpers on top of GstSDP: candidates into an answer, trickle-ice-sdpfrag
 * (RFC 8840) out of a PATCH body. Pure functions; thread-safe. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <string>
#include <utility>
#include <vector>

namespace rtc {

struct RemoteCandidate {
  guint mline;
  std::string candidate; /* "candidate:..." as webrtcbin's add-ice-candidate takes it */
};

/* Parses a trickle-ice-sdpfrag body against the session's remote description
 * @remote (to map a=mid to m-line index). Sets @ufrag to the fragment's
 * ice-ufrag (empty when absent), and @pwd to its ice-pwd. Returns false with @error for a fragment
 * that does not parse or names an unknown mid. An a=end-of-candidates line
 * is accepted and ignored. */
bool parse_trickle_sdpfrag (const std::string &body, const GstSDPMessage *remote,
                            std::string &ufrag, std::vector<RemoteCandidate> &out,
                            std::string &error, std::string *pwd = nullptr);

/* The ice-ufrag of m-line @mline (or of the session), empty when none. */
std::string sdp_ice_ufrag (const GstSDPMessage *sdp, guint mline);
/* The same for ice-pwd. */
std::string sdp_ice_pwd (const GstSDPMessage *sdp, guint mline);
/* Whether @ufrag and @pwd are ICE credentials (RFC 8839 5.4: 4-256 and
 * 22-256 ice-chars: letters, digits, "+" and "/"). */
bool sdp_ice_credentials_valid (const std::string &ufrag, const std::string &pwd);
/* Every a=candidate of @sdp's m-lines once ("candidate:..."), in order. */
std::vector<std::string> sdp_candidates (const GstSDPMessage *sdp);
/* Replaces every a=ice-ufrag and a=ice-pwd in @sdp, session and media
 * level. */
void sdp_set_ice_credentials (GstSDPMessage *sdp, const std::string &ufrag, const std::string &pwd);

/* ICE restart by PATCH (RFC 9725 4.4.1.1, RFC 8840): the peer's new offer
 * made from its first one @offer and the fragment's credentials (its
 * candidates removed: they belong to the old ICE generation; the new ones
 * come with the fragment). Transfer full. */
GstSDPMessage *sdp_restart_offer (const GstSDPMessage *offer, const std::string &ufrag,
                                  const std::string &pwd);
/* The response's trickle-ice-sdpfrag: @answer's credentials, its first
 * m-line's mid (the BUNDLE's) with @candidates ("candidate:..."), then
 * end-of-candidates. */
std::string sdp_restart_fragment (const GstSDPMessage *answer,
                                  const std::vector<std::string> &candidates);

/* Adds @candidates (m-line, "candidate:..." string) to @sdp and marks
 * end-of-candidates on every m-line when @complete. With BUNDLE all
 * candidates go to every bundled m-line, as browsers expect. */
void sdp_add_candidates (GstSDPMessage *sdp,
                         const std::vector<std::pair<guint, std::string>> &candidates,
                         bool complete);

/* Whether every m-line of each BUNDLE group shares one ice-ufrag, as
 * RFC 8843 requires (aiortc, for one, offers BUNDLE with per-m-line
 * credentials, which webrtcbin refuses). */
bool sdp_bundle_consistent (const GstSDPMessage *sdp);
/* Removes the BUNDLE groups from @sdp. */
void sdp_remove_bundle (GstSDPMessage *sdp);

/* The transport-wide congestion control header extension
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01). */
#define RTC_TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* Whether @media has attribute @key, with or without a value. (A flag
 * attribute's value is NULL in an SDP built in memory, as webrtcbin's
 * are, and "" in one parsed from text: gst_sdp_media_get_attribute_val()
 * cannot tell.) */
bool sdp_media_has (const GstSDPMedia *media, const char *key);
/* Whether m-line @media is in use: a port, or bundle-only (RFC 8843). */
bool sdp_media_used (const GstSDPMedia *media);
/* Whether @sdp has an audio or video m-line in use that is not inactive:
 * one on which RTP or at least RTCP flows. */
bool sdp_carries_media (const GstSDPMessage *sdp);

/* The id @media gives the header extension @uri (a=extmap), or 0. */
int sdp_extmap_id (const GstSDPMedia *media, const char *uri);
/* The m-line of @sdp (a peer's description) that lists @ssrc as one of its
 * sources (a=ssrc:<ssrc> ...), or -1. */
gint sdp_mline_for_ssrc (const GstSDPMessage *sdp, guint32 ssrc);
/* Makes RTP caps (all their structures) carry TWCC as extension @id, with
 * transport-cc feedback, so webrtcbin negotiates it and its rtpsession
 * stamps, acknowledges and reports it. */
void caps_add_twcc (GstCaps *caps, int id);
/* Makes @sdp (our own offer or answer) give each Opus payload type the
 * same parameters on every m-line: drops Opus's sprop-* parameters (one
 * sender's source: stereo, capture rate; hints to a receiver). Left in, the
 * pipeline's audio and the lines that receive or forward audio give one
 * payload type two sets of parameters in one BUNDLE, which Chromium reports
 * as a codec collision ("All codecs must share the same ... parameters"). */
void sdp_unify_opus_formats (GstSDPMessage *sdp);

/* Bounds of what a peer may offer: m-lines (a WHEP/WHIP offer; a room
 * client's depends on the room's size), attributes per m-line or session
 * level, candidates per m-line, formats per m-line. */
constexpr guint SDP_MAX_MLINES = 16;
constexpr guint SDP_MAX_ATTRIBUTES = 256;
constexpr guint SDP_MAX_CANDIDATES = 64;
constexpr guint SDP_MAX_FORMATS = 64;

/* Cheap checks that a text is an SDP offer we can try: parses, has one to
 * @max_mlines m-lines, ice-ufrag and fingerprint present, RTP payload types
 * 0-127, attributes UTF-8 text, within the bounds above. Returns false
 * with @error. */
bool sdp_validate_offer (const GstSDPMessage *sdp, std::string &error,
                         guint max_mlines = SDP_MAX_MLINES);

} // namespace rtc

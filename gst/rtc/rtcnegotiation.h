/* RtcNegotiation: what an element offers and what it accepts, in both
 * directions, whatever the signalling protocol:
 *  - match_offer(): which m-lines of a peer's offer the element takes, and
 *    with which codec and payload type (rtc::choose_media() per m-line);
 *  - build_offer(): the m-lines of the element's own offer;
 *  - read_answer(): what the peer's answer chose for each of them.
 *
 * Sending (webrtcpublish): audio/video m-lines take the element's inputs of
 * their kind in order (the first video m-line gets video_0, ...). Receiving
 * (webrtcsubscribe): every m-line the peer sends on gets a codec the element
 * can take in.
 *
 * Pure functions; thread-safe.
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <string>
#include <vector>

#include "rtccodecs.h"

namespace rtc {

/* The element's side of a negotiation. */
struct LocalMedia {
  bool receive = false;
  /* Sending: the inputs in order (their formats). */
  std::vector<InputFormat> inputs;
  /* Codecs in preference order (codec-preferences). */
  std::vector<const Codec *> preferences;
  /* Sending: the codecs that can be encoded (for raw inputs); receiving:
   * the codecs that can be received (depayloader, and decoder when
   * decoding). */
  std::vector<const Codec *> usable;
  /* Transport-wide congestion control: sending, when the element estimates
   * (the peer's offer must have it too); receiving, always offered and
   * accepted (the sender's estimator needs the feedback). */
  bool twcc = true;
};

/* The m-lines of a peer's offer the element takes. */
struct OfferMatch {
  struct Line {
    guint mline = 0;
    int input = -1; /* sending: index in LocalMedia::inputs */
    MediaChoice choice;
    bool twcc = false; /* transport-wide feedback negotiated on it */
  };
  std::vector<Line> lines;
};

/* Matches @offer against @local. Sending: every input m-line must find a
 * codec; receiving: the m-lines without one are left out. Returns false
 * with @error (both sides' codecs, for the peer) when the offer cannot be
 * served. */
bool match_offer (const GstSDPMessage *offer, const LocalMedia &local, OfferMatch &out,
                  std::string &error);

/* One m-line of the element's own offer. */
struct OfferLine {
  MediaKind kind;
  int input = -1; /* sending: index in LocalMedia::inputs */
  CapsPtr caps;   /* every codec offered, in preference order */
  std::vector<std::string> codecs;
};

/* The id the element's offers give the TWCC header extension. */
constexpr int OFFERED_TWCC_ID = 3;

/* The element's offer: sending, one send-only m-line per input with every
 * codec it can be sent as; receiving, a video and an audio m-line with every
 * codec that can be received. False with @error when an input (sending) or
 * every kind (receiving) has no codec. */
bool build_offer (const LocalMedia &local, std::vector<OfferLine> &out, std::string &error);

/* What the peer's answer chose for one m-line of our offer. */
struct AnsweredLine {
  guint mline = 0;
  const Codec *codec = nullptr;
  gint pt = -1;
};

/* Reads @answer against the kinds of the m-lines we offered (@offered):
 * m-lines the peer refused (port 0) are left out. False with @error when it
 * chose a codec of the wrong kind or one we do not know, or accepted
 * nothing. */
bool read_answer (const GstSDPMessage *answer, const std::vector<MediaKind> &offered,
                  std::vector<AnsweredLine> &out, std::string &error);
/* Whether any m-line of @sdp has the TWCC header extension. */
bool sdp_has_twcc (const GstSDPMessage *sdp);

} // namespace rtc

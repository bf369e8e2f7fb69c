/* RtcRoomRoster: what a participant of a room keeps of the room protocol's
 * state (docs/room-protocol.md), for the participant's side
 * (rtcroomclient.h):
 *
 *  - Roster: everyone else in the room, from welcome.roster and the room's
 *    joined, left, track and mute messages; as JSON for the signaller's
 *    "roster" property;
 *  - Publications: the tracks we announced (`track publish`), by mid, and
 *    their labels: from each of our descriptions the room has, the
 *    `track unpublish` / `track publish` messages that bring the room's
 *    view in line with what that description sends. Labels: "camera" and
 *    "microphone" for the first video and audio line, then "video-2",
 *    "audio-2"...; a mid keeps its label while it sends.
 *
 * Value types; no threads, no I/O.
 */
#pragma once

#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "rtcroomprotocol.h"

namespace rtc {
namespace room {

class Roster {
public:
  /* welcome.roster (nullptr: nobody). */
  void reset (JsonArray *roster);
  void clear () { members_.clear (); }
  /* A room message: joined, left, track or mute; true when the roster
   * changed. Other messages and malformed ones change nothing. */
  bool apply (const Message &m);
  /* [{id, name, tracks: [{id, kind, label, muted}], pipeline}] */
  std::string json () const;
  const std::vector<Participant> &members () const { return members_; }

private:
  Participant *find (const std::string &id);
  std::vector<Participant> members_;
};

class Publications {
public:
  /* The messages, in order, that announce what @sdp (our description, the
   * room has it) sends: unpublish for mids that stopped sending, then
   * publish for new ones. */
  std::vector<std::string> update (const GstSDPMessage *sdp);
  void clear () { published_.clear (); }

private:
  std::string next_label (const std::string &kind) const;
  std::map<std::string, std::pair<std::string, std::string>> published_; /* mid -> kind, label */
};

/* The m-lines @sdp's writer sends on (video or audio, with a mid), in
 * order: what its `track publish` messages announce. */
struct SendingLine {
  std::string mid, kind;
};
std::vector<SendingLine> sdp_sending_lines (const GstSDPMessage *sdp);

/* A participant of a roster, `joined` or `welcome` (false when @o is not
 * one). */
bool parse_participant (JsonObject *o, Participant &out);
bool parse_track (JsonObject *o, Track &out);

} // namespace room
} // namespace rtc

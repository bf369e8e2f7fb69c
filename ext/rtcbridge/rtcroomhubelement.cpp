/* See rtcroomhub.h: what the element calls (descriptions, candidates and
 * sessions it ends, the pipeline's tracks, chat, speaking, mutes, levels,
 * shutdown); the sockets and participants' messages are in rtcroomhub.cpp.
 */
#include "rtcroomhub.h"
#include "rtcroomhubprivate.h"

#include <algorithm>

GstDebugCategory *gst_rtc_room_signaller_category ();
#define GST_CAT_DEFAULT gst_rtc_room_signaller_category ()

namespace rtc {

/* ---- the element ------------------------------------------------------- */

std::string RoomHub::label_of (const std::string &participant, const std::string &track)
{
  const std::vector<room::Track> *tracks = nullptr;
  if (participant == room::PIPELINE_ID)
    tracks = &pipeline_tracks_;
  else if (Participant *p = find (participant))
    tracks = &p->tracks;
  if (tracks)
    for (auto &t : *tracks)
      if (t.id == track)
        return t.label;
  return "";
}

void RoomHub::send_description (const std::string &id, GstWebRTCSDPType type,
                                const GstSDPMessage *sdp)
{
  Participant *p = find (id);
  if (p && p->whip) {
    whip_answer (*p, type, sdp);
    return;
  }
  if (!p || !p->conn) {
    GST_DEBUG_OBJECT (log_, "description for %s, who is gone: dropped", id.c_str ());
    return;
  }
  if (type != GST_WEBRTC_SDP_TYPE_OFFER && type != GST_WEBRTC_SDP_TYPE_ANSWER) {
    GST_WARNING_OBJECT (log_, "%s: a %s is neither offer nor answer: not sent", id.c_str (),
                        gst_webrtc_sdp_type_to_string (type));
    return;
  }
  if (type == GST_WEBRTC_SDP_TYPE_OFFER)
    p->room_offer = true;
  else
    p->client_offer = false;
  p->mids = room::sdp_mids (sdp);
  send (*p->conn, room::description_message (
                      type, sdp, [this] (const std::string &participant, const std::string &track) {
                        return label_of (participant, track);
                      }));
}

void RoomHub::send_candidate (const std::string &id, guint mline, const char *candidate)
{
  Participant *p = find (id);
  if (p && p->whip)
    whip_candidate (*p, mline, candidate);
  if (!p || !p->conn)
    return;
  send (*p->conn, room::candidate_message (mline, candidate, p->mids));
}

void RoomHub::end_session (const std::string &id)
{
  Participant *p = find (id);
  if (!p)
    return;
  Connection *c = p->conn;
  if (p->whip)
    whip_fail (*p, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the room ended the session");
  leave (id, "kicked", false, false);
  if (c)
    close (*c, room::CLOSE_LEAVE, "the session ended");
}

void RoomHub::reject_session (const std::string &id, const std::string &code,
                              const std::string &message, gushort close_code)
{
  Participant *p = find (id);
  if (!p)
    return;
  Connection *c = p->conn;
  if (c)
    send_error (*c, code, message);
  if (p->whip)
    whip_fail (*p,
               code == "unavailable" ? SOUP_STATUS_SERVICE_UNAVAILABLE
               : code == "internal"  ? SOUP_STATUS_INTERNAL_SERVER_ERROR
                                     : SOUP_STATUS_BAD_REQUEST,
               message);
  leave (id, "kicked", false, false);
  if (c)
    close (*c, close_code, message);
}

void RoomHub::set_pipeline_tracks (const std::vector<room::Track> &tracks)
{
  std::vector<room::Track> old = std::move (pipeline_tracks_);
  pipeline_tracks_ = tracks;
  if (old.empty () && tracks.empty ())
    return;
  if (old.empty ()) {
    broadcast (room::joined_message ({room::PIPELINE_ID, room::PIPELINE_ID, tracks, true}));
    return;
  }
  if (tracks.empty ()) {
    broadcast (room::left_message (room::PIPELINE_ID, "left"));
    return;
  }
  auto same = [] (const room::Track &a, const room::Track &b) {
    return a.id == b.id && a.kind == b.kind && a.label == b.label;
  };
  for (auto &t : old)
    if (std::none_of (tracks.begin (), tracks.end (),
                      [&] (const room::Track &n) { return same (n, t); }))
      broadcast (room::track_message ("unpublished", room::PIPELINE_ID, t));
  for (auto &t : tracks)
    if (std::none_of (old.begin (), old.end (), [&] (const room::Track &o) { return same (o, t); }))
      broadcast (room::track_message ("published", room::PIPELINE_ID, t));
}

void RoomHub::send_chat (const std::string &text)
{
  post_chat (room::PIPELINE_ID, room::PIPELINE_ID, text);
}

void RoomHub::send_speaking (const std::string &participant, bool speaking, gint level, bool active)
{
  if (speaking)
    speaking_[participant] = level;
  else
    speaking_.erase (participant);
  if (active)
    active_speaker_ = participant;
  broadcast (room::speaking_message (participant, speaking, level, active));
}

void RoomHub::send_audio_muted (const std::string &participant, bool muted)
{
  if (muted)
    host_muted_.insert (participant);
  else
    host_muted_.erase (participant);
  broadcast (room::audio_muted_message (participant, muted));
}

void RoomHub::send_levels (const std::vector<std::pair<std::string, gint>> &levels)
{
  broadcast (room::levels_message (levels));
}

void RoomHub::shutdown (gushort code, const std::string &reason)
{
  stopped_ = true;
  timer_.reset ();
  participants_.clear ();
  departed_.clear ();
  for (auto &kv : connections_)
    close (*kv.second, code, reason);
}

} // namespace rtc

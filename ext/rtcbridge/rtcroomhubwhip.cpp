/* See rtcroomhub.h (whip_offer ()): WHIP publishers as participants of the
 * room. A WHIP client offers once and never renegotiates: the room answers
 * what it sends (its audio joins the mix with audio-mode=mix, its video is
 * forwarded) and offers it nothing. The room's signaller trickles; a WHIP
 * client here does not, so the answer waits for the element's candidates
 * (end of gathering, or WHIP_GATHER_MS) and carries them.
 *
 * Threading: the server thread, as the whole hub.
 */
#include "rtcroomhub.h"
#include "rtcroomhubprivate.h"

#include <algorithm>

#include "rtchttpaccess.h"
#include "rtchttpserver.h"
#include "rtcsdp.h"

GstDebugCategory *gst_rtc_room_signaller_category ();
#define GST_CAT_DEFAULT gst_rtc_room_signaller_category ()

namespace rtc {

namespace {

/* The longest the answer waits for the element's candidates. */
const guint WHIP_GATHER_MS = 5000;

} // namespace

RoomHub::Whip::~Whip ()
{
  stop_timeout ();
  if (pending) {
    http_respond_text (pending, SOUP_STATUS_GONE, "the session ended before its answer");
    send_reply ();
  }
}

void RoomHub::Whip::send_reply ()
{
  watch.reset ();
  g_signal_handlers_disconnect_by_data (pending, this);
  soup_server_message_unpause (pending);
  g_object_unref (pending);
  pending = nullptr;
}

void RoomHub::Whip::stop_timeout ()
{
  if (!timeout)
    return;
  g_source_destroy (timeout);
  g_source_unref (timeout);
  timeout = nullptr;
}

void RoomHub::whip_offer (SoupServerMessage *msg, GBytes *body, const std::string &name,
                          const std::string &resource_prefix)
{
  if (stopped_) {
    http_respond_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "the room stopped");
    return;
  }
  SdpPtr offer (http_read_sdp_offer (msg, body), gst_sdp_message_free);
  if (!offer)
    return;
  /* Its tracks: the m-lines it sends on, by mid. */
  std::vector<room::Track> tracks;
  for (const std::string &mid : room::sdp_mids (offer.get ())) {
    bool exists = false;
    std::string kind = mid.empty () ? "" : room::sdp_sending_media (offer.get (), mid, exists);
    if (kind == "audio" || kind == "video")
      tracks.push_back ({mid, kind, kind == "audio" ? "microphone" : "camera", false});
  }
  if (tracks.empty ()) {
    http_respond_text (msg, SOUP_STATUS_BAD_REQUEST,
                       "the offer sends nothing: WHIP publishes audio or video (sendonly "
                       "m-lines with a=mid)");
    return;
  }
  Settings s = settings_ ();
  if (participants_.size () >= s.max_participants) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                  "10");
    http_respond_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                       "the room is full (" + std::to_string (s.max_participants) +
                           " participants)");
    return;
  }
  auto whip = std::make_unique<Whip> ();
  if (!random_secret (whip->secret, 16)) {
    GST_ERROR_OBJECT (log_, "no random bytes from /dev/urandom: cannot make a WHIP resource");
    http_respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the room failed");
    return;
  }
  auto p = std::make_unique<Participant> ();
  p->id = new_id_ ();
  p->name = name;
  p->tracks = tracks;
  p->mids = room::sdp_mids (offer.get ());
  whip->room = this;
  whip->participant = p->id;
  whip->location = resource_prefix + "/" + whip->secret;
  whip->pending = SOUP_SERVER_MESSAGE (g_object_ref (msg));
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_whip_disconnected), whip.get ());
  Whip *w = whip.get ();
  whip->watch = std::make_unique<ClientWatch> (msg, [w] { on_whip_disconnected (w->pending, w); });
  soup_server_message_pause (msg);
  p->whip = std::move (whip);

  broadcast (room::joined_message ({p->id, p->name, p->tracks, false}));
  Participant &ref = *p;
  participants_.push_back (std::move (p));
  const char *host = soup_server_message_get_remote_host (msg);
  GST_INFO_OBJECT (log_, "%s joined over WHIP from %s with %zu tracks (%u in the room)",
                   ref.id.c_str (), host ? host : "?", tracks.size (),
                   (guint)participants_.size ());
  events_.participants_changed ((guint)participants_.size ());
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy (offer.get (), &copy);
  GstWebRTCSessionDescription *desc =
      gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, copy);
  std::string id = ref.id;
  events_.session_requested (id, ref.name, desc);
  gst_webrtc_session_description_free (desc);
  /* (The handler may not call back into the hub: @ref is still there.) */
  if (Participant *still = find (id))
    for (auto &t : still->tracks)
      events_.track_published (id, t);
}

bool RoomHub::whip_delete (const std::string &secret)
{
  for (auto &p : participants_)
    if (p->whip && secret_equal (p->whip->secret, secret)) {
      std::string id = p->id;
      GST_INFO_OBJECT (log_, "%s: its WHIP session was deleted", id.c_str ());
      leave (id, "left", false, true);
      return true;
    }
  return false;
}

void RoomHub::on_whip_disconnected (SoupServerMessage *msg, gpointer data)
{
  auto whip = static_cast<Whip *> (data);
  whip->watch.reset ();
  g_signal_handlers_disconnect_by_data (msg, whip);
  g_object_unref (whip->pending);
  whip->pending = nullptr;
  /* Gone before its answer: nobody will use the session. */
  GST_INFO_OBJECT (whip->room->log_, "%s: its WHIP client went before the answer",
                   whip->participant.c_str ());
  whip->room->leave (whip->participant, "disconnected", false, true);
}

gboolean RoomHub::on_whip_timeout (gpointer data)
{
  auto whip = static_cast<Whip *> (data);
  g_source_unref (whip->timeout);
  whip->timeout = nullptr;
  if (Participant *p = whip->room->find (whip->participant)) {
    GST_WARNING_OBJECT (whip->room->log_,
                        "%s: ICE gathering not done in %u ms: answering with %zu candidates",
                        p->id.c_str (), WHIP_GATHER_MS, whip->candidates.size ());
    whip->gathered = true;
    whip->room->whip_finish (*p);
  }
  return G_SOURCE_REMOVE;
}

void RoomHub::whip_answer (Participant &p, GstWebRTCSDPType type, const GstSDPMessage *sdp)
{
  Whip &w = *p.whip;
  if (type != GST_WEBRTC_SDP_TYPE_ANSWER || w.answer || !w.pending) {
    /* The room offers a WHIP client nothing; it cannot take it anyway. */
    GST_WARNING_OBJECT (log_, "%s (WHIP): a %s from the element dropped", p.id.c_str (),
                        gst_webrtc_sdp_type_to_string (type));
    return;
  }
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy (sdp, &copy);
  w.answer.reset (copy);
  if (!w.gathered && !w.timeout) {
    w.timeout = g_timeout_source_new (WHIP_GATHER_MS);
    g_source_set_callback (w.timeout, on_whip_timeout, &w, nullptr);
    g_source_attach (w.timeout, context_);
  }
  whip_finish (p);
}

void RoomHub::whip_candidate (Participant &p, guint mline, const char *candidate)
{
  Whip &w = *p.whip;
  if (!w.pending)
    return; /* answered: a WHIP client takes no later candidate here */
  if (candidate)
    w.candidates.emplace_back (mline, candidate);
  else
    w.gathered = true;
  whip_finish (p);
}

/* Answers the POST once both the answer and the candidates are there. */
void RoomHub::whip_finish (Participant &p)
{
  Whip &w = *p.whip;
  if (!w.pending || !w.answer || !w.gathered)
    return;
  sdp_add_candidates (w.answer.get (), w.candidates, true);
  gchar *text = gst_sdp_message_as_text (w.answer.get ());
  SoupMessageHeaders *h = soup_server_message_get_response_headers (w.pending);
  soup_message_headers_replace (h, "Location", w.location.c_str ());
  soup_message_headers_replace (h, "Access-Control-Expose-Headers", "Location");
  http_respond (w.pending, SOUP_STATUS_CREATED, "application/sdp", text);
  g_free (text);
  w.send_reply ();
  w.stop_timeout ();
  GST_INFO_OBJECT (log_, "%s: WHIP answer sent with %zu candidates", p.id.c_str (),
                   w.candidates.size ());
}

void RoomHub::whip_fail (Participant &p, guint status, const std::string &why)
{
  Whip &w = *p.whip;
  if (!w.pending)
    return;
  http_respond_text (w.pending, status, why);
  w.send_reply ();
}

} // namespace rtc

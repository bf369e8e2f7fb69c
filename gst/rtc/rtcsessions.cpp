/* See rtcsessions.h. */
#include "rtcsessions.h"

#include <algorithm>

#include "rtcsdp.h"

GST_DEBUG_CATEGORY_STATIC (rtc_sessions_debug);
#define GST_CAT_DEFAULT rtc_sessions_debug

namespace rtc {

namespace {

/* How many removed session ids are remembered: a candidate or an end for
 * one of them is a race with the teardown, not bad input. */
const size_t REMEMBERED_REMOVALS = 64;

/* When a description waits for candidates (non-trickling signallers).
 * webrtcbin (1.22) may report gathering complete before it has emitted the
 * candidates, and on a loaded machine the gathering timeout may pass before
 * the description is even made: a description without candidates is useless
 * to a peer that does not trickle, so it waits for them — the first one and
 * BURST_MS for the rest of its burst, or at most LAST_CHANCE_MS more. */
const guint BURST_MS = 20, LAST_CHANCE_MS = 1000;

GError *signaller_error (GstRtcSignallerError code, const std::string &message)
{
  return g_error_new_literal (GST_RTC_SIGNALLER_ERROR, code, message.c_str ());
}

const char *type_name (GstWebRTCSessionDescription *d)
{
  return gst_webrtc_sdp_type_to_string (d->type);
}

} // namespace

Session::~Session ()
{
  if (queued_offer)
    gst_webrtc_session_description_free (queued_offer);
}

Session::Gate::~Gate ()
{
  if (description)
    gst_webrtc_session_description_free (description);
}

Sessions::Sessions (GstElement *element, Names names, Delegate &delegate, DataRouter &data,
                    ControlThread &control)
    : element_ (element), names_ (names), delegate_ (delegate), data_ (data), control_ (control)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_sessions_debug, "rtcsessions", 0,
                             "Sessions of an element: negotiation roles, teardown");
    g_once_init_leave (&once, 1);
  }
}

Sessions::~Sessions ()
{
  unbind ();
}

void Sessions::bind (GstRtcSignaller *signaller)
{
  unbind ();
  signaller_ = GST_RTC_SIGNALLER (g_object_ref (signaller));
  role_ = gst_rtc_signaller_get_role (signaller);
  trickle_ = gst_rtc_signaller_get_trickle (signaller);
  GST_INFO_OBJECT (element_, "signaller %s: the element %s, %s", G_OBJECT_TYPE_NAME (signaller),
                   role_ == GST_RTC_SIGNALLER_ROLE_OFFERER ? "offers" : "answers",
                   trickle_ ? "trickling candidates" : "complete descriptions");
}

void Sessions::unbind ()
{
  if (signaller_)
    g_object_unref (signaller_);
  signaller_ = nullptr;
  pending_.clear ();
}

Session *Sessions::find (const std::string &id)
{
  auto it = sessions_.find (id);
  return it == sessions_.end () ? nullptr : it->second.get ();
}

/* ---- signaller events ---------------------------------------------------- */

void Sessions::session_requested (const std::string &id, const std::string &peer,
                                  GstWebRTCSessionDescription *offer)
{
  if (!signaller_)
    return;
  if (sessions_.count (id)) {
    bad_input (id, "the signaller asked for session " + id + " again while it is live");
    return;
  }
  bool offerer = role_ == GST_RTC_SIGNALLER_ROLE_OFFERER;
  if (offer && offerer && !delegate_.takes_offers_when_offering ()) {
    bad_input (id, "the signaller is an offerer but brought an offer for session " + id);
    reject (id, GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, "this element makes the offers");
    return;
  }
  if (!offer && !offerer) {
    bad_input (id, "the signaller is an answerer but brought no offer for session " + id);
    reject (id, GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, "an offer is needed");
    return;
  }
  if (guint limit = delegate_.max_handshakes ()) {
    guint connecting = 0;
    for (auto &kv : sessions_)
      connecting += kv.second->peer && !kv.second->peer->connected ();
    if (connecting >= limit) {
      GST_INFO_OBJECT (element_, "session %s refused: %u sessions connecting (max-handshakes)",
                       id.c_str (), connecting);
      reject (id, GST_RTC_SIGNALLER_ERROR_UNAVAILABLE,
              "too many sessions are connecting at once (max-handshakes=" + std::to_string (limit) +
                  "); try again in a moment");
      return;
    }
  }
  if (offer)
    answer (id, peer, offer);
  else
    offer_session (id, peer);
}

void Sessions::session_description (const std::string &id, GstWebRTCSessionDescription *description)
{
  Session *s = find (id);
  if (!s) {
    if (!recently_removed (id))
      bad_input (id, std::string ("the signaller brought an ") + type_name (description) +
                         " for unknown session " + id);
    return;
  }
  bool answer = description->type == GST_WEBRTC_SDP_TYPE_ANSWER;
  bool offer = description->type == GST_WEBRTC_SDP_TYPE_OFFER;
  if (answer && s->awaiting_answer && !s->applying_answer) {
    s->applying_answer = true;
    s->peer->set_remote_answer (description);
    return;
  }
  /* The peer answered ours and offers at once: its offer waits for the
   * answer to be applied. */
  if (offer && s->applying_answer && !s->queued_offer) {
    s->queued_offer = gst_webrtc_session_description_copy (description);
    return;
  }
  /* A new offer on a live session: renegotiation (a room's participant
   * added a track). While our own offer is out (glare), the impolite side
   * ignores the peer's (it answers ours and offers again); the polite side
   * drops its own (never applied: PeerSession's Config::polite), answers
   * the peer's, and offers again once that exchange is done. */
  if (offer && s->agreed && !s->answering) {
    if (s->awaiting_answer && !s->peer->polite ()) {
      GST_INFO_OBJECT (element_, "session %s: the peer's offer crossed ours; ignored", id.c_str ());
      return;
    }
    if (s->awaiting_answer) {
      GST_INFO_OBJECT (element_,
                       "session %s: the peer's offer crossed ours; ours is dropped, the peer's "
                       "answered, ours made again after",
                       id.c_str ());
      s->peer->drop_local_offer ();
      s->awaiting_answer = false;
      s->offer_again = true;
    }
    s->answering = true;
    s->peer->set_remote_offer (description);
    return;
  }
  bad_input (id, std::string ("the signaller brought an ") + type_name (description) +
                     " for session " + id + ", which " +
                     (answer  ? "waits for no answer"
                      : offer ? (s->agreed ? "is answering an offer already"
                                           : "has not finished its first exchange")
                              : "only takes offers and answers"));
}

void Sessions::renegotiate (const std::string &id)
{
  Session *s = find (id);
  if (!s)
    return;
  if (!s->agreed || s->awaiting_answer || s->answering || s->queued_offer) {
    s->offer_again = true; /* once the exchange under way is done */
    return;
  }
  s->offer_again = false;
  s->awaiting_answer = true;
  s->peer->make_offer ();
}

void Sessions::remote_candidate (const std::string &id, guint mline, const std::string &candidate)
{
  Session *s = find (id);
  if (!s) {
    if (!recently_removed (id))
      bad_input (id, "the signaller brought an ICE candidate for unknown session " + id);
    return;
  }
  if (candidate.empty ())
    return; /* end of candidates: webrtcbin needs nothing */
  s->peer->add_remote_candidate (mline, candidate);
}

void Sessions::session_ended (const std::string &id)
{
  pending_.erase (std::remove_if (pending_.begin (), pending_.end (),
                                  [&id] (const std::pair<std::string, std::string> &p) {
                                    return p.first == id;
                                  }),
                  pending_.end ());
  Session *s = find (id);
  if (!s)
    return;
  remove (id, s->offerer ? "the session ended" : std::string ("the ") + names_.peer + " left",
          false, false);
}

void Sessions::state_changed (const std::string &state, const std::string &detail)
{
  delegate_.signaller_state (state, detail);
}

void Sessions::error (const std::string &message)
{
  delegate_.signaller_error (message);
}

/* ---- making sessions ------------------------------------------------------ */

Session &Sessions::add (std::unique_ptr<Session> session, const std::string &id,
                        const std::string &peer, bool offerer, const Plan &plan)
{
  Session &s = *session;
  s.id = id;
  s.peer_address = peer;
  s.offerer = offerer;
  s.gate.serial = ++next_serial_;
  s.peer = std::make_unique<PeerSession> (
      id, peer, GST_BIN (element_),
      [this] (const std::string &sid, PeerSession::Event ev, const std::string &detail) {
        control_.post ([this, sid, ev, detail] () { on_event (sid, ev, detail); });
      });
  sessions_[id] = std::move (session);
  if (s.peer->webrtcbin ())
    data_.attach (id, s.peer->webrtcbin ());
  delegate_.created (s);
  if (!trickle_)
    gate_timer (s, (guint)(plan.config.gather_timeout / GST_MSECOND), true);
  return s;
}

void Sessions::answer (const std::string &id, const std::string &peer,
                       GstWebRTCSessionDescription *offer)
{
  std::string error;
  if (offer->type != GST_WEBRTC_SDP_TYPE_OFFER || !sdp_validate_offer (offer->sdp, error)) {
    if (offer->type != GST_WEBRTC_SDP_TYPE_OFFER)
      error = std::string ("an ") + type_name (offer) + " is not an offer";
    bad_input (id, "the signaller brought a malformed offer for session " + id + ": " + error);
    reject (id, GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, "malformed offer: " + error);
    return;
  }
  Plan plan;
  Refusal refusal;
  std::unique_ptr<Session> made = delegate_.answer_offer (id, peer, offer->sdp, plan, refusal);
  if (!made) {
    reject (id, refusal.code, refusal.reason);
    return;
  }
  apply_signaller_ice_servers (plan.config);
  Session &s = add (std::move (made), id, peer, false, plan);
  if (plan.build) {
    if (!s.peer->begin (plan.config, error) || !plan.build (*s.peer, error)) {
      remove (id, error, false, false);
      reject (id, GST_RTC_SIGNALLER_ERROR_INTERNAL, error);
      return;
    }
    s.peer->set_remote_offer (offer);
    return;
  }
  if (!s.peer->start (plan.config, offer, plan.choices, error)) {
    remove (id, error, false, false);
    reject (id, GST_RTC_SIGNALLER_ERROR_INTERNAL, error);
  }
}

void Sessions::offer_session (const std::string &id, const std::string &peer)
{
  Plan plan;
  Refusal refusal;
  std::unique_ptr<Session> made = delegate_.make_offer (id, peer, plan, refusal);
  if (!made) {
    if (refusal.wait) {
      GST_INFO_OBJECT (element_, "offer for session %s waits: %s", id.c_str (),
                       refusal.reason.c_str ());
      pending_.push_back ({id, peer});
    } else {
      reject (id, refusal.code, refusal.reason);
    }
    return;
  }
  apply_signaller_ice_servers (plan.config);
  Session &s = add (std::move (made), id, peer, true, plan);
  data_.prepare_offer (id, plan.config);
  std::string error;
  if (plan.build) {
    bool ok = s.peer->begin (plan.config, error) && plan.build (*s.peer, error);
    if (ok && plan.config.before_offer)
      plan.config.before_offer ();
    if (!ok) {
      remove (id, error, true, true);
      return;
    }
    s.awaiting_answer = true;
    s.peer->make_offer ();
    return;
  }
  std::vector<GstCaps *> mlines;
  for (auto &c : plan.mlines)
    mlines.push_back (c.get ());
  if (!s.peer->start_offer (plan.config, mlines, error))
    remove (id, error, true, true);
}

void Sessions::retry_pending ()
{
  std::vector<std::pair<std::string, std::string>> pending;
  pending.swap (pending_);
  for (auto &p : pending)
    if (!sessions_.count (p.first))
      offer_session (p.first, p.second);
}

/* ---- PeerSession events ---------------------------------------------------- */

void Sessions::on_event (const std::string &id, PeerSession::Event event, const std::string &detail)
{
  Session *found = find (id);
  if (!found)
    return;
  Session &s = *found;
  switch (event) {
  case PeerSession::Event::LOCAL_READY: {
    GstWebRTCSessionDescription *desc = s.peer->take_local_description ();
    if (!desc)
      return;
    if (trickle_ || s.gate.sent) {
      send_description (s, desc);
      return;
    }
    s.gate.description = desc;
    gate_check (s, false);
    break;
  }
  case PeerSession::Event::LOCAL_CANDIDATE: {
    auto space = detail.find (' ');
    guint mline = (guint)g_ascii_strtoull (detail.c_str (), nullptr, 10);
    std::string candidate = space == std::string::npos ? "" : detail.substr (space + 1);
    if (trickle_ || s.gate.sent) {
      gst_rtc_signaller_send_ice_candidate (signaller_, id.c_str (), mline, candidate.c_str ());
      return;
    }
    s.gate.candidates.push_back ({mline, candidate});
    gate_check (s, true);
    break;
  }
  case PeerSession::Event::GATHERING_DONE:
    if (trickle_) {
      gst_rtc_signaller_send_ice_candidate (signaller_, id.c_str (), 0, nullptr);
      return;
    }
    s.gate.complete = true;
    gate_check (s, false);
    break;
  case PeerSession::Event::REMOTE_SET: {
    s.awaiting_answer = false;
    s.applying_answer = false;
    if (s.agreed) { /* the answer to a later offer */
      if (s.offer_again && !s.queued_offer)
        renegotiate (id);
      else
        delegate_.renegotiated (s);
    } else {
      std::string error;
      if (!delegate_.answer_applied (s, error)) {
        remove (id, error, true, true);
        return;
      }
      s.agreed = true;
      bool again = s.offer_again && !s.queued_offer;
      delegate_.agreed (s); /* may remove the session */
      if (again)
        renegotiate (id);
    }
    /* The peer's offer that waited: answered now (our own new offer, if
     * any, follows that exchange). */
    Session *still = find (id);
    if (still && still->queued_offer) {
      GstWebRTCSessionDescription *queued = still->queued_offer;
      still->queued_offer = nullptr;
      session_description (id, queued);
      gst_webrtc_session_description_free (queued);
    }
    break;
  }
  case PeerSession::Event::CONNECTED:
    s.connected = true;
    if (!s.connected_us) {
      s.connected_us = g_get_monotonic_time ();
      connect_times_.observe ((s.connected_us - s.peer->created_us ()) / 1e6);
      s.first_media = watch_first_media (s.peer->webrtcbin ());
    }
    GST_INFO_OBJECT (element_, "%s %s connected", names_.peer, id.c_str ());
    /* An offerer opened its channels before the offer. */
    if (!s.offerer)
      data_.connected (id, *s.peer, control_);
    delegate_.connected (s);
    break;
  case PeerSession::Event::FAILED:
    remove (id, detail, true, s.agreed, true);
    break;
  case PeerSession::Event::REFUSED:
    if (s.offerer) {
      remove (id, detail, true, true);
    } else {
      reject (id, GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, detail);
      remove (id, detail, false, false);
    }
    break;
  case PeerSession::Event::CLOSED:
    remove (id, detail, true, false);
    break;
  }
}

void Sessions::send_description (Session &s, GstWebRTCSessionDescription *description)
{
  s.gate.sent = true;
  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_DEBUG) {
    gchar *text = gst_sdp_message_as_text (description->sdp);
    GST_DEBUG_OBJECT (element_, "session %s: our %s:\n%s", s.id.c_str (), type_name (description),
                      text);
    g_free (text);
  }
  bool answer = description->type == GST_WEBRTC_SDP_TYPE_ANSWER;
  if (!answer)
    s.awaiting_answer = true;
  gst_rtc_signaller_send_description (signaller_, s.id.c_str (), description);
  gst_webrtc_session_description_free (description);
  if (!answer)
    return;
  s.answering = false;
  if (!s.agreed) {
    s.agreed = true;
    delegate_.agreed (s); /* may remove the session */
    return;
  }
  if (s.offer_again)
    renegotiate (s.id);
  else
    delegate_.renegotiated (s);
}

/* ---- the description gate (non-trickling signallers) --------------------- */

void Sessions::gate_check (Session &s, bool on_candidate)
{
  Session::Gate &g = s.gate;
  if (g.sent || !g.description || g.armed || !(g.complete || g.timed_out))
    return;
  if (g.candidates.empty ()) {
    if (!g.last_chance) {
      g.last_chance = true;
      gate_timer (s, LAST_CHANCE_MS, false);
    }
    return;
  }
  g.armed = true;
  if (on_candidate)
    gate_timer (s, BURST_MS, false);
  else
    gate_release (s);
}

void Sessions::gate_timer (Session &s, guint ms, bool timeout)
{
  std::string id = s.id;
  guint64 serial = s.gate.serial;
  control_.after (ms, [this, id, serial, timeout] () {
    Session *s = find (id);
    if (!s || s->gate.serial != serial)
      return;
    if (!timeout) {
      gate_release (*s);
      return;
    }
    GST_INFO_OBJECT (element_, "session %s: ICE gathering timeout", id.c_str ());
    s->gate.timed_out = true;
    gate_check (*s, false);
  });
}

void Sessions::gate_release (Session &s)
{
  Session::Gate &g = s.gate;
  if (g.sent || !g.description)
    return;
  sdp_add_candidates (g.description->sdp, g.candidates, g.complete);
  g.candidates.clear ();
  GstWebRTCSessionDescription *desc = g.description;
  g.description = nullptr;
  send_description (s, desc);
}

/* Whether @webrtcbin's ICE got as far as a working pair. */
static bool ice_connected (GstElement *webrtcbin)
{
  GstWebRTCICEConnectionState state = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
  if (webrtcbin)
    g_object_get (webrtcbin, "ice-connection-state", &state, nullptr);
  return state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
         state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED;
}

/* ---- teardown ---------------------------------------------------------- */

void Sessions::reject (const std::string &id, GstRtcSignallerError code, const std::string &reason)
{
  GST_INFO_OBJECT (element_, "%s %s rejected: %s", names_.peer, id.c_str (), reason.c_str ());
  rejected_[code]++;
  if (!signaller_)
    return;
  GError *error = signaller_error (code, reason);
  gst_rtc_signaller_reject_session (signaller_, id.c_str (), error);
  g_error_free (error);
}

void Sessions::remove (const std::string &id, const std::string &reason, bool tell, bool warn,
                       bool explain_ice)
{
  auto it = sessions_.find (id);
  if (it == sessions_.end ())
    return;
  /* Why ICE did not connect, asked before the webrtcbin goes. */
  std::string ice_why, ice_local, ice_remote;
  if (warn && explain_ice && !it->second->connected && it->second->peer &&
      !ice_connected (it->second->peer->webrtcbin ())) {
    IceFacts facts = it->second->peer->ice_facts ();
    ice_why = ice_explain (facts);
    ice_local = ice_candidates_text (facts.local);
    ice_remote = ice_candidates_text (facts.remote);
  }
  std::unique_ptr<Session> s = std::move (it->second);
  sessions_.erase (it);
  removed_.push_back (id);
  if (removed_.size () > REMEMBERED_REMOVALS)
    removed_.pop_front ();
  std::string peer = s->peer->peer_address ();
  if (s->connected_us)
    durations_.observe ((g_get_monotonic_time () - s->peer->created_us ()) / 1e6);
  count_first_media (*s);
  data_.detach (id);
  s->peer.reset (); /* unlinks the media, stops and removes its webrtcbin */
  GST_INFO_OBJECT (element_, "%s %s removed: %s", names_.peer, id.c_str (), reason.c_str ());
  if (tell && signaller_) {
    if (s->agreed || s->offerer)
      gst_rtc_signaller_end_session (signaller_, id.c_str ());
    else
      reject (id, GST_RTC_SIGNALLER_ERROR_INTERNAL, reason);
  }
  if (warn) {
    std::string noun = names_.peer;
    noun[0] = g_ascii_toupper (noun[0]);
    if (ice_why.empty ()) {
      GST_ELEMENT_WARNING_WITH_DETAILS (element_, RESOURCE, FAILED,
                                        ("%s %s: %s", noun.c_str (), id.c_str (), reason.c_str ()),
                                        (nullptr),
                                        (names_.id_field, G_TYPE_STRING, id.c_str (),
                                         "remote-address", G_TYPE_STRING, peer.c_str (), nullptr));
    } else {
      GST_ELEMENT_WARNING_WITH_DETAILS (
          element_, RESOURCE, FAILED,
          ("%s %s: %s. ICE did not connect: %s", noun.c_str (), id.c_str (), reason.c_str (),
           ice_why.c_str ()),
          ("our candidates: %s; the %s's: %s", ice_local.empty () ? "none" : ice_local.c_str (),
           names_.peer, ice_remote.empty () ? "none" : ice_remote.c_str ()),
          (names_.id_field, G_TYPE_STRING, id.c_str (), "remote-address", G_TYPE_STRING,
           peer.c_str (), "ice-diagnosis", G_TYPE_STRING, ice_why.c_str (), "local-candidates",
           G_TYPE_STRING, ice_local.c_str (), "remote-candidates", G_TYPE_STRING,
           ice_remote.c_str (), nullptr));
    }
  }
  delegate_.removed (*s, reason);
}

void Sessions::remove_all (const std::string &reason, bool tell)
{
  std::vector<std::string> ids;
  for (auto &kv : sessions_)
    ids.push_back (kv.first);
  for (auto &id : ids)
    remove (id, reason, tell, false);
}

void Sessions::stop_offering ()
{
  if (signaller_ && role_ == GST_RTC_SIGNALLER_ROLE_OFFERER)
    gst_rtc_signaller_stop (signaller_);
  pending_.clear ();
}

void Sessions::expire (gint64 handshake_us, gint64 silence_us)
{
  gint64 now = g_get_monotonic_time ();
  std::vector<std::pair<std::string, std::string>> expired;
  for (auto &kv : sessions_) {
    PeerSession &peer = *kv.second->peer;
    /* A data-channel message is a sign of life too (a peer without media). */
    if (gint64 data_us = data_.last_received_us (kv.first))
      peer.touch (data_us);
    /* A peer with nothing to send us is not silent for being quiet (its
     * silence counts from when it has something to send). Nor is one whose
     * description carries no media even where we have tracks for it (a
     * board page answers the room's m-lines inactive): it has data channels
     * alone, and an idle one sends nothing that we see (SCTP heartbeats stay
     * inside webrtcbin); its signalling says when it is gone. */
    if (!kv.second->expects_traffic () ||
        (peer.connected () && !sdp_carries_media (peer.remote_sdp ())))
      peer.touch (now);
    std::string why = peer.expiry_reason (now, handshake_us, silence_us, names_.peer);
    if (!why.empty ())
      expired.push_back ({kv.first, why});
  }
  for (auto &e : expired)
    remove (e.first, e.second, true, true, true);
}

void Sessions::bad_input (const std::string &id, const std::string &what)
{
  GST_ELEMENT_WARNING_WITH_DETAILS (element_, STREAM, FAILED,
                                    ("Bad input from the signaller: %s", what.c_str ()),
                                    ("signaller %s; other sessions are not affected",
                                     signaller_ ? G_OBJECT_TYPE_NAME (signaller_) : "?"),
                                    (names_.id_field, G_TYPE_STRING, id.c_str (), nullptr));
}

/* An offerer's signaller may have learnt ICE servers from its peer (a WHIP
 * server's Link headers, in its "ice-servers" property): used when the
 * element has none of its own. */
void Sessions::apply_signaller_ice_servers (PeerSession::Config &config)
{
  if (!config.stun_server.empty () || !config.turn_servers.empty () ||
      !g_object_class_find_property (G_OBJECT_GET_CLASS (signaller_), "ice-servers"))
    return;
  gchar *servers = nullptr;
  g_object_get (signaller_, "ice-servers", &servers, nullptr);
  g_auto (GStrv) urls = g_strsplit (servers ? servers : "", ",", -1);
  g_free (servers);
  for (guint i = 0; urls[i]; i++) {
    std::string url = g_strstrip (urls[i]);
    if (g_str_has_prefix (url.c_str (), "stun") && config.stun_server.empty ())
      config.stun_server = url;
    else if (g_str_has_prefix (url.c_str (), "turn"))
      config.turn_servers.push_back (url);
  }
}

bool Sessions::recently_removed (const std::string &id) const
{
  return std::find (removed_.begin (), removed_.end (), id) != removed_.end ();
}

/* ---- ElementSessions ----------------------------------------------------- */

ElementSessions::ElementSessions (GstElement *element, const char *prefix, Sessions::Names names,
                                  DataRouter &data, ControlThread &control, Hooks hooks)
    : element_ (element), prefix_ (prefix), control_ (control), hooks_ (std::move (hooks)),
      sessions_ (element, names, *this, data, control)
{}

void ElementSessions::post (const std::string &suffix, GstStructure *fields)
{
  gst_structure_set_name (fields, (prefix_ + suffix).c_str ());
  gst_element_post_message (element_, gst_message_new_element (GST_OBJECT (element_), fields));
}

void ElementSessions::created_hook (Session &session)
{
  if (session.peer->webrtcbin () && hooks_.created)
    hooks_.created (session.id, session.peer->webrtcbin ());
}

void ElementSessions::signaller_state (const std::string &state, const std::string &detail)
{
  post ("-client-state", gst_structure_new ("x", "state", G_TYPE_STRING, state.c_str (), "detail",
                                            G_TYPE_STRING, detail.c_str (), nullptr));
}

void ElementSessions::signaller_error (const std::string &message)
{
  if (hooks_.error)
    hooks_.error (message);
}

bool ElementSessions::absorb_session_error (GstMessage *message)
{
  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR || !GST_MESSAGE_SRC (message))
    return false;
  /* The webrtcbin (a direct child of the element) the source is in. */
  GstObject *o = GST_MESSAGE_SRC (message);
  GstObject *webrtcbin = nullptr;
  for (GstObject *cur = o; cur; cur = GST_OBJECT_PARENT (cur)) {
    if (GST_OBJECT_PARENT (cur) == GST_OBJECT (element_)) {
      if (g_str_equal (G_OBJECT_TYPE_NAME (cur), "GstWebRTCBin"))
        webrtcbin = cur;
      break;
    }
  }
  if (!webrtcbin)
    return false;
  GError *err = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error (message, &err, &debug);
  std::string what = err ? err->message : "an error";
  GST_ELEMENT_WARNING (element_, STREAM, FAILED,
                       ("A %s's connection failed (%s); other sessions are not affected",
                        sessions_.names ().peer, what.c_str ()),
                       ("%s: %s", GST_OBJECT_NAME (webrtcbin), debug ? debug : ""));
  g_clear_error (&err);
  g_free (debug);
  auto ref = std::make_shared<ObjectPtr<GstObject>> (ref_object (webrtcbin));
  control_.post ([this, ref, what] () {
    std::string id;
    for (auto &kv : sessions_.all ())
      if (kv.second->peer && GST_OBJECT (kv.second->peer->webrtcbin ()) == ref->get ())
        id = kv.first;
    if (!id.empty ())
      sessions_.remove (id, "its connection failed: " + what, true, false);
  });
  return true;
}

} // namespace rtc

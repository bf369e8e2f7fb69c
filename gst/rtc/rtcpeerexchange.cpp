/* PeerSession (rtcpeersession.h): the offer/answer exchange. Our offers
 * and answers are made and applied (a polite session's later offer only
 * with the peer's answer), the peer's are applied, our DTLS role is kept
 * across exchanges, and sending lines not negotiated yet are parked while
 * a peer's offer is answered. The rest of the class (its webrtcbin, lines,
 * media and events) is in rtcpeersession.cpp. */
#include "rtcpeersession.h"
#include "rtcdtlscheck.h"

#include "rtcpeersessionprivate.h"
#include "rtcsdp.h"

namespace rtc {

using namespace peer;

/* The media's a=setup value, or "". */
static std::string media_setup (const GstSDPMessage *sdp)
{
  for (guint i = 0; sdp && i < gst_sdp_message_medias_len (sdp); i++) {
    const gchar *v = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, i), "setup");
    if (v)
      return v;
  }
  return {};
}

/* webrtcbin 1.22 answers every offer a=setup:active, also a peer's later
 * offer when the peer is the DTLS client since the first exchange: the
 * peer then refuses the answer (it cannot switch roles); and its later
 * offers repeat the setup of the last description it generated (that
 * answer's). Our descriptions keep the role the first exchange gave us
 * (actpass stays on a new m-line of an offer). */
void PeerSession::keep_dtls_role (GstSDPMessage *description, bool offer)
{
  if (dtls_setup_.empty ()) {
    if (!offer) /* our first answer: its role is ours */
      dtls_setup_ = media_setup (description);
    return;
  }
  GstSDPMessage *answer = description;
  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    auto media = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (answer, i));
    for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
      if (g_strcmp0 (attr->key, "setup") != 0 ||
          g_strcmp0 (attr->value, dtls_setup_.c_str ()) == 0 ||
          (offer && g_strcmp0 (attr->value, "actpass") == 0))
        continue;
      GstSDPAttribute replacement;
      gst_sdp_attribute_set (&replacement, "setup", dtls_setup_.c_str ());
      gst_sdp_media_replace_attribute (media, a, &replacement);
    }
  }
}

void PeerSession::set_remote_answer (GstWebRTCSessionDescription *answer)
{
  /* A polite session's offer is applied now, just before its answer
   * (webrtcbin runs the two in that order). */
  GstWebRTCSessionDescription *deferred = nullptr;
  {
    std::lock_guard<std::mutex> g (lock_);
    std::swap (deferred, deferred_);
  }
  if (deferred) {
    g_signal_emit_by_name (webrtcbin_, "set-local-description", deferred,
                           promise_for (this, on_deferred_local_set));
    gst_webrtc_session_description_free (deferred);
  }
  /* The answer to our first offer gives us the other role. */
  if (dtls_setup_.empty ()) {
    std::string peer = media_setup (answer->sdp);
    dtls_setup_ = peer == "active" ? "passive" : peer == "passive" ? "active" : "";
  }
  if (remote_sdp_)
    gst_sdp_message_free (remote_sdp_);
  gst_sdp_message_copy (answer->sdp, &remote_sdp_);
  note_remote_fingerprint (answer->sdp);
  g_signal_emit_by_name (webrtcbin_, "set-remote-description", answer,
                         promise_for (this, on_remote_answer_set));
}

void PeerSession::on_remote_answer_set (GstPromise *promise, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  std::string err = promise_error (promise);
  if (!err.empty ()) {
    l.session->fail ("webrtcbin refused the answer: " + err, Event::REFUSED);
    return;
  }
  l.session->notify_ (l.session->id_, Event::REMOTE_SET, {});
}

void PeerSession::on_remote_set (GstPromise *promise, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  std::string err = promise_error (promise);
  if (!err.empty ()) {
    l.session->fail ("webrtcbin refused the offer: " + err, Event::REFUSED);
    return;
  }
  l.session->creating_offer_ = false;
  g_signal_emit_by_name (l.session->webrtcbin_, "create-answer", nullptr,
                         promise_for (l.session, on_description_created));
}

/* Transceivers webrtcbin made itself from the peer's offer have no codec
 * preferences, and webrtcbin 1.22 cannot offer them again ("ignoring stream
 * without payload type"): each gets the codecs its m-line agreed on. */
static void pin_agreed_codecs (GstElement *webrtcbin)
{
  GstWebRTCSessionDescription *local = nullptr;
  g_object_get (webrtcbin, "current-local-description", &local, nullptr);
  if (!local)
    return;
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (webrtcbin, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; i++) {
    auto trans = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
    GstCaps *prefs = nullptr;
    guint mline = G_MAXUINT;
    g_object_get (trans, "codec-preferences", &prefs, "mlineindex", &mline, nullptr);
    if (prefs) {
      gst_caps_unref (prefs);
      continue;
    }
    const GstSDPMedia *media = mline < gst_sdp_message_medias_len (local->sdp)
                                   ? gst_sdp_message_get_media (local->sdp, mline)
                                   : nullptr;
    if (!media || !gst_sdp_media_get_media (media) ||
        g_strcmp0 (gst_sdp_media_get_media (media), "application") == 0)
      continue;
    GstCaps *caps = gst_caps_new_empty ();
    for (guint f = 0; f < gst_sdp_media_formats_len (media); f++) {
      gint pt = atoi (gst_sdp_media_get_format (media, f));
      GstCaps *c = pt >= 0 && pt <= 127 ? gst_sdp_media_get_caps_from_media (media, pt) : nullptr;
      if (!c)
        continue;
      GstStructure *st = gst_caps_get_structure (c, 0);
      const gchar *enc = gst_structure_get_string (st, "encoding-name");
      /* Retransmission and FEC follow their media; webrtcbin adds them. */
      if (!enc || g_ascii_strcasecmp (enc, "rtx") == 0 || g_ascii_strcasecmp (enc, "red") == 0 ||
          g_ascii_strcasecmp (enc, "ulpfec") == 0) {
        gst_caps_unref (c);
        continue;
      }
      gst_structure_set_name (st, "application/x-rtp");
      gst_structure_set (st, "media", G_TYPE_STRING, gst_sdp_media_get_media (media), nullptr);
      gst_caps_append (caps, c);
    }
    if (!gst_caps_is_empty (caps))
      g_object_set (trans, "codec-preferences", caps, nullptr);
    gst_caps_unref (caps);
  }
  if (transceivers)
    g_array_unref (transceivers);
  gst_webrtc_session_description_free (local);
}

void PeerSession::make_offer ()
{
  pin_agreed_codecs (webrtcbin_);
  creating_offer_ = true;
  {
    std::lock_guard<std::mutex> g (lock_);
    offers_made_++;
  }
  g_signal_emit_by_name (webrtcbin_, "create-offer", nullptr,
                         promise_for (this, on_description_created));
}

void PeerSession::set_remote_offer (GstWebRTCSessionDescription *offer)
{
  /* A later offer (the first one pairs the lines begin ()'s caller made
   * with its m-lines on purpose). */
  bool first = remote_sdp_ == nullptr;
  if (!first) {
    std::string before = sdp_ice_ufrag (remote_sdp_, 0), after = sdp_ice_ufrag (offer->sdp, 0);
    IceCredentials fresh;
    if (!after.empty () && after != before) {
      std::string error;
      if (!ice_new_credentials (fresh))
        GST_WARNING ("session %s: ICE restart without new credentials of ours: no random bytes",
                     id_.c_str ());
      else if (!ice_restart_stream (webrtcbin_, error))
        GST_WARNING ("session %s: ICE restart: %s", id_.c_str (), error.c_str ());
      else
        GST_INFO ("session %s: the peer restarts ICE", id_.c_str ());
      /* The peer lives, though its path did not: nothing may have come
       * from it for seconds (an address that changed). The silence timeout
       * counts from its restart, so it has that long to connect again. */
      touch (g_get_monotonic_time ());
    }
    {
      std::lock_guard<std::mutex> g (lock_);
      answering_ = true;
      restart_ = fresh;
    }
    park_unnegotiated (send_lines_);
    gst_sdp_message_free (remote_sdp_);
  }
  gst_sdp_message_copy (offer->sdp, &remote_sdp_);
  note_remote_fingerprint (offer->sdp);
  if (first) {
    apply_first_offer (offer);
    return;
  }
  g_signal_emit_by_name (webrtcbin_, "set-remote-description", offer,
                         promise_for (this, on_remote_set));
}

void PeerSession::on_description_created (GstPromise *promise, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  auto self = l.session;
  const char *what = self->creating_offer_ ? "offer" : "answer";
  std::string err = promise_error (promise);
  GstWebRTCSessionDescription *desc = nullptr;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (err.empty () && reply)
    gst_structure_get (reply, what, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr);
  if (!desc) {
    self->fail (std::string ("could not create an ") + what + (err.empty () ? "" : ": " + err));
    return;
  }
  self->keep_dtls_role (desc->sdp, self->creating_offer_);
  sdp_unify_opus_formats (desc->sdp);
  if (!self->creating_offer_) {
    IceCredentials restart;
    {
      std::lock_guard<std::mutex> g (self->lock_);
      std::swap (restart, self->restart_);
    }
    if (!restart.ufrag.empty ())
      sdp_set_ice_credentials (desc->sdp, restart.ufrag, restart.pwd);
  }
  bool dropped = false, deferred = false;
  {
    std::lock_guard<std::mutex> g (self->lock_);
    if (self->creating_offer_) {
      dropped = ++self->offers_created_ <= self->dropped_upto_;
      deferred = !dropped && self->polite_;
    }
    if (!dropped)
      self->local_ = gst_webrtc_session_description_copy (desc);
    if (deferred) {
      if (self->deferred_)
        gst_webrtc_session_description_free (self->deferred_);
      self->deferred_ = gst_webrtc_session_description_copy (desc);
    }
  }
  if (!self->creating_offer_)
    self->unpark ();
  if (dropped || deferred) {
    GST_DEBUG ("session %s: our offer %s", self->id_.c_str (),
               dropped ? "was dropped before it was made (glare)"
                       : "waits for the answer to be applied");
    gst_webrtc_session_description_free (desc);
    if (deferred)
      self->local_ready ();
    return;
  }
  g_signal_emit_by_name (self->webrtcbin_, "set-local-description", desc,
                         promise_for (self, on_local_set));
  gst_webrtc_session_description_free (desc);
}

void PeerSession::on_deferred_local_set (GstPromise *promise, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  std::string err = promise_error (promise);
  if (!err.empty ())
    l.session->fail ("could not apply our offer: " + err);
}

void PeerSession::drop_local_offer ()
{
  std::lock_guard<std::mutex> g (lock_);
  dropped_upto_ = offers_made_;
  if (deferred_)
    gst_webrtc_session_description_free (deferred_);
  deferred_ = nullptr;
  /* Not taken yet (its LOCAL_READY still on its way): it goes too. */
  if (local_ && local_->type == GST_WEBRTC_SDP_TYPE_OFFER) {
    gst_webrtc_session_description_free (local_);
    local_ = nullptr;
  }
}

/* Codec preferences that no offer's m-line intersects (another
 * encoding-name), complete enough for webrtcbin to take as they are. */
static GstCaps *parked_caps (GstWebRTCKind kind)
{
  return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
                              kind == GST_WEBRTC_KIND_AUDIO ? "audio" : "video", "encoding-name",
                              G_TYPE_STRING, "X-RTCBRIDGE-PARKED", "payload", G_TYPE_INT, 127,
                              "clock-rate", G_TYPE_INT, 90000, nullptr);
}

void PeerSession::park_unnegotiated (const std::vector<GstPad *> &lines)
{
  std::vector<std::pair<GstWebRTCRTPTransceiver *, GstCaps *>> parked;
  for (GstPad *line : lines) {
    if (mline_of (line) >= 0)
      continue;
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get (line, "transceiver", &trans, nullptr);
    if (!trans)
      continue;
    GstCaps *prefs = nullptr;
    GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
    g_object_get (trans, "codec-preferences", &prefs, "kind", &kind, nullptr);
    if (prefs && gst_caps_get_size (prefs) > 0 &&
        gst_structure_has_field_typed (gst_caps_get_structure (prefs, 0), "encoding-name",
                                       G_TYPE_STRING) &&
        g_str_equal (gst_structure_get_string (gst_caps_get_structure (prefs, 0), "encoding-name"),
                     "X-RTCBRIDGE-PARKED")) {
      gst_caps_unref (prefs); /* parked already */
      gst_object_unref (trans);
      continue;
    }
    GstCaps *park = parked_caps (kind);
    g_object_set (trans, "codec-preferences", park, nullptr);
    gst_caps_unref (park);
    GST_DEBUG ("session %s: a sending line not negotiated yet waits out the peer's offer",
               id_.c_str ());
    parked.push_back ({trans, prefs});
  }
  std::lock_guard<std::mutex> g (lock_);
  parked_.insert (parked_.end (), parked.begin (), parked.end ());
}

void PeerSession::unpark ()
{
  std::vector<std::pair<GstWebRTCRTPTransceiver *, GstCaps *>> parked;
  {
    std::lock_guard<std::mutex> g (lock_);
    answering_ = false;
    parked.swap (parked_);
  }
  for (auto &p : parked) {
    g_object_set (p.first, "codec-preferences", p.second, nullptr);
    gst_object_unref (p.first);
    if (p.second)
      gst_caps_unref (p.second);
  }
}

void PeerSession::on_local_set (GstPromise *promise, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  std::string err = promise_error (promise);
  if (!err.empty ()) {
    l.session->fail ("could not apply our description: " + err);
    return;
  }
  l.session->local_ready ();
}

/* Our description is applied: it goes to the element at once, then the
 * candidates that came before it (webrtcbin may emit some first), then the
 * end of gathering if it is over. notify_lock_ keeps that order against the
 * candidate callbacks. */
void PeerSession::local_ready ()
{
  std::lock_guard<std::mutex> order (notify_lock_);
  std::vector<std::pair<guint, std::string>> early;
  {
    std::lock_guard<std::mutex> g (lock_);
    if (failed_)
      return;
    local_applied_ = true;
    early.swap (local_candidates_);
  }
  notify_ (id_, Event::LOCAL_READY, {});
  for (auto &c : early)
    notify_ (id_, Event::LOCAL_CANDIDATE, std::to_string (c.first) + " " + c.second);
  GstWebRTCICEGatheringState state;
  g_object_get (webrtcbin_, "ice-gathering-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    gathering_done ();
}

} // namespace rtc

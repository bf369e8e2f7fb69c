/* See rtcpeersession.h. */
#include "rtcpeersession.h"
#include "rtcdtlscheck.h"

#include "rtcpeersessionprivate.h"

#include "rtcdebug.h"

#include "rtcsdp.h"
#include "rtcteardown.h"
#include "rtctee.h"

#include <gst/video/video.h>

#include <memory>

RTC_DEBUG_CATEGORY_FUNCTION (rtc_peer_session_category, "rtcpeersession", "One viewer's webrtcbin")

namespace rtc {

using namespace peer;

/* libnice maps ports on the LAN's router by UPnP unless told not to: a
 * surprise for a server, and each agent would start GUPnP threads. */
void disable_upnp (GstElement *webrtcbin)
{
  GObject *ice = nullptr;
  g_object_get (webrtcbin, "ice-agent", &ice, nullptr);
  if (!ice)
    return;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent")) {
    GObject *agent = nullptr;
    g_object_get (ice, "agent", &agent, nullptr);
    if (agent) {
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp"))
        g_object_set (agent, "upnp", FALSE, nullptr);
      g_object_unref (agent);
    }
  }
  g_object_unref (ice);
}

PeerSession::PeerSession (std::string id, std::string peer_address, GstBin *bin, Notify notify)
    : id_ (std::move (id)), peer_address_ (std::move (peer_address)), bin_ (bin),
      notify_ (std::move (notify)), created_us_ (g_get_monotonic_time ())
{
  handle_ = std::make_shared<SessionHandle> ();
  handle_->session = this;
  /* Unique in the element whatever the signaller's ids look like (they may
   * share a prefix), and short: webrtcbin names its threads "<name>:pc" and
   * Linux keeps 15 chars. */
  static std::atomic<guint> serial{0};
  std::string name = "pc" + std::to_string (++serial);
  webrtcbin_ = gst_element_factory_make ("webrtcbin", name.c_str ());
  if (webrtcbin_) {
    gst_object_ref_sink (webrtcbin_);
    disable_upnp (webrtcbin_);
  }
}

PeerSession::~PeerSession ()
{
  {
    std::lock_guard<std::mutex> g (handle_->lock);
    handle_->session = nullptr;
  }
  /* The links' elements and the webrtcbin go in one disposal, the
   * webrtcbin stopped first: a payloader pushing into a webrtcbin whose
   * transport no longer drains (its sink prerolling as the pipeline goes
   * down) is blocked until that webrtcbin flushes. */
  std::vector<GstElement *> elements;
  for (auto &link : links_) {
    if (link.tee_pad)
      link.branch->release_output (link.tee_pad);
    elements.push_back (link.queue);
    elements.push_back (link.payloader);
  }
  links_.clear ();
  if (webrtcbin_) {
    g_signal_handlers_disconnect_matched (webrtcbin_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                          (gpointer)on_ice_candidate, nullptr);
    g_signal_handlers_disconnect_matched (webrtcbin_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                          (gpointer)on_pad_added, nullptr);
    if (rtpbin_) {
      g_signal_handlers_disconnect_matched (rtpbin_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                            (gpointer)on_ssrc_active, nullptr);
      g_signal_handlers_disconnect_matched (rtpbin_, G_SIGNAL_MATCH_FUNC, 0, 0, nullptr,
                                            (gpointer)on_bye_ssrc, nullptr);
      gst_object_unref (rtpbin_);
    }
    /* Its streaming threads may be blocked downstream (a sink prerolling
     * while the pipeline goes down, see rtcteardown.h): stop it without
     * waiting for them. */
    elements.push_back (webrtcbin_);
    dispose_elements (bin_, elements);
    gst_object_unref (webrtcbin_);
  } else {
    dispose_elements (bin_, elements);
  }
  for (GstPad *p : send_lines_)
    gst_object_unref (p);
  for (auto &parked : parked_) {
    gst_object_unref (parked.first);
    if (parked.second)
      gst_caps_unref (parked.second);
  }
  if (deferred_)
    gst_webrtc_session_description_free (deferred_);
  if (local_)
    gst_webrtc_session_description_free (local_);
  if (remote_sdp_)
    gst_sdp_message_free (remote_sdp_);
  GST_DEBUG ("session %s destroyed", id_.c_str ());
}

/* Common set-up of both roles: ICE servers, callbacks, the webrtcbin in the
 * bin and running, the gathering timer. */
bool PeerSession::prepare (const Config &config, std::string &error)
{
  if (!webrtcbin_) {
    error = "webrtcbin is missing (install gstreamer1.0-plugins-bad and gstreamer1.0-nice)";
    return false;
  }
  g_object_set (webrtcbin_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  if (config.latency_ms >= 0)
    g_object_set (webrtcbin_, "latency", (guint)config.latency_ms, nullptr);
  if (!config.stun_server.empty ())
    g_object_set (webrtcbin_, "stun-server", config.stun_server.c_str (), nullptr);
  for (auto &turn : config.turn_servers) {
    gboolean ok = FALSE;
    g_signal_emit_by_name (webrtcbin_, "add-turn-server", turn.c_str (), &ok);
    /* (Named without its user:password: credentials stay out of logs.) */
    size_t at = turn.rfind ('@'), scheme = turn.find ("://");
    std::string shown = at == std::string::npos || scheme == std::string::npos
                            ? turn
                            : turn.substr (0, scheme + 3) + turn.substr (at + 1);
    if (!ok)
      GST_WARNING ("session %s: TURN server %s rejected", id_.c_str (), shown.c_str ());
  }
  if (config.relay_only)
    g_object_set (webrtcbin_, "ice-transport-policy", GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY,
                  nullptr);
  has_turn_ = !config.turn_servers.empty ();
  const HandlePtr &handle = handle_;
  on_src_pad_ = config.on_src_pad;
  polite_ = config.polite;
  g_signal_connect_data (webrtcbin_, "on-ice-candidate", G_CALLBACK (on_ice_candidate),
                         handle_ref (handle), handle_unref_closure, GConnectFlags (0));
  g_signal_connect_data (webrtcbin_, "notify::ice-gathering-state", G_CALLBACK (on_gathering_state),
                         handle_ref (handle), handle_unref_closure, GConnectFlags (0));
  g_signal_connect_data (webrtcbin_, "notify::connection-state", G_CALLBACK (on_connection_state),
                         handle_ref (handle), handle_unref_closure, GConnectFlags (0));
  g_signal_connect_data (webrtcbin_, "notify::ice-connection-state",
                         G_CALLBACK (on_connection_state), handle_ref (handle),
                         handle_unref_closure, GConnectFlags (0));
  if (on_src_pad_)
    g_signal_connect_data (webrtcbin_, "pad-added", G_CALLBACK (on_pad_added), handle_ref (handle),
                           handle_unref_closure, GConnectFlags (0));
  if (config.nack)
    g_signal_connect (webrtcbin_, "on-new-transceiver",
                      G_CALLBACK (+[] (GstElement *, GstWebRTCRTPTransceiver *trans, gpointer) {
                        /* Video only: browsers refuse audio with RTX (an
                         * a=ssrc-group:FID on an audio m-line). */
                        GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
                        g_object_get (trans, "kind", &kind, nullptr);
                        if (kind == GST_WEBRTC_KIND_VIDEO)
                          g_object_set (trans, "do-nack", TRUE, nullptr);
                      }),
                      nullptr);
  return true;
}

/* Adds one transceiver per m-line, the webrtcbin to the bin, and starts it. */
static bool add_transceivers (GstElement *webrtcbin, GstWebRTCRTPTransceiverDirection direction,
                              const std::vector<GstCaps *> &caps, std::string &error)
{
  for (GstCaps *c : caps) {
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_signal_emit_by_name (webrtcbin, "add-transceiver", direction, c, &trans);
    if (!trans) {
      error = "webrtcbin refused a transceiver";
      return false;
    }
    gst_object_unref (trans);
  }
  return true;
}

bool PeerSession::start (const Config &config, GstWebRTCSessionDescription *offer,
                         std::vector<MediaChoice> &choices, std::string &error)
{
  if (!prepare (config, error))
    return false;
  gst_sdp_message_copy (offer->sdp, &remote_sdp_);
  note_remote_fingerprint (offer->sdp);
  std::vector<GstCaps *> caps;
  for (auto &choice : choices) {
    caps.push_back (choice.caps.get ());
    choices_.push_back ({choice.mline, choice.codec->name});
  }
  if (!add_transceivers (webrtcbin_, config.direction, caps, error) || !add_to_bin (config, error))
    return false;
  apply_first_offer (offer);
  return true;
}

/* The peer's first offer to webrtcbin. webrtcbin 1.22 refuses a BUNDLE
 * group whose m-lines have different ICE credentials (aiortc offers so):
 * such an offer is answered unbundled rather than refused. */
void PeerSession::apply_first_offer (GstWebRTCSessionDescription *offer)
{
  if (!sdp_bundle_consistent (offer->sdp)) {
    GST_INFO ("session %s: BUNDLE offered with different ICE credentials, answering without "
              "BUNDLE",
              id_.c_str ());
    GstSDPMessage *copy = nullptr;
    gst_sdp_message_copy (offer->sdp, &copy);
    sdp_remove_bundle (copy);
    GstWebRTCSessionDescription *unbundled =
        gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, copy);
    g_object_set (webrtcbin_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_NONE, nullptr);
    g_signal_emit_by_name (webrtcbin_, "set-remote-description", unbundled,
                           promise_for (this, on_remote_set));
    gst_webrtc_session_description_free (unbundled);
    return;
  }
  g_signal_emit_by_name (webrtcbin_, "set-remote-description", offer,
                         promise_for (this, on_remote_set));
}

bool PeerSession::start_offer (const Config &config, const std::vector<GstCaps *> &mlines,
                               std::string &error)
{
  creating_offer_ = true;
  if (!prepare (config, error) || !add_transceivers (webrtcbin_, config.direction, mlines, error) ||
      !add_to_bin (config, error))
    return false;
  if (config.before_offer)
    config.before_offer ();
  g_signal_emit_by_name (webrtcbin_, "create-offer", nullptr,
                         promise_for (this, on_description_created));
  return true;
}

bool PeerSession::add_to_bin (const Config &config, std::string &error)
{
  gst_bin_add (bin_, webrtcbin_);
  rtpbin_ = gst_bin_get_by_name (GST_BIN (webrtcbin_), "rtpbin");
  if (rtpbin_) {
    g_signal_connect (rtpbin_, "pad-added", G_CALLBACK (on_rtpbin_pad_added), nullptr);
    g_signal_connect_data (rtpbin_, "on-ssrc-active", G_CALLBACK (on_ssrc_active),
                           handle_ref (handle_), handle_unref_closure, GConnectFlags (0));
    if (on_src_pad_)
      g_signal_connect (rtpbin_, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer), nullptr);
    if (config.end_on_bye)
      g_signal_connect_data (rtpbin_, "on-bye-ssrc", G_CALLBACK (on_bye_ssrc), handle_ref (handle_),
                             handle_unref_closure, GConnectFlags (0));
  }
  if (!gst_element_sync_state_with_parent (webrtcbin_)) {
    error = "webrtcbin could not start";
    return false;
  }
  return true;
}

void PeerSession::fail (const std::string &reason, Event event)
{
  {
    std::lock_guard<std::mutex> g (lock_);
    if (failed_)
      return;
    failed_ = true;
  }
  GST_INFO ("session %s failed: %s", id_.c_str (), reason.c_str ());
  notify_ (id_, event, reason);
}

bool PeerSession::begin (const Config &config, std::string &error)
{
  return prepare (config, error) && add_to_bin (config, error);
}

GstPad *PeerSession::add_send_line (GstCaps *caps, const std::string &msid, std::string &error)
{
  GstPadTemplate *templ = gst_element_get_pad_template (webrtcbin_, "sink_%u");
  GstPad *pad = templ ? gst_element_request_pad (webrtcbin_, templ, nullptr, caps) : nullptr;
  GstWebRTCRTPTransceiver *trans = nullptr;
  if (pad)
    g_object_get (pad, "transceiver", &trans, nullptr);
  if (!trans) {
    error = "webrtcbin refused a sending m-line";
    if (pad)
      gst_element_release_request_pad (webrtcbin_, pad);
    return nullptr;
  }
  g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "codec-preferences", caps, nullptr);
  gst_object_unref (trans);
  g_object_set (pad, "msid", msid.c_str (), nullptr);
  send_lines_.push_back (GST_PAD (gst_object_ref (pad)));
  bool answering;
  {
    std::lock_guard<std::mutex> g (lock_);
    answering = answering_;
  }
  /* The session layer adds no line while it answers (a line made before
   * set_remote_offer () is parked there); this narrows what is left. */
  if (answering)
    park_unnegotiated ({pad});
  return pad;
}

bool PeerSession::add_recv_line (GstCaps *caps, std::string &error, bool inactive)
{
  return add_transceivers (webrtcbin_,
                           inactive ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE
                                    : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
                           {caps}, error);
}

void PeerSession::set_inactive (GstPad *send_line)
{
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_object_get (send_line, "transceiver", &trans, nullptr);
  if (!trans)
    return;
  g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, nullptr);
  gst_object_unref (trans);
}

gint PeerSession::mline_of (GstPad *send_line) const
{
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_object_get (send_line, "transceiver", &trans, nullptr);
  if (!trans)
    return -1;
  guint mline = G_MAXUINT;
  g_object_get (trans, "mlineindex", &mline, nullptr);
  gst_object_unref (trans);
  return mline == G_MAXUINT ? -1 : (gint)mline;
}

/* Under notify_lock_. */
void PeerSession::gathering_done ()
{
  {
    std::lock_guard<std::mutex> g (lock_);
    if (gathering_reported_ || !local_applied_)
      return;
    gathering_reported_ = true;
  }
  notify_ (id_, Event::GATHERING_DONE, {});
}

void PeerSession::on_ice_candidate (GstElement *webrtcbin, guint mline, gchar *candidate,
                                    gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  auto self = l.session;
  std::lock_guard<std::mutex> order (self->notify_lock_);
  {
    std::lock_guard<std::mutex> g (self->lock_);
    if (!self->local_applied_) {
      self->local_candidates_.push_back ({mline, candidate});
      return;
    }
  }
  self->notify_ (self->id_, Event::LOCAL_CANDIDATE, std::to_string (mline) + " " + candidate);
}

void PeerSession::on_gathering_state (GObject *webrtcbin, GParamSpec *, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  GstWebRTCICEGatheringState state;
  g_object_get (webrtcbin, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  std::lock_guard<std::mutex> order (l.session->notify_lock_);
  l.session->gathering_done ();
}

GstWebRTCSessionDescription *PeerSession::take_local_description ()
{
  std::lock_guard<std::mutex> g (lock_);
  GstWebRTCSessionDescription *d = local_applied_ ? local_ : nullptr;
  if (d)
    local_ = nullptr;
  return d;
}

void PeerSession::on_connection_state (GObject *webrtcbin, GParamSpec *pspec, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  auto self = l.session;
  if (g_str_equal (pspec->name, "ice-connection-state")) {
    GstWebRTCICEConnectionState ice;
    g_object_get (webrtcbin, "ice-connection-state", &ice, nullptr);
    if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
      self->fail ("ICE failed");
    return;
  }
  GstWebRTCPeerConnectionState state;
  g_object_get (webrtcbin, "connection-state", &state, nullptr);
  GST_DEBUG ("session %s: connection state %d", self->id_.c_str (), state);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !self->connected_) {
    /* webrtcbin 1.22 takes any certificate: the one the peer's description
     * names, or the session ends (rtcdtlscheck.h). */
    std::string expected;
    {
      std::lock_guard<std::mutex> g (self->lock_);
      expected = self->remote_fingerprint_;
    }
    std::string why = check_remote_fingerprint (GST_ELEMENT (webrtcbin), expected);
    if (!why.empty ()) {
      GST_WARNING ("session %s: %s", self->id_.c_str (), why.c_str ());
      self->fail (why);
      return;
    }
    self->connected_ = true;
    self->last_activity_us_ = g_get_monotonic_time ();
    self->notify_ (self->id_, Event::CONNECTED, {});
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    self->fail ("connection failed (ICE or DTLS)");
  }
}

void PeerSession::on_ssrc_active (GstElement *, guint, guint, gpointer data)
{
  auto l = lock_handle (data);
  if (l.session) {
    GST_LOG ("session %s: RTCP from the viewer", l.session->id_.c_str ());
    l.session->last_activity_us_ = g_get_monotonic_time ();
  }
}

void PeerSession::on_bye_ssrc (GstElement *, guint, guint ssrc, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  GST_INFO ("session %s: RTCP BYE from %u", l.session->id_.c_str (), ssrc);
  l.session->notify_ (l.session->id_, Event::CLOSED, "the viewer said goodbye (RTCP BYE)");
}

/* Receiving: the jitter buffer would hold a stream's first packets for its
 * whole latency before output; a few packets in sequence are enough to
 * start (faster first frame, same latency afterwards). */
void PeerSession::on_new_jitterbuffer (GstElement *, GstElement *jitterbuffer, guint, guint,
                                       gpointer)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (jitterbuffer), "faststart-min-packets"))
    g_object_set (jitterbuffer, "faststart-min-packets", 3u, nullptr);
}

/* A stream webrtcbin 1.22 cannot give a transceiver ("Could not find
 * ssrc": an SSRC neither the description nor a mid header extension names,
 * seen from Chromium after renegotiations) leaves rtpbin's pad unlinked: its
 * first buffer's not-linked stops the transport's source and so the whole
 * BUNDLE, every track of the peer. webrtcbin's own pad-added handler (made
 * with rtpbin, so it runs before this one) has linked every pad it could;
 * only a pad left unlinked gets a probe, which drops its buffers until a
 * link appears and then goes away (no per-buffer work on normal pads). */
void PeerSession::on_rtpbin_pad_added (GstElement *, GstPad *pad, gpointer)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC ||
      !g_str_has_prefix (GST_PAD_NAME (pad), "recv_rtp_src_") || gst_pad_is_linked (pad))
    return;
  GST_WARNING_OBJECT (pad, "webrtcbin gave this stream no transceiver: its buffers are dropped");
  gst_pad_add_probe (pad,
                     GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     drop_unlinked, nullptr, nullptr);
}

GstPadProbeReturn PeerSession::drop_unlinked (GstPad *pad, GstPadProbeInfo *, gpointer)
{
  return gst_pad_is_linked (pad) ? GST_PAD_PROBE_REMOVE : GST_PAD_PROBE_DROP;
}

GstPadProbeReturn PeerSession::on_rtp_in (GstPad *, GstPadProbeInfo *, gpointer data)
{
  /* Media from a sender is the best sign of life; cheap enough per buffer. */
  auto h = static_cast<HandlePtr *> (data)->get ();
  std::lock_guard<std::mutex> g (h->lock);
  if (h->session)
    h->session->last_activity_us_ = g_get_monotonic_time ();
  return GST_PAD_PROBE_OK;
}

void PeerSession::on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  auto l = lock_handle (data);
  if (!l.session)
    return;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_rtp_in, handle_ref (l.session->handle_),
                     handle_unref);
  l.session->on_src_pad_ (pad);
}

void PeerSession::request_keyframe ()
{
  GstIterator *it = gst_element_iterate_src_pads (webrtcbin_);
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstPad *pad = GST_PAD (g_value_get_object (&v));
    CapsPtr caps (gst_pad_get_current_caps (pad));
    const gchar *media =
        caps ? gst_structure_get_string (gst_caps_get_structure (caps.get (), 0), "media")
             : nullptr;
    if (media && g_str_equal (media, "video")) {
      GST_DEBUG ("session %s: asking for a keyframe on %s", id_.c_str (), GST_PAD_NAME (pad));
      gst_pad_send_event (
          pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, FALSE, 0));
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

void PeerSession::add_remote_candidate (guint mline, const std::string &candidate)
{
  if (candidate.find (".local ") != std::string::npos)
    trickled_mdns_++;
  g_signal_emit_by_name (webrtcbin_, "add-ice-candidate", mline, candidate.c_str ());
}

IceFacts PeerSession::ice_facts () const
{
  IceFacts f = rtc::ice_facts (webrtcbin_, remote_sdp_);
  f.remote_mdns += trickled_mdns_;
  f.turn_configured = has_turn_;
  return f;
}

GstPadProbeReturn PeerSession::keyframe_gate (GstPad *pad, GstPadProbeInfo *info, gpointer)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    return GST_PAD_PROBE_DROP;
  GST_DEBUG_OBJECT (pad, "first keyframe, opening the gate");
  return GST_PAD_PROBE_REMOVE;
}

static GstPad *webrtc_sink_for_mline (GstElement *webrtcbin, guint mline)
{
  GstPad *found = nullptr;
  GstIterator *it = gst_element_iterate_sink_pads (webrtcbin);
  GValue v = G_VALUE_INIT;
  while (!found && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstPad *pad = GST_PAD (g_value_get_object (&v));
    GstWebRTCRTPTransceiver *trans = nullptr;
    g_object_get (pad, "transceiver", &trans, nullptr);
    if (trans) {
      guint m;
      g_object_get (trans, "mlineindex", &m, nullptr);
      if (m == mline && !gst_pad_is_linked (pad))
        found = GST_PAD (gst_object_ref (pad));
      gst_object_unref (trans);
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return found;
}

bool PeerSession::link_media (guint mline, gint pt, guint ssrc, EncoderBranch *branch,
                              std::string &error)
{
  ObjectPtr<GstPad> sink (webrtc_sink_for_mline (webrtcbin_, mline));
  if (!sink) {
    error = "webrtcbin has no sink pad for m-line " + std::to_string (mline);
    return false;
  }
  return link_pad (sink.get (), pt, ssrc, branch, error);
}

bool PeerSession::link_pad (GstPad *sink_pad, gint pt, guint ssrc, EncoderBranch *branch,
                            std::string &error)
{
  ObjectPtr<GstPad> sink (GST_PAD (gst_object_ref (sink_pad)));
  gint mline = mline_of (sink_pad);
  const Codec &codec = branch->codec ();
  /* A queue per viewer: one that cannot keep up loses old packets, and
   * nothing of one viewer (its teardown included) holds up the shared
   * encoder's thread. Paced viewers went without one for a while: a CI run
   * then had a talker's room mix stall 0.6 s while a participant joined and
   * left (bench/README, "Fan-out"). */
  GstElement *queue = gst_element_factory_make ("queue", nullptr);
  GstElement *pay = gst_element_factory_make (codec.payloader, nullptr);
  if (!queue || !pay) {
    error = std::string ("element '") + (queue ? codec.payloader : "queue") + "' is missing";
    if (queue)
      gst_object_unref (gst_object_ref_sink (queue));
    if (pay)
      gst_object_unref (gst_object_ref_sink (pay));
    return false;
  }
  set_leaky (queue, 200 * GST_MSECOND);
  g_object_set (pay, "pt", (guint)pt, "mtu", 1200u, nullptr);
  if (ssrc)
    g_object_set (pay, "ssrc", ssrc, nullptr);
  GObjectClass *klass = G_OBJECT_GET_CLASS (pay);
  if (g_object_class_find_property (klass, "config-interval"))
    g_object_set (pay, "config-interval", -1, nullptr);
  if (g_object_class_find_property (klass, "aggregate-mode"))
    gst_util_set_object_arg (G_OBJECT (pay), "aggregate-mode", "zero-latency");
  if (g_object_class_find_property (klass, "picture-id-mode"))
    gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");

  MediaLink link{(guint)mline, branch, nullptr, queue, pay};
  gst_bin_add_many (bin_, queue, pay, nullptr);
  ObjectPtr<GstPad> pay_src (gst_element_get_static_pad (pay, "src"));
  if (!gst_element_link (queue, pay) ||
      gst_pad_link (pay_src.get (), sink.get ()) != GST_PAD_LINK_OK) {
    error = "could not link the media path to webrtcbin";
    dispose_elements (bin_, {queue, pay});
    return false;
  }
  if (codec.kind == MediaKind::VIDEO) {
    ObjectPtr<GstPad> pay_sink (gst_element_get_static_pad (pay, "sink"));
    gst_pad_add_probe (pay_sink.get (), GST_PAD_PROBE_TYPE_BUFFER, keyframe_gate, nullptr, nullptr);
  }
  gst_element_sync_state_with_parent (pay);
  gst_element_sync_state_with_parent (queue);
  ObjectPtr<GstPad> queue_sink (gst_element_get_static_pad (queue, "sink"));
  bool linked = false;
  GstPad *tee_pad = branch->link_output (queue_sink.get (), &linked);
  if (!linked) {
    error = "could not link the shared encoder to the viewer";
    if (tee_pad)
      branch->release_output (tee_pad);
    dispose_elements (bin_, {queue, pay});
    return false;
  }
  link.tee_pad = tee_pad;
  links_.push_back (link);
  if (codec.kind == MediaKind::VIDEO)
    branch->request_keyframe ();
  return true;
}

bool PeerSession::relink_media (guint mline, EncoderBranch *branch, std::string &error)
{
  for (auto &link : links_) {
    if (link.mline != mline)
      continue;
    if (link.branch == branch)
      return true;
    link.branch->release_output (link.tee_pad);
    link.branch = branch;
    link.tee_pad = nullptr;
    if (branch->codec ().kind == MediaKind::VIDEO) {
      ObjectPtr<GstPad> pay_sink (gst_element_get_static_pad (link.payloader, "sink"));
      gst_pad_add_probe (pay_sink.get (), GST_PAD_PROBE_TYPE_BUFFER, keyframe_gate, nullptr,
                         nullptr);
    }
    ObjectPtr<GstPad> queue_sink (gst_element_get_static_pad (link.queue, "sink"));
    bool linked = false;
    GstPad *tee_pad = branch->link_output (queue_sink.get (), &linked);
    if (!linked) {
      if (tee_pad)
        branch->release_output (tee_pad);
      error = "could not link the viewer to the new encoder";
      return false;
    }
    link.tee_pad = tee_pad;
    branch->request_keyframe ();
    return true;
  }
  error = "m-line " + std::to_string (mline) + " is not linked";
  return false;
}

void PeerSession::unlink_media ()
{
  for (auto &link : links_) {
    if (link.tee_pad)
      link.branch->release_output (link.tee_pad);
    dispose_elements (bin_, {link.queue, link.payloader});
  }
  links_.clear ();
}

void PeerSession::unlink_pad (GstPad *send_line)
{
  for (auto it = links_.begin (); it != links_.end (); ++it) {
    ObjectPtr<GstPad> pay_src (gst_element_get_static_pad (it->payloader, "src"));
    ObjectPtr<GstPad> peer (gst_pad_get_peer (pay_src.get ()));
    if (peer.get () != send_line)
      continue;
    if (it->tee_pad)
      it->branch->release_output (it->tee_pad);
    dispose_elements (bin_, {it->queue, it->payloader});
    links_.erase (it);
    return;
  }
}

void PeerSession::touch (gint64 when_us)
{
  gint64 seen = last_activity_us_;
  while (when_us > seen && !last_activity_us_.compare_exchange_weak (seen, when_us))
    ;
}

std::string PeerSession::expiry_reason (gint64 now_us, gint64 handshake_us, gint64 silence_us,
                                        const char *peer) const
{
  if (!connected_ && now_us - created_us_ > handshake_us)
    return std::string ("the ") + peer + " did not connect in time (ICE/DTLS handshake)";
  if (connected_ && now_us - last_activity_us_ > silence_us)
    return std::string (on_src_pad_ ? "no media, RTCP or data" : "no RTCP or data") + " from the " +
           peer + " for " + std::to_string (silence_us / 1000) + " ms (gone)";
  return {};
}

void PeerSession::note_remote_fingerprint (const GstSDPMessage *sdp)
{
  std::lock_guard<std::mutex> g (lock_);
  if (remote_fingerprint_.empty ())
    remote_fingerprint_ = sdp_fingerprint (sdp);
}

bool PeerSession::remote_has_data () const
{
  if (!remote_sdp_)
    return false;
  for (guint i = 0; i < gst_sdp_message_medias_len (remote_sdp_); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (remote_sdp_, i);
    if (g_strcmp0 (gst_sdp_media_get_media (m), "application") == 0 && sdp_media_used (m))
      return true;
  }
  return false;
}

std::vector<std::string> PeerSession::codec_names () const
{
  std::vector<std::string> out;
  for (auto &c : choices_)
    out.push_back (c.second);
  return out;
}

} // namespace rtc

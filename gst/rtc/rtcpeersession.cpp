/* See rtcpeersession.h. */
#include "rtcpeersession.h"

#include "rtcsdp.h"
#include "rtcteardown.h"

#include <gst/video/video.h>

#include <memory>

GST_DEBUG_CATEGORY_STATIC (rtc_peer_session_debug);
#define GST_CAT_DEFAULT rtc_peer_session_debug

namespace rtc {

/* webrtcbin may call us back after the session is gone (a promise answered
 * during teardown, a signal emission already running on another thread).
 * Every callback gets a reference to this handle; the destructor clears
 * `session` under `lock`, so a callback either runs to completion first or
 * sees nullptr. */
struct SessionHandle {
  std::mutex lock;
  PeerSession *session;
};

namespace {

using HandlePtr = std::shared_ptr<SessionHandle>;

gpointer handle_ref (const HandlePtr &h)
{
  return new HandlePtr (h);
}
void handle_unref (gpointer p)
{
  delete static_cast<HandlePtr *> (p);
}
void handle_unref_closure (gpointer p, GClosure *)
{
  handle_unref (p);
}

struct Locked {
  std::unique_lock<std::mutex> guard;
  PeerSession *session;
};
Locked lock_handle (gpointer p)
{
  SessionHandle *h = static_cast<HandlePtr *> (p)->get ();
  Locked l{std::unique_lock<std::mutex> (h->lock), h->session};
  return l;
}

GstPromise *promise_for (PeerSession *s, GstPromiseChangeFunc func)
{
  return gst_promise_new_with_change_func (func, handle_ref (s->handle ()), handle_unref);
}

std::string promise_error (GstPromise *promise)
{
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return "interrupted";
  if (!reply)
    return {};
  GError *error = nullptr;
  if (gst_structure_get (reply, "error", G_TYPE_ERROR, &error, nullptr) && error) {
    std::string msg = error->message;
    g_error_free (error);
    return msg.empty () ? "failed" : msg;
  }
  return {};
}

} // namespace

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
  static gsize debug_done = 0;
  if (g_once_init_enter (&debug_done)) {
    GST_DEBUG_CATEGORY_INIT (rtc_peer_session_debug, "rtcpeersession", 0, "One viewer's webrtcbin");
    g_once_init_leave (&debug_done, 1);
  }
  handle_ = std::make_shared<SessionHandle> ();
  handle_->session = this;
  /* Short: webrtcbin names its threads "<name>:pc" and Linux keeps 15 chars. */
  std::string name = "v" + id_.substr (0, 8);
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
  for (GSource *t : timers_) {
    g_source_destroy (t);
    g_source_unref (t);
  }
  if (control_context_)
    g_main_context_unref (control_context_);
  unlink_media ();
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
    dispose_elements (bin_, {webrtcbin_});
    gst_object_unref (webrtcbin_);
  }
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
    if (!ok)
      GST_WARNING ("session %s: TURN server %s rejected", id_.c_str (), turn.c_str ());
  }
  const HandlePtr &handle = handle_;
  on_src_pad_ = config.on_src_pad;
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
  std::vector<GstCaps *> caps;
  for (auto &choice : choices) {
    caps.push_back (choice.caps.get ());
    choices_.push_back ({choice.mline, choice.codec->name});
  }
  if (!add_transceivers (webrtcbin_, config.direction, caps, error) || !add_to_bin (config, error))
    return false;
  if (!sdp_bundle_consistent (offer->sdp)) {
    /* Answer unbundled rather than refuse the peer. */
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
    return true;
  }
  g_signal_emit_by_name (webrtcbin_, "set-remote-description", offer,
                         promise_for (this, on_remote_set));
  return true;
}

bool PeerSession::start_offer (const Config &config, const std::vector<GstCaps *> &mlines,
                               std::string &error)
{
  offerer_ = true;
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
    g_signal_connect_data (rtpbin_, "on-ssrc-active", G_CALLBACK (on_ssrc_active),
                           handle_ref (handle_), handle_unref_closure, GConnectFlags (0));
    if (on_src_pad_)
      g_signal_connect (rtpbin_, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer), nullptr);
    g_signal_connect_data (rtpbin_, "on-bye-ssrc", G_CALLBACK (on_bye_ssrc), handle_ref (handle_),
                           handle_unref_closure, GConnectFlags (0));
  }
  if (!gst_element_sync_state_with_parent (webrtcbin_)) {
    error = "webrtcbin could not start";
    return false;
  }
  std::lock_guard<std::mutex> g (lock_);
  if (config.control_context)
    control_context_ = g_main_context_ref (config.control_context);
  if (config.control_context && config.gather_timeout != GST_CLOCK_TIME_NONE)
    add_timer (GST_TIME_AS_MSECONDS (config.gather_timeout), on_gather_timeout);
  return true;
}

void PeerSession::set_remote_answer (GstWebRTCSessionDescription *answer)
{
  if (remote_sdp_)
    gst_sdp_message_free (remote_sdp_);
  gst_sdp_message_copy (answer->sdp, &remote_sdp_);
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
  g_signal_emit_by_name (l.session->webrtcbin_, "create-answer", nullptr,
                         promise_for (l.session, on_description_created));
}

void PeerSession::on_description_created (GstPromise *promise, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  auto self = l.session;
  const char *what = self->offerer_ ? "offer" : "answer";
  std::string err = promise_error (promise);
  GstWebRTCSessionDescription *desc = nullptr;
  const GstStructure *reply = gst_promise_get_reply (promise);
  if (err.empty () && reply)
    gst_structure_get (reply, what, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr);
  if (!desc) {
    self->fail (std::string ("could not create an ") + what + (err.empty () ? "" : ": " + err));
    return;
  }
  {
    std::lock_guard<std::mutex> g (self->lock_);
    self->local_ = gst_webrtc_session_description_copy (desc);
  }
  g_signal_emit_by_name (self->webrtcbin_, "set-local-description", desc,
                         promise_for (self, on_local_set));
  gst_webrtc_session_description_free (desc);
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
  {
    std::lock_guard<std::mutex> g (l.session->lock_);
    l.session->local_applied_ = true;
  }
  l.session->maybe_finish (false);
}

void PeerSession::on_ice_candidate (GstElement *webrtcbin, guint mline, gchar *candidate,
                                    gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  auto self = l.session;
  bool trickle;
  {
    std::lock_guard<std::mutex> g (self->lock_);
    trickle = self->local_sent_;
    if (!trickle)
      self->local_candidates_.push_back ({mline, candidate});
  }
  if (trickle)
    self->notify_ (self->id_, Event::LOCAL_CANDIDATE, std::to_string (mline) + " " + candidate);
  else
    self->maybe_finish (true);
}

void PeerSession::on_gathering_state (GObject *webrtcbin, GParamSpec *, gpointer data)
{
  auto l = lock_handle (data);
  if (!l.session)
    return;
  GstWebRTCICEGatheringState state;
  g_object_get (webrtcbin, "ice-gathering-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    l.session->maybe_finish (false);
}

gboolean PeerSession::on_gather_timeout (gpointer data)
{
  auto l = lock_handle (data);
  if (l.session) {
    {
      std::lock_guard<std::mutex> g (l.session->lock_);
      l.session->gather_timed_out_ = true;
    }
    GST_INFO ("session %s: ICE gathering timeout", l.session->id_.c_str ());
    l.session->maybe_finish (false);
  }
  return G_SOURCE_REMOVE;
}

/* When our description goes to the peer. webrtcbin (1.22) may report
 * gathering complete before it has emitted the candidates, and on a loaded
 * machine the gathering timeout may pass before the description is even
 * made: a description without candidates is useless to a peer that does not
 * trickle (WHEP players), so it waits for them — the first one and 20 ms
 * for the rest of its burst, or at most LAST_CHANCE_MS more. */
static const guint BURST_MS = 20, LAST_CHANCE_MS = 1000;

void PeerSession::maybe_finish (bool on_candidate)
{
  GstWebRTCICEGatheringState state;
  g_object_get (webrtcbin_, "ice-gathering-state", &state, nullptr);
  bool complete = state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE;
  {
    std::lock_guard<std::mutex> g (lock_);
    if (local_sent_ || !local_applied_ || finish_armed_ || !(complete || gather_timed_out_))
      return;
    if (control_context_) { /* without one (no timers), send at once */
      if (local_candidates_.empty ()) {
        if (!last_chance_armed_) {
          last_chance_armed_ = true;
          add_timer (LAST_CHANCE_MS, on_finish_timer);
        }
        return;
      }
      finish_armed_ = true;
      if (on_candidate) {
        add_timer (BURST_MS, on_finish_timer);
        return;
      }
    }
  }
  finish_local ();
}

gboolean PeerSession::on_finish_timer (gpointer data)
{
  auto l = lock_handle (data);
  if (l.session)
    l.session->finish_local ();
  return G_SOURCE_REMOVE;
}

/* A one-shot timer on the control context, destroyed with the session.
 * Under lock_. */
void PeerSession::add_timer (guint ms, GSourceFunc fn)
{
  GSource *t = g_timeout_source_new (ms);
  g_source_set_callback (t, fn, handle_ref (handle_), handle_unref);
  g_source_attach (t, control_context_);
  timers_.push_back (t);
}

void PeerSession::finish_local ()
{
  {
    std::lock_guard<std::mutex> g (lock_);
    if (local_sent_ || failed_ || !local_)
      return;
    local_sent_ = true;
    GstWebRTCICEGatheringState state;
    g_object_get (webrtcbin_, "ice-gathering-state", &state, nullptr);
    sdp_add_candidates (local_->sdp, local_candidates_,
                        state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE);
    local_candidates_.clear ();
  }
  notify_ (id_, Event::LOCAL_READY, {});
}

GstWebRTCSessionDescription *PeerSession::take_local_description ()
{
  std::lock_guard<std::mutex> g (lock_);
  GstWebRTCSessionDescription *a = local_sent_ ? local_ : nullptr;
  if (a)
    local_ = nullptr;
  return a;
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
  g_signal_emit_by_name (webrtcbin_, "add-ice-candidate", mline, candidate.c_str ());
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

bool PeerSession::link_media (guint mline, gint pt, EncoderBranch *branch, std::string &error)
{
  ObjectPtr<GstPad> sink (webrtc_sink_for_mline (webrtcbin_, mline));
  if (!sink) {
    error = "webrtcbin has no sink pad for m-line " + std::to_string (mline);
    return false;
  }
  const Codec &codec = branch->codec ();
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
  /* A viewer that cannot keep up loses old packets, never stalls the others. */
  g_object_set (queue, "leaky", 2, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                (guint64)(200 * GST_MSECOND), nullptr);
  g_object_set (pay, "pt", (guint)pt, "mtu", 1200u, nullptr);
  GObjectClass *klass = G_OBJECT_GET_CLASS (pay);
  if (g_object_class_find_property (klass, "config-interval"))
    g_object_set (pay, "config-interval", -1, nullptr);
  if (g_object_class_find_property (klass, "aggregate-mode"))
    gst_util_set_object_arg (G_OBJECT (pay), "aggregate-mode", "zero-latency");
  if (g_object_class_find_property (klass, "picture-id-mode"))
    gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");

  gst_bin_add_many (bin_, queue, pay, nullptr);
  ObjectPtr<GstPad> pay_src (gst_element_get_static_pad (pay, "src"));
  if (!gst_element_link (queue, pay) ||
      gst_pad_link (pay_src.get (), sink.get ()) != GST_PAD_LINK_OK) {
    error = "could not link the media path to webrtcbin";
    gst_bin_remove_many (bin_, queue, pay, nullptr);
    return false;
  }
  if (codec.kind == MediaKind::VIDEO) {
    ObjectPtr<GstPad> pay_sink (gst_element_get_static_pad (pay, "sink"));
    gst_pad_add_probe (pay_sink.get (), GST_PAD_PROBE_TYPE_BUFFER, keyframe_gate, nullptr, nullptr);
  }
  gst_element_sync_state_with_parent (pay);
  gst_element_sync_state_with_parent (queue);
  GstPad *tee_pad = branch->request_output ();
  ObjectPtr<GstPad> queue_sink (gst_element_get_static_pad (queue, "sink"));
  if (gst_pad_link (tee_pad, queue_sink.get ()) != GST_PAD_LINK_OK) {
    error = "could not link the shared encoder to the viewer";
    branch->release_output (tee_pad);
    gst_element_set_state (queue, GST_STATE_NULL);
    gst_element_set_state (pay, GST_STATE_NULL);
    gst_bin_remove_many (bin_, queue, pay, nullptr);
    return false;
  }
  links_.push_back ({mline, branch, tee_pad, queue, pay});
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
    GstPad *tee_pad = branch->request_output ();
    ObjectPtr<GstPad> queue_sink (gst_element_get_static_pad (link.queue, "sink"));
    if (gst_pad_link (tee_pad, queue_sink.get ()) != GST_PAD_LINK_OK) {
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

std::string PeerSession::expiry_reason (gint64 now_us, gint64 handshake_us, gint64 silence_us,
                                        const char *peer) const
{
  if (!connected_ && now_us - created_us_ > handshake_us)
    return std::string ("the ") + peer + " did not connect in time (ICE/DTLS handshake)";
  if (connected_ && now_us - last_activity_us_ > silence_us)
    return std::string (on_src_pad_ ? "no media or RTCP" : "no RTCP") + " from the " + peer +
           " for " + std::to_string (silence_us / 1000) + " ms (gone)";
  return {};
}

bool PeerSession::remote_has_data () const
{
  if (!remote_sdp_)
    return false;
  for (guint i = 0; i < gst_sdp_message_medias_len (remote_sdp_); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (remote_sdp_, i);
    if (g_strcmp0 (gst_sdp_media_get_media (m), "application") == 0 &&
        (gst_sdp_media_get_port (m) != 0 || gst_sdp_media_get_attribute_val (m, "bundle-only")))
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

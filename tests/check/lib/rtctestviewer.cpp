/* See rtctestviewer.h. */
#include "rtctestviewer.h"
#include "rtcpeersession.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <libsoup/soup.h>
#include <chrono>

namespace {

GstStructure *wait_promise (GstElement *webrtcbin, const char *signal, gpointer arg)
{
  GstPromise *p = gst_promise_new ();
  if (arg)
    g_signal_emit_by_name (webrtcbin, signal, arg, p);
  else
    g_signal_emit_by_name (webrtcbin, signal, nullptr, p);
  gst_promise_wait (p);
  const GstStructure *reply = gst_promise_get_reply (p);
  GstStructure *copy = reply ? gst_structure_copy (reply) : nullptr;
  gst_promise_unref (p);
  return copy;
}

GstCaps *codec_caps (const std::string &codec)
{
  if (codec == "VP8")
    return gst_caps_from_string ("application/x-rtp,media=video,encoding-name=VP8,payload=96,"
                                 "clock-rate=90000,rtcp-fb-nack-pli=(boolean)true");
  if (codec == "VP9")
    return gst_caps_from_string ("application/x-rtp,media=video,encoding-name=VP9,payload=98,"
                                 "clock-rate=90000,rtcp-fb-nack-pli=(boolean)true");
  if (codec == "H264")
    return gst_caps_from_string (
        "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
        "packetization-mode=(string)1,profile-level-id=(string)42e01f,"
        "level-asymmetry-allowed=(string)1,rtcp-fb-nack-pli=(boolean)true");
  return gst_caps_new_empty ();
}

} // namespace

RtcTestViewer::RtcTestViewer (std::string whep_url, Options options)
    : url_ (std::move (whep_url)), options_ (std::move (options))
{}

RtcTestViewer::~RtcTestViewer ()
{
  stop (false);
}

void RtcTestViewer::start ()
{
  start_us_ = g_get_monotonic_time ();
  pipeline_ = gst_pipeline_new (nullptr);
  webrtcbin_ = gst_element_factory_make ("webrtcbin", nullptr);
  g_object_set (webrtcbin_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency", 0,
                nullptr);
  gst_bin_add (GST_BIN (pipeline_), webrtcbin_);
  rtc::disable_upnp (webrtcbin_);
  auto add_recvonly = [this] (GstCaps *caps) {
    GstWebRTCRTPTransceiver *t = nullptr;
    g_signal_emit_by_name (webrtcbin_, "add-transceiver",
                           GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &t);
    gst_caps_unref (caps);
    if (t)
      gst_object_unref (t);
  };
  if (options_.video) {
    GstCaps *caps = gst_caps_new_empty ();
    for (auto &c : options_.video_codecs)
      gst_caps_append (caps, codec_caps (c));
    add_recvonly (caps);
  }
  if (options_.audio)
    add_recvonly (gst_caps_from_string ("application/x-rtp,media=audio,encoding-name=OPUS,"
                                        "payload=111,clock-rate=48000,encoding-params=(string)2"));
  g_signal_connect (webrtcbin_, "on-ice-candidate", G_CALLBACK (on_ice_candidate), this);
  g_signal_connect (webrtcbin_, "pad-added", G_CALLBACK (on_pad_added), this);
  g_signal_connect (webrtcbin_, "notify::ice-connection-state", G_CALLBACK (on_state), this);
  g_signal_connect (webrtcbin_, "notify::connection-state", G_CALLBACK (on_state), this);
  g_signal_connect (webrtcbin_, "notify::ice-gathering-state", G_CALLBACK (on_state), this);
  gst_element_set_state (pipeline_, GST_STATE_PLAYING);
  worker_ = std::thread ([this] { run (); });
}

std::string RtcTestViewer::http (const char *method, const std::string &url,
                                 const char *content_type, const std::string &body, int &status,
                                 std::string *location)
{
  SoupSession *session = soup_session_new_with_options ("timeout", 20, nullptr);
  SoupMessage *msg = soup_message_new (method, url.c_str ());
  std::string out;
  status = 0;
  if (!msg) {
    g_object_unref (session);
    return out;
  }
  if (content_type) {
    GBytes *b = g_bytes_new (body.data (), body.size ());
    soup_message_set_request_body_from_bytes (msg, content_type, b);
    g_bytes_unref (b);
  }
  if (!options_.token.empty ())
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  ("Bearer " + options_.token).c_str ());
  GBytes *resp = soup_session_send_and_read (session, msg, nullptr, nullptr);
  status = soup_message_get_status (msg);
  if (resp) {
    gsize len;
    const char *d = static_cast<const char *> (g_bytes_get_data (resp, &len));
    out.assign (d ? d : "", len);
    g_bytes_unref (resp);
  }
  if (location) {
    const char *loc =
        soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
    if (loc) {
      gchar *abs = g_uri_resolve_relative (url.c_str (), loc, G_URI_FLAGS_NONE, nullptr);
      *location = abs ? abs : "";
      g_free (abs);
    }
  }
  g_object_unref (msg);
  g_object_unref (session);
  return out;
}

void RtcTestViewer::run ()
{
  GstStructure *reply = wait_promise (webrtcbin_, "create-offer", nullptr);
  GstWebRTCSessionDescription *offer = nullptr;
  if (reply)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  if (reply)
    gst_structure_free (reply);
  if (!offer) {
    answered_ = true;
    return;
  }
  reply = wait_promise (webrtcbin_, "set-local-description", offer);
  if (reply)
    gst_structure_free (reply);
  if (!options_.trickle) {
    while (!stopping_) {
      std::lock_guard<std::mutex> g (lock_);
      if (gathering_done_)
        break;
      std::this_thread::sleep_for (std::chrono::milliseconds (5));
    }
    GstWebRTCSessionDescription *local = nullptr;
    g_object_get (webrtcbin_, "local-description", &local, nullptr);
    if (local) {
      gst_webrtc_session_description_free (offer);
      offer = local;
    }
  }
  for (guint i = 0; i < gst_sdp_message_medias_len (offer->sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (offer->sdp, i);
    const char *mid = gst_sdp_media_get_attribute_val (m, "mid");
    std::lock_guard<std::mutex> g (lock_);
    mids_.push_back (mid ? mid : std::to_string (i));
    if (ufrag_.empty ()) {
      const char *u = gst_sdp_media_get_attribute_val (m, "ice-ufrag");
      const char *p = gst_sdp_media_get_attribute_val (m, "ice-pwd");
      ufrag_ = u ? u : "";
      pwd_ = p ? p : "";
    }
  }
  gchar *text = gst_sdp_message_as_text (offer->sdp);
  std::string offer_text = text;
  g_free (text);
  gst_webrtc_session_description_free (offer);
  if (options_.edit_offer)
    options_.edit_offer (offer_text);

  int status = 0;
  std::string loc;
  std::string body = http ("POST", url_, "application/sdp", offer_text, status, &loc);
  {
    std::lock_guard<std::mutex> g (lock_);
    location_ = loc;
  }
  http_status_ = status;
  t_answer = since_start ();
  if (status == 201) {
    GstSDPMessage *sdp = nullptr;
    gst_sdp_message_new_from_text (body.c_str (), &sdp);
    GstWebRTCSessionDescription *answer =
        gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
    reply = wait_promise (webrtcbin_, "set-remote-description", answer);
    if (reply)
      gst_structure_free (reply);
    gst_webrtc_session_description_free (answer);
  }
  answered_ = true;
  /* Trickle our candidates until gathering is done. */
  while (status == 201 && options_.trickle && !stopping_) {
    std::vector<std::pair<guint, std::string>> batch;
    bool done;
    std::string frag;
    {
      std::lock_guard<std::mutex> g (lock_);
      batch.swap (pending_candidates_);
      done = gathering_done_;
      if (!batch.empty ()) {
        frag = "a=ice-ufrag:" + ufrag_ + "\r\na=ice-pwd:" + pwd_ + "\r\n";
        for (guint i = 0; i < mids_.size (); i++) {
          std::string lines;
          for (auto &c : batch)
            if (c.first == i)
              lines += "a=" + c.second + "\r\n";
          if (!lines.empty ())
            frag += "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:" + mids_[i] + "\r\n" + lines;
        }
      }
    }
    if (!frag.empty ()) {
      int st = 0;
      http ("PATCH", loc, "application/trickle-ice-sdpfrag", frag, st);
    }
    if (done && batch.empty ())
      break;
    std::this_thread::sleep_for (std::chrono::milliseconds (10));
  }
}

int RtcTestViewer::wait_answer (guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;
  while (!answered_ && g_get_monotonic_time () < end)
    g_usleep (5000);
  return http_status_;
}

bool RtcTestViewer::wait_video_frames (guint n, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  while (video_frames_ < n && g_get_monotonic_time () < end)
    g_usleep (10000);
  return video_frames_ >= n;
}

bool RtcTestViewer::wait_audio_buffers (guint n, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  while (audio_buffers_ < n && g_get_monotonic_time () < end)
    g_usleep (10000);
  return audio_buffers_ >= n;
}

void RtcTestViewer::stop (bool send_delete)
{
  if (!pipeline_)
    return;
  stopping_ = true;
  if (worker_.joinable ())
    worker_.join ();
  std::string loc = location ();
  if (send_delete && !loc.empty ()) {
    int st = 0;
    http ("DELETE", loc, nullptr, "", st);
    delete_status_ = st;
  }
  /* webrtcbin may outlive the pipeline (a pending task holds it): no
   * callback into this viewer after it stopped. */
  g_signal_handlers_disconnect_by_data (webrtcbin_, this);
  gst_element_set_state (pipeline_, GST_STATE_NULL);
  gst_object_unref (pipeline_);
  pipeline_ = nullptr;
  webrtcbin_ = nullptr;
}

std::string RtcTestViewer::locked_copy (const std::string &field)
{
  std::lock_guard<std::mutex> g (lock_);
  return field;
}

void RtcTestViewer::on_ice_candidate (GstElement *, guint mline, gchar *candidate, gpointer data)
{
  auto self = static_cast<RtcTestViewer *> (data);
  std::lock_guard<std::mutex> g (self->lock_);
  self->pending_candidates_.push_back ({mline, candidate});
}

void RtcTestViewer::on_state (GObject *obj, GParamSpec *pspec, gpointer data)
{
  auto self = static_cast<RtcTestViewer *> (data);
  if (g_str_equal (pspec->name, "ice-gathering-state")) {
    GstWebRTCICEGatheringState s;
    g_object_get (obj, "ice-gathering-state", &s, nullptr);
    if (s == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) {
      std::lock_guard<std::mutex> g (self->lock_);
      self->gathering_done_ = true;
    }
  } else if (g_str_equal (pspec->name, "ice-connection-state")) {
    GstWebRTCICEConnectionState s;
    g_object_get (obj, "ice-connection-state", &s, nullptr);
    if ((s == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
         s == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) &&
        self->t_ice_connected < 0)
      self->t_ice_connected = self->since_start ();
  } else {
    GstWebRTCPeerConnectionState s;
    g_object_get (obj, "connection-state", &s, nullptr);
    if (s == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && self->t_dtls_connected < 0)
      self->t_dtls_connected = self->since_start ();
  }
}

GstPadProbeReturn RtcTestViewer::rtp_probe (GstPad *, GstPadProbeInfo *, gpointer data)
{
  auto self = static_cast<RtcTestViewer *> (data);
  if (self->t_first_rtp < 0)
    self->t_first_rtp = self->since_start ();
  return GST_PAD_PROBE_REMOVE;
}

GstPadProbeReturn RtcTestViewer::video_probe (GstPad *pad, GstPadProbeInfo *, gpointer data)
{
  auto self = static_cast<RtcTestViewer *> (data);
  if (self->video_frames_++ == 0) {
    self->t_first_frame = self->since_start ();
  }
  if (self->width_ == 0) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    if (caps) {
      GstStructure *s = gst_caps_get_structure (caps, 0);
      int w = 0, h = 0;
      gst_structure_get_int (s, "width", &w);
      gst_structure_get_int (s, "height", &h);
      self->width_ = w;
      self->height_ = h;
      gst_caps_unref (caps);
    }
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn RtcTestViewer::audio_probe (GstPad *, GstPadProbeInfo *, gpointer data)
{
  static_cast<RtcTestViewer *> (data)->audio_buffers_++;
  return GST_PAD_PROBE_OK;
}

void RtcTestViewer::on_decoded_pad (GstElement *decodebin, GstPad *pad, gpointer data)
{
  auto self = static_cast<RtcTestViewer *> (data);
  GstCaps *caps = gst_pad_query_caps (pad, nullptr);
  bool video =
      g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "video");
  gst_caps_unref (caps);
  GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (sink, "sync", FALSE, "async", FALSE, nullptr);
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (decodebin));
  gst_bin_add (GST_BIN (pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, video ? video_probe : audio_probe, self,
                     nullptr);
  gst_object_unref (sinkpad);
  gst_object_unref (pipeline);
}

void RtcTestViewer::on_pad_added (GstElement *webrtcbin, GstPad *pad, gpointer data)
{
  auto self = static_cast<RtcTestViewer *> (data);
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, nullptr);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const char *media = gst_structure_get_string (s, "media");
  bool video = media && g_str_equal (media, "video");
  if (video) {
    const char *enc = gst_structure_get_string (s, "encoding-name");
    std::lock_guard<std::mutex> g (self->lock_);
    self->video_codec_ = enc ? enc : "";
  }
  gst_caps_unref (caps);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, rtp_probe, self, nullptr);
  GstElement *next;
  if (self->options_.decode) {
    next = gst_element_factory_make ("decodebin", nullptr);
    g_signal_connect (next, "pad-added", G_CALLBACK (on_decoded_pad), self);
  } else {
    next = gst_element_factory_make ("fakesink", nullptr);
    g_object_set (next, "sync", FALSE, "async", FALSE, nullptr);
  }
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (webrtcbin));
  gst_bin_add (GST_BIN (pipeline), next);
  gst_element_sync_state_with_parent (next);
  GstPad *sinkpad = gst_element_get_static_pad (next, "sink");
  gst_pad_link (pad, sinkpad);
  if (!self->options_.decode)
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, video ? video_probe : audio_probe, self,
                       nullptr);
  gst_object_unref (sinkpad);
  gst_object_unref (pipeline);
}

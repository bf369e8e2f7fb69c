/* Plain webrtcbins driven by a GstRtcSignaller, standing in for the
 * elements: what a signaller test checks is the GstRtcSignaller contract.
 *
 * A Peer owns a signaller and one pipeline per session. Signals are copied
 * on the signaller's thread and handled on the test thread (Peer::wait pumps
 * every live Peer), as the elements handle them on their control thread.
 * Publisher (the signaller's role is offerer) sends VP8 320x240 and Opus,
 * offering transport-cc; Subscriber (answerer) decodes what it gets and
 * counts video frames and audio buffers.
 *
 * Threading: the test thread, except webrtcbin's callbacks (its thread and
 * the streaming threads), which only call the signaller's vfuncs and count.
 */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/gst.h>
#include <gst/rtcbridge/gstrtcsignaller.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rtctestutil.h"

/* What the test counts of one session's media. */
struct Counts {
  std::atomic<guint> video{0}, audio{0};
  std::atomic<int> width{0}, height{0};
};

inline GstPadProbeReturn count_buffer (GstPad *pad, GstPadProbeInfo *, gpointer data)
{
  auto counts = *static_cast<std::shared_ptr<Counts> *> (data);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    return GST_PAD_PROBE_OK;
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  if (gst_structure_has_name (s, "video/x-raw")) {
    int w = 0, h = 0;
    gst_structure_get_int (s, "width", &w);
    gst_structure_get_int (s, "height", &h);
    counts->width = w;
    counts->height = h;
    counts->video++;
  } else {
    counts->audio++;
  }
  gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

class Peer;
/* Every live Peer: waiting handles what any of them got (test thread only). */
inline std::vector<Peer *> live_peers;

/* One session: its own pipeline around a webrtcbin. */
struct Session {
  Peer *peer = nullptr;
  GstRtcSignaller *sig = nullptr; /* borrowed from the peer */
  std::string id;
  GstElement *pipeline = nullptr;
  GstElement *webrtc = nullptr;
  std::shared_ptr<Counts> counts = std::make_shared<Counts> ();
  std::string answer; /* publisher: Janus's answer */

  ~Session ()
  {
    if (pipeline) {
      gst_element_set_state (pipeline, GST_STATE_NULL);
      gst_object_unref (webrtc);
      gst_object_unref (pipeline);
    }
  }
};

inline GstBusSyncReply print_errors (GstBus *, GstMessage *m, gpointer)
{
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error (m, &err, nullptr);
    g_print ("pipeline error from %s: %s\n", GST_OBJECT_NAME (GST_MESSAGE_SRC (m)), err->message);
    g_error_free (err);
  }
  return GST_BUS_PASS;
}

inline void on_local_candidate (GstElement *, guint mline, gchar *candidate, gpointer data)
{
  auto s = static_cast<Session *> (data);
  gst_rtc_signaller_send_ice_candidate (s->sig, s->id.c_str (), mline, candidate);
}

inline void on_gathering (GObject *webrtc, GParamSpec *, gpointer data)
{
  auto s = static_cast<Session *> (data);
  GstWebRTCICEGatheringState state;
  g_object_get (webrtc, "ice-gathering-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    gst_rtc_signaller_send_ice_candidate (s->sig, s->id.c_str (), 0, nullptr);
}

/* Creates the pipeline; @launch has a webrtcbin named "w". */
inline void make_pipeline (Session *s, const char *launch)
{
  GError *error = nullptr;
  GstElement *parsed = gst_parse_launch (launch, &error);
  fail_unless (parsed != nullptr, "%s", error ? error->message : "?");
  if (GST_IS_PIPELINE (parsed)) {
    s->pipeline = parsed;
  } else { /* a single element */
    s->pipeline = gst_pipeline_new (nullptr);
    gst_bin_add (GST_BIN (s->pipeline), parsed);
  }
  s->webrtc = gst_bin_get_by_name (GST_BIN (s->pipeline), "w");
  GstBus *bus = gst_element_get_bus (s->pipeline);
  gst_bus_set_sync_handler (bus, print_errors, nullptr, nullptr);
  gst_object_unref (bus);
  g_signal_connect (s->webrtc, "on-ice-candidate", G_CALLBACK (on_local_candidate), s);
  g_signal_connect (s->webrtc, "notify::ice-gathering-state", G_CALLBACK (on_gathering), s);
}

/* A Janus signaller and what it emitted. */
class Peer {
public:
  /* Takes @signaller (sinking a floating reference). */
  explicit Peer (gpointer signaller)
      : sig (GST_RTC_SIGNALLER (gst_object_ref_sink (signaller))), object_ (G_OBJECT (sig))
  {
    g_signal_connect (sig, "session-requested", G_CALLBACK (on_requested_cb), this);
    g_signal_connect (sig, "session-description", G_CALLBACK (on_description_cb), this);
    g_signal_connect (sig, "ice-candidate", G_CALLBACK (on_candidate_cb), this);
    g_signal_connect (sig, "session-ended", G_CALLBACK (on_ended_cb), this);
    g_signal_connect (sig, "state-changed", G_CALLBACK (on_state_cb), this);
    g_signal_connect (sig, "error", G_CALLBACK (on_error_cb), this);
    live_peers.push_back (this);
  }
  virtual ~Peer ()
  {
    live_peers.erase (std::find (live_peers.begin (), live_peers.end (), this));
    stop ();
    g_signal_handlers_disconnect_by_data (sig, this);
    sessions.clear ();
    gst_object_unref (object_);
  }
  GObject *object () { return object_; }

  void start ()
  {
    GError *error = nullptr;
    fail_unless (gst_rtc_signaller_start (sig, &error), "%s", error ? error->message : "?");
  }
  /* Stops the signaller (timed) and ends every session. */
  void stop ()
  {
    if (stopped_)
      return;
    gint64 t0 = g_get_monotonic_time ();
    gst_rtc_signaller_stop (sig);
    stop_ms = (g_get_monotonic_time () - t0) / 1000;
    stopped_ = true;
    sessions.clear ();
  }
  /* Handles what the signaller emitted (on the test thread). */
  void pump ()
  {
    for (;;) {
      std::function<void ()> fn;
      {
        std::lock_guard<std::mutex> g (lock_);
        if (queue_.empty ())
          return;
        fn = std::move (queue_.front ());
        queue_.pop_front ();
      }
      fn ();
    }
  }
  /* Waits for @pred, handling what every peer got meanwhile. */
  static bool wait (const std::function<bool ()> &pred, guint timeout_ms)
  {
    return wait_until (
        [&] {
          for (Peer *p : live_peers)
            p->pump ();
          return pred ();
        },
        timeout_ms);
  }
  guint64 property_u64 (const char *name)
  {
    guint64 v = 0;
    g_object_get (object_, name, &v, nullptr);
    return v;
  }
  /* Counts of states named @state (detail containing @part). */
  guint states_named (const char *state, const char *part = nullptr)
  {
    std::lock_guard<std::mutex> g (lock_);
    guint n = 0;
    for (auto &s : states)
      if (s.first == state && (!part || s.second.find (part) != std::string::npos))
        n++;
    return n;
  }
  std::string state_log ()
  {
    std::lock_guard<std::mutex> g (lock_);
    std::string out;
    for (auto &s : states)
      out += "  " + s.first + ": " + s.second + "\n";
    return out;
  }
  std::vector<std::string> error_log ()
  {
    std::lock_guard<std::mutex> g (lock_);
    return errors;
  }
  Session *session (const std::string &id)
  {
    auto it = sessions.find (id);
    return it == sessions.end () ? nullptr : it->second.get ();
  }
  /* The newest live session, or nullptr. */
  Session *latest ()
  {
    for (auto it = requested.rbegin (); it != requested.rend (); ++it)
      if (Session *s = session (*it))
        return s;
    return nullptr;
  }

  GstRtcSignaller *sig;
  /* Test thread (pump) only: */
  std::vector<std::string> requested, ended, peers;
  std::map<std::string, std::unique_ptr<Session>> sessions;
  /* Signalled after stop() returned (must stay 0). */
  std::atomic<guint> after_stop{0};
  gint64 stop_ms = 0;

protected:
  virtual void on_requested (Session *s, GstWebRTCSessionDescription *offer) = 0;
  virtual void on_description (Session *, GstWebRTCSessionDescription *) {}

private:
  void post (std::function<void ()> fn)
  {
    if (stopped_)
      after_stop++;
    std::lock_guard<std::mutex> g (lock_);
    queue_.push_back (std::move (fn));
  }
  static void on_requested_cb (GstRtcSignaller *, gchar *id, gchar *peer,
                               GstWebRTCSessionDescription *offer, Peer *self)
  {
    std::string i = id, p = peer ? peer : "";
    auto copy = offer ? gst_webrtc_session_description_copy (offer) : nullptr;
    self->post ([self, i, p, copy] () {
      self->requested.push_back (i);
      self->peers.push_back (p);
      auto s = std::make_unique<Session> ();
      s->peer = self;
      s->sig = self->sig;
      s->id = i;
      Session *raw = s.get ();
      self->sessions[i] = std::move (s);
      self->on_requested (raw, copy);
      if (copy)
        gst_webrtc_session_description_free (copy);
    });
  }
  static void on_description_cb (GstRtcSignaller *, gchar *id, GstWebRTCSessionDescription *answer,
                                 Peer *self)
  {
    std::string i = id;
    auto copy = gst_webrtc_session_description_copy (answer);
    self->post ([self, i, copy] () {
      if (Session *s = self->session (i))
        self->on_description (s, copy);
      gst_webrtc_session_description_free (copy);
    });
  }
  static void on_candidate_cb (GstRtcSignaller *, gchar *id, guint mline, gchar *candidate,
                               Peer *self)
  {
    std::string i = id, c = candidate;
    self->post ([self, i, mline, c] () {
      if (Session *s = self->session (i))
        g_signal_emit_by_name (s->webrtc, "add-ice-candidate", mline, c.c_str ());
    });
  }
  static void on_ended_cb (GstRtcSignaller *, gchar *id, Peer *self)
  {
    std::string i = id;
    self->post ([self, i] () {
      self->ended.push_back (i);
      self->sessions.erase (i);
    });
  }
  static void on_state_cb (GstRtcSignaller *, gchar *state, gchar *detail, Peer *self)
  {
    GST_INFO ("%p state %s: %s", self, state, detail);
    {
      std::lock_guard<std::mutex> g (self->lock_);
      self->states.emplace_back (state, detail ? detail : "");
    }
    if (self->stopped_)
      self->after_stop++;
  }
  static void on_error_cb (GstRtcSignaller *, gchar *message, Peer *self)
  {
    {
      std::lock_guard<std::mutex> g (self->lock_);
      self->errors.push_back (message);
    }
    if (self->stopped_)
      self->after_stop++;
  }

  GObject *object_;
  std::atomic<bool> stopped_{false};
  std::mutex lock_; /* guards queue_, states, errors */
  std::deque<std::function<void ()>> queue_;
  std::vector<std::pair<std::string, std::string>> states;
  std::vector<std::string> errors;
};

/* The publishing side: VP8 320x240 and Opus, one pipeline per session. */
class Publisher : public Peer {
public:
  explicit Publisher (gpointer signaller) : Peer (signaller)
  {
    fail_unless_equals_int (gst_rtc_signaller_get_role (sig), GST_RTC_SIGNALLER_ROLE_OFFERER);
  }

protected:
  void on_requested (Session *s, GstWebRTCSessionDescription *offer) override
  {
    fail_unless (offer == nullptr, "an offerer's session-requested carries no offer");
    make_pipeline (
        s, "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,"
           "framerate=30/1 ! vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! "
           "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,"
           "rtcp-fb-transport-cc=(boolean)true,extmap-3=(string)\"http://www.ietf.org/id/"
           "draft-holmer-rmcat-transport-wide-cc-extensions-01\" ! "
           "webrtcbin name=w bundle-policy=max-bundle "
           "audiotestsrc is-live=true ! audioconvert ! audioresample ! opusenc ! "
           "rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
           "clock-rate=48000 ! w.");
    GArray *transceivers = nullptr;
    g_signal_emit_by_name (s->webrtc, "get-transceivers", &transceivers);
    for (guint i = 0; transceivers && i < transceivers->len; i++)
      g_object_set (g_array_index (transceivers, GstWebRTCRTPTransceiver *, i), "direction",
                    GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
    if (transceivers)
      g_array_unref (transceivers);
    g_signal_connect (s->webrtc, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed), s);
    gst_element_set_state (s->pipeline, GST_STATE_PLAYING);
  }
  void on_description (Session *s, GstWebRTCSessionDescription *answer) override
  {
    gchar *text = gst_sdp_message_as_text (answer->sdp);
    s->answer = text;
    g_free (text);
    g_signal_emit_by_name (s->webrtc, "set-remote-description", answer, nullptr);
  }

private:
  static void on_negotiation_needed (GstElement *webrtc, Session *s)
  {
    GstPromise *promise = gst_promise_new_with_change_func (on_offer, s, nullptr);
    g_signal_emit_by_name (webrtc, "create-offer", nullptr, promise);
  }
  static void on_offer (GstPromise *promise, gpointer data)
  {
    auto s = static_cast<Session *> (data);
    GstWebRTCSessionDescription *offer = nullptr;
    const GstStructure *reply = gst_promise_get_reply (promise);
    if (reply)
      gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
    gst_promise_unref (promise);
    if (!offer)
      return;
    g_signal_emit_by_name (s->webrtc, "set-local-description", offer, nullptr);
    gst_rtc_signaller_send_description (s->sig, s->id.c_str (), offer);
    gst_webrtc_session_description_free (offer);
  }
};

/* The receiving side: decodes what Janus sends and counts it. */
class Subscriber : public Peer {
public:
  explicit Subscriber (gpointer signaller) : Peer (signaller)
  {
    fail_unless_equals_int (gst_rtc_signaller_get_role (sig), GST_RTC_SIGNALLER_ROLE_ANSWERER);
  }

protected:
  void on_requested (Session *s, GstWebRTCSessionDescription *offer) override
  {
    fail_unless (offer != nullptr, "an answerer's session-requested carries Janus's offer");
    make_pipeline (s, "webrtcbin name=w bundle-policy=max-bundle");
    g_signal_connect (s->webrtc, "pad-added", G_CALLBACK (on_pad_added), s);
    gst_element_set_state (s->pipeline, GST_STATE_PLAYING);
    GstPromise *promise = gst_promise_new_with_change_func (on_remote_set, s, nullptr);
    g_signal_emit_by_name (s->webrtc, "set-remote-description", offer, promise);
  }
  /* A later offer (renegotiation) is answered as the first. */
  void on_description (Session *s, GstWebRTCSessionDescription *offer) override
  {
    if (offer->type != GST_WEBRTC_SDP_TYPE_OFFER || !s->webrtc)
      return;
    GstPromise *promise = gst_promise_new_with_change_func (on_remote_set, s, nullptr);
    g_signal_emit_by_name (s->webrtc, "set-remote-description", offer, promise);
  }

private:
  static void on_remote_set (GstPromise *promise, gpointer data)
  {
    auto s = static_cast<Session *> (data);
    gst_promise_unref (promise);
    GstPromise *answer = gst_promise_new_with_change_func (on_answer, s, nullptr);
    g_signal_emit_by_name (s->webrtc, "create-answer", nullptr, answer);
  }
  static void on_answer (GstPromise *promise, gpointer data)
  {
    auto s = static_cast<Session *> (data);
    GstWebRTCSessionDescription *answer = nullptr;
    const GstStructure *reply = gst_promise_get_reply (promise);
    if (reply)
      gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
    gst_promise_unref (promise);
    if (!answer)
      return;
    g_signal_emit_by_name (s->webrtc, "set-local-description", answer, nullptr);
    gst_rtc_signaller_send_description (s->sig, s->id.c_str (), answer);
    gst_webrtc_session_description_free (answer);
  }
  static void on_pad_added (GstElement *, GstPad *pad, Session *s)
  {
    if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
      return;
    GstElement *decodebin = gst_element_factory_make ("decodebin", nullptr);
    g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_decoded_pad), s);
    gst_bin_add (GST_BIN (s->pipeline), decodebin);
    gst_element_sync_state_with_parent (decodebin);
    GstPad *sink = gst_element_get_static_pad (decodebin, "sink");
    gst_pad_link (pad, sink);
    gst_object_unref (sink);
  }
  static void on_decoded_pad (GstElement *, GstPad *pad, Session *s)
  {
    GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
    g_object_set (sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add (GST_BIN (s->pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer,
                       new std::shared_ptr<Counts> (s->counts),
                       [] (gpointer p) { delete static_cast<std::shared_ptr<Counts> *> (p); });
    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
  }
};

/* The newest session decodes @frames video frames (and some audio). */
inline bool decodes (Subscriber &sub, guint frames, guint timeout_ms)
{
  return sub.wait (
      [&] {
        Session *s = sub.latest ();
        return s && s->counts->video >= frames && s->counts->audio >= 20;
      },
      timeout_ms);
}

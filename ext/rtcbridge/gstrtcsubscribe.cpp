/* See gstrtcsubscribe.h. */
#include "gstrtcsubscribe.h"

#include <gst/video/video.h>
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gstrtcbridgeelements.h"
#include "gstrtchttpclientsignaller.h"
#include "gstrtchttpsignaller.h"
#include "gstrtcsignaller.h"
#include "rtccodecs.h"
#include "rtccontrolthread.h"
#include "rtcpeersession.h"
#include "rtcsdp.h"
#include "rtcsettings.h"
#include "rtcsignallerlink.h"
#include "rtcteardown.h"
#include "rtcdatarouter.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_subscribe_debug);
#define GST_CAT_DEFAULT gst_rtc_subscribe_debug

using rtc::Codec;
using rtc::MediaKind;
using rtc::PeerSession;

#define DEFAULT_DECODE TRUE
#define DEFAULT_LATENCY 100
#define DEFAULT_TAKEOVER FALSE
#define DEFAULT_PUBLISHER_TIMEOUT 10000

/* The shared properties (rtc::Settings) come first. */
enum {
  PROP_DECODE = rtc::Settings::N_PROPS,
  PROP_LATENCY,
  PROP_TAKEOVER,
  PROP_PUBLISHER_TIMEOUT,
  PROP_SIGNALLER,
  PROP_CONNECTED,
  PROP_URL,
};

enum {
  SIGNAL_SESSION_CREATED,
  N_SIGNALS,
};
static guint signals[N_SIGNALS];

static GstStaticPadTemplate video_template =
    GST_STATIC_PAD_TEMPLATE ("video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate audio_template =
    GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);

namespace {

/* One src pad of the element; lives until the element stops. */
struct Output {
  MediaKind kind;
  guint index;
  GstPad *ghost = nullptr; /* owned by the element */
  bool started = false;    /* the first stream-start went out */
  std::atomic<bool> eos_allowed{false};
};

/* The elements between one webrtcbin src pad and an output. */
struct Chain {
  std::vector<GstElement *> elements; /* children of the element, in order */
  GstPad *src = nullptr;              /* last element's src pad (owned) */
  Output *output = nullptr;
};

/* A publisher (server mode) or the WHEP session (client mode). */
struct Peer {
  std::unique_ptr<PeerSession> session;
  std::vector<std::string> codecs;
  bool connected = false;
};

} // namespace

struct GstRtcSubscribePrivate {
  std::mutex lock; /* guards the settings */
  rtc::Settings settings;
  bool decode = DEFAULT_DECODE;
  guint latency_ms = DEFAULT_LATENCY;
  bool takeover = DEFAULT_TAKEOVER;
  guint publisher_timeout_ms = DEFAULT_PUBLISHER_TIMEOUT;
  std::unique_ptr<rtc::DataRouter> data; /* from init to finalize */
  rtc::SignallerHost host{{"webrtcsubscribe", true, "WHEP playback", "publish page"}};

  /* while started */
  rtc::ControlThread control;
  std::unique_ptr<rtc::SignallerLink::Handler> handler;
  std::vector<const Codec *> preferences;
  std::map<const Codec *, std::string> decoders; /* codec -> decoder factory */
  std::atomic<bool> connected{false};

  std::mutex out_lock; /* guards outputs and chains */
  std::vector<std::unique_ptr<Output>> outputs;
  std::map<std::string, std::vector<Chain>> chains; /* by session id */

  /* control thread only */
  std::map<std::string, Peer> peers;
};

struct _GstRtcSubscribe {
  GstBin parent;
  GstRtcSubscribePrivate *priv;
};

#define gst_rtc_subscribe_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRtcSubscribe, gst_rtc_subscribe, GST_TYPE_BIN,
                         G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
                                                rtc::DataRouter::child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (
    webrtcsubscribe, "webrtcsubscribe", GST_RANK_NONE, GST_TYPE_RTC_SUBSCRIBE,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_subscribe_debug, "webrtcsubscribe", 0, "WebRTC subscriber"));

namespace {

void post (GstRtcSubscribe *self, std::function<void (GstRtcSubscribe *)> fn)
{
  self->priv->control.post ([self, fn] () { fn (self); });
}

void post_element_message (GstRtcSubscribe *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

void reject (GstRtcSubscribe *self, const std::string &id, GstRtcSignallerError code,
             const std::string &reason)
{
  GST_INFO_OBJECT (self, "publisher %s rejected: %s", id.c_str (), reason.c_str ());
  GError *error = g_error_new_literal (GST_RTC_SIGNALLER_ERROR, code, reason.c_str ());
  gst_rtc_signaller_reject_session (self->priv->host.signaller, id.c_str (), error);
  g_error_free (error);
}

/* ---- outputs (streaming threads, under out_lock) ----------------------- */

/* Keeps one continuous stream per pad across publishers: only the first
 * stream-start goes out, and EOS only when the element sends it. */
GstPadProbeReturn output_probe (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto out = static_cast<Output *> (data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_STREAM_START:
    if (out->started)
      return GST_PAD_PROBE_DROP;
    out->started = true;
    break;
  case GST_EVENT_EOS:
    if (!out->eos_allowed)
      return GST_PAD_PROBE_DROP;
    break;
  default:
    break;
  }
  return GST_PAD_PROBE_OK;
}

/* Media for a pad the application did not link (say it takes only video_0
 * and the publisher also sends audio) is dropped: a not-linked flow would
 * stop the whole receiver with an error. */
GstPadProbeReturn drop_if_unlinked (GstPad *, GstPadProbeInfo *, gpointer data)
{
  auto out = static_cast<Output *> (data);
  return gst_pad_is_linked (out->ghost) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* The output for @kind/@index, made (and added to the element) if needed,
 * now fed from @target. Under out_lock. */
Output *attach_output (GstRtcSubscribe *self, MediaKind kind, guint index, GstPad *target)
{
  auto priv = self->priv;
  for (auto &out : priv->outputs) {
    if (out->kind == kind && out->index == index) {
      gst_ghost_pad_set_target (GST_GHOST_PAD (out->ghost), target);
      GST_INFO_OBJECT (self, "%s now fed by a new publisher", GST_PAD_NAME (out->ghost));
      return out.get ();
    }
  }
  auto out = std::make_unique<Output> ();
  out->kind = kind;
  out->index = index;
  std::string name = std::string (rtc::media_kind_name (kind)) + "_" + std::to_string (index);
  GstPadTemplate *templ = gst_element_class_get_pad_template (
      GST_ELEMENT_GET_CLASS (self), kind == MediaKind::VIDEO ? "video_%u" : "audio_%u");
  out->ghost = target ? gst_ghost_pad_new_from_template (name.c_str (), target, templ)
                      : gst_ghost_pad_new_no_target_from_template (name.c_str (), templ);
  gst_pad_add_probe (out->ghost, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, output_probe, out.get (),
                     nullptr);
  gst_pad_set_active (out->ghost, TRUE);
  Output *raw = out.get ();
  priv->outputs.push_back (std::move (out));
  gst_element_add_pad (GST_ELEMENT (self), raw->ghost);
  GST_INFO_OBJECT (self, "new pad %s", name.c_str ());
  return raw;
}

GstElement *make (const char *factory)
{
  GstElement *e = factory ? gst_element_factory_make (factory, nullptr) : nullptr;
  return e;
}

void set_if_exists (GstElement *e, const char *property, gboolean value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), property))
    g_object_set (e, property, value, nullptr);
}

/* webrtcbin has a new src pad (media from the peer): depayload, parse or
 * decode, and feed the output pad of its kind. Streaming thread. */
void on_src_pad (GstRtcSubscribe *self, const std::string &id, GstPad *pad)
{
  auto priv = self->priv;
  rtc::CapsPtr caps (gst_pad_get_current_caps (pad));
  const GstStructure *s = caps ? gst_caps_get_structure (caps.get (), 0) : nullptr;
  const gchar *enc = s ? gst_structure_get_string (s, "encoding-name") : nullptr;
  const Codec *codec = enc ? rtc::codec_by_name (enc) : nullptr;
  GST_DEBUG_OBJECT (self, "publisher %s: pad %s, caps %" GST_PTR_FORMAT, id.c_str (),
                    GST_PAD_NAME (pad), caps.get ());
  if (!codec) {
    GST_ELEMENT_WARNING (
        self, STREAM, CODEC_NOT_FOUND,
        ("Publisher %s sends media we cannot use (%s)", id.c_str (), enc ? enc : "no caps"),
        ("caps %" GST_PTR_FORMAT, caps.get ()));
    return;
  }
  bool decode;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    decode = priv->decode;
  }
  Chain chain;
  GstElement *depay = make (codec->depayloader);
  chain.elements.push_back (depay);
  if (depay && codec->kind == MediaKind::VIDEO) {
    /* Ask for a keyframe (PLI) when packets are lost, and output nothing
     * that cannot be decoded. */
    set_if_exists (depay, "request-keyframe", TRUE);
    set_if_exists (depay, "wait-for-keyframe", TRUE);
  }
  if (decode) {
    auto it = priv->decoders.find (codec);
    GstElement *dec = make (it == priv->decoders.end () ? nullptr : it->second.c_str ());
    if (dec && codec->kind == MediaKind::VIDEO) {
      if (g_str_equal (codec->name, "H264"))
        chain.elements.push_back (make ("h264parse"));
      set_if_exists (dec, "automatic-request-sync-points", TRUE);
      set_if_exists (dec, "discard-corrupted-frames", TRUE);
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (dec), "max-errors"))
        g_object_set (dec, "max-errors", -1, nullptr);
    }
    chain.elements.push_back (dec);
  } else if (codec->parser) {
    chain.elements.push_back (make (codec->parser));
  }
  bool missing =
      std::find (chain.elements.begin (), chain.elements.end (), nullptr) != chain.elements.end ();
  if (missing) {
    for (GstElement *e : chain.elements)
      if (e)
        gst_object_unref (gst_object_ref_sink (e));
    GST_ELEMENT_WARNING (
        self, CORE, MISSING_PLUGIN,
        ("Cannot %s %s: an element is missing", decode ? "decode" : "depayload", codec->name),
        ("install gstreamer1.0-plugins-good/-bad/-libav"));
    return;
  }
  for (GstElement *e : chain.elements)
    gst_bin_add (GST_BIN (self), e);
  bool linked = true;
  for (size_t i = 0; i + 1 < chain.elements.size (); i++)
    linked = linked && gst_element_link (chain.elements[i], chain.elements[i + 1]);
  for (GstElement *e : chain.elements)
    gst_element_sync_state_with_parent (e);
  chain.src = gst_element_get_static_pad (chain.elements.back (), "src");
  {
    /* The session's first video stream feeds video_0, its second video_1... */
    std::lock_guard<std::mutex> g (priv->out_lock);
    auto &mine = priv->chains[id];
    guint index = (guint)std::count_if (mine.begin (), mine.end (), [codec] (const Chain &c) {
      return c.output->kind == codec->kind;
    });
    chain.output = attach_output (self, codec->kind, index, chain.src);
    gst_pad_add_probe (chain.src,
                       GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                       drop_if_unlinked, chain.output, nullptr);
    mine.push_back (chain);
  }
  rtc::ObjectPtr<GstPad> sink (gst_element_get_static_pad (chain.elements.front (), "sink"));
  if (!linked || gst_pad_link (pad, sink.get ()) != GST_PAD_LINK_OK)
    GST_ELEMENT_WARNING (self, CORE, NEGOTIATION,
                         ("Could not link %s from publisher %s", enc, id.c_str ()), (nullptr));
  /* A new publisher's first frame should not wait for its next keyframe. */
  if (codec->kind == MediaKind::VIDEO)
    post (self, [id] (GstRtcSubscribe *s) {
      auto it = s->priv->peers.find (id);
      if (it != s->priv->peers.end ())
        it->second.session->request_keyframe ();
    });
}

/* Control thread: stops and removes the chains of session @id. */
void remove_chains (GstRtcSubscribe *self, const std::string &id)
{
  auto priv = self->priv;
  std::vector<Chain> chains;
  {
    std::lock_guard<std::mutex> g (priv->out_lock);
    auto it = priv->chains.find (id);
    if (it == priv->chains.end ())
      return;
    chains = std::move (it->second);
    priv->chains.erase (it);
    for (auto &c : chains) {
      rtc::ObjectPtr<GstPad> target (gst_ghost_pad_get_target (GST_GHOST_PAD (c.output->ghost)));
      if (target.get () == c.src)
        gst_ghost_pad_set_target (GST_GHOST_PAD (c.output->ghost), nullptr);
    }
  }
  for (auto &c : chains) {
    /* Off this thread: a blocked downstream must not block us. */
    rtc::dispose_elements (GST_BIN (self), c.elements);
    gst_object_unref (c.src);
  }
}

/* ---- sessions (control thread) ---------------------------------------- */

void update_connected (GstRtcSubscribe *self)
{
  bool any = false;
  for (auto &kv : self->priv->peers)
    any = any || kv.second.connected;
  self->priv->connected = any;
}

void remove_peer (GstRtcSubscribe *self, const std::string &id, const std::string &reason,
                  bool tell_signaller, bool warn)
{
  auto priv = self->priv;
  auto it = priv->peers.find (id);
  if (it == priv->peers.end ())
    return;
  Peer peer = std::move (it->second);
  priv->peers.erase (it);
  std::string address = peer.session->peer_address ();
  priv->data->detach (id);
  peer.session.reset (); /* stops and removes the webrtcbin: no more media */
  remove_chains (self, id);
  update_connected (self);
  GST_INFO_OBJECT (self, "publisher %s removed: %s", id.c_str (), reason.c_str ());
  if (tell_signaller)
    gst_rtc_signaller_end_session (priv->host.signaller, id.c_str ());
  if (warn)
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, FAILED,
                                      ("Publisher %s: %s", id.c_str (), reason.c_str ()), (nullptr),
                                      ("session-id", G_TYPE_STRING, id.c_str (), "remote-address",
                                       G_TYPE_STRING, address.c_str (), nullptr));
  if (peer.connected)
    post_element_message (self, gst_structure_new ("webrtcsubscribe-publisher-disconnected", "id",
                                                   G_TYPE_STRING, id.c_str (), "remote-address",
                                                   G_TYPE_STRING, address.c_str (), "reason",
                                                   G_TYPE_STRING, reason.c_str (), nullptr));
}

void remove_all_peers (GstRtcSubscribe *self, const std::string &reason, bool tell_signaller)
{
  std::vector<std::string> ids;
  for (auto &kv : self->priv->peers)
    ids.push_back (kv.first);
  for (auto &id : ids)
    remove_peer (self, id, reason, tell_signaller, false);
}

void on_session_event (GstRtcSubscribe *self, const std::string &id, PeerSession::Event event,
                       const std::string &detail)
{
  auto priv = self->priv;
  auto it = priv->peers.find (id);
  if (it == priv->peers.end ())
    return;
  Peer &peer = it->second;
  switch (event) {
  case PeerSession::Event::LOCAL_READY: {
    GstWebRTCSessionDescription *desc = peer.session->take_local_description ();
    if (!desc)
      return;
    if (priv->host.client)
      gst_rtc_signaller_send_offer (priv->host.signaller, id.c_str (), desc);
    else
      gst_rtc_signaller_send_answer (priv->host.signaller, id.c_str (), desc);
    gst_webrtc_session_description_free (desc);
    break;
  }
  case PeerSession::Event::REMOTE_SET:
    break;
  case PeerSession::Event::CONNECTED: {
    peer.connected = true;
    update_connected (self);
    if (!priv->host.client)
      priv->data->connected (id, *peer.session, priv->control);
    std::string codecs;
    for (auto &c : peer.codecs)
      codecs += (codecs.empty () ? "" : ",") + c;
    GST_INFO_OBJECT (self, "publisher %s connected (%s)", id.c_str (), codecs.c_str ());
    post_element_message (self,
                          gst_structure_new ("webrtcsubscribe-publisher-connected", "id",
                                             G_TYPE_STRING, id.c_str (), "remote-address",
                                             G_TYPE_STRING, peer.session->peer_address ().c_str (),
                                             "codecs", G_TYPE_STRING, codecs.c_str (), nullptr));
    break;
  }
  case PeerSession::Event::FAILED:
    remove_peer (self, id, detail, true, peer.connected);
    break;
  case PeerSession::Event::REFUSED:
    if (priv->host.client) {
      remove_peer (self, id, detail, true, true);
    } else {
      reject (self, id, GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, detail);
      remove_peer (self, id, detail, false, false);
    }
    break;
  case PeerSession::Event::CLOSED:
    remove_peer (self, id, detail, true, false);
    break;
  case PeerSession::Event::LOCAL_CANDIDATE: {
    auto space = detail.find (' ');
    guint mline = (guint)g_ascii_strtoull (detail.c_str (), nullptr, 10);
    gst_rtc_signaller_send_ice_candidate (priv->host.signaller, id.c_str (), mline,
                                          detail.substr (space + 1).c_str ());
    break;
  }
  }
}

/* The codecs we can take in, in preference order. */
std::vector<const Codec *> receivable (GstRtcSubscribe *self, bool decode)
{
  std::vector<const Codec *> out;
  for (const Codec *c : self->priv->preferences) {
    rtc::ObjectPtr<GstElementFactory> depay (gst_element_factory_find (c->depayloader));
    if (depay && (!decode || self->priv->decoders.count (c)))
      out.push_back (c);
  }
  return out;
}

Peer &add_peer (GstRtcSubscribe *self, const std::string &id, const std::string &address,
                PeerSession::Config &config)
{
  auto priv = self->priv;
  auto session = std::make_unique<PeerSession> (
      id, address, GST_BIN (self),
      [self] (const std::string &sid, PeerSession::Event ev, const std::string &detail) {
        post (self,
              [sid, ev, detail] (GstRtcSubscribe *s) { on_session_event (s, sid, ev, detail); });
      });
  if (session->webrtcbin ()) {
    priv->data->attach (id, session->webrtcbin ());
    g_signal_emit (self, signals[SIGNAL_SESSION_CREATED], 0, id.c_str (), session->webrtcbin ());
  }
  config.direction = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY;
  config.control_context = priv->control.context ();
  config.on_src_pad = [self, id] (GstPad *pad) {
    on_src_pad (self, id, pad);
  };
  Peer &peer = priv->peers[id];
  peer.session = std::move (session);
  return peer;
}

/* Server mode: a publisher POSTed its offer. */
void on_publisher_offer (GstRtcSubscribe *self, const std::string &id, const std::string &address,
                         GstWebRTCSessionDescription *offer)
{
  auto priv = self->priv;
  PeerSession::Config config;
  bool decode, takeover;
  guint latency;
  std::string name;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    priv->settings.fill (config);
    decode = priv->decode;
    takeover = priv->takeover;
    latency = priv->latency_ms;
    name = priv->settings.stream_name;
  }
  config.latency_ms = (gint)latency;
  std::string error;
  if (!rtc::sdp_validate_offer (offer->sdp, error)) {
    reject (self, id, GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, "malformed offer: " + error);
    return;
  }
  if (!priv->peers.empty ()) {
    if (!takeover) {
      reject (self, id, GST_RTC_SIGNALLER_ERROR_CONFLICT,
              "a publisher is already live on " + name +
                  " (DELETE its session first, or set publisher-takeover)");
      return;
    }
    remove_all_peers (self, "replaced by a new publisher", true);
  }
  auto codecs = receivable (self, decode);
  std::vector<rtc::MediaChoice> choices;
  std::vector<std::string> names;
  std::string problems;
  for (guint m = 0; m < gst_sdp_message_medias_len (offer->sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer->sdp, m);
    const gchar *kind = gst_sdp_media_get_media (media);
    bool video = kind && g_str_equal (kind, "video");
    bool audio = kind && g_str_equal (kind, "audio");
    if ((!video && !audio) || (gst_sdp_media_get_port (media) == 0 &&
                               !gst_sdp_media_get_attribute_val (media, "bundle-only")))
      continue;
    /* A publisher sends: recvonly/inactive m-lines carry nothing for us. */
    if (gst_sdp_media_get_attribute_val (media, "recvonly") ||
        gst_sdp_media_get_attribute_val (media, "inactive"))
      continue;
    rtc::InputFormat want;
    want.kind = video ? MediaKind::VIDEO : MediaKind::AUDIO;
    want.receive = true;
    rtc::MediaChoice choice;
    std::string why;
    if (!rtc::choose_media (offer->sdp, m, want, codecs, codecs, choice, why)) {
      problems += (problems.empty () ? "" : "; ") + why;
      continue;
    }
    /* Transport-wide feedback when the publisher offers it: its own
     * congestion control (a browser's GCC, webrtcpublish's) needs it. */
    int twcc = rtc::sdp_extmap_id (media, RTC_TWCC_URI);
    if (twcc > 0)
      rtc::caps_add_twcc (choice.caps.get (), twcc);
    names.push_back (choice.codec->name);
    choices.push_back (std::move (choice));
  }
  if (choices.empty ()) {
    reject (self, id, GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE,
            problems.empty () ? "the offer sends no audio or video (WHIP offers are sendonly or "
                                "sendrecv)"
                              : problems);
    return;
  }
  Peer &peer = add_peer (self, id, address, config);
  peer.codecs = names;
  if (!peer.session->start (config, offer, choices, error)) {
    remove_peer (self, id, error, false, false);
    reject (self, id, GST_RTC_SIGNALLER_ERROR_INTERNAL, error);
  }
}

/* Client mode: the WHEP client wants our offer: receive-only video and
 * audio with every codec we can take in. */
void on_offer_wanted (GstRtcSubscribe *self, const std::string &id, const std::string &url)
{
  auto priv = self->priv;
  PeerSession::Config config;
  bool decode;
  guint latency;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    priv->settings.fill (config);
    decode = priv->decode;
    latency = priv->latency_ms;
  }
  config.latency_ms = (gint)latency;
  rtc::apply_signaller_ice_servers (priv->host.signaller, config);
  std::vector<rtc::CapsPtr> caps;
  std::vector<std::string> names;
  gint pt = 96;
  for (MediaKind kind : {MediaKind::VIDEO, MediaKind::AUDIO}) {
    GstCaps *mcaps = gst_caps_new_empty ();
    for (const Codec *c : receivable (self, decode)) {
      if (c->kind != kind)
        continue;
      gst_caps_append (mcaps, rtc::rtp_caps_for (*c, pt++).release ());
      names.push_back (c->name);
    }
    if (gst_caps_is_empty (mcaps)) {
      gst_caps_unref (mcaps);
      continue;
    }
    rtc::caps_add_twcc (mcaps, 3); /* feedback for the server's congestion control */
    caps.emplace_back (mcaps);
  }
  if (caps.empty ()) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("No codec can be received"),
                       ("check codec-preferences and the installed depayloaders/decoders"));
    return;
  }
  priv->data->prepare_offer (id, config);
  Peer &peer = add_peer (self, id, url, config);
  peer.codecs = names;
  std::vector<GstCaps *> mlines;
  for (auto &c : caps)
    mlines.push_back (c.get ());
  std::string error;
  if (!peer.session->start_offer (config, mlines, error))
    remove_peer (self, id, error, true, true);
}

/* Control thread, every second: handshakes that never finish, publishers
 * that went silent (no RTP or RTCP). */
bool on_tick (GstRtcSubscribe *self)
{
  auto priv = self->priv;
  gint64 timeout_us, handshake_us;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    timeout_us = (gint64)priv->publisher_timeout_ms * 1000;
    handshake_us = (gint64)priv->settings.handshake_timeout_ms * 1000;
  }
  gint64 now = g_get_monotonic_time ();
  std::vector<std::pair<std::string, std::string>> expired;
  for (auto &kv : priv->peers) {
    std::string why = kv.second.session->expiry_reason (now, handshake_us, timeout_us, "publisher");
    if (!why.empty ())
      expired.push_back ({kv.first, why});
  }
  for (auto &e : expired)
    remove_peer (self, e.first, e.second, true, true);
  return true;
}

class Handler : public rtc::SignallerLink::Handler {
public:
  explicit Handler (GstRtcSubscribe *self) : self_ (self) {}

  void session_requested (const std::string &id, const std::string &peer,
                          GstWebRTCSessionDescription *offer) override
  {
    if (offer)
      on_publisher_offer (self_, id, peer, offer);
    else
      on_offer_wanted (self_, id, peer);
  }
  void session_description (const std::string &id, GstWebRTCSessionDescription *answer) override
  {
    auto it = self_->priv->peers.find (id);
    if (it != self_->priv->peers.end ())
      it->second.session->set_remote_answer (answer);
  }
  void remote_candidate (const std::string &id, guint mline, const std::string &cand) override
  {
    auto it = self_->priv->peers.find (id);
    if (it != self_->priv->peers.end ())
      it->second.session->add_remote_candidate (mline, cand);
  }
  void session_ended (const std::string &id) override
  {
    remove_peer (self_, id,
                 self_->priv->host.client ? "the WHEP session ended" : "the publisher left", false,
                 false);
  }
  void state_changed (const std::string &state, const std::string &detail) override
  {
    post_element_message (self_, gst_structure_new ("webrtcsubscribe-client-state", "state",
                                                    G_TYPE_STRING, state.c_str (), "detail",
                                                    G_TYPE_STRING, detail.c_str (), nullptr));
  }
  void error (const std::string &message) override
  {
    if (self_->priv->host.client)
      GST_ELEMENT_ERROR (self_, RESOURCE, OPEN_READ, ("WHEP playback failed: %s", message.c_str ()),
                         ("retrying cannot fix this; check the URL and auth-token"));
    else
      GST_ELEMENT_WARNING (self_, RESOURCE, FAILED, ("Signalling: %s", message.c_str ()),
                           (nullptr));
  }

private:
  GstRtcSubscribe *self_;
};

} // namespace

/* ---- start / stop ----------------------------------------------------- */

/* What /streams.json lists for the stream: media kinds, data channels. */
static void describe (GstRtcSubscribe *self)
{
  self->priv->host.describe ("video,audio", rtc::data_channels_json (self->priv->data->wanted ()));
}

static GstPad *gst_rtc_subscribe_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                                  const gchar *name, const GstCaps *)
{
  auto self = GST_RTC_SUBSCRIBE (element);
  if (!rtc::DataRouter::is_data_template (templ))
    return nullptr;
  GstPad *pad = self->priv->data->request_pad (templ, name);
  if (pad)
    describe (self);
  return pad;
}

static void gst_rtc_subscribe_release_pad (GstElement *element, GstPad *pad)
{
  auto self = GST_RTC_SUBSCRIBE (element);
  if (self->priv->data->release_pad (pad))
    describe (self);
}

static bool gst_rtc_subscribe_start (GstRtcSubscribe *self)
{
  auto priv = self->priv;
  rtc::Settings settings;
  bool decode;
  {
    std::lock_guard<std::mutex> g (priv->lock);
    settings = priv->settings;
    decode = priv->decode;
  }
  std::vector<const Codec *> prefs;
  std::string error;
  if (!rtc::parse_codec_preferences (settings.codec_preferences, prefs, error)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Invalid codec-preferences: %s", error.c_str ()),
                       (nullptr));
    return false;
  }
  priv->preferences = prefs;
  priv->decoders.clear ();
  if (decode)
    for (const Codec *c : prefs) {
      std::string dec = rtc::find_decoder (*c);
      if (!dec.empty ())
        priv->decoders[c] = dec;
    }
  priv->data->configure (settings.data_policy, settings.data_channels);
  priv->control.start ("rtcsubscribe-ctl");
  priv->control.every (1000, [self] () { return on_tick (self); });

  if (!priv->host.start (GST_ELEMENT (self), settings, &priv->control, priv->handler.get ()))
    return false;
  describe (self);
  return true;
}

static void gst_rtc_subscribe_stop (GstRtcSubscribe *self)
{
  auto priv = self->priv;
  priv->data->stop ();
  priv->host.stop ();
  if (priv->control.running ())
    priv->control.post_sync ([self] () { remove_all_peers (self, "the pipeline stopped", false); });
  priv->control.stop ();
  rtc::wait_disposals (); /* nothing of ours outlives the element */
  std::vector<std::unique_ptr<Output>> outputs;
  {
    std::lock_guard<std::mutex> g (priv->out_lock);
    outputs.swap (priv->outputs);
  }
  for (auto &out : outputs) {
    gst_pad_set_active (out->ghost, FALSE);
    gst_element_remove_pad (GST_ELEMENT (self), out->ghost);
  }
  priv->connected = false;
}

static GstStateChangeReturn gst_rtc_subscribe_change_state (GstElement *element,
                                                            GstStateChange transition)
{
  auto self = GST_RTC_SUBSCRIBE (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !gst_rtc_subscribe_start (self)) {
    gst_rtc_subscribe_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    std::lock_guard<std::mutex> g (self->priv->out_lock);
    for (auto &out : self->priv->outputs)
      out->eos_allowed = false;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    self->priv->data->start ();
  else if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    self->priv->data->stop (); /* blocked senders let go before their pads stop */
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  /* A live source: no preroll. */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED ||
      transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    ret = GST_STATE_CHANGE_NO_PREROLL;
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    gst_rtc_subscribe_stop (self);
  return ret;
}

/* EOS from the application (gst-launch-1.0 -e, an application finishing a
 * recording): goes out of every pad, so muxers can finish their files.
 * Before the first publisher, empty video_0/audio_0 pads carry it. */
static gboolean gst_rtc_subscribe_send_event (GstElement *element, GstEvent *event)
{
  auto self = GST_RTC_SUBSCRIBE (element);
  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
  std::vector<GstPad *> pads;
  bool made = false;
  {
    std::lock_guard<std::mutex> g (self->priv->out_lock);
    if (self->priv->outputs.empty ()) {
      /* No publisher ever came: show the pads the application links to
       * (video_0, audio_0) just to end their streams, so that an EOS
       * (gst-launch-1.0 -e, Ctrl-C) still finishes the pipeline. */
      attach_output (self, MediaKind::VIDEO, 0, nullptr);
      attach_output (self, MediaKind::AUDIO, 0, nullptr);
      made = true;
    }
    for (auto &out : self->priv->outputs) {
      out->eos_allowed = true;
      pads.push_back (GST_PAD (gst_object_ref (out->ghost)));
    }
  }
  self->priv->data->push_eos ();
  for (GstPad *pad : pads) {
    if (made) {
      gst_pad_push_event (pad, gst_event_new_stream_start ("webrtcsubscribe-no-publisher"));
      GstSegment segment;
      gst_segment_init (&segment, GST_FORMAT_TIME);
      gst_pad_push_event (pad, gst_event_new_segment (&segment));
    }
    gst_pad_push_event (pad, gst_event_ref (event));
    gst_object_unref (pad);
  }
  gst_event_unref (event);
  return TRUE;
}

/* webrtcbin holds network sinks and sources, which would make this bin a
 * sink in its parent's eyes (the pipeline would wait for its EOS and its
 * preroll). To the pipeline it is a source, whatever it holds. */
static void keep_source_flags (GstRtcSubscribe *self)
{
  GST_OBJECT_LOCK (self);
  GST_OBJECT_FLAG_UNSET (self, GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
  GST_OBJECT_UNLOCK (self);
}

static gboolean gst_rtc_subscribe_add_element (GstBin *bin, GstElement *element)
{
  gboolean ok = GST_BIN_CLASS (parent_class)->add_element (bin, element);
  keep_source_flags (GST_RTC_SUBSCRIBE (bin));
  return ok;
}

static gboolean gst_rtc_subscribe_remove_element (GstBin *bin, GstElement *element)
{
  gboolean ok = GST_BIN_CLASS (parent_class)->remove_element (bin, element);
  keep_source_flags (GST_RTC_SUBSCRIBE (bin));
  return ok;
}

/* ---- properties ------------------------------------------------------- */

static void gst_rtc_subscribe_set_property (GObject *object, guint prop_id, const GValue *value,
                                            GParamSpec *pspec)
{
  auto self = GST_RTC_SUBSCRIBE (object);
  auto priv = self->priv;
  if (prop_id == PROP_SIGNALLER) {
    if (GST_STATE (self) != GST_STATE_NULL) {
      GST_WARNING_OBJECT (self, "the signaller can only be changed in the NULL state");
      return;
    }
    priv->host.set (GST_RTC_SIGNALLER (g_value_get_object (value)));
    return;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  if (priv->settings.set (prop_id, value))
    return;
  switch (prop_id) {
  case PROP_DECODE:
    priv->decode = g_value_get_boolean (value);
    break;
  case PROP_LATENCY:
    priv->latency_ms = g_value_get_uint (value);
    break;
  case PROP_TAKEOVER:
    priv->takeover = g_value_get_boolean (value);
    break;
  case PROP_PUBLISHER_TIMEOUT:
    priv->publisher_timeout_ms = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_subscribe_get_property (GObject *object, guint prop_id, GValue *value,
                                            GParamSpec *pspec)
{
  auto self = GST_RTC_SUBSCRIBE (object);
  auto priv = self->priv;
  if (prop_id == rtc::Settings::PORT || prop_id == PROP_URL) {
    GstRtcSignaller *running = nullptr;
    guint port;
    {
      std::lock_guard<std::mutex> g (priv->lock);
      running = priv->host.ref_running_server ();
      port = priv->settings.port;
    }
    if (prop_id == rtc::Settings::PORT)
      g_value_set_uint (value, port);
    rtc::Settings::get_live (prop_id == PROP_URL ? 0 : prop_id, value, running);
    if (running)
      gst_object_unref (running);
    return;
  }
  std::lock_guard<std::mutex> g (priv->lock);
  if (priv->settings.get (prop_id, value))
    return;
  switch (prop_id) {
  case PROP_DECODE:
    g_value_set_boolean (value, priv->decode);
    break;
  case PROP_LATENCY:
    g_value_set_uint (value, priv->latency_ms);
    break;
  case PROP_TAKEOVER:
    g_value_set_boolean (value, priv->takeover);
    break;
  case PROP_PUBLISHER_TIMEOUT:
    g_value_set_uint (value, priv->publisher_timeout_ms);
    break;
  case PROP_SIGNALLER:
    g_value_set_object (value, priv->host.signaller);
    break;
  case PROP_CONNECTED:
    g_value_set_boolean (value, priv->connected.load ());
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_subscribe_finalize (GObject *object)
{
  auto self = GST_RTC_SUBSCRIBE (object);
  delete self->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gst_rtc_subscribe_class_init (GstRtcSubscribeClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_rtc_subscribe_set_property;
  gobject_class->get_property = gst_rtc_subscribe_get_property;
  gobject_class->finalize = gst_rtc_subscribe_finalize;
  element_class->change_state = gst_rtc_subscribe_change_state;
  element_class->send_event = gst_rtc_subscribe_send_event;
  element_class->request_new_pad = gst_rtc_subscribe_request_new_pad;
  element_class->release_pad = gst_rtc_subscribe_release_pad;
  GST_BIN_CLASS (klass)->add_element = gst_rtc_subscribe_add_element;
  GST_BIN_CLASS (klass)->remove_element = gst_rtc_subscribe_remove_element;

  rtc::Settings::install (
      gobject_class,
      {"publishers", "whep-url",
       "WHEP endpoint URL to play from (client mode: no embedded server); reconnects with "
       "back-off (NULL = receive publishers over WHIP)",
       "/whip/<name> and /publish/<name>"});
  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_DECODE,
      g_param_spec_boolean ("decode", "Decode",
                            "Output decoded raw audio/video (TRUE) or the encoded stream, parsed "
                            "(FALSE)",
                            DEFAULT_DECODE, GParamFlags (rw | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (
      gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
                         "Receive jitter buffer, ms: more absorbs network jitter and leaves time "
                         "for retransmissions, less lowers delay (webrtcbin's own default is "
                         "200). Applies to sessions that start after a change",
                         0, 10000, DEFAULT_LATENCY, GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_TAKEOVER,
      g_param_spec_boolean ("publisher-takeover", "Publisher takeover",
                            "A new publisher replaces the live one (TRUE) instead of getting "
                            "HTTP 409 (FALSE)",
                            DEFAULT_TAKEOVER, GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_PUBLISHER_TIMEOUT,
      g_param_spec_uint ("publisher-timeout", "Publisher timeout",
                         "A connected publisher that sends no media or RTCP for this long is "
                         "removed, ms",
                         1000, 600000, DEFAULT_PUBLISHER_TIMEOUT,
                         GParamFlags (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_SIGNALLER,
      g_param_spec_object ("signaller", "Signaller",
                           "How publishers reach the element (default: the embedded WHIP server, "
                           "or a WHEP client when whep-url is set)",
                           GST_TYPE_RTC_SIGNALLER, rw));
  g_object_class_install_property (
      gobject_class, PROP_CONNECTED,
      g_param_spec_boolean ("connected", "Connected",
                            "Whether a publisher (or the WHEP server) is connected now", FALSE,
                            ro));
  g_object_class_install_property (
      gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL", "The publish page URL while the server runs", nullptr,
                           ro));

  /**
   * GstRtcSubscribe::session-created:
   * @self: the element
   * @session_id: the session id
   * @webrtcbin: the session's webrtcbin, not yet negotiated
   *
   * Emitted on the element's control thread when a publisher's (or the WHEP
   * client's) session is made: the application may customise @webrtcbin.
   */
  signals[SIGNAL_SESSION_CREATED] =
      g_signal_new ("session-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                    nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, GST_TYPE_ELEMENT);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  rtc::DataRouter::install (element_class);
  gst_element_class_set_static_metadata (
      element_class, "WebRTC subscriber", "Source/Network/WebRTC",
      "Receives audio and video from WebRTC publishers (WHIP server) or a WHEP server",
      "gst-rtcbridge developers");
  gst_type_mark_as_plugin_api (GST_TYPE_RTC_SIGNALLER, (GstPluginAPIFlags)0);
}

static void gst_rtc_subscribe_init (GstRtcSubscribe *self)
{
  self->priv = new GstRtcSubscribePrivate ();
  self->priv->handler = std::make_unique<Handler> (self);
  self->priv->data = std::make_unique<rtc::DataRouter> (GST_ELEMENT (self), "webrtcsubscribe");
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

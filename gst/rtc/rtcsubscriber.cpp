/* See rtcsubscriber.h. */
#include "rtcsubscriber.h"

#include "rtcnegotiation.h"
#include "rtcptr.h"

GST_DEBUG_CATEGORY_STATIC (rtc_subscriber_debug);
#define GST_CAT_DEFAULT rtc_subscriber_debug

namespace rtc {

Subscriber::Subscriber (GstElement *element, const char *prefix, DataRouter &data,
                        ControlThread &control, Hooks hooks, std::function<Settings ()> settings)
    : ElementSessions (element, prefix, {"publisher", "session-id"}, data, control,
                       std::move (hooks)),
      settings_ (std::move (settings)), outputs_ (element, prefix)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_subscriber_debug, "rtcsubscriber", 0,
                             "webrtcsubscribe's publishers");
    g_once_init_leave (&once, 1);
  }
}

Subscriber::~Subscriber () = default;

/* The codecs we can take in, in preference order. */
std::vector<const Codec *> Subscriber::receivable (const Settings &s) const
{
  std::vector<const Codec *> out;
  for (const Codec *c : s.preferences) {
    ObjectPtr<GstElementFactory> depay (gst_element_factory_find (c->depayloader));
    if (depay && (!s.output.decode || s.output.decoders.count (c)))
      out.push_back (c);
  }
  return out;
}

void Subscriber::configure (const std::string &id, const std::string &peer, const Settings &s,
                            PeerSession::Config &config)
{
  config = s.session;
  config.latency_ms = (gint)s.latency_ms;
  config.direction = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY;
  Outputs::Settings output = s.output;
  config.on_src_pad = [this, id, peer, output] (GstPad *pad) {
    MediaKind kind;
    if (!outputs_.add_chain (id, peer, pad, output, kind) || kind != MediaKind::VIDEO)
      return;
    /* A new publisher's first frame should not wait for its next keyframe. */
    control_.post ([this, id] () {
      if (Session *s = sessions_.find (id))
        s->peer->request_keyframe ();
    });
  };
}

std::unique_ptr<Session> Subscriber::answer_offer (const std::string &id, const std::string &peer,
                                                   const GstSDPMessage *offer, Sessions::Plan &plan,
                                                   Sessions::Refusal &refusal)
{
  Settings s = settings_ ();
  if (s.max_publishers > 0 && sessions_.size () >= s.max_publishers) {
    if (!s.takeover) {
      refusal.code = GST_RTC_SIGNALLER_ERROR_CONFLICT;
      refusal.reason = s.max_publishers == 1
                           ? "a publisher is already live on " + s.stream_name +
                                 " (end its session first, or set publisher-takeover)"
                           : std::to_string (s.max_publishers) + " publishers are live on " +
                                 s.stream_name + " (max-publishers)";
      return nullptr;
    }
    /* The oldest publisher makes room. */
    std::string oldest;
    gint64 oldest_us = G_MAXINT64;
    for (auto &kv : sessions_.all ())
      if (kv.second->peer->created_us () < oldest_us) {
        oldest_us = kv.second->peer->created_us ();
        oldest = kv.first;
      }
    sessions_.remove (oldest, "replaced by a new publisher", true, false);
  }
  LocalMedia local;
  local.receive = true;
  local.preferences = s.preferences;
  local.usable = receivable (s);
  OfferMatch match;
  std::string why;
  if (!match_offer (offer, local, match, why)) {
    refusal = {GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE, why};
    return nullptr;
  }
  auto source = std::make_unique<Source> ();
  for (auto &line : match.lines) {
    source->codecs.push_back (line.choice.codec->name);
    plan.choices.push_back (std::move (line.choice));
  }
  configure (id, peer, s, plan.config);
  return source;
}

std::unique_ptr<Session> Subscriber::make_offer (const std::string &id, const std::string &peer,
                                                 Sessions::Plan &plan, Sessions::Refusal &refusal)
{
  Settings s = settings_ ();
  LocalMedia local;
  local.receive = true;
  local.preferences = s.preferences;
  local.usable = receivable (s);
  std::vector<OfferLine> lines;
  std::string why;
  if (!build_offer (local, lines, why)) {
    GST_ELEMENT_ERROR (element_, CORE, MISSING_PLUGIN, ("Cannot make an offer: %s", why.c_str ()),
                       (nullptr));
    refusal = {GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE, why};
    return nullptr;
  }
  auto source = std::make_unique<Source> ();
  for (auto &line : lines) {
    source->codecs.insert (source->codecs.end (), line.codecs.begin (), line.codecs.end ());
    source->offered.push_back (line.kind);
    plan.mlines.push_back (std::move (line.caps));
  }
  configure (id, peer, s, plan.config);
  return source;
}

bool Subscriber::answer_applied (Session &session, std::string &error)
{
  auto &source = static_cast<Source &> (session);
  std::vector<AnsweredLine> lines;
  if (!read_answer (source.peer->remote_sdp (), source.offered, lines, error))
    return false;
  source.codecs.clear ();
  for (auto &line : lines)
    source.codecs.push_back (line.codec->name);
  return true;
}

void Subscriber::update_connected ()
{
  bool any = false;
  for (auto &kv : sessions_.all ())
    any = any || kv.second->connected;
  connected_ = any;
}

void Subscriber::connected (Session &session)
{
  auto &source = static_cast<Source &> (session);
  update_connected ();
  std::string codecs = source.codec_list ();
  GST_INFO_OBJECT (element_, "publisher %s connected (%s)", source.id.c_str (), codecs.c_str ());
  post ("-publisher-connected",
        gst_structure_new ("x", "id", G_TYPE_STRING, source.id.c_str (), "remote-address",
                           G_TYPE_STRING, source.peer_address.c_str (), "codecs", G_TYPE_STRING,
                           codecs.c_str (), nullptr));
}

void Subscriber::removed (Session &session, const std::string &reason)
{
  outputs_.remove_chains (session.id);
  update_connected ();
  if (session.connected)
    post ("-publisher-disconnected",
          gst_structure_new ("x", "id", G_TYPE_STRING, session.id.c_str (), "remote-address",
                             G_TYPE_STRING, session.peer_address.c_str (), "reason", G_TYPE_STRING,
                             reason.c_str (), nullptr));
}

void Subscriber::tick ()
{
  Settings s = settings_ ();
  sessions_.expire (s.handshake_us, s.silence_us);
}

void Subscriber::stop (const std::string &reason, bool tell)
{
  sessions_.remove_all (reason, tell);
}

void Subscriber::describe (Session &session, GstStructure *fields)
{
  gst_structure_set (fields, "codecs", G_TYPE_STRING,
                     static_cast<Source &> (session).codec_list ().c_str (), nullptr);
}

} // namespace rtc

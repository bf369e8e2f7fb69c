/* See rtcroom.h. */
#include "rtcroom.h"

#include "rtcroomprivate.h"

#include "rtcdebug.h"

#include <algorithm>

#include "rtcencoderbranch.h"
#include "rtcptr.h"
#include "rtcsdp.h"
#include "rtcteardown.h"

RTC_DEBUG_CATEGORY_FUNCTION (rtc_room_category, "rtcroom", "webrtcroom's participants and tracks")
#define GST_CAT_DEFAULT rtc_room_category ()

namespace rtc {

namespace {

/* Whether the peer sends on m-line @mline of its description @sdp. */
bool peer_sends (const GstSDPMessage *sdp, gint mline)
{
  const GstSDPMedia *m = sdp && mline >= 0 && (guint)mline < gst_sdp_message_medias_len (sdp)
                             ? gst_sdp_message_get_media (sdp, mline)
                             : nullptr;
  if (!m || !sdp_media_used (m))
    return false;
  return !sdp_media_has (m, "recvonly") && !sdp_media_has (m, "inactive");
}

/* Whether the peer only receives on m-line @m of its offer. */
bool peer_receives_only (const GstSDPMedia *m)
{
  return sdp_media_used (m) && sdp_media_has (m, "recvonly");
}

/* The participant a room hosted elsewhere names as the owner of m-line
 * @mline (a=ssrc:<n> msid:<participant>/<track> ...), or "". */
std::string msid_owner (const GstSDPMessage *sdp, gint mline)
{
  const GstSDPMedia *m = sdp && mline >= 0 && (guint)mline < gst_sdp_message_medias_len (sdp)
                             ? gst_sdp_message_get_media (sdp, mline)
                             : nullptr;
  for (guint i = 0; m && i < gst_sdp_media_attributes_len (m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);
    const char *msid = a->value ? strstr (a->value, "msid:") : nullptr;
    if (g_strcmp0 (a->key, "ssrc") != 0 || !msid)
      continue;
    std::string v = msid + 5;
    size_t slash = v.find ('/');
    std::string owner = slash == std::string::npos ? "" : v.substr (0, slash);
    if (owner.empty () || owner.size () > 64)
      continue;
    if (std::all_of (owner.begin (), owner.end (),
                     [] (char c) { return g_ascii_isalnum (c) || c == '-' || c == '_'; }))
      return owner;
  }
  return {};
}

} // namespace

gint room_fixed_pt (const Codec *codec)
{
  static const struct {
    const char *name;
    gint pt;
  } table[] = {{"VP8", 96}, {"VP9", 98}, {"H264", 102}, {"AV1", 45}, {"OPUS", 111}};
  for (auto &e : table)
    if (g_ascii_strcasecmp (codec->name, e.name) == 0)
      return e.pt;
  return 100;
}

Room::Participant::~Participant ()
{
  for (auto &kv : arrivals)
    dispose_elements (bin, {kv.second->depay, kv.second->tee});
}

Room::Room (GstElement *element, const char *prefix, DataRouter &data, ControlThread &control,
            Hooks hooks, std::function<Settings ()> settings)
    : ElementSessions (element, prefix, {"participant", "participant-id"}, data, control,
                       std::move (hooks)),
      settings_ (std::move (settings)),
      inputs_ (element, [this] () { control_.post ([this] () { add_pipeline_tracks (); }); }),
      pool_ (element, prefix_ + "-encoder")
{}

Room::~Room () = default;

/* ---- sessions -------------------------------------------------------------- */

/* @level: the audio-level header extension too (RFC 6464; what the room
 * receives: senders then say how loud each packet is). */
static CapsPtr line_caps (const Codec *codec, bool twcc, bool level = false)
{
  CapsPtr caps = rtp_caps_for (*codec, room_fixed_pt (codec));
  if (twcc)
    caps_add_twcc (caps.get (), 3);
  if (level && codec->kind == MediaKind::AUDIO)
    caps_add_audio_level (caps.get (), RTC_AUDIO_LEVEL_ID);
  return caps;
}

static guint random_ssrc ()
{
  guint ssrc = 0;
  while (ssrc == 0)
    ssrc = g_random_int ();
  return ssrc;
}

/* A new sending m-line of @codec in @p's session, announced as @msid
 * ("<owner>/<track>": the participant learns whose it is). Always a new
 * m-line: webrtcbin 1.22 cannot make an inactive one send again
 * ("transceiver direction changes are not implemented"). */
bool Room::add_line (Participant &p, const Codec *codec, const std::string &msid, Line &line,
                     std::string &error)
{
  CapsPtr caps = line_caps (codec, true);
  guint ssrc = random_ssrc ();
  gst_caps_set_simple (caps.get (), "ssrc", G_TYPE_UINT, ssrc, nullptr);
  GstPad *pad = p.peer->add_send_line (caps.get (), msid, error);
  if (!pad)
    return false;
  line = {pad, room_fixed_pt (codec), ssrc, false};
  return true;
}

/* The peer's receive-only m-line @mline of @offer, answered with a
 * sending line of @codec announced as @msid: false with @error empty when
 * the peer cannot take @codec there. */
bool Room::answer_send_line (PeerSession &peer, const GstSDPMessage *offer, guint mline,
                             const Codec *codec, const std::string &msid, Line &line,
                             std::string &error)
{
  InputFormat format;
  format.kind = codec->kind;
  format.raw = false;
  format.codec = codec;
  MediaChoice choice;
  std::string why;
  if (!choose_media (offer, mline, format, {codec}, {}, choice, why))
    return false;
  guint ssrc = random_ssrc ();
  gst_caps_set_simple (choice.caps.get (), "ssrc", G_TYPE_UINT, ssrc, nullptr);
  GstPad *pad = peer.add_send_line (choice.caps.get (), msid, error);
  if (!pad)
    return false;
  line = {pad, choice.pt, ssrc, false};
  return true;
}

/* The codecs a participant may publish with, of @kind. */
static std::vector<const Codec *> receivable (const Room::Settings &s, MediaKind kind)
{
  std::vector<const Codec *> codecs;
  for (const Codec *c : s.preferences) {
    ObjectPtr<GstElementFactory> depay (gst_element_factory_find (c->depayloader));
    if (c->kind == kind && depay && (!s.decode || s.decoders.count (c)))
      codecs.push_back (c);
  }
  return codecs;
}

static CapsPtr receivable_caps (const Room::Settings &s, MediaKind kind)
{
  CapsPtr caps (gst_caps_new_empty ());
  for (const Codec *c : receivable (s, kind))
    gst_caps_append (caps.get (), line_caps (c, true, true).release ());
  return caps;
}

std::unique_ptr<Session> Room::make_offer (const std::string &id, const std::string &peer,
                                           Sessions::Plan &plan, Sessions::Refusal &refusal)
{
  Settings s = settings ();
  if (s.max_participants > 0 && sessions_.size () >= s.max_participants) {
    refusal = {GST_RTC_SIGNALLER_ERROR_UNAVAILABLE,
               "the room is full (max-participants=" + std::to_string (s.max_participants) + ")"};
    return nullptr;
  }
  plan.config = s.session;
  plan.config.end_on_bye = false;
  plan.config.nack = true;
  plan.config.on_src_pad = [this, id] (GstPad *pad) {
    on_src_pad (id, pad);
  };
  plan.build = [this, id, s] (PeerSession &session, std::string &error) {
    /* Its camera and microphone: what it may publish at once, in its answer. */
    for (MediaKind kind : {MediaKind::VIDEO, MediaKind::AUDIO}) {
      CapsPtr caps = receivable_caps (s, kind);
      if (!gst_caps_is_empty (caps.get ()) && !session.add_recv_line (caps.get (), error))
        return false;
    }
    /* Everything the room carries already. */
    auto p = static_cast<Participant *> (sessions_.find (id));
    for (auto &kv : tracks_)
      if (p && kv.second->session != id && kv.second->branch &&
          !offer_track (*p, *kv.second, error))
        return false;
    /* Audio mixing: the room's audio for it, one line. */
    if (p && s.audio_mix && !s.client && !offer_mix (*p, error))
      return false;
    return true;
  };
  auto p = std::make_unique<Participant> ();
  p->bin = GST_BIN (element_);
  return p;
}

/* The peer offered first (a room hosted elsewhere, or a participant that
 * publishes before it receives): one transceiver per offered audio/video
 * m-line, in order, so that webrtcbin pairs each with its m-line. */
std::unique_ptr<Session> Room::answer_offer (const std::string &id, const std::string &,
                                             const GstSDPMessage *offer, Sessions::Plan &plan,
                                             Sessions::Refusal &refusal)
{
  Settings s = settings ();
  if (s.max_participants > 0 && sessions_.size () >= s.max_participants) {
    refusal = {GST_RTC_SIGNALLER_ERROR_UNAVAILABLE,
               "the room is full (max-participants=" + std::to_string (s.max_participants) + ")"};
    return nullptr;
  }
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy (offer, &copy);
  auto shared = std::shared_ptr<GstSDPMessage> (copy, gst_sdp_message_free);
  plan.config = s.session;
  plan.config.end_on_bye = false;
  plan.config.nack = true;
  /* The room protocol's participant is polite (docs/room-protocol.md). */
  plan.config.polite = s.client;
  plan.config.on_src_pad = [this, id] (GstPad *pad) {
    on_src_pad (id, pad);
  };
  plan.build = [this, id, shared] (PeerSession &peer, std::string &error) {
    auto p = static_cast<Participant *> (sessions_.find (id));
    if (!p) {
      error = "the session is gone";
      return false;
    }
    for (guint i = 0; i < gst_sdp_message_medias_len (shared.get ()); i++)
      if (!answer_line (*p, shared.get (), i, peer, error))
        return false;
    return true;
  };
  auto p = std::make_unique<Participant> ();
  p->bin = GST_BIN (element_);
  /* A host's participant that offers first is a WHIP publisher: it takes
   * what its offer asks for and never renegotiates. */
  p->fixed = !s.client;
  return p;
}

/* The transceiver for m-line @mline of the peer's first offer: it receives
 * what the peer sends, sends a track of the room where the peer only
 * receives (the first one of that kind it is not given yet), or holds the
 * place. */
bool Room::answer_line (Participant &p, const GstSDPMessage *offer, guint mline, PeerSession &peer,
                        std::string &error)
{
  const GstSDPMedia *m = gst_sdp_message_get_media (offer, mline);
  const gchar *media = gst_sdp_media_get_media (m);
  MediaKind kind;
  if (g_strcmp0 (media, "video") == 0)
    kind = MediaKind::VIDEO;
  else if (g_strcmp0 (media, "audio") == 0)
    kind = MediaKind::AUDIO;
  else
    return true; /* data: the data router's */
  Settings s = settings ();
  if (peer_receives_only (m)) {
    if (s.audio_mix && !s.client && kind == MediaKind::AUDIO) {
      if (answer_mix (p, offer, mline, peer, error))
        return true;
      if (!error.empty ())
        return false;
    }
    for (auto &kv : tracks_) {
      Track &t = *kv.second;
      if (t.kind != kind || t.session == p.id || p.lines.count (t.id) || !t.branch)
        continue;
      Line line;
      if (answer_send_line (peer, offer, mline, t.codec, t.owner + "/" + t.public_id, line,
                            error)) {
        p.lines[t.id] = line;
        return true;
      }
      if (!error.empty ())
        return false;
    }
  } else if (sdp_media_used (m) && !sdp_media_has (m, "inactive")) {
    InputFormat format;
    format.kind = kind;
    format.receive = true;
    std::vector<const Codec *> codecs = receivable (s, kind);
    MediaChoice choice;
    std::string why;
    if (choose_media (offer, mline, format, codecs, codecs, choice, why)) {
      int level = kind == MediaKind::AUDIO ? sdp_extmap_id (m, RTC_AUDIO_LEVEL_URI) : 0;
      if (level > 0)
        caps_add_audio_level (choice.caps.get (), level);
      return peer.add_recv_line (choice.caps.get (), error);
    }
    GST_INFO_OBJECT (element_, "participant %s: m-line %u: %s", p.id.c_str (), mline, why.c_str ());
  }
  CapsPtr any = receivable_caps (s, kind);
  return peer.add_recv_line (any.get (), error, true);
}

bool Room::offer_track (Participant &p, Track &t, std::string &error)
{
  if (p.lines.count (t.id))
    return true;
  Line line;
  if (!add_line (p, t.codec, t.owner + "/" + t.public_id, line, error))
    return false;
  p.lines[t.id] = line;
  return true;
}

/* Tracks of the room a participant is not given yet: offered. */
void Room::offer_missing (Participant &p)
{
  if (p.fixed)
    return;
  bool added = false;
  for (auto &kv : tracks_) {
    Track &t = *kv.second;
    if (t.session == p.id || p.lines.count (t.id) || !t.branch)
      continue;
    std::string error;
    if (offer_track (p, t, error))
      added = true;
    else
      GST_WARNING_OBJECT (element_, "participant %s: %s", p.id.c_str (), error.c_str ());
  }
  Settings s = settings ();
  if (s.audio_mix && !s.client && !p.mix_line.send_line) {
    std::string error;
    if (offer_mix (p, error))
      added = true;
    else
      GST_WARNING_OBJECT (element_, "participant %s: %s", p.id.c_str (), error.c_str ());
  }
  if (added)
    sessions_.renegotiate (p.id);
}

void Room::link_lines (Participant &p)
{
  if (!p.connected)
    return;
  /* Media for an m-line the participant has not seen in an offer or
   * answer yet would arrive unannounced: a browser then takes its SSRC for
   * another m-line and refuses the description that announces it. */
  const GstSDPMessage *remote = p.peer->remote_sdp ();
  gint known = remote ? (gint)gst_sdp_message_medias_len (remote) : 0;
  for (auto &kv : p.lines) {
    Line &line = kv.second;
    auto t = tracks_.find (kv.first);
    gint mline = p.peer->mline_of (line.send_line);
    if (line.linked || t == tracks_.end () || !t->second->branch || mline < 0 || mline >= known)
      continue;
    std::string error;
    if (!p.peer->link_pad (line.send_line, line.pt, line.ssrc, t->second->branch, error)) {
      GST_WARNING_OBJECT (element_, "participant %s: track %s: %s", p.id.c_str (),
                          kv.first.c_str (), error.c_str ());
      continue;
    }
    line.linked = true;
  }
  link_mix (p);
}

/* After an exchange: receiving m-lines the peer stopped sending on end their
 * track; those it sends on again (a reused m-line) carry a new one. */
void Room::prune_stopped (Participant &p)
{
  const GstSDPMessage *remote = p.peer->remote_sdp ();
  for (auto &kv : p.arrivals) {
    Arrival &a = *kv.second;
    bool sends = peer_sends (remote, a.mline);
    if (!sends && !a.track.empty ()) {
      std::string id = a.track;
      a.track.clear ();
      remove_track (id);
    } else if (sends && a.track.empty ()) {
      add_track (a);
    }
  }
}

void Room::agreed (Session &session)
{
  auto &p = static_cast<Participant &> (session);
  n_participants_ = sessions_.size ();
  post ("-participant-joined",
        gst_structure_new ("x", "id", G_TYPE_STRING, session.id.c_str (), "name", G_TYPE_STRING,
                           session.peer_address.c_str (), "participants", G_TYPE_UINT,
                           n_participants_.load (), nullptr));
  link_lines (p);
  offer_missing (p);
}

/* webrtcbin 1.22 puts a clocksync (sync=true) before each sending m-line.
 * Forwarded media keeps the timestamps it arrived with, which can be ahead
 * of the clock: the clocksync then held it back ~200 ms (and the leaky
 * queue before the payloader dropped frames). A forwarding unit sends what
 * it has at once. */
static void on_webrtcbin_child (GstBin *, GstElement *child, gpointer)
{
  GstElementFactory *f = gst_element_get_factory (child);
  if (f && g_str_equal (GST_OBJECT_NAME (f), "clocksync"))
    g_object_set (child, "sync", FALSE, nullptr);
}

void Room::created (Session &session)
{
  g_signal_connect (session.peer->webrtcbin (), "element-added", G_CALLBACK (on_webrtcbin_child),
                    nullptr);
  if (members_.joined)
    members_.joined (session.id, session.peer_address);
  attach_estimator (static_cast<Participant &> (session));
  created_hook (session);
}

void Room::connected (Session &session)
{
  auto &p = static_cast<Participant &> (session);
  p.switched_us = g_get_monotonic_time ();
  link_lines (p);
}

void Room::renegotiated (Session &session)
{
  auto &p = static_cast<Participant &> (session);
  prune_stopped (p);
  link_lines (p);
  offer_missing (p);
}

/* Whether a new sending line may be added to @p's session now: not while
 * its first exchange or a peer's offer is under way (webrtcbin could pair
 * the new transceiver with one of the peer's m-lines); agreed () and
 * renegotiated () offer what was left out (offer_missing ()). */
bool Room::takes_lines (const Participant &p)
{
  return p.agreed && !p.answering && !p.fixed;
}

void Room::removed (Session &session, const std::string &reason)
{
  auto &p = static_cast<Participant &> (session);
  n_participants_ = sessions_.size ();
  std::vector<std::string> own;
  for (auto &kv : tracks_)
    if (kv.second->session == session.id)
      own.push_back (kv.first);
  release_mix (p);
  for (auto &id : own)
    remove_track (id);
  for (auto it = published_.begin (); it != published_.end ();)
    it = it->first == session.id ? published_.erase (it) : std::next (it);
  if (settings ().client)
    published_.clear ();
  /* The arrivals go with the session (~Participant). */
  if (members_.left)
    members_.left (session.id);
  if (session.agreed)
    post ("-participant-left",
          gst_structure_new ("x", "id", G_TYPE_STRING, session.id.c_str (), "name", G_TYPE_STRING,
                             session.peer_address.c_str (), "reason", G_TYPE_STRING,
                             reason.c_str (), "participants", G_TYPE_UINT, n_participants_.load (),
                             nullptr));
}

/* ---- tracks ----------------------------------------------------------------- */

/* A participant's arrival carries a new track. */
void Room::add_track (Arrival &a)
{
  auto p = static_cast<Participant *> (sessions_.find (a.session));
  if (!p)
    return;
  Settings s = settings ();
  std::string owner = a.session, owner_name = p->peer_address;
  if (s.client) {
    /* The room hosted elsewhere says whose track it is. */
    owner = msid_owner (p->peer->remote_sdp (), a.mline);
    if (owner.empty ())
      owner = "unknown";
    owner_name = owner;
  }
  const Codec *codec = a.codec;
  auto t = std::make_unique<Track> ();
  t->id = "t" + std::to_string (++next_track_);
  t->owner = owner;
  t->session = a.session;
  t->kind = codec->kind;
  t->codec = codec;
  t->index = published_[owner][codec->kind == MediaKind::VIDEO ? 0 : 1]++;
  t->public_id = t->id;
  if (const GstSDPMessage *remote = p->peer->remote_sdp ())
    if (a.mline >= 0 && (guint)a.mline < gst_sdp_message_medias_len (remote))
      if (const gchar *mid =
              gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (remote, a.mline), "mid"))
        t->public_id = mid;
  t->tee = a.tee;
  t->bytes = a.bytes;
  t->last_bytes = a.bytes->load ();
  InputFormat format;
  format.kind = codec->kind;
  format.raw = false;
  format.codec = codec;
  std::string error;
  /* Mixed audio is not forwarded (rtcroommix.cpp). */
  bool mixed = s.audio_mix && !s.client && codec->kind == MediaKind::AUDIO;
  if (!mixed)
    t->forward = EncoderBranch::create (GST_BIN (element_), a.tee, *codec, format,
                                        EncoderBranch::Config (), error);
  if (!t->forward && !mixed)
    GST_ELEMENT_WARNING (
        element_, CORE, MISSING_PLUGIN,
        ("Cannot forward %s from participant %s: %s", codec->name, owner.c_str (), error.c_str ()),
        (nullptr));
  t->branch = t->forward.get ();
  a.track = t->id;
  Track &track = *t;
  tracks_[track.id] = std::move (t);
  expose (track, owner_name);
  if (!s.record_location.empty ()) {
    std::string name = "participant_" + owner + "_" + media_kind_name (track.kind) + "_" +
                       std::to_string (track.index);
    std::string location = record_location (s.record_location, name);
    track.recorder = Recorder::create (GST_BIN (element_), a.tee, *codec, location, error);
    if (!track.recorder)
      GST_ELEMENT_WARNING (element_, RESOURCE, OPEN_WRITE,
                           ("Cannot record %s: %s", name.c_str (), error.c_str ()), (nullptr));
    else
      post ("-recording",
            gst_structure_new ("x", "pad", G_TYPE_STRING, name.c_str (), "location", G_TYPE_STRING,
                               location.c_str (), "state", G_TYPE_STRING, "started", nullptr));
    if (track.forward && track.kind == MediaKind::VIDEO)
      track.forward->request_keyframe ();
  }
  GST_INFO_OBJECT (element_, "participant %s publishes %s track %s (%s)", owner.c_str (),
                   media_kind_name (track.kind), track.id.c_str (), codec->name);
  if (mixed)
    mix_add_track (track);
  if (s.client || mixed)
    return; /* a room hosted elsewhere forwards it itself; a mix is not a track */
  for (auto &kv : sessions_.all ()) {
    auto &other = static_cast<Participant &> (*kv.second);
    if (kv.first == a.session || !takes_lines (other))
      continue;
    if (!offer_track (other, track, error)) {
      GST_WARNING_OBJECT (element_, "participant %s: %s", kv.first.c_str (), error.c_str ());
      continue;
    }
    sessions_.renegotiate (kv.first);
  }
}

/* The pipeline's inputs that have a format and no track yet become tracks. */
void Room::add_pipeline_tracks ()
{
  Settings s = settings ();
  if (s.audio_mix && !s.client)
    mix_add_inputs ();
  for (auto &st : inputs_.states ()) {
    if (!st.have_format || mixed_inputs_.count (st.input))
      continue;
    bool known = false;
    for (auto &kv : tracks_)
      known = known || kv.second->input == st.input;
    if (known)
      continue;
    const Codec *codec = st.format.raw ? nullptr : st.format.codec;
    for (const Codec *c : s.preferences)
      if (!codec && c->kind == st.input->kind && s.encoding.encoders.count (c))
        codec = c;
    if (!codec) {
      GST_ELEMENT_WARNING (element_, CORE, MISSING_PLUGIN,
                           ("No codec to send %s with", st.input->name.c_str ()),
                           ("check codec-preferences and the installed encoders"));
      continue;
    }
    std::string error;
    EncoderBranch *branch = pool_.acquire (st, codec, 0, s.encoding, error);
    if (!branch) {
      GST_ELEMENT_WARNING (element_, CORE, MISSING_PLUGIN,
                           ("Cannot encode %s: %s", st.input->name.c_str (), error.c_str ()),
                           (nullptr));
      continue;
    }
    auto t = std::make_unique<Track> ();
    t->id = "t" + std::to_string (++next_track_);
    t->owner = "pipeline";
    t->public_id = t->id;
    t->label = st.input->name;
    t->kind = st.input->kind;
    t->codec = codec;
    t->branch = branch;
    t->input = st.input;
    Track &track = *t;
    tracks_[track.id] = std::move (t);
    for (auto &kv : sessions_.all ()) {
      auto &p = static_cast<Participant &> (*kv.second);
      if (takes_lines (p) && offer_track (p, track, error))
        sessions_.renegotiate (kv.first);
    }
    announce_pipeline_tracks ();
  }
}

void Room::announce_pipeline_tracks ()
{
  if (!on_pipeline_tracks)
    return;
  std::vector<PublicTrack> list;
  for (auto &kv : tracks_)
    if (kv.second->input)
      list.push_back ({kv.second->public_id, media_kind_name (kv.second->kind), kv.second->label});
  on_pipeline_tracks (list);
}

void Room::drop_input (const Input *input)
{
  mix_drop_input (input);
  std::vector<std::string> ids;
  for (auto &kv : tracks_)
    if (kv.second->input == input)
      ids.push_back (kv.first);
  for (auto &id : ids)
    remove_track (id);
  if (!ids.empty ())
    announce_pipeline_tracks ();
}

void Room::tick ()
{
  Settings s = settings ();
  sessions_.expire (s.handshake_us, s.silence_us);
  measure_layers ();
}

void Room::stop (const std::string &reason, bool tell)
{
  sessions_.remove_all (reason, tell);
  std::vector<std::string> ids;
  for (auto &kv : tracks_)
    ids.push_back (kv.first);
  for (auto &id : ids)
    remove_track (id);
  std::vector<guint64> retired;
  for (auto &kv : retired_)
    retired.push_back (kv.first);
  for (guint64 serial : retired)
    finish_removal (serial, true);
  published_.clear ();
  stop_mix ();
  for (auto &kv : finishing_)
    kv.second->abandon ();
  finishing_.clear ();
  pool_.clear (nullptr);
}

} // namespace rtc

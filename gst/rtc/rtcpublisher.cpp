/* See rtcpublisher.h. */
#include "rtcpublisher.h"

#include <algorithm>

#include "rtcnegotiation.h"

GST_DEBUG_CATEGORY_STATIC (rtc_publisher_debug);
#define GST_CAT_DEFAULT rtc_publisher_debug

namespace rtc {

Publisher::Publisher (GstElement *element, const char *prefix, DataRouter &data,
                      ControlThread &control, Hooks hooks, Callbacks callbacks)
    : ElementSessions (element, prefix, {"viewer", "viewer-id"}, data, control, std::move (hooks)),
      callbacks_ (std::move (callbacks)),
      inputs_ (element,
               [this] () {
                 /* An offer may have waited for the inputs' formats. */
                 control_.post ([this] () { sessions_.retry_pending (); });
               }),
      pool_ (element, prefix_ + "-encoder"),
      adaptation_ (
          element, prefix_, control, pool_, inputs_,
          [this] (const std::string &id) { return static_cast<Viewer *> (sessions_.find (id)); },
          [this] () { rebalance (); })
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_publisher_debug, "rtcpublisher", 0,
                             "webrtcpublish's viewers and their media");
    g_once_init_leave (&once, 1);
  }
}

Publisher::~Publisher () = default;

std::vector<InputState> Publisher::ready_inputs (std::string &why)
{
  std::vector<InputState> states = inputs_.states ();
  why.clear ();
  if (states.empty ())
    why = "the stream has no inputs";
  for (auto &st : states) {
    if (!st.have_format) {
      why = "the stream has not started yet (" + st.input->name + " has no data)";
      break;
    }
    if (st.eos)
      why = "the stream has ended";
  }
  return states;
}

static LocalMedia local_media (const std::vector<InputState> &states, const Publisher::Settings &s)
{
  LocalMedia local;
  for (auto &st : states)
    local.inputs.push_back (st.format);
  local.preferences = s.preferences;
  for (auto &kv : s.encoding.encoders)
    local.usable.push_back (kv.first);
  local.twcc = s.adaptation.enabled;
  return local;
}

/* The SSRC an m-line will be sent with, in its caps so that our description
 * announces it (a=ssrc): an SFU such as Janus routes by the SSRCs it was
 * told, and our media is linked only once connected, after the description
 * was made. */
static guint announce_ssrc (GstCaps *caps)
{
  guint ssrc = 0;
  while (ssrc == 0)
    ssrc = g_random_int ();
  for (guint i = 0; i < gst_caps_get_size (caps); i++)
    gst_structure_set (gst_caps_get_structure (caps, i), "ssrc", G_TYPE_UINT, ssrc, nullptr);
  return ssrc;
}

std::unique_ptr<Session> Publisher::answer_offer (const std::string &id, const std::string &peer,
                                                  const GstSDPMessage *offer, Sessions::Plan &plan,
                                                  Sessions::Refusal &refusal)
{
  Settings s = callbacks_.settings ();
  std::string why;
  std::vector<InputState> states = ready_inputs (why);
  if (!why.empty ()) {
    refusal = {GST_RTC_SIGNALLER_ERROR_UNAVAILABLE, why};
    return nullptr;
  }
  if (s.max_viewers > 0 && sessions_.size () >= s.max_viewers) {
    refusal = {GST_RTC_SIGNALLER_ERROR_UNAVAILABLE,
               "this stream is full (max-viewers=" + std::to_string (s.max_viewers) + ")"};
    return nullptr;
  }
  OfferMatch match;
  if (!match_offer (offer, local_media (states, s), match, why)) {
    refusal = {GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE, why};
    return nullptr;
  }
  auto viewer = std::make_unique<Viewer> ();
  for (auto &line : match.lines) {
    viewer->media.push_back ({line.mline, states[line.input].input, line.choice.codec,
                              line.choice.pt, announce_ssrc (line.choice.caps.get ())});
    viewer->twcc = viewer->twcc || line.twcc;
    plan.choices.push_back (std::move (line.choice));
  }
  plan.config = s.session;
  plan.config.direction = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
  return viewer;
}

std::unique_ptr<Session> Publisher::make_offer (const std::string &id, const std::string &peer,
                                                Sessions::Plan &plan, Sessions::Refusal &refusal)
{
  Settings s = callbacks_.settings ();
  std::string why;
  std::vector<InputState> states = ready_inputs (why);
  if (!why.empty ()) {
    refusal.reason = why;
    refusal.wait = true; /* until the inputs have caps */
    return nullptr;
  }
  std::vector<OfferLine> lines;
  if (!build_offer (local_media (states, s), lines, why)) {
    GST_ELEMENT_ERROR (element_, CORE, NEGOTIATION, ("Cannot make an offer: %s", why.c_str ()),
                       (nullptr));
    refusal = {GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE, why};
    return nullptr;
  }
  auto viewer = std::make_unique<Viewer> ();
  viewer->twcc = s.adaptation.enabled; /* until the answer says otherwise */
  for (auto &line : lines) {
    viewer->media.push_back ({(guint)plan.mlines.size (), states[line.input].input, nullptr, -1,
                              announce_ssrc (line.caps.get ())});
    plan.mlines.push_back (std::move (line.caps));
  }
  plan.config = s.session;
  plan.config.direction = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
  return viewer;
}

void Publisher::created (Session &session)
{
  auto &viewer = static_cast<Viewer &> (session);
  n_viewers_ = sessions_.size ();
  created_hook (viewer);
  adaptation_.attach (viewer, callbacks_.settings ().adaptation);
}

bool Publisher::answer_applied (Session &session, std::string &error)
{
  auto &viewer = static_cast<Viewer &> (session);
  const GstSDPMessage *answer = viewer.peer->remote_sdp ();
  std::vector<MediaKind> kinds;
  for (auto &use : viewer.media)
    kinds.push_back (use.input->kind);
  std::vector<AnsweredLine> lines;
  if (!read_answer (answer, kinds, lines, error))
    return false;
  std::vector<MediaUse> kept;
  for (auto &line : lines) {
    MediaUse use = viewer.media[line.mline];
    use.codec = line.codec;
    use.pt = line.pt;
    kept.push_back (use);
  }
  viewer.media = std::move (kept);
  /* The peer takes transport-wide feedback, or there is no estimate. */
  viewer.twcc = viewer.twcc && sdp_has_twcc (answer);
  return true;
}

/* Makes (or shares) the encoder branch of each of the viewer's media. False
 * when the viewer was removed because a branch could not be made. */
bool Publisher::acquire_branches (Viewer &viewer, const Settings &s)
{
  for (auto &use : viewer.media) {
    if (use.branch)
      continue;
    std::string error;
    use.branch =
        pool_.acquire (inputs_.state (use.input), use.codec, viewer.rung, s.encoding, error);
    if (!use.branch) {
      sessions_.remove (viewer.id,
                        "could not encode " + std::string (use.codec->name) + ": " + error, true,
                        true);
      return false;
    }
  }
  return true;
}

void Publisher::agreed (Session &session)
{
  auto &viewer = static_cast<Viewer &> (session);
  Settings s = callbacks_.settings ();
  adaptation_.start (viewer, s.adaptation);
  std::string codecs = viewer.codec_list ();
  post ("-viewer-added",
        gst_structure_new ("x", "id", G_TYPE_STRING, viewer.id.c_str (), "remote-address",
                           G_TYPE_STRING, viewer.peer->peer_address ().c_str (), "codecs",
                           G_TYPE_STRING, codecs.c_str (), "viewers", G_TYPE_UINT,
                           n_viewers_.load (), nullptr));
  /* Start the encoders now, so they are warm when ICE and DTLS are done. */
  acquire_branches (viewer, s);
}

void Publisher::connected (Session &session)
{
  auto &viewer = static_cast<Viewer &> (session);
  if (!acquire_branches (viewer, callbacks_.settings ()))
    return;
  for (auto &use : viewer.media) {
    std::string error;
    if (!viewer.peer->link_media (use.mline, use.pt, use.ssrc, use.branch, error)) {
      sessions_.remove (viewer.id, "could not send " + std::string (use.codec->name) + ": " + error,
                        true, true);
      return;
    }
    use.linked = true;
  }
  rebalance ();
}

void Publisher::removed (Session &session, const std::string &reason)
{
  auto &viewer = static_cast<Viewer &> (session);
  n_viewers_ = sessions_.size ();
  for (auto &use : viewer.media) {
    pool_.release (use.branch);
    use.branch = nullptr;
  }
  if (!viewer.agreed)
    return;
  post ("-viewer-removed",
        gst_structure_new ("x", "id", G_TYPE_STRING, viewer.id.c_str (), "remote-address",
                           G_TYPE_STRING, viewer.peer_address.c_str (), "reason", G_TYPE_STRING,
                           reason.c_str (), "viewers", G_TYPE_UINT, n_viewers_.load (), nullptr));
  callbacks_.removed (viewer.id);
}

void Publisher::rebalance ()
{
  Settings s = callbacks_.settings ();
  adaptation_.rebalance (sessions_.all (), s.adaptation, s.encoding);
}

void Publisher::tick ()
{
  Settings s = callbacks_.settings ();
  sessions_.expire (s.handshake_us, s.silence_us);
  adaptation_.check_feedback (sessions_.all ());
  adaptation_.rebalance (sessions_.all (), s.adaptation, s.encoding); /* the ladder's hold times */
}

void Publisher::drop_input (const Input *input, const std::string &reason)
{
  std::vector<std::string> ids;
  for (auto &kv : sessions_.all ())
    for (auto &use : static_cast<Viewer &> (*kv.second).media)
      if (use.input == input)
        ids.push_back (kv.first);
  for (auto &id : ids)
    sessions_.remove (id, reason, true, false);
  pool_.clear (input);
}

void Publisher::stop (const std::string &reason, bool tell)
{
  sessions_.remove_all (reason, tell);
  pool_.clear (nullptr);
}

void Publisher::describe (Session &session, GstStructure *fields)
{
  auto &v = static_cast<Viewer &> (session);
  gst_structure_set (fields, "codecs", G_TYPE_STRING, v.codec_list ().c_str (),
                     "congestion-control", G_TYPE_BOOLEAN, v.gcc != nullptr, "rung", G_TYPE_INT,
                     v.rung, nullptr);
  if (v.gcc)
    gst_structure_set (fields, "estimated-bitrate", G_TYPE_UINT, v.estimate, nullptr);
}

void Publisher::describe (GstStructure *fields)
{
  /* "encoders": one entry per running encoder: input, codec, rung, viewers. */
  GValue list = G_VALUE_INIT;
  gst_value_array_init (&list, (guint)pool_.size ());
  pool_.for_each ([&list] (const Input *input, const Codec *codec, int rung, EncoderBranch *b) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, gst_structure_new ("encoder", "input", G_TYPE_STRING,
                                               input->name.c_str (), "codec", G_TYPE_STRING,
                                               codec->name, "rung", G_TYPE_INT, rung, "viewers",
                                               G_TYPE_UINT, (guint)b->viewers, nullptr));
    gst_value_array_append_and_take_value (&list, &v);
  });
  gst_structure_take_value (fields, "encoders", &list);
}

} // namespace rtc

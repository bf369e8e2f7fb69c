/* See rtcstats.h. */
#include "rtcstats.h"

#include <gst/webrtc/webrtc.h>
#include <chrono>
#include <cmath>
#include <algorithm>
#include <condition_variable>
#include <set>

#include "rtcicediagnosis.h"

namespace rtc {

bool stats_number (const GstStructure *s, const char *field, double &out)
{
  const GValue *v = gst_structure_get_value (s, field);
  if (!v)
    return false;
  switch (G_VALUE_TYPE (v)) {
  case G_TYPE_UINT64:
    out = (double)g_value_get_uint64 (v);
    return true;
  case G_TYPE_INT64:
    out = (double)g_value_get_int64 (v);
    return true;
  case G_TYPE_UINT:
    out = g_value_get_uint (v);
    return true;
  case G_TYPE_INT:
    out = g_value_get_int (v);
    return true;
  case G_TYPE_BOOLEAN:
    out = g_value_get_boolean (v) ? 1 : 0;
    return true;
  case G_TYPE_DOUBLE:
    out = g_value_get_double (v);
    return std::isfinite (out);
  default:
    return false;
  }
}

namespace {

constexpr gint64 RATE_WINDOW_US = G_USEC_PER_SEC / 2;

/* Adds @field's value to @sum when there is one; true if there was. */
template <typename T> bool add (const GstStructure *s, const char *field, T &sum)
{
  double v;
  if (!stats_number (s, field, v) || v < 0)
    return false;
  sum += (T)v;
  return true;
}

const GstStructure *entry (const GstStructure *reply, const gchar *id)
{
  if (!id)
    return nullptr;
  const GValue *v = gst_structure_get_value (reply, id);
  return v && GST_VALUE_HOLDS_STRUCTURE (v) ? gst_value_get_structure (v) : nullptr;
}

bool is (const GstStructure *s, GstWebRTCStatsType type)
{
  gint t;
  return gst_structure_get_enum (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &t) && t == (gint)type;
}

struct Sums {
  const GstStructure *reply;
  guint64 bytes_sent = 0, packets_sent = 0, bytes_received = 0, packets_received = 0;
  guint nack_received = 0, pli_received = 0, fir_received = 0;
  guint nack_sent = 0, pli_sent = 0, fir_sent = 0;
  guint64 repaired = 0;
  gint64 lost_received = 0, lost_sent = 0;
  bool have_lost_received = false, have_lost_sent = false;
  double rtt = -1, jitter_received = -1, jitter_sent = -1;
  const GstStructure *pair = nullptr;
  static void most (const GstStructure *s, const char *field, double &to)
  {
    double v;
    if (stats_number (s, field, v) && v >= 0)
      to = std::max (to, v);
  }
};

gboolean sum_one (GQuark, const GValue *value, gpointer data)
{
  auto &sums = *static_cast<Sums *> (data);
  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  const GstStructure *s = gst_value_get_structure (value);
  if (is (s, GST_WEBRTC_STATS_OUTBOUND_RTP)) {
    add (s, "bytes-sent", sums.bytes_sent);
    add (s, "packets-sent", sums.packets_sent);
    /* Counted by the receiver of what we send: requests the peer made. */
    add (s, "nack-count", sums.nack_received);
    add (s, "pli-count", sums.pli_received);
    add (s, "fir-count", sums.fir_received);
  } else if (is (s, GST_WEBRTC_STATS_INBOUND_RTP)) {
    add (s, "bytes-received", sums.bytes_received);
    add (s, "packets-received", sums.packets_received);
    add (s, "nack-count", sums.nack_sent);
    add (s, "pli-count", sums.pli_sent);
    add (s, "fir-count", sums.fir_sent);
    add (s, "packets-repaired", sums.repaired);
    gint64 lost;
    if (gst_structure_get_int64 (s, "packets-lost", &lost)) {
      sums.lost_received += lost;
      sums.have_lost_received = true;
    }
    Sums::most (s, "jitter", sums.jitter_received);
  } else if (is (s, GST_WEBRTC_STATS_REMOTE_INBOUND_RTP)) {
    /* The peer's receiver reports on what we send. */
    gint64 lost;
    if (gst_structure_get_int64 (s, "packets-lost", &lost)) {
      sums.lost_sent += lost;
      sums.have_lost_sent = true;
    }
    Sums::most (s, "round-trip-time", sums.rtt);
    Sums::most (s, "jitter", sums.jitter_sent);
  } else if (is (s, GST_WEBRTC_STATS_TRANSPORT) && !sums.pair) {
    sums.pair = entry (sums.reply, gst_structure_get_string (s, "selected-candidate-pair-id"));
  }
  return TRUE;
}

void set_candidate (GstStructure *out, const char *side, const GstStructure *c)
{
  if (!c)
    return;
  std::string p = side;
  const gchar *type = gst_structure_get_string (c, "candidate-type");
  const gchar *proto = gst_structure_get_string (c, "protocol");
  const gchar *address = gst_structure_get_string (c, "address");
  guint port = 0;
  gst_structure_get_uint (c, "port", &port);
  if (type)
    gst_structure_set (out, (p + "-candidate-type").c_str (), G_TYPE_STRING, type, nullptr);
  if (proto)
    gst_structure_set (out, (p + "-protocol").c_str (), G_TYPE_STRING, proto, nullptr);
  if (address) {
    std::string a = strchr (address, ':') ? std::string ("[") + address + "]" : address;
    a += ":" + std::to_string (port);
    gst_structure_set (out, (p + "-address").c_str (), G_TYPE_STRING, a.c_str (), nullptr);
  }
  const gchar *relay = gst_structure_get_string (c, "relay-protocol");
  if (relay)
    gst_structure_set (out, (p + "-relay-protocol").c_str (), G_TYPE_STRING, relay, nullptr);
}

} // namespace

void summarize_webrtc_stats (const GstStructure *reply, GstStructure *out)
{
  Sums sums;
  sums.reply = reply;
  gst_structure_foreach (reply, sum_one, &sums);
  gst_structure_set (out, "bytes-sent", G_TYPE_UINT64, sums.bytes_sent, "packets-sent",
                     G_TYPE_UINT64, sums.packets_sent, "bytes-received", G_TYPE_UINT64,
                     sums.bytes_received, "packets-received", G_TYPE_UINT64, sums.packets_received,
                     "nack-received", G_TYPE_UINT, sums.nack_received, "pli-received", G_TYPE_UINT,
                     sums.pli_received, "fir-received", G_TYPE_UINT, sums.fir_received, "nack-sent",
                     G_TYPE_UINT, sums.nack_sent, "pli-sent", G_TYPE_UINT, sums.pli_sent,
                     "fir-sent", G_TYPE_UINT, sums.fir_sent, "packets-repaired", G_TYPE_UINT64,
                     sums.repaired, nullptr);
  if (sums.have_lost_received)
    gst_structure_set (out, "received-packets-lost", G_TYPE_INT64, sums.lost_received, nullptr);
  if (sums.have_lost_sent)
    gst_structure_set (out, "sent-packets-lost", G_TYPE_INT64, sums.lost_sent, nullptr);
  if (sums.rtt >= 0)
    gst_structure_set (out, "round-trip-time", G_TYPE_DOUBLE, sums.rtt, nullptr);
  if (sums.jitter_received >= 0)
    gst_structure_set (out, "received-jitter", G_TYPE_DOUBLE, sums.jitter_received, nullptr);
  if (sums.jitter_sent >= 0)
    gst_structure_set (out, "sent-jitter", G_TYPE_DOUBLE, sums.jitter_sent, nullptr);
  if (sums.pair) {
    set_candidate (out, "local",
                   entry (reply, gst_structure_get_string (sums.pair, "local-candidate-id")));
    set_candidate (out, "remote",
                   entry (reply, gst_structure_get_string (sums.pair, "remote-candidate-id")));
  }
}

/* ---- histograms -------------------------------------------------------- */

void Histogram::observe (double seconds)
{
  if (!std::isfinite (seconds) || seconds < 0)
    return;
  size_t i = 0;
  while (i < bounds.size () && seconds > bounds[i])
    i++;
  counts[i]++;
  sum += seconds;
}

void Histogram::report (GstStructure *fields, const std::string &name) const
{
  GValue b = G_VALUE_INIT, c = G_VALUE_INIT, v = G_VALUE_INIT;
  gst_value_array_init (&b, (guint)bounds.size ());
  gst_value_array_init (&c, (guint)counts.size ());
  for (double bound : bounds) {
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, bound);
    gst_value_array_append_and_take_value (&b, &v);
  }
  guint64 total = 0;
  for (guint64 n : counts) {
    total += n;
    g_value_init (&v, G_TYPE_UINT64);
    g_value_set_uint64 (&v, total);
    gst_value_array_append_and_take_value (&c, &v);
  }
  gst_structure_take_value (fields, (name + "-bounds").c_str (), &b);
  gst_structure_take_value (fields, (name + "-counts").c_str (), &c);
  gst_structure_set (fields, (name + "-sum").c_str (), G_TYPE_DOUBLE, sum, nullptr);
}

/* ---- first media ----------------------------------------------------------- */

gint64 FirstMedia::first_us () const
{
  gint64 a = sent_us.load (), b = received_us.load ();
  return a && b ? MIN (a, b) : MAX (a, b);
}

namespace {

struct FirstProbe {
  std::shared_ptr<FirstMedia> media;
  bool sent;
};

GstPadProbeReturn on_first_buffer (GstPad *, GstPadProbeInfo *, gpointer data)
{
  auto p = static_cast<FirstProbe *> (data);
  gint64 unset = 0;
  (p->sent ? p->media->sent_us : p->media->received_us)
      .compare_exchange_strong (unset, g_get_monotonic_time ());
  return GST_PAD_PROBE_REMOVE;
}

void free_first_probe (gpointer data)
{
  delete static_cast<FirstProbe *> (data);
}

void probe_first_buffer (GstPad *pad, const std::shared_ptr<FirstMedia> &media)
{
  gst_pad_add_probe (
      pad, GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      on_first_buffer, new FirstProbe{media, GST_PAD_IS_SINK (pad)}, free_first_probe);
}

gboolean probe_each_pad (GstElement *, GstPad *pad, gpointer data)
{
  probe_first_buffer (pad, *static_cast<std::shared_ptr<FirstMedia> *> (data));
  return TRUE;
}

/* webrtcbin adds a src pad as a stream first arrives. */
void on_media_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  auto &media = *static_cast<std::shared_ptr<FirstMedia> *> (data);
  if (GST_PAD_IS_SRC (pad) && !media->received_us.load ())
    probe_first_buffer (pad, media);
}

void free_media_ref (gpointer data, GClosure *)
{
  delete static_cast<std::shared_ptr<FirstMedia> *> (data);
}

} // namespace

std::shared_ptr<FirstMedia> watch_first_media (GstElement *webrtcbin)
{
  auto media = std::make_shared<FirstMedia> ();
  g_signal_connect_data (webrtcbin, "pad-added", G_CALLBACK (on_media_pad_added),
                         new std::shared_ptr<FirstMedia> (media), free_media_ref,
                         GConnectFlags (0));
  gst_element_foreach_pad (webrtcbin, probe_each_pad, &media);
  return media;
}

/* ---- collecting --------------------------------------------------------- */

struct StatsReporter::Core {
  std::string name;
  std::mutex lock; /* guards the members below */
  struct Sample {
    guint64 sent = 0, received = 0;
    gint64 at_us = 0;
    guint64 rate_sent = 0, rate_received = 0; /* bit/s, up to at_us */
  };
  std::map<std::string, Sample> samples; /* bytes at the previous report */
  bool busy = false;                     /* a periodic report is being made */

  /* @descriptions: each session's SDP too (not from a webrtcbin's thread). */
  GstStructure *build (GstStructure *fields, std::vector<SessionFacts> &facts, bool descriptions);
};

namespace {

/* The webrtcbins' answers to one report's get-stats. */
struct Answers {
  std::mutex lock;
  std::condition_variable cv;
  std::vector<StructurePtr> replies; /* per session, null until answered */
  size_t left = 0;
};

struct Ask {
  std::shared_ptr<Answers> answers;
  size_t index;
};

void on_stats (GstPromise *promise, gpointer data)
{
  auto ask = static_cast<Ask *> (data);
  StructurePtr copy;
  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED) {
    const GstStructure *reply = gst_promise_get_reply (promise);
    if (reply && !gst_structure_has_field (reply, "error"))
      copy.reset (gst_structure_copy (reply));
  }
  std::lock_guard<std::mutex> g (ask->answers->lock);
  ask->answers->replies[ask->index] = std::move (copy);
  ask->answers->left--;
  ask->answers->cv.notify_all ();
}

void free_ask (gpointer data)
{
  delete static_cast<Ask *> (data);
}

gboolean copy_field (GQuark field, const GValue *value, gpointer to)
{
  gst_structure_id_set_value (static_cast<GstStructure *> (to), field, value);
  return TRUE;
}

GThreadPool *report_pool ();

/* @webrtcbin's @property ("local-description", ...) as SDP text with the
 * ICE password hidden, or "" when there is none. */
std::string description_text (GstElement *webrtcbin, const char *property)
{
  GstWebRTCSessionDescription *d = nullptr;
  g_object_get (webrtcbin, property, &d, nullptr);
  if (!d)
    return "";
  std::string text;
  if (d->sdp) {
    gchar *t = gst_sdp_message_as_text (d->sdp);
    text = hide_ice_passwords (t);
    g_free (t);
  }
  gst_webrtc_session_description_free (d);
  return text;
}

const char *enum_nick (GType type, gint value)
{
  gpointer klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (G_ENUM_CLASS (klass), value);
  const char *nick = v ? v->value_nick : "?"; /* static: the class is never freed */
  g_type_class_unref (klass);
  return nick;
}

/* @webrtcbin's ICE and peer connection states; with @descriptions, the SDP
 * exchanged and the ICE candidates each side has (rtcicediagnosis.h). */
GstStructure *webrtcbin_fields (GstElement *webrtcbin, bool descriptions)
{
  GstWebRTCICEConnectionState ice = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
  GstWebRTCPeerConnectionState pc = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
  g_object_get (webrtcbin, "ice-connection-state", &ice, "connection-state", &pc, nullptr);
  GstStructure *out = gst_structure_new (
      "more", "ice-state", G_TYPE_STRING, enum_nick (GST_TYPE_WEBRTC_ICE_CONNECTION_STATE, ice),
      "connection-state", G_TYPE_STRING, enum_nick (GST_TYPE_WEBRTC_PEER_CONNECTION_STATE, pc),
      nullptr);
  if (descriptions) {
    IceFacts candidates = ice_facts (webrtcbin, nullptr);
    gst_structure_set (out, "local-sdp", G_TYPE_STRING,
                       description_text (webrtcbin, "local-description").c_str (), "remote-sdp",
                       G_TYPE_STRING, description_text (webrtcbin, "remote-description").c_str (),
                       "local-candidates", G_TYPE_STRING,
                       ice_candidates_text (candidates.local).c_str (), "remote-candidates",
                       G_TYPE_STRING, ice_candidates_text (candidates.remote).c_str (), nullptr);
  }
  return out;
}

} // namespace

std::string hide_ice_passwords (const std::string &sdp)
{
  static const std::string KEY = "a=ice-pwd:";
  std::string out;
  size_t at = 0;
  while (at < sdp.size ()) {
    size_t end = sdp.find ('\n', at);
    end = end == std::string::npos ? sdp.size () : end + 1;
    if (sdp.compare (at, KEY.size (), KEY) == 0) {
      size_t value_end = sdp.find_first_of ("\r\n", at);
      value_end = value_end == std::string::npos ? end : value_end;
      out += KEY + "(hidden)";
      out.append (sdp, value_end, end - value_end); /* the line's end as it was */
    } else {
      out.append (sdp, at, end - at);
    }
    at = end;
  }
  return out;
}

GstStructure *StatsReporter::Core::build (GstStructure *fields, std::vector<SessionFacts> &facts,
                                          bool descriptions)
{
  auto answers = std::make_shared<Answers> ();
  answers->replies.resize (facts.size ());
  for (auto &f : facts)
    answers->left += f.webrtcbin ? 1 : 0;
  for (size_t i = 0; i < facts.size (); i++) {
    if (!facts[i].webrtcbin)
      continue;
    GstPromise *p = gst_promise_new_with_change_func (on_stats, new Ask{answers, i}, free_ask);
    g_signal_emit_by_name (facts[i].webrtcbin.get (), "get-stats", nullptr, p);
    gst_promise_unref (p);
  }
  std::vector<StructurePtr> replies;
  {
    std::unique_lock<std::mutex> l (answers->lock);
    answers->cv.wait_for (l, std::chrono::milliseconds (STATS_TIMEOUT_MS),
                          [&] { return answers->left == 0; });
    replies.swap (answers->replies);
    answers->replies.resize (facts.size ()); /* late answers land there */
  }

  /* What each webrtcbin says besides get-stats, before the lock (above). */
  std::vector<StructurePtr> more (facts.size ());
  for (size_t i = 0; i < facts.size (); i++)
    if (facts[i].webrtcbin)
      more[i].reset (webrtcbin_fields (facts[i].webrtcbin.get (), descriptions));

  GstStructure *report = gst_structure_new_empty (name.c_str ());
  gst_structure_foreach (fields, copy_field, report);
  gint64 now = g_get_monotonic_time ();
  GValue list = G_VALUE_INIT;
  gst_value_array_init (&list, (guint)facts.size ());
  std::lock_guard<std::mutex> g (lock);
  std::map<std::string, Sample> kept;
  for (size_t i = 0; i < facts.size (); i++) {
    SessionFacts &f = facts[i];
    GstStructure *s = gst_structure_new ("session", "id", G_TYPE_STRING, f.id.c_str (),
                                         "peer-address", G_TYPE_STRING, f.peer_address.c_str (),
                                         "state", G_TYPE_STRING, f.state.c_str (), "duration",
                                         G_TYPE_DOUBLE, (now - f.created_us) / 1e6, nullptr);
    if (f.connected_us)
      gst_structure_set (s, "connect-time", G_TYPE_DOUBLE, (f.connected_us - f.created_us) / 1e6,
                         nullptr);
    if (f.first_media_us)
      gst_structure_set (s, "first-media-time", G_TYPE_DOUBLE,
                         (f.first_media_us - f.created_us) / 1e6, nullptr);
    if (replies[i])
      summarize_webrtc_stats (replies[i].get (), s);
    /* Rates over at least RATE_WINDOW_US: since the previous sample, which
     * a report replaces once it is that old (reports may come closer
     * together: the property read between two messages). */
    guint64 sent = 0, received = 0;
    if (gst_structure_get_uint64 (s, "bytes-sent", &sent) &&
        gst_structure_get_uint64 (s, "bytes-received", &received)) {
      auto it = samples.find (f.id);
      Sample sample = it != samples.end () ? it->second : Sample{0, 0, f.created_us, 0, 0};
      gint64 dt = now - sample.at_us;
      if (dt >= RATE_WINDOW_US && sent >= sample.sent && received >= sample.received) {
        sample.rate_sent = (guint64)((sent - sample.sent) * 8 * 1e6 / dt);
        sample.rate_received = (guint64)((received - sample.received) * 8 * 1e6 / dt);
        sample.sent = sent;
        sample.received = received;
        sample.at_us = now;
      }
      if (sample.at_us != f.created_us)
        gst_structure_set (s, "bitrate-sent", G_TYPE_UINT64, sample.rate_sent, "bitrate-received",
                           G_TYPE_UINT64, sample.rate_received, nullptr);
      kept[f.id] = sample;
    }
    if (f.extra)
      gst_structure_foreach (f.extra.get (), copy_field, s);
    if (more[i])
      gst_structure_foreach (more[i].get (), copy_field, s);
    GValue v = G_VALUE_INIT;
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, s);
    gst_value_array_append_and_take_value (&list, &v);
  }
  samples.swap (kept); /* sessions gone are forgotten */
  gst_structure_take_value (report, "sessions", &list);
  return report;
}

/* ---- the reporter ------------------------------------------------------- */

namespace {

struct Job {
  ObjectPtr<GstElement> element;
  std::shared_ptr<StatsReporter::Core> core;
  StructurePtr fields;
  std::vector<SessionFacts> facts;
};

void run_report (gpointer data, gpointer)
{
  std::unique_ptr<Job> job (static_cast<Job *> (data));
  GstStructure *report = job->core->build (job->fields.get (), job->facts, false);
  job->facts.clear (); /* the webrtcbins go before the message */
  gst_element_post_message (job->element.get (),
                            gst_message_new_element (GST_OBJECT (job->element.get ()), report));
  std::lock_guard<std::mutex> g (job->core->lock);
  job->core->busy = false;
}

GThreadPool *report_pool ()
{
  static GThreadPool *p = nullptr;
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    /* Shared threads, as many as reports waiting at once (one per element
     * at most); idle ones go back to GLib. */
    p = g_thread_pool_new (run_report, nullptr, -1, FALSE, nullptr);
    g_once_init_leave (&once, 1);
  }
  return p;
}

} // namespace

StatsReporter::StatsReporter (GstElement *element, const std::string &prefix,
                              ControlThread &control, Gather gather)
    : element_ (element), control_ (control), gather_ (std::move (gather)),
      core_ (std::make_shared<Core> ())
{
  core_->name = prefix + "-stats";
}

StatsReporter::~StatsReporter () = default;

GstStructure *StatsReporter::report ()
{
  StructurePtr fields (gst_structure_new_empty ("fields"));
  std::vector<SessionFacts> facts;
  control_.post_sync ([&] { gather_ (fields.get (), facts); });
  return core_->build (fields.get (), facts, true);
}

void StatsReporter::set_interval (guint interval_ms)
{
  std::lock_guard<std::mutex> g (lock_);
  if (interval_ms == interval_)
    return;
  interval_ = interval_ms;
  generation_++;
  if (running_)
    arm ();
}

void StatsReporter::start ()
{
  std::lock_guard<std::mutex> g (lock_);
  running_ = true;
  generation_++;
  arm ();
}

void StatsReporter::stop ()
{
  std::lock_guard<std::mutex> g (lock_);
  running_ = false;
  generation_++;
}

/* Under lock_. */
void StatsReporter::arm ()
{
  if (!interval_)
    return;
  guint generation = generation_;
  control_.every (interval_, [this, generation] {
    {
      std::lock_guard<std::mutex> g (lock_);
      if (generation != generation_)
        return false;
    }
    {
      std::lock_guard<std::mutex> g (core_->lock);
      if (core_->busy)
        return true; /* the previous one is still waiting for a webrtcbin */
      core_->busy = true;
    }
    auto job = new Job;
    job->element = ref_object (element_);
    job->core = core_;
    job->fields.reset (gst_structure_new_empty ("fields"));
    gather_ (job->fields.get (), job->facts);
    g_thread_pool_push (report_pool (), job, nullptr);
    return true;
  });
}

} // namespace rtc

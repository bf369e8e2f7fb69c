/* See rtcstatshttp.h. */
#include "rtcstatshttp.h"

#include <json-glib/json-glib.h>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>

#include "rtchttpserver.h"
#include "rtcstats.h"

namespace rtc {

/* ---- the owner ------------------------------------------------------------ */

namespace {

const char *const OWNER_KEY = "rtc-stats-owner";

void free_weak (gpointer data)
{
  auto ref = static_cast<GWeakRef *> (data);
  g_weak_ref_clear (ref);
  g_free (ref);
}

} // namespace

void set_stats_owner (GObject *signaller, GstElement *element)
{
  if (!element) {
    g_object_set_data (signaller, OWNER_KEY, nullptr);
    return;
  }
  auto ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, element);
  g_object_set_data_full (signaller, OWNER_KEY, ref, free_weak);
}

ObjectPtr<GstElement> ref_stats_owner (GObject *signaller)
{
  auto ref = static_cast<GWeakRef *> (g_object_get_data (signaller, OWNER_KEY));
  return ObjectPtr<GstElement> (ref ? GST_ELEMENT (g_weak_ref_get (ref)) : nullptr);
}

std::function<GstStructure *()> owner_stats_reader (GObject *signaller, SoupServerMessage *msg,
                                                    bool serve, bool secured, bool loopback,
                                                    const std::function<bool ()> &check)
{
  if (!serve)
    return nullptr;
  ObjectPtr<GstElement> owner = ref_stats_owner (signaller);
  if (!owner)
    return nullptr;
  if (!secured && !loopback) {
    http_respond_text (msg, SOUP_STATUS_FORBIDDEN,
                       "stats are served off loopback only with auth-token or jwt-key set "
                       "(or turn them off: serve-stats=false)");
    return nullptr;
  }
  if (!check ())
    return nullptr;
  auto element = std::make_shared<ObjectPtr<GstElement>> (std::move (owner));
  return [element] () {
    GstStructure *stats = nullptr;
    g_object_get (element->get (), "stats", &stats, nullptr);
    return stats;
  };
}

/* ---- JSON ----------------------------------------------------------------- */

namespace {

/* A JSON document being written; @details: the sessions' SDP and
 * candidates kept. */
struct JsonOut {
  JsonBuilder *b;
  bool details;
};

void add_value (JsonOut &o, const GValue *v);

bool is_detail (const char *field)
{
  for (const char *d : {"local-sdp", "remote-sdp", "local-candidates", "remote-candidates"})
    if (!strcmp (field, d))
      return true;
  return false;
}

gboolean add_member (GQuark field, const GValue *value, gpointer data)
{
  auto &o = *static_cast<JsonOut *> (data);
  const char *name = g_quark_to_string (field);
  if (!o.details && is_detail (name))
    return TRUE;
  json_builder_set_member_name (o.b, name);
  add_value (o, value);
  return TRUE;
}

void add_value (JsonOut &o, const GValue *v)
{
  JsonBuilder *b = o.b;
  GType t = G_VALUE_TYPE (v);
  if (t == G_TYPE_STRING) {
    const gchar *s = g_value_get_string (v);
    if (s)
      json_builder_add_string_value (b, s);
    else
      json_builder_add_null_value (b);
  } else if (t == G_TYPE_BOOLEAN) {
    json_builder_add_boolean_value (b, g_value_get_boolean (v));
  } else if (t == G_TYPE_INT) {
    json_builder_add_int_value (b, g_value_get_int (v));
  } else if (t == G_TYPE_UINT) {
    json_builder_add_int_value (b, g_value_get_uint (v));
  } else if (t == G_TYPE_INT64) {
    json_builder_add_int_value (b, g_value_get_int64 (v));
  } else if (t == G_TYPE_UINT64) {
    /* JSON numbers: exact to 2^53 (petabytes), which counters stay under. */
    json_builder_add_int_value (b, (gint64)MIN (g_value_get_uint64 (v), (guint64)G_MAXINT64));
  } else if (t == G_TYPE_DOUBLE) {
    double d = g_value_get_double (v);
    if (std::isfinite (d))
      json_builder_add_double_value (b, d);
    else
      json_builder_add_null_value (b);
  } else if (GST_VALUE_HOLDS_STRUCTURE (v)) {
    json_builder_begin_object (b);
    gst_structure_foreach (gst_value_get_structure (v), add_member, &o);
    json_builder_end_object (b);
  } else if (GST_VALUE_HOLDS_ARRAY (v)) {
    json_builder_begin_array (b);
    for (guint i = 0; i < gst_value_array_get_size (v); i++)
      add_value (o, gst_value_array_get_value (v, i));
    json_builder_end_array (b);
  } else {
    json_builder_add_null_value (b);
  }
}

/* "webrtcpublish-stats" -> "webrtcpublish". */
std::string element_of (const GstStructure *report)
{
  std::string name = gst_structure_get_name (report);
  const std::string suffix = "-stats";
  if (name.size () > suffix.size () &&
      name.compare (name.size () - suffix.size (), suffix.size (), suffix) == 0)
    name.resize (name.size () - suffix.size ());
  return name;
}

} // namespace

std::string stats_json (const std::vector<StreamStats> &streams, bool details)
{
  JsonBuilder *b = json_builder_new ();
  JsonOut o{b, details};
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "streams");
  json_builder_begin_array (b);
  for (auto &s : streams) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "stream");
    json_builder_add_string_value (b, s.stream.c_str ());
    json_builder_set_member_name (b, "element");
    json_builder_add_string_value (b, element_of (s.report.get ()).c_str ());
    gst_structure_foreach (s.report.get (), add_member, &o);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out = text;
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

/* ---- Prometheus ----------------------------------------------------------- */

namespace {

std::string escape_label (const std::string &v)
{
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number (double v)
{
  if (std::isnan (v))
    return "NaN";
  if (std::isinf (v))
    return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor (v) && std::fabs (v) < 1e15)
    return std::to_string ((long long)v);
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_dtostr (buf, sizeof buf, v);
}

struct Metric {
  const char *name;
  const char *type;
  const char *help;
  const char *field;
};

/* Per element. */
const Metric ELEMENT_METRICS[] = {
    {"rtc_sessions", "gauge", "Sessions now, connecting or connected.", "n-sessions"},
    {"rtc_sessions_connected", "gauge", "Sessions with ICE and DTLS up.", "connected"},
    {"rtc_handshakes", "gauge", "Sessions still connecting.", "handshakes"},
};

/* Per session. */
const Metric SESSION_METRICS[] = {
    {"rtc_session_connected", "gauge", "1 once ICE and DTLS are up.", nullptr},
    {"rtc_session_age_seconds", "gauge", "Seconds since the session started.", "duration"},
    {"rtc_session_connect_time_seconds", "gauge", "Seconds from the start until connected.",
     "connect-time"},
    {"rtc_session_first_media_time_seconds", "gauge",
     "Seconds from the start until media first flowed once connected.", "first-media-time"},
    {"rtc_session_sent_bytes_total", "counter", "RTP payload bytes sent.", "bytes-sent"},
    {"rtc_session_received_bytes_total", "counter", "RTP payload bytes received.",
     "bytes-received"},
    {"rtc_session_sent_packets_total", "counter", "RTP packets sent.", "packets-sent"},
    {"rtc_session_received_packets_total", "counter", "RTP packets received.", "packets-received"},
    {"rtc_session_sent_bits_per_second", "gauge",
     "Payload bit rate sent, last half second or more.", "bitrate-sent"},
    {"rtc_session_received_bits_per_second", "gauge",
     "Payload bit rate received, last half second or more.", "bitrate-received"},
    {"rtc_session_round_trip_time_seconds", "gauge", "Round-trip time from receiver reports.",
     "round-trip-time"},
    {"rtc_session_sent_packets_lost", "gauge", "Packets sent that the peer reported lost.",
     "sent-packets-lost"},
    {"rtc_session_received_packets_lost", "gauge", "Packets expected and not received.",
     "received-packets-lost"},
    {"rtc_session_sent_jitter_seconds", "gauge", "Jitter of what is sent, as the peer reports it.",
     "sent-jitter"},
    {"rtc_session_received_jitter_seconds", "gauge", "Jitter of what is received.",
     "received-jitter"},
    {"rtc_session_nack_received_total", "counter", "NACKs the peer sent.", "nack-received"},
    {"rtc_session_pli_received_total", "counter", "PLIs the peer sent.", "pli-received"},
    {"rtc_session_fir_received_total", "counter", "FIRs the peer sent.", "fir-received"},
    {"rtc_session_nack_sent_total", "counter", "NACKs sent to the peer.", "nack-sent"},
    {"rtc_session_pli_sent_total", "counter", "PLIs sent to the peer.", "pli-sent"},
    {"rtc_session_fir_sent_total", "counter", "FIRs sent to the peer.", "fir-sent"},
    {"rtc_session_packets_repaired_total", "counter", "Packets recovered by retransmission.",
     "packets-repaired"},
    {"rtc_session_estimated_bits_per_second", "gauge",
     "The congestion controller's estimate of the link.", "estimated-bitrate"},
    {"rtc_session_rung", "gauge", "The encoding ladder rung (0: the top).", "rung"},
};

const Metric HISTOGRAMS[] = {
    {"rtc_connect_time_seconds", "histogram",
     "Seconds from a session's start until ICE and DTLS were up.", "connect-time"},
    {"rtc_first_media_time_seconds", "histogram",
     "Seconds from a session's start until media first flowed once connected.", "first-media-time"},
    {"rtc_session_duration_seconds", "histogram", "Lives of connected sessions that ended.",
     "session-duration"},
};

struct Writer {
  std::string out;
  void header (const Metric &m)
  {
    out += std::string ("# HELP ") + m.name + " " + m.help + "\n# TYPE " + m.name + " " + m.type +
           "\n";
  }
  void sample (const std::string &name, const std::string &labels, double v)
  {
    out += name + "{" + labels + "} " + number (v) + "\n";
  }
};

std::string base_labels (const StreamStats &s)
{
  return "element=\"" + escape_label (element_of (s.report.get ())) + "\",stream=\"" +
         escape_label (s.stream) + "\"";
}

/* @fn for every session structure of @s. */
void each_session (const StreamStats &s, const std::function<void (const GstStructure *)> &fn)
{
  const GValue *list = gst_structure_get_value (s.report.get (), "sessions");
  if (!list || !GST_VALUE_HOLDS_ARRAY (list))
    return;
  for (guint i = 0; i < gst_value_array_get_size (list); i++) {
    const GValue *v = gst_value_array_get_value (list, i);
    if (GST_VALUE_HOLDS_STRUCTURE (v))
      fn (gst_value_get_structure (v));
  }
}

std::string session_labels (const StreamStats &s, const GstStructure *session)
{
  const gchar *id = gst_structure_get_string (session, "id");
  return base_labels (s) + ",session=\"" + escape_label (id ? id : "") + "\"";
}

void write_histogram (Writer &w, const Metric &m, const StreamStats &s)
{
  std::string f = m.field;
  const GValue *bounds = gst_structure_get_value (s.report.get (), (f + "-bounds").c_str ());
  const GValue *counts = gst_structure_get_value (s.report.get (), (f + "-counts").c_str ());
  double sum = 0;
  if (!bounds || !counts || !stats_number (s.report.get (), (f + "-sum").c_str (), sum) ||
      gst_value_array_get_size (counts) != gst_value_array_get_size (bounds) + 1)
    return;
  std::string labels = base_labels (s);
  guint n = gst_value_array_get_size (bounds);
  guint64 total = 0;
  for (guint i = 0; i <= n; i++) {
    total = g_value_get_uint64 (gst_value_array_get_value (counts, i));
    std::string le =
        i < n ? number (g_value_get_double (gst_value_array_get_value (bounds, i))) : "+Inf";
    w.sample (std::string (m.name) + "_bucket", labels + ",le=\"" + le + "\"", (double)total);
  }
  w.sample (std::string (m.name) + "_sum", labels, sum);
  w.sample (std::string (m.name) + "_count", labels, (double)total);
}

} // namespace

std::string stats_prometheus (const std::vector<StreamStats> &streams)
{
  Writer w;
  for (auto &m : ELEMENT_METRICS) {
    w.header (m);
    for (auto &s : streams) {
      double v;
      if (stats_number (s.report.get (), m.field, v))
        w.sample (m.name, base_labels (s), v);
    }
  }
  Metric rejected{"rtc_rejected_total", "counter", "Sessions refused by the element, by reason.",
                  "rejected"};
  w.header (rejected);
  for (auto &s : streams) {
    const GstStructure *r = nullptr;
    if (gst_structure_get (s.report.get (), "rejected", GST_TYPE_STRUCTURE, &r, nullptr) && r) {
      for (gint i = 0; i < gst_structure_n_fields (r); i++) {
        const gchar *reason = gst_structure_nth_field_name (r, i);
        double v;
        if (stats_number (r, reason, v))
          w.sample (rejected.name, base_labels (s) + ",reason=\"" + escape_label (reason) + "\"",
                    v);
      }
      gst_structure_free ((GstStructure *)r);
    }
  }
  Metric encoders{"rtc_encoders", "gauge", "Encoders running (webrtcpublish).", "encoders"};
  w.header (encoders);
  for (auto &s : streams) {
    const GValue *list = gst_structure_get_value (s.report.get (), "encoders");
    if (list && GST_VALUE_HOLDS_ARRAY (list))
      w.sample (encoders.name, base_labels (s), gst_value_array_get_size (list));
  }
  for (auto &m : HISTOGRAMS) {
    w.header (m);
    for (auto &s : streams)
      write_histogram (w, m, s);
  }
  for (auto &m : SESSION_METRICS) {
    w.header (m);
    for (auto &s : streams) {
      each_session (s, [&] (const GstStructure *session) {
        double v;
        if (!m.field)
          w.sample (m.name, session_labels (s, session),
                    g_strcmp0 (gst_structure_get_string (session, "state"), "connected") == 0);
        else if (stats_number (session, m.field, v))
          w.sample (m.name, session_labels (s, session), v);
      });
    }
  }
  /* What is not a number, as labels of a constant 1. */
  Metric info{"rtc_session_info", "gauge",
              "The session's peer, codecs and selected candidate pair (value 1).", nullptr};
  w.header (info);
  const char *const INFO_FIELDS[] = {"peer-address",          "codecs",          "state",
                                     "local-candidate-type",  "local-protocol",  "local-address",
                                     "remote-candidate-type", "remote-protocol", "remote-address"};
  for (auto &s : streams) {
    each_session (s, [&] (const GstStructure *session) {
      std::string labels = session_labels (s, session);
      for (const char *f : INFO_FIELDS) {
        const gchar *v = gst_structure_get_string (session, f);
        if (!v)
          continue;
        std::string label = f;
        for (char &c : label)
          if (c == '-')
            c = '_';
        labels += "," + label + "=\"" + escape_label (v) + "\"";
      }
      w.sample (info.name, labels, 1);
    });
  }
  return w.out;
}

/* ---- serving ------------------------------------------------------------- */

namespace {

std::atomic<int> stats_requests{0}; /* being made, process-wide */

struct Reply {
  SoupServerMessage *msg; /* owned */
  std::string body;
  StatsFormat format;
};

gboolean send_reply (gpointer data)
{
  auto r = static_cast<Reply *> (data);
  soup_message_headers_replace (soup_server_message_get_response_headers (r->msg), "Cache-Control",
                                "no-cache");
  http_respond (r->msg, SOUP_STATUS_OK,
                r->format == StatsFormat::PROMETHEUS ? "text/plain; version=0.0.4; charset=utf-8"
                                                     : "application/json",
                r->body);
  soup_server_message_unpause (r->msg);
  return G_SOURCE_REMOVE;
}

void free_reply (gpointer data)
{
  auto r = static_cast<Reply *> (data);
  g_object_unref (r->msg);
  delete r;
}

} // namespace

void http_serve_stats (SoupServerMessage *msg, GMainContext *context, std::vector<StatsRead> reads,
                       StatsFormat format)
{
  if (reads.empty ()) {
    http_respond_text (msg, SOUP_STATUS_NOT_FOUND, "no stream on this server serves stats");
    return;
  }
  if (stats_requests.fetch_add (1) >= MAX_STATS_REQUESTS) {
    stats_requests--;
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                  "1");
    http_respond_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                       "too many stats requests at once; retry in a second");
    return;
  }
  soup_server_message_pause (msg);
  auto reply = new Reply{SOUP_SERVER_MESSAGE (g_object_ref (msg)), std::string (), format};
  g_main_context_ref (context);
  std::thread ([reply, context, reads = std::move (reads)] () mutable {
    std::vector<StreamStats> streams;
    for (auto &r : reads) {
      if (GstStructure *report = r.read ())
        streams.push_back ({r.stream, StructurePtr (report)});
    }
    reads.clear (); /* the readers' element references go here, not on the server thread */
    reply->body = reply->format == StatsFormat::PROMETHEUS
                      ? stats_prometheus (streams)
                      : stats_json (streams, reply->format == StatsFormat::JSON_DETAILS);
    stats_requests--;
    /* Answered on the server thread; if the server has stopped, its
     * context drops the source and the message with it. */
    GSource *source = g_idle_source_new ();
    g_source_set_callback (source, send_reply, reply, free_reply);
    g_source_attach (source, context);
    g_source_unref (source);
    g_main_context_unref (context);
  }).detach ();
}

} // namespace rtc

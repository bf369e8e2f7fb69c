/* RtcStatsHttp: the elements' stats (rtcstats.h) over HTTP: /stats.json
 * and /metrics (Prometheus text exposition format 0.0.4), served by the
 * embedded server for every stream whose endpoint lets the request read it
 * (HttpEndpoint::stats_reader). docs/stats.md lists the metrics.
 *
 * A signaller serves the stats of the element it belongs to, its "stats
 * owner": the element sets itself there when it starts the signaller
 * (SignallerHost::start), held weakly.
 *
 * Threading: the owner functions from any thread; the formatters are pure.
 */
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <functional>
#include <string>
#include <vector>

#include "rtcptr.h"

namespace rtc {

/* @element's stats are what @signaller serves (weakly held; nullptr clears). */
void set_stats_owner (GObject *signaller, GstElement *element);
/* The element set above, if it is still there. */
ObjectPtr<GstElement> ref_stats_owner (GObject *signaller);

/* What an endpoint's HttpEndpoint::stats_reader gives: a reader of
 * @signaller's stats owner's `stats`, when @serve (its serve-stats) and
 * the owner is there; off a @loopback server only when @secured (a token or
 * key is set: the stats name peers' addresses), else @msg is answered 403.
 * @check is the stream's own access check, which answers @msg when it
 * refuses. nullptr: not served, or @msg answered. Server thread. */
std::function<GstStructure *()> owner_stats_reader (GObject *signaller, SoupServerMessage *msg,
                                                    bool serve, bool secured, bool loopback,
                                                    const std::function<bool ()> &check);

/* One stream's report: its name on the server and its element's stats
 * structure ("webrtcpublish-stats", ...). */
struct StreamStats {
  std::string stream;
  StructurePtr report;
};

/* {"streams": [{"stream": name, "element": "webrtcpublish", <the report's
 * fields, nested structures as objects, arrays as arrays>}]}; the
 * sessions' "local-sdp", "remote-sdp", "local-candidates" and
 * "remote-candidates" only with @details. */
std::string stats_json (const std::vector<StreamStats> &streams, bool details = false);
/* The same as Prometheus metrics (labels element and stream, and session
 * for a session's). */
std::string stats_prometheus (const std::vector<StreamStats> &streams);

/* One stream's reader, from its endpoint (HttpEndpoint::stats_reader). */
struct StatsRead {
  std::string stream;
  std::function<GstStructure *()> read;
};

/* /stats.json, /stats.json?details=1 (with the sessions' SDP and
 * candidates), /metrics. */
enum class StatsFormat { JSON, JSON_DETAILS, PROMETHEUS };

/* Answers @msg (server thread, its server's @context) with the reports of
 * @reads in @format: 404 when there are none, 503 when
 * MAX_STATS_REQUESTS are being made already; else the message is paused,
 * the readers run on a thread of their own, and the answer is given on the
 * server thread. */
constexpr int MAX_STATS_REQUESTS = 4;
void http_serve_stats (SoupServerMessage *msg, GMainContext *context, std::vector<StatsRead> reads,
                       StatsFormat format);

} // namespace rtc

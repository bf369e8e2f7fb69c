/* Sessions' stats (rtcsessions.h, rtcstats.h): the element's figures and
 * each session's facts for a report, and the first-media histogram. Control
 * thread, as the rest of Sessions. */
#include "rtcsessions.h"

namespace rtc {

gint64 Sessions::count_first_media (Session &s)
{
  gint64 first = s.first_media ? s.first_media->first_us () : 0;
  if (first && !s.first_media_counted) {
    s.first_media_counted = true;
    first_media_times_.observe ((first - s.peer->created_us ()) / 1e6);
  }
  return first;
}

void Sessions::gather_stats (GstStructure *fields, std::vector<SessionFacts> &facts)
{
  guint connected = 0;
  for (auto &kv : sessions_) {
    Session &s = *kv.second;
    connected += s.connected;
    SessionFacts f;
    f.id = kv.first;
    f.peer_address = s.peer_address;
    f.state = s.connected ? "connected" : "connecting";
    f.created_us = s.peer->created_us ();
    f.connected_us = s.connected_us;
    f.first_media_us = count_first_media (s);
    f.webrtcbin = ref_object (s.peer->webrtcbin ());
    f.extra.reset (gst_structure_new_empty ("extra"));
    delegate_.describe (s, f.extra.get ());
    facts.push_back (std::move (f));
  }
  GstStructure *rejected = gst_structure_new_empty ("rejected");
  GEnumClass *codes = G_ENUM_CLASS (g_type_class_ref (GST_TYPE_RTC_SIGNALLER_ERROR));
  for (guint i = 0; i < codes->n_values; i++) {
    auto it = rejected_.find ((GstRtcSignallerError)codes->values[i].value);
    gst_structure_set (rejected, codes->values[i].value_nick, G_TYPE_UINT,
                       it == rejected_.end () ? 0u : it->second, nullptr);
  }
  g_type_class_unref (codes);
  gst_structure_set (fields, "n-sessions", G_TYPE_UINT, (guint)sessions_.size (), "connected",
                     G_TYPE_UINT, connected, "handshakes", G_TYPE_UINT,
                     (guint)sessions_.size () - connected, "rejected", GST_TYPE_STRUCTURE, rejected,
                     nullptr);
  gst_structure_free (rejected);
  connect_times_.report (fields, "connect-time");
  first_media_times_.report (fields, "first-media-time");
  durations_.report (fields, "session-duration");
  delegate_.describe (fields);
}

} // namespace rtc

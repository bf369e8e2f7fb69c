/* GstRtcDataPad: a data channel as a pad of webrtcpublish/webrtcsubscribe.
 *
 * The pad's name is "data_send_<label>" (a sink pad: each buffer is one
 * message to every session on channel <label>) or "data_recv_<label>" (a
 * src pad: each message received on <label> from any session is one
 * buffer, with a GstRtcDataMeta naming the session and the label).
 *
 * Properties set the options of the channels the element opens for the
 * label (ordered, max-retransmits, max-packet-lifetime, protocol,
 * negotiated-id), the sink side's back-pressure limit (max-buffered-bytes)
 * and the src side's framing (newline); counters report the traffic.
 *
 * Threading: properties from any thread (the object lock guards them);
 * the element's DataRouter calls the C++ accessors below from streaming and
 * webrtcbin threads.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_DATA_PAD (gst_rtc_data_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcDataPad, gst_rtc_data_pad, GST, RTC_DATA_PAD, GstPad)

G_END_DECLS

#ifdef __cplusplus
#include <string>

namespace rtc {

/* Options of the channels opened for a label. -1 = unset. */
struct DataChannelOptions {
  std::string label;
  bool ordered = true;
  gint max_retransmits = -1;
  gint max_packet_lifetime = -1;
  std::string protocol;
  gint negotiated_id = -1;
  /* The GstStructure webrtcbin's create-data-channel takes (transfer full). */
  GstStructure *to_structure () const;
  bool reliable () const { return max_retransmits < 0 && max_packet_lifetime < 0; }
};

/* Sink or src, and the label, parsed from a pad name; false when @name is
 * not "data_send_<label>" / "data_recv_<label>" with a non-empty label. */
bool parse_data_pad_name (const char *name, bool &sink, std::string &label);

const std::string &data_pad_label (GstRtcDataPad *pad);
DataChannelOptions data_pad_options (GstRtcDataPad *pad);
guint data_pad_max_buffered (GstRtcDataPad *pad);
bool data_pad_newline (GstRtcDataPad *pad);
guint data_pad_max_queued (GstRtcDataPad *pad);
bool data_pad_sync (GstRtcDataPad *pad);
void data_pad_count (GstRtcDataPad *pad, guint64 sent, guint64 received, guint64 dropped);

} // namespace rtc
#endif

/* GstRtcDataMeta: who sent a data-channel message, on the buffers that
 * webrtcpublish's and webrtcsubscribe's data_recv_<label> pads output.
 *
 * Readable from C (gst_rtc_buffer_get_data_meta()) and through GObject
 * introspection (GstRtc.buffer_get_data_meta (buffer).session_id).
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstRtcDataMeta:
 * @meta: the parent #GstMeta
 * @session_id: the session (peer) that sent the message
 * @label: the data channel's label
 * @binary: %FALSE for a text message, %TRUE for a binary one
 *
 * The origin of one data-channel message.
 */
typedef struct {
  GstMeta meta;
  gchar *session_id;
  gchar *label;
  gboolean binary;
} GstRtcDataMeta;

GType gst_rtc_data_meta_api_get_type (void);
#define GST_RTC_DATA_META_API_TYPE (gst_rtc_data_meta_api_get_type ())
const GstMetaInfo *gst_rtc_data_meta_get_info (void);
#define GST_RTC_DATA_META_INFO (gst_rtc_data_meta_get_info ())

GstRtcDataMeta *gst_rtc_buffer_add_data_meta (GstBuffer *buffer, const gchar *session_id,
                                              const gchar *label, gboolean binary);
GstRtcDataMeta *gst_rtc_buffer_get_data_meta (GstBuffer *buffer);

G_END_DECLS

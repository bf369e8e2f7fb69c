/* See gstrtcdatameta.h. */
#include "gstrtcdatameta.h"

/**
 * SECTION:gstrtcdatameta
 * @title: GstRtcDataMeta
 * @short_description: the sender and label of a data-channel message
 */

GType gst_rtc_data_meta_api_get_type (void)
{
  static gsize type = 0;
  static const gchar *tags[] = {nullptr};
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, gst_meta_api_type_register ("GstRtcDataMetaAPI", tags));
  return (GType)type;
}

static gboolean data_meta_init (GstMeta *meta, gpointer, GstBuffer *)
{
  auto m = reinterpret_cast<GstRtcDataMeta *> (meta);
  m->session_id = nullptr;
  m->label = nullptr;
  m->binary = FALSE;
  return TRUE;
}

static void data_meta_free (GstMeta *meta, GstBuffer *)
{
  auto m = reinterpret_cast<GstRtcDataMeta *> (meta);
  g_free (m->session_id);
  g_free (m->label);
}

static gboolean data_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *, GQuark type,
                                     gpointer)
{
  /* The origin holds for any copy or part of the message. */
  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;
  auto m = reinterpret_cast<GstRtcDataMeta *> (meta);
  return gst_rtc_buffer_add_data_meta (dest, m->session_id, m->label, m->binary) != nullptr;
}

const GstMetaInfo *gst_rtc_data_meta_get_info (void)
{
  static const GstMetaInfo *info = nullptr;
  if (g_once_init_enter ((GstMetaInfo **)&info)) {
    const GstMetaInfo *i =
        gst_meta_register (GST_RTC_DATA_META_API_TYPE, "GstRtcDataMeta", sizeof (GstRtcDataMeta),
                           data_meta_init, data_meta_free, data_meta_transform);
    g_once_init_leave ((GstMetaInfo **)&info, (GstMetaInfo *)i);
  }
  return info;
}

/**
 * gst_rtc_buffer_add_data_meta:
 * @buffer: a writable #GstBuffer
 * @session_id: the session that sent the message
 * @label: the data channel's label
 * @binary: %TRUE for a binary message
 *
 * Returns: (transfer none): the meta added to @buffer
 */
GstRtcDataMeta *gst_rtc_buffer_add_data_meta (GstBuffer *buffer, const gchar *session_id,
                                              const gchar *label, gboolean binary)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), nullptr);
  auto m = reinterpret_cast<GstRtcDataMeta *> (
      gst_buffer_add_meta (buffer, GST_RTC_DATA_META_INFO, nullptr));
  if (!m)
    return nullptr;
  m->session_id = g_strdup (session_id);
  m->label = g_strdup (label);
  m->binary = binary;
  return m;
}

/**
 * gst_rtc_buffer_get_data_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the origin of the message in @buffer,
 *   or %NULL when it has none
 */
GstRtcDataMeta *gst_rtc_buffer_get_data_meta (GstBuffer *buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), nullptr);
  return reinterpret_cast<GstRtcDataMeta *> (
      gst_buffer_get_meta (buffer, GST_RTC_DATA_META_API_TYPE));
}

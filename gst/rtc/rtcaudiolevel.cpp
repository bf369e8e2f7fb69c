/* See rtcaudiolevel.h. */
#include "rtcaudiolevel.h"

#include <gst/rtp/rtp.h>
#include <string>

namespace rtc {

namespace {

const int NO_PACKET = 128;

/* The id of the audio-level extension in @caps ("extmap-<id>": the URI,
 * or an array (direction, URI, attributes)), 0 when none. */
int audio_level_id (const GstCaps *caps)
{
  if (!caps || gst_caps_get_size (caps) == 0)
    return 0;
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  for (int i = 0; i < gst_structure_n_fields (s); i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    if (!g_str_has_prefix (name, "extmap-"))
      continue;
    const GValue *v = gst_structure_get_value (s, name);
    const gchar *uri = nullptr;
    if (G_VALUE_HOLDS_STRING (v))
      uri = g_value_get_string (v);
    else if (GST_VALUE_HOLDS_ARRAY (v) && gst_value_array_get_size (v) >= 2 &&
             G_VALUE_HOLDS_STRING (gst_value_array_get_value (v, 1)))
      uri = g_value_get_string (gst_value_array_get_value (v, 1));
    int id = atoi (name + strlen ("extmap-"));
    if (uri && g_str_equal (uri, RTC_AUDIO_LEVEL_URI) && id > 0 && id < 15)
      return id;
  }
  return 0;
}

} // namespace

void caps_add_audio_level (GstCaps *caps, int id)
{
  std::string field = "extmap-" + std::to_string (id);
  for (guint i = 0; i < gst_caps_get_size (caps); i++)
    gst_structure_set (gst_caps_get_structure (caps, i), field.c_str (), G_TYPE_STRING,
                       RTC_AUDIO_LEVEL_URI, nullptr);
}

std::shared_ptr<AudioLevelTap> AudioLevelTap::attach (GstPad *rtp_pad)
{
  auto tap = std::make_shared<AudioLevelTap> ();
  tap->loudest_ = NO_PACKET;
  GstCaps *caps = gst_pad_get_current_caps (rtp_pad);
  tap->id_ = audio_level_id (caps);
  if (caps)
    gst_caps_unref (caps);
  gst_pad_add_probe (rtp_pad,
                     GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                                      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                     on_data, new std::shared_ptr<AudioLevelTap> (tap),
                     [] (gpointer d) { delete static_cast<std::shared_ptr<AudioLevelTap> *> (d); });
  return tap;
}

GstPadProbeReturn AudioLevelTap::on_data (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  AudioLevelTap *self = static_cast<std::shared_ptr<AudioLevelTap> *> (data)->get ();
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *e = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (e) == GST_EVENT_CAPS) {
      GstCaps *caps = nullptr;
      gst_event_parse_caps (e, &caps);
      self->id_ = audio_level_id (caps);
    }
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    for (guint i = 0; i < gst_buffer_list_length (list); i++)
      self->read (gst_buffer_list_get (list, i));
  } else {
    self->read (GST_PAD_PROBE_INFO_BUFFER (info));
  }
  return GST_PAD_PROBE_OK;
}

void AudioLevelTap::read (GstBuffer *buf)
{
  int id = id_.load ();
  if (id == 0)
    return;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return;
  gpointer data = nullptr;
  guint size = 0;
  if ((gst_rtp_buffer_get_extension_onebyte_header (&rtp, (guint8)id, 0, &data, &size) ||
       gst_rtp_buffer_get_extension_twobytes_header (&rtp, nullptr, (guint8)id, 0, &data, &size)) &&
      size >= 1) {
    /* V bit, then the level in -dBov (RFC 6464 section 3). */
    int level = static_cast<const guint8 *> (data)[0] & 0x7f;
    seen_ = true;
    int prev = loudest_.load ();
    while (level < prev && !loudest_.compare_exchange_weak (prev, level))
      ;
  }
  gst_rtp_buffer_unmap (&rtp);
}

double AudioLevelTap::take ()
{
  int v = loudest_.exchange (NO_PACKET);
  return v >= 127 ? NONE : -(double)v;
}

} // namespace rtc

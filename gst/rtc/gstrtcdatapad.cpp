/* See gstrtcdatapad.h. */
#include "gstrtcdatapad.h"

#include <gst/rtcbridge/gstrtcdatameta.h>

#include <atomic>
#include <cstring>
#include <mutex>

#define DEFAULT_ORDERED TRUE
#define DEFAULT_MAX_RETRANSMITS -1
#define DEFAULT_MAX_PACKET_LIFETIME -1
#define DEFAULT_NEGOTIATED_ID -1
#define DEFAULT_MAX_BUFFERED_BYTES (1024 * 1024)
#define DEFAULT_NEWLINE FALSE
#define DEFAULT_SYNC TRUE
#define DEFAULT_MAX_QUEUED_BYTES (16 * 1024 * 1024)

enum {
  PROP_0,
  PROP_LABEL,
  PROP_ORDERED,
  PROP_MAX_RETRANSMITS,
  PROP_MAX_PACKET_LIFETIME,
  PROP_PROTOCOL,
  PROP_NEGOTIATED_ID,
  PROP_MAX_BUFFERED_BYTES,
  PROP_NEWLINE,
  PROP_SYNC,
  PROP_MAX_QUEUED_BYTES,
  PROP_MESSAGES_SENT,
  PROP_MESSAGES_RECEIVED,
  PROP_MESSAGES_DROPPED,
};

struct GstRtcDataPadPrivate {
  std::mutex lock; /* guards the options */
  rtc::DataChannelOptions options;
  guint max_buffered = DEFAULT_MAX_BUFFERED_BYTES;
  bool newline = DEFAULT_NEWLINE;
  bool sync = DEFAULT_SYNC;
  guint max_queued = DEFAULT_MAX_QUEUED_BYTES;
  std::atomic<guint64> sent{0}, received{0}, dropped{0};
};

struct _GstRtcDataPad {
  GstPad parent;
  GstRtcDataPadPrivate *priv;
};

G_DEFINE_TYPE (GstRtcDataPad, gst_rtc_data_pad, GST_TYPE_PAD);

static void gst_rtc_data_pad_constructed (GObject *object)
{
  auto self = GST_RTC_DATA_PAD (object);
  G_OBJECT_CLASS (gst_rtc_data_pad_parent_class)->constructed (object);
  bool sink;
  std::string label;
  if (rtc::parse_data_pad_name (GST_OBJECT_NAME (self), sink, label))
    self->priv->options.label = label;
}

static void gst_rtc_data_pad_set_property (GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec)
{
  auto priv = GST_RTC_DATA_PAD (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_ORDERED:
    priv->options.ordered = g_value_get_boolean (value);
    break;
  case PROP_MAX_RETRANSMITS:
    priv->options.max_retransmits = g_value_get_int (value);
    break;
  case PROP_MAX_PACKET_LIFETIME:
    priv->options.max_packet_lifetime = g_value_get_int (value);
    break;
  case PROP_PROTOCOL: {
    const gchar *s = g_value_get_string (value);
    priv->options.protocol = s ? s : "";
    break;
  }
  case PROP_NEGOTIATED_ID:
    priv->options.negotiated_id = g_value_get_int (value);
    break;
  case PROP_MAX_BUFFERED_BYTES:
    priv->max_buffered = g_value_get_uint (value);
    break;
  case PROP_NEWLINE:
    priv->newline = g_value_get_boolean (value);
    break;
  case PROP_SYNC:
    priv->sync = g_value_get_boolean (value);
    break;
  case PROP_MAX_QUEUED_BYTES:
    priv->max_queued = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_data_pad_get_property (GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec)
{
  auto priv = GST_RTC_DATA_PAD (object)->priv;
  std::lock_guard<std::mutex> g (priv->lock);
  switch (prop_id) {
  case PROP_LABEL:
    g_value_set_string (value, priv->options.label.c_str ());
    break;
  case PROP_ORDERED:
    g_value_set_boolean (value, priv->options.ordered);
    break;
  case PROP_MAX_RETRANSMITS:
    g_value_set_int (value, priv->options.max_retransmits);
    break;
  case PROP_MAX_PACKET_LIFETIME:
    g_value_set_int (value, priv->options.max_packet_lifetime);
    break;
  case PROP_PROTOCOL:
    g_value_set_string (value, priv->options.protocol.c_str ());
    break;
  case PROP_NEGOTIATED_ID:
    g_value_set_int (value, priv->options.negotiated_id);
    break;
  case PROP_MAX_BUFFERED_BYTES:
    g_value_set_uint (value, priv->max_buffered);
    break;
  case PROP_NEWLINE:
    g_value_set_boolean (value, priv->newline);
    break;
  case PROP_SYNC:
    g_value_set_boolean (value, priv->sync);
    break;
  case PROP_MAX_QUEUED_BYTES:
    g_value_set_uint (value, priv->max_queued);
    break;
  case PROP_MESSAGES_SENT:
    g_value_set_uint64 (value, priv->sent.load ());
    break;
  case PROP_MESSAGES_RECEIVED:
    g_value_set_uint64 (value, priv->received.load ());
    break;
  case PROP_MESSAGES_DROPPED:
    g_value_set_uint64 (value, priv->dropped.load ());
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gst_rtc_data_pad_finalize (GObject *object)
{
  delete GST_RTC_DATA_PAD (object)->priv;
  G_OBJECT_CLASS (gst_rtc_data_pad_parent_class)->finalize (object);
}

static void gst_rtc_data_pad_class_init (GstRtcDataPadClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->constructed = gst_rtc_data_pad_constructed;
  gobject_class->set_property = gst_rtc_data_pad_set_property;
  gobject_class->get_property = gst_rtc_data_pad_get_property;
  gobject_class->finalize = gst_rtc_data_pad_finalize;

  auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  auto ro = GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_LABEL,
      g_param_spec_string ("label", "Label", "The data channel label (from the pad name)", nullptr,
                           ro));
  g_object_class_install_property (
      gobject_class, PROP_ORDERED,
      g_param_spec_boolean ("ordered", "Ordered",
                            "Channels opened for this label deliver messages in order",
                            DEFAULT_ORDERED, rw));
  g_object_class_install_property (
      gobject_class, PROP_MAX_RETRANSMITS,
      g_param_spec_int ("max-retransmits", "Max retransmits",
                        "Unreliable channel: give a message up after this many retransmissions "
                        "(-1 = reliable; exclusive with max-packet-lifetime)",
                        -1, 65535, DEFAULT_MAX_RETRANSMITS, rw));
  g_object_class_install_property (
      gobject_class, PROP_MAX_PACKET_LIFETIME,
      g_param_spec_int ("max-packet-lifetime", "Max packet lifetime",
                        "Unreliable channel: give a message up after this many ms (-1 = "
                        "reliable; exclusive with max-retransmits)",
                        -1, 65535, DEFAULT_MAX_PACKET_LIFETIME, rw));
  g_object_class_install_property (
      gobject_class, PROP_PROTOCOL,
      g_param_spec_string ("protocol", "Protocol",
                           "Subprotocol announced with channels opened for this label", "", rw));
  g_object_class_install_property (
      gobject_class, PROP_NEGOTIATED_ID,
      g_param_spec_int ("negotiated-id", "Negotiated id",
                        "SCTP stream id agreed out of band (the peer creates the channel with "
                        "negotiated: true and the same id); -1 = opened in band (DCEP)",
                        -1, 65534, DEFAULT_NEGOTIATED_ID, rw));
  g_object_class_install_property (
      gobject_class, PROP_MAX_BUFFERED_BYTES,
      g_param_spec_uint ("max-buffered-bytes", "Max buffered bytes",
                         "Sink pads: bytes queued per session before a reliable channel blocks "
                         "the pad (back-pressure) and an unreliable one drops messages",
                         16384, G_MAXUINT, DEFAULT_MAX_BUFFERED_BYTES, rw));
  g_object_class_install_property (
      gobject_class, PROP_NEWLINE,
      g_param_spec_boolean ("newline", "Newline",
                            "Src pads: end each message's buffer with a line feed (one line per "
                            "message, for logs)",
                            DEFAULT_NEWLINE, rw));
  g_object_class_install_property (
      gobject_class, PROP_SYNC,
      g_param_spec_boolean ("sync", "Sync",
                            "Sink pads: send a timestamped message at its running time, as a sink "
                            "renders (subtitles from a file); untimestamped ones go at once",
                            DEFAULT_SYNC, rw));
  g_object_class_install_property (
      gobject_class, PROP_MAX_QUEUED_BYTES,
      g_param_spec_uint ("max-queued-bytes", "Max queued bytes",
                         "Src pads: bytes of received messages waiting for downstream; more are "
                         "dropped (and counted) rather than stalling the sessions",
                         16384, G_MAXUINT, DEFAULT_MAX_QUEUED_BYTES, rw));
  g_object_class_install_property (
      gobject_class, PROP_MESSAGES_SENT,
      g_param_spec_uint64 ("messages-sent", "Messages sent",
                           "Messages handed to channels (one per session)", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_MESSAGES_RECEIVED,
      g_param_spec_uint64 ("messages-received", "Messages received",
                           "Messages received on this label from all sessions", 0, G_MAXUINT64, 0,
                           ro));
  g_object_class_install_property (
      gobject_class, PROP_MESSAGES_DROPPED,
      g_param_spec_uint64 ("messages-dropped", "Messages dropped",
                           "Sink pads: messages not sent (an unreliable channel over "
                           "max-buffered-bytes, a message over the peer's maximum size, invalid "
                           "UTF-8 on a text pad); src pads: messages over max-queued-bytes",
                           0, G_MAXUINT64, 0, ro));
  gst_rtc_data_meta_get_info ();
}

static void gst_rtc_data_pad_init (GstRtcDataPad *self)
{
  self->priv = new GstRtcDataPadPrivate ();
}

namespace rtc {

GstStructure *DataChannelOptions::to_structure () const
{
  GstStructure *s =
      gst_structure_new ("application/data-channel", "ordered", G_TYPE_BOOLEAN, (gboolean)ordered,
                         "protocol", G_TYPE_STRING, protocol.c_str (), nullptr);
  if (max_retransmits >= 0)
    gst_structure_set (s, "max-retransmits", G_TYPE_INT, max_retransmits, nullptr);
  else if (max_packet_lifetime >= 0)
    gst_structure_set (s, "max-packet-lifetime", G_TYPE_INT, max_packet_lifetime, nullptr);
  if (negotiated_id >= 0)
    gst_structure_set (s, "negotiated", G_TYPE_BOOLEAN, TRUE, "id", G_TYPE_INT, negotiated_id,
                       nullptr);
  return s;
}

bool parse_data_pad_name (const char *name, bool &sink, std::string &label)
{
  static const char send[] = "data_send_", recv[] = "data_recv_";
  if (!name)
    return false;
  if (g_str_has_prefix (name, send)) {
    sink = true;
    label = name + strlen (send);
  } else if (g_str_has_prefix (name, recv)) {
    sink = false;
    label = name + strlen (recv);
  } else {
    return false;
  }
  return !label.empty ();
}

const std::string &data_pad_label (GstRtcDataPad *pad)
{
  return pad->priv->options.label; /* set at construction, never changed */
}

DataChannelOptions data_pad_options (GstRtcDataPad *pad)
{
  std::lock_guard<std::mutex> g (pad->priv->lock);
  return pad->priv->options;
}

guint data_pad_max_buffered (GstRtcDataPad *pad)
{
  std::lock_guard<std::mutex> g (pad->priv->lock);
  return pad->priv->max_buffered;
}

bool data_pad_sync (GstRtcDataPad *pad)
{
  std::lock_guard<std::mutex> g (pad->priv->lock);
  return pad->priv->sync;
}

guint data_pad_max_queued (GstRtcDataPad *pad)
{
  std::lock_guard<std::mutex> g (pad->priv->lock);
  return pad->priv->max_queued;
}

bool data_pad_newline (GstRtcDataPad *pad)
{
  std::lock_guard<std::mutex> g (pad->priv->lock);
  return pad->priv->newline;
}

void data_pad_count (GstRtcDataPad *pad, guint64 sent, guint64 received, guint64 dropped)
{
  pad->priv->sent += sent;
  pad->priv->received += received;
  pad->priv->dropped += dropped;
}

} // namespace rtc

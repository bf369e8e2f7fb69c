/* TcpSignaller (tcpsignaller.h): the GObject and the GstRtcSignaller vfuncs.
 * This is the part to read first when writing a signaller: each vfunc maps
 * an element's call to the protocol's line and hands it to the I/O thread
 * (tcpsignallerio.c), which sends it and emits the signals back.
 */
#include "tcpsignaller.h"
#include "tcpsignallerio.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <gio/gio.h>
#include <string.h>

/* Not static: tcpsignallerio.c logs to it too. */
GST_DEBUG_CATEGORY (tcp_signaller_debug);
#define GST_CAT_DEFAULT tcp_signaller_debug

#define DEFAULT_ROLE GST_RTC_SIGNALLER_ROLE_ANSWERER
#define DEFAULT_ADDRESS NULL
#define DEFAULT_PORT 9000
#define DEFAULT_RETRY_DELAY 1000

enum {
  PROP_0,
  PROP_ROLE,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_RETRY_DELAY,
};

typedef struct {
  GMutex lock; /* guards the settings and io */
  GstRtcSignallerRole role;
  gchar *address; /* offerer: "host:port" to connect to */
  guint port;     /* answerer: the port to listen on */
  guint retry_delay_ms;
  TcpSignallerIo *io; /* while started */
} TcpSignallerPrivate;

struct _TcpSignaller {
  GstObject parent;
  TcpSignallerPrivate *priv;
};

static void tcp_signaller_iface_init (GstRtcSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (TcpSignaller, tcp_signaller, GST_TYPE_OBJECT,
                         G_ADD_PRIVATE (TcpSignaller)
                             G_IMPLEMENT_INTERFACE (GST_TYPE_RTC_SIGNALLER,
                                                    tcp_signaller_iface_init));

/* ---- the interface ---- */

static gboolean tcp_signaller_start (GstRtcSignaller *signaller, GError **error)
{
  TcpSignaller *self = TCP_SIGNALLER (signaller);
  TcpSignallerPrivate *priv = self->priv;
  g_mutex_lock (&priv->lock);
  gboolean started = priv->io != NULL;
  GstRtcSignallerRole role = priv->role;
  gchar *address = g_strdup (priv->address);
  guint port = priv->port;
  guint retry_delay_ms = priv->retry_delay_ms;
  g_mutex_unlock (&priv->lock);
  if (started) {
    g_free (address);
    return TRUE;
  }

  if (role == GST_RTC_SIGNALLER_ROLE_OFFERER) {
    /* Checked here so that a typo is an element error, not endless retries. */
    GSocketConnectable *parsed = address ? g_network_address_parse (address, 0, error) : NULL;
    if (!parsed || g_network_address_get_port (G_NETWORK_ADDRESS (parsed)) == 0) {
      if (error && !*error)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not host:port",
                     address ? address : "");
      g_clear_object (&parsed);
      g_free (address);
      return FALSE;
    }
    g_object_unref (parsed);
  }
  TcpSignallerIo *io = tcp_signaller_io_new (self, role, address, port, retry_delay_ms, error);
  g_free (address);
  if (!io)
    return FALSE;
  g_mutex_lock (&priv->lock);
  priv->io = io;
  g_mutex_unlock (&priv->lock);
  tcp_signaller_io_start (io);
  return TRUE;
}

static void tcp_signaller_stop (GstRtcSignaller *signaller)
{
  TcpSignallerPrivate *priv = TCP_SIGNALLER (signaller)->priv;
  g_mutex_lock (&priv->lock);
  TcpSignallerIo *io = priv->io;
  priv->io = NULL;
  g_mutex_unlock (&priv->lock);
  if (!io)
    return;
  tcp_signaller_io_stop (io);
  GST_INFO_OBJECT (signaller, "stopped");
}

static GstRtcSignallerRole tcp_signaller_get_role (GstRtcSignaller *signaller)
{
  TcpSignallerPrivate *priv = TCP_SIGNALLER (signaller)->priv;
  g_mutex_lock (&priv->lock);
  GstRtcSignallerRole role = priv->role;
  g_mutex_unlock (&priv->lock);
  return role;
}

static gboolean tcp_signaller_get_trickle (GstRtcSignaller *signaller)
{
  return TRUE;
}

/* Hands @line (owned) for @session to the I/O thread; dropped when stopped.
 * Under the lock, so that stop() cannot free the I/O thread meanwhile. */
static void post_outgoing (TcpSignaller *self, const gchar *session, gchar *line, gboolean ends)
{
  TcpSignallerPrivate *priv = self->priv;
  g_mutex_lock (&priv->lock);
  gboolean started = priv->io != NULL;
  if (started)
    tcp_signaller_io_send (priv->io, session, line, ends);
  g_mutex_unlock (&priv->lock);
  if (!started) {
    GST_DEBUG_OBJECT (self, "stopped: nothing sent for session %s", session);
    g_free (line);
  }
}

static void tcp_signaller_send_description (GstRtcSignaller *signaller, const gchar *session_id,
                                            GstWebRTCSessionDescription *description)
{
  const gchar *kind = description->type == GST_WEBRTC_SDP_TYPE_OFFER    ? "offer"
                      : description->type == GST_WEBRTC_SDP_TYPE_ANSWER ? "answer"
                                                                        : NULL;
  if (!kind) {
    GST_WARNING_OBJECT (signaller, "session %s: a %s cannot be sent", session_id,
                        gst_webrtc_sdp_type_to_string (description->type));
    return;
  }
  gchar *sdp = gst_sdp_message_as_text (description->sdp);
  gchar *b64 = g_base64_encode ((const guchar *)sdp, strlen (sdp));
  post_outgoing (TCP_SIGNALLER (signaller), session_id,
                 g_strdup_printf ("%s %s %s", kind, session_id, b64), FALSE);
  g_free (b64);
  g_free (sdp);
}

static void tcp_signaller_send_ice_candidate (GstRtcSignaller *signaller, const gchar *session_id,
                                              guint mline, const gchar *candidate)
{
  /* webrtcbin needs no end-of-candidates; a line break would end the line. */
  if (!candidate || !*candidate || strpbrk (candidate, "\r\n"))
    return;
  post_outgoing (TCP_SIGNALLER (signaller), session_id,
                 g_strdup_printf ("candidate %s %u %s", session_id, mline, candidate), FALSE);
}

static void tcp_signaller_reject_session (GstRtcSignaller *signaller, const gchar *session_id,
                                          const GError *error)
{
  gchar *line = NULL;
  /* An offerer's peer never heard of the session: nothing to tell it. */
  if (tcp_signaller_get_role (signaller) == GST_RTC_SIGNALLER_ROLE_ANSWERER) {
    line = g_strdup_printf ("reject %s %s", session_id, error ? error->message : "refused");
    g_strdelimit (line, "\r\n", ' ');
  }
  post_outgoing (TCP_SIGNALLER (signaller), session_id, line, TRUE);
}

static void tcp_signaller_end_session (GstRtcSignaller *signaller, const gchar *session_id)
{
  post_outgoing (TCP_SIGNALLER (signaller), session_id, g_strdup_printf ("bye %s", session_id),
                 TRUE);
}

static void tcp_signaller_iface_init (GstRtcSignallerInterface *iface)
{
  iface->start = tcp_signaller_start;
  iface->stop = tcp_signaller_stop;
  iface->get_role = tcp_signaller_get_role;
  iface->get_trickle = tcp_signaller_get_trickle;
  iface->send_description = tcp_signaller_send_description;
  iface->send_ice_candidate = tcp_signaller_send_ice_candidate;
  iface->reject_session = tcp_signaller_reject_session;
  iface->end_session = tcp_signaller_end_session;
}

static void tcp_signaller_set_property (GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
  TcpSignallerPrivate *priv = TCP_SIGNALLER (object)->priv;
  g_mutex_lock (&priv->lock);
  switch (prop_id) {
  case PROP_ROLE:
    priv->role = g_value_get_enum (value);
    break;
  case PROP_ADDRESS:
    g_free (priv->address);
    priv->address = g_value_dup_string (value);
    break;
  case PROP_PORT:
    priv->port = g_value_get_uint (value);
    break;
  case PROP_RETRY_DELAY:
    priv->retry_delay_ms = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  g_mutex_unlock (&priv->lock);
}

static void tcp_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
  TcpSignallerPrivate *priv = TCP_SIGNALLER (object)->priv;
  g_mutex_lock (&priv->lock);
  switch (prop_id) {
  case PROP_ROLE:
    g_value_set_enum (value, priv->role);
    break;
  case PROP_ADDRESS:
    g_value_set_string (value, priv->address);
    break;
  case PROP_PORT:
    g_value_set_uint (value, priv->port);
    break;
  case PROP_RETRY_DELAY:
    g_value_set_uint (value, priv->retry_delay_ms);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  g_mutex_unlock (&priv->lock);
}

static void tcp_signaller_finalize (GObject *object)
{
  TcpSignaller *self = TCP_SIGNALLER (object);
  tcp_signaller_stop (GST_RTC_SIGNALLER (self));
  g_free (self->priv->address);
  g_mutex_clear (&self->priv->lock);
  G_OBJECT_CLASS (tcp_signaller_parent_class)->finalize (object);
}

static void tcp_signaller_class_init (TcpSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = tcp_signaller_set_property;
  gobject_class->get_property = tcp_signaller_get_property;
  gobject_class->finalize = tcp_signaller_finalize;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  g_object_class_install_property (
      gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role",
                         "Offerer: connect to address and offer; answerer: listen on port and "
                         "answer (read at start)",
                         GST_TYPE_RTC_SIGNALLER_ROLE, DEFAULT_ROLE, rw));
  g_object_class_install_property (
      gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address", "Offerer: the peer to connect to, host:port",
                           DEFAULT_ADDRESS, rw));
  g_object_class_install_property (
      gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port", "Answerer: the TCP port to listen on (every address)", 1,
                         65535, DEFAULT_PORT, rw));
  g_object_class_install_property (
      gobject_class, PROP_RETRY_DELAY,
      g_param_spec_uint ("retry-delay", "Retry delay",
                         "Offerer: ms before connecting again, or asking for a new session", 10,
                         600000, DEFAULT_RETRY_DELAY, rw));
  GST_DEBUG_CATEGORY_INIT (tcp_signaller_debug, "tcpsignaller", 0,
                           "Example GstRtcSignaller over TCP");
}

static void tcp_signaller_init (TcpSignaller *self)
{
  self->priv = tcp_signaller_get_instance_private (self);
  g_mutex_init (&self->priv->lock);
  self->priv->role = DEFAULT_ROLE;
  self->priv->address = g_strdup (DEFAULT_ADDRESS);
  self->priv->port = DEFAULT_PORT;
  self->priv->retry_delay_ms = DEFAULT_RETRY_DELAY;
}

GstRtcSignaller *tcp_signaller_new_offerer (const gchar *address)
{
  return GST_RTC_SIGNALLER (gst_object_ref_sink (g_object_new (
      TCP_TYPE_SIGNALLER, "role", GST_RTC_SIGNALLER_ROLE_OFFERER, "address", address, NULL)));
}

GstRtcSignaller *tcp_signaller_new_answerer (guint port)
{
  return GST_RTC_SIGNALLER (gst_object_ref_sink (g_object_new (
      TCP_TYPE_SIGNALLER, "role", GST_RTC_SIGNALLER_ROLE_ANSWERER, "port", port, NULL)));
}

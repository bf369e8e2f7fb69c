/* The I/O thread of TcpSignaller (tcpsignallerio.h): the connections, the
 * lines in and out, and the parser of the protocol (tcpsignaller.h).
 * Everything here runs on that thread, except the four tcp_signaller_io_*
 * functions at the end, which set it up, post to it or join it.
 */
#include "tcpsignallerio.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <gio/gio.h>
#include <stdarg.h>
#include <string.h>

#define GST_CAT_DEFAULT tcp_signaller_debug

#define PROTOCOL_HELLO "hello rtcbridge-tcp 1"
/* Longer lines close the connection (once read: GDataInputStream has no
 * limit of its own). */
#define MAX_LINE (256 * 1024)
#define MAX_SESSION_ID 64
/* At stop, how long the last lines (bye) may take to leave. */
#define SHUTDOWN_WRITE_TIMEOUT_MS 1000

/* One connection. I/O thread only. */
typedef struct {
  gint refs; /* the peer list, the session table, each operation in flight */
  TcpSignallerIo *io;
  GSocketConnection *connection;
  GDataInputStream *input;
  GOutputStream *output; /* the connection's */
  GCancellable *reading; /* stops reading when the peer is dropped */
  GQueue outbox;         /* lines to write; the head is being written */
  gboolean writing;
  gchar *address; /* "host:port", for messages */
  gboolean greeted;
  gboolean closed;
} Peer;

/* The signaller while started. Everything here belongs to the I/O thread,
 * except what tcp_signaller_io_new() sets before the thread runs. */
struct _TcpSignallerIo {
  TcpSignaller *self; /* not owned: stop() joins the thread before it goes */
  GstRtcSignallerRole role;
  gchar *address;
  guint retry_delay_ms;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GSocketService *service; /* answerer */
  GSocketClient *client;   /* offerer */
  GCancellable *connecting;
  GCancellable *writes; /* cancelled when the last lines take too long at stop */
  GList *peers;         /* Peer *, a reference each */
  GHashTable *sessions; /* id -> Peer * (a reference) */
  GSource *retry;       /* offerer: the next connection or session request */
  GSource *deadline;    /* at stop: cancels the writes */
  gchar *session_prefix;
  guint serial;
  guint failures; /* offerer: connection attempts failed in a row */
  guint pending;  /* asynchronous operations in flight */
  gboolean stopping;
};

static void peer_lost (Peer *peer, const gchar *why);
static void io_connect (TcpSignallerIo *io);

static Peer *peer_ref (Peer *peer)
{
  peer->refs++;
  return peer;
}

static void peer_unref (gpointer data)
{
  Peer *peer = data;
  if (--peer->refs > 0)
    return;
  g_io_stream_close (G_IO_STREAM (peer->connection), NULL, NULL);
  g_object_unref (peer->input);
  g_object_unref (peer->connection);
  g_object_unref (peer->reading);
  g_queue_clear_full (&peer->outbox, g_free);
  g_free (peer->address);
  g_free (peer);
}

static void emit_state (TcpSignallerIo *io, const gchar *state, const gchar *format, ...)
    G_GNUC_PRINTF (3, 4);
static void emit_state (TcpSignallerIo *io, const gchar *state, const gchar *format, ...)
{
  va_list args;
  va_start (args, format);
  gchar *detail = g_strdup_vprintf (format, args);
  va_end (args);
  GST_INFO_OBJECT (io->self, "%s: %s", state, detail);
  g_signal_emit_by_name (io->self, "state-changed", state, detail);
  g_free (detail);
}

/* Posts @fn to the I/O thread. An idle source rather than
 * g_main_context_invoke(), which would run @fn on the calling thread while
 * the I/O thread does not yet own the context. */
static void io_post (TcpSignallerIo *io, GSourceFunc fn, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();
  g_source_set_callback (source, fn, data, notify);
  g_source_attach (source, io->context);
  g_source_unref (source);
}

/* ---- writing ---- */

static void peer_flush (Peer *peer);

static void on_written (GObject *stream, GAsyncResult *result, gpointer data)
{
  Peer *peer = data;
  GError *error = NULL;
  peer->io->pending--;
  peer->writing = FALSE;
  if (g_output_stream_write_all_finish (G_OUTPUT_STREAM (stream), result, NULL, &error)) {
    g_free (g_queue_pop_head (&peer->outbox));
    peer_flush (peer);
  } else {
    peer_lost (peer, error->message);
    g_error_free (error);
  }
  peer_unref (peer);
}

static void peer_flush (Peer *peer)
{
  if (peer->writing || peer->closed || g_queue_is_empty (&peer->outbox))
    return;
  const gchar *line = g_queue_peek_head (&peer->outbox);
  peer->writing = TRUE;
  peer->io->pending++;
  g_output_stream_write_all_async (peer->output, line, strlen (line), G_PRIORITY_DEFAULT,
                                   peer->io->writes, on_written, peer_ref (peer));
}

static void peer_send (Peer *peer, const gchar *format, ...) G_GNUC_PRINTF (2, 3);
static void peer_send (Peer *peer, const gchar *format, ...)
{
  if (peer->closed)
    return;
  va_list args;
  va_start (args, format);
  gchar *line = g_strdup_vprintf (format, args);
  va_end (args);
  GST_LOG_OBJECT (peer->io->self, "to %s: %.100s", peer->address, line);
  g_queue_push_tail (&peer->outbox, g_strconcat (line, "\n", NULL));
  g_free (line);
  peer_flush (peer);
}

/* ---- sessions ---- */

static gboolean valid_session_id (const gchar *id)
{
  gsize n = id ? strlen (id) : 0;
  if (n == 0 || n > MAX_SESSION_ID)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (id[i]) && !strchr ("._-", id[i]))
      return FALSE;
  return TRUE;
}

/* The description in a line, or NULL when it is not base64 of an SDP with
 * media. */
static GstWebRTCSessionDescription *decode_description (GstWebRTCSDPType type, const gchar *b64)
{
  if (!b64 || !*b64 ||
      strspn (b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789+/=") != strlen (b64))
    return NULL;
  gsize length = 0;
  guchar *bytes = g_base64_decode (b64, &length);
  gchar *text = g_strndup ((const gchar *)bytes, length);
  g_free (bytes);
  GstSDPMessage *sdp = NULL;
  if (!g_utf8_validate (text, -1, NULL) ||
      gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK ||
      gst_sdp_message_medias_len (sdp) == 0) {
    g_free (text);
    if (sdp)
      gst_sdp_message_free (sdp);
    return NULL;
  }
  g_free (text);
  return gst_webrtc_session_description_new (type, sdp);
}

static gboolean on_retry (gpointer data);

/* Offerer: a new connection, or a new session, after retry-delay. */
static void schedule_retry (TcpSignallerIo *io)
{
  if (io->stopping || io->retry)
    return;
  io->retry = g_timeout_source_new (io->retry_delay_ms);
  g_source_set_callback (io->retry, on_retry, io, NULL);
  g_source_attach (io->retry, io->context);
}

/* Offerer, connected and greeted, no session: asks the element for one. */
static void request_session (TcpSignallerIo *io)
{
  Peer *peer = io->peers ? io->peers->data : NULL;
  if (io->stopping || !peer || !peer->greeted || g_hash_table_size (io->sessions) > 0)
    return;
  gchar *id = g_strdup_printf ("%s-%u", io->session_prefix, ++io->serial);
  g_hash_table_insert (io->sessions, g_strdup (id), peer_ref (peer));
  GST_INFO_OBJECT (io->self, "session %s with %s", id, peer->address);
  g_signal_emit_by_name (io->self, "session-requested", id, peer->address, NULL);
  g_free (id);
}

static gboolean on_retry (gpointer data)
{
  TcpSignallerIo *io = data;
  g_source_unref (io->retry);
  io->retry = NULL;
  if (io->peers)
    request_session (io);
  else
    io_connect (io);
  return G_SOURCE_REMOVE;
}

/* The peer ended @id (bye, reject), or @id cannot go on: @state and
 * @detail say why. */
static void session_over (TcpSignallerIo *io, const gchar *id, const gchar *state,
                          const gchar *detail)
{
  g_hash_table_remove (io->sessions, id);
  if (io->role == GST_RTC_SIGNALLER_ROLE_OFFERER) {
    emit_state (io, state, "%s; a new session in %u ms", detail, io->retry_delay_ms);
    schedule_retry (io);
  } else {
    emit_state (io, state, "%s", detail);
  }
  g_signal_emit_by_name (io->self, "session-ended", id);
}

static void protocol_error (Peer *peer, const gchar *what)
{
  gchar *why = g_strdup_printf ("protocol error: %s", what);
  peer_lost (peer, why);
  g_free (why);
}

/* offer, answer, candidate, reject, bye: all about a session. */
static void handle_session_line (Peer *peer, const gchar *kind, const gchar *id, const gchar *rest)
{
  TcpSignallerIo *io = peer->io;
  gboolean offerer = io->role == GST_RTC_SIGNALLER_ROLE_OFFERER;
  Peer *owner = g_hash_table_lookup (io->sessions, id);

  if (g_str_equal (kind, "offer")) {
    if (offerer) {
      protocol_error (peer, "an offer sent to the offering side");
      return;
    }
    if (owner) {
      peer_send (peer, "reject %s the session id is taken", id);
      return;
    }
    GstWebRTCSessionDescription *offer = decode_description (GST_WEBRTC_SDP_TYPE_OFFER, rest);
    if (!offer) {
      peer_send (peer, "reject %s malformed offer", id);
      return;
    }
    g_hash_table_insert (io->sessions, g_strdup (id), peer_ref (peer));
    GST_INFO_OBJECT (io->self, "offer for session %s from %s", id, peer->address);
    g_signal_emit_by_name (io->self, "session-requested", id, peer->address, offer);
    gst_webrtc_session_description_free (offer);
    return;
  }
  if (owner != peer) {
    /* Lines about a session that just ended can cross our bye. */
    GST_DEBUG_OBJECT (io->self, "%s for session %s, not live: ignored", kind, id);
    return;
  }
  if (g_str_equal (kind, "answer")) {
    GstWebRTCSessionDescription *answer =
        offerer ? decode_description (GST_WEBRTC_SDP_TYPE_ANSWER, rest) : NULL;
    if (!answer) {
      peer_send (peer, "bye %s", id);
      session_over (io, id, "failed", "a malformed or unexpected answer");
      return;
    }
    g_signal_emit_by_name (io->self, "session-description", id, answer);
    gst_webrtc_session_description_free (answer);
  } else if (g_str_equal (kind, "candidate")) {
    gchar **fields = g_strsplit (rest ? rest : "", " ", 2);
    guint64 mline = 0;
    if (!fields[0] || !fields[1] || !*fields[1] ||
        !g_ascii_string_to_unsigned (fields[0], 10, 0, G_MAXUINT16, &mline, NULL))
      protocol_error (peer, "malformed candidate");
    else
      g_signal_emit_by_name (io->self, "ice-candidate", id, (guint)mline, fields[1]);
    g_strfreev (fields);
  } else {
    gboolean bye = g_str_equal (kind, "bye");
    gchar *detail = bye ? g_strdup_printf ("%s ended session %s", peer->address, id)
                        : g_strdup_printf ("%s refused session %s: %s", peer->address, id,
                                           rest ? rest : "no reason given");
    session_over (io, id, bye ? "ended" : "rejected", detail);
    g_free (detail);
  }
}

static void handle_line (Peer *peer, const gchar *line)
{
  GST_LOG_OBJECT (peer->io->self, "from %s: %.100s", peer->address, line);
  if (!peer->greeted) {
    if (!g_str_equal (line, PROTOCOL_HELLO)) {
      protocol_error (peer, "not an rtcbridge-tcp 1 peer");
      return;
    }
    peer->greeted = TRUE;
    if (peer->io->role == GST_RTC_SIGNALLER_ROLE_OFFERER)
      request_session (peer->io);
    return;
  }
  gchar **fields = g_strsplit (line, " ", 3); /* kind, session, the rest */
  const gchar *kind = fields[0];
  if (g_strv_contains (
          (const gchar *const[]){"offer", "answer", "candidate", "reject", "bye", NULL}, kind)) {
    if (valid_session_id (fields[1]))
      handle_session_line (peer, kind, fields[1], fields[2]);
    else
      protocol_error (peer, "a bad session id");
  } else {
    GST_DEBUG_OBJECT (peer->io->self, "a line of unknown kind '%.20s' ignored", kind);
  }
  g_strfreev (fields);
}

/* ---- reading ---- */

static void peer_read (Peer *peer);

static void on_line (GObject *stream, GAsyncResult *result, gpointer data)
{
  Peer *peer = data;
  TcpSignallerIo *io = peer->io;
  GError *error = NULL;
  gsize length = 0;
  io->pending--;
  gchar *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (stream), result,
                                                           &length, &error);
  if (io->stopping || peer->closed) {
    /* dropped: nothing more from this peer */
  } else if (!line) {
    peer_lost (peer, error ? error->message : "it closed the connection");
  } else if (length > MAX_LINE) {
    protocol_error (peer, "a line too long");
  } else {
    if (length > 0 && line[length - 1] == '\r')
      line[length - 1] = '\0';
    handle_line (peer, line);
    if (!peer->closed)
      peer_read (peer);
  }
  g_free (line);
  g_clear_error (&error);
  peer_unref (peer);
}

static void peer_read (Peer *peer)
{
  peer->io->pending++;
  g_data_input_stream_read_line_async (peer->input, G_PRIORITY_DEFAULT, peer->reading, on_line,
                                       peer_ref (peer));
}

/* ---- connections ---- */

/* "host:port", or "[host]:port" for IPv6. */
static gchar *remote_address (GSocketConnection *connection)
{
  GSocketAddress *remote = g_socket_connection_get_remote_address (connection, NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (remote)) {
    g_clear_object (&remote);
    return g_strdup ("?");
  }
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (remote);
  gchar *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  gchar *text = g_strdup_printf (strchr (host, ':') ? "[%s]:%u" : "%s:%u", host,
                                 g_inet_socket_address_get_port (inet));
  g_free (host);
  g_object_unref (remote);
  return text;
}

static void peer_add (TcpSignallerIo *io, GSocketConnection *connection)
{
  Peer *peer = g_new0 (Peer, 1);
  peer->refs = 1;
  peer->io = io;
  peer->connection = g_object_ref (connection);
  peer->input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (peer->input, G_DATA_STREAM_NEWLINE_TYPE_LF);
  peer->output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  peer->reading = g_cancellable_new ();
  g_queue_init (&peer->outbox);
  peer->address = remote_address (connection);
  io->peers = g_list_append (io->peers, peer);
  emit_state (io, "connected", "%s", peer->address);
  peer_send (peer, PROTOCOL_HELLO);
  peer_read (peer);
}

/* The peer went away or broke the protocol: its sessions end. */
static void peer_lost (Peer *peer, const gchar *why)
{
  TcpSignallerIo *io = peer->io;
  if (peer->closed || io->stopping)
    return;
  peer->closed = TRUE;
  g_cancellable_cancel (peer->reading);
  while (g_queue_get_length (&peer->outbox) > (peer->writing ? 1u : 0u))
    g_free (g_queue_pop_tail (&peer->outbox));
  io->peers = g_list_remove (io->peers, peer);
  gboolean offerer = io->role == GST_RTC_SIGNALLER_ROLE_OFFERER;
  gchar *again =
      offerer ? g_strdup_printf ("; connecting again in %u ms", io->retry_delay_ms) : g_strdup ("");
  emit_state (io, "disconnected", "%s went away: %s%s", peer->address, why, again);
  g_free (again);

  GPtrArray *ended = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer id, owner;
  g_hash_table_iter_init (&iter, io->sessions);
  while (g_hash_table_iter_next (&iter, &id, &owner))
    if (owner == peer)
      g_ptr_array_add (ended, g_strdup (id));
  for (guint i = 0; i < ended->len; i++) {
    g_hash_table_remove (io->sessions, ended->pdata[i]);
    g_signal_emit_by_name (io->self, "session-ended", ended->pdata[i]);
  }
  g_ptr_array_unref (ended);

  if (offerer)
    schedule_retry (io);
  peer_unref (peer); /* the list's */
}

static void on_connected (GObject *client, GAsyncResult *result, gpointer data)
{
  TcpSignallerIo *io = data;
  GError *error = NULL;
  io->pending--;
  GSocketConnection *connection =
      g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (client), result, &error);
  if (io->stopping) {
    /* shutting down */
  } else if (!connection) {
    /* Said once: the peer may not be up yet. */
    if (++io->failures == 1)
      emit_state (io, "retrying", "%s: %s; trying again every %u ms", io->address, error->message,
                  io->retry_delay_ms);
    else
      GST_DEBUG_OBJECT (io->self, "%s: %s", io->address, error->message);
    schedule_retry (io);
  } else {
    io->failures = 0;
    peer_add (io, connection); /* the session is asked for once its hello comes */
  }
  g_clear_object (&connection);
  g_clear_error (&error);
}

/* Offerer: connects to the peer. */
static void io_connect (TcpSignallerIo *io)
{
  if (io->stopping || io->peers)
    return;
  if (io->failures == 0)
    emit_state (io, "connecting", "%s", io->address);
  io->pending++;
  g_socket_client_connect_to_host_async (io->client, io->address, 0, io->connecting, on_connected,
                                         io);
}

/* Answerer: a peer connected. */
static gboolean on_incoming (GSocketService *service, GSocketConnection *connection,
                             GObject *source, gpointer data)
{
  TcpSignallerIo *io = data;
  if (!io->stopping)
    peer_add (io, connection);
  return TRUE;
}

/* ---- the I/O thread ---- */

static gboolean on_shutdown_deadline (gpointer data)
{
  TcpSignallerIo *io = data;
  GST_WARNING_OBJECT (io->self, "a peer does not read: its last lines are dropped");
  g_cancellable_cancel (io->writes);
  return G_SOURCE_REMOVE;
}

/* stop(): every session ends (bye), every connection closes once its last
 * lines are written, nothing more is emitted. */
static gboolean io_shutdown (gpointer data)
{
  TcpSignallerIo *io = data;
  io->stopping = TRUE;
  if (io->retry) {
    g_source_destroy (io->retry);
    g_source_unref (io->retry);
    io->retry = NULL;
  }
  if (io->service) {
    g_socket_service_stop (io->service);
    g_socket_listener_close (G_SOCKET_LISTENER (io->service));
  }
  g_cancellable_cancel (io->connecting);
  GHashTableIter iter;
  gpointer id, peer;
  g_hash_table_iter_init (&iter, io->sessions);
  while (g_hash_table_iter_next (&iter, &id, &peer))
    peer_send (peer, "bye %s", (const gchar *)id);
  g_hash_table_remove_all (io->sessions);
  for (GList *l = io->peers; l; l = l->next)
    g_cancellable_cancel (((Peer *)l->data)->reading);
  g_list_free_full (io->peers, peer_unref);
  io->peers = NULL;
  io->deadline = g_timeout_source_new (SHUTDOWN_WRITE_TIMEOUT_MS);
  g_source_set_callback (io->deadline, on_shutdown_deadline, io, NULL);
  g_source_attach (io->deadline, io->context);
  g_main_loop_quit (io->loop);
  return G_SOURCE_REMOVE;
}

static gpointer io_run (gpointer data)
{
  TcpSignallerIo *io = data;
  g_main_context_push_thread_default (io->context);
  if (io->service)
    g_socket_service_start (io->service);
  else
    io_connect (io);
  g_main_loop_run (io->loop);
  /* The operations in flight finish (cancelled, or the last writes): they
   * hold the peers. */
  while (io->pending > 0)
    g_main_context_iteration (io->context, TRUE);
  g_source_destroy (io->deadline);
  while (g_main_context_iteration (io->context, FALSE))
    ;
  g_main_context_pop_thread_default (io->context);
  return NULL;
}

/* A line for a session, from a vfunc to the I/O thread. */
typedef struct {
  TcpSignallerIo *io;
  gchar *session;
  gchar *line;   /* to send to the session's peer; NULL: nothing */
  gboolean ends; /* the session ends on our side */
} Outgoing;

static void outgoing_free (gpointer data)
{
  Outgoing *out = data;
  g_free (out->session);
  g_free (out->line);
  g_free (out);
}

static gboolean run_outgoing (gpointer data)
{
  Outgoing *out = data;
  TcpSignallerIo *io = out->io;
  Peer *peer = g_hash_table_lookup (io->sessions, out->session);
  if (!peer) {
    GST_DEBUG_OBJECT (io->self, "session %s is over: %.20s not sent", out->session,
                      out->line ? out->line : "its end");
    return G_SOURCE_REMOVE;
  }
  if (out->line)
    peer_send (peer, "%s", out->line);
  if (out->ends) {
    g_hash_table_remove (io->sessions, out->session);
    if (io->role == GST_RTC_SIGNALLER_ROLE_OFFERER)
      schedule_retry (io); /* e.g. after a failed ICE connection */
  }
  return G_SOURCE_REMOVE;
}

static void io_free (TcpSignallerIo *io)
{
  g_clear_object (&io->service);
  g_clear_object (&io->client);
  g_object_unref (io->connecting);
  g_object_unref (io->writes);
  g_hash_table_unref (io->sessions);
  if (io->deadline)
    g_source_unref (io->deadline);
  g_main_loop_unref (io->loop);
  g_main_context_unref (io->context);
  g_free (io->address);
  g_free (io->session_prefix);
  g_free (io);
}

/* ---- from the signaller's start(), stop() and vfuncs ---- */

TcpSignallerIo *tcp_signaller_io_new (TcpSignaller *self, GstRtcSignallerRole role,
                                      const gchar *address, guint port, guint retry_delay_ms,
                                      GError **error)
{
  TcpSignallerIo *io = g_new0 (TcpSignallerIo, 1);
  io->self = self;
  io->role = role;
  io->address = g_strdup (address);
  io->retry_delay_ms = retry_delay_ms;
  io->context = g_main_context_new ();
  io->loop = g_main_loop_new (io->context, FALSE);
  io->connecting = g_cancellable_new ();
  io->writes = g_cancellable_new ();
  io->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, peer_unref);
  io->session_prefix = g_strdup_printf ("%08x", g_random_int ());

  if (io->role == GST_RTC_SIGNALLER_ROLE_OFFERER) {
    io->client = g_socket_client_new ();
  } else {
    /* Not accepting yet: the I/O thread starts it, so that the accepts run
     * on its context. */
    io->service = G_SOCKET_SERVICE (g_object_new (G_TYPE_SOCKET_SERVICE, "active", FALSE, NULL));
    if (!g_socket_listener_add_inet_port (G_SOCKET_LISTENER (io->service), port, NULL, error)) {
      io_free (io);
      return NULL;
    }
    g_signal_connect (io->service, "incoming", G_CALLBACK (on_incoming), io);
    GST_INFO_OBJECT (self, "listening on port %u", port);
  }
  return io;
}

void tcp_signaller_io_start (TcpSignallerIo *io)
{
  io->thread = g_thread_new ("tcpsignaller", io_run, io);
}

void tcp_signaller_io_send (TcpSignallerIo *io, const gchar *session, gchar *line, gboolean ends)
{
  Outgoing *out = g_new0 (Outgoing, 1);
  out->io = io;
  out->session = g_strdup (session);
  out->line = line;
  out->ends = ends;
  io_post (io, run_outgoing, out, outgoing_free);
}

void tcp_signaller_io_stop (TcpSignallerIo *io)
{
  io_post (io, io_shutdown, io, NULL);
  g_thread_join (io->thread);
  io_free (io);
}

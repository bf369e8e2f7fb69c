/* The I/O thread of a started TcpSignaller (tcpsignaller.h), private to
 * tcpsignaller.c: a thread with a GMainContext of its own, which owns the
 * sockets, the connections and the session table, reads and writes the
 * protocol's lines and emits every signal of the signaller.
 *
 * Threading: new, start and stop are called by the signaller's start() and
 * stop(); send from the element's control thread, while the signaller's lock
 * keeps stop from freeing the I/O thread meanwhile. Each only posts to the
 * I/O thread or joins it; the rest of tcpsignallerio.c runs on that thread.
 */
#pragma once

#include "tcpsignaller.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (tcp_signaller_debug);

typedef struct _TcpSignallerIo TcpSignallerIo;

/* Opens the port (answerer) and sets up the rest; nothing runs yet. NULL
 * and @error when the port cannot be opened. @address (offerer) is already
 * checked: host:port. @self is not owned: tcp_signaller_io_stop() comes
 * before it goes. */
TcpSignallerIo *tcp_signaller_io_new (TcpSignaller *self, GstRtcSignallerRole role,
                                      const gchar *address, guint port, guint retry_delay_ms,
                                      GError **error);

/* Runs the thread: it accepts, or connects. */
void tcp_signaller_io_start (TcpSignallerIo *io);

/* Hands @line (owned; NULL: nothing to send) for @session to the I/O thread,
 * which sends it to the session's peer; @ends: the session ends on our
 * side. */
void tcp_signaller_io_send (TcpSignallerIo *io, const gchar *session, gchar *line, gboolean ends);

/* Ends every session (bye), closes the connections once their last lines
 * are written, joins the thread and frees @io. */
void tcp_signaller_io_stop (TcpSignallerIo *io);

G_END_DECLS

/* TcpSignaller: an example GstRtcSignaller over a plain TCP connection, in
 * either role. examples/signaller.c runs it under webrtcpublish and
 * webrtcsubscribe; examples/signaller.py is the same signaller in Python, and
 * either talks to the other.
 *
 * The protocol, "rtcbridge-tcp 1": UTF-8 lines ending in "\n", fields
 * separated by one space. Each end sends hello first.
 *
 *   hello rtcbridge-tcp 1
 *   offer <session> <sdp>        connect -> serve: a new session
 *   answer <session> <sdp>       serve -> connect
 *   candidate <session> <mline> <candidate>
 *                                both ways: the rest of the line is the
 *                                candidate ("candidate:1 1 UDP ...")
 *   reject <session> <reason>    serve -> connect: the offer is refused; the
 *                                rest of the line says why
 *   bye <session>                both ways: the sender ended the session
 *
 * <sdp> is the description in base64 (SDP has line breaks). <session> is
 * chosen by the connecting side: 1 to 64 of [A-Za-z0-9._-]. Lines of an
 * unknown kind are ignored; a malformed line closes the connection. There
 * is no authentication and the signalling is not encrypted (the media is:
 * DTLS-SRTP): for networks you trust.
 *
 * The connecting side has one session at a time. When the connection drops,
 * its element hears that the session ended and the signaller connects again
 * every retry-delay; when the peer ends or refuses a session, it asks its
 * element for a new one after retry-delay. The serving side takes any number
 * of connections; its element decides how many publishers it takes
 * (webrtcsubscribe max-publishers: one more is refused).
 *
 * Properties, read at start:
 *   role         offerer: connect to address and offer; answerer (the
 *                default): listen on port and answer
 *   address      offerer: the peer to connect to, "host:port"
 *   port         answerer: the TCP port to listen on, every address (9000)
 *   retry-delay  offerer: ms before connecting again, or asking for a new
 *                session (1000)
 *
 * Threading: the vfuncs are called from the element's control thread (start
 * and stop also from the application thread). They copy what they need and
 * post it to the signaller's own I/O thread, which owns the sockets and the
 * session table and emits every signal. The object's lock guards the
 * settings and the I/O thread's handle only; nothing waits and no signal is
 * emitted with it held. stop() posts the shutdown and joins the I/O thread:
 * no signal comes after it returns. It must not be called from a signal
 * handler (the I/O thread). A vfunc after stop() is dropped: at the end of
 * the stream an offering element stops its signaller first and ends its
 * sessions after, so the byes are stop()'s.
 *
 * tcpsignaller.c is the GObject and the vfuncs, the part to read first when
 * writing a signaller of your own; tcpsignallerio.c is the I/O thread: the
 * connections, the lines and the protocol's parser.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtcbridge/rtcbridge.h>

G_BEGIN_DECLS

#define TCP_TYPE_SIGNALLER (tcp_signaller_get_type ())
G_DECLARE_FINAL_TYPE (TcpSignaller, tcp_signaller, TCP, SIGNALLER, GstObject)

/* Returns: (transfer full): a signaller that connects to @address
 * ("host:port") and makes the offers. */
GstRtcSignaller *tcp_signaller_new_offerer (const gchar *address);

/* Returns: (transfer full): a signaller that listens on @port and answers
 * the offers of whoever connects. */
GstRtcSignaller *tcp_signaller_new_answerer (guint port);

G_END_DECLS

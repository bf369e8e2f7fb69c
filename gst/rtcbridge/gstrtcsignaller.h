/* GstRtcSignaller: how a WebRTC element talks to its peers' signalling.
 *
 * The elements (webrtcpublish, webrtcsubscribe) never know which protocol
 * they speak: WHEP, WHIP, a Janus VideoRoom, an in-process loopback or an
 * application's own channel are implementations of this interface.
 *
 * Element -> signaller calls are the vfuncs below. Signaller -> element
 * events are the signals: "session-requested", "session-description",
 * "ice-candidate", "session-ended", "state-changed" and "error".
 *
 * The signaller says which role the element plays in its sessions
 * (get_role): it makes the offers (OFFERER: WHIP/WHEP clients, a Janus
 * publisher) or it answers the peers' offers (ANSWERER: WHIP/WHEP servers,
 * a Janus subscriber). And whether its protocol trickles candidates
 * (get_trickle): a trickling signaller gets the element's description as
 * soon as it exists and every candidate after it; one that does not gets a
 * description that already holds the candidates gathered in time (the
 * element waits for them, at most its ice-gathering-timeout) and the late
 * ones after it.
 *
 * Threading and order:
 *  - signals may be emitted from any thread; the elements copy their
 *    arguments and handle them on their own control thread, so a handler
 *    never blocks;
 *  - get_role and get_trickle are read once, when the element starts;
 *  - start and stop are called from the application thread (state
 *    changes), the other vfuncs from the element's control thread, so stop
 *    may run while a send_* call is in progress: guard the shared state;
 *  - no vfunc may block on network I/O: hand the work to your own thread or
 *    main context;
 *  - stop ends every session (tell the peers), must tolerate being called
 *    again, and nothing may be emitted after it returns; calls that come
 *    after it are dropped. An offerer's element stops it at the end of the
 *    stream (so that it asks for no new session) before it ends its
 *    sessions, and again when going to NULL.
 */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_SIGNALLER (gst_rtc_signaller_get_type ())
G_DECLARE_INTERFACE (GstRtcSignaller, gst_rtc_signaller, GST, RTC_SIGNALLER, GObject)

/**
 * GstRtcSignallerError:
 * @GST_RTC_SIGNALLER_ERROR_BAD_REQUEST: the peer's request or description is malformed
 *   (HTTP 400)
 * @GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE: the offer is valid but nothing in it can be
 *   served, e.g. no common codec (HTTP 422)
 * @GST_RTC_SIGNALLER_ERROR_UNAVAILABLE: too many sessions, or the stream is not ready yet
 *   (HTTP 503 with Retry-After)
 * @GST_RTC_SIGNALLER_ERROR_INTERNAL: the element failed (HTTP 500)
 * @GST_RTC_SIGNALLER_ERROR_CONFLICT: the resource is taken, e.g. a publisher is already
 *   live on the stream (HTTP 409)
 *
 * Why the element rejects a session (gst_rtc_signaller_reject_session()).
 */
typedef enum {
  GST_RTC_SIGNALLER_ERROR_BAD_REQUEST,
  GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE,
  GST_RTC_SIGNALLER_ERROR_UNAVAILABLE,
  GST_RTC_SIGNALLER_ERROR_INTERNAL,
  GST_RTC_SIGNALLER_ERROR_CONFLICT,
} GstRtcSignallerError;

#define GST_RTC_SIGNALLER_ERROR (gst_rtc_signaller_error_quark ())
GQuark gst_rtc_signaller_error_quark (void);
GType gst_rtc_signaller_error_get_type (void);
#define GST_TYPE_RTC_SIGNALLER_ERROR (gst_rtc_signaller_error_get_type ())

/**
 * GstRtcSignallerRole:
 * @GST_RTC_SIGNALLER_ROLE_ANSWERER: peers offer: "session-requested" carries the peer's
 *   offer and the element answers it (WHIP/WHEP servers, a Janus subscriber)
 * @GST_RTC_SIGNALLER_ROLE_OFFERER: the element offers: "session-requested" carries no
 *   offer, the element sends one and the peer's answer comes back through
 *   "session-description" (WHIP/WHEP clients, a Janus publisher)
 *
 * Which side of the offer/answer exchange the element takes in the sessions
 * of a signaller.
 */
typedef enum {
  GST_RTC_SIGNALLER_ROLE_ANSWERER,
  GST_RTC_SIGNALLER_ROLE_OFFERER,
} GstRtcSignallerRole;

GType gst_rtc_signaller_role_get_type (void);
#define GST_TYPE_RTC_SIGNALLER_ROLE (gst_rtc_signaller_role_get_type ())

/**
 * GstRtcSignallerInterface:
 * @parent_iface: the parent interface
 * @start: begin taking sessions (bind a server, connect, join a room); %FALSE with @error
 *   when that cannot be done. Default: %TRUE
 * @stop: end every session and stop; no signal is emitted after it returns
 * @get_role: the element's role in this signaller's sessions. Default: answerer
 * @get_trickle: whether the protocol trickles candidates. Default: %FALSE (the element
 *   sends complete descriptions)
 * @send_description: the element's offer (offerer) or answer (answerer) for @session_id
 * @send_ice_candidate: a local candidate for @session_id's m-line @mline; %NULL when the
 *   element has gathered all its candidates
 * @reject_session: the element cannot take part in @session_id (answerer: it refuses the
 *   peer's offer; offerer: it cannot make an offer)
 * @end_session: the element ended @session_id (teardown, EOS, a failure)
 * @session_permits: whether @session_id's peer may do @permission ("view", "publish",
 *   "control": remote control, i.e. navigation events). Called from any thread, must not
 *   block. Default: %TRUE (the signaller decided whom to let in already)
 *
 * The vfuncs an implementation provides. Every vfunc is optional.
 */
struct _GstRtcSignallerInterface {
  GTypeInterface parent_iface;

  gboolean (*start) (GstRtcSignaller *self, GError **error);
  void (*stop) (GstRtcSignaller *self);
  GstRtcSignallerRole (*get_role) (GstRtcSignaller *self);
  gboolean (*get_trickle) (GstRtcSignaller *self);
  void (*send_description) (GstRtcSignaller *self, const gchar *session_id,
                            GstWebRTCSessionDescription *description);
  void (*send_ice_candidate) (GstRtcSignaller *self, const gchar *session_id, guint mline,
                              const gchar *candidate);
  void (*reject_session) (GstRtcSignaller *self, const gchar *session_id, const GError *error);
  void (*end_session) (GstRtcSignaller *self, const gchar *session_id);
  gboolean (*session_permits) (GstRtcSignaller *self, const gchar *session_id,
                               const gchar *permission);

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING - 1];
};

gboolean gst_rtc_signaller_start (GstRtcSignaller *self, GError **error);
void gst_rtc_signaller_stop (GstRtcSignaller *self);
GstRtcSignallerRole gst_rtc_signaller_get_role (GstRtcSignaller *self);
gboolean gst_rtc_signaller_get_trickle (GstRtcSignaller *self);
void gst_rtc_signaller_send_description (GstRtcSignaller *self, const gchar *session_id,
                                         GstWebRTCSessionDescription *description);
void gst_rtc_signaller_send_ice_candidate (GstRtcSignaller *self, const gchar *session_id,
                                           guint mline, const gchar *candidate);
void gst_rtc_signaller_reject_session (GstRtcSignaller *self, const gchar *session_id,
                                       const GError *error);
void gst_rtc_signaller_end_session (GstRtcSignaller *self, const gchar *session_id);
gboolean gst_rtc_signaller_session_permits (GstRtcSignaller *self, const gchar *session_id,
                                            const gchar *permission);

G_END_DECLS

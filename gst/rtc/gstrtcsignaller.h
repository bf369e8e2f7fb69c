/* GstRtcSignaller: how a WebRTC element talks to its peers' signalling.
 *
 * The elements (webrtcpublish, ...) never know which protocol they speak:
 * WHEP, WHIP or an application's own channel are implementations of this
 * interface.
 *
 * Element -> signaller calls are the vfuncs below. Signaller -> element events
 * are the signals: "session-requested" (a peer sent an offer, or — client
 * signallers — the element is to make one), "session-description" (the
 * peer's answer to our offer), "ice-candidate" (a remote candidate for a
 * session), "session-ended" (the peer left, or the client gave the session
 * up), "state-changed" (a client's progress) and "error".
 *
 * Server signallers (peers come to us: WHEP/WHIP servers) implement
 * send_answer/reject_session. Client signallers (we go to a URL: WHIP/WHEP
 * clients) implement send_offer and own the retry policy: after a failure
 * they emit "session-ended" and, after a back-off, "session-requested" again
 * with no offer.
 *
 * Threading: signals may be emitted from any thread (the embedded server emits
 * them from its own thread); a handler must not block. The vfuncs may be called
 * from any thread and must not block on network I/O: an implementation
 * marshals them to its own thread.
 */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_SIGNALLER (gst_rtc_signaller_get_type ())
G_DECLARE_INTERFACE (GstRtcSignaller, gst_rtc_signaller, GST, RTC_SIGNALLER, GObject)

/**
 * GstRtcSignallerError:
 * @GST_RTC_SIGNALLER_ERROR_BAD_REQUEST: the peer's request or offer is malformed (HTTP 400)
 * @GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE: the offer is valid but nothing in it can be served,
 *   e.g. no common codec (HTTP 422)
 * @GST_RTC_SIGNALLER_ERROR_UNAVAILABLE: too many sessions, or the stream is not ready yet
 *   (HTTP 503 with Retry-After)
 * @GST_RTC_SIGNALLER_ERROR_INTERNAL: the element failed (HTTP 500)
 * @GST_RTC_SIGNALLER_ERROR_CONFLICT: the resource is taken, e.g. a publisher is
 *   already live on the stream (HTTP 409)
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

struct _GstRtcSignallerInterface {
  GTypeInterface parent_iface;

  gboolean (*start) (GstRtcSignaller *self, GError **error);
  void (*stop) (GstRtcSignaller *self);
  void (*send_answer) (GstRtcSignaller *self, const gchar *session_id,
                       GstWebRTCSessionDescription *answer);
  void (*reject_session) (GstRtcSignaller *self, const gchar *session_id, const GError *error);
  void (*send_ice_candidate) (GstRtcSignaller *self, const gchar *session_id, guint mline,
                              const gchar *candidate);
  void (*end_session) (GstRtcSignaller *self, const gchar *session_id);
  void (*send_offer) (GstRtcSignaller *self, const gchar *session_id,
                      GstWebRTCSessionDescription *offer);
};

gboolean gst_rtc_signaller_start (GstRtcSignaller *self, GError **error);
void gst_rtc_signaller_stop (GstRtcSignaller *self);
void gst_rtc_signaller_send_answer (GstRtcSignaller *self, const gchar *session_id,
                                    GstWebRTCSessionDescription *answer);
void gst_rtc_signaller_reject_session (GstRtcSignaller *self, const gchar *session_id,
                                       const GError *error);
void gst_rtc_signaller_send_ice_candidate (GstRtcSignaller *self, const gchar *session_id,
                                           guint mline, const gchar *candidate);
void gst_rtc_signaller_end_session (GstRtcSignaller *self, const gchar *session_id);
void gst_rtc_signaller_send_offer (GstRtcSignaller *self, const gchar *session_id,
                                   GstWebRTCSessionDescription *offer);
/* Whether @self is a client signaller (makes sessions from offers we send). */
gboolean gst_rtc_signaller_is_client (GstRtcSignaller *self);

G_END_DECLS

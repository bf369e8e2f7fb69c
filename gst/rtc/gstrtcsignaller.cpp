/* GstRtcSignaller interface: see the header for the contract. */
#include "gstrtcsignaller.h"

G_DEFINE_QUARK (gst - rtc - signaller - error - quark, gst_rtc_signaller_error)

G_DEFINE_INTERFACE (GstRtcSignaller, gst_rtc_signaller, G_TYPE_OBJECT)

static void gst_rtc_signaller_default_init (GstRtcSignallerInterface *iface)
{
  /**
   * GstRtcSignaller::session-requested:
   * @self: the signaller
   * @session_id: an id unique within this signaller
   * @peer_address: the peer's address as the signaller saw it (may be empty)
   * @offer: (nullable): the peer's SDP offer, or %NULL when the element is to
   *   make the offer (client signallers: WHIP/WHEP clients)
   *
   * A session is wanted. With an offer, the element answers with
   * gst_rtc_signaller_send_answer() or gst_rtc_signaller_reject_session().
   * Without one, the element makes an offer and hands it to
   * gst_rtc_signaller_send_offer(); the answer comes back through
   * #GstRtcSignaller::session-description.
   */
  g_signal_new ("session-requested", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING,
                GST_TYPE_WEBRTC_SESSION_DESCRIPTION);
  /**
   * GstRtcSignaller::session-description:
   * @self: the signaller
   * @session_id: the session
   * @answer: the peer's SDP answer to our offer
   *
   * The peer answered the offer given to gst_rtc_signaller_send_offer().
   */
  g_signal_new ("session-description", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING,
                GST_TYPE_WEBRTC_SESSION_DESCRIPTION);
  /**
   * GstRtcSignaller::state-changed:
   * @self: the signaller
   * @state: "connecting", "answered", "retrying", "stopped", ...
   * @detail: human-readable detail (the URL, the HTTP status, the delay)
   *
   * Client signallers report their progress; elements post it on the bus.
   */
  g_signal_new ("state-changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcSignaller::ice-candidate:
   * A remote ICE candidate for @session_id's m-line @mline.
   */
  g_signal_new ("ice-candidate", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstRtcSignaller::session-ended:
   * The peer ended @session_id (e.g. WHEP DELETE).
   */
  g_signal_new ("session-ended", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstRtcSignaller::error:
   * The signaller failed in a way the element should report. A client
   * signaller emits it only for failures that retrying cannot fix (a 4xx
   * answer other than 409/429): the element posts an error.
   */
  g_signal_new ("error", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
}

gboolean gst_rtc_signaller_start (GstRtcSignaller *self, GError **error)
{
  g_return_val_if_fail (GST_IS_RTC_SIGNALLER (self), FALSE);
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  return iface->start ? iface->start (self, error) : TRUE;
}

void gst_rtc_signaller_stop (GstRtcSignaller *self)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->stop)
    iface->stop (self);
}

void gst_rtc_signaller_send_answer (GstRtcSignaller *self, const gchar *session_id,
                                    GstWebRTCSessionDescription *answer)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->send_answer)
    iface->send_answer (self, session_id, answer);
}

void gst_rtc_signaller_send_offer (GstRtcSignaller *self, const gchar *session_id,
                                   GstWebRTCSessionDescription *offer)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->send_offer)
    iface->send_offer (self, session_id, offer);
}

gboolean gst_rtc_signaller_is_client (GstRtcSignaller *self)
{
  g_return_val_if_fail (GST_IS_RTC_SIGNALLER (self), FALSE);
  return GST_RTC_SIGNALLER_GET_IFACE (self)->send_offer != nullptr;
}

void gst_rtc_signaller_reject_session (GstRtcSignaller *self, const gchar *session_id,
                                       const GError *error)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->reject_session)
    iface->reject_session (self, session_id, error);
}

void gst_rtc_signaller_send_ice_candidate (GstRtcSignaller *self, const gchar *session_id,
                                           guint mline, const gchar *candidate)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->send_ice_candidate)
    iface->send_ice_candidate (self, session_id, mline, candidate);
}

void gst_rtc_signaller_end_session (GstRtcSignaller *self, const gchar *session_id)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->end_session)
    iface->end_session (self, session_id);
}

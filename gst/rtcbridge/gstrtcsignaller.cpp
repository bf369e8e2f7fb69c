/* GstRtcSignaller interface: see the header for the contract. */
#include "gstrtcsignaller.h"

/**
 * SECTION:gstrtcsignaller
 * @title: GstRtcSignaller
 * @short_description: the signalling interface of webrtcpublish and webrtcsubscribe
 *
 * Implement this interface to connect the elements to any signalling
 * channel; set the object on the elements' `signaller` property (in the NULL
 * state). docs/signalling.md has the contract; examples/tcpsignaller.c and
 * examples/signaller.py are complete signallers in C and Python.
 */

/* The formatter would put spaces into the quark's name. */
/* clang-format off */
G_DEFINE_QUARK (gst-rtc-signaller-error-quark, gst_rtc_signaller_error)
/* clang-format on */

GType gst_rtc_signaller_error_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
      {GST_RTC_SIGNALLER_ERROR_BAD_REQUEST, "The peer's request is malformed", "bad-request"},
      {GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE, "Nothing in the offer can be served",
       "not-acceptable"},
      {GST_RTC_SIGNALLER_ERROR_UNAVAILABLE, "Not now: full or not ready", "unavailable"},
      {GST_RTC_SIGNALLER_ERROR_INTERNAL, "The element failed", "internal"},
      {GST_RTC_SIGNALLER_ERROR_CONFLICT, "The resource is taken", "conflict"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstRtcSignallerError", values));
  return (GType)id;
}

GType gst_rtc_signaller_role_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
      {GST_RTC_SIGNALLER_ROLE_ANSWERER, "Peers offer, the element answers", "answerer"},
      {GST_RTC_SIGNALLER_ROLE_OFFERER, "The element offers, peers answer", "offerer"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstRtcSignallerRole", values));
  return (GType)id;
}

G_DEFINE_INTERFACE (GstRtcSignaller, gst_rtc_signaller, G_TYPE_OBJECT)

static void gst_rtc_signaller_default_init (GstRtcSignallerInterface *iface)
{
  /**
   * GstRtcSignaller::session-requested:
   * @self: the signaller
   * @session_id: an id unique within this signaller
   * @peer: who the peer is, for messages (an address, a feed name; may be empty)
   * @offer: (nullable): the peer's offer (answerer role), or %NULL (offerer role: the
   *   element is to make the offer)
   *
   * A session is wanted. Answerer role: the element answers @offer with
   * gst_rtc_signaller_send_description() or refuses it with
   * gst_rtc_signaller_reject_session(). Offerer role: the element sends its
   * offer with gst_rtc_signaller_send_description(); the peer's answer comes
   * back through #GstRtcSignaller::session-description.
   */
  g_signal_new ("session-requested", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING,
                GST_TYPE_WEBRTC_SESSION_DESCRIPTION);
  /**
   * GstRtcSignaller::session-description:
   * @self: the signaller
   * @session_id: the session
   * @description: the peer's description: its answer to the element's offer
   *
   * The peer answered the offer the element sent (offerer role).
   */
  g_signal_new ("session-description", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING,
                GST_TYPE_WEBRTC_SESSION_DESCRIPTION);
  /**
   * GstRtcSignaller::ice-candidate:
   * @self: the signaller
   * @session_id: the session
   * @mline: the m-line index the candidate is for
   * @candidate: the peer's candidate ("candidate:..." as in SDP)
   *
   * A remote ICE candidate for a session.
   */
  g_signal_new ("ice-candidate", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstRtcSignaller::session-ended:
   * @self: the signaller
   * @session_id: the session
   *
   * The peer ended the session (a WHEP DELETE, a Janus hangup), or the
   * signaller gave it up (an offerer whose request failed).
   */
  g_signal_new ("session-ended", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstRtcSignaller::state-changed:
   * @self: the signaller
   * @state: "connecting", "answered", "retrying", "failed", "stopped", ...
   * @detail: human-readable detail (a URL, an HTTP status, a delay)
   *
   * The signaller's progress; the elements post it on the bus as
   * "<element>-client-state".
   */
  g_signal_new ("state-changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstRtcSignaller::error:
   * @self: the signaller
   * @message: what failed, for the user
   *
   * The signaller failed and will not recover by itself (a 4xx other than
   * 409/429 from a WHIP server, a Janus room that does not exist): the
   * element posts an error.
   */
  g_signal_new ("error", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
}

/**
 * gst_rtc_signaller_start: (virtual start)
 * @self: a #GstRtcSignaller
 * @error: a #GError, or %NULL
 *
 * Starts taking sessions. The elements call it when going from NULL to READY.
 *
 * Returns: %TRUE when started
 */
gboolean gst_rtc_signaller_start (GstRtcSignaller *self, GError **error)
{
  g_return_val_if_fail (GST_IS_RTC_SIGNALLER (self), FALSE);
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  return iface->start ? iface->start (self, error) : TRUE;
}

/**
 * gst_rtc_signaller_stop: (virtual stop)
 * @self: a #GstRtcSignaller
 *
 * Ends every session and stops. The elements call it when going to NULL, and
 * at the end of the stream for an offerer (so that it asks for no new session).
 */
void gst_rtc_signaller_stop (GstRtcSignaller *self)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->stop)
    iface->stop (self);
}

/**
 * gst_rtc_signaller_get_role: (virtual get_role)
 * @self: a #GstRtcSignaller
 *
 * Returns: the role the element plays in this signaller's sessions
 */
GstRtcSignallerRole gst_rtc_signaller_get_role (GstRtcSignaller *self)
{
  g_return_val_if_fail (GST_IS_RTC_SIGNALLER (self), GST_RTC_SIGNALLER_ROLE_ANSWERER);
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  return iface->get_role ? iface->get_role (self) : GST_RTC_SIGNALLER_ROLE_ANSWERER;
}

/**
 * gst_rtc_signaller_get_trickle: (virtual get_trickle)
 * @self: a #GstRtcSignaller
 *
 * Returns: %TRUE when the protocol trickles candidates (the description is
 *   sent at once, candidates one by one); %FALSE when it needs descriptions
 *   that hold the candidates
 */
gboolean gst_rtc_signaller_get_trickle (GstRtcSignaller *self)
{
  g_return_val_if_fail (GST_IS_RTC_SIGNALLER (self), FALSE);
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  return iface->get_trickle ? iface->get_trickle (self) : FALSE;
}

/**
 * gst_rtc_signaller_send_description: (virtual send_description)
 * @self: a #GstRtcSignaller
 * @session_id: the session
 * @description: the element's offer or answer (its type says which)
 *
 * Hands the element's description to the peer.
 */
void gst_rtc_signaller_send_description (GstRtcSignaller *self, const gchar *session_id,
                                         GstWebRTCSessionDescription *description)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  g_return_if_fail (session_id != nullptr && description != nullptr);
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->send_description)
    iface->send_description (self, session_id, description);
}

/**
 * gst_rtc_signaller_send_ice_candidate: (virtual send_ice_candidate)
 * @self: a #GstRtcSignaller
 * @session_id: the session
 * @mline: the m-line index
 * @candidate: (nullable): a local candidate ("candidate:..."), or %NULL when
 *   gathering is complete
 *
 * Hands a local candidate to the peer.
 */
void gst_rtc_signaller_send_ice_candidate (GstRtcSignaller *self, const gchar *session_id,
                                           guint mline, const gchar *candidate)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  g_return_if_fail (session_id != nullptr);
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->send_ice_candidate)
    iface->send_ice_candidate (self, session_id, mline, candidate);
}

/**
 * gst_rtc_signaller_reject_session: (virtual reject_session)
 * @self: a #GstRtcSignaller
 * @session_id: the session
 * @error: (nullable): why, in the #GST_RTC_SIGNALLER_ERROR domain
 *
 * The element cannot take part in @session_id.
 */
void gst_rtc_signaller_reject_session (GstRtcSignaller *self, const gchar *session_id,
                                       const GError *error)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  g_return_if_fail (session_id != nullptr);
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->reject_session)
    iface->reject_session (self, session_id, error);
}

/**
 * gst_rtc_signaller_end_session: (virtual end_session)
 * @self: a #GstRtcSignaller
 * @session_id: the session
 *
 * The element ended @session_id.
 */
void gst_rtc_signaller_end_session (GstRtcSignaller *self, const gchar *session_id)
{
  g_return_if_fail (GST_IS_RTC_SIGNALLER (self));
  g_return_if_fail (session_id != nullptr);
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  if (iface->end_session)
    iface->end_session (self, session_id);
}

/**
 * gst_rtc_signaller_session_permits: (virtual session_permits)
 * @self: a #GstRtcSignaller
 * @session_id: the session
 * @permission: "view", "publish" or "control"
 *
 * Whether the peer of @session_id may do @permission: the elements ask
 * before they act on a viewer's navigation events ("control"). Any thread.
 *
 * Returns: %TRUE when it may (also when the signaller does not say)
 */
gboolean gst_rtc_signaller_session_permits (GstRtcSignaller *self, const gchar *session_id,
                                            const gchar *permission)
{
  g_return_val_if_fail (GST_IS_RTC_SIGNALLER (self), FALSE);
  g_return_val_if_fail (session_id != nullptr && permission != nullptr, FALSE);
  auto iface = GST_RTC_SIGNALLER_GET_IFACE (self);
  return iface->session_permits ? iface->session_permits (self, session_id, permission) : TRUE;
}

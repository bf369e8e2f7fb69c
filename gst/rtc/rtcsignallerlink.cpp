/* See rtcsignallerlink.h. */
#include "rtcsignallerlink.h"

#include <memory>

namespace rtc {

namespace {

using DescPtr = std::shared_ptr<GstWebRTCSessionDescription>;

DescPtr copy_description (GstWebRTCSessionDescription *desc)
{
  if (!desc)
    return nullptr;
  return DescPtr (gst_webrtc_session_description_copy (desc), gst_webrtc_session_description_free);
}

std::string str (const gchar *s)
{
  return s ? s : "";
}

} // namespace

void SignallerLink::connect (GstRtcSignaller *signaller, ControlThread *thread, Handler *handler)
{
  disconnect ();
  signaller_ = GST_RTC_SIGNALLER (g_object_ref (signaller));
  thread_ = thread;
  handler_ = handler;
  ids_ = {
      g_signal_connect (signaller, "session-requested", G_CALLBACK (on_session_requested), this),
      g_signal_connect (signaller, "session-description", G_CALLBACK (on_session_description),
                        this),
      g_signal_connect (signaller, "ice-candidate", G_CALLBACK (on_ice_candidate), this),
      g_signal_connect (signaller, "session-ended", G_CALLBACK (on_session_ended), this),
      g_signal_connect (signaller, "state-changed", G_CALLBACK (on_state_changed), this),
      g_signal_connect (signaller, "error", G_CALLBACK (on_error), this),
  };
}

void SignallerLink::disconnect ()
{
  if (!signaller_)
    return;
  for (gulong id : ids_)
    g_signal_handler_disconnect (signaller_, id);
  ids_.clear ();
  g_object_unref (signaller_);
  signaller_ = nullptr;
}

void SignallerLink::on_session_requested (GstRtcSignaller *, const gchar *id, const gchar *peer,
                                          GstWebRTCSessionDescription *offer, gpointer data)
{
  auto self = static_cast<SignallerLink *> (data);
  Handler *h = self->handler_;
  self->thread_->post ([h, id = str (id), peer = str (peer), offer = copy_description (offer)] () {
    h->session_requested (id, peer, offer.get ());
  });
}

void SignallerLink::on_session_description (GstRtcSignaller *, const gchar *id,
                                            GstWebRTCSessionDescription *answer, gpointer data)
{
  auto self = static_cast<SignallerLink *> (data);
  Handler *h = self->handler_;
  self->thread_->post ([h, id = str (id), answer = copy_description (answer)] () {
    if (answer)
      h->session_description (id, answer.get ());
  });
}

void SignallerLink::on_ice_candidate (GstRtcSignaller *, const gchar *id, guint mline,
                                      const gchar *candidate, gpointer data)
{
  auto self = static_cast<SignallerLink *> (data);
  Handler *h = self->handler_;
  self->thread_->post ([h, id = str (id), mline, cand = str (candidate)] () {
    h->remote_candidate (id, mline, cand);
  });
}

void SignallerLink::on_session_ended (GstRtcSignaller *, const gchar *id, gpointer data)
{
  auto self = static_cast<SignallerLink *> (data);
  Handler *h = self->handler_;
  self->thread_->post ([h, id = str (id)] () { h->session_ended (id); });
}

void SignallerLink::on_state_changed (GstRtcSignaller *, const gchar *state, const gchar *detail,
                                      gpointer data)
{
  auto self = static_cast<SignallerLink *> (data);
  Handler *h = self->handler_;
  self->thread_->post (
      [h, state = str (state), detail = str (detail)] () { h->state_changed (state, detail); });
}

void SignallerLink::on_error (GstRtcSignaller *, const gchar *message, gpointer data)
{
  auto self = static_cast<SignallerLink *> (data);
  Handler *h = self->handler_;
  self->thread_->post ([h, msg = str (message)] () { h->error (msg); });
}

} // namespace rtc

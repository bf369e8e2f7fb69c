/* RtcSignallerLink: connects an element to its GstRtcSignaller.
 *
 * The signaller emits its signals on its own thread (HTTP server or client
 * thread); the link copies their arguments and calls the element's Handler
 * on the element's control thread, so the element never handles signalling
 * on a foreign thread.
 *
 * Threading: connect()/disconnect() from the application thread (state
 * changes); Handler methods run on the ControlThread.
 */
#pragma once

#include <gst/webrtc/webrtc.h>
#include <string>
#include <vector>

#include <gst/rtcbridge/gstrtcsignaller.h>
#include "rtccontrolthread.h"

namespace rtc {

class SignallerLink {
public:
  class Handler {
  public:
    virtual ~Handler () = default;
    /* A session is wanted: @offer is the peer's offer, or nullptr when we
     * are to offer (client signallers). */
    virtual void session_requested (const std::string &id, const std::string &peer,
                                    GstWebRTCSessionDescription *offer) = 0;
    /* The peer's answer to our offer. */
    virtual void session_description (const std::string &id, GstWebRTCSessionDescription *answer) {}
    virtual void remote_candidate (const std::string &id, guint mline,
                                   const std::string &candidate) = 0;
    virtual void session_ended (const std::string &id) = 0;
    virtual void state_changed (const std::string &state, const std::string &detail) {}
    virtual void error (const std::string &message) = 0;
  };

  SignallerLink () = default;
  ~SignallerLink () { disconnect (); }
  SignallerLink (const SignallerLink &) = delete;
  SignallerLink &operator= (const SignallerLink &) = delete;

  void connect (GstRtcSignaller *signaller, ControlThread *thread, Handler *handler);
  void disconnect ();

private:
  static void on_session_requested (GstRtcSignaller *, const gchar *id, const gchar *peer,
                                    GstWebRTCSessionDescription *offer, gpointer data);
  static void on_session_description (GstRtcSignaller *, const gchar *id,
                                      GstWebRTCSessionDescription *answer, gpointer data);
  static void on_ice_candidate (GstRtcSignaller *, const gchar *id, guint mline,
                                const gchar *candidate, gpointer data);
  static void on_session_ended (GstRtcSignaller *, const gchar *id, gpointer data);
  static void on_state_changed (GstRtcSignaller *, const gchar *state, const gchar *detail,
                                gpointer data);
  static void on_error (GstRtcSignaller *, const gchar *message, gpointer data);

  GstRtcSignaller *signaller_ = nullptr;
  ControlThread *thread_ = nullptr;
  Handler *handler_ = nullptr;
  std::vector<gulong> ids_;
};

} // namespace rtc

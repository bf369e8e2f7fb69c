/* RtcPublisher: the media side of webrtcpublish. It decides, for the
 * session layer (rtcsessions.h), what each viewer gets — which m-lines of
 * its offer, or which m-lines we offer it — and drives what follows: its
 * encoder branches (rtcencoderpool.h, warmed up when the exchange is done,
 * linked when it connects), its congestion control (rtcadaptation.h), and
 * the element's viewer messages and signals.
 *
 *   inputs (rtcinputs.h) ─▶ encoder pool ─▶ each viewer's PeerSession
 *
 * Threading: the control thread, except inputs() (pads, application
 * thread) and n_viewers() (any thread).
 */
#pragma once

#include <gst/gst.h>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rtcadaptation.h"
#include "rtccontrolthread.h"
#include "rtcdatarouter.h"
#include "rtcencoderpool.h"
#include "rtcinputs.h"
#include "rtcsessions.h"
#include "rtcviewer.h"

namespace rtc {

class Publisher : public ElementSessions {
public:
  /* The element's properties as the publisher needs them (read under the
   * element's lock by the callback). */
  struct Settings : Timeouts {
    guint max_viewers = 0;
    EncoderPool::Settings encoding;
    Adaptation::Settings adaptation;
    std::vector<const Codec *> preferences;
  };
  struct Callbacks {
    std::function<Settings ()> settings;
    /* After an agreed viewer's teardown (the viewer-removed signal). */
    std::function<void (const std::string &id)> removed;
  };

  Publisher (GstElement *element, const char *prefix, DataRouter &data, ControlThread &control,
             Hooks hooks, Callbacks callbacks);
  ~Publisher () override;

  Inputs &inputs () { return inputs_; }
  guint n_viewers () const { return n_viewers_; }

  /* Control thread. */
  void tick ();
  void rebalance ();
  /* Ends the viewers of @input and stops its encoders. */
  void drop_input (const Input *input, const std::string &reason);
  /* Ends every viewer (not telling the signaller when it stopped) and
   * every encoder. */
  void stop (const std::string &reason, bool tell);

  /* Sessions::Delegate */
  std::unique_ptr<Session> answer_offer (const std::string &id, const std::string &peer,
                                         const GstSDPMessage *offer, Sessions::Plan &plan,
                                         Sessions::Refusal &refusal) override;
  std::unique_ptr<Session> make_offer (const std::string &id, const std::string &peer,
                                       Sessions::Plan &plan, Sessions::Refusal &refusal) override;
  guint max_handshakes () override { return callbacks_.settings ().max_handshakes; }
  void created (Session &session) override;
  bool answer_applied (Session &session, std::string &error) override;
  void agreed (Session &session) override;
  void connected (Session &session) override;
  void removed (Session &session, const std::string &reason) override;
  /* Stats: a viewer's estimate and rung; the encoders running. */
  void describe (Session &session, GstStructure *fields) override;
  void describe (GstStructure *fields) override;

private:
  /* The inputs' states and why no session can be made now ("" when one can). */
  std::vector<InputState> ready_inputs (std::string &why);
  bool acquire_branches (Viewer &viewer, const Settings &settings);

  Callbacks callbacks_;
  Inputs inputs_;
  EncoderPool pool_;
  Adaptation adaptation_;
  std::atomic<guint> n_viewers_{0};
};

} // namespace rtc

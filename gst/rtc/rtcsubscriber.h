/* RtcSubscriber: the media side of webrtcsubscribe. It decides, for the
 * session layer (rtcsessions.h), which publishers it takes (max-publishers,
 * publisher-takeover) and what it receives from them (every m-line a
 * publisher sends on, with a codec it can take in; or, offering, every codec
 * it can take in), feeds what arrives to its pads (rtcoutputs.h) and posts
 * the element's publisher messages.
 *
 * Threading: the control thread, except outputs() and connected() (any
 * thread) and the receive chains (built on webrtcbin's streaming threads).
 */
#pragma once

#include <gst/gst.h>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rtccontrolthread.h"
#include "rtcdatarouter.h"
#include "rtcoutputs.h"
#include "rtcsessions.h"

namespace rtc {

class Subscriber : public ElementSessions {
public:
  /* The element's properties as the subscriber needs them (read under the
   * element's lock by the callback). */
  struct Settings : Timeouts {
    Outputs::Settings output;
    std::vector<const Codec *> preferences;
    guint latency_ms = 100;
    bool takeover = false;
    guint max_publishers = 1; /* 0 = no limit */
    std::string stream_name;
  };

  Subscriber (GstElement *element, const char *prefix, DataRouter &data, ControlThread &control,
              Hooks hooks, std::function<Settings ()> settings);
  ~Subscriber () override;

  Outputs &outputs () { return outputs_; }
  /* Whether a publisher is connected now. Any thread. */
  bool connected () const { return connected_; }

  /* Control thread. */
  void tick ();
  void stop (const std::string &reason, bool tell);

  /* Sessions::Delegate */
  std::unique_ptr<Session> answer_offer (const std::string &id, const std::string &peer,
                                         const GstSDPMessage *offer, Sessions::Plan &plan,
                                         Sessions::Refusal &refusal) override;
  std::unique_ptr<Session> make_offer (const std::string &id, const std::string &peer,
                                       Sessions::Plan &plan, Sessions::Refusal &refusal) override;
  guint max_handshakes () override { return settings_ ().max_handshakes; }
  void created (Session &session) override { created_hook (session); }
  bool answer_applied (Session &session, std::string &error) override;
  void connected (Session &session) override;
  void removed (Session &session, const std::string &reason) override;
  /* Stats: the publisher's codecs. */
  void describe (Session &session, GstStructure *fields) override;

private:
  /* A publisher: what it sends. */
  struct Source : Session {
    std::vector<std::string> codecs;
    std::string codec_list () const /* "VP8,OPUS" */
    {
      std::string list;
      for (auto &c : codecs)
        list += (list.empty () ? "" : ",") + c;
      return list;
    }
    std::vector<MediaKind> offered; /* offerer: the kinds of our m-lines */
  };
  std::vector<const Codec *> receivable (const Settings &settings) const;
  void configure (const std::string &id, const std::string &peer, const Settings &settings,
                  PeerSession::Config &config);
  void update_connected ();

  std::function<Settings ()> settings_;
  Outputs outputs_;
  std::atomic<bool> connected_{false};
};

} // namespace rtc

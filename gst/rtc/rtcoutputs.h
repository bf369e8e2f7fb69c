/* RtcOutputs: webrtcsubscribe's src pads and the receive chains that feed
 * them.
 *
 *   webrtcbin src ─▶ depayloader ─▶ [h264parse] ─▶ decoder (or parser) ─▶ ghost video_N / audio_N
 *
 * A session's first video stream feeds the lowest video_N no other live
 * session feeds (video_0 with one publisher at a time), its second the next,
 * and likewise for audio. Pads outlive sessions: a new publisher's chain is
 * retargeted to the same ghost pad, which sends only its first stream-start
 * and EOS only when the element asks. Media for a pad the application did
 * not link is dropped (a not-linked flow would stop the receiver). Each
 * retarget is posted as "<prefix>-output" (pad, session id, peer).
 *
 * Threading: add_chain() on a streaming thread (webrtcbin's pad-added);
 * remove_chains(), stop() on the control thread or the application thread;
 * push_eos() on the application thread. `lock_` guards the outputs and the
 * chains; it is never held while changing an element's state or pushing.
 */
#pragma once

#include <gst/gst.h>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rtccodecs.h"

namespace rtc {

class Outputs {
public:
  struct Settings {
    bool decode = true;
    std::map<const Codec *, std::string> decoders; /* codec -> decoder factory */
  };

  /* @prefix names the bus messages ("webrtcsubscribe"). */
  Outputs (GstElement *element, std::string prefix);
  ~Outputs ();
  Outputs (const Outputs &) = delete;
  Outputs &operator= (const Outputs &) = delete;

  /* webrtcbin of session @id (from @peer) has a new src pad: builds its
   * chain and feeds an output. Returns the codec's kind, or false when the
   * media cannot be used (a warning is posted). */
  bool add_chain (const std::string &id, const std::string &peer, GstPad *pad,
                  const Settings &settings, MediaKind &kind);
  /* Stops and removes the chains of session @id. */
  void remove_chains (const std::string &id);
  /* EOS out of every pad (after making video_0/audio_0 when no publisher
   * ever came, so that an EOS still finishes the pipeline). */
  void push_eos (GstEvent *eos);
  /* READY -> PAUSED: EOS is the element's to send again. */
  void hold_eos ();
  /* Removes every pad. */
  void stop ();

private:
  /* One src pad; lives until stop(). */
  struct Output {
    MediaKind kind = MediaKind::VIDEO;
    guint index = 0;
    GstPad *ghost = nullptr; /* owned by the element */
    bool started = false;    /* the first stream-start went out (streaming thread) */
    std::atomic<bool> eos_allowed{false};
  };
  /* The elements between one webrtcbin src pad and an output. */
  struct Chain {
    std::vector<GstElement *> elements; /* children of the element, in order */
    GstPad *src = nullptr;              /* last element's src pad (owned) */
    Output *output = nullptr;
  };
  Output *attach (const std::string &id, MediaKind kind, GstPad *target);
  static GstPadProbeReturn output_probe (GstPad *, GstPadProbeInfo *info, gpointer data);
  static GstPadProbeReturn drop_if_unlinked (GstPad *, GstPadProbeInfo *, gpointer data);

  GstElement *element_;
  std::string prefix_;
  std::mutex lock_; /* guards the members below */
  std::vector<std::unique_ptr<Output>> outputs_;
  std::map<std::string, std::vector<Chain>> chains_; /* by session id */
};

} // namespace rtc

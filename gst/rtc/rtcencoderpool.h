/* RtcEncoderPool: webrtcpublish's encoder branches, one per input, codec
 * and ladder rung, shared by every viewer of that stream ("encode once")
 * and made and removed as viewers come and go ("only while watched").
 * Each change is posted as a "<element>-encoder" message.
 *
 * Threading: the owning element's control thread only.
 */
#pragma once

#include <gst/gst.h>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "rtccodecs.h"
#include "rtcencoderbranch.h"
#include "rtcinputs.h"
#include "rtcladder.h"

namespace rtc {

class EncoderPool {
public:
  /* What a new branch is made with. */
  struct Settings {
    std::map<const Codec *, std::string> encoders; /* codec -> encoder factory */
    guint video_bitrate = 2000000;
    guint audio_bitrate = 64000;
    guint keyframe_interval_ms = 2000;
    bool congestion_control = true;
    Ladder ladder;
    guint start_bitrate = 1000000;
  };

  /* @message_name: "webrtcpublish-encoder". */
  EncoderPool (GstElement *element, std::string message_name);
  ~EncoderPool ();
  EncoderPool (const EncoderPool &) = delete;
  EncoderPool &operator= (const EncoderPool &) = delete;

  /* The branch of @state's input for @codec at @rung, made if needed, with
   * one more viewer counted on it. Encoded input and audio have one rung:
   * what comes in. nullptr with @error when it cannot be made. */
  EncoderBranch *acquire (const InputState &state, const Codec *codec, int rung,
                          const Settings &settings, std::string &error);
  /* One viewer less on @branch; a branch nobody takes is removed. */
  void release (EncoderBranch *branch);
  /* Removes the branches of @input (nullptr: every branch). */
  void clear (const Input *input);
  /* @fn (input, codec, rung, branch) for every branch. */
  void
  for_each (const std::function<void (const Input *, const Codec *, int, EncoderBranch *)> &fn);
  size_t size () const { return branches_.size (); }

private:
  using Key = std::tuple<const Input *, const Codec *, int>;
  void post (const Key &key, bool added);

  GstElement *element_;
  std::string message_name_;
  std::map<Key, std::unique_ptr<EncoderBranch>> branches_;
};

} // namespace rtc

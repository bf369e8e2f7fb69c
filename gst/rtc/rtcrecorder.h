/* RtcRecorder: one track of a room recorded to a file, as it arrives
 * (encoded: no decoding, no encoding):
 *
 *   tee ─▶ queue ─▶ [parser] ─▶ matroskamux | webmmux | mp4mux ─▶ filesink
 *
 * The file starts at the track's first keyframe (earlier frames are dropped
 * and a keyframe is asked for) with timestamps from zero, and is finished
 * (duration, index) by finish(): EOS through the muxer, then the elements
 * go. The container follows the file name: .webm (VP8, VP9, AV1, Opus),
 * .mp4 (H.264, VP9, AV1, Opus), anything else Matroska.
 *
 * Threading: create(), finish() and abandon() on the owner's thread (the
 * room's control thread); @done runs on the file sink's streaming thread,
 * or in abandon (). The recorder must outlive @done's call (the room
 * keeps it until then).
 */
#pragma once

#include <gst/gst.h>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rtccodecs.h"

namespace rtc {

class Recorder {
public:
  /* Records what @tee carries (depayloaded @codec) to @location, inside
   * @bin. nullptr with @error when an element is missing or the container
   * cannot hold @codec. */
  static std::unique_ptr<Recorder> create (GstBin *bin, GstElement *tee, const Codec &codec,
                                           const std::string &location, std::string &error);
  ~Recorder ();
  Recorder (const Recorder &) = delete;
  Recorder &operator= (const Recorder &) = delete;

  /* Ends the file: nothing more from the tee, EOS through the muxer. @done
   * once the file sink has it, or at abandon () (the owner's timeout: a
   * muxer that never passes EOS on). Call once. */
  void finish (std::function<void ()> done);
  void abandon ();
  /* Blocks until finish()'s EOS reached the file sink, at most @timeout_ms. */
  bool wait_finished (guint timeout_ms);
  const std::string &location () const { return location_; }
  /* The muxer factory for @location and @codec, or nullptr. */
  static const char *muxer_for (const std::string &location, const Codec &codec);
  struct State; /* shared with the pad probes */

private:
  Recorder () = default;
  GstBin *bin_ = nullptr;
  GstElement *tee_ = nullptr;
  GstPad *tee_pad_ = nullptr;
  std::vector<GstElement *> chain_;
  std::string location_;
  std::shared_ptr<State> state_;
};

/* The file name for a track: @pattern with its one "%s" replaced by @name
 * ("participant_p3_video_0"). Empty when @pattern has no "%s", or another
 * conversion. */
std::string record_location (const std::string &pattern, const std::string &name);

} // namespace rtc

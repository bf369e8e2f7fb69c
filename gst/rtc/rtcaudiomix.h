/* RtcAudioMix: a room's voice mixing with mix-minus (webrtcroom's audio
 * mixing mode, docs/rooms.md): each listener gets one stream with everyone
 * but itself, and a mix is encoded once per distinct set of sources.
 *
 *  source (raw audio, decoded once) ─▶ queue ─▶ audioconvert ─▶ audioresample
 *     ─▶ capsfilter (S16LE, 48 kHz, stereo) ─▶ tee ─┬─▶ queue ─▶ mix "all but A"
 *                                                   ├─▶ queue ─▶ mix "all but C"
 *                                                   └─▶ queue ─▶ mix "all"
 *  mix: silence (live) ─▶ audiomixer (frame-sized buffers) ─▶ capsfilter ─▶ tee
 *     ─▶ EncoderBranch (Opus) ─▶ the listeners' m-lines; the raw tee also
 *     feeds what the element exposes (its mix src pad).
 *
 * A mix is named by whose sources it leaves out: an owner (a participant
 * id) or "" (nobody: listeners that publish no audio, and the pipeline's
 * own view of the call). A mix leaving out an owner with no source is the
 * same set as "", so it is that mix (acquire () says which one it gave),
 * unless that listener set its own volumes of the others (set_gain ()):
 * then it hears a mix of its own, named by it, at its volumes.
 *
 * Each mix runs on its own clock-driven timing: the silent live source
 * keeps it going with no source at all, and audiomixer, being live, mixes
 * a frame once its time (plus the upstream latency) has passed with what
 * has arrived: a source that stalls or goes is skipped, never waited for,
 * and sources come and go while the mix plays.
 *
 * Threading: the owning element's control thread only (like EncoderPool).
 */
#pragma once

#include <gst/gst.h>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "rtcencoderbranch.h"

namespace rtc {

class AudioMix {
public:
  struct Settings {
    std::string encoder = "opusenc";
    guint bitrate = 64000;
    /* The mixer's output buffers and the Opus frames: 10 or 20 ms. */
    GstClockTime frame = 20 * GST_MSECOND;
  };
  /* @bin: where the elements go (the element). @on_change ("added" or
   * "removed", the mix's name, the number of encoded mixes now): posted
   * by the owner as a bus message; may be empty. */
  AudioMix (GstBin *bin, Settings settings,
            std::function<void (const char *action, const std::string &mix, size_t encoders)>
                on_change = nullptr);
  ~AudioMix ();
  AudioMix (const AudioMix &) = delete;
  AudioMix &operator= (const AudioMix &) = delete;

  /* Raw audio (any format, rate, channels) from a new request pad of
   * @input_tee, named @source, heard in every mix but the one leaving
   * @owner out. False with @error when an element is missing or the name
   * is taken. */
  bool add_source (const std::string &source, const std::string &owner, GstElement *input_tee,
                   std::string &error);
  void remove_source (const std::string &source);
  bool has_source (const std::string &source) const { return sources_.count (source) != 0; }
  /* Whether @owner has a source, i.e. whether it has a mix of its own. */
  bool owns_source (const std::string &owner) const;
  /* The loudest of @owner's sources since the last call (RMS of a buffer,
   * dBFS: 0 full scale, SILENCE_DB for nothing or digital silence), and
   * starts a new measurement. */
  static constexpr double SILENCE_DB = -127;
  double take_level (const std::string &owner);
  /* The owners of the sources (the pipeline's: "pipeline"). */
  std::vector<std::string> owners () const;
  /* @owner's sources silenced in every mix (or heard again), those it
   * has now and those it adds later; a muted owner's level reads as
   * SILENCE_DB. False when nothing changed. */
  bool set_muted (const std::string &owner, bool muted);
  bool muted (const std::string &owner) const { return muted_.count (owner) != 0; }
  /* Per-listener volume: in what @listener hears, @owner's sources at
   * @gain (1: as sent, 0: silent; clamped to 0..MAX_GAIN). A listener
   * with any gain other than 1 hears a mix of its own (mix_for ()), the
   * mix that leaves it out when it publishes audio anyway. False when
   * nothing changed; forget () drops @listener's gains. */
  static constexpr double MAX_GAIN = 2.0;
  bool set_gain (const std::string &listener, const std::string &owner, double gain);
  double gain (const std::string &listener, const std::string &owner) const;
  void forget (const std::string &listener);
  /* The mix @listener hears: its own (named by it) when it has a source or
   * gains, the shared mix of everyone ("") otherwise. */
  std::string mix_for (const std::string &listener) const;

  /* The encoded mix @listener hears, made if needed, one more user counted
   * on it; @name: the mix it is (mix_for (@listener)). nullptr with @error
   * when it cannot be made. */
  EncoderBranch *acquire (const std::string &listener, std::string &name, std::string &error);
  /* One user less on the mix @name (as acquire () gave it). */
  void release (const std::string &name);
  /* The raw mix of everyone (the mix named ""), made if needed and kept
   * while the AudioMix lives: a tee to request src pads from. */
  GstElement *full_mix (std::string &error);

  /* Encoded mixes running now. */
  size_t encoders () const;
  std::vector<std::string> mix_names () const;

private:
  struct Source;
  struct Mix;
  struct Input;
  Mix *make_mix (const std::string &name, std::string &error);
  bool add_input (Mix &mix, const std::string &name, Source &source);
  void remove_input (Mix &mix, const std::string &source);
  void drop_mix_if_unused (const std::string &name);

  GstBin *bin_;
  Settings settings_;
  std::function<void (const char *, const std::string &, size_t)> on_change_;
  std::map<std::string, std::unique_ptr<Source>> sources_; /* by source name */
  std::map<std::string, std::unique_ptr<Mix>> mixes_;      /* by mix name */
  std::set<std::string> muted_;                            /* owners */
  /* listener -> owner -> gain (no 1.0 kept; no empty map kept) */
  std::map<std::string, std::map<std::string, double>> gains_;
};

} // namespace rtc

/* RFC 6464 client-to-mixer audio levels (the ssrc-audio-level RTP header
 * extension that browsers send when it is negotiated): the room offers it
 * on the audio m-lines it receives, and reads it from each packet, so that
 * a forwarding room (no decoding) knows who speaks.
 *
 * Threading: caps_add_audio_level () anywhere; AudioLevelTap's probe runs
 * on the streaming thread, take () on any other (atomics).
 */
#pragma once

#include <gst/gst.h>
#include <atomic>
#include <memory>

namespace rtc {

#define RTC_AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
/* The id the room gives it (TWCC is 3): the same on every m-line of a
 * BUNDLE. */
constexpr int RTC_AUDIO_LEVEL_ID = 1;

/* Adds "extmap-@id" = the audio-level URI to every structure of @caps
 * (webrtcbin puts it in its offer or answer as a=extmap). */
void caps_add_audio_level (GstCaps *caps, int id);

/* The levels in the RTP packets through a pad (before the depayloader):
 * the loudest since the last take (). */
class AudioLevelTap {
public:
  static constexpr double NONE = -127; /* no level seen, or silence */
  /* Probes @rtp_pad (its caps name the extension's id) until it goes. */
  static std::shared_ptr<AudioLevelTap> attach (GstPad *rtp_pad);
  /* The loudest level since the last call, dBov (0 loudest, -127), and
   * starts a new measurement. */
  double take ();
  /* Whether a packet ever carried the extension. */
  bool seen () const { return seen_.load (); }

private:
  static GstPadProbeReturn on_data (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  void read (GstBuffer *buf);
  std::atomic<int> id_{0};      /* the extension's id in this stream; 0: unknown */
  std::atomic<int> loudest_{0}; /* -dBov: 127 silent .. 0 loudest; 128 none */
  std::atomic<bool> seen_{false};
};

} // namespace rtc

/* RtcEncoderBranch: one encoded stream of one input, shared by every viewer
 * that receives that codec at that rung of the encoding ladder ("encode
 * once").
 *
 *   input tee ─▶ queue ─▶ [videoscale ! videoconvert ! capsfilter ! encoder]
 *             ─▶ [parser] ─▶ capsfilter ─▶ tee ─▶ the viewers' paths
 *
 * A rung below the top scales the picture down (Config::scale); the
 * encoder's bitrate and frame rate follow the viewers' estimates.
 *
 * For encoded input the encoder part is absent: the stream is parsed and
 * shared as is, never re-encoded.
 *
 * For raw input the queue never blocks the input tee: it drops the oldest
 * video frames past 3 (a late frame is worth less than the next one) and
 * the oldest audio past 300 ms (an encoder held up for a moment catches
 * up; dropping would be a hole everyone hears). Encoded input queues up to
 * 1 s, then holds the tee.
 *
 * Keyframe requests from viewers (PLI/FIR become upstream force-key-unit
 * events) are rate-limited here: at most one per min_keyframe_interval;
 * requests inside the interval are merged into one sent when it ends, so a
 * joining viewer always gets a keyframe after it asked.
 *
 * Threading: built, linked and destroyed on the owning element's control
 * thread. The probes run on streaming threads and touch only the atomic
 * keyframe state.
 */
#pragma once

#include <gst/gst.h>
#include <atomic>
#include <memory>
#include <string>

#include "rtccodecs.h"

namespace rtc {

class EncoderBranch {
public:
  struct Config {
    std::string encoder_factory; /* for raw input */
    guint bitrate_bps = 0;
    guint keyframe_interval_frames = 60;
    GstClockTime min_keyframe_interval = 250 * GST_MSECOND;
    /* Raw video: encode at 1/scale of the input's width and height (a rung
     * of the encoding ladder), from @width x @height. */
    guint scale = 1;
    gint width = 0, height = 0;
    /* Properties set on the encoder after the defaults (name, value as
     * gst_util_set_object_arg () takes it), when it has them. */
    std::vector<std::pair<std::string, std::string>> encoder_properties;
  };

  /* Builds the branch inside @bin, fed by a new request pad of @input_tee.
   * Returns nullptr and sets @error when an element is missing. */
  static std::unique_ptr<EncoderBranch> create (GstBin *bin, GstElement *input_tee,
                                                const Codec &codec, const InputFormat &input,
                                                const Config &config, std::string &error);
  ~EncoderBranch ();
  EncoderBranch (const EncoderBranch &) = delete;
  EncoderBranch &operator= (const EncoderBranch &) = delete;

  const Codec &codec () const { return *codec_; }
  /* The encoder element, or nullptr for encoded input. */
  GstElement *encoder () const { return encoder_; }
  /* A new src pad of the output tee for one viewer, linked to @sink
   * (rtc::link_tee_branch; *@linked: whether the link succeeded). The
   * caller releases it with release_output(). */
  GstPad *link_output (GstPad *sink, bool *linked);
  void release_output (GstPad *pad);
  /* Asks the encoder (or upstream, for encoded input) for a keyframe. Any thread. */
  void request_keyframe ();
  void set_bitrate (guint bitrate_bps);
  guint bitrate () const { return bitrate_; }
  /* Raw video: encode at most @fps frames a second (0 = all). Any thread. */
  void set_max_framerate (guint fps) { max_fps_ = fps; }
  guint max_framerate () const { return max_fps_; }
  guint scale () const { return scale_; }

  int viewers = 0; /* viewers using this branch; control thread only */

private:
  EncoderBranch () = default;
  static GstPadProbeReturn upstream_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  static GstPadProbeReturn buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  static GstPadProbeReturn rate_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  bool keyframe_allowed_now ();
  void send_keyframe_request ();

  const Codec *codec_ = nullptr;
  GstBin *bin_ = nullptr;           /* not owned: the element */
  GstElement *input_tee_ = nullptr; /* not owned: a child of bin_ */
  GstPad *input_pad_ = nullptr;     /* request pad on input_tee_ */
  GstElement *encoder_ = nullptr;   /* child of bin_, or nullptr */
  GstElement *out_filter_ = nullptr;
  GstElement *tee_ = nullptr;
  std::vector<GstElement *> elements_; /* children of bin_ we added, in link order */
  GstClockTime min_interval_ = 0;
  std::atomic<gint64> last_request_us_{0};
  std::atomic<bool> pending_request_{false};
  guint bitrate_ = 0;
  guint scale_ = 1;
  std::atomic<guint> max_fps_{0};
  GstClockTime last_pts_ = GST_CLOCK_TIME_NONE; /* streaming thread (rate_probe) */
};

} // namespace rtc

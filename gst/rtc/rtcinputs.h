/* RtcInputs: webrtcpublish's media inputs, one per video_%u / audio_%u
 * request pad:
 *
 *   ghost sink pad ─▶ capsfilter ─▶ tee ─┬─▶ fakesink (clock sink)
 *                                        └─▶ the encoder branches (rtcencoderpool.h)
 *
 * Each input learns its format from its caps (raw or encoded, codec, H.264
 * profile, size, frame rate). Its clock sink paces non-live input (a file)
 * and gives the element reliable EOS: webrtcbin never posts EOS, so the
 * element ends its sessions itself when every input has ended.
 *
 * Threading: add()/remove() on the application thread (pad requests);
 * the caps probe on a streaming thread; everything else from any thread.
 * `lock_` guards the list and every input's format fields; it is taken
 * alone (never with the element's lock) and never held while calling out.
 */
#pragma once

#include <gst/gst.h>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rtccodecs.h"

namespace rtc {

struct Input {
  std::string name; /* the pad's name: video_0 */
  MediaKind kind = MediaKind::VIDEO;
  GstPad *ghost = nullptr;      /* our sink pad (owned by the element) */
  GstElement *filter = nullptr; /* children of the element; we hold a reference too */
  GstElement *tee = nullptr;
  GstElement *clock_sink = nullptr;

  ~Input ();
};

/* What an input carries now (a copy made under the lock). */
struct InputState {
  Input *input = nullptr;
  bool have_format = false;
  InputFormat format;
  guint fps = 30;
  gint width = 0, height = 0;
  bool eos = false;
};

class Inputs {
public:
  /* @on_format runs (streaming thread) when an input gets its caps. */
  Inputs (GstElement *element, std::function<void ()> on_format);
  ~Inputs ();
  Inputs (const Inputs &) = delete;
  Inputs &operator= (const Inputs &) = delete;

  /* A new input for the request pad template @templ (video_%u/audio_%u)
   * and requested @name (may be nullptr); the pad is added to the element.
   * nullptr (with an element error posted when elements are missing) when
   * the name is taken. */
  GstPad *add (GstPadTemplate *templ, const gchar *name, const char *caps);
  /* Takes the input of @pad out of the element (nullptr when it is not
   * one). The caller ends what uses it first. */
  std::unique_ptr<Input> remove (GstPad *pad);

  /* The input of @pad, nullptr when it is not one. */
  const Input *find (GstPad *pad);
  std::vector<InputState> states ();
  InputState state (const Input *input);
  /* The first video input (a new reference to its pad) and its size. */
  GstPad *ref_first_video (gint &width, gint &height);
  /* "video,audio": the kinds, in pad order. */
  std::string kinds ();

  /* An EOS message from a clock sink marks its input ended; false when
   * @src is not one of ours. */
  bool mark_eos (GstObject *src);
  bool all_ended ();
  /* READY -> PAUSED: no input has ended. */
  void reset_eos ();

private:
  struct Entry;
  static GstPadProbeReturn event_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  void on_caps (Entry &entry, GstCaps *caps);

  GstElement *element_;
  std::function<void ()> on_format_;
  std::mutex lock_; /* guards entries_ and their state */
  std::vector<std::unique_ptr<Entry>> entries_;
  guint next_index_[2] = {0, 0};
};

} // namespace rtc

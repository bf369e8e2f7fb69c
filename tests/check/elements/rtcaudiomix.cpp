/* The room's voice mixing (gst/rtc/rtcaudiomix.*), measured on the audio:
 * live tones (440, 660, 990 Hz) are the participants' decoded voices; each
 * mix is encoded (Opus), decoded again here and analysed (Goertzel power at
 * each tone): a listener hears the others and not itself (its own tone at
 * least 20 dB under the others'); the full mix has everyone; mixes are
 * shared (4 talkers and 3 listen-only: 5 encoders); the full mix plays on
 * without a gap while a source stalls, leaves and joins, and its content
 * follows; an encoder held up for 200 ms loses nothing. No element, no network: the test thread is
 * the control thread. */
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "rtcaudiomix.h"
#include "rtctestaudio.h"
#include "rtcteardown.h"

namespace {

const double TONES[] = {440, 660, 990};

/* What an appsink received: mono F32 samples with the time of each buffer. */
struct Capture : SampleLog {
  std::vector<std::pair<GstClockTime, GstClockTime>> buffers; /* pts, duration */
  static GstFlowReturn on_sample (GstAppSink *sink, gpointer data)
  {
    auto self = static_cast<Capture *> (data);
    GstSample *sample = gst_app_sink_pull_sample (sink);
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstMapInfo map;
    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      std::lock_guard<std::mutex> g (self->lock);
      const float *f = reinterpret_cast<const float *> (map.data);
      self->samples.insert (self->samples.end (), f, f + map.size / sizeof (float));
      self->buffers.emplace_back (GST_BUFFER_PTS (buf), GST_BUFFER_DURATION (buf));
      gst_buffer_unmap (buf, &map);
    }
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }
  /* The largest hole between consecutive buffers, and how many buffers. */
  GstClockTime largest_gap (size_t from)
  {
    std::lock_guard<std::mutex> g (lock);
    GstClockTime gap = 0;
    for (size_t i = std::max<size_t> (from, 1); i < buffers.size (); i++) {
      GstClockTime end = buffers[i - 1].first + buffers[i - 1].second;
      if (buffers[i].first > end)
        gap = std::max (gap, buffers[i].first - end);
    }
    return gap;
  }
  size_t n_buffers ()
  {
    std::lock_guard<std::mutex> g (lock);
    return buffers.size ();
  }
};

struct Rig {
  GstElement *pipeline = nullptr;
  std::unique_ptr<rtc::AudioMix> mix;
  std::vector<std::unique_ptr<Capture>> captures;
  std::vector<std::string> changes; /* "added <mix> <n>" */

  /* Tones t0..t(n-1) (TONES, then 1320 Hz) into tees named t<i>, each
   * after a valve v<i>. */
  explicit Rig (int n_tones)
  {
    std::string desc;
    for (int i = 0; i < n_tones; i++) {
      double f = i < 3 ? TONES[i] : 1320;
      desc += "audiotestsrc is-live=true volume=0.2 samplesperbuffer=480 freq=" +
              std::to_string ((int)f) + " ! valve name=v" + std::to_string (i) + " ! tee name=t" +
              std::to_string (i) + " allow-not-linked=true ";
    }
    GError *err = nullptr;
    pipeline = gst_parse_launch (desc.c_str (), &err);
    fail_unless (pipeline != nullptr, "%s", err ? err->message : "");
    mix = std::make_unique<rtc::AudioMix> (
        GST_BIN (pipeline), rtc::AudioMix::Settings (),
        [this] (const char *action, const std::string &name, size_t n) {
          changes.push_back (std::string (action) + " " + name + " " + std::to_string (n));
        });
    fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  }
  ~Rig ()
  {
    mix.reset ();
    rtc::wait_disposals ();
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
  GstElement *tee (int i)
  {
    return gst_bin_get_by_name (GST_BIN (pipeline), ("t" + std::to_string (i)).c_str ());
  }
  void add (int i, const std::string &owner)
  {
    GstElement *t = tee (i);
    std::string error;
    fail_unless (mix->add_source ("s" + std::to_string (i), owner, t, error), "%s", error.c_str ());
    gst_object_unref (t);
  }
  /* @from (a src pad, released by the caller's owner) ─▶ [@decode] ─▶ mono F32 appsink.
   * No @from: the capture's input pad in *@input (the caller's reference). */
  Capture *capture (GstPad *from, bool decode, GstPad **input = nullptr)
  {
    std::string desc = std::string ("queue ! ") + (decode ? "opusdec ! " : "") +
                       "audioconvert ! audioresample ! "
                       "audio/x-raw,format=F32LE,channels=1,rate=48000 ! appsink name=sink "
                       "sync=false emit-signals=true";
    GError *err = nullptr;
    GstElement *bin = gst_parse_bin_from_description (desc.c_str (), TRUE, &err);
    fail_unless (bin != nullptr, "%s", err ? err->message : "");
    captures.push_back (std::make_unique<Capture> ());
    Capture *c = captures.back ().get ();
    GstElement *sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
    g_signal_connect (sink, "new-sample", G_CALLBACK (Capture::on_sample), c);
    gst_object_unref (sink);
    gst_bin_add (GST_BIN (pipeline), bin);
    GstPad *sinkpad = gst_element_get_static_pad (bin, "sink");
    if (from)
      fail_unless (gst_pad_link (from, sinkpad) == GST_PAD_LINK_OK);
    gst_element_sync_state_with_parent (bin);
    if (input)
      *input = sinkpad;
    else
      gst_object_unref (sinkpad);
    return c;
  }
  /* The encoded mix leaving @owner out, decoded into a capture. */
  Capture *listen (const std::string &owner, std::string *name = nullptr,
                   GstPad **capture_input = nullptr)
  {
    std::string n, error;
    rtc::EncoderBranch *b = mix->acquire (owner, n, error);
    fail_unless (b != nullptr, "%s", error.c_str ());
    if (name)
      *name = n;
    GstPad *input = nullptr;
    Capture *c = capture (nullptr, true, &input);
    bool linked = false;
    GstPad *out = b->link_output (input, &linked);
    fail_unless (linked);
    if (capture_input)
      *capture_input = input; /* the caller's reference */
    else
      gst_object_unref (input);
    gst_object_unref (out);
    return c;
  }
};

void wait_samples (Capture *c, size_t n)
{
  for (int i = 0; i < 200 && c->size () < n; i++)
    g_usleep (50000);
  fail_unless (c->size () >= n, "only %zu samples after 10 s", c->size ());
}

} // namespace

/* Each listener hears the two others and not itself; the full mix all three. */
GST_START_TEST (test_mix_minus)
{
  Rig rig (3);
  const char *owners[] = {"A", "B", "C"};
  for (int i = 0; i < 3; i++)
    rig.add (i, owners[i]);
  Capture *heard[3];
  for (int i = 0; i < 3; i++)
    heard[i] = rig.listen (owners[i]);
  Capture *all = rig.listen ("L"); /* a listener that publishes nothing */
  fail_unless_equals_int (rig.mix->encoders (), 4);
  /* 1.5 s in (Opus and the mixers settle); the last second analysed. */
  for (Capture *c : {heard[0], heard[1], heard[2], all})
    wait_samples (c, 72000);
  for (int i = 0; i < 3; i++) {
    double own = heard[i]->power_db (TONES[i], 48000);
    for (int j = 0; j < 3; j++) {
      if (j == i)
        continue;
      double other = heard[i]->power_db (TONES[j], 48000);
      GST_INFO ("%s hears %.0f Hz at %.1f dB, itself at %.1f dB", owners[i], TONES[j], other, own);
      fail_unless (other - own >= 20, "%s: %.0f Hz at %.1f dB, its own %.0f Hz at %.1f dB",
                   owners[i], TONES[j], other, TONES[i], own);
    }
  }
  double floor_db = all->power_db (1320, 48000); /* no such tone */
  for (double f : TONES) {
    double p = all->power_db (f, 48000);
    fail_unless (p - floor_db >= 20, "the full mix: %.0f Hz at %.1f dB, 1320 Hz at %.1f dB", f, p,
                 floor_db);
  }
}
GST_END_TEST;

/* A mix per distinct set: 4 talkers and 3 listen-only participants run 5
 * encoders; they go as their listeners go. */
GST_START_TEST (test_mixes_shared)
{
  Rig rig (4);
  const char *talkers[] = {"A", "B", "C", "D"};
  for (int i = 0; i < 4; i++)
    rig.add (i, talkers[i]);
  std::vector<std::string> names;
  for (const char *who : {"A", "B", "C", "D", "X", "Y", "Z"}) {
    std::string n, error;
    fail_unless (rig.mix->acquire (who, n, error) != nullptr, "%s", error.c_str ());
    names.push_back (n);
  }
  fail_unless_equals_int (rig.mix->encoders (), 5);
  fail_unless_equals_string (names[4].c_str (), "");
  fail_unless_equals_string (names[6].c_str (), "");
  fail_unless_equals_string (names[0].c_str (), "A");
  fail_unless_equals_int (rig.changes.size (), 5);
  fail_unless_equals_string (rig.changes.back ().c_str (), "added  5");
  /* X and Y leave: the shared mix stays for Z; then everyone leaves. */
  rig.mix->release (names[4]);
  rig.mix->release (names[5]);
  fail_unless_equals_int (rig.mix->encoders (), 5);
  for (size_t i = 0; i < names.size (); i++)
    if (i != 4 && i != 5)
      rig.mix->release (names[i]);
  fail_unless_equals_int (rig.mix->encoders (), 0);
  fail_unless_equals_int (rig.mix->mix_names ().size (), 0);
  fail_unless_equals_string (rig.changes.back ().c_str (), "removed  0");
}
GST_END_TEST;

/* The full mix (the element's mix pad) plays on without a hole longer
 * than one mixer frame while a source stalls, one leaves and one joins;
 * what it carries follows. */
GST_START_TEST (test_full_mix_continuous)
{
  Rig rig (4);
  rig.add (0, "A");
  rig.add (1, "B");
  rig.add (2, "C");
  std::string error;
  GstElement *tee = rig.mix->full_mix (error);
  fail_unless (tee != nullptr, "%s", error.c_str ());
  GstPad *out = gst_element_request_pad_simple (tee, "src_%u");
  Capture *c = rig.capture (out, false);
  gst_object_unref (out);
  wait_samples (c, 48000);
  size_t from = c->n_buffers ();
  for (double f : TONES)
    fail_unless (c->power_db (f, 24000) - c->power_db (1320, 24000) >= 20, "%.0f Hz missing", f);

  /* B stalls (its valve drops everything): the others go on. */
  GstElement *valve = gst_bin_get_by_name (GST_BIN (rig.pipeline), "v1");
  g_object_set (valve, "drop", TRUE, nullptr);
  gst_object_unref (valve);
  wait_samples (c, c->size () + 48000);
  fail_unless (c->power_db (660, 24000) - c->power_db (440, 24000) <= -20, "B still heard");
  fail_unless (c->power_db (990, 24000) - c->power_db (1320, 24000) >= 20, "C not heard");

  /* C leaves, the fourth (1320 Hz, D) joins. */
  rig.mix->remove_source ("s2");
  rig.add (3, "D");
  wait_samples (c, c->size () + 48000);
  fail_unless (c->power_db (990, 24000) - c->power_db (440, 24000) <= -20, "C still heard");
  fail_unless (c->power_db (1320, 24000) - c->power_db (660, 24000) >= 20, "D not heard");
  fail_unless (c->power_db (440, 24000) - c->power_db (660, 24000) >= 20, "A not heard");

  GstClockTime gap = c->largest_gap (from);
  fail_unless (gap <= 20 * GST_MSECOND, "a hole of %" GST_TIME_FORMAT " in the mix",
               GST_TIME_ARGS (gap));
}
GST_END_TEST;

/* A mix's encoder held up for 200 ms (its thread blocked downstream, as by
 * a starved CPU or a session being set up beside it) loses nothing: what
 * came meanwhile waits in its input queue and is encoded after, so the
 * decoded mix has no hole. With 3 buffers queued (60 ms) it had a hole of
 * ~140 ms. */
static GstPadProbeReturn hold_once (GstPad *, GstPadProbeInfo *, gpointer data)
{
  auto armed = static_cast<std::atomic<bool> *> (data);
  if (armed->exchange (false))
    g_usleep (200 * 1000);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_encoder_held_up)
{
  std::atomic<bool> armed{false}; /* outlives the rig and its probe */
  Rig rig (2);
  rig.add (0, "A");
  rig.add (1, "B");
  GstPad *input = nullptr;
  Capture *c = rig.listen ("L", nullptr, &input);
  gst_pad_add_probe (input, GST_PAD_PROBE_TYPE_BUFFER, hold_once, &armed, nullptr);
  wait_samples (c, 48000);
  size_t from = c->n_buffers ();
  armed = true;
  wait_samples (c, c->size () + 48000);
  fail_unless (!armed, "the encoder's output was never held");
  GstClockTime gap = c->largest_gap (from);
  GST_INFO ("largest hole after a 200 ms hold: %" GST_TIME_FORMAT, GST_TIME_ARGS (gap));
  fail_unless (gap <= GST_MSECOND,
               "a hole of %" GST_TIME_FORMAT " in the mix after its encoder "
               "was held up 200 ms",
               GST_TIME_ARGS (gap));
  gst_object_unref (input);
}
GST_END_TEST;

static Suite *rtcaudiomix_suite (void)
{
  Suite *s = suite_create ("rtcaudiomix");
  TCase *tc = tcase_create ("mix");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_mix_minus);
  tcase_add_test (tc, test_mixes_shared);
  tcase_add_test (tc, test_full_mix_continuous);
  tcase_add_test (tc, test_encoder_held_up);
  return s;
}

GST_CHECK_MAIN (rtcaudiomix);

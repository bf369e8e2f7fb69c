/* Audio received by a test, for tests that measure tones in it
 * (rtcaudiomix.cpp, webrtcroom_voice.cpp): mono samples appended on a
 * streaming thread, read on the test thread (under `lock`).
 */
#pragma once

#include <glib.h>
#include <cmath>
#include <mutex>
#include <vector>

struct SampleLog {
  std::mutex lock; /* guards samples and rate */
  std::vector<float> samples;
  int rate = 48000;

  void clear ()
  {
    std::lock_guard<std::mutex> g (lock);
    samples.clear ();
  }
  size_t size ()
  {
    std::lock_guard<std::mutex> g (lock);
    return samples.size ();
  }
  /* Power (dB) at @freq over the last @n samples (Goertzel). */
  double power_db (double freq, size_t n)
  {
    std::lock_guard<std::mutex> g (lock);
    size_t start = samples.size () > n ? samples.size () - n : 0;
    double k = 2 * cos (2 * G_PI * freq / (rate > 0 ? rate : 48000)), s1 = 0, s2 = 0;
    for (size_t i = start; i < samples.size (); i++) {
      double s0 = samples[i] + k * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return 10 * log10 (s1 * s1 + s2 * s2 - k * s1 * s2 + 1e-9);
  }
  /* RMS level (dBFS) of the last @n samples. */
  double rms_db (size_t n)
  {
    std::lock_guard<std::mutex> g (lock);
    size_t start = samples.size () > n ? samples.size () - n : 0;
    double sum = 0;
    for (size_t i = start; i < samples.size (); i++)
      sum += (double)samples[i] * samples[i];
    return 10 * log10 (sum / MAX (samples.size () - start, (size_t)1) + 1e-12);
  }
  /* The longest run (ms) of consecutive @window_ms windows whose RMS is
   * under @floor_db (dBFS): how long the audio went silent. */
  double longest_silence_ms (double floor_db, int window_ms = 5)
  {
    std::lock_guard<std::mutex> g (lock);
    size_t w = (size_t)(rate > 0 ? rate : 48000) * window_ms / 1000;
    int run = 0, longest = 0;
    for (size_t at = 0; w && at + w <= samples.size (); at += w) {
      double sum = 0;
      for (size_t i = at; i < at + w; i++)
        sum += (double)samples[i] * samples[i];
      if (10 * log10 (sum / w + 1e-12) < floor_db)
        longest = MAX (longest, ++run);
      else
        run = 0;
    }
    return (double)longest * window_ms;
  }
};

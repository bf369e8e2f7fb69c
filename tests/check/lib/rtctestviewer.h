/* RtcTestViewer: a WHEP client on webrtcbin for tests and benchmarks.
 *
 * It offers recvonly m-lines (video and/or audio, with the codecs asked
 * for), POSTs the offer at once, trickles its candidates by PATCH, decodes
 * what arrives and counts frames. Timestamps of each step are recorded for
 * the time-to-first-frame benchmark.
 *
 * Threading: start() and stop() from the test thread. HTTP runs
 * synchronously on the viewer's own worker thread; webrtcbin's callbacks
 * and the streaming threads only update atomics under `lock_`.
 */
#pragma once

#include <gst/gst.h>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

class RtcTestViewer {
public:
  struct Options {
    bool video = true;
    bool audio = true;
    std::vector<std::string> video_codecs = {"VP8", "H264"}; /* offered, in order */
    std::string token;
    bool trickle = true; /* PATCH candidates; else wait for gathering before POST */
    bool decode = true;
    /* Changes the offer's text before it is POSTed (faults: a wrong
     * fingerprint); the viewer's webrtcbin keeps its own. */
    std::function<void (std::string &sdp)> edit_offer;
  };

  RtcTestViewer (std::string whep_url, Options options);
  RtcTestViewer (std::string whep_url) : RtcTestViewer (std::move (whep_url), Options ()) {}
  ~RtcTestViewer ();

  /* Starts negotiating in the background. */
  void start ();
  /* Waits until the POST was answered; returns its HTTP status (0 = no answer). */
  int wait_answer (guint timeout_ms = 20000);
  /* Waits until @n video frames were decoded. */
  bool wait_video_frames (guint n, guint timeout_ms = 30000);
  bool wait_audio_buffers (guint n, guint timeout_ms = 30000);
  /* DELETEs the session (when @send_delete) and stops the pipeline. */
  void stop (bool send_delete = true);

  guint video_frames () const { return video_frames_; }
  guint audio_buffers () const { return audio_buffers_; }
  int width () const { return width_; }
  int height () const { return height_; }
  int http_status () const { return http_status_; }
  std::string location () { return locked_copy (location_); }
  /* encoding-name of the received video */
  std::string video_codec () { return locked_copy (video_codec_); }
  int delete_status () const { return delete_status_; }

  /* Microseconds since start() for each step, -1 when not reached. */
  gint64 t_answer = -1, t_ice_connected = -1, t_dtls_connected = -1, t_first_rtp = -1,
         t_first_frame = -1;

private:
  void run ();
  std::string locked_copy (const std::string &field);
  std::string http (const char *method, const std::string &url, const char *content_type,
                    const std::string &body, int &status, std::string *location = nullptr);
  static void on_ice_candidate (GstElement *, guint mline, gchar *candidate, gpointer data);
  static void on_pad_added (GstElement *, GstPad *pad, gpointer data);
  static void on_decoded_pad (GstElement *, GstPad *pad, gpointer data);
  static void on_state (GObject *, GParamSpec *pspec, gpointer data);
  static GstPadProbeReturn rtp_probe (GstPad *, GstPadProbeInfo *, gpointer data);
  static GstPadProbeReturn video_probe (GstPad *, GstPadProbeInfo *, gpointer data);
  static GstPadProbeReturn audio_probe (GstPad *, GstPadProbeInfo *, gpointer data);
  gint64 since_start () const { return g_get_monotonic_time () - start_us_; }

  std::string url_;
  Options options_;
  GstElement *pipeline_ = nullptr;
  GstElement *webrtcbin_ = nullptr;
  std::thread worker_;
  gint64 start_us_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<guint> video_frames_{0}, audio_buffers_{0};
  std::atomic<int> width_{0}, height_{0}, http_status_{0}, delete_status_{0};
  std::atomic<bool> answered_{false};

  std::mutex lock_;
  std::vector<std::pair<guint, std::string>> pending_candidates_;
  bool gathering_done_ = false;
  std::string location_, video_codec_;
  std::string ufrag_, pwd_;
  std::vector<std::string> mids_;
};

/* Time to first frame for ingest: a webrtcsubscribe pipeline (WHIP server)
 * and, one after the other, N webrtcpublish WHIP-client pipelines. For
 * each session: WHIP POST received -> first decoded frame leaving
 * webrtcsubscribe, and publisher start -> first decoded frame.
 *
 *   bench-ingest-ttff [--sessions N] [--codec VP8|H264] [--latency MS]
 * Run inside tests/netns-run.sh (bench/run.sh does). */
#include <gst/gst.h>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "rtctestutil.h"
#include "stats.h"

static std::atomic<gint64> t_post{0}, t_frame{0};

static void on_session_created (GstElement *, const gchar *, GstElement *, gpointer)
{
  t_post = g_get_monotonic_time ();
}

static GstPadProbeReturn on_frame (GstPad *, GstPadProbeInfo *, gpointer)
{
  gint64 zero = 0;
  if (t_post != 0)
    t_frame.compare_exchange_strong (zero, g_get_monotonic_time ());
  return GST_PAD_PROBE_OK;
}

int main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  int sessions = 20;
  std::string codec = "VP8";
  int latency = 100;
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp (argv[i], "--sessions"))
      sessions = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--latency"))
      latency = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--codec"))
      codec = argv[++i];
  }
  TestPipeline sub ("webrtcsubscribe name=sub port=0 latency=" + std::to_string (latency) +
                        " sub.video_0 ! fakesink name=out sync=false",
                    "sub");
  if (!sub.port) {
    fprintf (stderr, "subscriber did not start\n");
    return 1;
  }
  g_signal_connect (sub.pub, "session-created", G_CALLBACK (on_session_created), nullptr);
  GstElement *out = gst_bin_get_by_name (GST_BIN (sub.pipeline), "out");
  GstPad *pad = gst_element_get_static_pad (out, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_frame, nullptr, nullptr);
  gst_object_unref (pad);
  gst_object_unref (out);

  std::vector<double> post_to_frame, start_to_frame;
  int failures = 0;
  std::string url = sub.base () + "/whip/live";
  for (int i = 0; i < sessions; i++) {
    t_post = 0;
    t_frame = 0;
    gint64 t0 = g_get_monotonic_time ();
    {
      TestPipeline pub ("videotestsrc is-live=true ! video/x-raw,width=640,height=360,"
                        "framerate=30/1 ! webrtcpublish name=pub codec-preferences=" +
                        codec + " whip-url=" + url);
      if (!wait_until ([&] { return t_frame != 0; }, 20000)) {
        failures++;
      } else {
        post_to_frame.push_back ((t_frame - t_post) / 1000.0);
        start_to_frame.push_back ((t_frame - t0) / 1000.0);
      }
    }
    /* The DELETE frees the name before the next publisher comes. */
    wait_until (
        [&] {
          gboolean c = TRUE;
          g_object_get (sub.pub, "connected", &c, nullptr);
          return !c;
        },
        5000);
  }
  printf ("ingest time to first frame, webrtcpublish (WHIP client) -> webrtcsubscribe "
          "latency=%d, %s 640x360, %d sessions, %d failed\n",
          latency, codec.c_str (), sessions, failures);
  printf ("  WHIP POST -> first decoded frame:       p50 %.1f ms, p95 %.1f ms\n",
          percentile (post_to_frame, 50), percentile (post_to_frame, 95));
  printf ("  publisher start -> first decoded frame: p50 %.1f ms, p95 %.1f ms\n",
          percentile (start_to_frame, 50), percentile (start_to_frame, 95));
  return failures ? 1 : 0;
}

/* Time to first frame through webrtcpublish, in-process: a publisher
 * pipeline and, one after the other, N WHEP sessions of the test viewer
 * (webrtcbin + decodebin). Prints p50/p95 of each step measured from the
 * moment the viewer starts (offer creation; the POST follows at once).
 *
 *   bench-ttff [--sessions N] [--codec VP8|H264]
 * Run inside tests/netns-run.sh with GST_PLUGIN_PATH set (bench/run.sh does). */
#include <gst/gst.h>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "rtctestutil.h"
#include "rtctestviewer.h"
#include "stats.h"

int main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  int sessions = 30;
  std::string codec = "VP8";
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp (argv[i], "--sessions"))
      sessions = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--codec"))
      codec = argv[++i];
  }
  TestPublisher p ("videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! "
                   "webrtcpublish name=pub port=0 codec-preferences=" +
                   codec + ",OPUS audiotestsrc is-live=true ! pub.");
  if (!p.port) {
    fprintf (stderr, "publisher did not start\n");
    return 1;
  }
  const char *names[] = {"answer returned", "ICE connected", "DTLS connected", "first RTP packet",
                         "first decoded frame"};
  std::vector<double> steps[5];
  int failures = 0;
  for (int i = 0; i < sessions; i++) {
    RtcTestViewer::Options o;
    o.video_codecs = {codec};
    RtcTestViewer v (p.whep (), o);
    v.start ();
    if (v.wait_answer () != 201 || !v.wait_video_frames (1, 20000)) {
      failures++;
      v.stop (true);
      continue;
    }
    gint64 t[5] = {v.t_answer, v.t_ice_connected, v.t_dtls_connected, v.t_first_rtp,
                   v.t_first_frame};
    for (int s = 0; s < 5; s++)
      if (t[s] >= 0)
        steps[s].push_back (t[s] / 1000.0);
    v.stop (true);
    wait_until ([&] { return p.viewers () == 0; }, 10000);
  }
  printf ("time to first frame, in-process webrtcbin viewer, %s 640x360@30 + Opus, %d sessions "
          "(%d failed)\n",
          codec.c_str (), sessions, failures);
  printf ("  %-22s %8s %8s %8s %8s\n", "step (ms from start)", "p50", "p95", "min", "max");
  for (int s = 0; s < 5; s++) {
    if (steps[s].empty ())
      continue;
    printf ("  %-22s %8.1f %8.1f %8.1f %8.1f\n", names[s], percentile (steps[s], 50),
            percentile (steps[s], 95), percentile (steps[s], 0), percentile (steps[s], 100));
  }
  return failures == sessions ? 1 : 0;
}

/* N viewers of one WHEP URL that receive without decoding (like the
 * reference measurement in shared/TARGETS.md), for the fan-out benchmark.
 * Prints "receiving N" once every viewer got packets, then stays until
 * killed (SIGTERM/SIGINT), DELETEing every session on the way out.
 *
 *   bench-viewers URL N [CODEC] */
#include <gst/gst.h>
#include <glib-unix.h>
#include <cstdio>
#include <memory>
#include <vector>

#include "rtctestviewer.h"

static gboolean on_signal (gpointer loop)
{
  g_main_loop_quit (static_cast<GMainLoop *> (loop));
  return G_SOURCE_REMOVE;
}

int main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc < 3) {
    fprintf (stderr, "usage: %s URL N [CODEC]\n", argv[0]);
    return 2;
  }
  int n = atoi (argv[2]);
  std::vector<std::unique_ptr<RtcTestViewer>> viewers;
  for (int i = 0; i < n; i++) {
    RtcTestViewer::Options o;
    o.audio = false;
    o.decode = false;
    o.video_codecs = {argc > 3 ? argv[3] : "VP8"};
    viewers.push_back (std::make_unique<RtcTestViewer> (argv[1], o));
    viewers.back ()->start ();
    viewers.back ()->wait_answer ();
  }
  int ok = 0;
  for (auto &v : viewers)
    ok += v->wait_video_frames (30, 30000) ? 1 : 0;
  printf ("receiving %d of %d\n", ok, n);
  fflush (stdout);
  GMainLoop *loop = g_main_loop_new (nullptr, FALSE);
  /* Every second: RTP packets received so far, summed over the viewers. */
  g_timeout_add (
      1000,
      [] (gpointer data) -> gboolean {
        auto list = static_cast<std::vector<std::unique_ptr<RtcTestViewer>> *> (data);
        guint64 total = 0;
        for (auto &v : *list)
          total += v->video_frames ();
        printf ("packets %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n", total,
                g_get_monotonic_time ());
        fflush (stdout);
        return G_SOURCE_CONTINUE;
      },
      &viewers);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_main_loop_run (loop);
  for (auto &v : viewers)
    v->stop (true);
  g_main_loop_unref (loop);
  return ok == n ? 0 : 1;
}

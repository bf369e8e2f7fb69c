/* Bring your own signalling: the two programs around TcpSignaller, a
 * GstRtcSignaller over a plain TCP connection (tcpsignaller.h: the protocol;
 * tcpsignaller.c: the signaller itself).
 *
 *   signaller serve <port> [--frames N] [--timeout S]
 *       webrtcsubscribe answers the offers of the peers that connect, and
 *       counts the video frames and audio buffers it decodes
 *   signaller connect <host:port> [--seconds S]
 *       webrtcpublish sends a test pattern and a tone; it makes the offers
 *
 *   GST_PLUGIN_PATH=build/ext/rtcbridge build/examples/signaller serve 9000
 *   GST_PLUGIN_PATH=build/ext/rtcbridge build/examples/signaller connect 127.0.0.1:9000
 *
 * examples/signaller.py is the same in Python: either program talks to
 * either.
 */
#include <gst/gst.h>
#include <glib-unix.h>

#include "tcpsignaller.h"

typedef struct {
  GMainLoop *loop;
  GstElement *pipeline;
  gboolean publishing;
  gint video_frames; /* atomic: counted on the streaming thread */
  gint audio_buffers;
  gint frames_wanted;
  gint printed_frames;
  gboolean stopping;
  int exit_code;
} App;

static gboolean on_enough_frames (gpointer data)
{
  App *app = data;
  g_print ("decoded %d video frames: done\n", g_atomic_int_get (&app->video_frames));
  app->exit_code = 0;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static void on_video_frame (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  App *app = data;
  gint n = g_atomic_int_add (&app->video_frames, 1) + 1;
  if (n == 1) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    const GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
    gint width = 0, height = 0;
    if (s && gst_structure_get_int (s, "width", &width) &&
        gst_structure_get_int (s, "height", &height))
      g_print ("first video frame: %dx%d\n", width, height);
    if (caps)
      gst_caps_unref (caps);
  }
  if (n == app->frames_wanted)
    g_idle_add (on_enough_frames, app);
}

static void on_audio_buffer (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  App *app = data;
  g_atomic_int_inc (&app->audio_buffers);
}

static gboolean on_tick (gpointer data)
{
  App *app = data;
  gint frames = g_atomic_int_get (&app->video_frames);
  if (frames != app->printed_frames)
    g_print ("video frames %d, audio buffers %d\n", frames, g_atomic_int_get (&app->audio_buffers));
  app->printed_frames = frames;
  return G_SOURCE_CONTINUE;
}

static gboolean on_timeout (gpointer data)
{
  App *app = data;
  g_printerr ("timed out: %d of %d video frames\n", g_atomic_int_get (&app->video_frames),
              app->frames_wanted);
  app->exit_code = 1;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean on_eos_late (gpointer data)
{
  App *app = data;
  g_printerr ("no end of stream in time: stopping anyway\n");
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

/* --seconds, Ctrl-C, SIGTERM. A publisher ends its stream (its sessions end
 * and its signaller says bye); a second signal, or a subscriber, quits. */
static gboolean on_stop (gpointer data)
{
  App *app = data;
  if (!app->publishing || app->stopping) {
    g_main_loop_quit (app->loop);
    return G_SOURCE_CONTINUE;
  }
  app->stopping = TRUE;
  g_print ("stopping\n");
  gst_element_send_event (app->pipeline, gst_event_new_eos ());
  g_timeout_add_seconds (3, on_eos_late, app);
  return G_SOURCE_CONTINUE;
}

static gboolean on_seconds_elapsed (gpointer data)
{
  on_stop (data);
  return G_SOURCE_REMOVE;
}

static gboolean on_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  App *app = data;
  const GstStructure *s = gst_message_get_structure (msg);
  switch (GST_MESSAGE_TYPE (msg)) {
  case GST_MESSAGE_ELEMENT: {
    const gchar *name = gst_structure_get_name (s);
    if (g_str_has_suffix (name, "-client-state"))
      g_print ("signalling: %s (%s)\n", gst_structure_get_string (s, "state"),
               gst_structure_get_string (s, "detail"));
    else if (g_str_equal (name, "webrtcsubscribe-publisher-connected"))
      g_print ("publisher %s connected (%s)\n", gst_structure_get_string (s, "remote-address"),
               gst_structure_get_string (s, "codecs"));
    else if (g_str_equal (name, "webrtcsubscribe-publisher-disconnected"))
      g_print ("publisher %s left: %s\n", gst_structure_get_string (s, "remote-address"),
               gst_structure_get_string (s, "reason"));
    else if (g_str_equal (name, "webrtcpublish-viewer-added"))
      g_print ("streaming to %s (%s)\n", gst_structure_get_string (s, "remote-address"),
               gst_structure_get_string (s, "codecs"));
    else if (g_str_equal (name, "webrtcpublish-viewer-removed"))
      g_print ("stopped streaming to %s: %s\n", gst_structure_get_string (s, "remote-address"),
               gst_structure_get_string (s, "reason"));
    break;
  }
  case GST_MESSAGE_WARNING: {
    GError *err = NULL;
    gst_message_parse_warning (msg, &err, NULL);
    g_printerr ("warning: %s\n", err->message);
    g_error_free (err);
    break;
  }
  case GST_MESSAGE_ERROR: {
    GError *err = NULL;
    gchar *debug = NULL;
    gst_message_parse_error (msg, &err, &debug);
    g_printerr ("error: %s (%s)\n", err->message, debug ? debug : "");
    g_error_free (err);
    g_free (debug);
    app->exit_code = 1;
    g_main_loop_quit (app->loop);
    break;
  }
  case GST_MESSAGE_EOS:
    g_main_loop_quit (app->loop);
    break;
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

int main (int argc, char **argv)
{
  gint frames = 0, timeout = 30, seconds = 0;
  GOptionEntry entries[] = {
      {"frames", 0, 0, G_OPTION_ARG_INT, &frames,
       "serve: exit 0 once N video frames are decoded, 1 after --timeout", "N"},
      {"timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
       "serve: seconds to wait for --frames (default 30)", "S"},
      {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds,
       "connect: stop after S seconds (default: at Ctrl-C)", "S"},
      {NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL},
  };
  GOptionContext *options = g_option_context_new ("serve PORT | connect HOST:PORT");
  g_option_context_set_summary (options, "WebRTC with your own signalling: a GstRtcSignaller "
                                         "over TCP (its protocol: tcpsignaller.h)");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  GError *error = NULL;
  gboolean parsed = g_option_context_parse (options, &argc, &argv, &error);
  guint64 port = 0;
  gboolean serve = parsed && argc == 3 && g_str_equal (argv[1], "serve") &&
                   g_ascii_string_to_unsigned (argv[2], 10, 1, 65535, &port, NULL);
  gboolean connect = parsed && argc == 3 && g_str_equal (argv[1], "connect");
  if ((!serve && !connect) || frames < 0 || timeout <= 0 || seconds < 0) {
    gchar *help = g_option_context_get_help (options, TRUE, NULL);
    if (error)
      g_printerr ("%s\n\n", error->message);
    g_printerr ("%s", help);
    g_free (help);
  }
  g_option_context_free (options);
  g_clear_error (&error);
  if ((!serve && !connect) || frames < 0 || timeout <= 0 || seconds < 0)
    return 2;

  App app = {0};
  app.publishing = connect;
  app.frames_wanted = frames;
  app.pipeline = gst_parse_launch (
      connect ? "videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! "
                "webrtcpublish name=rtc audiotestsrc is-live=true ! rtc."
              : "webrtcsubscribe name=rtc "
                "rtc.video_0 ! fakesink name=video sync=false signal-handoffs=true "
                "rtc.audio_0 ! fakesink name=audio sync=false signal-handoffs=true",
      &error);
  if (!app.pipeline) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  GstRtcSignaller *signaller =
      connect ? tcp_signaller_new_offerer (argv[2]) : tcp_signaller_new_answerer ((guint)port);
  GstElement *rtc = gst_bin_get_by_name (GST_BIN (app.pipeline), "rtc");
  g_object_set (rtc, "signaller", signaller, NULL);
  gst_object_unref (rtc);
  if (serve) {
    GstElement *video = gst_bin_get_by_name (GST_BIN (app.pipeline), "video");
    GstElement *audio = gst_bin_get_by_name (GST_BIN (app.pipeline), "audio");
    g_signal_connect (video, "handoff", G_CALLBACK (on_video_frame), &app);
    g_signal_connect (audio, "handoff", G_CALLBACK (on_audio_buffer), &app);
    gst_object_unref (video);
    gst_object_unref (audio);
  }

  app.loop = g_main_loop_new (NULL, FALSE);
  GstBus *bus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (bus, on_message, &app);
  g_unix_signal_add (SIGINT, on_stop, &app);
  g_unix_signal_add (SIGTERM, on_stop, &app);
  if (serve) {
    g_timeout_add_seconds (2, on_tick, &app);
    if (frames > 0) {
      app.exit_code = 1; /* until the frames are in */
      g_timeout_add_seconds (timeout, on_timeout, &app);
    }
  } else if (seconds > 0) {
    g_timeout_add_seconds (seconds, on_seconds_elapsed, &app);
  }
  if (gst_element_set_state (app.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The error (e.g. the port in use) is on the bus. */
    while (g_main_context_iteration (NULL, FALSE))
      ;
    app.exit_code = 1;
  } else {
    if (serve)
      g_print ("waiting for publishers on port %u\n", (guint)port);
    else
      g_print ("publishing to %s\n", argv[2]);
    g_main_loop_run (app.loop);
  }
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  if (serve)
    g_print ("video frames %d, audio buffers %d\n", g_atomic_int_get (&app.video_frames),
             g_atomic_int_get (&app.audio_buffers));
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (app.pipeline);
  gst_object_unref (signaller);
  g_main_loop_unref (app.loop);
  return app.exit_code;
}

/* Embeds webrtcpublish in an application: publishes a test pattern with
 * audio, prints the viewer page URL, and logs viewers as they come and go.
 *
 *   GST_PLUGIN_PATH=build/ext/rtcbridge build/examples/publish [port]
 */
#include <gst/gst.h>
#include <glib-unix.h>
#include <stdlib.h>

static void on_viewer_created (GstElement *pub, const gchar *id, GstElement *webrtcbin,
                               gpointer data)
{
  /* The element's control thread, before negotiation: customise webrtcbin
   * here (e.g. its ICE transport policy). Do not block. */
  g_print ("viewer %s: negotiating with %s\n", id, GST_ELEMENT_NAME (webrtcbin));
}

static gboolean on_message (GstBus *bus, GstMessage *msg, gpointer loop)
{
  const GstStructure *s = gst_message_get_structure (msg);
  switch (GST_MESSAGE_TYPE (msg)) {
  case GST_MESSAGE_ELEMENT:
    if (gst_structure_has_name (s, "webrtcpublish-listening"))
      g_print ("open %s\n", gst_structure_get_string (s, "url"));
    else if (gst_structure_has_name (s, "webrtcpublish-viewer-added"))
      g_print ("+ viewer %s from %s (%s)\n", gst_structure_get_string (s, "id"),
               gst_structure_get_string (s, "remote-address"),
               gst_structure_get_string (s, "codecs"));
    else if (gst_structure_has_name (s, "webrtcpublish-viewer-removed"))
      g_print ("- viewer %s: %s\n", gst_structure_get_string (s, "id"),
               gst_structure_get_string (s, "reason"));
    break;
  case GST_MESSAGE_WARNING: {
    GError *err = NULL;
    gst_message_parse_warning (msg, &err, NULL);
    g_printerr ("warning: %s\n", err->message);
    g_error_free (err);
    break;
  }
  case GST_MESSAGE_ERROR: {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error: %s\n", err->message);
    g_error_free (err);
    g_main_loop_quit (loop);
    break;
  }
  case GST_MESSAGE_EOS:
    g_main_loop_quit (loop);
    break;
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

int main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  guint port = argc > 1 ? (guint)atoi (argv[1]) : 8080;
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (
      "videotestsrc is-live=true ! video/x-raw,width=1280,height=720,framerate=30/1 ! "
      "webrtcpublish name=pub audiotestsrc is-live=true ! pub.",
      &err);
  if (!pipeline) {
    g_printerr ("%s\n", err->message);
    return 1;
  }
  GstElement *pub = gst_bin_get_by_name (GST_BIN (pipeline), "pub");
  g_object_set (pub, "port", port, NULL);
  g_signal_connect (pub, "viewer-created", G_CALLBACK (on_viewer_created), NULL);

  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  /* Ctrl+C and SIGTERM stop cleanly: viewers are told and the port is freed. */
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_message, loop);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The error message (e.g. port in use) is printed by the bus watch. */
    g_main_context_iteration (NULL, FALSE);
    return 1;
  }
  g_main_loop_run (loop);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pub);
  gst_object_unref (pipeline);
  g_main_loop_unref (loop);
  return 0;
}

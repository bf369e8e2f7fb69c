/* bench-ice-share: can webrtcbins share one ICE agent (issue 13, goal 2)?
 *
 * webrtcbin's construct-only "ice-agent" property takes a GstWebRTCICE. One
 * shared agent (one libnice agent and one main-loop thread for every
 * session) would save a thread per viewer. This makes two webrtcbins with
 * one agent, and for comparison two with their own, lets each make an offer
 * and gather for two seconds, and prints how many local candidates each
 * webrtcbin signalled and the process's thread count. Sharing works when
 * both webrtcbins of the shared pair signal candidates, as in the separate
 * pair. Usage: bench-ice-share (no network needed beyond loopback).
 */
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <cstdio>

#include "rtctestutil.h"

namespace {

void on_candidate (GstElement *, guint, gchar *, gpointer count)
{
  g_atomic_int_inc (static_cast<gint *> (count));
}

/* Two webrtcbins (@type) with one agent (@shared) or their own; returns
 * how many of them signalled candidates. */
int run (GType type, bool shared)
{
  GstObject *agent = nullptr;
  if (shared) {
    GstElement *maker = gst_element_factory_make ("webrtcbin", nullptr);
    g_object_get (maker, "ice-agent", &agent, nullptr);
    gst_object_unref (maker);
  }
  GstElement *pipe = gst_pipeline_new (nullptr);
  GstElement *bins[2];
  gint counts[2] = {0, 0};
  for (int i = 0; i < 2; i++) {
    if (agent)
      gst_object_ref (agent); /* webrtcbin 1.22 stores it without a reference and drops one */
    bins[i] = GST_ELEMENT (
        agent ? g_object_new (type, "ice-agent", agent, "bundle-policy",
                              GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr)
              : g_object_new (type, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr));
    g_signal_connect (bins[i], "on-ice-candidate", G_CALLBACK (on_candidate), &counts[i]);
    GstElement *src = gst_parse_bin_from_description (
        "videotestsrc is-live=true ! vp8enc deadline=1 ! rtpvp8pay ! "
        "application/x-rtp,media=video,encoding-name=VP8,payload=96",
        TRUE, nullptr);
    gst_bin_add_many (GST_BIN (pipe), src, bins[i], nullptr);
    gst_element_link (src, bins[i]);
  }
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_usleep (G_USEC_PER_SEC); /* caps reach webrtcbin */
  for (GstElement *bin : bins) {
    GstPromise *p = gst_promise_new ();
    g_signal_emit_by_name (bin, "create-offer", nullptr, p);
    gst_promise_wait (p);
    GstWebRTCSessionDescription *offer = nullptr;
    if (const GstStructure *r = gst_promise_get_reply (p))
      gst_structure_get (r, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
    gst_promise_unref (p);
    if (!offer)
      continue;
    p = gst_promise_new ();
    g_signal_emit_by_name (bin, "set-local-description", offer, p);
    gst_promise_wait (p);
    gst_promise_unref (p);
    gst_webrtc_session_description_free (offer);
  }
  g_usleep (2 * G_USEC_PER_SEC);
  int with = 0;
  printf ("%s agent: ", shared ? "one shared" : "separate");
  for (int i = 0; i < 2; i++) {
    printf ("webrtcbin %d signalled %d candidates%s", i, g_atomic_int_get (&counts[i]),
            i ? "; " : ", ");
    with += g_atomic_int_get (&counts[i]) > 0;
  }
  printf ("process threads %ld\n", thread_count ());
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  if (agent)
    gst_object_unref (agent);
  return with;
}

} // namespace

int main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  /* The type, for g_object_new: "ice-agent" can only be set at construction. */
  GstElementFactory *found = gst_element_factory_find ("webrtcbin");
  GstPluginFeature *factory =
      found ? gst_plugin_feature_load (GST_PLUGIN_FEATURE (found)) : nullptr;
  if (!factory) {
    fprintf (stderr, "webrtcbin is not installed\n");
    return 1;
  }
  GType type = gst_element_factory_get_element_type (GST_ELEMENT_FACTORY (factory));
  int separate = run (type, false);
  int shared = run (type, true);
  gst_object_unref (factory);
  gst_object_unref (found);
  printf ("verdict: %s\n",
          separate == 2 && shared == 2
              ? "both webrtcbins gathered with one shared agent: sharing is possible"
          : separate == 2 ? "with one shared agent not every webrtcbin gathered (GStreamer's "
                            "GstWebRTCNice takes one stream per session id, and the last "
                            "webrtcbin's candidate callback replaces the others')"
                          : "the separate pair did not gather either: no verdict");
  return 0;
}

/* The rtcbridge plugin: WebRTC for any pipeline. Registration only. */
#include "gstrtcbridgeelements.h"

static gboolean plugin_init (GstPlugin *plugin)
{
  return GST_ELEMENT_REGISTER (webrtcpublish, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtcbridge,
                   "WebRTC publishing with an embedded WHEP server and viewer page", plugin_init,
                   VERSION, "LGPL", "gst-rtcbridge", GST_PACKAGE_ORIGIN)

/* The rtcbridge plugin: WebRTC for any pipeline. Registration only. */
#include "gstrtcbridgeelements.h"
#include "gstrtcgcc.h"

static gboolean plugin_init (GstPlugin *plugin)
{
  gboolean ok = GST_ELEMENT_REGISTER (webrtcpublish, plugin);
  ok |= GST_ELEMENT_REGISTER (webrtcsubscribe, plugin);
  ok |= GST_ELEMENT_REGISTER (rtcgcc, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtcbridge,
                   "WebRTC to and from browsers: publish (WHEP server, WHIP client) and subscribe "
                   "(WHIP server, WHEP client)",
                   plugin_init, VERSION, "LGPL", "gst-rtcbridge", GST_PACKAGE_ORIGIN)

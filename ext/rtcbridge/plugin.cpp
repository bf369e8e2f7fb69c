/* The rtcbridge plugin: WebRTC for any pipeline. Registration only. */
#include <gst/rtcbridge/rtcbridge.h>
#include <initializer_list>

#include "gstrtcbridgeelements.h"
#include "gstrtcgcc.h"
#include "gstrtchttpsignaller.h"
#include "gstrtcjanussignaller.h"
#include "gstrtcroomsignaller.h"

static gboolean plugin_init (GstPlugin *plugin)
{
  gboolean ok = GST_ELEMENT_REGISTER (webrtcpublish, plugin);
  ok |= GST_ELEMENT_REGISTER (webrtcsubscribe, plugin);
  ok |= GST_ELEMENT_REGISTER (webrtcroom, plugin);
  ok |= GST_ELEMENT_REGISTER (rtcgcc, plugin);
  /* Signallers are not elements: applications get them with
   * gst_dynamic_type_factory_load ("GstRtcJanusSignaller"), and the
   * elements' signaller-type property finds them by name. */
  for (GType type : {GST_TYPE_RTC_JANUS_SIGNALLER, GST_TYPE_RTC_LOOPBACK_SIGNALLER,
                     GST_TYPE_RTC_HTTP_SIGNALLER, GST_TYPE_RTC_ROOM_SIGNALLER}) {
    gst_type_mark_as_plugin_api (type, (GstPluginAPIFlags)0);
    ok |= gst_dynamic_type_register (plugin, type);
  }
  return ok;
}

GST_PLUGIN_DEFINE (
    GST_VERSION_MAJOR, GST_VERSION_MINOR, rtcbridge,
    "WebRTC to and from browsers: publish (WHEP server, WHIP client) and subscribe "
    "(WHIP server, WHEP client), multi-party rooms, Janus VideoRoom, in-process loopback",
    plugin_init, VERSION, "LGPL", "gst-rtcbridge", GST_PACKAGE_ORIGIN)

/* The public API of gst-rtcbridge: the signaller interface that
 * webrtcpublish and webrtcsubscribe talk through, the in-process loopback
 * signaller, and the meta on received data-channel messages.
 *
 *   #include <gst/rtcbridge/rtcbridge.h>     pkg-config gstreamer-rtcbridge-1.0
 *   from gi.repository import GstRtc         (GstRtc-1.0.typelib)
 */
#pragma once

#include "gstrtcdatameta.h"
#include "gstrtcloopbacksignaller.h"
#include "gstrtcsignaller.h"

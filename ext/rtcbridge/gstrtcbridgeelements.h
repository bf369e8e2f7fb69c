/* The elements of the rtcbridge plugin. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (webrtcpublish);
GST_ELEMENT_REGISTER_DECLARE (webrtcsubscribe);
GST_ELEMENT_REGISTER_DECLARE (webrtcroom);

G_END_DECLS

/* RtcViewer: one session of webrtcpublish — what it receives and what its
 * link carries.
 *
 * Threading: the element's control thread only.
 */
#pragma once

#include <gst/gst.h>
#include <string>
#include <vector>

#include "rtccodecs.h"
#include "rtcencoderbranch.h"
#include "rtcinputs.h"
#include "rtcptr.h"
#include "rtcsessions.h"

namespace rtc {

/* One m-line of a viewer: which input it carries, as which codec. */
struct MediaUse {
  guint mline = 0;
  Input *input = nullptr;
  const Codec *codec = nullptr; /* nullptr until the answer says (offerer) */
  gint pt = -1;
  guint ssrc = 0;                  /* announced in our description */
  EncoderBranch *branch = nullptr; /* once acquired */
  bool linked = false;
};

struct Viewer : Session {
  std::vector<MediaUse> media;
  /* congestion control */
  bool twcc = false;         /* negotiated with the viewer */
  ObjectPtr<GstElement> gcc; /* its rtcgcc, once webrtcbin asked for it */
  guint estimate = 0;        /* bit/s, from the rtcgcc */
  int rung = 0, wanted_rung = 0;
  gint64 wanted_since_us = 0;

  /* "VP8,OPUS": the codecs agreed, in m-line order. */
  std::string codec_list () const
  {
    std::string list;
    for (auto &u : media)
      if (u.codec)
        list += (list.empty () ? "" : ",") + std::string (u.codec->name);
    return list;
  }

  bool has_audio () const
  {
    for (auto &u : media)
      if (u.codec && u.codec->kind == MediaKind::AUDIO)
        return true;
    return false;
  }
};

} // namespace rtc

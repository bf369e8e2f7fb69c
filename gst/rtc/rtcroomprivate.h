/* RtcRoom's state, shared by its two source files: rtcroom.cpp (sessions,
 * tracks, pads) and rtcroomlayers.cpp (each participant's estimate and the
 * layer of every video track it receives). Control thread only, except
 * where a member says otherwise.
 */
#pragma once

#include <atomic>

#include "rtcaudiolevel.h"
#include "rtcencoderbranch.h"
#include "rtcptr.h"
#include "rtcroom.h"
#include "rtctee.h"

namespace rtc {

/* One payload type per codec in every session of the room: a participant's
 * bundle carries many m-lines of the same codec, which browsers want on the
 * same payload type. */
gint room_fixed_pt (const Codec *codec);

/* An element of @factory (none when @factory is NULL or missing). */
inline GstElement *room_make (const char *factory)
{
  return factory ? gst_element_factory_make (factory, nullptr) : nullptr;
}

/* Adds @chain (a queue first) to @bin, linked in order, in the bin's
 * state; the queue leaks (drops the oldest) past 500 ms, so that a slow
 * branch never holds up the tee it hangs from. */
inline void add_leaky_chain (GstBin *bin, const std::vector<GstElement *> &chain)
{
  set_leaky (chain[0], 500 * GST_MSECOND);
  for (GstElement *e : chain)
    gst_bin_add (bin, e);
  for (size_t i = 0; i + 1 < chain.size (); i++)
    gst_element_link (chain[i], chain[i + 1]);
  for (GstElement *e : chain)
    gst_element_sync_state_with_parent (e);
}

/* What arrives on a participant's receiving m-line: depayloaded once into a
 * tee. It lives as long as the session (the m-line may carry one track after
 * another, and one source after another: rtcroomarrivals.cpp). */
struct Room::Arrival {
  std::string session;
  gint mline = -1;
  const Codec *codec = nullptr;
  GstElement *depay = nullptr, *tee = nullptr; /* children of the element */
  /* webrtcbin's src pad it comes from, and that source's SSRC (0: unknown). */
  std::shared_ptr<GstPad> pad;
  guint32 ssrc = 0;
  std::string track; /* the track it carries now, or "" */
  /* Bytes depayloaded so far (a streaming thread counts them). */
  std::shared_ptr<std::atomic<guint64>> bytes = std::make_shared<std::atomic<guint64>> (0);
  /* Audio: the RFC 6464 levels its packets carry (rtcroomspeaking.cpp). */
  std::shared_ptr<AudioLevelTap> level;
};

/* A forwarded video track's low layer, for the participants whose link
 * cannot take the original: decoded once, scaled down and encoded again.
 *   arrival tee ─▶ queue ─▶ decoder ─▶ tee ─▶ EncoderBranch (scaled, low bitrate) */
struct LowLayer {
  std::vector<GstElement *> chain; /* queue, decoder, tee */
  GstElement *input_tee = nullptr; /* the arrival's */
  GstPad *tee_pad = nullptr;       /* on input_tee */
  std::unique_ptr<EncoderBranch> branch;
  guint users = 0;
  gint64 unused_since_us = 0;
  ~LowLayer ();
};

/* A track of the room: a participant's (forwarded) or the pipeline's
 * (encoded once). */
struct Room::Track {
  std::string id; /* "t<n>", unique in the room */
  /* Its id in the room protocol (msid "<owner>/<public id>"): the mid it
   * arrives on in its owner's session (what the owner announced), or the
   * pipeline's id. */
  std::string public_id;
  std::string label;   /* the pipeline's: its sink pad's name */
  std::string owner;   /* participant id, or "pipeline" */
  std::string session; /* the session it arrives on ("" for the pipeline's) */
  MediaKind kind = MediaKind::VIDEO;
  const Codec *codec = nullptr;
  guint index = 0;                        /* the owner's n-th track of its kind */
  GstElement *tee = nullptr;              /* the depayloaded stream (the arrival's) */
  std::unique_ptr<EncoderBranch> forward; /* a participant's track, parsed once */
  EncoderBranch *branch = nullptr;        /* what the sending m-lines take */
  const Input *input = nullptr;           /* the pipeline's track */
  GstPad *src_pad = nullptr;              /* exposed: a ghost pad of the element */
  GstPad *tee_pad = nullptr;              /* its request pad on tee */
  std::vector<GstElement *> out_chain;    /* queue [parser | decoder] */
  std::shared_ptr<Recorder> recorder;     /* Settings::record_location */
  /* Layers (a participant's video): its rate as it arrives, and the low layer. */
  std::shared_ptr<std::atomic<guint64>> bytes; /* the arrival's counter */
  guint64 last_bytes = 0;
  guint rate = 0; /* bit/s, measured each second */
  std::unique_ptr<LowLayer> low;
  /* Audio mixing: a participant's audio decoded once (queue, decoder, tee)
   * into the room's mixes, instead of forwarded. */
  std::vector<GstElement *> mix_chain;
  GstPad *mix_tee_pad = nullptr; /* its request pad on tee */
};

/* A sending m-line of a participant's session, carrying a track. */
struct Room::Line {
  GstPad *send_line = nullptr; /* webrtcbin's sink pad (owned by the PeerSession) */
  gint pt = -1;
  guint ssrc = 0;
  bool linked = false;
  bool low = false; /* on the track's low layer */
};

struct Room::Participant : Session {
  /* It publishes a track, or receives one (and sends RTCP for it). */
  bool expects_traffic () const override
  {
    if (!lines.empty () || mix_line.send_line)
      return true;
    for (auto &kv : arrivals)
      if (!kv.second->track.empty ())
        return true;
    return false;
  }
  std::map<std::string, Line> lines;                 /* by track id */
  std::map<gint, std::unique_ptr<Arrival>> arrivals; /* by m-line */
  GstBin *bin = nullptr;
  /* Its link (rtcroomlayers.cpp). */
  ObjectPtr<GstElement> gcc; /* its estimator, once webrtcbin asked for it */
  guint estimate = 0;        /* bit/s; 0: none (no TWCC feedback) */
  guint peak = 0;            /* the highest estimate since the last switch */
  gint64 fell_us = 0;        /* when the estimate last fell */
  gint64 switched_us = 0;    /* the last switch of a layer (or the join) */
  gint64 promote_after_us = 0;
  gint64 promoted_us = 0; /* a trial on the high layer under way since */
  guint backoff_s = 8;
  /* Audio mixing: its one received audio line, the mix on it (AudioMix:
   * its own id when it publishes audio, else "") and that mix's encoder. */
  Line mix_line;
  std::string mix_name;
  EncoderBranch *mix_branch = nullptr;
  /* It offered first to a hosting room (WHIP): never offered anything. */
  bool fixed = false;
  ~Participant () override;
};

} // namespace rtc

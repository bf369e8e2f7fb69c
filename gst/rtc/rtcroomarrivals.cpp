/* What participants send. Each stream webrtcbin gives the room (one src pad
 * per source, SSRC) is depayloaded into a tee at once, on the streaming
 * thread, so that the pad never stays unlinked: an unlinked pad's first
 * buffer returns not-linked, which stops the transport's nicesrc and so the
 * whole BUNDLE, every track of the participant. On the control thread the
 * stream becomes its m-line's arrival, or takes the place of the source the
 * arrival had (a new SSRC on the m-line). See rtcroom.h.
 */
#include "rtcroom.h"

#include "rtcroomprivate.h"

#include <cstdio>
#include <gst/webrtc/webrtc.h>

#include "rtcptr.h"
#include "rtcsdp.h"
#include "rtcteardown.h"

GstDebugCategory *rtc_room_category ();
#define GST_CAT_DEFAULT rtc_room_category ()

namespace rtc {

namespace {

void set_if_exists (GstElement *e, const char *property, gboolean value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), property))
    g_object_set (e, property, value, nullptr);
}

/* webrtcbin 1.22 ends a receiving m-line made inactive with an EOS it sends
 * into its own src ghost pad. Once that pad is EOS, a packet still in the
 * m-line's jitterbuffer is refused with EOS; the jitterbuffer passes that
 * back up the bundled transport and its nicesrc stops: every other track of
 * the participant freezes. So the EOS is dropped where webrtcbin sends it
 * (the ghost pad's internal pad); the room ends the track itself. */
GstPadProbeReturn drop_eos (GstPad *, GstPadProbeInfo *info, gpointer)
{
  return GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS ? GST_PAD_PROBE_DROP
                                                                           : GST_PAD_PROBE_OK;
}

/* On a pad whose stream goes nowhere (a source replaced by another): its
 * buffers are dropped rather than refused. */
GstPadProbeReturn drop_buffers (GstPad *, GstPadProbeInfo *, gpointer)
{
  return GST_PAD_PROBE_DROP;
}

constexpr auto BUFFERS =
    GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);

/* The SSRC of webrtcbin's src @pad: its target is rtpbin's
 * recv_rtp_src_<session>_<ssrc>_<pt>. 0 when it cannot tell. */
guint32 pad_ssrc (GstPad *pad)
{
  if (!GST_IS_GHOST_PAD (pad))
    return 0;
  ObjectPtr<GstPad> target (gst_ghost_pad_get_target (GST_GHOST_PAD (pad)));
  guint session = 0, ssrc = 0, pt = 0;
  if (!target ||
      sscanf (GST_PAD_NAME (target.get ()), "recv_rtp_src_%u_%u_%u", &session, &ssrc, &pt) != 3)
    return 0;
  return ssrc;
}

/* The m-line of @pad's transceiver, or -1. */
gint pad_mline (GstPad *pad)
{
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_object_get (pad, "transceiver", &trans, nullptr);
  if (!trans)
    return -1;
  guint m = 0;
  g_object_get (trans, "mlineindex", &m, nullptr);
  gst_object_unref (trans);
  return (gint)m;
}

} // namespace

/* A participant's webrtcbin has new media: depayload it into a tee at once
 * (streaming thread: the pad must not stay unlinked), the rest on the
 * control thread. */
void Room::on_src_pad (const std::string &session, GstPad *pad)
{
  CapsPtr caps (gst_pad_get_current_caps (pad));
  const GstStructure *s = caps ? gst_caps_get_structure (caps.get (), 0) : nullptr;
  const gchar *enc = s ? gst_structure_get_string (s, "encoding-name") : nullptr;
  const Codec *codec = enc ? codec_by_name (enc) : nullptr;
  GstElement *depay = codec ? room_make (codec->depayloader) : nullptr;
  GstElement *tee = room_make ("tee");
  if (!codec || !depay || !tee) {
    for (GstElement *e : {depay, tee})
      if (e)
        gst_object_unref (gst_object_ref_sink (e));
    /* Dropped, not refused: a refusal would stop the whole transport. */
    gst_pad_add_probe (pad, BUFFERS, drop_buffers, nullptr, nullptr);
    GST_ELEMENT_WARNING (element_, STREAM, CODEC_NOT_FOUND,
                         ("Participant %s sends media the room cannot forward (%s)",
                          session.c_str (), enc ? enc : "no caps"),
                         ("caps %" GST_PTR_FORMAT, caps.get ()));
    return;
  }
  if (codec->kind == MediaKind::VIDEO) {
    set_if_exists (depay, "request-keyframe", TRUE);
    set_if_exists (depay, "wait-for-keyframe", TRUE);
  }
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  gst_bin_add_many (GST_BIN (element_), depay, tee, nullptr);
  gst_element_link (depay, tee);
  gst_element_sync_state_with_parent (tee);
  gst_element_sync_state_with_parent (depay);
  ObjectPtr<GstPad> sink (gst_element_get_static_pad (depay, "sink"));
  GstPad *eos_at = GST_IS_PROXY_PAD (pad)
                       ? GST_PAD (gst_proxy_pad_get_internal (GST_PROXY_PAD (pad)))
                       : GST_PAD (gst_object_ref (pad));
  if (eos_at) {
    gst_pad_add_probe (eos_at, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, drop_eos, nullptr, nullptr);
    gst_object_unref (eos_at);
  }
  if (gst_pad_link (pad, sink.get ()) != GST_PAD_LINK_OK) {
    gst_pad_add_probe (pad, BUFFERS, drop_buffers, nullptr, nullptr);
    GST_ELEMENT_WARNING (element_, CORE, NEGOTIATION,
                         ("Could not link %s from participant %s", enc, session.c_str ()),
                         (nullptr));
  }
  auto a = std::make_unique<Arrival> ();
  ObjectPtr<GstPad> depay_src (gst_element_get_static_pad (depay, "src"));
  gst_pad_add_probe (
      depay_src.get (), GST_PAD_PROBE_TYPE_BUFFER,
      [] (GstPad *, GstPadProbeInfo *info, gpointer data) {
        **static_cast<std::shared_ptr<std::atomic<guint64>> *> (data) +=
            gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
        return GST_PAD_PROBE_OK;
      },
      new std::shared_ptr<std::atomic<guint64>> (a->bytes),
      [] (gpointer d) { delete static_cast<std::shared_ptr<std::atomic<guint64>> *> (d); });
  /* A forwarding host reads who speaks from the packets' RFC 6464 levels
   * (a mixing room measures the decoded audio). */
  if (codec->kind == MediaKind::AUDIO) {
    Settings s = settings ();
    if (!s.audio_mix && !s.client)
      a->level = AudioLevelTap::attach (sink.get ());
  }
  a->session = session;
  a->mline = pad_mline (pad);
  a->ssrc = pad_ssrc (pad);
  a->pad.reset (GST_PAD (gst_object_ref (pad)), [] (GstPad *p) { gst_object_unref (p); });
  a->codec = codec;
  a->depay = depay;
  a->tee = tee;
  auto shared = std::make_shared<std::unique_ptr<Arrival>> (std::move (a));
  control_.post ([this, shared] () { take_arrival (std::move (*shared)); });
}

/* Control thread: @a is its m-line's first source, or the next one. */
void Room::take_arrival (std::unique_ptr<Arrival> a)
{
  auto p = static_cast<Participant *> (sessions_.find (a->session));
  if (!p) {
    dispose_elements (GST_BIN (element_), {a->depay, a->tee});
    return;
  }
  /* webrtcbin 1.22 forgets which m-line an SSRC is when rtpbin times the
   * source out (seen right after a screen share's first packets: "sender
   * timeout", then "Could not find ssrc") and gives the stream to m-line
   * 0's transceiver; the participant's description still says. */
  gint listed = a->ssrc ? sdp_mline_for_ssrc (p->peer->remote_sdp (), a->ssrc) : -1;
  if (listed >= 0 && listed != a->mline) {
    GST_INFO_OBJECT (element_,
                     "participant %s: source %u is m-line %d's (webrtcbin gave it m-line %d's "
                     "transceiver)",
                     a->session.c_str (), a->ssrc, listed, a->mline);
    a->mline = listed;
  }
  auto it = p->arrivals.find (a->mline);
  if (it != p->arrivals.end ()) {
    replace_source (*p, *it->second, std::move (a));
    return;
  }
  Arrival &arrival = *a;
  gint mline = a->mline;
  p->arrivals[mline] = std::move (a);
  add_track (arrival);
  if (arrival.level)
    start_speaking ();
}

/* A new source on an m-line that had one (the peer sends a new SSRC, e.g.
 * a track restarted on a reused m-line): the old source's pad drops what
 * it still gets, the new one takes its place. Same codec: the new pad moves
 * onto the arrival's depayloader and the track goes on. Another codec: the
 * arrival's track ends and the new stream is the m-line's arrival. */
void Room::replace_source (Participant &p, Arrival &arrival, std::unique_ptr<Arrival> fresh)
{
  GST_INFO_OBJECT (element_, "participant %s: m-line %d now arrives from source %u (was %u)",
                   p.id.c_str (), arrival.mline, fresh->ssrc, arrival.ssrc);
  if (arrival.pad)
    gst_pad_add_probe (arrival.pad.get (), BUFFERS, drop_buffers, nullptr, nullptr);
  if (fresh->codec != arrival.codec) {
    if (!arrival.track.empty ()) {
      std::string id = arrival.track;
      arrival.track.clear ();
      remove_track (id);
    }
    dispose_elements (GST_BIN (element_), {arrival.depay, arrival.tee});
    Arrival &next = *fresh;
    gint mline = fresh->mline;
    p.arrivals[mline] = std::move (fresh);
    add_track (next);
    return;
  }
  ObjectPtr<GstPad> old_sink (gst_element_get_static_pad (arrival.depay, "sink"));
  ObjectPtr<GstPad> new_sink (gst_element_get_static_pad (fresh->depay, "sink"));
  GstPad *pad = fresh->pad.get ();
  /* The new pad's buffers are dropped while it moves. */
  gulong hold = gst_pad_add_probe (pad, BUFFERS, drop_buffers, nullptr, nullptr);
  gst_pad_unlink (pad, new_sink.get ());
  if (arrival.pad)
    gst_pad_unlink (arrival.pad.get (), old_sink.get ());
  if (gst_pad_link (pad, old_sink.get ()) != GST_PAD_LINK_OK) {
    GST_ELEMENT_WARNING (
        element_, CORE, NEGOTIATION,
        ("Could not take participant %s's new source %u", p.id.c_str (), fresh->ssrc), (nullptr));
    hold = 0; /* stays: the new source is dropped */
  }
  if (hold)
    gst_pad_remove_probe (pad, hold);
  dispose_elements (GST_BIN (element_), {fresh->depay, fresh->tee});
  arrival.pad = fresh->pad;
  arrival.ssrc = fresh->ssrc;
}

} // namespace rtc

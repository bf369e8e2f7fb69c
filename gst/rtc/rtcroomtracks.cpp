/* The room's tracks as the element's pads (expose (): queue, parser or
 * decoder, a ghost pad participant_<id>_<kind>_<n>), and their end
 * (remove_track (): the sending m-lines go inactive, EOS on the pad, then
 * the pad goes in finish_removal ()), and the recordings' end. See
 * rtcroom.h; control thread. */
#include "rtcroom.h"

#include "rtcroomprivate.h"

#include "rtcencoderbranch.h"
#include "rtcptr.h"
#include "rtcteardown.h"
#include "rtctee.h"

GstDebugCategory *rtc_room_category ();
#define GST_CAT_DEFAULT rtc_room_category ()

namespace rtc {

namespace {

/* Media for a pad the application did not link is dropped. */
GstPadProbeReturn drop_if_unlinked (GstPad *, GstPadProbeInfo *, gpointer data)
{
  return gst_pad_is_linked (GST_PAD (data)) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

} // namespace

void Room::remove_track (const std::string &track_id)
{
  auto it = tracks_.find (track_id);
  if (it == tracks_.end ())
    return;
  std::unique_ptr<Track> t = std::move (it->second);
  tracks_.erase (it);
  for (auto &kv : sessions_.all ()) {
    auto &p = static_cast<Participant &> (*kv.second);
    auto line = p.lines.find (track_id);
    if (line == p.lines.end ())
      continue;
    if (line->second.linked)
      p.peer->unlink_pad (line->second.send_line);
    p.peer->set_inactive (line->second.send_line);
    p.lines.erase (line);
    sessions_.renegotiate (kv.first);
  }
  for (auto &kv : sessions_.all ())
    for (auto &a : static_cast<Participant &> (*kv.second).arrivals)
      if (a.second->track == track_id)
        a.second->track.clear ();
  if (t->recorder)
    finish_recording (std::move (t->recorder));
  /* Nothing more from the arrival; the exposed pad ends with EOS. */
  if (t->tee_pad) {
    gst_element_release_request_pad (t->tee, t->tee_pad);
    gst_object_unref (t->tee_pad);
    t->tee_pad = nullptr;
  }
  mix_remove_track (*t);
  t->low.reset ();
  t->forward.reset ();
  if (t->input)
    pool_.release (t->branch);
  t->branch = nullptr;
  if (!t->src_pad)
    return;
  guint64 serial = ++next_retired_;
  ObjectPtr<GstPad> queue_sink (gst_element_get_static_pad (t->out_chain[0], "sink"));
  ObjectPtr<GstPad> last (gst_element_get_static_pad (t->out_chain.back (), "src"));
  retired_[serial] = std::move (t);
  /* Once the EOS reached the last element's src pad, the pad goes
   * (finish_removal () waits for that push to complete). */
  struct Ctx {
    std::weak_ptr<Room *> room;
    guint64 serial;
  };
  gst_pad_add_probe (
      last.get (), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      [] (GstPad *, GstPadProbeInfo *info, gpointer data) {
        if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
          return GST_PAD_PROBE_OK;
        auto ctx = static_cast<Ctx *> (data);
        if (auto room = ctx->room.lock ()) {
          Room *self = *room;
          guint64 serial = ctx->serial;
          self->control_.post ([self, serial] () { self->finish_removal (serial); });
        }
        return GST_PAD_PROBE_REMOVE;
      },
      new Ctx{alive_, serial}, [] (gpointer data) { delete static_cast<Ctx *> (data); });
  GST_DEBUG_OBJECT (element_, "track %s: EOS on its pad", retired_[serial]->id.c_str ());
  gst_pad_send_event (queue_sink.get (), gst_event_new_eos ());
  /* A downstream that never takes the EOS does not keep the pad. */
  control_.after (3000, [this, serial] () { finish_removal (serial); });
}

/* The file is finished in the background; the recorder goes when it is. */
void Room::finish_recording (std::shared_ptr<Recorder> recorder)
{
  guint64 serial = ++next_retired_;
  finishing_[serial] = recorder;
  std::string location = recorder->location ();
  auto done = [this, serial, location] () {
    post ("-recording", gst_structure_new ("x", "location", G_TYPE_STRING, location.c_str (),
                                           "state", G_TYPE_STRING, "finished", nullptr));
    control_.post ([this, serial] () { finishing_.erase (serial); });
  };
  recorder->finish (done);
  control_.after (10000, [this, serial] () {
    auto it = finishing_.find (serial);
    if (it == finishing_.end ())
      return;
    GST_ELEMENT_WARNING (element_, RESOURCE, CLOSE,
                         ("Recording %s was not finished in time; it may lack its index",
                          it->second->location ().c_str ()),
                         (nullptr));
    it->second->abandon ();
  });
}

void Room::finish_recordings (guint timeout_ms)
{
  std::vector<std::shared_ptr<Recorder>> waiting;
  control_.post_sync ([this, &waiting] () {
    for (auto &kv : tracks_)
      if (kv.second->recorder)
        finish_recording (std::move (kv.second->recorder));
    for (auto &kv : finishing_)
      waiting.push_back (kv.second);
  });
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  for (auto &r : waiting) {
    gint64 left = (end - g_get_monotonic_time ()) / 1000;
    if (left <= 0 || !r->wait_finished ((guint)left))
      GST_WARNING_OBJECT (element_, "recording %s not finished", r->location ().c_str ());
  }
}

void Room::finish_removal (guint64 serial, bool now)
{
  auto it = retired_.find (serial);
  if (it == retired_.end ())
    return;
  std::unique_ptr<Track> t = std::move (it->second);
  retired_.erase (it);
  std::string name = GST_PAD_NAME (t->src_pad);
  /* The EOS push under way completes first (an application reacting to
   * pad-removed has seen the EOS): it holds the last element's stream locks. */
  GstElement *last = t->out_chain.back ();
  bool held = false;
  for (const char *which : {"sink", "src"}) {
    ObjectPtr<GstPad> pad (gst_element_get_static_pad (last, which));
    gint64 end = g_get_monotonic_time () + (now ? 0 : 2 * G_USEC_PER_SEC);
    bool locked = false;
    while (pad && !(locked = GST_PAD_STREAM_TRYLOCK (pad.get ())) && g_get_monotonic_time () < end)
      g_usleep (5000);
    if (locked)
      GST_PAD_STREAM_UNLOCK (pad.get ());
    held = held || (pad && !locked);
  }
  /* Still held, or the element stops: a PAUSED sink downstream keeps (or
   * is about to keep) the streaming thread in its preroll, and deactivating
   * the pad would wait for that thread forever. The pad goes anyway:
   * flushing lets the thread go. */
  if (held || now) {
    GST_DEBUG_OBJECT (element_, "track %s: pad %s flushed", t->id.c_str (), name.c_str ());
    gst_pad_push_event (t->src_pad, gst_event_new_flush_start ());
  }
  GST_DEBUG_OBJECT (element_, "track %s: pad %s removed", t->id.c_str (), name.c_str ());
  gst_pad_set_active (t->src_pad, FALSE);
  gst_element_remove_pad (element_, t->src_pad);
  dispose_elements (GST_BIN (element_), t->out_chain);
  post ("-track-removed", gst_structure_new ("x", "participant", G_TYPE_STRING, t->owner.c_str (),
                                             "pad", G_TYPE_STRING, name.c_str (), nullptr));
}

/* A participant's track as a src pad of the element:
 * participant_<id>_<kind>_<n>, decoded or parsed. */
void Room::expose (Track &t, const std::string &owner_name)
{
  Settings s = settings ();
  std::vector<GstElement *> chain = {room_make ("queue")};
  if (s.decode) {
    auto dec = s.decoders.find (t.codec);
    GstElement *d = room_make (dec == s.decoders.end () ? nullptr : dec->second.c_str ());
    if (d && g_str_equal (t.codec->name, "H264"))
      chain.push_back (own_buffers (room_make ("h264parse")));
    chain.push_back (d);
  } else if (t.codec->parser) {
    chain.push_back (own_buffers (room_make (t.codec->parser)));
  }
  if (std::find (chain.begin (), chain.end (), nullptr) != chain.end ()) {
    for (GstElement *e : chain)
      if (e)
        gst_object_unref (gst_object_ref_sink (e));
    GST_ELEMENT_WARNING (element_, CORE, MISSING_PLUGIN,
                         ("Cannot %s %s of participant %s: an element is missing",
                          s.decode ? "decode" : "parse", t.codec->name, t.owner.c_str ()),
                         ("install gstreamer1.0-plugins-good/-bad/-libav"));
    return;
  }
  /* A recording or an analysis must not hold the forwarding up. */
  add_leaky_chain (GST_BIN (element_), chain);
  std::string name =
      "participant_" + t.owner + "_" + media_kind_name (t.kind) + "_" + std::to_string (t.index);
  /* A participant that came back at once (a resume) gets its pad names
   * again: a pad of that name still draining its EOS goes first. */
  for (auto &kv : retired_)
    if (kv.second->src_pad && name == GST_PAD_NAME (kv.second->src_pad)) {
      finish_removal (kv.first);
      break;
    }
  GstPadTemplate *templ = gst_element_class_get_pad_template (
      GST_ELEMENT_GET_CLASS (element_),
      t.kind == MediaKind::VIDEO ? "participant_%s_video_%u" : "participant_%s_audio_%u");
  ObjectPtr<GstPad> last (gst_element_get_static_pad (chain.back (), "src"));
  GstPad *ghost = gst_ghost_pad_new_from_template (name.c_str (), last.get (), templ);
  /* Dropped before the decoder while nothing takes the pad (a gst-launch
   * line that links no participant decodes nothing); once linked, the
   * decoder starts from a keyframe. */
  ObjectPtr<GstPad> queued (gst_element_get_static_pad (chain[0], "src"));
  /* The probe holds the ghost pad: the queue's thread may still run it
   * after the pad left the element (finish_removal () after a timeout, or
   * a flush), and the pad must not be freed under it. */
  gst_pad_add_probe (queued.get (),
                     GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     drop_if_unlinked, gst_object_ref (ghost), gst_object_unref);
  if (t.kind == MediaKind::VIDEO) {
    struct Ctx {
      std::weak_ptr<Room *> room;
      std::string track;
    };
    g_signal_connect_data (
        ghost, "linked", G_CALLBACK (+[] (GstPad *, GstPad *, gpointer data) {
          auto ctx = static_cast<Ctx *> (data);
          if (auto room = ctx->room.lock ()) {
            Room *self = *room;
            std::string id = ctx->track;
            self->control_.post ([self, id] () {
              auto it = self->tracks_.find (id);
              if (it != self->tracks_.end () && it->second->forward)
                it->second->forward->request_keyframe ();
            });
          }
        }),
        new Ctx{alive_, t.id}, [] (gpointer data, GClosure *) { delete static_cast<Ctx *> (data); },
        GConnectFlags (0));
  }
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element_, ghost);
  t.src_pad = ghost;
  t.out_chain = chain;
  ObjectPtr<GstPad> queue_sink (gst_element_get_static_pad (chain[0], "sink"));
  t.tee_pad = link_tee_branch (t.tee, queue_sink.get ());
  post ("-track-added",
        gst_structure_new ("x", "participant", G_TYPE_STRING, t.owner.c_str (), "name",
                           G_TYPE_STRING, owner_name.c_str (), "pad", G_TYPE_STRING, name.c_str (),
                           "kind", G_TYPE_STRING, media_kind_name (t.kind), "codec", G_TYPE_STRING,
                           t.codec->name, nullptr));
  if (t.kind == MediaKind::VIDEO && t.forward)
    t.forward->request_keyframe ();
}

} // namespace rtc

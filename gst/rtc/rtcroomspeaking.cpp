/* Who speaks in a room, and everyone's level (rtcroom.h: on_speaking,
 * on_levels; the "-speaking", "-active-speaker" and "-levels" messages).
 * The levels come from what the room mixes (audio-mode=mix: measured on
 * each source's decoded audio, whatever sent it), or, in a forwarding
 * room that decodes nothing, from the RFC 6464 audio-level header
 * extension the senders put on their packets (rtcaudiolevel.h: browsers
 * do, once the room's description offers it); a sender without it has no
 * level there.
 *
 * Threading: the control thread, like the rest of the room.
 */
#include "rtcroomprivate.h"

#include <algorithm>
#include <cmath>

GstDebugCategory *rtc_room_category ();
#define GST_CAT_DEFAULT rtc_room_category ()

namespace rtc {

/* Every 100 ms from now until stop_speaking () (or the room goes). */
void Room::start_speaking ()
{
  if (speaking_on_)
    return;
  speaking_on_ = true;
  guint generation = ++speaking_generation_;
  std::weak_ptr<Room *> alive = alive_;
  control_.every (100, [alive, generation] () {
    auto room = alive.lock ();
    if (!room || (*room)->speaking_generation_ != generation)
      return false;
    (*room)->measure_speaking ();
    return true;
  });
}

void Room::stop_speaking ()
{
  speaking_on_ = false;
  ++speaking_generation_;
  speakers_.clear ();
  active_speaker_.clear ();
}

/* Each owner's loudest level since the last call: the mix's measurements
 * when the room mixes; else the audio-level extension of the audio each
 * participant sends (owners whose packets never carried it are left out). */
std::map<std::string, double> Room::take_levels ()
{
  std::map<std::string, double> levels;
  if (mix_) {
    for (const std::string &owner : mix_->owners ())
      levels[owner] = mix_->take_level (owner);
    return levels;
  }
  for (auto &kv : sessions_.all ()) {
    auto &p = static_cast<Participant &> (*kv.second);
    for (auto &a : p.arrivals) {
      if (!a.second->level || !a.second->level->seen () || a.second->track.empty ())
        continue;
      double l = a.second->level->take ();
      auto it = levels.find (p.id);
      levels[p.id] = it == levels.end () ? l : std::max (it->second, l);
    }
  }
  return levels;
}

/* Each 100 ms: each owner's loudest level since the last time; speaking
 * starts at Settings::speaking_db and ends after speaking_hold_ms under
 * it; the active speaker is the loudest of those speaking, kept until
 * another one speaks louder or it stops while another speaks. */
void Room::measure_speaking ()
{
  Settings s = settings ();
  gint64 now = g_get_monotonic_time ();
  std::map<std::string, double> levels = take_levels ();
  for (auto it = speakers_.begin (); it != speakers_.end ();) {
    bool gone = levels.count (it->first) == 0;
    if (gone && it->second.speaking)
      post ("-speaking", gst_structure_new ("x", "participant", G_TYPE_STRING, it->first.c_str (),
                                            "speaking", G_TYPE_BOOLEAN, FALSE, "level",
                                            G_TYPE_DOUBLE, AudioMix::SILENCE_DB, nullptr));
    it = gone ? speakers_.erase (it) : std::next (it);
  }
  std::string loudest;
  std::vector<std::string> changed;
  for (auto &kv : levels) {
    const std::string &owner = kv.first;
    Speaker &sp = speakers_[owner];
    sp.level = kv.second;
    sp.loudest = std::max (sp.loudest, sp.level);
    bool loud = sp.level >= s.speaking_db;
    if (loud)
      sp.quiet_since_us = 0;
    else if (!sp.quiet_since_us)
      sp.quiet_since_us = now;
    bool speaking =
        loud || (sp.speaking && now - sp.quiet_since_us < (gint64)s.speaking_hold_ms * 1000);
    if (speaking != sp.speaking) {
      sp.speaking = speaking;
      post ("-speaking", gst_structure_new ("x", "participant", G_TYPE_STRING, owner.c_str (),
                                            "speaking", G_TYPE_BOOLEAN, speaking, "level",
                                            G_TYPE_DOUBLE, sp.level, nullptr));
      changed.push_back (owner);
    }
    if (speaking && (loudest.empty () || sp.level > speakers_[loudest].level))
      loudest = owner;
  }
  auto active = speakers_.find (active_speaker_);
  bool keep = active != speakers_.end () && active->second.speaking &&
              (loudest.empty () || active->second.level + 6 >= speakers_[loudest].level);
  if (!loudest.empty () && !keep && loudest != active_speaker_) {
    active_speaker_ = loudest;
    post ("-active-speaker",
          gst_structure_new ("x", "participant", G_TYPE_STRING, loudest.c_str (), nullptr));
    if (std::find (changed.begin (), changed.end (), loudest) == changed.end ())
      changed.push_back (loudest);
  }
  if (on_speaking)
    for (const std::string &owner : changed) {
      const Speaker &sp = speakers_[owner];
      on_speaking (owner, sp.speaking, sp.level, owner == active_speaker_);
    }
  if (++level_ticks_ % 3 == 0)
    tell_levels ();
}

/* Continuous levels (a meter per participant on the pages): every third
 * measurement, the loudest of the three (a 100 ms measurement may see no
 * buffer of a source that arrives in bursts), when one moved by 2 dB or
 * more or sources came or went. */
void Room::tell_levels ()
{
  bool moved = speakers_.size () != levels_told_;
  for (auto &kv : speakers_)
    moved = moved || std::abs ((gint)std::lround (kv.second.loudest) - kv.second.sent) >= 2;
  if (!moved) {
    for (auto &kv : speakers_)
      kv.second.loudest = AudioMix::SILENCE_DB;
    return;
  }
  levels_told_ = speakers_.size ();
  std::vector<std::pair<std::string, gint>> levels;
  GstStructure *s = gst_structure_new_empty ("x");
  for (auto &kv : speakers_) {
    kv.second.sent = (gint)std::lround (kv.second.loudest);
    kv.second.loudest = AudioMix::SILENCE_DB;
    levels.emplace_back (kv.first, kv.second.sent);
    gst_structure_set (s, kv.first.c_str (), G_TYPE_INT, kv.second.sent, nullptr);
  }
  post ("-levels", s);
  if (on_levels)
    on_levels (levels);
}

} // namespace rtc

/* webrtcroom audio-mode=mix, as a user runs it: a room hosted by one
 * pipeline, participants that are other pipelines joining with room-url,
 * each sending a tone (440, 660, 990 Hz). Measured on the audio each one
 * receives (Goertzel power of the decoded stream):
 *
 *  - each participant receives one audio track from the room (the mix,
 *    its pad named after the owner "room") with the two other tones and
 *    its own at least 20 dB under them;
 *  - a listen-only participant hears all three; the host's "mix" src pad
 *    carries all three;
 *  - mixes are shared: three talkers and one listener run four encoders
 *    (the webrtcroom-mix messages say so), not one per listener;
 *  - speaking events (webrtcroom-speaking, -active-speaker) and the levels
 *    (webrtcroom-levels) follow who sends a tone and who falls silent;
 *  - the host mutes a participant (set-audio-muted): nobody hears it,
 *    it stops speaking; unmuted, it is heard again;
 *  - per-listener volume (set-audio-volume): one listener turns another
 *    down or off, the others hear it as before; a listen-only participant
 *    with its own volumes gets a mix (and an encoder) of its own;
 *  - a talker that leaves is no longer heard, the others still are.
 */
#include <gst/check/gstcheck.h>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include "rtctestaudio.h"
#include "rtctesthttp.h"
#include "rtctestsocket.h"
#include "rtctestroom.h"
#include "rtctestroommembers.h"
#include "rtctestroompipelines.h"
#include "rtctestutil.h"

namespace {

const double TONES[] = {440, 660, 990};
const char *const NAMES[] = {"low", "mid", "high"};

/* The first channel of the S16 audio that passes a pad. */
struct AudioTap : SampleLog {
  gint channels = 0;
  bool s16 = false;
  /* Under lock: where the last buffer ended, the longest gap in time
   * between two buffers since restart (). */
  GstClockTime end = GST_CLOCK_TIME_NONE;
  GstClockTime longest_gap = 0;

  void restart ()
  {
    std::lock_guard<std::mutex> g (lock);
    samples.clear ();
    end = GST_CLOCK_TIME_NONE;
    longest_gap = 0;
  }
  GstClockTime gap ()
  {
    std::lock_guard<std::mutex> g (lock);
    return longest_gap;
  }

  static GstPadProbeReturn on_data (GstPad *, GstPadProbeInfo *info, gpointer data)
  {
    auto self = static_cast<std::shared_ptr<AudioTap> *> (data)->get ();
    std::lock_guard<std::mutex> g (self->lock);
    if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
      GstEvent *e = GST_PAD_PROBE_INFO_EVENT (info);
      if (GST_EVENT_TYPE (e) == GST_EVENT_CAPS) {
        GstCaps *caps = nullptr;
        gst_event_parse_caps (e, &caps);
        self->take_caps (caps);
      }
      return GST_PAD_PROBE_OK;
    }
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime pts = GST_BUFFER_PTS (buf);
    if (GST_CLOCK_TIME_IS_VALID (pts)) {
      if (GST_CLOCK_TIME_IS_VALID (self->end) && pts > self->end)
        self->longest_gap = MAX (self->longest_gap, pts - self->end);
      if (GST_BUFFER_DURATION_IS_VALID (buf))
        self->end = pts + GST_BUFFER_DURATION (buf);
    }
    GstMapInfo map;
    if (!self->s16 || self->channels < 1 || !gst_buffer_map (buf, &map, GST_MAP_READ))
      return GST_PAD_PROBE_OK;
    const gint16 *s = reinterpret_cast<const gint16 *> (map.data);
    size_t frames = map.size / sizeof (gint16) / self->channels;
    for (size_t i = 0; i < frames; i++)
      self->samples.push_back (s[i * self->channels] / 32768.0f);
    gst_buffer_unmap (buf, &map);
    return GST_PAD_PROBE_OK;
  }
  /* The probe holds @self: the tap outlives the pad's last buffer. */
  static void attach (const std::shared_ptr<AudioTap> &self, GstElement *element,
                      const std::string &pad)
  {
    GstPad *p = gst_element_get_static_pad (element, pad.c_str ());
    fail_unless (p != nullptr, "no pad %s", pad.c_str ());
    gst_pad_add_probe (
        p, GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
        on_data, new std::shared_ptr<AudioTap> (self),
        [] (gpointer d) { delete static_cast<std::shared_ptr<AudioTap> *> (d); });
    self->read_caps (p);
    gst_object_unref (p);
  }
  /* Under lock. */
  void take_caps (const GstCaps *caps)
  {
    const GstStructure *s = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (s, "channels", &channels);
    gst_structure_get_int (s, "rate", &rate);
    s16 = g_strcmp0 (gst_structure_get_string (s, "format"), "S16LE") == 0;
  }
  void read_caps (GstPad *p)
  {
    /* The caps are sent already: read them off the pad. */
    GstCaps *caps = gst_pad_get_current_caps (p);
    if (caps) {
      std::lock_guard<std::mutex> g (lock);
      take_caps (caps);
      gst_caps_unref (caps);
    }
  }
};

/* A tone into the room, nothing else. */
std::string tone (int i)
{
  return "audiotestsrc name=tone is-live=true volume=0.3 freq=" + std::to_string ((int)TONES[i]) +
         " ! room.audio_0 ";
}

/* Taps @outs' pad @name once it carries @n buffers; 1 s of audio later
 * (48000 samples), true. */
std::shared_ptr<AudioTap> tap_when_flowing (RoomOutputs &outs, GstElement *room,
                                            const std::string &name)
{
  if (!wait_frames (outs, name, 25))
    return nullptr;
  auto tap = std::make_shared<AudioTap> ();
  AudioTap::attach (tap, room, name);
  wait_until ([&] () { return tap->size () >= 48000; }, 30000);
  return tap->size () >= 48000 ? tap : nullptr;
}

/* @tap has every tone of @heard at least 20 dB over every tone of @not_heard. */
void check_tones (AudioTap &tap, const std::string &who, const std::vector<int> &heard,
                  const std::vector<int> &not_heard)
{
  for (int h : heard)
    for (int n : not_heard) {
      double ph = tap.power_db (TONES[h], 48000), pn = tap.power_db (TONES[n], 48000);
      GST_INFO ("%s: %.0f Hz at %.1f dB, %.0f Hz at %.1f dB", who.c_str (), TONES[h], ph, TONES[n],
                pn);
      fail_unless (ph - pn >= 20,
                   "%s: %.0f Hz at %.1f dB, %.0f Hz (should not be heard) at %.1f dB", who.c_str (),
                   TONES[h], ph, TONES[n], pn);
    }
}

/* @tap has every tone, each at least 20 dB over a frequency nobody sends. */
void check_all (AudioTap &tap, const std::string &who)
{
  tap.clear ();
  wait_until ([&] () { return tap.size () >= 48000; }, 30000);
  double none = tap.power_db (1320, 48000);
  for (double f : TONES) {
    double p = tap.power_db (f, 48000);
    GST_INFO ("%s: %.0f Hz at %.1f dB, 1320 Hz at %.1f dB", who.c_str (), f, p, none);
    fail_unless (p - none >= 20, "%s: %.0f Hz at %.1f dB, 1320 Hz (nobody) at %.1f dB",
                 who.c_str (), f, p, none);
  }
}

/* How many webrtcroom-speaking messages of the host say @id is (not) speaking. */
guint speaking (TestPipeline &p, const std::string &id, bool value)
{
  p.find (GST_MESSAGE_ELEMENT); /* drains the bus */
  guint n = 0;
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    gboolean v = FALSE;
    if (s && gst_structure_has_name (s, "webrtcroom-speaking") &&
        g_strcmp0 (gst_structure_get_string (s, "participant"), id.c_str ()) == 0 &&
        gst_structure_get_boolean (s, "speaking", &v) && (bool)v == value)
      n++;
  }
  return n;
}

/* The participant of the host's last webrtcroom-active-speaker message. */
std::string active_speaker (TestPipeline &p)
{
  p.find (GST_MESSAGE_ELEMENT);
  std::string id;
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    if (s && gst_structure_has_name (s, "webrtcroom-active-speaker"))
      id = gst_structure_get_string (s, "participant");
  }
  return id;
}

void set_volume (Member &m, double volume)
{
  GstElement *tone = gst_bin_get_by_name (GST_BIN (m.p->pipeline), "tone");
  fail_unless (tone != nullptr);
  g_object_set (tone, "volume", volume, nullptr);
  gst_object_unref (tone);
}

/* @id's level in the host's last webrtcroom-levels message (1: none). */
int last_level (TestPipeline &p, const std::string &id)
{
  p.find (GST_MESSAGE_ELEMENT); /* drains the bus */
  int level = 1;
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    if (s && gst_structure_has_name (s, "webrtcroom-levels") &&
        !gst_structure_get_int (s, id.c_str (), &level))
      level = 1;
  }
  return level;
}

/* The volume in the host's last webrtcroom-volume message for @listener
 * hearing @who (-1: none). */
double last_volume (TestPipeline &p, const std::string &listener, const std::string &who)
{
  p.find (GST_MESSAGE_ELEMENT); /* drains the bus */
  double v = -1;
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    if (s && gst_structure_has_name (s, "webrtcroom-volume") &&
        g_strcmp0 (gst_structure_get_string (s, "listener"), listener.c_str ()) == 0 &&
        g_strcmp0 (gst_structure_get_string (s, "participant"), who.c_str ()) == 0)
      gst_structure_get_double (s, "volume", &v);
  }
  return v;
}

/* How many webrtcroom-mix messages of the host say @action of mix @name. */
guint mix_events (TestPipeline &p, const char *action, const std::string &name)
{
  p.find (GST_MESSAGE_ELEMENT); /* drains the bus */
  guint n = 0;
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    if (s && gst_structure_has_name (s, "webrtcroom-mix") &&
        g_strcmp0 (gst_structure_get_string (s, "action"), action) == 0 &&
        g_strcmp0 (gst_structure_get_string (s, "mix"), name.c_str ()) == 0)
      n++;
  }
  return n;
}

/* The encoders count of the host's last webrtcroom-mix message (-1: none). */
int mix_encoders (TestPipeline &p)
{
  int n = -1;
  p.find (GST_MESSAGE_ELEMENT); /* drains the bus */
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    guint e = 0;
    if (s && gst_structure_has_name (s, "webrtcroom-mix") &&
        gst_structure_get_uint (s, "encoders", &e))
      n = (int)e;
  }
  return n;
}

} // namespace

GST_START_TEST (test_mix_minus)
{
  Host host ("room-name=voice audio-mode=mix congestion-control=none", "");
  fail_unless (host.port != 0);
  std::vector<std::unique_ptr<Member>> talkers;
  for (int i = 0; i < 3; i++)
    talkers.emplace_back (new Member (
        host.url ("voice"), std::string ("signaller::display-name=") + NAMES[i], tone (i)));
  /* Each talker gets one audio track from the room: the mix. */
  std::shared_ptr<AudioTap> taps[3];
  for (int i = 0; i < 3; i++) {
    taps[i] = tap_when_flowing (talkers[i]->outs, talkers[i]->p->pub, "participant_room_audio_0");
    fail_unless (taps[i] != nullptr, "%s: no mix (pads: %s)", NAMES[i],
                 talkers[i]->outs.names ().c_str ());
    std::string other = talkers[i]->outs.find ("participant_p");
    fail_unless (other.empty () || other.find ("_video_") != std::string::npos,
                 "%s receives a participant's audio as is: %s", NAMES[i], other.c_str ());
  }
  /* Every talker is in every mix by now: a fresh second of audio. */
  for (auto &t : taps)
    t->clear ();
  for (auto &t : taps)
    wait_until ([&] () { return t->size () >= 48000; }, 30000);
  check_tones (*taps[0], "low", {1, 2}, {0});
  check_tones (*taps[1], "mid", {0, 2}, {1});
  check_tones (*taps[2], "high", {0, 1}, {2});

  /* The host's mix pad: everyone. */
  auto mix = tap_when_flowing (host.outs, host.p->pub, "mix");
  fail_unless (mix != nullptr, "no mix pad on the host (%s)", host.outs.names ().c_str ());
  check_all (*mix, "the host's mix");
  fail_unless_equals_int (mix_encoders (*host.p), 3);

  /* A listener that sends nothing hears everyone, on a fourth encoder. */
  Member listener (host.url ("voice"), "signaller::display-name=ear", "");
  auto heard = tap_when_flowing (listener.outs, listener.p->pub, "participant_room_audio_0");
  fail_unless (heard != nullptr, "the listener: no mix (pads: %s)",
               listener.outs.names ().c_str ());
  check_all (*heard, "the listener");
  fail_unless_equals_int (mix_encoders (*host.p), 4);

  /* Speaking follows who sends a tone: all three speak; "mid" falls silent
   * and stops speaking (the others do not), then speaks again. */
  std::string ids[3];
  for (int i = 0; i < 3; i++) {
    ids[i] = talkers[i]->id ();
    wait_until ([&] () { return speaking (*host.p, ids[i], true) >= 1; }, 10000);
    fail_unless (speaking (*host.p, ids[i], true) >= 1, "%s (%s) never spoke", NAMES[i],
                 ids[i].c_str ());
  }
  std::string active = active_speaker (*host.p);
  fail_unless (active == ids[0] || active == ids[1] || active == ids[2], "active speaker '%s'",
               active.c_str ());
  /* Levels: each talker's tone (volume 0.3: -13.5 dBFS) in the host's
   * webrtcroom-levels messages; "mid" silent falls to silence there. */
  for (int i = 0; i < 3; i++) {
    wait_until ([&] () { return last_level (*host.p, ids[i]) >= -30; }, 10000);
    int l = last_level (*host.p, ids[i]);
    fail_unless (l >= -30 && l <= 0, "%s's level %d", NAMES[i], l);
  }
  set_volume (*talkers[1], 0);
  wait_until ([&] () { return last_level (*host.p, ids[1]) <= -60; }, 10000);
  fail_unless (last_level (*host.p, ids[1]) <= -60, "mid's level %d once silent",
               last_level (*host.p, ids[1]));
  fail_unless (last_level (*host.p, ids[0]) >= -30);
  wait_until ([&] () { return speaking (*host.p, ids[1], false) >= 1; }, 10000);
  fail_unless_equals_int (speaking (*host.p, ids[1], false), 1);
  fail_unless_equals_int (speaking (*host.p, ids[0], false), 0);
  fail_unless_equals_int (speaking (*host.p, ids[2], false), 0);
  set_volume (*talkers[1], 0.3);
  wait_until ([&] () { return speaking (*host.p, ids[1], true) >= 2; }, 10000);
  fail_unless_equals_int (speaking (*host.p, ids[1], true), 2);

  /* The host mutes "mid": "low" no longer hears 660 Hz, but still 990;
   * heard again once unmuted. */
  g_signal_emit_by_name (host.p->pub, "set-audio-muted", ids[1].c_str (), TRUE);
  fail_unless (host.p->wait_message (GST_MESSAGE_ELEMENT, "webrtcroom-audio-muted", 10000) !=
               nullptr);
  wait_until ([&] () { return speaking (*host.p, ids[1], false) >= 2; }, 10000);
  fail_unless_equals_int (speaking (*host.p, ids[1], false), 2);
  taps[0]->clear ();
  wait_until ([&] () { return taps[0]->size () >= 48000; }, 30000);
  check_tones (*taps[0], "low, mid muted by the host", {2}, {0, 1});
  g_signal_emit_by_name (host.p->pub, "set-audio-muted", ids[1].c_str (), FALSE);
  wait_until ([&] () { return speaking (*host.p, ids[1], true) >= 3; }, 10000);
  taps[0]->clear ();
  wait_until ([&] () { return taps[0]->size () >= 48000; }, 30000);
  check_tones (*taps[0], "low, mid unmuted", {1, 2}, {0});

  /* Per-listener volume: "low" turns "mid" down to nothing (the host's
   * set-audio-volume, as a page's "volume" message does): "low" no longer
   * hears 660 Hz, the others still do; at 0.5 it is heard 6 dB quieter
   * than before, relative to 990 Hz. The listen-only participant turning
   * "high" off gets a mix of its own (its encoder instead of the shared
   * mix's, which it alone heard), and the shared one back at 1.0. */
  auto volume = [&] (const std::string &listener, const std::string &who, double v) {
    g_signal_emit_by_name (host.p->pub, "set-audio-volume", listener.c_str (), who.c_str (), v);
    fail_unless (wait_until ([&] () { return last_volume (*host.p, listener, who) == v; }, 10000),
                 "no webrtcroom-volume %s hears %s at %.1f", listener.c_str (), who.c_str (), v);
  };
  auto fresh = [] (AudioTap &tap) {
    tap.clear ();
    wait_until ([&] () { return tap.size () >= 48000; }, 30000);
  };
  double mid_vs_high = taps[0]->power_db (TONES[1], 48000) - taps[0]->power_db (TONES[2], 48000);
  volume (ids[0], ids[1], 0);
  fresh (*taps[0]);
  check_tones (*taps[0], "low, mid at volume 0", {2}, {0, 1});
  fresh (*taps[2]);
  check_tones (*taps[2], "high, while low turned mid off", {0, 1}, {2});
  volume (ids[0], ids[1], 0.5);
  fresh (*taps[0]);
  double halved = taps[0]->power_db (TONES[1], 48000) - taps[0]->power_db (TONES[2], 48000);
  GST_INFO ("mid against high at low: %.1f dB at volume 1, %.1f dB at 0.5", mid_vs_high, halved);
  fail_unless (std::abs (mid_vs_high - halved - 6.0) <= 2.0,
               "mid at volume 0.5: %.1f dB against high, %.1f dB at 1 (6 dB down expected)", halved,
               mid_vs_high);
  volume (ids[0], ids[1], 1);
  std::string ear = listener.id ();
  guint all_added = mix_events (*host.p, "added", "all"),
        all_removed = mix_events (*host.p, "removed", "all");
  volume (ear, ids[2], 0);
  fail_unless (wait_until ([&] () { return mix_events (*host.p, "added", ear) == 1; }, 10000),
               "the listener with its own volume has no mix of its own");
  /* It was the shared mix's only listener: that encoder went. */
  fail_unless (wait_until (
      [&] () { return mix_events (*host.p, "removed", "all") == all_removed + 1; }, 10000));
  fail_unless_equals_int (mix_encoders (*host.p), 4);
  wait_until ([&] () { return false; }, 500);
  fresh (*heard);
  check_tones (*heard, "the listener, high off", {0, 1}, {2});
  volume (ear, ids[2], 1);
  fail_unless (wait_until ([&] () { return mix_events (*host.p, "removed", ear) == 1; }, 10000),
               "the listener's own mix stayed after its volumes were reset");
  fail_unless_equals_int (mix_events (*host.p, "added", "all"), all_added + 1);
  fail_unless_equals_int (mix_encoders (*host.p), 4);
  wait_until ([&] () { return false; }, 500);
  check_all (*heard, "the listener, back on the shared mix");

  /* Someone joins mid-call and leaves: what "low" hears from the others
   * has no gap (in time, or silence) longer than one mixer frame (20 ms). */
  taps[0]->restart ();
  {
    Member extra (host.url ("voice"), "signaller::display-name=extra",
                  "audiotestsrc is-live=true volume=0.3 freq=1760 ! room.audio_0 ");
    wait_until (
        [&] () { return taps[0]->power_db (1760, 9600) - taps[0]->power_db (1320, 9600) >= 20; },
        30000);
    fail_unless (taps[0]->power_db (1760, 9600) - taps[0]->power_db (1320, 9600) >= 20,
                 "low never heard the one who joined");
  }
  wait_until ([&] () { return n_participants (host.p->pub) == 4; }, 30000);
  wait_until ([&] () { return false; }, 1000);
  double silent = taps[0]->longest_silence_ms (-40);
  GstClockTime gap = taps[0]->gap ();
  GST_INFO ("low over a join and a leave: %zu samples, longest silence %.0f ms, longest gap "
            "%" GST_TIME_FORMAT,
            taps[0]->size (), silent, GST_TIME_ARGS (gap));
  fail_unless (taps[0]->size () >= 48000, "low heard %zu samples", taps[0]->size ());
  fail_unless (silent <= 20, "low heard %.0f ms of silence while someone joined and left", silent);
  fail_unless (gap <= 20 * GST_MSECOND,
               "low's audio had a %" GST_TIME_FORMAT " gap while someone joined and left",
               GST_TIME_ARGS (gap));

  /* "high" leaves: nobody hears 990 Hz any more; "low" still hears "mid". */
  talkers[2].reset ();
  wait_until ([&] () { return n_participants (host.p->pub) == 3; }, 30000);
  taps[0]->clear ();
  wait_until ([&] () { return taps[0]->size () >= 48000; }, 30000);
  check_tones (*taps[0], "low after high left", {1}, {0, 2});
}
GST_END_TEST;

/* noise-suppression: a participant sending white noise is heard at least
 * 10 dB quieter with noise-suppression=high than without (the same noise,
 * rooms alike otherwise); the room runs one suppressor per mixed
 * participant, none by default. */
GST_START_TEST (test_noise_suppression)
{
  const char *const modes[] = {"none", "high"};
  double level[2] = {0, 0};
  for (int i = 0; i < 2; i++) {
    Host host (std::string ("room-name=ns audio-mode=mix congestion-control=none "
                            "noise-suppression=") +
                   modes[i],
               "");
    fail_unless (host.port != 0);
    Member noisy (host.url ("ns"), "signaller::display-name=noisy",
                  "audiotestsrc is-live=true wave=white-noise volume=0.3 ! room.audio_0 ");
    Member ear (host.url ("ns"), "signaller::display-name=ear", "");
    auto heard = tap_when_flowing (ear.outs, ear.p->pub, "participant_room_audio_0");
    fail_unless (heard != nullptr, "%s: the listener has no mix (pads: %s)", modes[i],
                 ear.outs.names ().c_str ());
    /* The suppressor adapts over the first second or two. */
    wait_until ([&] () { return false; }, 3000);
    heard->clear ();
    wait_until ([&] () { return heard->size () >= 48000; }, 30000);
    level[i] = heard->rms_db (48000);
    guint suppressors = count_children (host.p->pub, "", "webrtcdsp");
    GST_INFO ("noise-suppression=%s: noise heard at %.1f dBFS, %u suppressors", modes[i], level[i],
              suppressors);
    fail_unless_equals_int (suppressors, i);
  }
  fail_unless (level[0] > -30, "the noise was not heard without suppression (%.1f dBFS)", level[0]);
  fail_unless (level[1] <= level[0] - 10, "noise heard at %.1f dBFS with suppression, %.1f without",
               level[1], level[0]);
}
GST_END_TEST;

/* The host's mutes reach the participants through the room protocol: a
 * page (here a bare protocol client) gets "audio-muted" when the pipeline
 * emits set-audio-muted, and again when it lets the participant be heard. */
GST_START_TEST (test_host_mute_told)
{
  Host host ("room-name=told audio-mode=mix congestion-control=none", "");
  fail_unless (host.port != 0);
  ClientLoop loop;
  Client page (loop, host.url ("told"));
  fail_unless (page.open (), "handshake refused: %u", page.status ());
  page.send (join_message ("page"));
  std::string id = page.wait ("welcome").s ("id");
  fail_if (id.empty ());
  g_signal_emit_by_name (host.p->pub, "set-audio-muted", id.c_str (), TRUE);
  Msg m = page.wait ("audio-muted");
  assert_str (m.s ("participant"), id);
  fail_unless (m.b ("muted"));
  g_signal_emit_by_name (host.p->pub, "set-audio-muted", id.c_str (), FALSE);
  fail_if (page.wait ("audio-muted", 2).b ("muted"));
}
GST_END_TEST;

/* A participant's "volume" message reaches the mix: the host posts
 * webrtcroom-volume for it. A volume out of 0..2, or of someone not in the
 * room, or of itself, gets an error and changes nothing. */
GST_START_TEST (test_volume_message)
{
  Host host ("room-name=vol audio-mode=mix congestion-control=none", "");
  fail_unless (host.port != 0);
  ClientLoop loop;
  Client a (loop, host.url ("vol")), b (loop, host.url ("vol"));
  fail_unless (a.open () && b.open (), "handshake refused");
  a.send (join_message ("a"));
  std::string ida = a.wait ("welcome").s ("id");
  b.send (join_message ("b"));
  std::string idb = b.wait ("welcome").s ("id");
  fail_if (ida.empty () || idb.empty ());
  a.send ("{\"type\":\"volume\",\"participant\":\"" + idb + "\",\"volume\":0.25}");
  fail_unless (wait_until ([&] () { return last_volume (*host.p, ida, idb) == 0.25; }, 10000),
               "no webrtcroom-volume for a's volume of b");
  const std::string bad[] = {"{\"type\":\"volume\",\"participant\":\"" + idb + "\",\"volume\":3}",
                             "{\"type\":\"volume\",\"participant\":\"" + idb +
                                 "\",\"volume\":\"loud\"}",
                             "{\"type\":\"volume\",\"participant\":\"p999\",\"volume\":1}",
                             "{\"type\":\"volume\",\"participant\":\"" + ida + "\",\"volume\":0}",
                             "{\"type\":\"volume\",\"volume\":0}"};
  guint errors = 0;
  for (const std::string &m : bad) {
    a.send (m);
    Msg e = a.wait ("error", ++errors);
    assert_str (e.s ("ref"), "volume");
    fail_unless (e.s ("code") == "bad-message" || e.s ("code") == "state", "%s: %s", m.c_str (),
                 e.s ("code").c_str ());
  }
  wait_until ([&] () { return false; }, 300);
  fail_unless (last_volume (*host.p, ida, idb) == 0.25);
  fail_unless (last_volume (*host.p, ida, ida) == -1);
}
GST_END_TEST;

/* WHIP into a mixing room (with 10 ms mixer frames): a webrtcpublish pushing a tone to
 * /whip-room/<name> (a WHIP client, as a phone app or OBS would) joins as
 * a participant named by ?name=, its audio in the mix: the talker "low"
 * hears it, and stops hearing it once the publisher stops (it DELETEs its
 * session). Bad requests get their HTTP errors and change nothing; a
 * publisher whose connection closes before its answer leaves at once
 * (not at handshake-timeout, a minute here). */
GST_START_TEST (test_whip_publisher)
{
  Host host ("room-name=whip audio-mode=mix mix-frame-ms=10 congestion-control=none "
             "handshake-timeout=60000",
             "");
  fail_unless (host.port != 0);
  std::string base = "http://127.0.0.1:" + std::to_string (host.port) + "/whip-room/whip";
  Member low (host.url ("whip"), "signaller::display-name=low", tone (0));
  auto heard = tap_when_flowing (low.outs, low.p->pub, "participant_room_audio_0");
  fail_unless (heard != nullptr, "low: no mix (pads: %s)", low.outs.names ().c_str ());
  /* mix-frame-ms=10: the mixers' frames and their Opus frames. */
  guint mixers = 0;
  for_each_of_factory (host.p->pub, "audiomixer", [&] (GstElement *mixer) {
    guint64 d = 0;
    g_object_get (mixer, "output-buffer-duration", &d, nullptr);
    fail_unless_equals_uint64 (d, 10 * GST_MSECOND);
    mixers++;
  });
  guint encoders = 0;
  for_each_of_factory (host.p->pub, "opusenc", [&] (GstElement *enc) {
    gint frame = 0; /* GstOpusEncFrameSize: the frame in ms */
    g_object_get (enc, "frame-size", &frame, nullptr);
    fail_unless_equals_int (frame, 10);
    encoders++;
  });
  fail_unless (encoders >= 1);
  fail_unless (mixers >= 1);

  /* What a WHIP endpoint refuses. */
  fail_unless_equals_int (http_request ("POST", base, "text/plain", "v=0").status, 415);
  fail_unless_equals_int (http_request ("POST", base, "application/sdp", "not sdp").status, 400);
  fail_unless_equals_int (
      http_request ("PATCH", base + "/x", "application/trickle-ice-sdpfrag", "a=ice-ufrag:x")
          .status,
      405);
  fail_unless_equals_int (http_request ("DELETE", base + "/0123456789abcdef").status, 404);
  fail_unless_equals_int (http_request ("GET", base).status, 405);
  HttpReply options = http_request ("OPTIONS", base);
  fail_unless_equals_int (options.status, 204);
  assert_str (options.header ("accept-post"), "application/sdp");
  fail_unless_equals_int (n_participants (host.p->pub), 1);
  /* A real offer made sendonly (Chromium's, a publisher's now): the
   * answer is a clean SDP and the session URL works; DELETE ends it. */
  std::string offer = read_fixture ("offers/chromium.sdp");
  for (size_t at; (at = offer.find ("a=recvonly")) != std::string::npos;)
    offer.replace (at, strlen ("a=recvonly"), "a=sendonly");
  HttpReply answer = http_request ("POST", base, "application/sdp", offer);
  fail_unless_equals_int (answer.status, 201);
  fail_unless (g_str_has_prefix (answer.body.c_str (), "v=0\r\n") &&
                   answer.body.find ("a=candidate:") != std::string::npos &&
                   answer.body.find ("WebSocket") == std::string::npos,
               "the WHIP answer: %s", answer.body.c_str ());
  std::string location = answer.header ("location");
  fail_unless (g_str_has_prefix (location.c_str (), "/whip-room/whip/") &&
                   location.size () >= strlen ("/whip-room/whip/") + 32,
               "Location: %s", location.c_str ());
  fail_unless_equals_int (n_participants (host.p->pub), 2);
  std::string session = "http://127.0.0.1:" + std::to_string (host.port) + location;
  fail_unless_equals_int (http_request ("DELETE", session).status, 200);
  fail_unless_equals_int (http_request ("DELETE", session).status, 404);
  fail_unless (wait_until ([&] () { return n_participants (host.p->pub) == 1; }, 10000));
  {
    /* Without candidates its ICE never fails: only the close can end it. */
    std::string bare;
    g_auto (GStrv) lines = g_strsplit (offer.c_str (), "\r\n", -1);
    for (gchar **l = lines; *l; l++)
      if (**l && !g_str_has_prefix (*l, "a=candidate:"))
        bare += std::string (*l) + "\r\n";
    GSocketConnection *conn = raw_connect (host.port);
    fail_unless (conn != nullptr);
    raw_write (conn, "POST /whip-room/whip HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     "application/sdp\r\nContent-Length: " +
                         std::to_string (bare.size ()) + "\r\n\r\n" + bare);
    g_io_stream_close (G_IO_STREAM (conn), nullptr, nullptr);
    g_object_unref (conn);
    wait_until ([&] () { return false; }, 1000);
    fail_unless (wait_until ([&] () { return n_participants (host.p->pub) == 1; }, 20000),
                 "a WHIP publisher gone before its answer stayed (%u participants)",
                 n_participants (host.p->pub));
  }

  {
    TestPipeline phone ("audiotestsrc is-live=true volume=0.3 freq=990 ! webrtcpublish name=pub "
                        "whip-url=" +
                            base + "?name=phone",
                        "pub");
    fail_unless (wait_until ([&] () { return n_participants (host.p->pub) == 2; }, 30000),
                 "the WHIP publisher never joined (%u participants)", n_participants (host.p->pub));
    GstMessage *joined = nullptr;
    fail_unless (wait_until (
        [&] () {
          host.p->find (GST_MESSAGE_ELEMENT);
          for (GstMessage *m : host.p->kept) {
            const GstStructure *st = gst_message_get_structure (m);
            if (st && gst_structure_has_name (st, "webrtcroom-participant-joined") &&
                g_strcmp0 (gst_structure_get_string (st, "name"), "phone") == 0)
              joined = m;
          }
          return joined != nullptr;
        },
        10000));
    wait_until (
        [&] () {
          heard->clear ();
          wait_until ([&] () { return heard->size () >= 9600; }, 5000);
          return heard->power_db (TONES[2], 9600) - heard->power_db (1320, 9600) >= 20;
        },
        30000);
    heard->clear ();
    wait_until ([&] () { return heard->size () >= 48000; }, 30000);
    check_tones (*heard, "low, with the WHIP publisher", {2}, {0});
  }
  fail_unless (wait_until ([&] () { return n_participants (host.p->pub) == 1; }, 30000),
               "the WHIP publisher stayed after it stopped (%u participants)",
               n_participants (host.p->pub));
  wait_until ([&] () { return false; }, 500);
  heard->clear ();
  wait_until ([&] () { return heard->size () >= 48000; }, 30000);
  fail_unless (heard->power_db (TONES[2], 48000) - heard->power_db (1320, 48000) < 10,
               "low still hears the WHIP publisher's tone after it left");
}
GST_END_TEST;

static Suite *webrtcroom_voice_suite (void)
{
  Suite *s = suite_create ("webrtcroom_voice");
  TCase *tc = tcase_create ("voice");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_mix_minus);
  tcase_add_test (tc, test_noise_suppression);
  tcase_add_test (tc, test_host_mute_told);
  tcase_add_test (tc, test_volume_message);
  tcase_add_test (tc, test_whip_publisher);
  return s;
}

GST_CHECK_MAIN (webrtcroom_voice);

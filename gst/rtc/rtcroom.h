/* RtcRoom: the media side of webrtcroom, a room hosted by a pipeline. Every
 * participant has one session (one webrtcbin, send and receive, BUNDLE)
 * through the shared session layer; the room forwards what each one
 * publishes to every other one, without decoding, and exposes it to the
 * pipeline:
 *
 *  participant A's webrtcbin src ─▶ depayloader ─▶ tee ─┬─▶ EncoderBranch (encoded: parse, keyframe
 *                                                       │    requests merged) ─▶ each other
 *                                                       │    participant's sending m-line
 *                                                       └─▶ queue ─▶ [decoder] ─▶ src pad
 *                                                            participant_<A>_video_<n>
 *  the pipeline's sink pads ─▶ inputs ─▶ encoder pool ─▶ every participant's sending m-line
 *
 * The room offers: at a participant's join (its camera and microphone as
 * receiving m-lines, every track of the room as sending ones, the data
 * channels), and again whenever a track comes or goes (m-lines are added, or
 * made inactive). A participant's own later offers (a screen share) are
 * answered by the session layer; new media shows up as webrtcbin src pads,
 * media that stops (an m-line made inactive) is a track removed.
 *
 * A peer that offers first is answered (answer_offer ()): what it sends is
 * received, what it wants to receive is given a track of the room, and the
 * rest of the room's tracks follow in the room's next offer. That is also
 * how a pipeline joins a room hosted elsewhere (Settings::client): its one
 * session is with that room, whose sending m-lines' msid
 * ("<participant>/<track>") says whose track each one is; the pipeline's
 * tracks go out on the room's receiving m-lines. Its session is the polite
 * one (the room protocol's participant): an offer of the room that crosses
 * its own wins, and its own is made again after (PeerSession's
 * Config::polite).
 *
 * New sending lines are added to a session only between exchanges (not
 * during its first one, nor while a peer's offer is answered): what was
 * left out is offered when the exchange is done.
 *
 * A track that goes away ends its src pad with EOS (a recording finishes
 * its file) before the pad is removed.
 *
 * Threading: the control thread, except inputs() (pads, application
 * thread) and the new-src-pad callbacks (webrtcbin's streaming threads),
 * which only link the depayloader and tee and post the rest.
 */
#pragma once

#include <gst/gst.h>
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rtccodecs.h"
#include "rtccontrolthread.h"
#include "rtcaudiomix.h"
#include "rtcdatarouter.h"
#include "rtcencoderpool.h"
#include "rtcinputs.h"
#include "rtcrecorder.h"
#include "rtchostload.h"
#include "rtcsessions.h"

namespace rtc {

struct LowLayer;

class Room : public ElementSessions {
public:
  struct Settings : Timeouts {
    /* Codecs participants may publish with, and the pipeline's tracks are
     * encoded with, in preference order. */
    std::vector<const Codec *> preferences;
    bool decode = true;                            /* src pads: decoded, or parsed */
    std::map<const Codec *, std::string> decoders; /* codec -> decoder factory */
    EncoderPool::Settings encoding;                /* the pipeline's tracks */
    guint max_participants = 16;
    /* The one peer is a room hosted elsewhere (webrtcroom room-url=...). */
    bool client = false;
    /* Per-participant adaptation of forwarded video (rtcroomlayers.cpp). */
    struct Layers {
      bool enabled = true;                                /* an estimator per participant */
      guint low_bitrate = 250000;                         /* the low layer, bit/s */
      gint low_width = 320;                               /* its width, about */
      guint min = 150000, start = 1000000, max = 6000000; /* the estimator's bounds */
      guint audio = 64000;                                /* kept for each audio track */
      /* A low layer is started only while the host's CPU pressure
       * (rtchostload.h) is under this percentage: encoding on a saturated
       * host slows everything already running (0: never; 100: always). */
      guint max_cpu_pressure = 60;
    } layers;
    /* Each participant's track recorded to this file name pattern (one
     * "%s": the track's pad name), empty: none. */
    std::string record_location;
    /* Audio mixed in the room (rtcroommix.cpp) instead of forwarded: each
     * participant receives one stream with everyone but itself (hosting
     * only; video is forwarded either way). */
    bool audio_mix = false;
    /* Noise suppression on each mixed participant's audio (webrtcdsp's
     * noise-suppression-level, 0 low .. 3 very high), -1: none. */
    gint noise_suppression = -1;
    /* The mixer's frames (and the mixes' Opus frames): 10 or 20 ms. */
    guint mix_frame_ms = 20;
    /* Speaking: a participant whose audio is at or above this level
     * (dBFS, RMS of 20 ms) speaks; it stops after speaking_hold_ms under it. */
    double speaking_db = -45;
    guint speaking_hold_ms = 600;
  };

  /* @prefix names the bus messages ("webrtcroom"): "<prefix>-participant-
   * joined/-left", "<prefix>-track-added/-removed". */
  Room (GstElement *element, const char *prefix, DataRouter &data, ControlThread &control,
        Hooks hooks, std::function<Settings ()> settings);
  ~Room () override;

  Inputs &inputs () { return inputs_; }
  /* The pipeline's tracks as the room protocol announces them. */
  struct PublicTrack {
    std::string id, kind, label;
  };
  /* Called on the control thread whenever the pipeline's tracks change
   * (the element tells its signaller); set before start. */
  std::function<void (const std::vector<PublicTrack> &)> on_pipeline_tracks;
  guint n_participants () const { return n_participants_; }
  /* As on_levels: @participant started or stopped speaking, or became the
   * active speaker (@active); control thread. Set before start. */
  std::function<void (const std::string &participant, bool speaking, double level, bool active)>
      on_speaking;
  /* Audio mixing: the host muted @participant for everyone, or let it be
   * heard again (set_audio_muted ()); control thread. Set before start. */
  std::function<void (const std::string &participant, bool muted)> on_audio_muted;
  /* Audio mixing, or RFC 6464 levels when forwarding (rtcroomspeaking.cpp):
   * every source's level (dBFS, whole dB) now, at most every
   * 300 ms and only when one moved by 2 dB or more, or sources came or
   * went (also posted as "<prefix>-levels"); control thread. Set before
   * start. */
  std::function<void (const std::vector<std::pair<std::string, gint>> &levels)> on_levels;

  /* Who is in the room, for what the element keeps per participant (its
   * data relay): @joined when a participant's session is made (its id and
   * display name: the peer the signaller named), @left when the session
   * went. Called on the control thread; set before the element starts. */
  struct Members {
    std::function<void (const std::string &id, const std::string &name)> joined;
    std::function<void (const std::string &id)> left;
  };
  void set_members (Members members) { members_ = std::move (members); }

  /* Audio mixing: @participant ("pipeline": the pipeline's audio) heard
   * by nobody, or heard again; posts "<prefix>-audio-muted". False when
   * the room does not mix or nothing changed. Control thread. */
  bool set_audio_muted (const std::string &participant, bool muted);
  /* Audio mixing: what @listener hears of @participant ("pipeline": the
   * pipeline's audio) at @volume (1: as sent, 0: silent, at most
   * AudioMix::MAX_GAIN); posts "<prefix>-volume". False when the room does
   * not mix, either one is not in the room, or nothing changed. The
   * volumes go with the listener. Control thread. */
  bool set_volume (const std::string &listener, const std::string &participant, double volume);

  /* Control thread. */
  void tick ();
  /* Ends every participant and every track. */
  void stop (const std::string &reason, bool tell);
  /* The pipeline's input @input goes: its track leaves every session. */
  void drop_input (const Input *input);
  /* Any thread but the control thread: ends every recording (EOS through
   * the muxers) and waits for their files, at most @timeout_ms. */
  void finish_recordings (guint timeout_ms);

  /* Sessions::Delegate */
  std::unique_ptr<Session> answer_offer (const std::string &id, const std::string &peer,
                                         const GstSDPMessage *offer, Sessions::Plan &plan,
                                         Sessions::Refusal &refusal) override;
  std::unique_ptr<Session> make_offer (const std::string &id, const std::string &peer,
                                       Sessions::Plan &plan, Sessions::Refusal &refusal) override;
  bool takes_offers_when_offering () const override { return true; }
  guint max_handshakes () override { return settings_ ().max_handshakes; }
  void created (Session &session) override;
  void agreed (Session &session) override;
  void connected (Session &session) override;
  void renegotiated (Session &session) override;
  void removed (Session &session, const std::string &reason) override;
  void describe (Session &session, GstStructure *fields) override;

private:
  struct Track;
  struct Line;
  struct Participant;
  struct Arrival;
  static bool takes_lines (const Participant &p);
  /* rtcroomarrivals.cpp */
  void on_src_pad (const std::string &session, GstPad *pad);
  void take_arrival (std::unique_ptr<Arrival> a);
  void replace_source (Participant &p, Arrival &arrival, std::unique_ptr<Arrival> fresh);
  void add_track (Arrival &a);
  void add_pipeline_tracks ();
  void announce_pipeline_tracks ();
  void remove_track (const std::string &track_id);
  /* @now: the element stops; the pad goes without waiting for its EOS. */
  void finish_removal (guint64 serial, bool now = false);
  bool add_line (Participant &p, const Codec *codec, const std::string &msid, Line &line,
                 std::string &error);
  bool answer_send_line (PeerSession &peer, const GstSDPMessage *offer, guint mline,
                         const Codec *codec, const std::string &msid, Line &line,
                         std::string &error);
  bool offer_track (Participant &p, Track &t, std::string &error);
  bool answer_line (Participant &p, const GstSDPMessage *offer, guint mline, PeerSession &peer,
                    std::string &error);
  void offer_missing (Participant &p);
  void prune_stopped (Participant &p);
  void link_lines (Participant &p);
  void expose (Track &t, const std::string &owner_name);
  /* rtcroommix.cpp */
  AudioMix &mixer ();
  void mix_add_track (Track &t);
  void mix_remove_track (Track &t);
  void mix_add_inputs ();
  void mix_drop_input (const Input *input);
  bool offer_mix (Participant &p, std::string &error);
  bool answer_mix (Participant &p, const GstSDPMessage *offer, guint mline, PeerSession &peer,
                   std::string &error);
  void link_mix (Participant &p);
  void remix (const std::string &owner);
  void release_mix (Participant &p);
  void expose_mix ();
  void stop_mix ();
  void measure_speaking ();
  /* rtcroomlayers.cpp */
public:
  struct EstimateContext;

private:
  static GstElement *on_aux_sender (GstElement *, GstWebRTCDTLSTransport *, gpointer data);
  static void on_gcc_estimate (GObject *gcc, GParamSpec *, gpointer data);
  void attach_estimator (Participant &p);
  void on_estimate (const std::string &id, guint bps);
  LowLayer *low_layer (Track &t);
  bool cpu_allows_low_layer (const Settings &s, const Track &t);
  bool set_layer (Participant &p, Line &line, Track &t, bool low);
  void adapt (Participant &p);
  void measure_layers ();
  Settings settings () const { return settings_ (); }

  std::function<Settings ()> settings_;
  Members members_;
  Inputs inputs_;
  EncoderPool pool_;
  std::map<std::string, std::unique_ptr<Track>> tracks_; /* by track id */
  /* Tracks whose src pad is draining its EOS, by serial. */
  std::map<guint64, std::unique_ptr<Track>> retired_;
  /* Recordings whose files are being finished, by serial. */
  std::map<guint64, std::shared_ptr<Recorder>> finishing_;
  void finish_recording (std::shared_ptr<Recorder> recorder);
  guint64 next_retired_ = 0;
  std::map<std::string, std::array<guint, 2>> published_; /* by owner: tracks so far, by kind */
  guint next_track_ = 0;
  /* Callbacks from other threads hold it weakly: nothing once the room is gone. */
  std::shared_ptr<Room *> alive_ = std::make_shared<Room *> (this);
  std::atomic<guint> n_participants_{0};
  /* Control thread: the host's CPU, read each tick (measure_layers), and
   * whether a low layer is held back (warned; until the pressure has been
   * under the bound for CPU_CALM_S, rtcroomlayers.cpp). */
  CpuPressure host_cpu_;
  bool cpu_warned_ = false; /* saturated: warned, no low layer starts */
  gint64 cpu_calm_us_ = 0;  /* while saturated: since when under the bound */
  /* Audio mixing (Settings::audio_mix), made on first use; the pipeline's
   * audio inputs in it, and the element's "mix" src pad. */
  std::unique_ptr<AudioMix> mix_;
  struct MixedInput {
    GstPad *tee_pad = nullptr;       /* on the input's tee, for its decoder */
    std::vector<GstElement *> chain; /* its decoder (encoded input), or empty */
  };
  std::map<const Input *, MixedInput> mixed_inputs_;
  GstPad *mix_pad_ = nullptr;
  std::vector<GstElement *> mix_pad_chain_;
  /* rtcroomspeaking.cpp: who speaks (measure_speaking (), every 100 ms
   * while mixing, or once a participant's audio carries RFC 6464 levels),
   * by owner. */
  void start_speaking ();
  void stop_speaking ();
  std::map<std::string, double> take_levels ();
  bool speaking_on_ = false;
  guint speaking_generation_ = 0; /* an earlier timer stops */
  struct Speaker {
    bool speaking = false;
    double level = AudioMix::SILENCE_DB;   /* the last measurement, dBFS */
    gint64 quiet_since_us = 0;             /* under the threshold since */
    double loudest = AudioMix::SILENCE_DB; /* since the levels were last told */
    gint sent = 1;                         /* the level last told (1: never) */
  };
  void tell_levels ();
  std::map<std::string, Speaker> speakers_;
  guint level_ticks_ = 0;
  size_t levels_told_ = 0; /* sources in the last levels told */
  std::string active_speaker_;
};

} // namespace rtc

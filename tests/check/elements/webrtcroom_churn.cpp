/* webrtcroom's participants over time. Under churn, in one process with the loopback signaller's
 * hub: a participant pipeline (a webrtcroom joining with room-url, publishing a video) joins the
 * host's room and leaves, 30 times. Each time the host gets its track and drops it, and its count
 * goes back to 0; after the cycles the process has the threads and (about) the memory it had after
 * the first few (warm-up: thread pools, plugin loading, DTLS contexts). Quiet participants stay
 * past participant-timeout: one in an empty room, and one that takes none of the room's tracks
 * (data channels alone, as a board page). The room's offer gives each payload
 * type one format (one set of parameters) across its BUNDLE. */
#include <gst/check/gstcheck.h>
#include <gst/rtcbridge/rtcbridge.h>
#include <malloc.h>
#include <map>
#include <string>

#include "rtctestsignallerpeer.h"
#include "rtctestutil.h"

namespace {

std::string loopback (const char *channel, const char *role)
{
  return std::string (" signaller-type=GstRtcLoopbackSignaller signaller::channel=") + channel +
         " signaller::role=" + role + " ";
}

const char *VIDEO =
    "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! ";
const char *AUDIO = "audiotestsrc is-live=true wave=sine freq=440 ! ";

/* Messages @name of @p; with @skip_room, but for those about the room's own
 * "mix" pad (participant "room", audio-mode=mix). */
guint count_messages (TestPipeline &p, const char *name, bool skip_room = false)
{
  p.find (GST_MESSAGE_ELEMENT); /* drains the bus */
  guint n = 0;
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT && s && gst_structure_has_name (s, name) &&
        (!skip_room || g_strcmp0 (gst_structure_get_string (s, "participant"), "room") != 0))
      n++;
  }
  return n;
}

/* Lets disposals finish; what is free goes back (RSS is what is held). */
void settle ()
{
  wait_until ([] () { return false; }, 2000);
  malloc_trim (0);
}

guint participants (TestPipeline &host)
{
  guint n = 99;
  g_object_get (host.pub, "n-participants", &n, nullptr);
  return n;
}

/* @host_media and @client_media (what each sends); @mix: the host mixes the audio. */
void join_leave_cycles (const char *channel, const std::string &host_media,
                        const std::string &client_media, bool mix)
{
  /* (participants' webrtcbins are stopped while the host still sends) */
  allow_rtpsession_teardown_critical ();
  /* The heap and GStreamer's caches grow over the first cycles. */
  const guint WARMUP = 15;
  const guint CYCLES = WARMUP + (g_getenv ("CHURN_CYCLES") ? atoi (g_getenv ("CHURN_CYCLES")) : 30);
  TestPipeline host (host_media + "webrtcroom name=room" + (mix ? " audio-mode=mix" : "") +
                         loopback (channel, "offerer"),
                     "room");
  fail_unless (host.pub != nullptr);
  long threads_before = 0, rss_before = 0, heap_before = 0;
  std::string names_before;
  for (guint i = 0; i < CYCLES; i++) {
    if (i == WARMUP) {
      settle ();
      threads_before = thread_count ();
      rss_before = rss_trimmed_kb ();
      heap_before = heap_in_use_kb ();
      names_before = thread_names ();
    }
    {
      TestPipeline client ("webrtcroom name=room room-url=ws://127.0.0.1:9/room/x" +
                               loopback (channel, "answerer") + client_media,
                           "room");
      fail_unless (client.pub != nullptr);
      /* The host gets the participant's video, and the participant the host's. */
      fail_unless (wait_until (
                       [&] () {
                         return participants (host) == 1 &&
                                count_messages (host, "webrtcroom-track-added", true) == i + 1 &&
                                count_messages (client, "webrtcroom-track-added") >= 1;
                       },
                       30000),
                   "cycle %u: the participant did not join with its track (host: %u participants, "
                   "%u tracks added; participant: %u tracks added)",
                   i, participants (host), count_messages (host, "webrtcroom-track-added", true),
                   count_messages (client, "webrtcroom-track-added"));
    }
    /* The participant pipeline is gone: the host drops it and its track. */
    fail_unless (wait_until (
                     [&] () {
                       return participants (host) == 0 &&
                              count_messages (host, "webrtcroom-track-removed", true) == i + 1;
                     },
                     30000),
                 "cycle %u: the host still counts %u participants", i, participants (host));
    fail_if (host.find (GST_MESSAGE_ERROR) != nullptr, "cycle %u: an error on the host", i);
  }
  settle ();
  wait_until ([&] { return thread_count () <= threads_before; }, 5000);
  long threads_after = thread_count (), rss_after = rss_trimmed_kb (),
       heap_after = heap_in_use_kb ();
  g_print ("churn%s: %u cycles after %u warm-up: threads %ld -> %ld, RSS (trimmed) %ld -> %ld kB "
           "(%+ld), heap in use %+ld kB\n",
           mix ? " (audio mixing)" : "", CYCLES - WARMUP, WARMUP, threads_before, threads_after,
           rss_before, rss_after, rss_after - rss_before, heap_after - heap_before);
  fail_unless (threads_after <= threads_before + 2,
               "threads grew from %ld to %ld\nbefore: %s\nafter: %s", threads_before, threads_after,
               names_before.c_str (), thread_names ().c_str ());
  /* Under AddressSanitizer freed memory sits in its quarantine: RSS says nothing. */
  if (!g_getenv ("RTC_SANITIZED"))
    /* A session's worth of buffers and elements is over a megabyte a
     * cycle; the heap settles more slowly than that (~280 kB a cycle
     * measured over 60 cycles, as for webrtcpublish's viewers). */
    fail_unless (rss_after - rss_before < 15 * 1024, "RSS grew by %ld kB over %u cycles",
                 rss_after - rss_before, CYCLES - WARMUP);
}

} // namespace

GST_START_TEST (test_join_leave_cycles)
{
  join_leave_cycles ("churn", VIDEO, std::string (VIDEO) + "room.video_0", false);
}
GST_END_TEST;

/* The same with audio-mode=mix: each participant's audio is decoded into
 * the mixes, and it gets a mix of its own; all of that goes with it. */
GST_START_TEST (test_join_leave_cycles_mix)
{
  join_leave_cycles ("churn-mix", AUDIO, std::string (AUDIO) + "room.audio_0", true);
}
GST_END_TEST;

/* A participant with nothing to send or receive (an empty room) is quiet,
 * not gone: participant-timeout does not end it. */
GST_START_TEST (test_quiet_participant_stays)
{
  /* (A second element each: a launch line of one element is not a pipeline.) */
  TestPipeline host ("webrtcroom name=room participant-timeout=1000" +
                         loopback ("quiet", "offerer") + "fakesink async=false",
                     "room");
  TestPipeline client ("webrtcroom name=room room-url=ws://127.0.0.1:9/room/x" +
                           loopback ("quiet", "answerer") + "fakesink async=false",
                       "room");
  fail_unless (wait_until ([&] () { return participants (host) == 1; }, 30000));
  fail_if (wait_until ([&] () { return participants (host) == 0; }, 4000),
           "the quiet participant was ended");
  fail_if (host.find (GST_MESSAGE_ELEMENT, "webrtcroom-participant-left") != nullptr);
}
GST_END_TEST;

/* A participant as a board page is: a plain webrtcbin that answers each of
 * the room's offers with every media m-line inactive (it takes none of the
 * room's tracks and publishes none, as room.js with receiveMedia false), so
 * only the data channels are left. */
class DataOnlyPeer : public Peer {
public:
  explicit DataOnlyPeer (gpointer signaller) : Peer (signaller) {}

protected:
  void on_requested (Session *s, GstWebRTCSessionDescription *offer) override
  {
    make_pipeline (s, "webrtcbin name=w bundle-policy=max-bundle");
    gst_element_set_state (s->pipeline, GST_STATE_PLAYING);
    answer (s, offer);
  }
  void on_description (Session *s, GstWebRTCSessionDescription *offer) override
  {
    if (offer->type == GST_WEBRTC_SDP_TYPE_OFFER)
      answer (s, offer);
  }

private:
  static void answer (Session *s, GstWebRTCSessionDescription *offer)
  {
    g_signal_emit_by_name (s->webrtc, "set-remote-description", offer,
                           gst_promise_new_with_change_func (on_remote_set, s, nullptr));
  }
  static void on_remote_set (GstPromise *promise, gpointer data)
  {
    auto s = static_cast<Session *> (data);
    gst_promise_unref (promise);
    g_signal_emit_by_name (s->webrtc, "create-answer", nullptr,
                           gst_promise_new_with_change_func (on_answer, s, nullptr));
  }
  static void on_answer (GstPromise *promise, gpointer data)
  {
    auto s = static_cast<Session *> (data);
    GstWebRTCSessionDescription *answer = nullptr;
    const GstStructure *reply = gst_promise_get_reply (promise);
    if (reply)
      gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
    gst_promise_unref (promise);
    if (!answer)
      return;
    /* webrtcbin 1.22 makes the transceivers of an offer's m-lines while it
     * answers: their direction is set in the answer itself. */
    for (guint i = 0; i < gst_sdp_message_medias_len (answer->sdp); i++) {
      auto m = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (answer->sdp, i));
      if (g_strcmp0 (gst_sdp_media_get_media (m), "application") == 0)
        continue;
      for (guint a = gst_sdp_media_attributes_len (m); a-- > 0;) {
        const char *key = gst_sdp_media_get_attribute (m, a)->key;
        if (!g_strcmp0 (key, "sendrecv") || !g_strcmp0 (key, "sendonly") ||
            !g_strcmp0 (key, "recvonly") || !g_strcmp0 (key, "inactive"))
          gst_sdp_media_remove_attribute (m, a);
      }
      gst_sdp_media_add_attribute (m, "inactive", "");
    }
    g_signal_emit_by_name (s->webrtc, "set-local-description", answer, nullptr);
    gst_rtc_signaller_send_description (s->sig, s->id.c_str (), answer);
    gst_webrtc_session_description_free (answer);
  }
};

/* A participant that takes none of the room's tracks (the room has one for
 * it: not an empty room) and has data channels alone sends nothing while
 * idle, not even RTCP: quiet, not gone. Its signalling ends it. */
GST_START_TEST (test_participant_without_media_stays)
{
  TestPipeline host (std::string (VIDEO) + "webrtcroom name=room participant-timeout=1000" +
                         loopback ("nomedia", "offerer"),
                     "room");
  DataOnlyPeer peer (gst_rtc_loopback_signaller_new ("nomedia", GST_RTC_SIGNALLER_ROLE_ANSWERER));
  peer.start ();
  fail_unless (Peer::wait (
                   [&] () {
                     return count_messages (host, "webrtcroom-data-channel-opened") >= 2 &&
                            participants (host) == 1;
                   },
                   30000),
               "the participant did not connect (its data channels did not open)");
  Peer::wait ([&] () { return participants (host) == 0; }, 4000);
  if (GstMessage *left = host.find (GST_MESSAGE_ELEMENT, "webrtcroom-participant-left"))
    fail ("the participant without media was ended: %s",
          gst_structure_get_string (gst_message_get_structure (left), "reason"));
  fail_unless_equals_int (participants (host), 1);
  peer.stop ();
  fail_unless (Peer::wait ([&] () { return participants (host) == 0; }, 20000),
               "the participant stayed after its signaller stopped");
  fail_if (host.find (GST_MESSAGE_ERROR) != nullptr);
}
GST_END_TEST;

/* A subscriber that keeps the offers it gets, as text. */
class OfferRecorder : public Subscriber {
public:
  using Subscriber::Subscriber;
  std::vector<std::string> offers;

protected:
  void on_requested (Session *s, GstWebRTCSessionDescription *offer) override
  {
    keep (offer);
    Subscriber::on_requested (s, offer);
  }
  void on_description (Session *s, GstWebRTCSessionDescription *offer) override
  {
    keep (offer);
    Subscriber::on_description (s, offer);
  }

private:
  void keep (GstWebRTCSessionDescription *d)
  {
    if (d->type != GST_WEBRTC_SDP_TYPE_OFFER)
      return;
    gchar *text = gst_sdp_message_as_text (d->sdp);
    offers.push_back (text);
    g_free (text);
  }
};

/* The payload type @pt's rtpmap and fmtp in @media ("" when absent). */
std::string format_of (const GstSDPMedia *media, const std::string &pt)
{
  std::string out;
  for (const char *key : {"rtpmap", "fmtp"}) {
    for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
      if (!g_strcmp0 (a->key, key) && a->value && g_str_has_prefix (a->value, (pt + " ").c_str ()))
        out += std::string (key) + ":" + a->value + ";";
    }
  }
  return out;
}

/* A room with its own audio offers a participant a line to send its
 * microphone on and the pipeline's audio: one BUNDLE, one payload type for
 * Opus. A payload type must mean one format with the same parameters on
 * every line of the group (Chromium: "A BUNDLE group contains a codec
 * collision"); the pipeline's Opus carried sprop-stereo and
 * sprop-maxcapturerate, the receiving line did not. */
GST_START_TEST (test_offer_one_format_per_payload_type)
{
  TestPipeline host (std::string (VIDEO) + "webrtcroom name=room" +
                         loopback ("formats", "offerer") + "audiotestsrc is-live=true ! room.",
                     "room");
  OfferRecorder peer (gst_rtc_loopback_signaller_new ("formats", GST_RTC_SIGNALLER_ROLE_ANSWERER));
  peer.start ();
  fail_unless (
      peer.wait ([&] () { return peer.latest () && peer.latest ()->counts->audio > 10; }, 30000),
      "the participant does not get the pipeline's audio");
  /* The pipeline's encoders run now: a new track's offer carries their caps. */
  size_t before = peer.offers.size ();
  GstElement *more = gst_parse_bin_from_description (
      "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=15/1", TRUE, nullptr);
  fail_unless (more != nullptr);
  gst_bin_add (GST_BIN (host.pipeline), more);
  fail_unless (gst_element_link (more, host.pub));
  gst_element_sync_state_with_parent (more);
  fail_unless (peer.wait ([&] () { return peer.offers.size () > before; }, 30000),
               "no offer for the pipeline's new track");
  for (const std::string &text : peer.offers) {
    GstSDPMessage *sdp = nullptr;
    gst_sdp_message_new_from_text (text.c_str (), &sdp);
    fail_unless (sdp != nullptr);
    std::map<std::string, std::string> formats; /* payload type -> rtpmap and fmtp */
    for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
      for (guint f = 0; f < gst_sdp_media_formats_len (m); f++) {
        std::string pt = gst_sdp_media_get_format (m, f);
        std::string fmt = format_of (m, pt);
        auto it = formats.emplace (pt, fmt).first;
        if (it->second != fmt)
          g_printerr ("the offer:\n%s\n", text.c_str ());
        fail_unless (it->second == fmt,
                     "payload type %s is \"%s\" on one line and \"%s\" on line %u", pt.c_str (),
                     it->second.c_str (), fmt.c_str (), i);
      }
    }
    gst_sdp_message_free (sdp);
  }
  peer.stop ();
}
GST_END_TEST;

static Suite *webrtcroom_churn_suite (void)
{
  Suite *s = suite_create ("webrtcroom_churn");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_join_leave_cycles);
  tcase_add_test (tc, test_join_leave_cycles_mix);
  tcase_add_test (tc, test_quiet_participant_stays);
  tcase_add_test (tc, test_participant_without_media_stays);
  tcase_add_test (tc, test_offer_one_format_per_payload_type);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (webrtcroom_churn);

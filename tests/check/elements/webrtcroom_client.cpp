/* webrtcroom room-url=...: a pipeline joins a room another pipeline's
 * webrtcroom hosts, over the room protocol's WebSocket (the default
 * signaller as a participant, GstRtcRoomClientSignaller), as a user would
 * run the two with gst-launch-1.0:
 *
 *  - the host exposes the joining pipeline's video and audio as src pads
 *    with frames of the size sent; the joining pipeline exposes the host's
 *    video, named after its owner (participant_pipeline_video_0);
 *  - the joining pipeline stops: the host's participant count drops to 0
 *    and its pads go (and the others see it leave); played again, it joins
 *    again; in READY it is out of the room and does not try to join; the
 *    others see its name and its camera and microphone; a paused sink
 *    behind one of its pads holds up neither the removal of that track
 *    nor the pipeline's stop;
 *  - two participants get each other's video through the host; one that
 *    publishes a track after joining (its own offer) is heard; offers that
 *    cross (the room's held in a relay) end with both tracks flowing; a
 *    dropped connection comes back with the same participant id;
 *  - the recorder of docs/room-client.md, run by gst-launch-1.0 -e and
 *    interrupted, leaves files that play;
 *  - bad input ends in an error on the bus that says what to fix, never a
 *    crash: a room-url that is not a room's URL, a room the server does
 *    not host, a room nobody listens at (the error names the URL), a
 *    wrong auth-token (the error names the refusal; the token itself is in
 *    no message and no log line), a full room;
 *  - the room's stats over HTTP: /stats.json and /metrics behind the
 *    room's token, the participant's session with its tracks each way;
 *    ?details=1 adds the SDP exchanged (ICE passwords hidden)
 *    and the candidates; serve-stats
 *    off: 404. */
#include <gst/check/gstcheck.h>
#include <gst/pbutils/pbutils.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <json-glib/json-glib.h>

#include "rtctesthttp.h"
#include "rtctestjwt.h"
#include "rtctestroom.h"
#include "rtctestroommembers.h"
#include "rtctestroompipelines.h"
#include "rtctestutil.h"

namespace {

/* A video source of 352x288 added to a playing pipeline and linked to
 * @room's new pad video_0: a track published later. */
void add_video (GstElement *pipeline, GstElement *room)
{
  GError *error = nullptr;
  GstElement *src = gst_parse_bin_from_description (
      "videotestsrc is-live=true ! capsfilter caps=video/x-raw,width=352,height=288,framerate=15/1",
      TRUE, &error);
  fail_unless (src != nullptr && error == nullptr, "%s", error ? error->message : "no bin");
  gst_bin_add (GST_BIN (pipeline), src);
  fail_unless (gst_element_link_pads (src, nullptr, room, "video_0"));
  gst_element_sync_state_with_parent (src);
}

} // namespace

GST_START_TEST (test_client_joins_host)
{
  Host host ("room-name=team");
  fail_unless (host.port != 0, "no webrtcroom-listening message with the port");
  Member client (host.url ("team"), "signaller::display-name=studio");
  fail_if (client.p->find (GST_MESSAGE_ERROR), "the joining pipeline failed");

  /* The host: the participant's video (the size it sent) and audio. */
  auto video = wait_member_frames (host.outs, client, "video", 10);
  fail_unless (video != nullptr, "no video from the participant on the host (pads: %s)",
               host.outs.names ().c_str ());
  ck_assert_str_eq (caps_media (*video).c_str (), "video/x-raw");
  ck_assert_int_eq (caps_width (*video), 320);
  auto audio = wait_member_frames (host.outs, client, "audio", 10);
  fail_unless (audio != nullptr, "no audio from the participant on the host (pads: %s)",
               host.outs.names ().c_str ());
  ck_assert_str_eq (caps_media (*audio).c_str (), "audio/x-raw");
  ck_assert_uint_eq (n_participants (host.p->pub), 1);
  GstMessage *joined = host.p->find (GST_MESSAGE_ELEMENT, "webrtcroom-participant-joined");
  fail_unless (joined != nullptr);
  ck_assert_str_eq (gst_structure_get_string (gst_message_get_structure (joined), "name"),
                    "studio");

  /* The participant: the host's own video, named after its owner. */
  auto back = wait_frames (client.outs, "participant_pipeline_video_0", 10);
  fail_unless (back != nullptr, "no video from the host on the participant (pads: %s)",
               client.outs.names ().c_str ());
  ck_assert_int_eq (caps_width (*back), 160);

  /* What the participant's signaller learnt: its id, which the host's
   * pads are named after (p1, p2...). */
  fail_unless (g_str_has_prefix (client.id ().c_str (), "p"), "id %s", client.id ().c_str ());
  fail_if (host.p->find (GST_MESSAGE_ERROR), "the host failed");
  fail_if (client.p->find (GST_MESSAGE_ERROR), "the participant failed");
}
GST_END_TEST;

GST_START_TEST (test_client_leaves)
{
  /* The room would notice a participant that went silent only after a
   * minute: what the test sees within 20 s is its leave. */
  Host host ("room-name=leave signaller::keepalive-timeout=60000");
  fail_unless (host.port != 0);
  auto client = std::make_unique<Member> (host.url ("leave"));
  fail_unless (wait_member_frames (host.outs, *client, "video", 5) != nullptr,
               "no video from the participant (pads: %s)", host.outs.names ().c_str ());
  fail_unless (wait_member_frames (host.outs, *client, "audio", 5) != nullptr);
  ck_assert_uint_eq (n_participants (host.p->pub), 1);
  std::string first_id = client->id (), video = client->pad ("video"),
              audio = client->pad ("audio");

  /* To NULL: it leaves. */
  gst_element_set_state (client->p->pipeline, GST_STATE_NULL);
  fail_unless (wait_until (
                   [&] () {
                     return n_participants (host.p->pub) == 0 && host.outs.was_removed (video) &&
                            host.outs.was_removed (audio);
                   },
                   20000),
               "participants %u after the participant stopped", n_participants (host.p->pub));
  GstMessage *left = host.p->find (GST_MESSAGE_ELEMENT, "webrtcroom-participant-left");
  fail_unless (left != nullptr);

  /* Playing again, it joins again (a new participant: it said leave). */
  gst_element_set_state (client->p->pipeline, GST_STATE_PLAYING);
  fail_unless (wait_member_frames (host.outs, *client, "video", 5) != nullptr,
               "the participant did not join again (pads: %s)", host.outs.names ().c_str ());
  fail_if (client->id () == first_id, "it came back as %s: it said leave", first_id.c_str ());
  ck_assert_uint_eq (n_participants (host.p->pub), 1);
  client.reset ();
  fail_unless (wait_until ([&] () { return n_participants (host.p->pub) == 0; }, 20000));
  fail_if (host.p->find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* States a user steps through: in READY the participant is out of the room
 * (and does not try to join), from PAUSED on it is in again. */
GST_START_TEST (test_client_ready)
{
  Host host ("room-name=steps signaller::keepalive-timeout=60000");
  fail_unless (host.port != 0);
  Member client (host.url ("steps"));
  fail_unless (wait_member_frames (host.outs, client, "video", 5) != nullptr,
               "no video from the participant (pads: %s)", host.outs.names ().c_str ());
  std::string first_id = client.id ();

  gst_element_set_state (client.p->pipeline, GST_STATE_READY);
  fail_unless (wait_until ([&] () { return n_participants (host.p->pub) == 0; }, 20000),
               "the participant stayed in the room in READY");
  client.p->find (GST_MESSAGE_ELEMENT); /* drains the bus */
  guint kept = client.p->kept.size ();
  g_usleep (3 * G_USEC_PER_SEC);
  client.p->find (GST_MESSAGE_ELEMENT);
  for (guint i = kept; i < client.p->kept.size (); i++) {
    const GstStructure *st = gst_message_get_structure (client.p->kept[i]);
    fail_if (st && gst_structure_has_name (st, "webrtcroom-client-state") &&
                 g_strcmp0 (gst_structure_get_string (st, "state"), "connecting") == 0,
             "in READY, it tried to join again");
  }
  ck_assert_uint_eq (n_participants (host.p->pub), 0);

  gst_element_set_state (client.p->pipeline, GST_STATE_PLAYING);
  fail_unless (
      wait_until ([&] () { return !client.id ().empty () && client.id () != first_id; }, 60000),
      "it did not join again");
  fail_unless (wait_member_frames (host.outs, client, "video", 5) != nullptr,
               "no video once playing again (pads: %s)", host.outs.names ().c_str ());
  fail_if (host.p->find (GST_MESSAGE_ERROR));
  fail_if (client.p->find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* A sink fed by one of the room's pads is PAUSED (a user paused it, or a
 * bin stopping pauses its sinks before the room): it holds its streaming
 * thread in preroll. The track behind it goes (its participant leaves),
 * and the pipeline stops: neither may wait for that thread forever. */
GST_START_TEST (test_paused_sink)
{
  Host host ("room-name=pause congestion-control=none signaller::keepalive-timeout=60000");
  fail_unless (host.port != 0);
  auto a = std::make_unique<Member> (host.url ("pause"));
  auto b =
      std::make_unique<Member> (host.url ("pause"), "",
                                "videotestsrc is-live=true pattern=snow ! "
                                "video/x-raw,width=240,height=180,framerate=15/1 ! room.video_0 ");
  auto b_on_a = wait_member_frames (a->outs, *b, "video", 5);
  fail_unless (b_on_a != nullptr, "no video of b on a (pads: %s)", a->outs.names ().c_str ());
  std::string b_pad = b->pad ("video");
  gst_element_set_state (b_on_a->sink, GST_STATE_PAUSED);
  g_usleep (G_USEC_PER_SEC); /* a frame reaches it: it prerolls and holds it */

  b.reset (); /* its track leaves a's room */
  fail_unless (wait_until ([&] () { return a->outs.was_removed (b_pad); }, 30000),
               "the pad of a track that went stayed behind a paused sink");

  std::atomic<bool> stopped{false};
  GstElement *pipeline = a->p->pipeline;
  std::thread stopper ([&] () {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    stopped = true;
  });
  /* (Not iterating the bus watch: it would wait for the state lock too.) */
  bool in_time = eventually ([&] () { return stopped.load (); }, 60000);
  if (!in_time)
    stopper.detach (); /* the test fails; the process goes with it */
  else
    stopper.join ();
  fail_unless (in_time, "stopping the participant pipeline hangs");
  fail_unless (wait_until ([&] () { return n_participants (host.p->pub) == 0; }, 20000));
  a.reset ();
  fail_if (host.p->find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* What the room's other participants (browsers) see of a joining pipeline:
 * its display name, its camera and microphone published, and `left`
 * (reason "left") when it stops. */
GST_START_TEST (test_others_see_the_participant)
{
  Host host ("room-name=seen handshake-timeout=120000 signaller::keepalive-timeout=60000");
  fail_unless (host.port != 0);
  ClientLoop loop;
  ClientOptions options;
  options.auto_pong = true;
  Client browser (loop, host.url ("seen"), options);
  fail_unless (browser.open ());
  browser.send (join_message ("browser"));
  browser.wait ("welcome");

  auto member = std::make_unique<Member> (host.url ("seen"), "signaller::display-name=studio");
  /* (The host pipeline may join the roster too, when its track starts.) */
  std::string id;
  for (guint n = 1; n <= 3 && id.empty (); n++) {
    Msg joined = browser.wait ("joined", n);
    if (joined.s ("participant.name") == "studio")
      id = joined.s ("participant.id");
  }
  fail_unless (!id.empty (), "no participant named studio joined");
  std::map<std::string, std::string> labels; /* kind -> label, of its published tracks */
  fail_unless (eventually ([&] () {
                 for (const Msg &m : browser.all ("track"))
                   if (m.s ("participant") == id && m.s ("action") == "published")
                     labels[m.s ("track.kind")] = m.s ("track.label");
                 return labels.size () == 2;
               }),
               "the participant's tracks were not announced");
  ck_assert_str_eq (labels["video"].c_str (), "camera");
  ck_assert_str_eq (labels["audio"].c_str (), "microphone");

  member.reset ();
  Msg left = browser.wait ("left");
  ck_assert_str_eq (left.s ("id").c_str (), id.c_str ());
  ck_assert_str_eq (left.s ("reason").c_str (), "left");
}
GST_END_TEST;

/* A second participant: each one gets the other's video, forwarded by the
 * host (the room's later offers to a participant that is in already). */
GST_START_TEST (test_two_clients)
{
  /* The forwarded videos as sent (no low layer on a loaded machine). */
  Host host ("room-name=pair congestion-control=none");
  fail_unless (host.port != 0);
  Member a (host.url ("pair"), "signaller::display-name=a");
  fail_unless (wait_member_frames (host.outs, a, "video", 5) != nullptr,
               "no video from the first participant (pads: %s)", host.outs.names ().c_str ());
  Member b (host.url ("pair"), "signaller::display-name=b",
            "videotestsrc is-live=true pattern=snow ! "
            "video/x-raw,width=240,height=180,framerate=15/1 ! room.video_0 ");
  auto b_on_a = wait_member_frames (a.outs, b, "video", 10);
  fail_unless (b_on_a != nullptr,
               "the first participant does not get the second's video (pads: %s)",
               a.outs.names ().c_str ());
  ck_assert_int_eq (caps_width (*b_on_a), 240);
  auto a_on_b = wait_member_frames (b.outs, a, "video", 10);
  fail_unless (a_on_b != nullptr,
               "the second participant does not get the first's video (pads: %s)",
               b.outs.names ().c_str ());
  ck_assert_int_eq (caps_width (*a_on_b), 320);
  fail_unless (wait_member_frames (b.outs, a, "audio", 10) != nullptr);
  fail_unless (wait_frames (b.outs, "participant_pipeline_video_0", 10) != nullptr);
  ck_assert_uint_eq (n_participants (host.p->pub), 2);
  /* Each one's roster names the other and the pipeline. */
  gchar *roster = nullptr;
  gst_child_proxy_get (GST_CHILD_PROXY (a.p->pub), "signaller::roster", &roster, nullptr);
  fail_unless (roster && strstr (roster, "\"name\":\"b\"") && strstr (roster, "\"pipeline\""),
               "roster: %s", roster);
  g_free (roster);
  for (auto *p : {host.p.get (), a.p.get (), b.p.get ()})
    fail_if (p->find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* The participant publishes a track after it joined: its own offer. */
GST_START_TEST (test_client_publishes_later)
{
  Host host ("room-name=later");
  fail_unless (host.port != 0);
  Member client (host.url ("later"), "", "audiotestsrc is-live=true wave=ticks ! room.audio_0 ");
  fail_unless (wait_member_frames (host.outs, client, "audio", 5) != nullptr,
               "no audio from the participant (pads: %s)", host.outs.names ().c_str ());
  fail_unless (wait_frames (client.outs, "participant_pipeline_video_0", 5) != nullptr);

  add_video (client.p->pipeline, client.p->pub);

  auto video = wait_member_frames (host.outs, client, "video", 10);
  fail_unless (video != nullptr, "no video from the participant's later track (pads: %s)",
               host.outs.names ().c_str ());
  ck_assert_int_eq (caps_width (*video), 352);
  /* The rest goes on. */
  auto audio = host.outs.get (client.pad ("audio"));
  fail_unless (audio != nullptr);
  guint before = audio->buffers;
  fail_unless (wait_until ([&] () { return audio->buffers > before + 10; }, 20000));
  fail_if (host.p->find (GST_MESSAGE_ERROR));
  fail_if (client.p->find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* The participant's connection drops: it joins again within the room's
 * grace period, keeps its id, and the media flows again both ways. */
GST_START_TEST (test_client_resumes)
{
  Host host ("room-name=flaky");
  fail_unless (host.port != 0);
  Relay relay (host.port);
  Member client ("ws://127.0.0.1:" + std::to_string (relay.port ()) + "/room/flaky");
  fail_unless (wait_member_frames (host.outs, client, "video", 5) != nullptr,
               "no video from the participant (pads: %s)", host.outs.names ().c_str ());
  fail_unless (wait_frames (client.outs, "participant_pipeline_video_0", 5) != nullptr);
  std::string id = client.id (), video = client.pad ("video");

  relay.cut ();
  /* Its session ends on both sides, and comes back. */
  fail_unless (wait_until (
                   [&] () {
                     return host.outs.times_added (video) == 2 &&
                            client.outs.times_added ("participant_pipeline_video_0") == 2;
                   },
                   30000),
               "the participant's pads did not come back (host: %s; participant: %s)",
               host.outs.names ().c_str (), client.outs.names ().c_str ());
  ck_assert_str_eq (client.id ().c_str (), id.c_str ());
  auto back = wait_frames (host.outs, video, 10);
  fail_unless (back != nullptr && caps_width (*back) == 320);
  fail_unless (wait_frames (client.outs, "participant_pipeline_video_0", 10) != nullptr);
  ck_assert_uint_eq (n_participants (host.p->pub), 1);
  fail_unless (client.p->find (GST_MESSAGE_ELEMENT, "webrtcroom-client-state") != nullptr);
  fail_if (host.p->find (GST_MESSAGE_ERROR));
  fail_if (client.p->find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* The duration of the media file @path (0 when it does not play). */
static GstClockTime file_duration (const std::string &path)
{
  GstDiscoverer *d = gst_discoverer_new (10 * GST_SECOND, nullptr);
  gchar *uri = gst_filename_to_uri (path.c_str (), nullptr);
  GstDiscovererInfo *info = gst_discoverer_discover_uri (d, uri, nullptr);
  GstClockTime duration = 0;
  if (info && gst_discoverer_info_get_result (info) == GST_DISCOVERER_OK)
    duration = gst_discoverer_info_get_duration (info);
  if (info)
    gst_discoverer_info_unref (info);
  g_free (uri);
  g_object_unref (d);
  return duration;
}

static std::string read_text (const std::string &path)
{
  gchar *text = nullptr;
  g_file_get_contents (path.c_str (), &text, nullptr, nullptr);
  std::string out = text ? text : "";
  g_free (text);
  return out;
}

/* Glare: the participant offers (a new track) while the room's own offer
 * to it (another participant's track) is on its way. The room ignores the
 * participant's offer; the participant (polite) drops its own, answers the
 * room's and offers again: both tracks flow. The room's messages are held
 * in a relay so that the two offers cross every time. */
GST_START_TEST (test_offers_cross)
{
  LogWatch log ("the peer's offer crossed ours; ours is dropped", "rtcsessions:4");
  Host host ("room-name=glare congestion-control=none");
  fail_unless (host.port != 0);
  Relay relay (host.port);
  Member a ("ws://127.0.0.1:" + std::to_string (relay.port ()) + "/room/glare",
            "signaller::display-name=a", "audiotestsrc is-live=true wave=ticks ! room.audio_0 ");
  fail_unless (wait_member_frames (host.outs, a, "audio", 5) != nullptr);
  fail_unless (wait_frames (a.outs, "participant_pipeline_video_0", 5) != nullptr);

  /* The room's next offer to a waits in the relay. */
  relay.hold (true);
  Member b (host.url ("glare"), "signaller::display-name=b",
            "videotestsrc is-live=true pattern=snow ! "
            "video/x-raw,width=240,height=180,framerate=15/1 ! room.video_0 ");
  fail_unless (wait_member_frames (host.outs, b, "video", 5) != nullptr);
  g_usleep (G_USEC_PER_SEC); /* the room offers b's track to a */
  /* a offers its new video meanwhile. */
  add_video (a.p->pipeline, a.p->pub);
  g_usleep (2 * G_USEC_PER_SEC); /* a's offer reaches the room */
  relay.hold (false);

  auto a_video = wait_member_frames (host.outs, a, "video", 10);
  fail_unless (a_video != nullptr, "a's new video did not reach the host (pads: %s)",
               host.outs.names ().c_str ());
  ck_assert_int_eq (caps_width (*a_video), 352);
  auto b_on_a = wait_member_frames (a.outs, b, "video", 10);
  fail_unless (b_on_a != nullptr, "b's video did not reach a (pads: %s)", a.outs.names ().c_str ());
  ck_assert_int_eq (caps_width (*b_on_a), 240);
  fail_unless (wait_member_frames (b.outs, a, "video", 10) != nullptr,
               "a's video did not reach b (pads: %s)", b.outs.names ().c_str ());
  {
    std::lock_guard<std::mutex> g (log.lock);
    fail_unless (!log.hits.empty (), "the offers did not cross: the test proved nothing");
  }
  for (auto *p : {host.p.get (), a.p.get (), b.p.get ()})
    fail_if (p->find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* The recorder of docs/room-client.md, as a user runs it: gst-launch-1.0 -e
 * joins a remote room with record-location and records every participant
 * (the host pipeline's video, another participant's video and audio); an
 * interrupt finishes the files, which play, and the recorder leaves. */
GST_START_TEST (test_gst_launch_recorder)
{
  Host host ("room-name=rec");
  fail_unless (host.port != 0);
  Member speaker (host.url ("rec"), "signaller::display-name=speaker");
  fail_unless (wait_member_frames (host.outs, speaker, "video", 5) != nullptr);
  std::string speaker_video = speaker.pad ("video"), speaker_audio = speaker.pad ("audio");

  gchar *dir = g_dir_make_tmp ("roomclient-XXXXXX", nullptr);
  std::string pattern = std::string (dir) + "/%s.mkv", log = std::string (dir) + "/launch.log";
  std::string url_arg = "room-url=" + host.url ("rec"), rec_arg = "record-location=" + pattern;
  const gchar *argv[] = {
      "gst-launch-1.0", "-e",   "webrtcroom", url_arg.c_str (), "signaller::display-name=recorder",
      rec_arg.c_str (), nullptr};
  int log_fd = g_open (log.c_str (), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  GPid pid = 0;
  GError *error = nullptr;
  gboolean spawned = g_spawn_async_with_pipes_and_fds (
      nullptr, argv, nullptr, GSpawnFlags (G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD),
      nullptr, nullptr, -1, log_fd, log_fd, nullptr, nullptr, 0, &pid, nullptr, nullptr, nullptr,
      &error);
  close (log_fd);
  fail_unless (spawned, "gst-launch-1.0: %s", error ? error->message : "?");

  const char *names[] = {"participant_pipeline_video_0", speaker_video.c_str (),
                         speaker_audio.c_str ()};
  auto path_of = [&] (const char *name) {
    return std::string (dir) + "/" + name + ".mkv";
  };
  bool recording = wait_until (
      [&] () {
        for (const char *name : names) {
          GStatBuf st;
          if (g_stat (path_of (name).c_str (), &st) != 0 || st.st_size < 20000)
            return false;
        }
        return n_participants (host.p->pub) == 2;
      },
      60000);
  kill (pid, SIGINT);
  int status = -1;
  bool exited = wait_until ([&] () { return waitpid (pid, &status, WNOHANG) == pid; }, 30000);
  if (!exited) {
    kill (pid, SIGKILL);
    waitpid (pid, &status, 0);
  }
  std::string output = read_text (log);
  fail_unless (recording, "the recorder did not record the room: %s", output.c_str ());
  fail_unless (exited, "gst-launch-1.0 did not stop on an interrupt: %s", output.c_str ());
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0, "gst-launch-1.0 failed: %s",
               output.c_str ());
  for (const char *name : names)
    fail_unless (file_duration (path_of (name)) > GST_SECOND / 2, "%s does not play: %s", name,
                 output.c_str ());
  /* It left the room. */
  fail_unless (wait_until ([&] () { return n_participants (host.p->pub) == 1; }, 20000));
  gchar *joined_name = nullptr;
  for (GstMessage *m : host.p->kept) {
    const GstStructure *st = gst_message_get_structure (m);
    if (st && gst_structure_has_name (st, "webrtcroom-participant-joined") &&
        g_strcmp0 (gst_structure_get_string (st, "name"), "recorder") == 0)
      joined_name = g_strdup ("recorder");
  }
  fail_unless (joined_name != nullptr, "no participant named recorder joined the host");
  g_free (joined_name);

  for (const char *name : names)
    g_remove (path_of (name).c_str ());
  g_remove (log.c_str ());
  g_rmdir (dir);
  g_free (dir);
}
GST_END_TEST;

GST_START_TEST (test_not_a_room_url)
{
  Member client ("http://127.0.0.1:8080/room/x");
  GstMessage *m = client.p->wait_message (GST_MESSAGE_ERROR, nullptr, 10000);
  fail_unless (m != nullptr, "no error for a room-url that is not a room's URL");
  std::string text = message_text (m);
  GST_INFO ("the error: %s", text.c_str ());
  fail_unless (text.find ("http://127.0.0.1:8080/room/x") != std::string::npos, "%s",
               text.c_str ());
  fail_unless (text.find ("ws://") != std::string::npos, "the error says nothing of ws://: %s",
               text.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_no_such_room)
{
  Host host ("room-name=here");
  fail_unless (host.port != 0);
  std::string url = host.url ("elsewhere");
  Member client (url);
  GstMessage *m = client.p->wait_message (GST_MESSAGE_ERROR, nullptr, 30000);
  fail_unless (m != nullptr, "no error for a room the server does not host");
  std::string text = message_text (m);
  GST_INFO ("the error: %s", text.c_str ());
  fail_unless (text.find (url) != std::string::npos, "the error does not name the URL: %s",
               text.c_str ());
  fail_unless (text.find ("no such room") != std::string::npos, "%s", text.c_str ());
  ck_assert_uint_eq (n_participants (host.p->pub), 0);
}
GST_END_TEST;

GST_START_TEST (test_unreachable_room)
{
  /* Nothing listens on port 9 in the test's own network namespace. */
  std::string url = "ws://127.0.0.1:9/room/nobody";
  Member client (url, "signaller::join-timeout=1500");
  GstMessage *m = client.p->wait_message (GST_MESSAGE_ERROR, nullptr, 30000);
  fail_unless (m != nullptr, "no error for a room nobody listens at");
  std::string text = message_text (m);
  GST_INFO ("the error: %s", text.c_str ());
  fail_unless (text.find (url) != std::string::npos, "the error does not name the URL: %s",
               text.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_wrong_token)
{
  LogWatch log ("not-the-token");
  const std::string key = "the-rooms-jwt-secret";
  Host host ("room-name=locked auth-token=s3cret jwt-key=" + key);
  fail_unless (host.port != 0);
  Member client (host.url ("locked"), "auth-token=not-the-token");
  GstMessage *m = client.p->wait_message (GST_MESSAGE_ERROR, nullptr, 30000);
  fail_unless (m != nullptr, "no error for a wrong token");
  std::string text = message_text (m);
  GST_INFO ("the error: %s", text.c_str ());
  fail_unless (text.find ("auth-token") != std::string::npos,
               "the error does not say what to fix: %s", text.c_str ());
  fail_unless (text.find ("refused") != std::string::npos,
               "the error does not name the refusal: %s", text.c_str ());
  fail_unless (text.find ("not-the-token") == std::string::npos, "the token in the error: %s",
               text.c_str ());
  ck_assert_uint_eq (n_participants (host.p->pub), 0);
  fail_if (host.p->find (GST_MESSAGE_ERROR), "the host failed");

  /* The right token gets in. */
  Member good (host.url ("locked"), "auth-token=s3cret");
  std::string id;
  fail_unless (wait_until ([&] () { return !(id = participant_id (good.p->pub)).empty (); }, 30000),
               "the participant with the right token got no id");
  fail_unless (wait_frames (host.outs, "participant_" + id + "_video_0", 5) != nullptr,
               "the participant with the right token got nowhere (pads: %s)",
               host.outs.names ().c_str ());
  /* So does a JSON Web Token for this room (webrtcroom's jwt-key reaches
   * the room signaller). */
  Member jwt (host.url ("locked"),
              "auth-token=" + make_jwt (JWT_ALG_HS256, key, claims ("locked", now_s () + 600)));
  fail_unless (wait_until ([&] () { return !participant_id (jwt.p->pub).empty (); }, 30000),
               "the participant with a JWT for the room got no id");
  std::lock_guard<std::mutex> g (log.lock);
  fail_unless (log.lines > 0, "no debug line was seen: the check would see nothing");
  fail_unless (log.hits.empty (), "the token is in a log line: %s",
               log.hits.empty () ? "" : log.hits[0].c_str ());
}
GST_END_TEST;

/* The room's stats over HTTP (docs/stats.md): /stats.json and /metrics
 * behind the room's token, the participant's session listed with what it
 * sends and receives; /stats.json?details=1 adds the SDP exchanged with the
 * ICE passwords hidden; signaller::serve-stats=false: not served. */
static JsonObject *room_stats (JsonParser *parser, const std::string &body)
{
  if (!json_parser_load_from_data (parser, body.c_str (), -1, nullptr))
    return nullptr;
  JsonArray *streams = json_object_get_array_member (
      json_node_get_object (json_parser_get_root (parser)), "streams");
  return json_array_get_length (streams) == 1 ? json_array_get_object_element (streams, 0)
                                              : nullptr;
}

static std::string session_state (const std::string &body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *room = room_stats (parser, body);
  JsonArray *sessions = room ? json_object_get_array_member (room, "sessions") : nullptr;
  if (!sessions || json_array_get_length (sessions) != 1)
    return "";
  return json_object_get_string_member (json_array_get_object_element (sessions, 0), "state");
}

GST_START_TEST (test_room_stats_over_http)
{
  Host host ("room-name=team auth-token=t0k");
  fail_unless (host.port != 0);
  Member client (host.url ("team"), "auth-token=t0k");
  fail_unless (wait_member_frames (host.outs, client, "video", 10) != nullptr);
  fail_unless (wait_member_frames (host.outs, client, "audio", 10) != nullptr);
  fail_unless (wait_frames (client.outs, "participant_pipeline_video_0", 10) != nullptr);
  std::string base = "http://127.0.0.1:" + std::to_string (host.port);
  std::map<std::string, std::string> token = {{"Authorization", "Bearer t0k"}};
  fail_unless_equals_int (http_request ("GET", base + "/stats.json").status, 401);
  fail_unless_equals_int (
      http_request ("GET", base + "/metrics", "", "", {{"Authorization", "Bearer t0"}}).status,
      401);

  HttpReply j;
  fail_unless (wait_until (
                   [&] () {
                     j = http_request ("GET", base + "/stats.json", "", "", token);
                     return session_state (j.body) == "connected";
                   },
                   20000),
               "no connected session in %u %s", j.status, j.body.c_str ());
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *room = room_stats (parser, j.body);
  fail_unless_equals_string (json_object_get_string_member (room, "stream"), "team");
  fail_unless_equals_string (json_object_get_string_member (room, "element"), "webrtcroom");
  fail_unless_equals_int (json_object_get_int_member (room, "n-sessions"), 1);
  JsonObject *s =
      json_array_get_object_element (json_object_get_array_member (room, "sessions"), 0);
  fail_unless_equals_string (json_object_get_string_member (s, "id"), client.id ().c_str ());
  /* It sends its camera and microphone; it receives the host's video. */
  fail_unless_equals_int (json_object_get_int_member (s, "tracks-received"), 2);
  fail_unless_equals_int (json_object_get_int_member (s, "tracks-sent"), 1);
  fail_unless (json_object_get_int_member (s, "bytes-received") > 1000, "%s", j.body.c_str ());
  fail_unless (json_object_get_int_member (s, "bytes-sent") > 1000, "%s", j.body.c_str ());
  fail_if (json_object_has_member (s, "local-sdp"), "SDP without ?details=1");
  fail_if (json_object_has_member (s, "local-candidates"), "candidates without ?details=1");
  fail_unless_equals_string (json_object_get_string_member (s, "connection-state"), "connected");

  /* The SDP exchanged, the ICE passwords hidden. */
  HttpReply d = http_request ("GET", base + "/stats.json?details=1", "", "", token);
  fail_unless_equals_int (d.status, 200);
  g_autoptr (JsonParser) parser2 = json_parser_new ();
  JsonObject *with_sdp = room_stats (parser2, d.body);
  fail_unless (with_sdp != nullptr, "%s", d.body.c_str ());
  JsonObject *s2 =
      json_array_get_object_element (json_object_get_array_member (with_sdp, "sessions"), 0);
  for (const char *field : {"local-candidates", "remote-candidates"}) {
    std::string c = json_object_get_string_member_with_default (s2, field, "");
    fail_unless (c.find ("host udp 127.0.0.1:") != std::string::npos ||
                     c.find ("host udp 10.213.0.") != std::string::npos,
                 "%s: %s", field, c.c_str ());
  }
  for (const char *field : {"local-sdp", "remote-sdp"}) {
    std::string sdp = json_object_get_string_member_with_default (s2, field, "");
    fail_unless (sdp.rfind ("v=0\r\n", 0) == 0, "%s: %s", field, sdp.c_str ());
    fail_unless (sdp.find ("m=video ") != std::string::npos, "%s: %s", field, sdp.c_str ());
    fail_unless (sdp.find ("a=fingerprint:") != std::string::npos, "%s: %s", field, sdp.c_str ());
    size_t pwd = sdp.find ("a=ice-pwd:");
    fail_unless (pwd != std::string::npos, "%s: %s", field, sdp.c_str ());
    for (; pwd != std::string::npos; pwd = sdp.find ("a=ice-pwd:", pwd + 1))
      fail_unless (sdp.compare (pwd, 20, "a=ice-pwd:(hidden)\r\n") == 0, "%s: %s", field,
                   sdp.substr (pwd, 40).c_str ());
  }

  HttpReply m = http_request ("GET", base + "/metrics", "", "", token);
  fail_unless_equals_int (m.status, 200);
  const char *line = "rtc_sessions{element=\"webrtcroom\",stream=\"team\"} 1\n";
  fail_unless (m.body.find (line) != std::string::npos, "no %s in\n%s", line, m.body.c_str ());

  /* Turned off: not served. */
  Host off ("room-name=quiet signaller::serve-stats=false");
  fail_unless (off.port != 0);
  std::string off_base = "http://127.0.0.1:" + std::to_string (off.port);
  fail_unless_equals_int (http_request ("GET", off_base + "/stats.json").status, 404);
  fail_unless_equals_int (http_request ("GET", off_base + "/metrics").status, 404);
  fail_if (host.p->find (GST_MESSAGE_ERROR), "the host failed");
}
GST_END_TEST;

GST_START_TEST (test_full_room)
{
  Host host ("room-name=small signaller::max-participants=1");
  fail_unless (host.port != 0);
  Member first (host.url ("small"));
  fail_unless (wait_member_frames (host.outs, first, "video", 5) != nullptr);
  Member second (host.url ("small"));
  GstMessage *m = second.p->wait_message (GST_MESSAGE_ERROR, nullptr, 30000);
  fail_unless (m != nullptr, "no error for a full room");
  std::string text = message_text (m);
  GST_INFO ("the error: %s", text.c_str ());
  fail_unless (text.find ("full") != std::string::npos, "%s", text.c_str ());
  /* The one inside stays. */
  ck_assert_uint_eq (n_participants (host.p->pub), 1);
  fail_if (first.p->find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

static Suite *webrtcroom_client_suite (void)
{
  Suite *s = suite_create ("webrtcroom_client");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  /* Participant pipelines stop while the others still send (seen once in
   * a full local run, test_paused_sink). */
  tcase_add_checked_fixture (tc, allow_rtpsession_teardown_critical, nullptr);
  tcase_add_test (tc, test_client_joins_host);
  tcase_add_test (tc, test_client_leaves);
  tcase_add_test (tc, test_client_ready);
  tcase_add_test (tc, test_paused_sink);
  tcase_add_test (tc, test_others_see_the_participant);
  tcase_add_test (tc, test_two_clients);
  tcase_add_test (tc, test_client_publishes_later);
  tcase_add_test (tc, test_client_resumes);
  tcase_add_test (tc, test_offers_cross);
  tcase_add_test (tc, test_gst_launch_recorder);
  tcase_add_test (tc, test_not_a_room_url);
  tcase_add_test (tc, test_no_such_room);
  tcase_add_test (tc, test_unreachable_room);
  tcase_add_test (tc, test_wrong_token);
  tcase_add_test (tc, test_full_room);
  tcase_add_test (tc, test_room_stats_over_http);
  return s;
}

GST_CHECK_MAIN (webrtcroom_client);

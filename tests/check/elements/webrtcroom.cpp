/* webrtcroom's media, in one process, with the loopback signaller (no
 * server): what the room protocol's signaller does not change.
 *
 *  - the room's own tracks (its sink pads) reach a participant that
 *    answers (webrtcsubscribe);
 *  - a participant that offers first (webrtcpublish) is answered, and its
 *    track is a src pad participant_<id>_video_0 with decoded frames;
 *  - a room joining another room (room-url): each gets the other's
 *    tracks; the joining one names the owners from the host's msid
 *    ("participant_pipeline_video_0");
 *  - a track that goes away (its sink pad released): the other side's src
 *    pad ends with EOS and is removed, by renegotiation, while the other
 *    track goes on;
 *  - a participant that leaves: its tracks and pads go, the count drops;
 *  - record-location: each participant track in its own file, finished
 *    when the participant leaves (the files play, with the duration the
 *    participant was there);
 *  - a room with two participants on one loopback channel (the hub): each
 *    gets the other's video, forwarded by the host, and the host's own;
 *    one leaving removes its pads on the other;
 *  - the room-wide data channels with three participants: messages from
 *    each reach all, wrapped with seq/from/name, in the same order
 *    everywhere (also when sent at once); the host pipeline's
 *    data_recv_board sees everything and its data_send_board reaches all
 *    "from": "pipeline"; a late joiner gets the log first; binary on
 *    "files" reaches the others unchanged; a malformed message is answered
 *    to its sender alone. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <gst/pbutils/pbutils.h>
#include <gst/rtp/rtp.h>
#include <gst/rtcbridge/gstrtcdatameta.h>
#include <json-glib/json-glib.h>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "rtctestroompipelines.h"
#include "rtctestutil.h"

namespace {

std::string loopback (const char *channel, const char *role)
{
  return std::string (" signaller-type=GstRtcLoopbackSignaller signaller::channel=") + channel +
         " signaller::role=" + role + " ";
}

const char *VIDEO =
    "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! ";
const char *AUDIO = "audiotestsrc is-live=true wave=ticks ! ";

} // namespace

GST_START_TEST (test_room_tracks_to_answering_participant)
{
  TestPipeline p (std::string (VIDEO) + "webrtcroom name=room" + loopback ("r1", "offerer") +
                      "webrtcsubscribe name=sub" + loopback ("r1", "answerer") +
                      "! fakesink name=out sync=false async=false",
                  "room");
  BufferCounter frames;
  frames.attach (p.pipeline, "out");
  fail_unless (wait_until ([&] () { return frames.buffers >= 10; }, 20000),
               "the participant got %u frames of the room's track", frames.buffers.load ());
  ck_assert_str_eq (frames.type ().c_str (), "video/x-raw");
  ck_assert_int_eq (frames.width (), 320);
  guint n = 0;
  g_object_get (p.pub, "n-participants", &n, nullptr);
  ck_assert_uint_eq (n, 1);
  fail_unless (p.find (GST_MESSAGE_ELEMENT, "webrtcroom-participant-joined") != nullptr);
}
GST_END_TEST;

GST_START_TEST (test_offering_participant_track_to_pipeline)
{
  RoomOutputs outs;
  TestPipeline p ("webrtcroom name=room" + loopback ("r2", "answerer") + VIDEO + "webrtcpublish" +
                      loopback ("r2", "offerer"),
                  "room", [&] (GstElement *room) {
                    /* pad-added needs the pipeline: the constructor sets it before PLAYING */
                    outs.attach (room);
                  });
  auto out = wait_frames (outs, "participant_loopback-r2-", 10);
  fail_unless (out != nullptr, "no participant pad with frames");
  ck_assert_str_eq (caps_media (*out).c_str (), "video/x-raw");
  ck_assert_int_eq (caps_width (*out), 320);
  ck_assert_int_eq (caps_height (*out), 240);
  GstMessage *m = p.wait_message (GST_MESSAGE_ELEMENT, "webrtcroom-track-added");
  fail_unless (m != nullptr);
  const GstStructure *s = gst_message_get_structure (m);
  ck_assert_str_eq (gst_structure_get_string (s, "kind"), "video");
  ck_assert_str_eq (gst_structure_get_string (s, "codec"), "VP8");
  fail_unless (g_str_has_prefix (gst_structure_get_string (s, "pad"), "participant_loopback-r2-"));
}
GST_END_TEST;

namespace {

/* From now on, every RTP packet @webrtcbin sends carries SSRC @ssrc: a
 * sender whose source changes (a track restarted on its m-line), with an
 * SSRC its description never named. */
void rewrite_ssrc (GstElement *webrtcbin, guint32 ssrc)
{
  GstIterator *it = gst_element_iterate_sink_pads (webrtcbin);
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstPad *pad = GST_PAD (g_value_get_object (&v));
    gst_pad_add_probe (
        pad, GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [] (GstPad *, GstPadProbeInfo *info, gpointer data) {
          guint32 to = GPOINTER_TO_UINT (data);
          auto one = [to] (GstBuffer *buf) {
            GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
            if (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp)) {
              gst_rtp_buffer_set_ssrc (&rtp, to);
              gst_rtp_buffer_unmap (&rtp);
            }
          };
          if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
            GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
            one (buf);
            GST_PAD_PROBE_INFO_DATA (info) = buf;
          } else {
            GstBufferList *list =
                gst_buffer_list_make_writable (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
            for (guint i = 0; i < gst_buffer_list_length (list); i++)
              one (gst_buffer_list_get_writable (list, i));
            GST_PAD_PROBE_INFO_DATA (info) = list;
          }
          return GST_PAD_PROBE_OK;
        },
        GUINT_TO_POINTER (ssrc), nullptr);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

} // namespace

/* A participant's source changes on its m-line (a new SSRC, not in its
 * description): webrtcbin 1.22 gives the new stream another src pad; the
 * room moves it onto the track's depayloader. The track goes on (same pad,
 * frames keep coming), the participant stays connected. (Refusing the new
 * pad's buffers would stop the participant's whole transport.) */
GST_START_TEST (test_participant_source_changes)
{
  RoomOutputs outs;
  TestPipeline p ("webrtcroom name=room" + loopback ("r9", "answerer") + VIDEO +
                      "webrtcpublish name=part" + loopback ("r9", "offerer"),
                  "room", [&] (GstElement *room) { outs.attach (room); });
  auto out = wait_frames (outs, "participant_loopback-r9-", 10);
  fail_unless (out != nullptr, "no participant pad with frames");
  std::string name = outs.find ("participant_loopback-r9-");
  GstElement *part = gst_bin_get_by_name (GST_BIN (p.pipeline), "part");
  GstElement *webrtcbin = find_by_factory (part, "webrtcbin");
  fail_unless (webrtcbin != nullptr);
  rewrite_ssrc (webrtcbin, 0x5eed1234);
  guint before = out->buffers;
  fail_unless (wait_until ([&] { return out->buffers >= before + 45; }, 60000),
               "frames stopped after the source changed (%u, then %u)", before,
               out->buffers.load ());
  fail_unless_equals_int (outs.times_added (name), 1);
  fail_if (outs.was_removed (name));
  GstMessage *w = p.find (GST_MESSAGE_WARNING);
  fail_if (w != nullptr, "warning: %s", w ? message_text (w).c_str () : "");
  guint n = 0;
  g_object_get (p.pub, "n-participants", &n, nullptr);
  fail_unless_equals_int (n, 1);
  gst_object_unref (webrtcbin);
  gst_object_unref (part);
}
GST_END_TEST;

/* Two pipelines' rooms: the host and one that joins it. */
struct TwoRooms {
  RoomOutputs host_outs, client_outs;
  std::unique_ptr<TestPipeline> host, client;
  TwoRooms (const char *channel, bool client_audio, const std::string &host_props = "")
  {
    host.reset (new TestPipeline (
        std::string ("videotestsrc is-live=true pattern=ball ! "
                     "video/x-raw,width=160,height=120,framerate=15/1 ! webrtcroom name=room ") +
            host_props + loopback (channel, "offerer"),
        "room", [&] (GstElement *room) { host_outs.attach (room); }));
    client.reset (new TestPipeline (
        std::string ("webrtcroom name=room room-url=ws://127.0.0.1:9/room/x") +
            loopback (channel, "answerer") + VIDEO + "room.video_0 " +
            (client_audio ? std::string (AUDIO) + "room.audio_0" : std::string ()),
        "room", [&] (GstElement *room) { client_outs.attach (room); }));
  }
};

GST_START_TEST (test_room_joins_room)
{
  TwoRooms r ("r3", true);
  /* The host receives the joining pipeline's video and audio. */
  auto video = wait_frames (r.host_outs, "participant_loopback-r3-1_video_0", 10);
  fail_unless (video != nullptr, "the host has no video from the joining room");
  ck_assert_int_eq (caps_width (*video), 320);
  auto audio = wait_frames (r.host_outs, "participant_loopback-r3-1_audio_0", 10);
  fail_unless (audio != nullptr, "the host has no audio from the joining room");
  ck_assert_str_eq (caps_media (*audio).c_str (), "audio/x-raw");
  /* The joining room receives the host's own track, named by its owner. */
  auto back = wait_frames (r.client_outs, "participant_pipeline_video_0", 10);
  fail_unless (back != nullptr, "the joining room has no video from the host");
  ck_assert_int_eq (caps_width (*back), 160);
}
GST_END_TEST;

GST_START_TEST (test_track_goes_away)
{
  TwoRooms r ("r4", true);
  auto video = wait_frames (r.host_outs, "participant_loopback-r4-1_video_0", 5);
  auto audio = wait_frames (r.host_outs, "participant_loopback-r4-1_audio_0", 5);
  fail_unless (video && audio);
  /* The joining pipeline stops publishing its video. */
  GstPad *pad = gst_element_get_static_pad (r.client->pub, "video_0");
  fail_unless (pad != nullptr);
  GstPad *peer = gst_pad_get_peer (pad);
  gst_pad_unlink (peer, pad);
  gst_object_unref (peer);
  gst_element_release_request_pad (r.client->pub, pad);
  gst_object_unref (pad);
  fail_unless (
      wait_until ([&] () { return r.host_outs.was_removed ("participant_loopback-r4-1_video_0"); },
                  15000),
      "the host kept the pad of a track that went away");
  fail_unless (video->eos, "the pad was removed without EOS (a recording would not finish)");
  fail_unless (r.host->find (GST_MESSAGE_ELEMENT, "webrtcroom-track-removed") != nullptr);
  /* The audio goes on. */
  guint before = audio->buffers;
  fail_unless (wait_until ([&] () { return audio->buffers > before + 10; }, 10000));
  fail_if (r.host_outs.was_removed ("participant_loopback-r4-1_audio_0"));
}
GST_END_TEST;

GST_START_TEST (test_participant_leaves)
{
  TwoRooms r ("r5", false);
  auto video = wait_frames (r.host_outs, "participant_loopback-r5-1_video_0", 5);
  fail_unless (video != nullptr);
  guint n = 0;
  g_object_get (r.host->pub, "n-participants", &n, nullptr);
  ck_assert_uint_eq (n, 1);
  r.client.reset ();
  fail_unless (wait_until (
      [&] () {
        guint n = 1;
        g_object_get (r.host->pub, "n-participants", &n, nullptr);
        return n == 0 && r.host_outs.was_removed ("participant_loopback-r5-1_video_0");
      },
      20000));
  fail_unless (r.host->find (GST_MESSAGE_ELEMENT, "webrtcroom-participant-left") != nullptr);
  fail_unless (video->eos);
}
GST_END_TEST;

/* The duration of the media file @path (0 when it does not play). */
static GstClockTime file_duration (const std::string &path, std::string &caps)
{
  GstDiscoverer *d = gst_discoverer_new (10 * GST_SECOND, nullptr);
  gchar *uri = gst_filename_to_uri (path.c_str (), nullptr);
  GstDiscovererInfo *info = gst_discoverer_discover_uri (d, uri, nullptr);
  GstClockTime duration = 0;
  if (info && gst_discoverer_info_get_result (info) == GST_DISCOVERER_OK) {
    duration = gst_discoverer_info_get_duration (info);
    GList *streams = gst_discoverer_info_get_stream_list (info);
    if (streams) {
      GstCaps *c = gst_discoverer_stream_info_get_caps (GST_DISCOVERER_STREAM_INFO (streams->data));
      gchar *str = gst_caps_to_string (c);
      caps = str;
      g_free (str);
      gst_caps_unref (c);
    }
    gst_discoverer_stream_info_list_free (streams);
  }
  if (info)
    gst_discoverer_info_unref (info);
  g_free (uri);
  g_object_unref (d);
  return duration;
}

GST_START_TEST (test_recording)
{
  gchar *dir = g_dir_make_tmp ("roomrec-XXXXXX", nullptr);
  std::string pattern = std::string (dir) + "/%s.mkv";
  {
    TwoRooms r ("r6", true, "record-location=\"" + pattern + "\"");
    fail_unless (wait_frames (r.host_outs, "participant_loopback-r6-1_video_0", 5) != nullptr);
    fail_unless (wait_frames (r.host_outs, "participant_loopback-r6-1_audio_0", 5) != nullptr);
    g_usleep (3 * G_USEC_PER_SEC);
    /* The participant leaves: its files are finished. */
    r.client.reset ();
    fail_unless (wait_until (
        [&] () {
          int finished = 0;
          for (GstMessage *m : r.host->kept) {
            const GstStructure *s = gst_message_get_structure (m);
            if (s && gst_structure_has_name (s, "webrtcroom-recording") &&
                g_strcmp0 (gst_structure_get_string (s, "state"), "finished") == 0)
              finished++;
          }
          return finished == 2;
        },
        20000));
  }
  for (const char *kind : {"video", "audio"}) {
    std::string path = std::string (dir) + "/participant_loopback-r6-1_" + kind + "_0.mkv";
    fail_unless (g_file_test (path.c_str (), G_FILE_TEST_EXISTS), "%s missing", path.c_str ());
    std::string caps;
    GstClockTime d = file_duration (path, caps);
    fail_unless (d >= 2 * GST_SECOND && d <= 15 * GST_SECOND, "%s lasts %" GST_TIME_FORMAT,
                 path.c_str (), GST_TIME_ARGS (d));
    fail_unless (caps.find (g_str_equal (kind, "video") ? "video/x-vp8" : "audio/x-opus") == 0,
                 "%s: %s", path.c_str (), caps.c_str ());
    g_unlink (path.c_str ());
  }
  g_rmdir (dir);
  g_free (dir);
}
GST_END_TEST;

/* A pipeline whose webrtcroom joins the room on loopback @channel as a
 * participant (its own session with the host), with @extra in its launch
 * line (its tracks: "... ! room.video_0"); @before_playing (optional) sees
 * the element first. */
struct Participant {
  RoomOutputs outs;
  std::unique_ptr<TestPipeline> p;
  Participant (const char *channel, const std::string &extra,
               const std::function<void (GstElement *)> &before_playing = nullptr)
  {
    p.reset (new TestPipeline ("webrtcroom name=room room-url=ws://127.0.0.1:9/room/x" +
                                   loopback (channel, "answerer") + extra,
                               "room", [&] (GstElement *room) {
                                 outs.attach (room);
                                 if (before_playing)
                                   before_playing (room);
                               }));
  }
  GstElement *room () { return p->pub; }
};

GST_START_TEST (test_room_hosts_two_participants)
{
  RoomOutputs host_outs;
  TestPipeline host (std::string ("videotestsrc is-live=true pattern=ball ! "
                                  "video/x-raw,width=160,height=120,framerate=15/1 ! "
                                  "webrtcroom name=room") +
                         loopback ("r6", "offerer"),
                     "room", [&] (GstElement *room) { host_outs.attach (room); });
  /* Sessions loopback-r6-1 and -2, in the order they join. */
  auto one = std::make_unique<Participant> ("r6", std::string (VIDEO) + "room.video_0");
  auto two = std::make_unique<Participant> (
      "r6", "videotestsrc is-live=true ! video/x-raw,width=176,height=144,framerate=15/1 ! "
            "room.video_0");
  /* The host has both. */
  auto v1 = wait_frames (host_outs, "participant_loopback-r6-1_video_0", 5, 30000);
  auto v2 = wait_frames (host_outs, "participant_loopback-r6-2_video_0", 5, 30000);
  fail_unless (v1 && v2, "the host lacks a participant's video");
  ck_assert_int_eq (caps_width (*v1), 320);
  ck_assert_int_eq (caps_width (*v2), 176);
  /* Each has the other's, forwarded by the host, and the host's own. */
  auto other_of_one = wait_frames (one->outs, "participant_loopback-r6-2_video_0", 10, 30000);
  fail_unless (other_of_one != nullptr, "participant 1 did not get participant 2's video");
  ck_assert_int_eq (caps_width (*other_of_one), 176);
  auto other_of_two = wait_frames (two->outs, "participant_loopback-r6-1_video_0", 10, 30000);
  fail_unless (other_of_two != nullptr, "participant 2 did not get participant 1's video");
  ck_assert_int_eq (caps_width (*other_of_two), 320);
  for (Participant *p : {one.get (), two.get ()}) {
    auto h = wait_frames (p->outs, "participant_pipeline_video_0", 10, 30000);
    fail_unless (h != nullptr, "a participant did not get the host's video");
    ck_assert_int_eq (caps_width (*h), 160);
  }
  fail_if (one->outs.find ("participant_loopback-r6-1").size () > 0, "its own video came back");
  guint n = 0;
  g_object_get (host.pub, "n-participants", &n, nullptr);
  ck_assert_uint_eq (n, 2);
  /* Participant 2 leaves: its pad goes on participant 1, the rest stays. */
  two.reset ();
  fail_unless (wait_until (
                   [&] () {
                     return one->outs.was_removed ("participant_loopback-r6-2_video_0") &&
                            host_outs.was_removed ("participant_loopback-r6-2_video_0");
                   },
                   20000),
               "participant 2's pads stayed after it left");
  fail_unless (other_of_one->eos, "its pad went without EOS");
  auto still = one->outs.get (one->outs.find ("participant_pipeline_video_0"));
  guint before = still->buffers;
  fail_unless (wait_until ([&] () { return still->buffers > before + 10; }, 10000));
  fail_if (one->outs.was_removed ("participant_pipeline_video_0"));
  g_object_get (host.pub, "n-participants", &n, nullptr);
  ck_assert_uint_eq (n, 1);
  fail_if (host.find (GST_MESSAGE_ERROR) || one->p->find (GST_MESSAGE_ERROR));
}
GST_END_TEST;

/* ---- room-wide data channels ------------------------------------------- */

/* One message as a member got it: the wrapper's fields. */
struct Wrapped {
  gint64 seq = -1;
  std::string from, name, op, id, code, text;
};

static Wrapped unwrap (const std::string &text)
{
  Wrapped w;
  w.text = text;
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text.c_str (), -1, nullptr) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return w;
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  w.seq = json_object_get_int_member_with_default (o, "seq", -1);
  w.from = json_object_get_string_member_with_default (o, "from", "");
  w.name = json_object_get_string_member_with_default (o, "name", "");
  JsonObject *m = json_object_get_object_member (o, "msg");
  if (m) {
    w.op = json_object_get_string_member_with_default (m, "op", "");
    w.id = json_object_get_string_member_with_default (m, "id", "");
    w.code = json_object_get_string_member_with_default (m, "code", "");
  }
  return w;
}

/* What an element hears on its data channels (string-received and
 * data-received), which of its channels opened; sends with its actions. */
struct DataPeer {
  std::mutex lock;
  std::map<std::string, std::vector<std::string>> texts; /* by label */
  std::map<std::string, std::vector<std::string>> bins;  /* by label */
  std::vector<std::string> senders;                      /* session of each board text */
  std::set<std::string> open;                            /* "session/label" */
  GstElement *element = nullptr;

  explicit DataPeer (GstElement *e) : element (GST_ELEMENT (gst_object_ref (e)))
  {
    g_signal_connect (e, "string-received", G_CALLBACK (on_string), this);
    g_signal_connect (e, "data-received", G_CALLBACK (on_data), this);
    g_signal_connect (e, "data-channel-opened", G_CALLBACK (on_opened), this);
  }
  ~DataPeer ()
  {
    g_signal_handlers_disconnect_by_data (element, this);
    gst_object_unref (element);
  }
  static void on_string (GstElement *, const gchar *session, const gchar *label, const gchar *text,
                         gpointer data)
  {
    auto self = static_cast<DataPeer *> (data);
    std::lock_guard<std::mutex> g (self->lock);
    self->texts[label].push_back (text);
    if (g_str_equal (label, "board"))
      self->senders.push_back (session);
  }
  static void on_data (GstElement *, const gchar *, const gchar *label, GBytes *bytes,
                       gpointer data)
  {
    auto self = static_cast<DataPeer *> (data);
    gsize n = 0;
    const char *d = bytes ? (const char *)g_bytes_get_data (bytes, &n) : nullptr;
    std::lock_guard<std::mutex> g (self->lock);
    self->bins[label].emplace_back (d ? d : "", n);
  }
  static void on_opened (GstElement *, const gchar *session, const gchar *label, gpointer data)
  {
    auto self = static_cast<DataPeer *> (data);
    std::lock_guard<std::mutex> g (self->lock);
    self->open.insert (std::string (session) + "/" + label);
  }
  size_t opened (const std::string &label)
  {
    std::lock_guard<std::mutex> g (lock);
    size_t n = 0;
    for (auto &o : open)
      n += o.size () > label.size () &&
           o.compare (o.size () - label.size () - 1, std::string::npos, "/" + label) == 0;
    return n;
  }
  std::vector<std::string> got (const std::string &label)
  {
    std::lock_guard<std::mutex> g (lock);
    return texts[label];
  }
  std::vector<std::string> got_binary (const std::string &label)
  {
    std::lock_guard<std::mutex> g (lock);
    return bins[label];
  }
  bool wait_texts (const std::string &label, size_t n, guint timeout_ms = 20000)
  {
    return wait_until ([&] () { return got (label).size () >= n; }, timeout_ms);
  }
  /* send-string to every session (a participant has one: the room). */
  bool send (const char *label, const std::string &text)
  {
    gboolean ok = FALSE;
    g_signal_emit_by_name (element, "send-string", nullptr, label, text.c_str (), &ok);
    return ok;
  }
};

/* What reaches a fakesink: the texts and the GstRtcDataMeta senders. */
struct SinkLog {
  std::mutex lock;
  std::vector<std::string> texts, senders;
  GstElement *sink = nullptr;
  SinkLog (GstElement *pipeline, const char *name)
  {
    sink = gst_bin_get_by_name (GST_BIN (pipeline), name);
    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), this);
  }
  ~SinkLog ()
  {
    g_signal_handlers_disconnect_by_data (sink, this);
    gst_object_unref (sink);
  }
  static void on_handoff (GstElement *, GstBuffer *buf, GstPad *, gpointer data)
  {
    auto self = static_cast<SinkLog *> (data);
    GstMapInfo map;
    if (!gst_buffer_map (buf, &map, GST_MAP_READ))
      return;
    GstRtcDataMeta *meta = gst_rtc_buffer_get_data_meta (buf);
    std::lock_guard<std::mutex> g (self->lock);
    self->texts.emplace_back ((const char *)map.data, map.size);
    self->senders.push_back (meta && meta->session_id ? meta->session_id : "?");
    gst_buffer_unmap (buf, &map);
  }
  std::vector<std::string> got ()
  {
    std::lock_guard<std::mutex> g (lock);
    return texts;
  }
};

static void push_text (GstElement *appsrc, const std::string &text)
{
  GstBuffer *buf = gst_buffer_new_memdup (text.data (), text.size ());
  GstFlowReturn ret = GST_FLOW_ERROR;
  g_signal_emit_by_name (appsrc, "push-buffer", buf, &ret);
  gst_buffer_unref (buf);
  fail_unless (ret == GST_FLOW_OK, "push-buffer: %s", gst_flow_get_name (ret));
}

static std::string stroke (const std::string &id)
{
  return R"({"op":"stroke","id":")" + id + R"(","color":"#ff0000","width":2,"points":[1,2,3,4]})";
}

/* A participant with no media (a data_recv_board pad: a plain channel to
 * the room), heard by @peer from the start; returns once the room's board
 * and files channels are open on it. */
static std::unique_ptr<Participant> join_data (const char *channel, std::unique_ptr<DataPeer> &peer)
{
  auto p = std::make_unique<Participant> (
      channel, "room.data_recv_board ! fakesink sync=false async=false",
      [&peer] (GstElement *room) { peer = std::make_unique<DataPeer> (room); });
  fail_unless (
      wait_until ([&] () { return peer->opened ("board") && peer->opened ("files"); }, 30000),
      "the room's channels did not open on a participant");
  return p;
}

GST_START_TEST (test_room_data_channels)
{
  TestPipeline host ("webrtcroom name=room" + loopback ("d1", "offerer") +
                         "room.data_recv_board ! fakesink name=rec signal-handoffs=true "
                         "sync=false async=false "
                         "appsrc name=src is-live=true format=time "
                         "caps=text/x-raw,format=utf8 ! room.data_send_board",
                     "room");
  DataPeer host_peer (host.pub);
  SinkLog rec (host.pipeline, "rec");
  GstElement *src = gst_bin_get_by_name (GST_BIN (host.pipeline), "src");
  /* Two participants (sessions loopback-d1-1 and -2). */
  std::unique_ptr<DataPeer> d1, d2, d3;
  auto p1 = join_data ("d1", d1);
  auto p2 = join_data ("d1", d2);
  fail_unless (wait_until ([&] () { return host_peer.opened ("board") >= 2; }, 10000));

  /* One at a time: the sender's echo first, then the others'. */
  fail_unless (wait_until ([&] () { return d1->send ("board", stroke ("p1:1")); }, 10000));
  fail_unless (d1->wait_texts ("board", 1));
  fail_unless (d2->send ("board", stroke ("p2:1")));
  fail_unless (d2->wait_texts ("board", 2));
  push_text (src, R"({"op":"text","id":"pipeline:1","text":"from the pipeline"})");
  for (DataPeer *d : {d1.get (), d2.get ()})
    fail_unless (d->wait_texts ("board", 3), "a participant lacks a message");
  std::vector<std::string> v1 = d1->got ("board"), v2 = d2->got ("board");
  fail_unless (v1 == v2, "the participants saw different sequences");
  const char *froms[] = {"loopback-d1-1", "loopback-d1-2", "pipeline"};
  const char *ids[] = {"p1:1", "p2:1", "pipeline:1"};
  for (int i = 0; i < 3; i++) {
    Wrapped w = unwrap (v1[i]);
    ck_assert_int_eq (w.seq, i + 1);
    ck_assert_str_eq (w.from.c_str (), froms[i]);
    ck_assert_str_eq (w.id.c_str (), ids[i]);
    ck_assert_str_eq (w.name.c_str (), i < 2 ? "loopback:d1" : "pipeline");
  }
  /* At once, from both: the same order everywhere, seq without gaps. */
  for (int i = 0; i < 20; i++) {
    fail_unless (d1->send ("board", stroke ("p1:x" + std::to_string (i))));
    fail_unless (d2->send ("board", stroke ("p2:x" + std::to_string (i))));
  }
  const size_t total = 43;
  for (DataPeer *d : {d1.get (), d2.get ()})
    fail_unless (d->wait_texts ("board", total), "%zu of %zu", d->got ("board").size (), total);
  v1 = d1->got ("board");
  v2 = d2->got ("board");
  fail_unless (v1 == v2, "the participants saw different sequences");
  for (size_t i = 0; i < v1.size (); i++)
    ck_assert_int_eq (unwrap (v1[i]).seq, (gint64)i + 1);
  /* The host pipeline's data_recv_board: everything, its own included,
   * the sender in the meta; its string-received signal as well. */
  fail_unless (wait_until ([&] () { return rec.got ().size () >= total; }, 10000));
  {
    std::lock_guard<std::mutex> g (rec.lock);
    ck_assert_uint_eq (rec.texts.size (), total);
    for (size_t i = 0; i < total; i++) {
      fail_unless (rec.texts[i] == v1[i], "the host's message %zu differs", i);
      ck_assert_str_eq (rec.senders[i].c_str (), unwrap (v1[i]).from.c_str ());
    }
  }
  fail_unless (host_peer.wait_texts ("board", total));

  /* A late joiner: the log, in order, then live messages. */
  auto p3 = join_data ("d1", d3);
  fail_unless (d3->wait_texts ("board", total));
  fail_unless (d3->got ("board") == v1, "the replay differs from what the others saw");
  fail_unless (wait_until ([&] () { return d3->send ("board", stroke ("p3:1")); }, 10000));
  for (DataPeer *d : {d1.get (), d2.get (), d3.get ()}) {
    fail_unless (d->wait_texts ("board", total + 1));
    Wrapped w = unwrap (d->got ("board")[total]);
    ck_assert_int_eq (w.seq, (gint64)total + 1);
    ck_assert_str_eq (w.from.c_str (), "loopback-d1-3");
  }

  /* Binary on files: unchanged to the others, not back to the sender. */
  std::string chunk = std::string ("\0\1\2\3\4\5\6\7", 8) + std::string (1000, 'z');
  GBytes *bytes = g_bytes_new (chunk.data (), chunk.size ());
  gboolean ok = FALSE;
  g_signal_emit_by_name (d1->element, "send-data", nullptr, "files", bytes, &ok);
  g_bytes_unref (bytes);
  fail_unless (ok);
  for (DataPeer *d : {d2.get (), d3.get (), &host_peer}) {
    fail_unless (wait_until ([&] () { return d->got_binary ("files").size () >= 1; }, 10000));
    fail_unless (d->got_binary ("files")[0] == chunk);
  }
  /* A malformed message: its sender alone hears of it. */
  fail_unless (d2->send ("board", "not json"));
  fail_unless (d2->wait_texts ("board", total + 2));
  Wrapped refused = unwrap (d2->got ("board")[total + 1]);
  ck_assert_str_eq (refused.from.c_str (), "room");
  ck_assert_str_eq (refused.code.c_str (), "bad-message");
  ck_assert_int_eq (refused.seq, 0);
  g_usleep (300 * 1000);
  ck_assert_uint_eq (d1->got ("board").size (), total + 1);
  ck_assert_uint_eq (d1->got_binary ("files").size (), 0);
  ck_assert_uint_eq (d3->got ("board").size (), total + 1);

  fail_if (host.find (GST_MESSAGE_ERROR));
  fail_if (host.find (GST_MESSAGE_WARNING), "a warning on the host");
  gst_object_unref (src);
}
GST_END_TEST;

static Suite *webrtcroom_suite (void)
{
  Suite *s = suite_create ("webrtcroom");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_room_tracks_to_answering_participant);
  tcase_add_test (tc, test_offering_participant_track_to_pipeline);
  tcase_add_test (tc, test_participant_source_changes);
  tcase_add_test (tc, test_room_joins_room);
  tcase_add_test (tc, test_track_goes_away);
  tcase_add_test (tc, test_participant_leaves);
  tcase_add_test (tc, test_recording);
  tcase_add_test (tc, test_room_hosts_two_participants);
  tcase_add_test (tc, test_room_data_channels);
  return s;
}

GST_CHECK_MAIN (webrtcroom);

/* The room signaller (ext/rtcbridge/gstrtcroomsignaller.*) on its own,
 * against its contract (the header) and docs/room-protocol.md: the test
 * plays the element (it records the GstRtcSignaller signals and calls the
 * vfuncs) and 1-5 participants (libsoup WebSocket clients on one loop
 * thread, as a browser's). No element and no plugin: the signaller and the
 * server are linked into the test. Waits are generous; nothing measures
 * speed. Leaving, who may join, bad input and the signaller's end are in
 * rtcroomsignaller_lifecycle.cpp. */
#include <gst/check/gstcheck.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gst/rtcbridge/gstrtcsignaller.h>
#include "gstrtcroomsignaller.h"
#include "rtctesthttp.h"
#include "rtctestsignalling.h"
#include "rtctestroom.h"
#include "rtctestroomsignaller.h"
#include "rtctestutil.h"

/* ---- join, welcome, roster --------------------------------------------- */

GST_START_TEST (test_join_welcome_roster)
{
  TestRoom r ([] (GObject *o) {
    g_object_set (o, "room-name", "standup", "ice-servers",
                  "stun://stun.example.org:3478, turn://user:p%40ss@turn.example.org:3478",
                  "data-channels", "[{\"label\":\"cursor\",\"ordered\":false}]", "pipeline-tracks",
                  "[{\"id\":\"cam\",\"kind\":\"video\",\"label\":\"camera\"}]", "max-participants",
                  5, "messages-per-second", 40, nullptr);
  });
  fail_unless_equals_int (gst_rtc_signaller_get_role (r.sig), GST_RTC_SIGNALLER_ROLE_OFFERER);
  fail_unless (gst_rtc_signaller_get_trickle (r.sig));
  g_autofree gchar *url = nullptr;
  g_object_get (r.sig, "url", &url, nullptr);
  assert_str (url, r.base + "/room/standup");
  fail_unless_equals_int (r.n_participants (), 0);

  Msg wa;
  auto a = r.join ("Ann", &wa);
  assert_str (a->protocol (), "rtcbridge-room.v1");
  fail_unless_equals_int (wa.i ("v"), 1);
  assert_str (wa.s ("room"), "standup");
  std::string ida = wa.s ("id");
  fail_unless (g_str_has_prefix (ida.c_str (), "p"), "%s", ida.c_str ());
  fail_unless_equals_int (wa.s ("secret").size (), 48);
  /* The roster: the others; here only the pipeline and its track. */
  fail_unless_equals_int (wa.len ("roster"), 1);
  assert_str (wa.s ("roster.0.id"), "pipeline");
  fail_unless (wa.b ("roster.0.pipeline"));
  assert_str (wa.s ("roster.0.tracks.0.id"), "cam");
  assert_str (wa.s ("roster.0.tracks.0.label"), "camera");
  fail_unless_equals_int (wa.len ("ice_servers"), 2);
  assert_str (wa.s ("ice_servers.0.urls"), "stun:stun.example.org:3478");
  fail_if (wa.has ("ice_servers.0.username"));
  assert_str (wa.s ("ice_servers.1.urls"), "turn:turn.example.org:3478");
  assert_str (wa.s ("ice_servers.1.username"), "user");
  assert_str (wa.s ("ice_servers.1.credential"), "p@ss");
  fail_unless_equals_int (wa.i ("limits.max_participants"), 5);
  fail_unless_equals_int (wa.i ("limits.max_message_bytes"), 262144);
  fail_unless_equals_int (wa.i ("limits.messages_per_second"), 40);
  assert_str (wa.s ("data.0.label"), "cursor");
  Event ea = r.rec.wait ("session-requested");
  assert_str (ea.id, ida);
  assert_str (ea.text, "Ann");
  fail_unless (ea.sdp.empty ());
  fail_unless (eventually ([&] { return r.n_participants () == 1; }));

  Msg wb;
  auto b = r.join ("Bob", &wb);
  std::string idb = wb.s ("id");
  fail_if (idb == ida);
  fail_unless_equals_int (wb.len ("roster"), 2);
  assert_str (wb.s ("roster.0.id"), ida);
  assert_str (wb.s ("roster.0.name"), "Ann");
  fail_if (wb.b ("roster.0.pipeline"));
  Msg joined = a->wait ("joined");
  assert_str (joined.s ("participant.id"), idb);
  assert_str (joined.s ("participant.name"), "Bob");
  fail_unless_equals_int (joined.len ("participant.tracks"), 0);
  fail_unless_equals_int (b->count ("joined"), 0);
  fail_unless (eventually ([&] { return r.n_participants () == 2; }));

  /* /streams.json lists the room (not the board on its own). */
  HttpReply list = http_request ("GET", r.base + "/streams.json");
  fail_unless_equals_int (list.status, 200);
  fail_unless (list.body.find ("\"room\":\"/room/standup\"") != std::string::npos, "%s",
               list.body.c_str ());
  fail_unless (list.body.find ("\"participants\":2") != std::string::npos, "%s",
               list.body.c_str ());
  fail_unless (list.body.find ("\"board\":\"/board/standup\"") != std::string::npos);
  fail_unless (list.body.find ("\"name\":\"standup\"") == list.body.rfind ("\"name\":\"standup\""),
               "the board is listed on its own: %s", list.body.c_str ());
  fail_unless_equals_int (r.rec.count ("session-requested"), 2);
  fail_unless_equals_int (r.rec.count ("session-ended"), 0);
}
GST_END_TEST;

GST_START_TEST (test_pages_and_handshake)
{
  TestRoom r (
      [] (GObject *o) { g_object_set (o, "allowed-origins", "http://good.example", nullptr); });
  HttpReply page = http_request ("GET", r.base + "/room/" + r.name);
  fail_unless_equals_int (page.status, 200);
  fail_unless (g_str_has_prefix (page.header ("content-type").c_str (), "text/html"));
  fail_unless (page.body.find ("<html") != std::string::npos);
  fail_unless_equals_int (http_request ("GET", r.base + "/board/" + r.name).status, 200);
  fail_unless_equals_int (
      http_request ("POST", r.base + "/room/" + r.name, "text/plain", "x").status, 405);
  fail_unless_equals_int (http_request ("GET", r.base + "/room/" + r.name + "/x").status, 404);
  fail_unless_equals_int (http_request ("GET", r.base + "/room/other").status, 404);

  /* Subprotocol: ours, none, or only others (refused). */
  Client::Options none;
  none.protocols = {};
  auto c0 = r.connect (none);
  assert_str (c0->protocol (), "");
  Client::Options both;
  both.protocols = {"x-other", "rtcbridge-room.v1"};
  auto c1 = r.connect (both);
  assert_str (c1->protocol (), "rtcbridge-room.v1");
  Client::Options other;
  other.protocols = {"x-other"};
  Client c2 (r.loop, r.ws, other);
  fail_if (c2.open ());
  fail_unless_equals_int (c2.status (), 400);

  /* The origin allow-list: 403 before the handshake. */
  Client::Options evil;
  evil.origin = "http://evil.example";
  Client c3 (r.loop, r.ws, evil);
  fail_if (c3.open ());
  fail_unless_equals_int (c3.status (), 403);
  Client::Options good;
  good.origin = "http://good.example";
  auto c4 = r.connect (good);
  c4->send (join_message ("Gina"));
  c4->wait ("welcome");

  /* No WebSocket below the room's path, nor on the board. */
  Client c5 (r.loop, r.ws + "/x");
  fail_if (c5.open ());
  fail_unless_equals_int (c5.status (), 404);
  Client c6 (r.loop, "ws://127.0.0.1:" + std::to_string (r.port) + "/board/" + r.name);
  fail_if (c6.open ());
}
GST_END_TEST;

/* ---- negotiation ------------------------------------------------------- */

/* By default only the room's own pages may open its WebSocket (a page on
 * another site could otherwise join from a visitor's browser); clients
 * that are not browsers send no Origin. */
GST_START_TEST (test_same_origin_by_default)
{
  TestRoom r;
  Client::Options evil;
  evil.origin = "http://evil.example";
  Client c1 (r.loop, r.ws, evil);
  fail_if (c1.open ());
  fail_unless_equals_int (c1.status (), 403);
  Client::Options other_port;
  other_port.origin = "http://127.0.0.1:" + std::to_string (r.port + 1);
  Client c2 (r.loop, r.ws, other_port);
  fail_if (c2.open ());
  fail_unless_equals_int (c2.status (), 403);
  Client::Options own;
  own.origin = "http://127.0.0.1:" + std::to_string (r.port);
  auto c3 = r.connect (own);
  c3->send (join_message ("Own"));
  c3->wait ("welcome");
  auto c4 = r.connect ();
  c4->send (join_message ("Tool"));
  c4->wait ("welcome");
}
GST_END_TEST;

GST_START_TEST (test_descriptions_and_tracks_map)
{
  TestRoom r ([] (GObject *o) {
    g_object_set (o, "pipeline-tracks",
                  "[{\"id\":\"mic\",\"kind\":\"audio\",\"label\":\"microphone\"}]", nullptr);
  });
  Msg wa, wb;
  auto a = r.join ("Ann", &wa);
  auto b = r.join ("Bob", &wb);
  std::string ida = wa.s ("id"), idb = wb.s ("id");

  /* Bob offers his camera; the element answers; he announces it. */
  std::string bob_offer = make_sdp ({{"video", "0", "sendrecv", ""}});
  b->send (description_message ("offer", bob_offer));
  Event d = r.rec.wait ("session-description");
  assert_str (d.id, idb);
  fail_unless_equals_int (d.type, GST_WEBRTC_SDP_TYPE_OFFER);
  assert_str (d.sdp, sdp_normalized (bob_offer));
  r.send_description (idb, GST_WEBRTC_SDP_TYPE_ANSWER, make_sdp ({{"video", "0", "recvonly", ""}}));
  Msg answer = b->wait ("description");
  assert_str (answer.s ("sdp.type"), "answer");
  fail_unless_equals_int (answer.len ("tracks"), 0);
  b->send ("{\"type\":\"track\",\"action\":\"publish\",\"mid\":\"0\",\"kind\":\"video\","
           "\"label\":\"camera\"}");
  RoomRecorder::Event pub = r.room_rec.wait ("track-published");
  assert_str (pub.id, idb);
  assert_str (pub.a, "0");
  assert_str (pub.b, "video");
  assert_str (pub.c, "camera");
  Msg relayed = a->wait ("track");
  assert_str (relayed.s ("action"), "published");
  assert_str (relayed.s ("participant"), idb);
  assert_str (relayed.s ("track.id"), "0");
  assert_str (relayed.s ("track.kind"), "video");
  assert_str (relayed.s ("track.label"), "camera");
  fail_if (relayed.b ("track.muted"));

  /* The element offers Ann Bob's camera and its microphone: `tracks` maps
   * each sending m-line from its msid. */
  std::string room_offer = make_sdp ({{"video", "v0", "sendonly", idb + "/0"},
                                      {"audio", "a1", "sendonly", "pipeline/mic"},
                                      {"audio", "a2", "inactive", idb + "/9"},
                                      {"video", "v3", "sendonly", ""}});
  r.send_description (ida, GST_WEBRTC_SDP_TYPE_OFFER, room_offer);
  Msg offer = a->wait ("description");
  assert_str (offer.s ("sdp.type"), "offer");
  assert_str (offer.s ("sdp.sdp"), sdp_normalized (room_offer));
  fail_unless_equals_int (offer.len ("tracks"), 2);
  assert_str (offer.s ("tracks.v0.participant"), idb);
  assert_str (offer.s ("tracks.v0.track"), "0");
  assert_str (offer.s ("tracks.v0.kind"), "video");
  assert_str (offer.s ("tracks.v0.label"), "camera");
  assert_str (offer.s ("tracks.a1.participant"), "pipeline");
  assert_str (offer.s ("tracks.a1.track"), "mic");
  assert_str (offer.s ("tracks.a1.kind"), "audio");
  assert_str (offer.s ("tracks.a1.label"), "microphone");

  /* Ann answers; later she offers (renegotiation). */
  std::string ann_answer = make_sdp ({{"video", "v0", "recvonly", ""},
                                      {"audio", "a1", "recvonly", ""},
                                      {"audio", "a2", "inactive", ""},
                                      {"video", "v3", "recvonly", ""}});
  a->send (description_message ("answer", ann_answer));
  Event d2 = r.rec.wait ("session-description", 2);
  assert_str (d2.id, ida);
  fail_unless_equals_int (d2.type, GST_WEBRTC_SDP_TYPE_ANSWER);
  /* A second answer fits nothing. */
  a->send (description_message ("answer", ann_answer));
  a->wait_error ("state");
  std::string ann_offer = make_sdp ({{"video", "v0", "recvonly", ""},
                                     {"audio", "a1", "recvonly", ""},
                                     {"audio", "a2", "inactive", ""},
                                     {"video", "v3", "recvonly", ""},
                                     {"video", "v4", "sendonly", ""}});
  a->send (description_message ("offer", ann_offer));
  Event d3 = r.rec.wait ("session-description", 3);
  assert_str (d3.id, ida);
  fail_unless_equals_int (d3.type, GST_WEBRTC_SDP_TYPE_OFFER);
  fail_unless_equals_int (r.rec.count ("session-description"), 3);
}
GST_END_TEST;

GST_START_TEST (test_candidates)
{
  TestRoom r;
  Msg w;
  auto a = r.join ("Ann", &w);
  std::string id = w.s ("id");
  /* Before any description, a candidate fits nothing. */
  a->send ("{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"" + std::string (CANDIDATE) +
           "\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}");
  a->wait_error ("state");
  r.send_description (id, GST_WEBRTC_SDP_TYPE_OFFER,
                      make_sdp ({{"video", "0", "sendonly", ""}, {"audio", "1", "sendonly", ""}}));
  a->wait ("description");

  /* Client -> room: by mid, by index, the end. */
  a->send ("{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"" + std::string (CANDIDATE) +
           "\",\"sdpMid\":\"1\",\"sdpMLineIndex\":null}}");
  Event c1 = r.rec.wait ("ice-candidate");
  assert_str (c1.id, id);
  fail_unless_equals_int (c1.mline, 1);
  assert_str (c1.text, CANDIDATE);
  a->send ("{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"a=" + std::string (CANDIDATE) +
           "\",\"sdpMLineIndex\":0}}");
  Event c2 = r.rec.wait ("ice-candidate", 2);
  fail_unless_equals_int (c2.mline, 0);
  assert_str (c2.text, CANDIDATE);
  a->send ("{\"type\":\"candidate\",\"candidate\":null}");
  Event c3 = r.rec.wait ("ice-candidate", 3);
  assert_str (c3.text, "");
  /* Refused: unknown mid, an index out of range, neither, not a candidate. */
  a->send ("{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"" + std::string (CANDIDATE) +
           "\",\"sdpMid\":\"7\"}}");
  a->wait_error ("bad-message", 1);
  a->send ("{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"" + std::string (CANDIDATE) +
           "\",\"sdpMLineIndex\":5}}");
  a->wait_error ("bad-message", 2);
  a->send ("{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"" + std::string (CANDIDATE) +
           "\"}}");
  a->wait_error ("bad-message", 3);
  a->send ("{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"hello\",\"sdpMLineIndex\":0}}");
  a->wait_error ("bad-message", 4);
  a->send ("{\"type\":\"candidate\",\"candidate\":{\"candidate\":7,\"sdpMLineIndex\":0}}");
  a->wait_error ("bad-message", 5);
  a->assert_alive ();
  fail_unless_equals_int (r.rec.count ("ice-candidate"), 3);

  /* Room -> client. */
  gst_rtc_signaller_send_ice_candidate (r.sig, id.c_str (), 1, CANDIDATE);
  Msg m = a->wait ("candidate");
  assert_str (m.s ("candidate.candidate"), CANDIDATE);
  assert_str (m.s ("candidate.sdpMid"), "1");
  fail_unless_equals_int (m.i ("candidate.sdpMLineIndex"), 1);
  gst_rtc_signaller_send_ice_candidate (r.sig, id.c_str (), 0, nullptr);
  Msg end = a->wait ("candidate", 2);
  fail_unless (end.is_null ("candidate"), "%s", end.text.c_str ());
  /* For a session that is no more: dropped. */
  gst_rtc_signaller_send_ice_candidate (r.sig, "p999", 0, CANDIDATE);
  a->assert_alive ();
  fail_unless_equals_int (a->count ("candidate"), 2);
}
GST_END_TEST;

GST_START_TEST (test_glare)
{
  TestRoom r;
  Msg w;
  auto a = r.join ("Ann", &w);
  std::string id = w.s ("id");
  std::string room_offer = make_sdp ({{"video", "0", "sendonly", ""}});
  std::string client_offer = make_sdp ({{"video", "0", "sendrecv", ""}});
  std::string client_answer = make_sdp ({{"video", "0", "recvonly", ""}});
  r.send_description (id, GST_WEBRTC_SDP_TYPE_OFFER, room_offer);
  a->wait ("description");
  /* Its offer while the room's is outstanding: glare, nothing emitted. */
  a->send (description_message ("offer", client_offer));
  Msg glare = a->wait_error ("glare");
  assert_str (glare.s ("ref"), "description");
  a->assert_alive ();
  fail_unless_equals_int (r.rec.count ("session-description"), 0);
  /* It answers, then offers again: both go to the element. */
  a->send (description_message ("answer", client_answer));
  fail_unless_equals_int (r.rec.wait ("session-description").type, GST_WEBRTC_SDP_TYPE_ANSWER);
  a->send (description_message ("offer", client_offer));
  fail_unless_equals_int (r.rec.wait ("session-description", 2).type, GST_WEBRTC_SDP_TYPE_OFFER);
  /* A second offer before the room answered the first: state. */
  a->send (description_message ("offer", client_offer));
  a->wait_error ("state");
  r.send_description (id, GST_WEBRTC_SDP_TYPE_ANSWER, client_answer);
  assert_str (a->wait ("description", 2).s ("sdp.type"), "answer");
  a->send (description_message ("offer", client_offer));
  r.rec.wait ("session-description", 3);
  fail_unless_equals_int (r.rec.count ("session-description"), 3);
}
GST_END_TEST;

/* ---- tracks, mute, pipeline tracks -------------------------------------- */

GST_START_TEST (test_track_publish_mute)
{
  TestRoom r;
  Msg wa, wb;
  auto a = r.join ("Ann", &wa);
  auto b = r.join ("Bob", &wb);
  std::string idb = wb.s ("id");
  const std::string publish = "{\"type\":\"track\",\"action\":\"publish\",\"mid\":\"0\","
                              "\"kind\":\"video\",\"label\":\"screen\"}";
  /* Before a description that sends it: state. */
  b->send (publish);
  b->wait_error ("state");
  b->send (description_message (
      "offer", make_sdp ({{"video", "0", "sendonly", ""}, {"audio", "1", "recvonly", ""}})));
  r.rec.wait ("session-description");
  /* A receiving m-line, the wrong kind, a long label, a bad action. */
  b->send ("{\"type\":\"track\",\"action\":\"publish\",\"mid\":\"1\",\"kind\":\"audio\","
           "\"label\":\"microphone\"}");
  b->wait_error ("state", 2);
  b->send ("{\"type\":\"track\",\"action\":\"publish\",\"mid\":\"0\",\"kind\":\"audio\","
           "\"label\":\"microphone\"}");
  b->wait_error ("bad-message");
  b->send ("{\"type\":\"track\",\"action\":\"publish\",\"mid\":\"0\",\"kind\":\"video\","
           "\"label\":\"" +
           std::string (33, 'x') + "\"}");
  b->wait_error ("bad-message", 2);
  b->send ("{\"type\":\"track\",\"action\":\"replace\",\"mid\":\"0\"}");
  b->wait_error ("bad-message", 3);
  fail_unless_equals_int (a->count ("track"), 0);
  fail_unless_equals_int (r.room_rec.count ("track-published"), 0);

  b->send (publish);
  r.room_rec.wait ("track-published");
  assert_str (a->wait ("track").s ("track.label"), "screen");
  b->send (publish);
  b->wait_error ("state", 3);

  /* Mute is relayed, and a newcomer's roster shows it. */
  b->send ("{\"type\":\"mute\",\"mid\":\"0\",\"muted\":true}");
  Msg mute = a->wait ("mute");
  assert_str (mute.s ("participant"), idb);
  assert_str (mute.s ("track"), "0");
  fail_unless (mute.b ("muted"));
  b->send ("{\"type\":\"mute\",\"mid\":\"5\",\"muted\":true}");
  b->wait_error ("state", 4);
  b->send ("{\"type\":\"mute\",\"mid\":\"0\",\"muted\":\"yes\"}");
  b->wait_error ("bad-message", 4);
  Msg wc;
  auto c = r.join ("Cleo", &wc);
  assert_str (wc.s ("roster.1.id"), idb);
  assert_str (wc.s ("roster.1.tracks.0.id"), "0");
  fail_unless (wc.b ("roster.1.tracks.0.muted"));
  fail_unless_equals_int (b->count ("mute"), 0);

  b->send ("{\"type\":\"track\",\"action\":\"unpublish\",\"mid\":\"0\"}");
  RoomRecorder::Event un = r.room_rec.wait ("track-unpublished");
  assert_str (un.id, idb);
  assert_str (un.a, "0");
  Msg gone = a->wait ("track", 2);
  assert_str (gone.s ("action"), "unpublished");
  assert_str (gone.s ("track.id"), "0");
  assert_str (c->wait ("track").s ("action"), "unpublished");
  b->send ("{\"type\":\"track\",\"action\":\"unpublish\",\"mid\":\"0\"}");
  b->wait_error ("state", 5);
  fail_unless_equals_int (r.room_rec.count ("track-published"), 1);
  fail_unless_equals_int (r.room_rec.count ("track-unpublished"), 1);
}
GST_END_TEST;

GST_START_TEST (test_pipeline_tracks)
{
  TestRoom r;
  auto a = r.join ("Ann");
  g_object_set (r.sig, "pipeline-tracks",
                "[{\"id\":\"cam\",\"kind\":\"video\",\"label\":\"camera\"}]", nullptr);
  Msg joined = a->wait ("joined");
  assert_str (joined.s ("participant.id"), "pipeline");
  fail_unless (joined.b ("participant.pipeline"));
  assert_str (joined.s ("participant.tracks.0.id"), "cam");
  g_object_set (r.sig, "pipeline-tracks",
                "[{\"id\":\"cam\",\"kind\":\"video\",\"label\":\"camera\"},"
                "{\"id\":\"mic\",\"kind\":\"audio\",\"label\":\"microphone\"}]",
                nullptr);
  Msg added = a->wait ("track");
  assert_str (added.s ("action"), "published");
  assert_str (added.s ("participant"), "pipeline");
  assert_str (added.s ("track.id"), "mic");
  /* Not JSON, a bad kind, twice the same id: ignored. */
  for (const char *bad : {"[", "[{\"id\":\"x\",\"kind\":\"text\"}]",
                          "[{\"id\":\"x\",\"kind\":\"audio\"},{\"id\":\"x\",\"kind\":\"video\"}]"})
    g_object_set (r.sig, "pipeline-tracks", bad, nullptr);
  g_autofree gchar *value = nullptr;
  g_object_get (r.sig, "pipeline-tracks", &value, nullptr);
  fail_unless (strstr (value, "\"mic\"") != nullptr);
  g_object_set (r.sig, "pipeline-tracks",
                "[{\"id\":\"mic\",\"kind\":\"audio\",\"label\":\"microphone\"}]", nullptr);
  Msg removed = a->wait ("track", 2);
  assert_str (removed.s ("action"), "unpublished");
  assert_str (removed.s ("track.id"), "cam");
  g_object_set (r.sig, "pipeline-tracks", "[]", nullptr);
  Msg left = a->wait ("left");
  assert_str (left.s ("id"), "pipeline");
  fail_unless_equals_int (a->count ("track"), 2);
}
GST_END_TEST;

/* ---- chat, ping -------------------------------------------------------- */

GST_START_TEST (test_chat)
{
  TestRoom r;
  Msg wa, wb;
  auto a = r.join ("Ann", &wa);
  auto b = r.join ("Bob", &wb);
  auto c = r.join ("Cleo");
  const guint N = 10;
  for (guint i = 0; i < N; i++)
    (i % 2 ? b : a)->send ("{\"type\":\"chat\",\"text\":\"message " + std::to_string (i) + "\"}");
  /* Everyone, the senders too, sees the same messages in the same order,
   * seq increasing, and each sender's in the order it sent them. */
  std::vector<std::string> seen[3];
  Client *clients[3] = {a.get (), b.get (), c.get ()};
  for (int k = 0; k < 3; k++) {
    clients[k]->wait ("chat", N);
    gint64 last = 0, next_a = 0, next_b = 1;
    for (auto &m : clients[k]->all ("chat")) {
      fail_unless (m.i ("seq") > last, "seq %" G_GINT64_FORMAT " after %" G_GINT64_FORMAT,
                   m.i ("seq"), last);
      last = m.i ("seq");
      fail_unless (m.i ("ts") > 0);
      bool from_a = m.s ("from") == wa.s ("id");
      assert_str (m.s ("name"), from_a ? "Ann" : "Bob");
      gint64 &next = from_a ? next_a : next_b;
      assert_str (m.s ("text"), "message " + std::to_string (next));
      next += 2;
      seen[k].push_back (m.s ("text") + "#" + std::to_string (m.i ("seq")));
    }
  }
  fail_unless (seen[0] == seen[1] && seen[1] == seen[2]);
  /* The element hears them too, in the same order. */
  RoomRecorder::Event last = r.room_rec.wait ("chat", N);
  fail_unless_equals_int (r.room_rec.count ("chat"), N);
  for (guint i = 1; i <= N; i++) {
    RoomRecorder::Event e = r.room_rec.wait ("chat", i);
    assert_str (e.b + "#" + std::to_string (e.seq), seen[0][i - 1]);
  }
  fail_unless_equals_int (last.seq, a->all ("chat").back ().i ("seq"));

  /* The pipeline speaks: everyone hears "pipeline", next in the order. */
  gboolean sent = FALSE;
  g_signal_emit_by_name (r.sig, "send-chat", "hello from the pipeline", &sent);
  fail_unless (sent);
  for (Client *k : clients) {
    Msg m = k->wait ("chat", N + 1);
    assert_str (m.s ("from"), "pipeline");
    assert_str (m.s ("text"), "hello from the pipeline");
    fail_unless_equals_int (m.i ("seq"), (gint64)last.seq + 1);
  }
  g_signal_emit_by_name (r.sig, "send-chat", "", &sent);
  fail_if (sent);

  /* Empty, too long, not a string: refused. 4096 characters (not bytes)
   * are fine. */
  a->send ("{\"type\":\"chat\",\"text\":\"\"}");
  a->wait_error ("bad-message");
  a->send ("{\"type\":\"chat\",\"text\":\"" + std::string (4097, 'x') + "\"}");
  a->wait_error ("bad-message", 2);
  a->send ("{\"type\":\"chat\",\"text\":42}");
  a->wait_error ("bad-message", 3);
  std::string long_text;
  for (int i = 0; i < 4096; i++)
    long_text += "\xc3\xa9";
  a->send ("{\"type\":\"chat\",\"text\":\"" + long_text + "\"}");
  assert_str (b->wait ("chat", N + 2).s ("text"), long_text);
  /* The element heard that one, not the pipeline's own. */
  assert_str (r.room_rec.wait ("chat", N + 1).b, long_text);
  fail_unless_equals_int (r.room_rec.count ("chat"), N + 1);
}
GST_END_TEST;

/* Audio mixing's events, as the element sends them: "speaking", the
 * host's mutes and the levels reach every participant; a newcomer learns at once who
 * speaks and who is muted now, and nothing of what is over. */
GST_START_TEST (test_speaking_and_host_mutes)
{
  TestRoom r;
  Msg wa, wb;
  auto a = r.join ("Ann", &wa);
  auto b = r.join ("Bob", &wb);
  std::string ann = wa.s ("id"), bob = wb.s ("id");
  g_signal_emit_by_name (r.sig, "send-speaking", ann.c_str (), TRUE, -20, TRUE);
  g_signal_emit_by_name (r.sig, "send-audio-muted", bob.c_str (), TRUE);
  for (Client *k : {a.get (), b.get ()}) {
    Msg m = k->wait ("speaking");
    assert_str (m.s ("participant"), ann);
    fail_unless (m.b ("speaking") && m.b ("active"));
    fail_unless_equals_int (m.i ("level"), -20);
    Msg muted = k->wait ("audio-muted");
    assert_str (muted.s ("participant"), bob);
    fail_unless (muted.b ("muted"));
    assert_str (muted.s ("by"), "host");
  }
  /* A newcomer: right after its welcome, Ann speaks and Bob is muted. */
  auto c = r.join ("Cleo");
  Msg cs = c->wait ("speaking");
  assert_str (cs.s ("participant"), ann);
  fail_unless (cs.b ("speaking"));
  Msg cm = c->wait ("audio-muted");
  assert_str (cm.s ("participant"), bob);
  fail_unless (cm.b ("muted"));
  /* Unmuted, and Ann stops: everyone hears it; the next newcomer gets
   * neither. */
  g_signal_emit_by_name (r.sig, "send-audio-muted", bob.c_str (), FALSE);
  g_signal_emit_by_name (r.sig, "send-speaking", ann.c_str (), FALSE, -60, FALSE);
  for (Client *k : {a.get (), b.get (), c.get ()}) {
    Msg m = k->wait ("audio-muted", 2);
    assert_str (m.s ("participant"), bob);
    fail_if (m.b ("muted"));
    fail_if (k->wait ("speaking", 2).b ("speaking"));
  }
  /* Levels: everyone gets each one's, as the element gave them. */
  GstStructure *levels = gst_structure_new ("levels", ann.c_str (), G_TYPE_INT, -20, bob.c_str (),
                                            G_TYPE_INT, -127, nullptr);
  g_signal_emit_by_name (r.sig, "send-levels", levels);
  gst_structure_free (levels);
  for (Client *k : {a.get (), b.get (), c.get ()}) {
    Msg m = k->wait ("levels");
    fail_unless_equals_int (m.i ("levels." + ann), -20);
    fail_unless_equals_int (m.i ("levels." + bob), -127);
  }
  auto d = r.join ("Dan");
  /* Anything stray would come right after its welcome. */
  wait_until ([] () { return false; }, 500);
  fail_unless_equals_int (d->count ("speaking"), 0);
  fail_unless_equals_int (d->count ("audio-muted"), 0);
}
GST_END_TEST;

GST_START_TEST (test_ping_pong)
{
  TestRoom r ([] (GObject *o) { g_object_set (o, "keepalive-timeout", 1500, nullptr); });
  Client::Options o;
  o.auto_pong = true;
  auto a = r.join ("Ann", nullptr, o);
  a->send ("{\"type\":\"ping\",\"ts\":42}");
  Msg pong = a->wait ("pong");
  fail_unless_equals_int (pong.i ("ts"), 42);
  a->send ("{\"type\":\"ping\"}");
  fail_if (a->wait ("pong", 2).has ("ts"));
  /* The room pings (a third of keepalive-timeout when that is under 15 s);
   * a participant that answers stays, past several timeouts. */
  Msg ping = a->wait ("ping");
  fail_unless (ping.i ("ts") > 0);
  a->wait ("ping", 8);
  a->assert_alive ();
  fail_unless_equals_int (r.rec.count ("session-ended"), 0);
}
GST_END_TEST;

static Suite *rtcroomsignaller_suite (void)
{
  Suite *s = suite_create ("rtcroomsignaller");
  TCase *tc = tcase_create ("room");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_join_welcome_roster);
  tcase_add_test (tc, test_pages_and_handshake);
  tcase_add_test (tc, test_same_origin_by_default);
  tcase_add_test (tc, test_descriptions_and_tracks_map);
  tcase_add_test (tc, test_candidates);
  tcase_add_test (tc, test_glare);
  tcase_add_test (tc, test_track_publish_mute);
  tcase_add_test (tc, test_pipeline_tracks);
  tcase_add_test (tc, test_chat);
  tcase_add_test (tc, test_speaking_and_host_mutes);
  tcase_add_test (tc, test_ping_pong);
  return s;
}

int main (int argc, char **argv)
{
  /* The signallers are linked in: loading the plugin as well would register
   * their GTypes twice. Never scan or load a plugin. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtcroomsignaller_suite (), "rtcroomsignaller", __FILE__);
}

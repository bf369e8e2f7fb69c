/* The room signaller (ext/rtcbridge/gstrtcroomsignaller.*) on its own, as
 * rtcroomsignaller.cpp tests it (the test plays the element and the
 * participants; see rtctestroomsignaller.h): how a participant's stay ends
 * (keepalive, leave, a dropped socket and its resume), who may join, bad
 * input and floods, sessions the element ends or refuses, stop and restart.
 * Waits are generous; nothing measures speed. */
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
#include "gstrtcroomdefaultsignaller.h"
#include "gstrtcroomsignaller.h"
#include "rtctesthttp.h"
#include "rtctestsignalling.h"
#include "rtctestroom.h"
#include "rtctestjwt.h"
#include "rtctestroomsignaller.h"
#include "rtctestutil.h"

/* "authorize" on webrtcroom's default signaller (relayed from the room
 * signaller inside): what it is asked, in order, and what it answers. */
static gboolean on_room_authorize (GObject *, GstStructure *request, gpointer data)
{
  auto asked = static_cast<std::vector<std::string> *> (data);
  auto field = [&] (const GstStructure *s, const char *name) {
    const gchar *v = gst_structure_get_string (s, name);
    return std::string (v ? v : "-");
  };
  const GstStructure *headers =
      gst_value_get_structure (gst_structure_get_value (request, "headers"));
  std::string method = field (request, "method"), name = field (request, "name");
  asked->push_back (method + " " + field (request, "path") + " " + field (request, "stream") + " " +
                    name + " " + field (request, "token") + " " + field (request, "permissions") +
                    " " + field (request, "remote-address") +
                    " ticket=" + field (headers, "x-ticket"));
  if (name == "Mallory")
    return FALSE;
  if (name == "Vic" || field (headers, "x-ticket") == "view-only")
    gst_structure_set (request, "permissions", G_TYPE_STRING, "view", nullptr);
  if (name == "Nobody")
    gst_structure_set (request, "permissions", G_TYPE_STRING, "", nullptr);
  if (method == "POST")
    return field (headers, "x-ticket") != "-";
  return TRUE;
}

GST_START_TEST (test_authorize)
{
  std::vector<std::string> asked;
  TestRoom r (
      [&] (GObject *o) {
        g_object_set (o, "room-name", "standup", "auth-token", "s3cret", nullptr);
        g_signal_connect (o, "authorize", G_CALLBACK (on_room_authorize), &asked);
      },
      GST_TYPE_RTC_ROOM_DEFAULT_SIGNALLER);
  const std::string token = ",\"token\":\"s3cret\"";
  /* A wrong token never reaches the application. */
  auto eve = r.connect ();
  eve->send (join_message ("Eve", ",\"token\":\"guess\""));
  eve->wait_error ("unauthorized");
  fail_unless_equals_int (eve->wait_closed (), 4001);
  fail_unless_equals_int (asked.size (), 0);

  auto ann = r.connect ();
  ann->send (join_message ("Ann", token));
  ann->wait ("welcome");
  fail_unless_equals_int (asked.size (), 1);
  assert_str (asked[0],
              "join /room/standup standup Ann s3cret view,publish,control 127.0.0.1 ticket=-");
  for (const char *who : {"Mallory", "Nobody"}) {
    auto c = r.connect ();
    c->send (join_message (who, token));
    Msg e = c->wait_error ("unauthorized");
    assert_str (e.s ("message"), g_str_equal (who, "Mallory") ? "refused by the application"
                                                              : "not permitted: view");
    fail_unless_equals_int (c->wait_closed (), 4001);
  }
  /* Narrowed to view: in, but its tracks are refused. */
  auto vic = r.connect ();
  vic->send (join_message ("Vic", token));
  vic->wait ("welcome");
  vic->send ("{\"type\":\"track\",\"action\":\"publish\",\"mid\":\"0\",\"kind\":\"video\","
             "\"label\":\"camera\"}");
  Msg refused = vic->wait_error ("forbidden");
  fail_unless_equals_int (r.rec.count ("session-requested"), 2);
  fail_unless_equals_int (asked.size (), 4);

  /* The WHIP door: the token first (401 without asking), then the
   * application (403 without its ticket, or a ticket that only views). */
  std::string whip = r.base + "/whip-room/standup";
  std::string offer = read_fixture ("offers/chromium.sdp");
  HttpReply h = http_request ("POST", whip, "application/sdp", offer, {{"X-Ticket", "ok"}});
  fail_unless_equals_int (h.status, 401);
  fail_unless_equals_int (asked.size (), 4);
  h = http_request ("POST", whip, "application/sdp", offer, {{"Authorization", "Bearer s3cret"}});
  fail_unless_equals_int (h.status, 403);
  fail_unless (h.body.find ("refused by the application") != std::string::npos, "%s",
               h.body.c_str ());
  h = http_request ("POST", whip, "application/sdp", offer,
                    {{"Authorization", "Bearer s3cret"}, {"X-Ticket", "view-only"}});
  fail_unless_equals_int (h.status, 403);
  fail_unless (h.body.find ("not permitted: publish") != std::string::npos, "%s", h.body.c_str ());
  fail_unless_equals_int (asked.size (), 6);
  assert_str (asked[4],
              "POST /whip-room/standup standup - - view,publish,control 127.0.0.1 ticket=-");
  assert_str (
      asked[5],
      "POST /whip-room/standup standup - - view,publish,control 127.0.0.1 ticket=view-only");
  fail_unless_equals_int (r.rec.count ("session-requested"), 2);
  ann->assert_alive ();
}
GST_END_TEST;

/* ---- leaving ----------------------------------------------------------- */

GST_START_TEST (test_keepalive_timeout)
{
  TestRoom r ([] (GObject *o) { g_object_set (o, "keepalive-timeout", 1000, nullptr); });
  Client::Options o;
  o.auto_pong = true;
  auto a = r.join ("Ann", nullptr, o);
  Msg w;
  auto silent = r.join ("Sid", &w);
  gint64 joined_at = g_get_monotonic_time ();
  Event ended = r.rec.wait ("session-ended");
  assert_str (ended.id, w.s ("id"));
  /* Not before the timeout. */
  fail_unless (ended.at_us - joined_at >= 900 * 1000, "timed out after %" G_GINT64_FORMAT " us",
               ended.at_us - joined_at);
  Msg left = a->wait ("left");
  assert_str (left.s ("id"), w.s ("id"));
  assert_str (left.s ("reason"), "timeout");
  fail_unless_equals_int (silent->wait_closed (), 4010);
  fail_unless (eventually ([&] { return r.n_participants () == 1; }));
  a->assert_alive ();
  /* A socket that never joins is closed too. */
  auto idle = r.connect ();
  fail_unless_equals_int (idle->wait_closed (), 4010);
  fail_unless_equals_int (r.rec.count ("session-ended"), 1);
}
GST_END_TEST;

GST_START_TEST (test_leave_and_drop)
{
  /* A long keepalive: a drop must be seen at once, not at the timeout. */
  TestRoom r ([] (GObject *o) { g_object_set (o, "keepalive-timeout", 600000, nullptr); });
  Msg wa, wb, wc;
  auto a = r.join ("Ann", &wa);
  auto b = r.join ("Bob", &wb);
  auto c = r.join ("Cleo", &wc);
  b->drop ();
  assert_str (r.rec.wait ("session-ended").id, wb.s ("id"));
  Msg left = a->wait ("left");
  assert_str (left.s ("id"), wb.s ("id"));
  assert_str (left.s ("reason"), "disconnected");
  c->wait ("left");
  c->send ("{\"type\":\"leave\"}");
  fail_unless_equals_int (c->wait_closed (), 1000);
  assert_str (r.rec.wait ("session-ended", 2).id, wc.s ("id"));
  Msg left2 = a->wait ("left", 2);
  assert_str (left2.s ("id"), wc.s ("id"));
  assert_str (left2.s ("reason"), "left");
  fail_unless (eventually ([&] { return r.n_participants () == 1; }));
  fail_unless_equals_int (r.rec.count ("session-ended"), 2);
}
GST_END_TEST;

GST_START_TEST (test_resume)
{
  TestRoom r ([] (GObject *o) { g_object_set (o, "resume-timeout", 600000, nullptr); });
  Msg wa, wb;
  auto a = r.join ("Ann", &wa);
  auto b = r.join ("Bob", &wb);
  std::string id = wb.s ("id"), secret = wb.s ("secret");
  auto resume = [] (const std::string &id, const std::string &secret) {
    return ",\"resume\":{\"id\":" + quoted (id) + ",\"secret\":" + quoted (secret) + "}";
  };

  /* Dropped, back within the grace period: the same id. */
  b->drop ();
  r.rec.wait ("session-ended");
  a->wait ("left");
  auto b2 = r.connect ();
  b2->send (join_message ("Bob", resume (id, secret)));
  Msg w2 = b2->wait ("welcome");
  assert_str (w2.s ("id"), id);
  fail_unless_equals_int (b2->count ("error"), 0);
  Event again = r.rec.wait ("session-requested", 3);
  assert_str (again.id, id);
  Msg joined = a->wait ("joined", 2);
  assert_str (joined.s ("participant.id"), id);

  /* Back while its old socket still looks alive: the old one goes. */
  auto b3 = r.connect ();
  b3->send (join_message ("Bob", resume (id, w2.s ("secret"))));
  assert_str (b3->wait ("welcome").s ("id"), id);
  fail_unless_equals_int (b2->wait_closed (), 4010);
  assert_str (r.rec.wait ("session-ended", 2).id, id);
  assert_str (r.rec.wait ("session-requested", 4).id, id);
  assert_str (a->wait ("left", 2).s ("id"), id);
  assert_str (a->wait ("joined", 3).s ("participant.id"), id);

  /* Another's id with a wrong secret, an unknown id: a new id. */
  auto x = r.connect ();
  x->send (join_message ("Mallory", resume (wa.s ("id"), secret)));
  Msg err = x->wait_error ("resume");
  Msg wx = x->wait ("welcome");
  fail_if (wx.s ("id") == wa.s ("id") || wx.s ("id") == id);
  fail_unless (err.s ("message").find (wx.s ("id")) != std::string::npos);
  auto y = r.connect ();
  y->send (join_message ("Yann", resume ("p4242", secret)));
  y->wait_error ("resume");
  fail_if (y->wait ("welcome").s ("id") == "p4242");
  a->assert_alive ();

  /* No resume after a goodbye. */
  Msg wy = y->wait ("welcome");
  y->send ("{\"type\":\"leave\"}");
  y->wait_closed ();
  auto y2 = r.connect ();
  y2->send (join_message ("Yann", resume (wy.s ("id"), wy.s ("secret"))));
  y2->wait_error ("resume");
  fail_if (y2->wait ("welcome").s ("id") == wy.s ("id"));
}
GST_END_TEST;

/* A participant back from a dropped socket gets the chat it missed: what
 * came after resume.chat_seq, from the room's latest CHAT_REPLAY (100);
 * nothing without chat_seq, nothing for a refused resume (a new id). */
GST_START_TEST (test_resume_replays_chat)
{
  TestRoom r ([] (GObject *o) {
    g_object_set (o, "resume-timeout", 600000, "messages-per-second", 1000, nullptr);
  });
  Msg wb;
  auto a = r.join ("Ann");
  auto b = r.join ("Bob", &wb);
  auto say = [&] (int from, int to) {
    for (int i = from; i <= to; i++)
      a->send ("{\"type\":\"chat\",\"text\":\"m" + std::to_string (i) + "\"}");
    a->wait ("chat", to);
  };
  say (1, 3);
  gint64 seen = b->wait ("chat", 3).i ("seq");
  std::string id = wb.s ("id"), secret = wb.s ("secret");
  auto back = [&] (const std::string &extra) {
    auto c = r.connect ();
    c->send (join_message ("Bob", ",\"resume\":{\"id\":" + quoted (id) +
                                      ",\"secret\":" + quoted (secret) + extra + "}"));
    Msg w = c->wait ("welcome");
    secret = w.s ("secret");
    return c;
  };

  /* Away while Ann says m4, m5: back with the seq it saw last, it gets
   * those two, in order, as they were first sent. */
  b->drop ();
  r.rec.wait ("session-ended");
  say (4, 5);
  auto b2 = back (",\"chat_seq\":" + std::to_string (seen));
  Msg m4 = b2->wait ("chat", 1), m5 = b2->wait ("chat", 2);
  assert_str (m4.s ("text"), "m4");
  assert_str (m5.s ("text"), "m5");
  fail_unless_equals_int (m4.i ("seq"), seen + 1);
  assert_str (m4.s ("name"), "Ann");
  /* What comes next comes once. */
  say (6, 6);
  assert_str (b2->wait ("chat", 3).s ("text"), "m6");
  b2->assert_alive ();
  fail_unless_equals_int (b2->count ("chat"), 3);

  /* More than the room keeps: the latest 100. */
  b2->drop ();
  r.rec.wait ("session-ended", 2);
  say (7, 130);
  auto b3 = back (",\"chat_seq\":0");
  Msg first = b3->wait ("chat", 1), last = b3->wait ("chat", 100);
  assert_str (first.s ("text"), "m31");
  assert_str (last.s ("text"), "m130");
  b3->assert_alive ();
  fail_unless_equals_int (b3->count ("chat"), 100);

  /* No chat_seq (a client that does not ask): nothing again. A wrong
   * chat_seq: refused. */
  b3->drop ();
  r.rec.wait ("session-ended", 3);
  auto b4 = back ("");
  b4->assert_alive ();
  fail_unless_equals_int (b4->count ("chat"), 0);
  auto bad = r.connect ();
  bad->send (
      join_message ("Bob", ",\"resume\":{\"id\":\"p1\",\"secret\":\"x\",\"chat_seq\":\"7\"}"));
  fail_unless (bad->wait_error ("bad-message").s ("message").find ("chat_seq") !=
               std::string::npos);

  /* A refused resume is a newcomer: no replay. */
  auto d = r.connect ();
  d->send (join_message ("Dora", ",\"resume\":{\"id\":\"p4242\",\"secret\":\"x\",\"chat_seq\":0}"));
  d->wait_error ("resume");
  d->wait ("welcome");
  d->assert_alive ();
  fail_unless_equals_int (d->count ("chat"), 0);
}
GST_END_TEST;

GST_START_TEST (test_resume_expires)
{
  TestRoom r ([] (GObject *o) { g_object_set (o, "resume-timeout", 200, nullptr); });
  Msg w;
  auto b = r.join ("Bob", &w);
  b->drop ();
  r.rec.wait ("session-ended");
  g_usleep (1500 * 1000); /* well past the 200 ms grace */
  auto b2 = r.connect ();
  b2->send (join_message ("Bob", ",\"resume\":{\"id\":" + quoted (w.s ("id")) +
                                     ",\"secret\":" + quoted (w.s ("secret")) + "}"));
  b2->wait_error ("resume");
  fail_if (b2->wait ("welcome").s ("id") == w.s ("id"));
}
GST_END_TEST;

/* ---- who may join ------------------------------------------------------ */

GST_START_TEST (test_token)
{
  TestRoom r ([] (GObject *o) { g_object_set (o, "auth-token", "s3cret", nullptr); });
  auto none = r.connect ();
  none->send (join_message ("Ann"));
  none->wait_error ("unauthorized");
  fail_unless_equals_int (none->wait_closed (), 4001);
  auto wrong = r.connect ();
  wrong->send (join_message ("Ann", ",\"token\":\"s3cre\""));
  wrong->wait_error ("unauthorized");
  fail_unless_equals_int (wrong->wait_closed (), 4001);
  auto typed = r.connect ();
  typed->send (join_message ("Ann", ",\"token\":7"));
  typed->wait_error ("bad-message");
  typed->send (join_message ("Ann", ",\"token\":\"s3cret\""));
  typed->wait ("welcome");
  r.rec.wait ("session-requested");
  fail_unless_equals_int (r.rec.count ("session-requested"), 1);
  g_autofree gchar *token = nullptr;
  g_object_get (r.sig, "auth-token", &token, nullptr);
  assert_str (token, "s3cret");
}
GST_END_TEST;

/* jwt-key: a JSON Web Token for this room (aud) joins; one for another
 * room, an expired one or one signed with another key does not
 * ("unauthorized" saying why, closed 4001); one that permits viewing only
 * joins but may not publish a track ("forbidden"); the static token still
 * works. The WHIP door of the room takes the same tokens, with the
 * permission to publish. */
GST_START_TEST (test_jwt)
{
  const std::string key = "room-jwt-secret";
  TestRoom r ([&] (GObject *o) {
    g_object_set (o, "room-name", "standup", "jwt-key", key.c_str (), "auth-token", "s3cret",
                  nullptr);
  });
  gint64 now = now_s ();
  auto with = [] (const std::string &token) {
    return ",\"token\":\"" + token + "\"";
  };
  struct Bad {
    std::string token, why;
  } bad[] = {
      {make_jwt (JWT_ALG_HS256, key, claims ("other", now + 600)), "not for 'standup'"},
      {make_jwt (JWT_ALG_HS256, key, claims ("standup", now - 600)), "expired"},
      {make_jwt (JWT_ALG_HS256, "not-the-key", claims ("standup", now + 600)), "signed with"},
      {make_jwt (JWT_ALG_HS256, key,
                 claims ("standup", now + 600, ",\"permissions\":[\"publish\"]")),
       "does not permit joining"},
  };
  for (auto &b : bad) {
    auto c = r.connect ();
    c->send (join_message ("Eve", with (b.token)));
    Msg e = c->wait_error ("unauthorized");
    fail_unless (e.s ("message").find (b.why) != std::string::npos, "'%s' for %s",
                 e.s ("message").c_str (), b.why.c_str ());
    fail_unless_equals_int (c->wait_closed (), 4001);
  }
  fail_unless_equals_int (r.rec.count ("session-requested"), 0);

  auto ann = r.connect ();
  ann->send (
      join_message ("Ann", with (make_jwt (JWT_ALG_HS256, key, claims ("standup", now + 600)))));
  ann->wait ("welcome");
  auto viewer = r.connect ();
  viewer->send (join_message (
      "Vic", with (make_jwt (JWT_ALG_HS256, key,
                             claims ("standup", now + 600, ",\"permissions\":[\"view\"]")))));
  viewer->wait ("welcome");
  const std::string publish = "{\"type\":\"track\",\"action\":\"publish\",\"mid\":\"0\","
                              "\"kind\":\"video\",\"label\":\"camera\"}";
  viewer->send (publish);
  Msg refused = viewer->wait_error ("forbidden");
  assert_str (refused.s ("message"), "the token does not permit publishing");
  /* Ann may publish: she is only told that her description does not send
   * that m-line yet. */
  ann->send (publish);
  ann->wait_error ("state");
  fail_unless_equals_int (ann->count ("error"), 1);
  auto bob = r.connect ();
  bob->send (join_message ("Bob", with ("s3cret")));
  bob->wait ("welcome");
  r.rec.wait ("session-requested", 3);

  /* WHIP into the room: a JWT that permits viewing only is 403, one for a
   * participant (view and publish implied) gets through the door. */
  std::string whip = r.base + "/whip-room/standup";
  std::string offer = read_fixture ("offers/chromium.sdp");
  HttpReply h = http_request (
      "POST", whip, "application/sdp", offer,
      {{"Authorization",
        "Bearer " + make_jwt (JWT_ALG_HS256, key,
                              claims ("standup", now + 600, ",\"permissions\":[\"view\"]"))}});
  fail_unless_equals_int (h.status, 403);
  h = http_request (
      "POST", whip, "application/sdp", offer,
      {{"Authorization", "Bearer " + make_jwt (JWT_ALG_HS256, key, claims ("other", now + 600))}});
  fail_unless_equals_int (h.status, 401);
}
GST_END_TEST;

/* turn-secret: each participant's welcome has TURN credentials made for it
 * that expire (turn-credential-lifetime); those of the URLs stay as they are. */
GST_START_TEST (test_turn_secret)
{
  TestRoom r ([] (GObject *o) {
    g_object_set (o, "room-name", "standup", "ice-servers",
                  "turn://127.0.0.1:3478?transport=tcp, turn://u:p@127.0.0.1:3479", "turn-secret",
                  "s3cret", "turn-credential-lifetime", 3600, nullptr);
  });
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  for (const char *name : {"Ann", "Bob"}) {
    Msg w;
    auto c = r.join (name, &w);
    fail_unless_equals_int (w.len ("ice_servers"), 2);
    assert_str (w.s ("ice_servers.0.urls"), "turn:127.0.0.1:3478?transport=tcp");
    std::string user = w.s ("ice_servers.0.username");
    fail_unless (g_str_has_suffix (user.c_str (), ":standup"), "%s", user.c_str ());
    gint64 expiry = g_ascii_strtoll (user.c_str (), nullptr, 10);
    fail_unless (expiry >= now + 3600 && expiry <= now + 3605, "%s", user.c_str ());
    assert_str (w.s ("ice_servers.0.credential"), turn_rest_password ("s3cret", user));
    assert_str (w.s ("ice_servers.1.username"), "u");
    assert_str (w.s ("ice_servers.1.credential"), "p");
  }
}
GST_END_TEST;

GST_START_TEST (test_full)
{
  TestRoom r ([] (GObject *o) { g_object_set (o, "max-participants", 2, nullptr); });
  auto a = r.join ("Ann");
  auto b = r.join ("Bob");
  auto c = r.connect ();
  c->send (join_message ("Cleo"));
  c->wait_error ("full");
  fail_unless_equals_int (c->wait_closed (), 4003);
  fail_unless_equals_int (a->count ("joined"), 1);
  b->send ("{\"type\":\"leave\"}");
  b->wait_closed ();
  a->wait ("left");
  auto c2 = r.join ("Cleo");
  fail_unless_equals_int (r.rec.count ("session-requested"), 3);
}
GST_END_TEST;

GST_START_TEST (test_version)
{
  TestRoom r;
  auto a = r.connect ();
  a->send ("{\"type\":\"join\",\"name\":\"Ann\"}");
  a->wait_error ("bad-message");
  a->send ("{\"type\":\"join\",\"v\":2,\"name\":\"Ann\"}");
  a->wait_error ("version");
  fail_unless_equals_int (a->wait_closed (), 4000);
  fail_unless_equals_int (r.rec.count ("session-requested"), 0);
}
GST_END_TEST;

/* ---- bad input --------------------------------------------------------- */

GST_START_TEST (test_bad_input)
{
  TestRoom r;
  auto a = r.connect ();
  /* Before join: only join is heard. */
  a->send ("{\"type\":\"ping\"}");
  assert_str (a->wait_error ("not-joined").s ("ref"), "ping");
  a->send (description_message ("offer", make_sdp ({{"video", "0", "sendrecv", ""}})));
  a->wait_error ("not-joined", 2);
  a->send ("{\"type\":\"join\",\"v\":1,\"name\":42}");
  a->wait_error ("bad-message");
  a->send ("{\"type\":\"join\",\"v\":1,\"name\":\"" + std::string (65, 'n') + "\"}");
  a->wait_error ("bad-message", 2);
  a->send (join_message ("Ann"));
  a->wait ("welcome");
  a->send (join_message ("Ann"));
  a->wait_error ("already-joined");

  const char *bad_json[] = {"not json", "[1,2]", "{\"type\":3}", "{\"no\":\"type\"}",
                            "{\"type\":\"chat\",\"text\":\"x\""};
  guint n = 0;
  for (const char *text : bad_json) {
    a->send (text);
    a->wait_error ("bad-json", ++n);
  }
  a->send (std::string (40, '[') + std::string (40, ']'));
  a->wait_error ("bad-json", ++n);
  a->send_binary ("\x01\x02");
  a->wait_error ("bad-json", ++n);
  a->send ("{\"type\":\"dance\"}");
  assert_str (a->wait_error ("unknown-type").s ("ref"), "dance");
  for (const char *text :
       {"{\"type\":\"description\"}", "{\"type\":\"description\",\"sdp\":\"v=0\"}",
        "{\"type\":\"description\",\"sdp\":{\"type\":\"pranswer\",\"sdp\":\"v=0\"}}",
        "{\"type\":\"description\",\"sdp\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}",
        /* (an empty SDP reached GstSDP's parser: a GLib critical; found by fuzz_room_message) */
        "{\"type\":\"description\",\"sdp\":{\"type\":\"offer\",\"sdp\":\"\"}}",
        "{\"type\":\"candidate\"}", "{\"type\":\"track\",\"action\":1}",
        "{\"type\":\"mute\",\"mid\":\"0\"}", "{\"type\":\"chat\"}"}) {
    guint before = a->count ("error");
    a->send (text);
    Msg m = a->wait ("error", before + 1);
    fail_unless (m.s ("code") == "bad-message", "%s: %s", text, m.text.c_str ());
  }
  /* Every one of those was answered with an error, and the socket stays. */
  fail_unless_equals_int (a->count ("error"), 2 + 2 + 1 + 7 + 1 + 9);
  for (auto &m : a->all ("error"))
    fail_if (m.s ("code") == "internal");
  a->assert_alive ();
  fail_unless_equals_int (r.rec.count ("session-description"), 0);

  /* A frame over 256 KiB: closed (1009). */
  std::string big = "{\"type\":\"chat\",\"text\":\"" + std::string (260 * 1024, 'x') + "\"}";
  a->send (big);
  fail_unless_equals_int (a->wait_closed (), 1009);
  assert_str (r.rec.wait ("session-ended").id, a->all ("welcome")[0].s ("id"));
}
GST_END_TEST;

GST_START_TEST (test_flood)
{
  TestRoom r ([] (GObject *o) { g_object_set (o, "messages-per-second", 5, nullptr); });
  Msg wa, wb;
  auto a = r.join ("Ann", &wa);
  auto b = r.join ("Bob", &wb);
  /* A burst within 2 s worth is fine. */
  for (int i = 0; i < 8; i++)
    b->send ("{\"type\":\"ping\"}");
  b->wait ("pong", 8);
  fail_unless_equals_int (b->count ("error"), 0);
  /* A flood: error rate (once), then closed. */
  for (int i = 0; i < 200 && !b->closed (); i++)
    b->send ("{\"type\":\"ping\"}");
  b->wait_error ("rate");
  fail_unless_equals_int (b->wait_closed (), 4008);
  fail_unless_equals_int (b->all ("error").size (), 1);
  assert_str (r.rec.wait ("session-ended").id, wb.s ("id"));
  Msg left = a->wait ("left");
  assert_str (left.s ("id"), wb.s ("id"));
  assert_str (left.s ("reason"), "kicked");
  a->assert_alive ();
}
GST_END_TEST;

/* ---- the element ends or refuses sessions ------------------------------ */

GST_START_TEST (test_end_and_reject)
{
  TestRoom r;
  Msg wa, wb, wc, wd;
  auto a = r.join ("Ann", &wa);
  auto b = r.join ("Bob", &wb);
  auto c = r.join ("Cleo", &wc);
  auto d = r.join ("Dan", &wd);
  gst_rtc_signaller_end_session (r.sig, wb.s ("id").c_str ());
  fail_unless_equals_int (b->wait_closed (), 1000);
  Msg left = a->wait ("left");
  assert_str (left.s ("id"), wb.s ("id"));
  assert_str (left.s ("reason"), "kicked");
  assert_str (c->wait ("left").s ("id"), wb.s ("id"));

  g_autoptr (GError) no_codec = g_error_new (
      GST_RTC_SIGNALLER_ERROR, GST_RTC_SIGNALLER_ERROR_NOT_ACCEPTABLE, "no common codec");
  gst_rtc_signaller_reject_session (r.sig, wc.s ("id").c_str (), no_codec);
  Msg err = c->wait_error ("not-acceptable");
  assert_str (err.s ("message"), "no common codec");
  fail_unless_equals_int (c->wait_closed (), 1000);
  assert_str (a->wait ("left", 2).s ("id"), wc.s ("id"));

  g_autoptr (GError) failed =
      g_error_new (GST_RTC_SIGNALLER_ERROR, GST_RTC_SIGNALLER_ERROR_INTERNAL, "it broke");
  gst_rtc_signaller_reject_session (r.sig, wd.s ("id").c_str (), failed);
  d->wait_error ("internal");
  fail_unless_equals_int (d->wait_closed (), 1011);
  a->wait ("left", 3);

  /* Only those: Ann is still in, and the element heard no session-ended. */
  a->assert_alive ();
  fail_if (a->closed ());
  fail_unless (eventually ([&] { return r.n_participants () == 1; }));
  fail_unless_equals_int (r.rec.count ("session-ended"), 0);
  /* Unknown ids are ignored. */
  gst_rtc_signaller_end_session (r.sig, "p999");
  a->assert_alive ();
}
GST_END_TEST;

/* ---- stop, restart, resources ------------------------------------------ */

GST_START_TEST (test_stop_restart)
{
  TestRoom r;
  Msg wa;
  auto a = r.join ("Ann", &wa);
  auto b = r.join ("Bob");
  gst_rtc_signaller_stop (r.sig);
  fail_unless_equals_int (a->wait_closed (), 1001);
  fail_unless_equals_int (b->wait_closed (), 1001);
  guint events = r.rec.count ("session-ended") + r.rec.count ("session-requested");
  g_usleep (300 * 1000);
  fail_unless_equals_int (r.rec.count ("session-ended") + r.rec.count ("session-requested"),
                          events);
  gst_rtc_signaller_stop (r.sig); /* again: nothing */
  g_autofree gchar *url = nullptr;
  g_object_get (r.sig, "url", &url, nullptr);
  fail_unless (url == nullptr);

  /* Again, on a new port: ids are never given twice. */
  r.start ();
  Msg w2;
  auto a2 = r.join ("Ann", &w2);
  fail_if (w2.s ("id") == wa.s ("id"));
}
GST_END_TEST;

GST_START_TEST (test_cycles_release_resources)
{
  TestRoom r;
  auto a = r.join ("Ann");
  auto cycle = [&] (guint n) {
    for (guint i = 0; i < n; i++) {
      auto c = r.join ("guest");
      c->send ("{\"type\":\"leave\"}");
      fail_unless_equals_int (c->wait_closed (), 1000);
    }
  };
  cycle (2); /* warm-up: lazily made threads and sources */
  fail_unless (eventually ([&] { return r.n_participants () == 1; }));
  long threads = thread_count (), fds = fd_count ();
  cycle (30);
  fail_unless (eventually ([&] { return r.n_participants () == 1; }));
  r.rec.wait ("session-ended", 32);
  a->wait ("left", 32);
  fail_unless_equals_int (a->count ("joined"), 32);
  fail_unless (eventually ([&] { return fd_count () <= fds && thread_count () <= threads; }),
               "fds %ld -> %ld, threads %ld -> %ld (%s)", fds, fd_count (), threads,
               thread_count (), thread_names ().c_str ());
}
GST_END_TEST;

static Suite *rtcroomsignaller_lifecycle_suite (void)
{
  Suite *s = suite_create ("rtcroomsignaller_lifecycle");
  TCase *tc = tcase_create ("room");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_keepalive_timeout);
  tcase_add_test (tc, test_leave_and_drop);
  tcase_add_test (tc, test_resume);
  tcase_add_test (tc, test_resume_replays_chat);
  tcase_add_test (tc, test_resume_expires);
  tcase_add_test (tc, test_token);
  tcase_add_test (tc, test_turn_secret);
  tcase_add_test (tc, test_jwt);
  tcase_add_test (tc, test_authorize);
  tcase_add_test (tc, test_full);
  tcase_add_test (tc, test_version);
  tcase_add_test (tc, test_bad_input);
  tcase_add_test (tc, test_flood);
  tcase_add_test (tc, test_end_and_reject);
  tcase_add_test (tc, test_stop_restart);
  tcase_add_test (tc, test_cycles_release_resources);
  return s;
}

int main (int argc, char **argv)
{
  /* The signallers are linked in: loading the plugin as well would register
   * their GTypes twice. Never scan or load a plugin. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (rtcroomsignaller_lifecycle_suite (), "rtcroomsignaller_lifecycle",
                              __FILE__);
}

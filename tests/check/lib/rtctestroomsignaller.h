/* The room signaller (ext/rtcbridge/gstrtcroomsignaller.*) with the test as
 * its element, for rtcroomsignaller.cpp and rtcroomsignaller_lifecycle.cpp:
 * TestRoom starts one on a free port and records the GstRtcSignaller
 * signals (Recorder) and the room's own (RoomRecorder); participants are
 * the Clients of rtctestroom.h.
 *
 * Threading: the signals are recorded on the signaller's threads, under
 * the recorders' locks; the test thread waits on them. */
#pragma once

#include <gst/check/gstcheck.h>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gst/rtcbridge/gstrtcsignaller.h>
#include "gstrtcroomsignaller.h"
#include "rtctestroom.h"
#include "rtctestsignalling.h"

/* ---- the element's side ------------------------------------------------ */

/* The room's own signals, recorded like Recorder does the contract's. */
struct RoomEvent {
  std::string name, id, a, b, c;
  guint64 seq = 0;
};

class RoomRecorder : public EventLog<RoomEvent> {
public:
  using Event = RoomEvent;
  void attach (gpointer sig)
  {
    g_signal_connect (sig, "track-published", G_CALLBACK (on_published), this);
    g_signal_connect (sig, "track-unpublished", G_CALLBACK (on_unpublished), this);
    g_signal_connect (sig, "chat", G_CALLBACK (on_chat), this);
  }
  void detach (gpointer sig) { g_signal_handlers_disconnect_by_data (sig, this); }

private:
  void add (Event e) { push (std::move (e)); }
  static void on_published (GstObject *, const gchar *id, const gchar *mid, const gchar *kind,
                            const gchar *label, RoomRecorder *self)
  {
    self->add (Event{"track-published", id, mid, kind, label});
  }
  static void on_unpublished (GstObject *, const gchar *id, const gchar *mid, RoomRecorder *self)
  {
    self->add (Event{"track-unpublished", id, mid});
  }
  static void on_chat (GstObject *, const gchar *id, const gchar *name, const gchar *text,
                       guint64 seq, RoomRecorder *self)
  {
    Event e{"chat", id, name, text};
    e.seq = seq;
    self->add (e);
  }
};

/* The signaller on a free port, with the test as its element. */
struct TestRoom {
  ClientLoop loop;
  Recorder rec;
  RoomRecorder room_rec;
  GstRtcSignaller *sig = nullptr;
  guint port = 0;
  std::string name, base, ws;

  /* @type: GstRtcRoomSignaller, or a signaller with its properties and
   * signals (webrtcroom's default one). */
  explicit TestRoom (std::function<void (GObject *)> configure = {},
                     GType type = GST_TYPE_RTC_ROOM_SIGNALLER)
  {
    sig = GST_RTC_SIGNALLER (g_object_new (type, "address", "127.0.0.1", "port", 0, nullptr));
    gst_object_ref_sink (sig);
    if (configure)
      configure (G_OBJECT (sig));
    rec.attach (sig);
    room_rec.attach (sig);
    start ();
  }
  ~TestRoom ()
  {
    gst_rtc_signaller_stop (sig);
    rec.detach (sig);
    room_rec.detach (sig);
    gst_object_unref (sig);
  }
  void start ()
  {
    g_autoptr (GError) error = nullptr;
    fail_unless (gst_rtc_signaller_start (sig, &error), "start: %s", error ? error->message : "?");
    g_autofree gchar *n = nullptr;
    g_object_get (sig, "port", &port, "room-name", &n, nullptr);
    fail_unless (port > 0);
    name = n;
    base = "http://127.0.0.1:" + std::to_string (port);
    ws = "ws://127.0.0.1:" + std::to_string (port) + "/room/" + name;
  }
  std::unique_ptr<Client> connect (Client::Options o = Client::Options ())
  {
    auto c = std::make_unique<Client> (loop, ws, o);
    fail_unless (c->open (), "handshake refused: %u", c->status ());
    return c;
  }
  /* Connects and joins as @display; *@welcome is the welcome. Waits for
   * the session-requested it brings (the @n_requested-th). */
  std::unique_ptr<Client> join (const std::string &display, Msg *welcome = nullptr,
                                Client::Options o = Client::Options ())
  {
    guint before = rec.count ("session-requested");
    auto c = connect (o);
    c->send (join_message (display));
    Msg w = c->wait ("welcome");
    Event e = rec.wait ("session-requested", before + 1);
    assert_str (e.id, w.s ("id"));
    if (welcome)
      *welcome = w;
    return c;
  }
  void send_description (const std::string &id, GstWebRTCSDPType type, const std::string &sdp)
  {
    g_autoptr (GstWebRTCSessionDescription) d = description (type, sdp);
    gst_rtc_signaller_send_description (sig, id.c_str (), d);
  }
  guint n_participants ()
  {
    guint n = 0;
    g_object_get (sig, "n-participants", &n, nullptr);
    return n;
  }
};

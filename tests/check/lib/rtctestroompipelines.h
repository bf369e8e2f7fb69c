/* Helpers for tests that run webrtcroom pipelines against each other
 * (webrtcroom.cpp, webrtcroom_client.cpp): fakesinks behind every src pad the room adds
 * (frames, caps, removal), a TCP relay the test can hold and cut, a watch
 * on debug lines, the text of an error message.
 *
 * Threading: the pad callbacks and probes run on GStreamer's threads (the
 * outputs are guarded by their locks); the relay runs a thread per
 * connection direction. */
#pragma once

#include <gst/check/gstcheck.h>
#include <gio/gio.h>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rtctestutil.h"

/* Every src pad the room adds gets a fakesink; counts buffers, notes caps
 * and which pads were removed. */
struct RoomOutputs {
  struct Out {
    std::atomic<guint> buffers{0};
    std::atomic<bool> eos{false};
    std::mutex lock; /* guards media, width, height */
    std::string media;
    int width = 0, height = 0;
    GstElement *sink = nullptr; /* the fakesink it feeds (the pipeline's) */
  };
  std::mutex lock;
  std::map<std::string, std::shared_ptr<Out>> outs; /* the latest pad of each name */
  std::map<std::string, guint> added;               /* pads of each name so far */
  std::set<std::string> removed;
  GstElement *pipeline = nullptr; /* borrowed */
  GstElement *room = nullptr;     /* a reference: disconnected before it goes */

  ~RoomOutputs ()
  {
    if (!room)
      return;
    g_signal_handlers_disconnect_by_data (room, this);
    gst_object_unref (room);
  }
  void attach (GstElement *room_)
  {
    GstObject *parent = gst_element_get_parent (room_);
    pipeline = GST_ELEMENT (parent);
    gst_object_unref (parent);
    room = GST_ELEMENT (gst_object_ref (room_));
    g_signal_connect (room, "pad-added", G_CALLBACK (on_pad_added), this);
    g_signal_connect (room, "pad-removed", G_CALLBACK (on_pad_removed), this);
  }
  static GstPadProbeReturn on_data (GstPad *, GstPadProbeInfo *info, gpointer data)
  {
    auto out = static_cast<std::shared_ptr<Out> *> (data)->get ();
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
      out->buffers++;
    } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
      out->eos = true;
    } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
      GstCaps *caps = nullptr;
      gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
      const GstStructure *s = gst_caps_get_structure (caps, 0);
      std::lock_guard<std::mutex> g (out->lock);
      out->media = gst_structure_get_name (s);
      gst_structure_get_int (s, "width", &out->width);
      gst_structure_get_int (s, "height", &out->height);
    }
    return GST_PAD_PROBE_OK;
  }
  static void on_pad_added (GstElement *, GstPad *pad, gpointer data)
  {
    auto self = static_cast<RoomOutputs *> (data);
    if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC || g_str_has_prefix (GST_PAD_NAME (pad), "data"))
      return;
    GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
    g_object_set (sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add (GST_BIN (self->pipeline), sink);
    auto out = std::make_shared<Out> ();
    out->sink = sink;
    GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (
        sinkpad, GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
        on_data, new std::shared_ptr<Out> (out),
        [] (gpointer p) { delete static_cast<std::shared_ptr<Out> *> (p); });
    gst_element_sync_state_with_parent (sink);
    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
    std::lock_guard<std::mutex> g (self->lock);
    self->outs[GST_PAD_NAME (pad)] = out;
    self->added[GST_PAD_NAME (pad)]++;
  }
  static void on_pad_removed (GstElement *, GstPad *pad, gpointer data)
  {
    auto self = static_cast<RoomOutputs *> (data);
    std::lock_guard<std::mutex> g (self->lock);
    self->removed.insert (GST_PAD_NAME (pad));
  }
  std::shared_ptr<Out> get (const std::string &name)
  {
    std::lock_guard<std::mutex> g (lock);
    auto it = outs.find (name);
    return it == outs.end () ? nullptr : it->second;
  }
  /* @name if it has a pad, else the first pad whose name starts with it,
   * or "". */
  std::string find (const std::string &name)
  {
    std::lock_guard<std::mutex> g (lock);
    if (outs.count (name))
      return name;
    for (auto &kv : outs)
      if (kv.first.compare (0, name.size (), name) == 0)
        return kv.first;
    return {};
  }
  guint times_added (const std::string &name)
  {
    std::lock_guard<std::mutex> g (lock);
    auto it = added.find (name);
    return it == added.end () ? 0 : it->second;
  }
  bool was_removed (const std::string &name)
  {
    std::lock_guard<std::mutex> g (lock);
    return removed.count (name) > 0;
  }
  std::string names ()
  {
    std::lock_guard<std::mutex> g (lock);
    std::string out;
    for (auto &kv : outs)
      out += (out.empty () ? "" : ", ") + kv.first;
    return out.empty () ? "none" : out;
  }
};

/* Waits for @n frames (at least) on pad @name, or on the first pad whose
 * name starts with it (RoomOutputs::find). */
inline std::shared_ptr<RoomOutputs::Out> wait_frames (RoomOutputs &outs, const std::string &name,
                                                      guint n, guint timeout_ms = 60000)
{
  std::shared_ptr<RoomOutputs::Out> out;
  wait_until (
      [&] () {
        std::string found = outs.find (name);
        out = found.empty () ? nullptr : outs.get (found);
        return out && out->buffers >= n;
      },
      timeout_ms);
  return out && out->buffers >= n ? out : nullptr;
}

inline int caps_width (RoomOutputs::Out &out)
{
  std::lock_guard<std::mutex> g (out.lock);
  return out.width;
}

inline int caps_height (RoomOutputs::Out &out)
{
  std::lock_guard<std::mutex> g (out.lock);
  return out.height;
}

inline std::string caps_media (RoomOutputs::Out &out)
{
  std::lock_guard<std::mutex> g (out.lock);
  return out.media;
}

/* The text and debug string of an error or warning message. */
inline std::string message_text (GstMessage *m)
{
  GError *error = nullptr;
  gchar *debug = nullptr;
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
    gst_message_parse_error (m, &error, &debug);
  else
    gst_message_parse_warning (m, &error, &debug);
  std::string text = std::string (error ? error->message : "") + " | " + (debug ? debug : "");
  g_clear_error (&error);
  g_free (debug);
  return text;
}

/* Every debug line, kept when it contains @needle (the token must never be
 * logged). */
struct LogWatch {
  std::string needle;
  std::mutex lock;
  std::vector<std::string> hits;
  guint lines = 0;

  explicit LogWatch (std::string n,
                     const char *levels = "rtcroomclientsignaller:7,rtcroomclient:7,"
                                          "rtcroomdefaultsignaller:7,rtcroomsignaller:7,"
                                          "webrtcroom:7")
      : needle (std::move (n))
  {
    gst_debug_set_threshold_from_string (levels, FALSE);
    /* Seen here, not printed: the test's output stays readable. */
    gst_debug_remove_log_function (gst_debug_log_default);
    gst_debug_add_log_function (on_log, this, nullptr);
  }
  ~LogWatch ()
  {
    gst_debug_remove_log_function_by_data (this);
    gst_debug_add_log_function (gst_debug_log_default, nullptr, nullptr);
    gst_debug_set_threshold_from_string ("webrtcpublish:4,*:1", TRUE);
  }
  static void on_log (GstDebugCategory *, GstDebugLevel, const gchar *, const gchar *, gint,
                      GObject *, GstDebugMessage *message, gpointer data)
  {
    auto self = static_cast<LogWatch *> (data);
    const gchar *text = gst_debug_message_get (message);
    std::lock_guard<std::mutex> g (self->lock);
    self->lines++;
    if (text && strstr (text, self->needle.c_str ()))
      self->hits.push_back (text);
  }
};

/* A TCP relay from 127.0.0.1:port () to 127.0.0.1:@upstream, a thread per
 * direction: a participant connects through it, and cut () drops its
 * connections as a network would (the room sees the socket go without a
 * close frame, the participant too). */
class Relay {
public:
  explicit Relay (guint upstream) : upstream_ (upstream)
  {
    listener_ =
        g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
    GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    GSocketAddress *any = g_inet_socket_address_new (lo, 0);
    g_socket_bind (listener_, any, TRUE, nullptr);
    g_socket_listen (listener_, nullptr);
    GSocketAddress *bound = g_socket_get_local_address (listener_, nullptr);
    port_ = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    g_object_unref (bound);
    g_object_unref (any);
    g_object_unref (lo);
    acceptor_ = std::thread ([this] () { accept_loop (); });
  }
  ~Relay ()
  {
    held_ = false;
    g_cancellable_cancel (stop_);
    acceptor_.join ();
    cut ();
    for (auto &t : pumps_)
      t.join ();
    for (GSocket *s : open_)
      g_object_unref (s);
    g_object_unref (listener_);
    g_object_unref (stop_);
  }
  guint port () const { return port_; }
  /* While held, what the room sends waits in the relay (what the
   * participant sends goes on). */
  void hold (bool held) { held_ = held; }
  /* Every connection so far goes down, both ways. */
  void cut ()
  {
    std::lock_guard<std::mutex> g (lock_);
    for (GSocket *s : open_)
      g_socket_shutdown (s, TRUE, TRUE, nullptr);
  }

private:
  void accept_loop ()
  {
    for (;;) {
      GSocket *down = g_socket_accept (listener_, stop_, nullptr);
      if (!down)
        return;
      GSocket *up =
          g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
      GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      GSocketAddress *to = g_inet_socket_address_new (lo, upstream_);
      bool ok = g_socket_connect (up, to, stop_, nullptr);
      g_object_unref (to);
      g_object_unref (lo);
      std::lock_guard<std::mutex> g (lock_);
      open_.push_back (down);
      open_.push_back (up);
      if (!ok) {
        g_socket_shutdown (down, TRUE, TRUE, nullptr);
        continue;
      }
      pumps_.emplace_back ([down, up] () { pump (down, up, nullptr); });
      pumps_.emplace_back ([this, down, up] () { pump (up, down, &held_); });
    }
  }
  static void pump (GSocket *from, GSocket *to, std::atomic<bool> *held)
  {
    char buf[16384];
    for (;;) {
      gssize n = g_socket_receive (from, buf, sizeof buf, nullptr, nullptr);
      if (n <= 0)
        break;
      while (held && *held && !g_socket_is_closed (to))
        g_usleep (10000);
      for (gssize done = 0; done < n;) {
        gssize sent = g_socket_send (to, buf + done, n - done, nullptr, nullptr);
        if (sent <= 0)
          break;
        done += sent;
      }
    }
    g_socket_shutdown (from, TRUE, TRUE, nullptr);
    g_socket_shutdown (to, TRUE, TRUE, nullptr);
  }

  guint upstream_, port_ = 0;
  GSocket *listener_ = nullptr;
  GCancellable *stop_ = g_cancellable_new ();
  std::mutex lock_;             /* guards open_ and pumps_ */
  std::vector<GSocket *> open_; /* owned */
  std::vector<std::thread> pumps_;
  std::atomic<bool> held_{false};
  std::thread acceptor_;
};

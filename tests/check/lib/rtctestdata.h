/* Helpers of the data channel tests (webrtcdata, webrtcdata_control):
 * what an element's data channel signals said, a WHEP client's launch
 * line, and waiting for the channel bus messages. Test thread, but
 * ChannelLog, filled on the elements' threads under its lock. */
#pragma once

#include <gst/check/gstcheck.h>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "rtctestutil.h"

/* (session, label) of every data-channel-opened / -closed signal. */
struct ChannelLog {
  std::mutex lock;
  std::vector<std::pair<std::string, std::string>> opened, closed;
  std::vector<std::pair<std::string, std::string>> strings; /* string-received: session, text */
  GstElement *element = nullptr;

  ~ChannelLog ()
  {
    if (element) {
      g_signal_handlers_disconnect_by_data (element, this);
      gst_object_unref (element);
    }
  }
  void attach (GstElement *e)
  {
    element = GST_ELEMENT (gst_object_ref (e));
    g_signal_connect (element, "data-channel-opened", G_CALLBACK (on_opened), this);
    g_signal_connect (element, "data-channel-closed", G_CALLBACK (on_closed), this);
    g_signal_connect (element, "string-received", G_CALLBACK (on_string), this);
  }
  static void on_opened (GstElement *, const gchar *sid, const gchar *label, gpointer data)
  {
    auto self = static_cast<ChannelLog *> (data);
    std::lock_guard<std::mutex> g (self->lock);
    self->opened.push_back ({sid, label});
  }
  static void on_closed (GstElement *, const gchar *sid, const gchar *label, gpointer data)
  {
    auto self = static_cast<ChannelLog *> (data);
    std::lock_guard<std::mutex> g (self->lock);
    self->closed.push_back ({sid, label});
  }
  static void on_string (GstElement *, const gchar *sid, const gchar *label, const gchar *text,
                         gpointer data)
  {
    auto self = static_cast<ChannelLog *> (data);
    std::lock_guard<std::mutex> g (self->lock);
    self->strings.push_back ({sid, std::string (label) + ":" + text});
  }
  /* Sessions that opened @label. */
  std::vector<std::string> sessions (const std::string &label)
  {
    std::lock_guard<std::mutex> g (lock);
    std::vector<std::string> out;
    for (auto &o : opened)
      if (o.second == label)
        out.push_back (o.first);
    return out;
  }
  bool has_string (const std::string &labelled)
  {
    std::lock_guard<std::mutex> g (lock);
    for (auto &s : strings)
      if (s.second == labelled)
        return true;
    return false;
  }
  size_t n_closed (const std::string &label)
  {
    std::lock_guard<std::mutex> g (lock);
    size_t n = 0;
    for (auto &c : closed)
      n += c.second == label;
    return n;
  }
};

/* A WHEP client of @pub with element properties @props and the rest of
 * the launch line @extra. */
inline std::string whep_subscriber (TestPipeline &pub, const std::string &props,
                                    const std::string &extra = "")
{
  return "webrtcsubscribe name=sub whep-url=" + pub.whep () + " " + props +
         " sub.video_0 ! fakesink sync=false " + extra;
}

inline bool wait_opened (ChannelLog &log, const std::string &label, size_t n = 1)
{
  return wait_until ([&] { return log.sessions (label).size () >= n; }, 20000);
}

/* Data channel bus messages ("<element>-data-channel-<what>") for @label:
 * kept from the start, so none is missed. */
inline size_t channel_messages (TestPipeline &p, const char *what, const std::string &label)
{
  p.find (GST_MESSAGE_ELEMENT); /* drains the bus */
  size_t n = 0;
  for (GstMessage *m : p.kept) {
    const GstStructure *s = gst_message_get_structure (m);
    if (GST_MESSAGE_TYPE (m) != GST_MESSAGE_ELEMENT || !s ||
        !g_str_has_suffix (gst_structure_get_name (s),
                           (std::string ("-data-channel-") + what).c_str ()))
      continue;
    const gchar *l = gst_structure_get_string (s, "label");
    n += l && label == l;
  }
  return n;
}

inline bool wait_channel (TestPipeline &p, const char *what, const std::string &label)
{
  return wait_until ([&] { return channel_messages (p, what, label) >= 1; }, 20000);
}

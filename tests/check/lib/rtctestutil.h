/* Small helpers shared by the webrtcpublish tests. */
#pragma once

#include <gst/gst.h>
#include <malloc.h>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#ifdef RTC_TEST_HAVE_LIBCRYPTO
#include <openssl/crypto.h>
/* Each test runs in a forked child that exit()s: OpenSSL's exit handler
 * (OPENSSL_cleanup) then races with pool threads that used DTLS and are
 * ending, and crashed there about once in 40 tests ("Received signal 11"
 * after the test's last check). Turned off before main() in every test. */
static const int rtc_test_openssl_no_atexit = OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, nullptr);
#endif

/* A running pipeline around one webrtcpublish named "pub" on a free port.
 * Its bus is drained by a watch on the default main context (wait_until()
 * iterates it), as an application would: queued messages hold references to
 * their sources. Warnings, errors and element messages are kept. */
struct TestPublisher {
  GstElement *pipeline = nullptr;
  GstElement *pub = nullptr;
  guint port = 0;
  std::vector<GstMessage *> kept;
  guint watch = 0;
  bool recalculate_latency = true; /* as gst-launch-1.0 does */

  static gboolean on_message (GstBus *, GstMessage *m, gpointer data)
  {
    auto self = static_cast<TestPublisher *> (data);
    /* As gst-launch-1.0 and applications do: live sources' latency changes
     * as streams appear. */
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_LATENCY && self->recalculate_latency)
      gst_bin_recalculate_latency (GST_BIN (self->pipeline));
    if (GST_MESSAGE_TYPE (m) &
        (GST_MESSAGE_WARNING | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS))
      self->kept.push_back (gst_message_ref (m));
    return G_SOURCE_CONTINUE;
  }
  /* The first kept message of @type, after draining the bus (not owned). */
  GstMessage *find (GstMessageType type, const char *structure_name = nullptr)
  {
    while (g_main_context_iteration (nullptr, FALSE))
      ;
    for (GstMessage *m : kept) {
      if (GST_MESSAGE_TYPE (m) != type)
        continue;
      const GstStructure *s = gst_message_get_structure (m);
      if (!structure_name || (s && gst_structure_has_name (s, structure_name)))
        return m;
    }
    return nullptr;
  }

  /* Waits up to @timeout_ms for a kept message (see find()). */
  GstMessage *wait_message (GstMessageType type, const char *structure_name = nullptr,
                            guint timeout_ms = 5000);

  /* @launch must contain an element named "pub"; e.g.
   * "videotestsrc is-live=true ! webrtcpublish name=pub port=0".
   * @before_playing (optional) sets up the element in NULL (a signaller). */
  explicit TestPublisher (const std::string &launch, const char *element = "pub",
                          const std::function<void (GstElement *)> &before_playing = nullptr)
  {
    GError *err = nullptr;
    pipeline = gst_parse_launch (launch.c_str (), &err);
    if (pipeline && !GST_IS_PIPELINE (pipeline)) {
      /* One element (a room that only listens): in a pipeline of its own. */
      GstElement *only = pipeline;
      pipeline = gst_pipeline_new (nullptr);
      gst_bin_add (GST_BIN (pipeline), only);
    }
    if (err) {
      g_printerr ("parse error: %s\n", err->message);
      g_error_free (err);
    }
    if (!pipeline)
      return;
    pub = gst_bin_get_by_name (GST_BIN (pipeline), element);
    GstBus *bus = gst_element_get_bus (pipeline);
    watch = gst_bus_add_watch (bus, on_message, this);
    gst_object_unref (bus);
    if (before_playing && pub)
      before_playing (pub);
    if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
      return;
    gst_element_get_state (pipeline, nullptr, nullptr, 10 * GST_SECOND);
    if (pub && g_object_class_find_property (G_OBJECT_GET_CLASS (pub), "port"))
      g_object_get (pub, "port", &port, nullptr);
  }
  ~TestPublisher ()
  {
    if (watch)
      g_source_remove (watch);
    for (GstMessage *m : kept)
      gst_message_unref (m);
    if (pipeline) {
      gst_element_set_state (pipeline, GST_STATE_NULL);
      gst_object_unref (pipeline);
    }
    if (pub)
      gst_object_unref (pub);
  }
  /* Waits until the element's input pad @pad has caps: before that the
   * stream answers 503 (not started yet). */
  bool wait_caps (const char *pad_name = "video_0", guint timeout_ms = 10000);
  std::string base () const { return "http://127.0.0.1:" + std::to_string (port); }
  std::string whep (const std::string &name = "live") const { return base () + "/whep/" + name; }
  guint viewers () const
  {
    guint n = 0;
    g_object_get (pub, "n-viewers", &n, nullptr);
    return n;
  }
};

/* Any pipeline around one named element of ours (webrtcsubscribe, ...). */
using TestPipeline = TestPublisher;

/* Counts the buffers reaching element @name's sink pad; tells the caps
 * on that pad (media type, video size). It may go before the pipeline does
 * (declared after it): the probe owns a reference to the count, so a late
 * buffer never writes to freed memory (it did: crashes at test end). */
struct BufferCounter {
  std::shared_ptr<std::atomic<guint>> count = std::make_shared<std::atomic<guint>> (0);
  std::atomic<guint> &buffers = *count;
  GstPad *pad = nullptr;
  gulong probe_id = 0;

  BufferCounter () = default;
  BufferCounter (const BufferCounter &) = delete;
  BufferCounter &operator= (const BufferCounter &) = delete;
  ~BufferCounter ()
  {
    if (!pad)
      return;
    if (probe_id)
      gst_pad_remove_probe (pad, probe_id);
    gst_object_unref (pad);
  }
  void attach (GstElement *pipeline, const char *name)
  {
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
    pad = e ? gst_element_get_static_pad (e, "sink") : nullptr;
    if (pad)
      probe_id = gst_pad_add_probe (
          pad, GST_PAD_PROBE_TYPE_BUFFER, probe, new std::shared_ptr<std::atomic<guint>> (count),
          [] (gpointer p) { delete static_cast<std::shared_ptr<std::atomic<guint>> *> (p); });
    if (e)
      gst_object_unref (e);
  }
  std::string type () const { return caps_string (nullptr); }
  int width () const { return caps_int ("width"); }
  int height () const { return caps_int ("height"); }

private:
  std::string caps_string (const char *field) const
  {
    GstCaps *caps = pad ? gst_pad_get_current_caps (pad) : nullptr;
    std::string out;
    if (caps) {
      const GstStructure *s = gst_caps_get_structure (caps, 0);
      const char *v = field ? gst_structure_get_string (s, field) : gst_structure_get_name (s);
      out = v ? v : "";
      gst_caps_unref (caps);
    }
    return out;
  }
  int caps_int (const char *field) const
  {
    GstCaps *caps = pad ? gst_pad_get_current_caps (pad) : nullptr;
    int v = 0;
    if (caps) {
      gst_structure_get_int (gst_caps_get_structure (caps, 0), field, &v);
      gst_caps_unref (caps);
    }
    return v;
  }
  static GstPadProbeReturn probe (GstPad *, GstPadProbeInfo *, gpointer data)
  {
    (**static_cast<std::shared_ptr<std::atomic<guint>> *> (data))++;
    return GST_PAD_PROBE_OK;
  }
};

/* GStreamer 1.22's rtpsession asserts (g_critical, no other effect) when
 * RTCP reaches a session whose element has no clock any more: a pipeline
 * with webrtcbin being stopped while its peer still sends. Tests that stop
 * such pipelines under way let that one through (needs gst/check). */
#ifdef __GST_CHECK_H__
inline void allow_rtpsession_teardown_critical ()
{
  for (const char *domain : {"GStreamer", (const char *)nullptr})
    gst_check_add_log_filter (domain, G_LOG_LEVEL_CRITICAL,
                              g_regex_new ("rtp_source_retain_rtcp_packet", (GRegexCompileFlags)0,
                                           (GRegexMatchFlags)0, nullptr),
                              nullptr, nullptr, nullptr);
}
#endif

/* Polls @pred every 20 ms up to @timeout_ms, iterating the default context. */
inline bool wait_until (const std::function<bool ()> &pred, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  while (g_get_monotonic_time () < end) {
    if (pred ())
      return true;
    while (g_main_context_iteration (nullptr, FALSE))
      ;
    g_usleep (20000);
  }
  return pred ();
}

inline bool TestPublisher::wait_caps (const char *pad_name, guint timeout_ms)
{
  GstPad *pad = pub ? gst_element_get_static_pad (pub, pad_name) : nullptr;
  if (!pad)
    return false;
  bool ok = wait_until ([&] { return gst_pad_has_current_caps (pad); }, timeout_ms);
  gst_object_unref (pad);
  return ok;
}

inline GstMessage *TestPublisher::wait_message (GstMessageType type, const char *structure_name,
                                                guint timeout_ms)
{
  GstMessage *m = nullptr;
  wait_until ([&] { return (m = find (type, structure_name)) != nullptr; }, timeout_ms);
  return m;
}

/* Calls @fn on every element of @factory in @bin (recursively). */
inline void for_each_of_factory (GstElement *bin, const char *factory,
                                 const std::function<void (GstElement *)> &fn)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT (g_value_get_object (&v));
    GstElementFactory *f = gst_element_get_factory (e);
    if (f && g_str_equal (gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (f)), factory))
      fn (e);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

/* The first element of @factory in @bin, recursively (a reference), or NULL. */
inline GstElement *find_by_factory (GstElement *bin, const char *factory)
{
  GstElement *found = nullptr;
  for_each_of_factory (bin, factory, [&] (GstElement *e) {
    if (!found)
      found = GST_ELEMENT (gst_object_ref (e));
  });
  return found;
}

/* Number of direct children of @bin made by a factory whose klass contains
 * @klass_part and (when given) whose name is @factory. */
inline guint count_children (GstElement *bin, const char *klass_part, const char *factory = nullptr)
{
  guint n = 0;
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT (g_value_get_object (&v));
    GstElementFactory *f = gst_element_get_factory (e);
    if (f) {
      const char *klass = gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_KLASS);
      const char *name = gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (f));
      if (klass && strstr (klass, klass_part) && (!factory || g_str_equal (name, factory)))
        n++;
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return n;
}

/* Threads and resident memory of this process, from /proc. */
inline long proc_status_value (const char *key)
{
  gchar *text = nullptr;
  long value = -1;
  if (g_file_get_contents ("/proc/self/status", &text, nullptr, nullptr)) {
    const char *p = strstr (text, key);
    if (p)
      value = strtol (p + strlen (key), nullptr, 10);
    g_free (text);
  }
  return value;
}
/* Live threads, after asking GLib to end idle pool threads (GStreamer's task
 * pool parks finished streaming threads there for up to 15 s). */
inline long thread_count ()
{
  while (g_main_context_iteration (nullptr, FALSE))
    ;
  g_thread_pool_stop_unused_threads ();
  g_usleep (100000);
  return proc_status_value ("Threads:");
}
inline long rss_kb ()
{
  return proc_status_value ("VmRSS:");
}
/* RSS once malloc has given back to the system the free pages of every
 * arena (malloc_trim): what the process holds, without the freed memory
 * glibc keeps for reuse (a new arena's or a fragmented heap's pages, which
 * once made RSS jump by 22 MB in one of 50 join/leave cycles). */
inline long rss_trimmed_kb ()
{
  malloc_trim (0);
  return rss_kb ();
}
/* What malloc has handed out and not had back, in every arena (glibc's
 * mallinfo2): a leak, whatever the allocator keeps. */
inline long heap_in_use_kb ()
{
  struct mallinfo2 mi = mallinfo2 ();
  return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

/* "name×count, ..." of this process's threads, for diagnostics. */
inline std::string thread_names ()
{
  std::map<std::string, int> counts;
  GDir *dir = g_dir_open ("/proc/self/task", 0, nullptr);
  if (!dir)
    return "";
  while (const gchar *tid = g_dir_read_name (dir)) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
    gchar *comm = nullptr;
    if (g_file_get_contents (path, &comm, nullptr, nullptr))
      counts[g_strstrip (comm)]++;
    g_free (comm);
    g_free (path);
  }
  g_dir_close (dir);
  std::string out;
  for (auto &kv : counts)
    out += (out.empty () ? "" : ", ") + kv.first + "x" + std::to_string (kv.second);
  return out;
}

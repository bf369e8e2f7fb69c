/* The criticals every check test lets through (tests/check/lib/rtctestknown.c)
 * are only the ones named there: rtpsession's race is recognised on the
 * stack it really had in CI (with and without ASan), and refused when
 * anything but rtpsession, GLib and the thread's start is below g_log, on
 * another thread, with another message or another domain. And a live
 * critical with that very message, raised on a thread named like
 * rtpsession's but from our own code, still fails a test. */
#include <gst/check/gstcheck.h>
#include <string>
#include <sys/prctl.h>

#include "rtctestknown.h"

namespace {

/* The top of the stack gst-check printed in CI (webrtcpublish_e2e under
 * ASan, .ci/run of 0050f25), through g_log. */
const char *const TOP =
    "gst_debug_get_stack_trace "
    "(/usr/lib/x86_64-linux-gnu/libgstreamer-1.0.so.0.2200.0:0x7f82f132dedb)\n"
    "?? (/usr/lib/x86_64-linux-gnu/libgstcheck-1.0.so.0.2200.0:0x7f82f1bf5acf)\n"
    "g_logv (/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0.7400.6:0x7f82f11d2e43)\n"
    "g_log (/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0.7400.6:0x7f82f11d30db)\n";
/* And below g_log: rtpsession's frames, then the thread's start. */
const char *const RTPSESSION =
    "?? (/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstrtpmanager.so:0x7f82e4ab2a4c)\n"
    "?? (/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstrtpmanager.so:0x7f82e4ac22ed)\n";
const char *const START = "?? (/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0.7400.6:0x7f82f11f5cd9)\n"
                          "start_thread (pthread_create.c:442)\n"
                          "__clone3 (clone3.S:80)\n";
const char *const ASAN_START =
    "?? (/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0.7400.6:0x7f82f11f5cd9)\n"
    "asan_thread_start (/usr/lib/x86_64-linux-gnu/libasan.so.8:0x7f5a1c04a2b8)\n"
    "start_thread (pthread_create.c:442)\n"
    "__clone3 (clone3.S:80)\n";

gboolean race (const std::string &trace, const char *thread = "rtpsession-rtcp",
               const char *message = RTC_TEST_RTPSESSION_RACE_MESSAGE, const char *domain = "GLib")
{
  return rtc_test_is_rtpsession_race (domain, message, thread, trace.c_str ());
}

} // namespace

GST_START_TEST (test_rtpsession_race_recognised)
{
  fail_unless (race (std::string (TOP) + RTPSESSION + START), "the stack CI had");
  fail_unless (race (std::string (TOP) + RTPSESSION + ASAN_START), "the same under ASan");
  /* GLib's own frame (g_hash_table_foreach) between g_log and rtpsession */
  fail_unless (race (std::string (TOP) +
                     "g_hash_table_foreach (/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0:0x1)\n" +
                     RTPSESSION + START));
}
GST_END_TEST;

GST_START_TEST (test_anything_else_refused)
{
  std::string real = std::string (TOP) + RTPSESSION + START;
  /* A handler of ours called by rtpsession (e.g. on-sending-rtcp) */
  fail_if (race (std::string (TOP) +
                 "on_sending_rtcp (/work/main/build/ext/rtcbridge/libgstrtcbridge.so:0x7f1)\n" +
                 RTPSESSION + START));
  /* a test binary's frame, GObject's signal emission */
  fail_if (race (std::string (TOP) + "?? (/work/main/build/tests/check/test-webrtcdata:0x55)\n" +
                 RTPSESSION + START));
  fail_if (race (std::string (TOP) +
                 "g_signal_emit (/usr/lib/x86_64-linux-gnu/libgobject-2.0.so.0:0x7)\n" +
                 RTPSESSION + START));
  /* no rtpsession frame at all */
  fail_if (race (std::string (TOP) + START));
  /* no g_log frame, or no stack */
  fail_if (race (std::string (RTPSESSION) + START));
  fail_if (rtc_test_is_rtpsession_race ("GLib", RTC_TEST_RTPSESSION_RACE_MESSAGE, "rtpsession-rtcp",
                                        nullptr));
  /* another thread, message or domain */
  fail_if (race (real, "pc:pc"));
  fail_if (race (real, nullptr));
  fail_if (race (real, "rtpsession-rtcp",
                 "g_hash_table_foreach: assertion 'hash_table != NULL' failed"));
  fail_if (race (real, "rtpsession-rtcp", RTC_TEST_RTPSESSION_RACE_MESSAGE, "GStreamer"));
  fail_if (race (real, "rtpsession-rtcp", RTC_TEST_RTPSESSION_RACE_MESSAGE, nullptr));
}
GST_END_TEST;

namespace {

void insert_more (gpointer, gpointer, gpointer table)
{
  g_hash_table_insert (static_cast<GHashTable *> (table), GINT_TO_POINTER (2), GINT_TO_POINTER (2));
}

/* The same critical, raised from code of ours on a thread that has
 * rtpsession's thread name. */
gpointer mutate_while_iterating (gpointer)
{
  prctl (PR_SET_NAME, "rtpsession-rtcp");
  GHashTable *table = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_hash_table_insert (table, GINT_TO_POINTER (1), GINT_TO_POINTER (1));
  g_hash_table_foreach (table, insert_more, table);
  g_hash_table_unref (table);
  return nullptr;
}

} // namespace

GST_START_TEST (test_our_critical_still_fails)
{
  /* ASSERT_CRITICAL fails unless gst-check saw the critical as unexpected,
   * i.e. the filter did not swallow it. */
  ASSERT_CRITICAL (
      g_thread_join (g_thread_new ("rtpsession-rtcp", mutate_while_iterating, nullptr)));
  fail_unless_equals_int (rtc_test_tolerated_count (), 0);
}
GST_END_TEST;

static Suite *known_criticals_suite (void)
{
  Suite *s = suite_create ("known_criticals");
  TCase *tc = tcase_create ("filter");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rtpsession_race_recognised);
  tcase_add_test (tc, test_anything_else_refused);
  tcase_add_test (tc, test_our_critical_still_fails);
  return s;
}

GST_CHECK_MAIN (known_criticals);

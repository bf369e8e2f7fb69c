/* GStreamer 1.22 criticals that every check test lets through, each one
 * named, diagnosed and matched as narrowly as the log allows
 * (rtctestknown.c, linked into every check test). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* rtpsession's race in rtp_session_on_timeout (docs/security.md):
 * schedule_remaining_nacks releases the session lock inside
 * g_hash_table_foreach over the session's sources; a packet from a new SSRC
 * (an RTX stream answering a NACK) adds a source meanwhile and GLib's
 * foreach stops with this critical. Nothing else happens: the remaining
 * NACKs wait for the next RTCP interval. */
#define RTC_TEST_RTPSESSION_RACE_MESSAGE                                                           \
  "g_hash_table_foreach: assertion 'version == hash_table->version' failed"

/* TRUE only for that critical raised on rtpsession's own RTCP thread
 * (@thread_name "rtpsession-rtcp") with a stack (@trace, in the format of
 * gst_debug_get_stack_trace) whose frames below g_log are rtpsession's,
 * GLib's and the thread's start alone: a critical our code raises on that
 * thread (a signal handler of ours in the stack) still fails the test. */
gboolean rtc_test_is_rtpsession_race (const gchar *domain, const gchar *message,
                                      const gchar *thread_name, const gchar *trace);

/* How many criticals the filter let through in this process. */
guint rtc_test_tolerated_count (void);

G_END_DECLS

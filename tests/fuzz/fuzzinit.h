/* What every fuzz target does once before its first input: GStreamer
 * initialised without a plugin registry (the targets call pure functions
 * and need no plugin; scanning would write a registry file), and a GLib
 * critical made fatal, as G_DEBUG=fatal-criticals does, so a
 * g_return_if_fail() our code trips counts as a crash even when a target is
 * run by hand without that variable. */
#pragma once

#include <gst/gst.h>

namespace rtc_fuzz {

inline void init ()
{
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  g_log_set_always_fatal ((GLogLevelFlags)(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL));
  gst_init (nullptr, nullptr);
}

} // namespace rtc_fuzz

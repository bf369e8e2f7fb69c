/* A debug category shared by the sources of one module.
 *
 * A category is a global; one with external linkage (GST_DEBUG_CATEGORY
 * plus GST_DEBUG_CATEGORY_EXTERN) exists twice in a test that links the
 * core library statically and loads the plugin, which AddressSanitizer
 * reports as an ODR violation. So a module's shared category is a
 * function's static instead, made on first use (thread-safe):
 *
 *   rtcfoo.cpp:      RTC_DEBUG_CATEGORY_FUNCTION (rtc_foo_category, "rtcfoo", "What foo does")
 *   rtcfooprivate.h: GstDebugCategory *rtc_foo_category ();
 *                    #define GST_CAT_DEFAULT rtc_foo_category ()
 */
#pragma once

#include <gst/gst.h>

#define RTC_DEBUG_CATEGORY_FUNCTION(fn, name, description)                                         \
  GstDebugCategory *fn ()                                                                          \
  {                                                                                                \
    static GstDebugCategory *category = [] () {                                                    \
      GstDebugCategory *c = nullptr;                                                               \
      GST_DEBUG_CATEGORY_INIT (c, name, 0, description);                                           \
      return c;                                                                                    \
    }();                                                                                           \
    return category;                                                                               \
  }

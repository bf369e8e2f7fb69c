/* A viewer's message on the "navigation" data channel
 * (rtc::navigation_event_from_json) on a 1920x1080 and a 1x1 picture; the
 * event, when there is one, is unreffed. */
#include <gst/gst.h>
#include <cstdint>
#include <string>

#include "fuzzinit.h"
#include "rtcnavigation.h"

/* navigation_handle() (not fuzzed: it needs an element and a data router)
 * is in the same source file; its one call into the router is resolved here
 * so the target links without the data router's sources. */
bool rtc::DataRouter::send (const char *, const std::string &, const char *, GBytes *,
                            std::string &)
{
  __builtin_trap ();
}

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  rtc_fuzz::init ();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::string json ((const char *)data, size); /* NUL-terminated, may hold a NUL */
  const gint sizes[][2] = {{1920, 1080}, {1, 1}};
  for (auto &wh : sizes) {
    std::string error;
    GstEvent *event = rtc::navigation_event_from_json (json.c_str (), wh[0], wh[1], error);
    if (event)
      gst_event_unref (event);
    else if (error.empty ())
      __builtin_trap (); /* refused without saying why */
  }
  return 0;
}

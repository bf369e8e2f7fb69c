#include "rtchostload.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <glib.h>

#include "rtcptr.h"

namespace rtc {

namespace {

/* The file's text, or nullptr. */
CharPtr read_text (const char *path)
{
  gchar *text = nullptr;
  if (!g_file_get_contents (path, &text, nullptr, nullptr))
    return CharPtr ();
  return CharPtr (text);
}

} // namespace

double parse_psi_some_avg10 (const char *text)
{
  /* "some avg10=12.34 avg60=... avg300=... total=...\nfull ..." */
  for (const char *line = text; line && *line;) {
    const char *next = strchr (line, '\n');
    if (g_str_has_prefix (line, "some ")) {
      const char *field = strstr (line, " avg10=");
      if (!field || (next && field > next))
        return -1;
      field += strlen (" avg10=");
      gchar *end = nullptr;
      double v = g_ascii_strtod (field, &end);
      return end != field && std::isfinite (v) && v >= 0 ? v : -1;
    }
    line = next ? next + 1 : nullptr;
  }
  return -1;
}

CpuPressure read_cpu_pressure ()
{
  CpuPressure p;
  CharPtr psi = read_text ("/proc/pressure/cpu");
  double some = parse_psi_some_avg10 (psi.get ());
  if (some >= 0) {
    p.percent = (int)std::lround (std::min (100.0, some));
    p.source = "psi";
    return p;
  }
  CharPtr loadavg = read_text ("/proc/loadavg");
  if (loadavg) {
    gchar *end = nullptr;
    double load = g_ascii_strtod (loadavg.get (), &end);
    if (end != loadavg.get () && std::isfinite (load) && load >= 0) {
      double per_core = load / std::max (1, (int)g_get_num_processors ());
      p.percent = (int)std::lround (std::min (100.0, per_core * 100));
      p.source = "loadavg";
    }
  }
  return p;
}

} // namespace rtc

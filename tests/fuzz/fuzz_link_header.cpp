/* The Link header of a WHIP/WHEP server's answer, as the client signaller
 * reads its ICE servers from it (rtc::http_parse_ice_links). */
#include <glib.h>
#include <cstdint>
#include <string>

#include "fuzzinit.h"
#include "rtchttpclient.h"

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  rtc_fuzz::init ();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > 64 * 1024)
    return 0;
  std::string links ((const char *)data, size);
  std::string urls = rtc::http_parse_ice_links (links.c_str ());
  /* Only STUN and TURN URLs come out. */
  if (!urls.empty () && !g_str_has_prefix (urls.c_str (), "stun") &&
      !g_str_has_prefix (urls.c_str (), "turn"))
    __builtin_trap ();
  return 0;
}

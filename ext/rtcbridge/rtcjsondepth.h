/* A guard before json-glib parses untrusted text: json-glib's parser is
 * recursive and has no depth limit of its own, so "[[[[..." could exhaust
 * the stack. Header-only (the room protocol and the room data relay use it;
 * the relay's unit test compiles it without the server). */
#pragma once

#include <glib.h>

namespace rtc {

/* Whether @text nests objects and arrays at most @max deep (strings
 * skipped); one pass, no allocation. */
inline bool json_depth_within (const char *text, gsize len, guint max)
{
  guint depth = 0;
  bool in_string = false, escaped = false;
  for (gsize i = 0; i < len; i++) {
    char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > max)
        return false;
    } else if ((c == '}' || c == ']') && depth > 0)
      depth--;
  }
  return true;
}

} // namespace rtc

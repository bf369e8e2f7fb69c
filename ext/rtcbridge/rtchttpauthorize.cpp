/* See rtchttpauthorize.h. */
#include "rtchttpauthorize.h"

#include <cctype>

#include "rtchttpserver.h"
#include "rtcjwt.h"

namespace rtc {

void install_authorize_signal (GType type)
{
  g_signal_new_class_handler (
      "authorize", type, G_SIGNAL_RUN_LAST,
      G_CALLBACK (+[] (GObject *, GstStructure *) -> gboolean { return TRUE; }),
      g_signal_accumulator_first_wins, nullptr, nullptr, G_TYPE_BOOLEAN, 1,
      GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

void relay_authorize (GObject *inner, GObject *outer)
{
  g_signal_connect_object (inner, "authorize",
                           G_CALLBACK (+[] (GObject *, GstStructure *request, gpointer out) {
                             gboolean allowed = TRUE;
                             g_signal_emit_by_name (out, "authorize", request, &allowed);
                             return allowed;
                           }),
                           outer, GConnectFlags (0));
}

/* GstStructure field names: a letter first, then letters, digits and
 * "-_+:." — a header name is letters, digits and "-" mostly; any other
 * character becomes "_". */
static std::string field_name (const char *header)
{
  std::string out;
  for (const char *c = header; *c; c++)
    out += std::isalnum ((unsigned char)*c) || *c == '-' ? (char)std::tolower ((unsigned char)*c)
                                                         : '_';
  if (out.empty () || !std::isalpha ((unsigned char)out[0]))
    out = "x" + out;
  return out;
}

GstStructure *http_request_headers (SoupServerMessage *msg)
{
  GstStructure *headers = gst_structure_new_empty ("headers");
  SoupMessageHeadersIter iter;
  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  const char *name, *value;
  while (soup_message_headers_iter_next (&iter, &name, &value)) {
    std::string field = field_name (name);
    const gchar *before = gst_structure_get_string (headers, field.c_str ());
    std::string joined = before ? std::string (before) + ", " + value : value;
    gst_structure_set (headers, field.c_str (), G_TYPE_STRING, joined.c_str (), nullptr);
  }
  return headers;
}

GstStructure *authorize_request (const std::string &method, const std::string &path,
                                 const std::string &stream, const std::string &remote,
                                 GstStructure *headers, unsigned granted)
{
  GstStructure *request = gst_structure_new (
      "rtc-request", "method", G_TYPE_STRING, method.c_str (), "path", G_TYPE_STRING, path.c_str (),
      "stream", G_TYPE_STRING, stream.c_str (), "remote-address", G_TYPE_STRING, remote.c_str (),
      "permissions", G_TYPE_STRING, permissions_string (granted).c_str (), nullptr);
  if (!headers)
    headers = gst_structure_new_empty ("headers");
  gst_structure_set (request, "headers", GST_TYPE_STRUCTURE, headers, nullptr);
  gst_structure_free (headers);
  return request;
}

bool emit_authorize (GObject *emitter, GstStructure *request, unsigned &granted)
{
  gboolean allowed = TRUE;
  g_signal_emit_by_name (emitter, "authorize", request, &allowed);
  const gchar *after = gst_structure_get_string (request, "permissions");
  unsigned now = 0;
  bool valid = after && permissions_parse (after, now);
  if (allowed && !valid)
    GST_WARNING_OBJECT (emitter,
                        "an authorize handler set permissions to '%s': not a list of "
                        "view, publish, control; the request is refused",
                        after ? after : "(none)");
  gst_structure_free (request);
  if (!allowed || !valid)
    return false;
  granted = now;
  return true;
}

bool http_authorize (GObject *emitter, SoupServerMessage *msg, const std::string &method,
                     const std::string &stream, unsigned needed, unsigned &granted)
{
  const char *host = soup_server_message_get_remote_host (msg);
  GstStructure *request =
      authorize_request (method, g_uri_get_path (soup_server_message_get_uri (msg)), stream,
                         host ? host : "", http_request_headers (msg), granted);
  if (!emit_authorize (emitter, request, granted)) {
    http_respond_text (msg, SOUP_STATUS_FORBIDDEN, "refused by the application");
    return false;
  }
  if ((granted & needed) != needed) {
    http_respond_text (msg, SOUP_STATUS_FORBIDDEN,
                       "not permitted: " + permissions_string (needed & ~granted));
    return false;
  }
  return true;
}

void PermitTable::set (const std::string &session, unsigned permissions)
{
  std::lock_guard<std::mutex> g (lock_);
  table_[session] = permissions;
}

void PermitTable::forget (const std::string &session)
{
  std::lock_guard<std::mutex> g (lock_);
  table_.erase (session);
}

void PermitTable::clear ()
{
  std::lock_guard<std::mutex> g (lock_);
  table_.clear ();
}

bool PermitTable::permits (const std::string &session, const std::string &permission)
{
  unsigned bit = permission_of (permission);
  std::lock_guard<std::mutex> g (lock_);
  auto it = table_.find (session);
  return bit && it != table_.end () && (it->second & bit) == bit;
}

} // namespace rtc

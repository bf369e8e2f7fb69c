/* See rtcicerestart.h. */
#include "rtcicerestart.h"

#include <agent.h>
#include <gst/webrtc/webrtc.h>
#include <gio/gio.h>

namespace rtc {

namespace {

/* @n random characters from [a-zA-Z0-9+/] (the ice-char set), 6 bits
 * each. */
bool random_ice_chars (gsize n, std::string &out)
{
  static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  GFile *file = g_file_new_for_path ("/dev/urandom");
  GFileInputStream *in = g_file_read (file, nullptr, nullptr);
  g_object_unref (file);
  if (!in)
    return false;
  std::string bytes (n, '\0');
  gsize got = 0;
  bool ok = g_input_stream_read_all (G_INPUT_STREAM (in), &bytes[0], n, &got, nullptr, nullptr) &&
            got == n;
  g_object_unref (in);
  if (!ok)
    return false;
  out.clear ();
  for (char b : bytes)
    out += ALPHABET[(unsigned char)b & 63];
  return true;
}

/* @object's property @name as a new reference (an object), or nullptr. */
GObject *object_property (gpointer object, const char *name)
{
  if (!object || !g_object_class_find_property (G_OBJECT_GET_CLASS (object), name))
    return nullptr;
  GObject *value = nullptr;
  g_object_get (object, name, &value, nullptr);
  return value;
}

} // namespace

bool ice_new_credentials (IceCredentials &out)
{
  return random_ice_chars (16, out.ufrag) && random_ice_chars (32, out.pwd);
}

GObject *ice_stream_agent (GstElement *webrtcbin, guint &stream_id)
{
  /* webrtcbin -> transceiver 0 -> its receiver's DTLS transport -> the ICE
   * transport (GstWebRTCNiceTransport) -> its stream's id; the agent from
   * the ICE implementation (GstWebRTCNice). With BUNDLE every m-line uses
   * that one stream. */
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_signal_emit_by_name (webrtcbin, "get-transceiver", 0, &trans);
  GObject *receiver = object_property (trans, "receiver");
  GObject *dtls = object_property (receiver, "transport");
  GObject *ice_transport = object_property (dtls, "transport");
  GObject *stream = object_property (ice_transport, "stream");
  GObject *ice = object_property (webrtcbin, "ice-agent");
  GObject *agent = object_property (ice, "agent");
  stream_id = 0;
  if (stream && g_object_class_find_property (G_OBJECT_GET_CLASS (stream), "stream-id"))
    g_object_get (stream, "stream-id", &stream_id, nullptr);
  for (GObject *o : {ice, stream, ice_transport, dtls, receiver})
    if (o)
      g_object_unref (o);
  if (trans)
    gst_object_unref (trans);
  if (agent && !NICE_IS_AGENT (agent)) {
    g_object_unref (agent);
    agent = nullptr;
  }
  return agent;
}

bool ice_restart_stream (GstElement *webrtcbin, std::string &error)
{
  guint stream_id = 0;
  GObject *agent = ice_stream_agent (webrtcbin, stream_id);
  bool ok = false;
  if (!agent)
    error = "webrtcbin's ICE agent is not libnice's";
  else if (!stream_id)
    error = "no ICE stream found (no transceiver)";
  else if (!nice_agent_restart_stream (NICE_AGENT (agent), stream_id))
    error = "libnice refused to restart the stream";
  else
    ok = true;
  if (agent)
    g_object_unref (agent);
  return ok;
}

} // namespace rtc

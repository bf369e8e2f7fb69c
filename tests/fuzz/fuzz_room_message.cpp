/* A room participant's WebSocket message (docs/room-protocol.md), read as
 * the room's hub reads it: rtc::room::Message::parse, then the members of
 * its type with the protocol's checks (room::member_*), the SDP of a
 * description parsed and validated, and what the participant's side reads
 * from a welcome (its ICE servers) and the elements' JSON properties
 * (pipeline-tracks, data-channels), all on the same text. */
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzzinit.h"
#include "rtcroomprotocol.h"
#include "rtcsdp.h"

using namespace rtc;

namespace {

void description (JsonObject *o)
{
  JsonObject *desc = nullptr;
  bool present = false;
  std::string error, type, text;
  if (!room::member_object (o, "sdp", desc, error, &present) || !present ||
      !room::member_string (desc, "type", type, 0, error) ||
      !room::member_string (desc, "sdp", text, 0, error))
    return;
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new (&sdp);
  /* As the hub: an empty text is refused before GstSDP sees it. */
  if (!text.empty () &&
      gst_sdp_message_parse_buffer ((const guint8 *)text.data (), (guint)text.size (), sdp) ==
          GST_SDP_OK &&
      sdp_validate_offer (sdp, error)) {
    room::sdp_mids (sdp);
    room::sdp_sent_tracks (sdp);
  }
  gst_sdp_message_free (sdp);
}

void candidate (JsonObject *o)
{
  JsonNode *node = json_object_get_member (o, "candidate");
  if (!node || JSON_NODE_HOLDS_NULL (node) || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  JsonObject *c = json_node_get_object (node);
  std::string error, text, mid;
  bool has_mid = false;
  gint64 index = -1;
  if (room::member_string (c, "candidate", text, room::MAX_CANDIDATE_CHARS, error) &&
      room::member_string (c, "sdpMid", mid, room::MAX_MID_CHARS, error, true, &has_mid))
    room::member_int (c, "sdpMLineIndex", index, error);
}

void members (const room::Message &m)
{
  JsonObject *o = m.object ();
  const std::string &type = m.type ();
  std::string error, s;
  gint64 i = 0;
  bool b = false;
  double d = 0;
  if (type == "join") {
    JsonObject *resume = nullptr;
    bool has_token = false, has_resume = false;
    room::member_int (o, "v", i, error);
    room::member_string (o, "name", s, room::MAX_NAME_CHARS, error);
    room::member_string (o, "token", s, room::MAX_TOKEN_CHARS, error, true, &has_token);
    if (room::member_object (o, "resume", resume, error, &has_resume) && has_resume) {
      room::member_string (resume, "id", s, room::MAX_ID_CHARS, error);
      room::member_string (resume, "secret", s, 128, error);
    }
  } else if (type == "description") {
    description (o);
  } else if (type == "candidate") {
    candidate (o);
  } else if (type == "track") {
    room::member_string (o, "action", s, 0, error);
    room::member_string (o, "mid", s, room::MAX_MID_CHARS, error);
    room::member_string (o, "kind", s, 0, error);
    room::member_string (o, "label", s, room::MAX_LABEL_CHARS, error);
  } else if (type == "mute") {
    room::member_string (o, "mid", s, room::MAX_MID_CHARS, error);
    room::member_bool (o, "muted", b, error);
  } else if (type == "volume") {
    room::member_string (o, "participant", s, room::MAX_ID_CHARS, error);
    room::member_number (o, "volume", 0, 2, d, error);
  } else if (type == "chat") {
    room::member_string (o, "text", s, room::MAX_CHAT_CHARS, error);
  } else if (type == "welcome") {
    JsonNode *servers = json_object_get_member (o, "ice_servers");
    if (servers && JSON_NODE_HOLDS_ARRAY (servers))
      room::ice_server_urls (json_node_get_array (servers));
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  rtc_fuzz::init ();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > room::MAX_MESSAGE_BYTES)
    return 0; /* the WebSocket layer closes the socket */
  room::Message m;
  std::string error;
  if (m.parse ((const char *)data, size, error)) {
    if (!m.object ())
      __builtin_trap ();
    members (m);
  } else if (error.empty ()) {
    __builtin_trap (); /* refused without saying why */
  }
  std::string text ((const char *)data, size);
  std::vector<room::Track> tracks;
  room::parse_pipeline_tracks (text, tracks, error);
  room::valid_data_channels (text, error);
  return 0;
}

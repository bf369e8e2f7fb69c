/* See rtcroomprotocol.h. */
#include "rtcroomprotocol.h"

#include <gio/gio.h>
#include <set>

#include "rtcsdp.h"

namespace rtc {
namespace room {

namespace {

bool valid_track_id (const std::string &id)
{
  if (id.empty () || id.size () > MAX_LABEL_CHARS)
    return false;
  for (char c : id)
    if (!(g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

bool valid_participant_id (const std::string &id)
{
  if (id.empty () || id.size () > 32)
    return false;
  for (char c : id)
    if (!(g_ascii_isalnum (c) || c == '-' || c == '_'))
      return false;
  return true;
}

JsonNode *parse_node (const std::string &json, std::string &error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = nullptr;
  if (!json_depth_within (json.data (), json.size (), MAX_JSON_DEPTH)) {
    error = "nested too deep";
    return nullptr;
  }
  if (!json_parser_load_from_data (parser, json.data (), (gssize)json.size (), &err)) {
    error = err->message;
    return nullptr;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root) {
    error = "empty";
    return nullptr;
  }
  return json_node_copy (root);
}

} // namespace

glong utf8_chars (const std::string &s)
{
  return g_utf8_strlen (s.c_str (), (gssize)s.size ());
}

Message::~Message ()
{
  if (parser_)
    g_object_unref (parser_);
}

bool Message::parse (const char *text, gsize len, std::string &error)
{
  if (!json_depth_within (text, len, MAX_JSON_DEPTH)) {
    error = "the JSON nests deeper than " + std::to_string (MAX_JSON_DEPTH) + " levels";
    return false;
  }
  parser_ = json_parser_new ();
  g_autoptr (GError) err = nullptr;
  if (!json_parser_load_from_data (parser_, text, (gssize)len, &err)) {
    error = std::string ("not JSON: ") + err->message;
    return false;
  }
  JsonNode *root = json_parser_get_root (parser_);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    error = "not a JSON object";
    return false;
  }
  object_ = json_node_get_object (root);
  JsonNode *type = json_object_get_member (object_, "type");
  if (!type || !JSON_NODE_HOLDS_VALUE (type) || json_node_get_value_type (type) != G_TYPE_STRING) {
    error = "no string member 'type'";
    return false;
  }
  type_ = json_node_get_string (type);
  return true;
}

bool member_string (JsonObject *o, const char *name, std::string &out, guint max_chars,
                    std::string &error, bool optional, bool *present)
{
  JsonNode *node = json_object_get_member (o, name);
  bool absent = !node || JSON_NODE_HOLDS_NULL (node);
  if (present)
    *present = !absent;
  if (absent) {
    if (optional)
      return true;
    error = std::string ("'") + name + "' is missing";
    return false;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    error = std::string ("'") + name + "' must be a string";
    return false;
  }
  out = json_node_get_string (node);
  if (max_chars && utf8_chars (out) > (glong)max_chars) {
    error =
        std::string ("'") + name + "' is longer than " + std::to_string (max_chars) + " characters";
    return false;
  }
  return true;
}

bool member_int (JsonObject *o, const char *name, gint64 &out, std::string &error)
{
  JsonNode *node = json_object_get_member (o, name);
  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64) {
    error = std::string ("'") + name + "' must be an integer";
    return false;
  }
  out = json_node_get_int (node);
  return true;
}

bool member_bool (JsonObject *o, const char *name, bool &out, std::string &error)
{
  JsonNode *node = json_object_get_member (o, name);
  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
    error = std::string ("'") + name + "' must be true or false";
    return false;
  }
  out = json_node_get_boolean (node);
  return true;
}

bool member_number (JsonObject *o, const char *name, double min, double max, double &out,
                    std::string &error)
{
  JsonNode *node = json_object_get_member (o, name);
  GType t = node && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_NONE;
  if (t == G_TYPE_INT64)
    out = (double)json_node_get_int (node);
  else if (t == G_TYPE_DOUBLE)
    out = json_node_get_double (node);
  if ((t != G_TYPE_INT64 && t != G_TYPE_DOUBLE) || !(out >= min && out <= max)) {
    error = std::string ("'") + name + "' must be a number from " + std::to_string ((int)min) +
            " to " + std::to_string ((int)max);
    return false;
  }
  return true;
}

bool member_object (JsonObject *o, const char *name, JsonObject *&out, std::string &error,
                    bool *present)
{
  out = nullptr;
  JsonNode *node = json_object_get_member (o, name);
  *present = node && !JSON_NODE_HOLDS_NULL (node);
  if (!*present)
    return true;
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    error = std::string ("'") + name + "' must be an object";
    return false;
  }
  out = json_node_get_object (node);
  return true;
}

Writer::Writer (const char *type) : b_ (json_builder_new ())
{
  json_builder_begin_object (b_);
  string ("type", type);
}

Writer::~Writer ()
{
  g_object_unref (b_);
}

Writer &Writer::string (const char *name, const std::string &value)
{
  json_builder_set_member_name (b_, name);
  json_builder_add_string_value (b_, value.c_str ());
  return *this;
}

Writer &Writer::integer (const char *name, gint64 value)
{
  json_builder_set_member_name (b_, name);
  json_builder_add_int_value (b_, value);
  return *this;
}

Writer &Writer::boolean (const char *name, bool value)
{
  json_builder_set_member_name (b_, name);
  json_builder_add_boolean_value (b_, value);
  return *this;
}

Writer &Writer::node (const char *name, JsonNode *value)
{
  json_builder_set_member_name (b_, name);
  json_builder_add_value (b_, value);
  return *this;
}

std::string Writer::text ()
{
  json_builder_end_object (b_);
  JsonNode *root = json_builder_get_root (b_);
  gchar *text = json_to_string (root, FALSE);
  std::string out = text;
  g_free (text);
  json_node_unref (root);
  return out;
}

void add_track (JsonBuilder *b, const Track &track)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, track.id.c_str ());
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, track.kind.c_str ());
  json_builder_set_member_name (b, "label");
  json_builder_add_string_value (b, track.label.c_str ());
  json_builder_set_member_name (b, "muted");
  json_builder_add_boolean_value (b, track.muted);
  json_builder_end_object (b);
}

void add_participant (JsonBuilder *b, const Participant &p)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, p.id.c_str ());
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, p.name.c_str ());
  json_builder_set_member_name (b, "tracks");
  json_builder_begin_array (b);
  for (auto &t : p.tracks)
    add_track (b, t);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "pipeline");
  json_builder_add_boolean_value (b, p.pipeline);
  json_builder_end_object (b);
}

std::string error_message (const std::string &code, const std::string &message,
                           const std::string &ref)
{
  Writer w ("error");
  w.string ("code", code).string ("message", message);
  if (!ref.empty ())
    w.string ("ref", ref);
  return w.text ();
}

static void set_string (JsonBuilder *b, const char *name, const std::string &value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value.c_str ());
}

static void set_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

std::string welcome_message (const Welcome &w)
{
  Writer m ("welcome");
  m.integer ("v", PROTOCOL_VERSION).string ("room", w.room).string ("id", w.id);
  m.string ("secret", w.secret);
  JsonBuilder *b = m.builder ();
  json_builder_set_member_name (b, "roster");
  json_builder_begin_array (b);
  for (auto &p : w.roster)
    add_participant (b, p);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "ice_servers");
  json_builder_begin_array (b);
  for (auto &server : w.ice_servers) {
    json_builder_begin_object (b);
    set_string (b, "urls", server.url);
    if (!server.username.empty () || !server.credential.empty ()) {
      set_string (b, "username", server.username);
      set_string (b, "credential", server.credential);
    }
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "limits");
  json_builder_begin_object (b);
  set_int (b, "max_participants", w.max_participants);
  set_int (b, "max_message_bytes", MAX_MESSAGE_BYTES);
  set_int (b, "messages_per_second", w.messages_per_second);
  json_builder_end_object (b);
  JsonNode *data = json_from_string (w.data_channels.c_str (), nullptr);
  m.node ("data", data ? data : json_node_init_array (json_node_alloc (), json_array_new ()));
  return m.text ();
}

std::string joined_message (const Participant &p)
{
  Writer m ("joined");
  json_builder_set_member_name (m.builder (), "participant");
  add_participant (m.builder (), p);
  return m.text ();
}

std::string left_message (const std::string &id, const std::string &reason)
{
  return Writer ("left").string ("id", id).string ("reason", reason).text ();
}

std::string track_message (const char *action, const std::string &participant, const Track &t)
{
  Writer m ("track");
  m.string ("action", action).string ("participant", participant);
  json_builder_set_member_name (m.builder (), "track");
  add_track (m.builder (), t);
  return m.text ();
}

/* "sdp": {type, sdp}, as RTCSessionDescriptionInit. */
static void add_sdp (JsonBuilder *b, GstWebRTCSDPType type, const GstSDPMessage *sdp)
{
  json_builder_set_member_name (b, "sdp");
  json_builder_begin_object (b);
  set_string (b, "type", gst_webrtc_sdp_type_to_string (type));
  gchar *text = gst_sdp_message_as_text (sdp);
  set_string (b, "sdp", text);
  g_free (text);
  json_builder_end_object (b);
}

std::string description_message (
    GstWebRTCSDPType type, const GstSDPMessage *sdp,
    const std::function<std::string (const std::string &, const std::string &)> &label_of)
{
  Writer m ("description");
  JsonBuilder *b = m.builder ();
  add_sdp (b, type, sdp);
  json_builder_set_member_name (b, "tracks");
  json_builder_begin_object (b);
  for (auto &t : sdp_sent_tracks (sdp)) {
    json_builder_set_member_name (b, t.mid.c_str ());
    json_builder_begin_object (b);
    set_string (b, "participant", t.participant);
    set_string (b, "track", t.track);
    set_string (b, "kind", t.kind);
    set_string (b, "label", label_of (t.participant, t.track));
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  return m.text ();
}

std::string candidate_message (guint mline, const char *candidate,
                               const std::vector<std::string> &mids)
{
  Writer m ("candidate");
  JsonBuilder *b = m.builder ();
  json_builder_set_member_name (b, "candidate");
  if (!candidate) {
    json_builder_add_null_value (b);
    return m.text ();
  }
  json_builder_begin_object (b);
  set_string (b, "candidate", candidate);
  json_builder_set_member_name (b, "sdpMid");
  if (mline < mids.size () && !mids[mline].empty ())
    json_builder_add_string_value (b, mids[mline].c_str ());
  else
    json_builder_add_null_value (b);
  set_int (b, "sdpMLineIndex", mline);
  json_builder_end_object (b);
  return m.text ();
}

std::string chat_message (const std::string &from, const std::string &name, const std::string &text,
                          guint64 seq)
{
  return Writer ("chat")
      .string ("from", from)
      .string ("name", name)
      .string ("text", text)
      .integer ("seq", (gint64)seq)
      .integer ("ts", g_get_real_time () / 1000)
      .text ();
}

std::string speaking_message (const std::string &participant, bool speaking, gint level,
                              bool active)
{
  return Writer ("speaking")
      .string ("participant", participant)
      .boolean ("speaking", speaking)
      .integer ("level", level)
      .boolean ("active", active)
      .text ();
}

std::string audio_muted_message (const std::string &participant, bool muted)
{
  return Writer ("audio-muted")
      .string ("participant", participant)
      .boolean ("muted", muted)
      .string ("by", "host")
      .text ();
}

std::string levels_message (const std::vector<std::pair<std::string, gint>> &levels)
{
  Writer w ("levels");
  JsonBuilder *b = w.builder ();
  json_builder_set_member_name (b, "levels");
  json_builder_begin_object (b);
  for (auto &kv : levels) {
    json_builder_set_member_name (b, kv.first.c_str ());
    json_builder_add_int_value (b, kv.second);
  }
  json_builder_end_object (b);
  return w.text ();
}

std::vector<std::string> sdp_mids (const GstSDPMessage *sdp)
{
  std::vector<std::string> mids;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const char *mid = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, i), "mid");
    mids.push_back (mid ? mid : "");
  }
  return mids;
}

static bool sends (const GstSDPMedia *media)
{
  return sdp_media_used (media) && !sdp_media_has (media, "recvonly") &&
         !sdp_media_has (media, "inactive");
}

/* "<participant>/<track>" from "X Y" (a=msid) or "<ssrc> msid:X Y" (a=ssrc). */
static bool split_msid (const char *value, bool ssrc, SentTrack &out)
{
  if (!value)
    return false;
  const char *start = value;
  if (ssrc) {
    start = strstr (value, " msid:");
    if (!start)
      return false;
    start += strlen (" msid:");
  }
  std::string msid (start, strcspn (start, " "));
  auto slash = msid.find ('/');
  if (slash == std::string::npos)
    return false;
  out.participant = msid.substr (0, slash);
  out.track = msid.substr (slash + 1);
  return valid_participant_id (out.participant) && !out.track.empty () &&
         out.track.size () <= MAX_MID_CHARS;
}

std::vector<SentTrack> sdp_sent_tracks (const GstSDPMessage *sdp)
{
  std::vector<SentTrack> out;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
    const char *mid = gst_sdp_media_get_attribute_val (media, "mid");
    if (!mid || !sends (media))
      continue;
    SentTrack t;
    bool found = false;
    for (guint a = 0; a < gst_sdp_media_attributes_len (media) && !found; a++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
      if (g_str_equal (attr->key, "msid"))
        found = split_msid (attr->value, false, t);
      else if (g_str_equal (attr->key, "ssrc"))
        found = split_msid (attr->value, true, t);
    }
    if (!found)
      continue;
    t.mid = mid;
    t.kind = gst_sdp_media_get_media (media) ? gst_sdp_media_get_media (media) : "";
    out.push_back (std::move (t));
  }
  return out;
}

std::string sdp_sending_media (const GstSDPMessage *sdp, const std::string &mid, bool &exists)
{
  exists = false;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
    const char *m = gst_sdp_media_get_attribute_val (media, "mid");
    if (!m || mid != m)
      continue;
    exists = true;
    const char *kind = gst_sdp_media_get_media (media);
    return sends (media) && kind ? kind : "";
  }
  return "";
}

std::string join_message (const std::string &name, const std::string &token,
                          const std::string &resume_id, const std::string &resume_secret)
{
  Writer m ("join");
  m.integer ("v", PROTOCOL_VERSION).string ("name", name);
  if (!token.empty ())
    m.string ("token", token);
  if (!resume_id.empty ()) {
    JsonBuilder *b = m.builder ();
    json_builder_set_member_name (b, "resume");
    json_builder_begin_object (b);
    set_string (b, "id", resume_id);
    set_string (b, "secret", resume_secret);
    json_builder_end_object (b);
  }
  return m.text ();
}

std::string participant_description_message (GstWebRTCSDPType type, const GstSDPMessage *sdp)
{
  Writer m ("description");
  JsonBuilder *b = m.builder ();
  add_sdp (b, type, sdp);
  return m.text ();
}

std::string publish_message (const std::string &mid, const std::string &kind,
                             const std::string &label)
{
  return Writer ("track")
      .string ("action", "publish")
      .string ("mid", mid)
      .string ("kind", kind)
      .string ("label", label)
      .text ();
}

std::string unpublish_message (const std::string &mid)
{
  return Writer ("track").string ("action", "unpublish").string ("mid", mid).text ();
}

/* "stun:host:port" -> "stun://host:port"; "turn:host:port?transport=udp"
 * with credentials -> "turn://user:pass@host:port?transport=udp". */
static std::string gst_ice_url (const std::string &url, const std::string &username,
                                const std::string &credential)
{
  auto colon = url.find (':');
  if (colon == std::string::npos)
    return {};
  std::string scheme = url.substr (0, colon), rest = url.substr (colon + 1);
  while (!rest.empty () && rest[0] == '/')
    rest.erase (0, 1);
  if (rest.empty ())
    return {};
  if (scheme == "stun" || scheme == "stuns")
    return scheme + "://" + rest;
  if (scheme != "turn" && scheme != "turns")
    return {};
  g_autofree gchar *user = g_uri_escape_string (username.c_str (), nullptr, FALSE);
  g_autofree gchar *pass = g_uri_escape_string (credential.c_str (), nullptr, FALSE);
  return scheme + "://" + user + ":" + pass + "@" + rest;
}

std::string ice_server_urls (JsonArray *servers)
{
  std::string out;
  for (guint i = 0; servers && i < json_array_get_length (servers); i++) {
    JsonNode *e = json_array_get_element (servers, i);
    if (!JSON_NODE_HOLDS_OBJECT (e))
      continue;
    JsonObject *o = json_node_get_object (e);
    std::string error, username, credential;
    member_string (o, "username", username, 0, error, true);
    member_string (o, "credential", credential, 0, error, true);
    std::vector<std::string> urls;
    JsonNode *u = json_object_get_member (o, "urls");
    if (u && JSON_NODE_HOLDS_VALUE (u) && json_node_get_value_type (u) == G_TYPE_STRING) {
      urls.push_back (json_node_get_string (u));
    } else if (u && JSON_NODE_HOLDS_ARRAY (u)) {
      JsonArray *a = json_node_get_array (u);
      for (guint k = 0; k < json_array_get_length (a); k++) {
        JsonNode *n = json_array_get_element (a, k);
        if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
          urls.push_back (json_node_get_string (n));
      }
    }
    for (auto &url : urls) {
      std::string gst = gst_ice_url (url, username, credential);
      if (!gst.empty ())
        out += (out.empty () ? "" : ",") + gst;
    }
  }
  return out;
}

bool parse_pipeline_tracks (const std::string &json, std::vector<Track> &out, std::string &error)
{
  out.clear ();
  if (json.empty ())
    return true;
  JsonNode *root = parse_node (json, error);
  if (!root)
    return false;
  std::set<std::string> ids;
  bool ok = JSON_NODE_HOLDS_ARRAY (root);
  if (!ok)
    error = "not a JSON array";
  JsonArray *array = ok ? json_node_get_array (root) : nullptr;
  for (guint i = 0; ok && i < json_array_get_length (array); i++) {
    JsonNode *e = json_array_get_element (array, i);
    if (!JSON_NODE_HOLDS_OBJECT (e)) {
      error = "element " + std::to_string (i) + " is not an object";
      ok = false;
      break;
    }
    JsonObject *o = json_node_get_object (e);
    Track t;
    bool has_label = false;
    ok = member_string (o, "id", t.id, MAX_LABEL_CHARS, error) &&
         member_string (o, "kind", t.kind, 0, error) &&
         member_string (o, "label", t.label, MAX_LABEL_CHARS, error, true, &has_label);
    if (ok && !valid_track_id (t.id)) {
      error = "track id '" + t.id + "' is not 1-32 of [A-Za-z0-9_.-]";
      ok = false;
    } else if (ok && t.kind != "video" && t.kind != "audio") {
      error = "track " + t.id + ": kind must be video or audio";
      ok = false;
    } else if (ok && !ids.insert (t.id).second) {
      error = "track id " + t.id + " is used twice";
      ok = false;
    }
    if (ok)
      out.push_back (std::move (t));
  }
  json_node_unref (root);
  if (!ok)
    out.clear ();
  return ok;
}

bool valid_data_channels (const std::string &json, std::string &error)
{
  JsonNode *root = parse_node (json, error);
  if (!root)
    return false;
  bool ok = JSON_NODE_HOLDS_ARRAY (root);
  if (!ok)
    error = "not a JSON array";
  for (guint i = 0; ok && i < json_array_get_length (json_node_get_array (root)); i++) {
    JsonNode *e = json_array_get_element (json_node_get_array (root), i);
    std::string label;
    ok = JSON_NODE_HOLDS_OBJECT (e) &&
         member_string (json_node_get_object (e), "label", label, 0, error);
    if (!ok)
      error = "element " + std::to_string (i) + ": " + (error.empty () ? "not an object" : error);
  }
  json_node_unref (root);
  return ok;
}

std::string close_reason (const std::string &reason)
{
  gsize len = MIN (reason.size (), (gsize)123);
  while (len > 0 && len < reason.size () && ((guint8)reason[len] & 0xc0) == 0x80)
    len--;
  return reason.substr (0, len);
}

} // namespace room
} // namespace rtc

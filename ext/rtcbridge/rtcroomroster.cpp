/* See rtcroomroster.h. */
#include "rtcroomroster.h"

#include <algorithm>
#include <set>

namespace rtc {
namespace room {

bool parse_track (JsonObject *o, Track &out)
{
  std::string error;
  JsonNode *muted = json_object_get_member (o, "muted");
  bool has_muted = muted && JSON_NODE_HOLDS_VALUE (muted);
  out = Track ();
  if (!member_string (o, "id", out.id, MAX_MID_CHARS, error) ||
      !member_string (o, "kind", out.kind, MAX_LABEL_CHARS, error) ||
      !member_string (o, "label", out.label, MAX_LABEL_CHARS, error, true))
    return false;
  return !has_muted || member_bool (o, "muted", out.muted, error);
}

bool parse_participant (JsonObject *o, Participant &out)
{
  std::string error;
  out = Participant ();
  if (!o || !member_string (o, "id", out.id, 64, error) ||
      !member_string (o, "name", out.name, MAX_NAME_CHARS, error, true))
    return false;
  JsonNode *pipeline = json_object_get_member (o, "pipeline");
  if (pipeline && JSON_NODE_HOLDS_VALUE (pipeline) &&
      json_node_get_value_type (pipeline) == G_TYPE_BOOLEAN)
    out.pipeline = json_node_get_boolean (pipeline);
  JsonNode *tracks = json_object_get_member (o, "tracks");
  if (tracks && JSON_NODE_HOLDS_ARRAY (tracks)) {
    JsonArray *a = json_node_get_array (tracks);
    for (guint i = 0; i < json_array_get_length (a); i++) {
      JsonNode *t = json_array_get_element (a, i);
      Track track;
      if (JSON_NODE_HOLDS_OBJECT (t) && parse_track (json_node_get_object (t), track))
        out.tracks.push_back (std::move (track));
    }
  }
  return true;
}

/* ---- Roster ------------------------------------------------------------- */

void Roster::reset (JsonArray *roster)
{
  members_.clear ();
  for (guint i = 0; roster && i < json_array_get_length (roster); i++) {
    JsonNode *e = json_array_get_element (roster, i);
    Participant p;
    if (JSON_NODE_HOLDS_OBJECT (e) && parse_participant (json_node_get_object (e), p))
      members_.push_back (std::move (p));
  }
}

Participant *Roster::find (const std::string &id)
{
  for (auto &p : members_)
    if (p.id == id)
      return &p;
  return nullptr;
}

bool Roster::apply (const Message &m)
{
  JsonObject *o = m.object ();
  const std::string &type = m.type ();
  std::string error, id;
  if (type == "joined") {
    JsonObject *po = nullptr;
    bool present = false;
    Participant p;
    if (!member_object (o, "participant", po, error, &present) || !present ||
        !parse_participant (po, p))
      return false;
    if (Participant *known = find (p.id))
      *known = std::move (p);
    else
      members_.push_back (std::move (p));
    return true;
  }
  if (type == "left") {
    if (!member_string (o, "id", id, 64, error))
      return false;
    auto gone = std::remove_if (members_.begin (), members_.end (),
                                [&id] (const Participant &p) { return p.id == id; });
    bool changed = gone != members_.end ();
    members_.erase (gone, members_.end ());
    return changed;
  }
  if (type == "track") {
    std::string action;
    JsonObject *to = nullptr;
    bool present = false;
    Track t;
    if (!member_string (o, "action", action, 0, error) ||
        !member_string (o, "participant", id, 64, error) ||
        !member_object (o, "track", to, error, &present) || !present || !parse_track (to, t))
      return false;
    Participant *p = find (id);
    if (!p)
      return false;
    auto &tracks = p->tracks;
    tracks.erase (std::remove_if (tracks.begin (), tracks.end (),
                                  [&t] (const Track &x) { return x.id == t.id; }),
                  tracks.end ());
    if (action == "published")
      tracks.push_back (std::move (t));
    return true;
  }
  if (type == "mute") {
    std::string track;
    bool muted = false;
    if (!member_string (o, "participant", id, 64, error) ||
        !member_string (o, "track", track, MAX_MID_CHARS, error) ||
        !member_bool (o, "muted", muted, error))
      return false;
    Participant *p = find (id);
    if (!p)
      return false;
    bool changed = false;
    for (auto &t : p->tracks)
      if (t.id == track && t.muted != muted) {
        t.muted = muted;
        changed = true;
      }
    return changed;
  }
  return false;
}

std::string Roster::json () const
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (auto &p : members_)
    add_participant (b, p);
  json_builder_end_array (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *text = json_to_string (root, FALSE);
  return text;
}

/* ---- Publications ------------------------------------------------------- */

std::vector<SendingLine> sdp_sending_lines (const GstSDPMessage *sdp)
{
  std::vector<SendingLine> out;
  for (auto &mid : sdp_mids (sdp)) {
    bool exists = false;
    std::string kind = mid.empty () ? "" : sdp_sending_media (sdp, mid, exists);
    if (kind == "video" || kind == "audio")
      out.push_back ({mid, kind});
  }
  return out;
}

std::string Publications::next_label (const std::string &kind) const
{
  std::set<std::string> used;
  for (auto &kv : published_)
    used.insert (kv.second.second);
  std::string first = kind == "video" ? "camera" : "microphone";
  if (!used.count (first))
    return first;
  for (guint n = 2;; n++) {
    std::string label = kind + "-" + std::to_string (n);
    if (!used.count (label))
      return label;
  }
}

std::vector<std::string> Publications::update (const GstSDPMessage *sdp)
{
  std::vector<std::string> out;
  auto lines = sdp_sending_lines (sdp);
  std::map<std::string, std::string> sending;
  for (auto &line : lines)
    sending[line.mid] = line.kind;
  for (auto it = published_.begin (); it != published_.end ();) {
    auto s = sending.find (it->first);
    if (s != sending.end () && s->second == it->second.first) {
      ++it;
      continue;
    }
    out.push_back (unpublish_message (it->first));
    it = published_.erase (it);
  }
  for (auto &line : lines) {
    if (published_.count (line.mid))
      continue;
    std::string label = next_label (line.kind);
    out.push_back (publish_message (line.mid, line.kind, label));
    published_[line.mid] = {line.kind, label};
  }
  return out;
}

} // namespace room
} // namespace rtc

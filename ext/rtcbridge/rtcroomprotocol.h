/* RtcRoomProtocol: the vocabulary of the room protocol
 * (docs/room-protocol.md) without any state: its constants, reading and
 * checking a client's JSON message, writing the room's messages, what an
 * SDP tells about the tracks its m-lines carry, and the participants'
 * secrets.
 *
 * Pure functions and value types; thread-safe.
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>
#include <functional>
#include <string>
#include <vector>

#include "rtchttpaccess.h"
#include "rtcjsondepth.h"

namespace rtc {
namespace room {

constexpr gint64 PROTOCOL_VERSION = 1;
constexpr const char *SUBPROTOCOL = "rtcbridge-room.v1";
/* A WebSocket message (the server's frame limit is the same): a description
 * grows by about 3 KB per m-line and every track is a new m-line. */
constexpr gsize MAX_MESSAGE_BYTES = 256 * 1024;
constexpr guint MAX_NAME_CHARS = 64;
constexpr guint MAX_LABEL_CHARS = 32;
constexpr guint MAX_MID_CHARS = 32;
constexpr guint MAX_ID_CHARS = 32; /* a participant id */
constexpr guint MAX_CHAT_CHARS = 4096;
/* Chat messages a resumed participant can get again (join's
 * resume.chat_seq): the room keeps the latest this many. */
constexpr guint CHAT_REPLAY = 100;
constexpr guint MAX_TOKEN_CHARS = 1024;
constexpr guint MAX_CANDIDATE_CHARS = 1024;
/* Deeper JSON is refused before it is parsed (json-glib's parser recurses). */
constexpr guint MAX_JSON_DEPTH = 16;
/* The pipeline hosting the room, as a participant. Client ids are "p<n>". */
constexpr const char *PIPELINE_ID = "pipeline";
constexpr guint PING_INTERVAL_MS = 5000;

/* WebSocket close codes. */
enum CloseCode : gushort {
  CLOSE_LEAVE = 1000,
  CLOSE_STOPPED = 1001,
  CLOSE_TOO_BIG = 1009,
  CLOSE_INTERNAL = 1011,
  CLOSE_VERSION = 4000,
  CLOSE_UNAUTHORIZED = 4001,
  CLOSE_FULL = 4003,
  CLOSE_FLOOD = 4008,
  CLOSE_TIMEOUT = 4010,
};

/* A published track. A client's track id is the mid it announced. */
struct Track {
  std::string id, kind, label;
  bool muted = false;
};

/* A client's message: a JSON object with a string "type". */
class Message {
public:
  Message () = default;
  ~Message ();
  Message (const Message &) = delete;
  Message &operator= (const Message &) = delete;

  /* False with @error when @text is not such an object. */
  bool parse (const char *text, gsize len, std::string &error);
  const std::string &type () const { return type_; }
  JsonObject *object () const { return object_; }

private:
  JsonParser *parser_ = nullptr;
  JsonObject *object_ = nullptr;
  std::string type_;
};

/* Member checks. Each returns false with @error ("'name' must be ...") when
 * the member is missing (unless @optional: then *@present tells), of
 * another type, or longer than @max_chars characters (0: any length). */
bool member_string (JsonObject *o, const char *name, std::string &out, guint max_chars,
                    std::string &error, bool optional = false, bool *present = nullptr);
bool member_int (JsonObject *o, const char *name, gint64 &out, std::string &error);
bool member_bool (JsonObject *o, const char *name, bool &out, std::string &error);
/* A number (integer or not) in [@min, @max]. */
bool member_number (JsonObject *o, const char *name, double min, double max, double &out,
                    std::string &error);
/* An object member; nullptr when absent or null (then *@present tells). */
bool member_object (JsonObject *o, const char *name, JsonObject *&out, std::string &error,
                    bool *present);

/* The room's messages. */
class Writer {
public:
  explicit Writer (const char *type);
  ~Writer ();
  Writer (const Writer &) = delete;
  Writer &operator= (const Writer &) = delete;
  JsonBuilder *builder () { return b_; }
  Writer &string (const char *name, const std::string &value);
  Writer &integer (const char *name, gint64 value);
  Writer &boolean (const char *name, bool value);
  Writer &node (const char *name, JsonNode *value); /* takes @value */
  /* The message as text (closes it: call once). */
  std::string text ();

private:
  JsonBuilder *b_;
};

/* A participant as rosters show it. */
struct Participant {
  std::string id, name;
  std::vector<Track> tracks;
  bool pipeline = false;
};

void add_track (JsonBuilder *b, const Track &track);
void add_participant (JsonBuilder *b, const Participant &p);

std::string error_message (const std::string &code, const std::string &message,
                           const std::string &ref = "");
struct Welcome {
  std::string room, id, secret;
  std::vector<Participant> roster;
  std::vector<IceServer> ice_servers;
  guint max_participants = 0, messages_per_second = 0;
  std::string data_channels; /* a JSON array */
};
std::string welcome_message (const Welcome &w);
std::string joined_message (const Participant &p);
std::string left_message (const std::string &id, const std::string &reason);
/* @action: "published" or "unpublished" */
std::string track_message (const char *action, const std::string &participant, const Track &t);
/* The room's description; `tracks` from its msids, labelled by @label_of
 * (participant, track). */
std::string description_message (
    GstWebRTCSDPType type, const GstSDPMessage *sdp,
    const std::function<std::string (const std::string &, const std::string &)> &label_of);
/* @candidate nullptr: the end of the room's candidates. @mids: of the
 * session's latest description (sdpMid). */
std::string candidate_message (guint mline, const char *candidate,
                               const std::vector<std::string> &mids);
std::string chat_message (const std::string &from, const std::string &name, const std::string &text,
                          guint64 seq);
/* Audio mixing: @participant starts or stops speaking (@level: dBFS, an
 * integer), and whether it is now the active speaker. */
std::string speaking_message (const std::string &participant, bool speaking, gint level,
                              bool active);
/* Audio mixing: the host muted @participant for everyone (or let it be
 * heard again). */
std::string audio_muted_message (const std::string &participant, bool muted);
/* Audio mixing: each participant's level now (dBFS, whole dB). */
std::string levels_message (const std::vector<std::pair<std::string, gint>> &levels);

/* What one of an SDP's m-lines sends, from its a=msid or a=ssrc msid
 * "<participant>/<track>" (the element sets it on webrtcbin's sink pads). */
struct SentTrack {
  std::string mid, participant, track, kind;
};
std::vector<SentTrack> sdp_sent_tracks (const GstSDPMessage *sdp);
/* The mids of @sdp's m-lines in order ("" for one without). */
std::vector<std::string> sdp_mids (const GstSDPMessage *sdp);
/* The media ("video", "audio"...) of the m-line @mid when the side that
 * wrote @sdp sends on it (sendrecv or sendonly, not rejected); "" when it
 * does not; @exists tells whether the mid is there at all. */
std::string sdp_sending_media (const GstSDPMessage *sdp, const std::string &mid, bool &exists);

/* ---- the participant's side (rtcroomclient.h; its state: rtcroomroster.h) */

/* `join`; @token and @resume_id empty: not sent. */
std::string join_message (const std::string &name, const std::string &token,
                          const std::string &resume_id, const std::string &resume_secret);
/* A participant's `description` (no `tracks`). */
std::string participant_description_message (GstWebRTCSDPType type, const GstSDPMessage *sdp);
/* `track publish` / `track unpublish` (@kind and @label: publish only). */
std::string publish_message (const std::string &mid, const std::string &kind,
                             const std::string &label);
std::string unpublish_message (const std::string &mid);
/* welcome.ice_servers ([{urls, username?, credential?}], urls a string or
 * an array) as the elements take ICE servers: comma-separated stun://host:port
 * and turn(s)://user:pass@host:port URLs (user and password
 * percent-encoded), what GstRtcSignaller's "ice-servers" property holds. */
std::string ice_server_urls (JsonArray *servers);

/* pipeline-tracks: a JSON array of {id, kind, label}; ids are 1..32
 * characters from [A-Za-z0-9_.-] and unique. */
bool parse_pipeline_tracks (const std::string &json, std::vector<Track> &out, std::string &error);
/* data-channels: a JSON array of objects (each with a string "label"). */
bool valid_data_channels (const std::string &json, std::string &error);

/* @reason cut to the 123 bytes a close frame holds, on a UTF-8 boundary. */
std::string close_reason (const std::string &reason);
/* Characters (not bytes) of a valid UTF-8 string. */
glong utf8_chars (const std::string &s);

} // namespace room
} // namespace rtc

/* See rtcjanusvideoroom.h. */
#include "rtcjanusvideoroom.h"

#include <gst/sdp/sdp.h>

GstDebugCategory *gst_rtc_janus_signaller_category ();
#define GST_CAT_DEFAULT gst_rtc_janus_signaller_category ()

namespace rtc {

namespace {

constexpr const char *kPlugin = "janus.plugin.videoroom";

/* VideoRoom error codes (janus_videoroom.c) and Janus core ones (apierror.h). */
constexpr gint64 kUnauthorized = 403;
constexpr gint64 kUnauthorizedPlugin = 405;
constexpr gint64 kPluginNotFound = 460;
constexpr gint64 kNoSuchRoom = 426;
constexpr gint64 kRoomExists = 427;
constexpr gint64 kNoSuchFeed = 428;
constexpr gint64 kRoomUnauthorized = 433;
constexpr gint64 kIdExists = 436;

JsonObject *jsep_of (GstWebRTCSessionDescription *description)
{
  JsonObject *jsep = json_object_new ();
  json_object_set_string_member (jsep, "type", gst_webrtc_sdp_type_to_string (description->type));
  gchar *text = gst_sdp_message_as_text (description->sdp);
  json_object_set_string_member (jsep, "sdp", text);
  g_free (text);
  return jsep;
}

/* Janus's description of @type, or nullptr with @error. */
GstWebRTCSessionDescription *description_of (JsonObject *jsep, GstWebRTCSDPType type,
                                             std::string &error)
{
  const char *kind = janus_string (jsep, "type");
  const char *text = janus_string (jsep, "sdp");
  const char *want = gst_webrtc_sdp_type_to_string (type);
  if (!jsep || !kind || !text) {
    error = std::string ("Janus sent no ") + want;
    return nullptr;
  }
  if (!g_str_equal (kind, want)) {
    error = std::string ("Janus sent an SDP ") + kind + " where an " + want + " was due";
    return nullptr;
  }
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new (&sdp);
  /* GstSDP takes no empty text (a critical). */
  if (!*text ||
      gst_sdp_message_parse_buffer ((const guint8 *)text, strlen (text), sdp) != GST_SDP_OK ||
      gst_sdp_message_medias_len (sdp) == 0) {
    gst_sdp_message_free (sdp);
    error = std::string ("Janus sent an SDP ") + want + " that does not parse";
    return nullptr;
  }
  return gst_webrtc_session_description_new (type, sdp);
}

std::vector<std::string> mids_of (const GstSDPMessage *sdp)
{
  std::vector<std::string> mids;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const char *mid = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, i), "mid");
    mids.push_back (mid ? mid : "");
  }
  return mids;
}

} // namespace

JanusVideoRoom::JanusVideoRoom (Settings settings, Output output, Scheduler after)
    : s_ (std::move (settings)), out_ (std::move (output)), after_ (std::move (after))
{}

JanusVideoRoom::~JanusVideoRoom ()
{
  stopped_ = true;
  client_.reset ();
  retired_.clear ();
}

void JanusVideoRoom::start ()
{
  stopped_ = false;
  failed_ = false;
  failures_ = 0;
  epoch_++;
  connect ();
}

void JanusVideoRoom::stop (std::function<void ()> done)
{
  bool was_running = !stopped_ && !failed_;
  stopped_ = true;
  epoch_++;
  end_all (false);
  if (!was_running || !client_) {
    done ();
    return;
  }
  GST_INFO ("destroying Janus session %" G_GUINT64_FORMAT, client_->session_id ());
  client_->destroy ([done] (const JanusReply &reply) {
    if (!reply.ok ())
      GST_INFO ("destroying the Janus session: %s", reply.error.c_str ());
    done ();
  });
}

std::string JanusVideoRoom::where () const
{
  return "Janus room " + std::to_string (s_.room) + " at " + s_.url;
}

std::string JanusVideoRoom::describe (guint64 feed) const
{
  auto it = publishers_.find (feed);
  std::string out = "feed " + std::to_string (feed);
  if (it != publishers_.end () && !it->second.empty ())
    out += " (" + it->second + ")";
  return out;
}

void JanusVideoRoom::state (const std::string &state, const std::string &detail)
{
  GST_INFO ("%s: %s", state.c_str (), detail.c_str ());
  if (!stopped_)
    out_.state_changed (state, detail);
}

guint JanusVideoRoom::backoff ()
{
  guint64 delay = (guint64)s_.retry_min_ms << MIN (failures_, 16u);
  failures_++;
  return (guint)MIN (delay, (guint64)MAX (s_.retry_max_ms, s_.retry_min_ms));
}

void JanusVideoRoom::later (guint delay_ms, std::function<void ()> fn)
{
  std::weak_ptr<bool> alive = alive_;
  guint epoch = epoch_;
  after_ (delay_ms, [this, alive, epoch, fn] () {
    if (alive.expired () || epoch != epoch_ || stopped_ || failed_)
      return;
    fn ();
  });
}

void JanusVideoRoom::connect ()
{
  state ("connecting", where ());
  JanusClient::Settings cs;
  cs.url = s_.url;
  cs.api_secret = s_.api_secret;
  cs.keepalive_ms = s_.keepalive_ms;
  JanusClient::Events events;
  events.on_event = [this] (guint64 sender, JsonObject *event) {
    on_event (sender, event);
  };
  events.on_lost = [this] (const std::string &why) {
    lose (why);
  };
  client_ = std::make_unique<JanusClient> (cs, events, in_flight_);
  client_->create ([this] (const JanusReply &reply) {
    if (reply.outcome == JanusReply::REFUSED && reply.code == kUnauthorized) {
      fatal ("Janus at " + s_.url + " refused the session: " + reply.error +
             " (set api-secret to the api_secret of janus.jcfg)");
      return;
    }
    if (!reply.ok ()) {
      lose (reply.error);
      return;
    }
    out_.ids_changed (reply.id, 0);
    client_->attach (kPlugin, [this] (const JanusReply &r) {
      if (r.outcome == JanusReply::REFUSED &&
          (r.code == kPluginNotFound || r.code == kUnauthorizedPlugin)) {
        fatal ("Janus at " + s_.url + " has no usable VideoRoom plugin (" + kPlugin +
               "): " + r.error + "; enable libjanus_videoroom.so");
        return;
      }
      if (!r.ok ()) {
        lose (r.error);
        return;
      }
      handle_ = r.id;
      join ();
    });
  });
}

void JanusVideoRoom::join ()
{
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "request", "join");
  json_object_set_string_member (body, "ptype", "publisher");
  json_object_set_int_member (body, "room", (gint64)s_.room);
  std::string display = s_.display;
  if (!s_.publisher && display.empty ())
    display = "gst-rtcbridge subscriber";
  if (!display.empty ())
    json_object_set_string_member (body, "display", display.c_str ());
  if (!s_.pin.empty ())
    json_object_set_string_member (body, "pin", s_.pin.c_str ());
  if (s_.publisher && publisher_id_)
    json_object_set_int_member (body, "id", (gint64)publisher_id_);
  client_->message (handle_, body, nullptr, [this] (const JanusReply &r) { on_joined (r); });
}

void JanusVideoRoom::on_joined (const JanusReply &reply)
{
  if (reply.outcome == JanusReply::REFUSED) {
    if (reply.code == kNoSuchRoom && s_.create_room) {
      create_room ();
    } else if (reply.code == kNoSuchRoom) {
      fatal (where () + " does not exist (" + reply.error +
             "): create it in janus.plugin.videoroom.jcfg, or set create-room=true");
    } else if (reply.code == kRoomUnauthorized) {
      fatal (where () + " refused us: " + reply.error + " (check room-pin)");
    } else if (reply.code == kIdExists && publisher_id_) {
      GST_INFO ("feed id %" G_GUINT64_FORMAT " is taken; joining with a new one", publisher_id_);
      publisher_id_ = 0;
      join ();
    } else {
      lose ("joining " + where () + ": " + reply.error);
    }
    return;
  }
  if (!reply.ok ()) {
    lose (reply.error);
    return;
  }
  const char *kind = janus_string (reply.data, "videoroom");
  guint64 id = 0;
  if (!kind || !g_str_equal (kind, "joined") || !janus_id (reply.data, "id", &id)) {
    lose ("joining " + where () + ": Janus answered something else than \"joined\"");
    return;
  }
  private_id_ = 0;
  janus_id (reply.data, "private_id", &private_id_);
  failures_ = 0;
  if (s_.publisher) {
    publisher_id_ = id;
    out_.ids_changed (client_->session_id (), id);
    state ("joined", where () + " as feed " + std::to_string (id) +
                         (s_.display.empty () ? "" : " (" + s_.display + ")"));
    request_publish ();
    return;
  }
  std::string whom = s_.feed                     ? "feed " + std::to_string (s_.feed)
                     : !s_.feed_display.empty () ? "the feeds of '" + s_.feed_display + "'"
                                                 : "every feed";
  state ("joined", where () + ", following " + whom);
  follow (janus_array (reply.data, "publishers"));
  if (subs_.empty ())
    state ("waiting", "no publisher to follow in " + where () + " yet");
}

void JanusVideoRoom::create_room ()
{
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "request", "create");
  json_object_set_int_member (body, "room", (gint64)s_.room);
  json_object_set_string_member (body, "description", "gst-rtcbridge");
  json_object_set_int_member (body, "publishers", 16);
  json_object_set_string_member (body, "videocodec", "vp8,vp9,h264,av1,h265");
  json_object_set_string_member (body, "audiocodec", "opus,g722,pcmu,pcma");
  json_object_set_boolean_member (body, "permanent", FALSE);
  if (!s_.pin.empty ())
    json_object_set_string_member (body, "pin", s_.pin.c_str ());
  client_->message (handle_, body, nullptr, [this] (const JanusReply &r) {
    if (r.ok () || (r.outcome == JanusReply::REFUSED && r.code == kRoomExists)) {
      state ("connecting", "created " + where ());
      join ();
    } else if (r.outcome == JanusReply::REFUSED) {
      fatal ("Janus refused to create " + where () + ": " + r.error +
             " (rooms may need the VideoRoom admin_key: create it in the configuration)");
    } else {
      lose (r.error);
    }
  });
}

void JanusVideoRoom::request_publish ()
{
  pub_session_ = "janus-" + std::to_string (s_.room) + "-pub-" + std::to_string (++serial_);
  pub_answered_ = false;
  pub_mids_.clear ();
  if (!stopped_)
    out_.session_requested (pub_session_, where (), nullptr);
}

void JanusVideoRoom::send_description (const std::string &id,
                                       GstWebRTCSessionDescription *description)
{
  if (stopped_ || failed_ || !client_)
    return;
  if (s_.publisher && id == pub_session_ && description->type == GST_WEBRTC_SDP_TYPE_OFFER) {
    pub_mids_ = mids_of (description->sdp);
    JsonObject *body = json_object_new ();
    json_object_set_string_member (body, "request", "publish");
    if (!s_.display.empty ())
      json_object_set_string_member (body, "display", s_.display.c_str ());
    client_->message (handle_, body, jsep_of (description),
                      [this, id] (const JanusReply &r) { on_published (id, r); });
    return;
  }
  Subscription *sub = subscription_by_session (id);
  if (sub && description->type == GST_WEBRTC_SDP_TYPE_ANSWER) {
    guint64 feed = sub->feed, attempt = sub->attempt;
    JsonObject *body = json_object_new ();
    json_object_set_string_member (body, "request", "start");
    client_->message (
        sub->handle, body, jsep_of (description), [this, feed, attempt] (const JanusReply &r) {
          auto it = subs_.find (feed);
          if (it == subs_.end () || it->second.attempt != attempt)
            return;
          if (r.outcome == JanusReply::FAILED)
            lose (r.error);
          else if (!r.ok ())
            end_subscription (feed, true, true, "Janus refused our answer: " + r.error);
          else
            state ("subscribed", describe (feed));
        });
    return;
  }
  GST_WARNING ("session %s: an SDP %s is not due; ignored", id.c_str (),
               gst_webrtc_sdp_type_to_string (description->type));
}

void JanusVideoRoom::on_published (const std::string &id, const JanusReply &reply)
{
  if (id != pub_session_)
    return;
  if (reply.outcome == JanusReply::FAILED) {
    lose (reply.error);
    return;
  }
  if (!reply.ok ()) {
    end_publish (true, "Janus refused our offer: " + reply.error);
    return;
  }
  std::string error;
  GstWebRTCSessionDescription *answer =
      description_of (reply.jsep, GST_WEBRTC_SDP_TYPE_ANSWER, error);
  if (!answer) {
    GST_WARNING ("%s", error.c_str ());
    end_publish (true, error);
    return;
  }
  pub_answered_ = true;
  failures_ = 0;
  out_.session_description (id, answer);
  gst_webrtc_session_description_free (answer);
  state ("publishing", where () + " as feed " + std::to_string (publisher_id_));
}

/* Ends our publishing session and asks for a new one after a back-off. */
void JanusVideoRoom::end_publish (bool tell, const std::string &why)
{
  if (pub_session_.empty ())
    return;
  std::string id = pub_session_;
  pub_session_.clear ();
  pub_answered_ = false;
  if (client_ && handle_)
    client_->hangup (handle_);
  if (tell && !stopped_)
    out_.session_ended (id);
  guint delay = backoff ();
  state ("retrying", why + "; new session in " + std::to_string (delay) + " ms");
  later (delay, [this] () {
    if (pub_session_.empty () && handle_)
      request_publish ();
  });
}

bool JanusVideoRoom::wants (guint64 feed, const std::string &display) const
{
  if (s_.feed)
    return feed == s_.feed;
  if (!s_.feed_display.empty ())
    return display == s_.feed_display;
  return true;
}

void JanusVideoRoom::follow (JsonArray *publishers)
{
  if (s_.publisher || !publishers)
    return;
  for (guint i = 0; i < json_array_get_length (publishers); i++) {
    JsonNode *node = json_array_get_element (publishers, i);
    JsonObject *p = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : nullptr;
    guint64 feed = 0;
    if (!janus_id (p, "id", &feed)) {
      GST_WARNING ("Janus announced a publisher without a numeric id; ignored");
      continue;
    }
    JsonNode *dummy = json_object_get_member (p, "dummy");
    if (dummy && JSON_NODE_HOLDS_VALUE (dummy) &&
        json_node_get_value_type (dummy) == G_TYPE_BOOLEAN && json_node_get_boolean (dummy))
      continue;
    const char *display = janus_string (p, "display");
    publishers_[feed] = display ? display : "";
    refused_.erase (feed);
    if (wants (feed, publishers_[feed]) && !subs_.count (feed))
      subscribe (feed);
  }
}

void JanusVideoRoom::subscribe (guint64 feed)
{
  Subscription &sub = subs_[feed];
  sub.feed = feed;
  sub.attempt = ++serial_;
  guint64 attempt = sub.attempt;
  client_->attach (kPlugin, [this, feed, attempt] (const JanusReply &r) {
    auto it = subs_.find (feed);
    if (it == subs_.end () || it->second.attempt != attempt) {
      if (r.ok ())
        client_->detach (r.id);
      return;
    }
    if (r.outcome == JanusReply::FAILED) {
      lose (r.error);
      return;
    }
    if (!r.ok ()) {
      end_subscription (feed, true, true, "attaching: " + r.error);
      return;
    }
    it->second.handle = r.id;
    JsonObject *body = json_object_new ();
    json_object_set_string_member (body, "request", "join");
    json_object_set_string_member (body, "ptype", "subscriber");
    json_object_set_int_member (body, "room", (gint64)s_.room);
    JsonArray *streams = json_array_new ();
    JsonObject *stream = json_object_new ();
    json_object_set_int_member (stream, "feed", (gint64)feed);
    json_array_add_object_element (streams, stream);
    json_object_set_array_member (body, "streams", streams);
    /* The listener ends the session when the feed goes: no renegotiation. */
    json_object_set_boolean_member (body, "autoupdate", FALSE);
    if (private_id_)
      json_object_set_int_member (body, "private_id", (gint64)private_id_);
    if (!s_.pin.empty ())
      json_object_set_string_member (body, "pin", s_.pin.c_str ());
    client_->message (r.id, body, nullptr, [this, feed, attempt] (const JanusReply &joined) {
      on_attached (feed, attempt, joined);
    });
  });
}

void JanusVideoRoom::on_attached (guint64 feed, guint64 attempt, const JanusReply &reply)
{
  auto it = subs_.find (feed);
  if (it == subs_.end () || it->second.attempt != attempt)
    return;
  if (reply.outcome == JanusReply::FAILED) {
    lose (reply.error);
    return;
  }
  if (reply.outcome == JanusReply::REFUSED) {
    if (reply.code == kRoomUnauthorized)
      fatal (where () + " refused to let us subscribe: " + reply.error + " (check room-pin)");
    else
      end_subscription (feed, false, reply.code != kNoSuchFeed,
                        "subscribing to " + describe (feed) + ": " + reply.error);
    return;
  }
  std::string error;
  const char *kind = janus_string (reply.data, "videoroom");
  GstWebRTCSessionDescription *offer =
      description_of (reply.jsep, GST_WEBRTC_SDP_TYPE_OFFER, error);
  if (!offer || !kind || !g_str_equal (kind, "attached")) {
    if (offer)
      gst_webrtc_session_description_free (offer);
    GST_WARNING ("subscribing to %s: %s", describe (feed).c_str (),
                 offer ? "Janus did not answer \"attached\"" : error.c_str ());
    end_subscription (feed, false, true, error.empty () ? "unexpected answer" : error);
    return;
  }
  Subscription &sub = it->second;
  sub.session = "janus-" + std::to_string (s_.room) + "-feed-" + std::to_string (feed) + "-" +
                std::to_string (++serial_);
  sub.mids = mids_of (offer->sdp);
  std::string id = sub.session;
  state ("subscribing", describe (feed));
  if (!stopped_)
    out_.session_requested (id, describe (feed), offer);
  gst_webrtc_session_description_free (offer);
}

void JanusVideoRoom::end_subscription (guint64 feed, bool tell, bool resubscribe,
                                       const std::string &why)
{
  auto it = subs_.find (feed);
  if (it == subs_.end ())
    return;
  Subscription sub = std::move (it->second);
  subs_.erase (it);
  if (client_ && sub.handle)
    client_->detach (sub.handle);
  if (tell && !sub.session.empty () && !stopped_)
    out_.session_ended (sub.session);
  if (resubscribe && publishers_.count (feed) && !refused_.count (feed)) {
    guint delay = backoff ();
    state ("retrying",
           describe (feed) + ": " + why + "; again in " + std::to_string (delay) + " ms");
    later (delay, [this, feed] () {
      if (!subs_.count (feed) && publishers_.count (feed) && !refused_.count (feed))
        subscribe (feed);
    });
    return;
  }
  if (subs_.empty ())
    state ("waiting", describe (feed) + ": " + why + "; waiting for a publisher");
  else
    state ("unsubscribed", describe (feed) + ": " + why);
}

void JanusVideoRoom::feed_gone (guint64 feed, const std::string &why)
{
  if (!subs_.count (feed)) {
    publishers_.erase (feed);
    refused_.erase (feed);
    return;
  }
  end_subscription (feed, true, false, why);
  publishers_.erase (feed);
  refused_.erase (feed);
}

JanusVideoRoom::Subscription *JanusVideoRoom::subscription_by_handle (guint64 handle)
{
  for (auto &kv : subs_)
    if (handle && kv.second.handle == handle)
      return &kv.second;
  return nullptr;
}

JanusVideoRoom::Subscription *JanusVideoRoom::subscription_by_session (const std::string &id)
{
  for (auto &kv : subs_)
    if (!id.empty () && kv.second.session == id)
      return &kv.second;
  return nullptr;
}

void JanusVideoRoom::on_event (guint64 sender, JsonObject *event)
{
  std::string kind = janus_string (event, "janus");
  Subscription *sub = subscription_by_handle (sender);
  bool ours = sender && sender == handle_;
  if (kind == "event") {
    JsonObject *data = janus_object (janus_object (event, "plugindata"), "data");
    if (!data)
      GST_WARNING ("a Janus event without plugin data; ignored");
    else if (ours)
      on_room_event (data);
    else if (sub && janus_string (data, "error"))
      GST_WARNING ("%s: %s", describe (sub->feed).c_str (), janus_string (data, "error"));
    else
      GST_DEBUG ("event for handle %" G_GUINT64_FORMAT " ignored", sender);
  } else if (kind == "trickle") {
    on_remote_candidate (sender, janus_object (event, "candidate"));
  } else if (kind == "webrtcup") {
    if (ours && s_.publisher)
      state ("connected", where () + ": Janus receives feed " + std::to_string (publisher_id_));
    else if (sub)
      state ("connected", describe (sub->feed) + ": Janus sends it");
  } else if (kind == "hangup" || kind == "detached") {
    const char *reason = janus_string (event, "reason");
    std::string why = "Janus " + std::string (kind == "hangup" ? "hung up" : "detached") +
                      (reason ? std::string (": ") + reason : std::string ());
    if (ours && kind == "detached")
      lose (why);
    else if (ours && s_.publisher && pub_answered_)
      end_publish (true, why);
    else if (sub)
      end_subscription (sub->feed, true, true, why);
  } else if (kind == "media" || kind == "slowlink") {
    GST_DEBUG ("Janus %s event for handle %" G_GUINT64_FORMAT, kind.c_str (), sender);
  } else {
    GST_DEBUG ("unexpected Janus event '%s' ignored", kind.c_str ());
  }
}

void JanusVideoRoom::on_room_event (JsonObject *data)
{
  const char *kind = janus_string (data, "videoroom");
  if (kind && g_str_equal (kind, "destroyed")) {
    lose (where () + " was destroyed");
    return;
  }
  if (const char *error = janus_string (data, "error"))
    GST_WARNING ("%s: %s", where ().c_str (), error);
  follow (janus_array (data, "publishers"));
  guint64 feed = 0;
  if (janus_id (data, "unpublished", &feed))
    feed_gone (feed, "unpublished");
  if (janus_id (data, "leaving", &feed))
    feed_gone (feed, "left the room");
  if (janus_id (data, "kicked", &feed)) {
    if (s_.publisher && feed == publisher_id_)
      lose ("kicked out of " + where ());
    else
      feed_gone (feed, "kicked out of the room");
  }
}

void JanusVideoRoom::on_remote_candidate (guint64 sender, JsonObject *candidate)
{
  std::string id;
  const std::vector<std::string> *mids = nullptr;
  if (s_.publisher && sender && sender == handle_) {
    id = pub_session_;
    mids = &pub_mids_;
  } else if (Subscription *sub = subscription_by_handle (sender)) {
    id = sub->session;
    mids = &sub->mids;
  }
  const char *text = janus_string (candidate, "candidate");
  if (id.empty () || !text)
    return; /* {"completed":true}, or for no live session */
  gint64 mline = -1;
  const char *mid = janus_string (candidate, "sdpMid");
  if (!janus_int (candidate, "sdpMLineIndex", &mline) && mid) {
    for (size_t i = 0; i < mids->size (); i++)
      if ((*mids)[i] == mid)
        mline = (gint64)i;
  }
  if (mline < 0 || mline > G_MAXINT) {
    GST_WARNING ("a Janus candidate for no m-line we know; ignored");
    return;
  }
  GST_LOG ("session %s: Janus's candidate %s (m-line %" G_GINT64_FORMAT ")", id.c_str (), text,
           mline);
  if (!stopped_)
    out_.ice_candidate (id, (guint)mline, text);
}

void JanusVideoRoom::send_ice_candidate (const std::string &id, guint mline, const char *candidate)
{
  if (stopped_ || failed_ || !client_)
    return;
  guint64 handle = 0;
  const std::vector<std::string> *mids = nullptr;
  if (s_.publisher && !id.empty () && id == pub_session_) {
    handle = handle_;
    mids = &pub_mids_;
  } else if (Subscription *sub = subscription_by_session (id)) {
    handle = sub->handle;
    mids = &sub->mids;
  }
  if (!handle) {
    GST_DEBUG ("session %s is over: candidate dropped", id.c_str ());
    return;
  }
  JsonObject *c = json_object_new ();
  if (!candidate || !*candidate) {
    json_object_set_boolean_member (c, "completed", TRUE);
  } else {
    json_object_set_string_member (c, "candidate",
                                   g_str_has_prefix (candidate, "a=") ? candidate + 2 : candidate);
    json_object_set_int_member (c, "sdpMLineIndex", mline);
    if (mline < mids->size () && !(*mids)[mline].empty ())
      json_object_set_string_member (c, "sdpMid", (*mids)[mline].c_str ());
  }
  GST_LOG ("session %s: our candidate %s (m-line %u)", id.c_str (), candidate ? candidate : "(end)",
           mline);
  client_->trickle (handle, c);
}

void JanusVideoRoom::end_session (const std::string &id, bool rejected, const std::string &why)
{
  if (stopped_ || failed_)
    return;
  if (s_.publisher && !id.empty () && id == pub_session_) {
    end_publish (false, why);
    return;
  }
  Subscription *sub = subscription_by_session (id);
  if (!sub)
    return;
  guint64 feed = sub->feed;
  if (rejected)
    refused_.insert (feed);
  end_subscription (feed, false, !rejected, why);
}

/* Every live session ends; our participant is gone. */
void JanusVideoRoom::end_all (bool tell)
{
  std::vector<std::string> ended;
  if (!pub_session_.empty ())
    ended.push_back (pub_session_);
  for (auto &kv : subs_)
    if (!kv.second.session.empty ())
      ended.push_back (kv.second.session);
  pub_session_.clear ();
  pub_answered_ = false;
  subs_.clear ();
  publishers_.clear ();
  refused_.clear ();
  handle_ = 0;
  private_id_ = 0;
  if (!tell || stopped_)
    return;
  for (auto &id : ended)
    out_.session_ended (id);
  out_.ids_changed (0, 0);
}

void JanusVideoRoom::retire_client ()
{
  if (!client_)
    return;
  JanusClient *raw = client_.get ();
  retired_.push_back (std::move (client_));
  raw->destroy ([this, raw] (const JanusReply &) {
    for (auto it = retired_.begin (); it != retired_.end (); ++it) {
      if (it->get () == raw) {
        retired_.erase (it); /* destroys the client: nothing after */
        return;
      }
    }
  });
}

void JanusVideoRoom::lose (const std::string &why)
{
  if (stopped_ || failed_)
    return;
  GST_WARNING ("%s: %s", where ().c_str (), why.c_str ());
  epoch_++;
  end_all (true);
  retire_client ();
  guint delay = backoff ();
  state ("retrying", why + "; reconnecting in " + std::to_string (delay) + " ms");
  later (delay, [this] () { connect (); });
}

void JanusVideoRoom::fatal (const std::string &message)
{
  if (stopped_ || failed_)
    return;
  GST_WARNING ("%s", message.c_str ());
  epoch_++;
  end_all (true);
  retire_client ();
  state ("failed", message);
  failed_ = true;
  if (!stopped_)
    out_.error (message);
}

} // namespace rtc

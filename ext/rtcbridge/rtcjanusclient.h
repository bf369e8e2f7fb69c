/* rtc::JanusClient: one Janus session over Janus's HTTP long-poll API
 * (libsoup 3, json-glib). The Janus VideoRoom signaller is built on it.
 *
 * The API: POST {"janus":"create"} to the server URL makes a session, POST
 * {"janus":"attach","plugin":...} to <url>/<session> a handle on a plugin,
 * POST {"janus":"message","body":...,"jsep":...} to <url>/<session>/<handle>
 * a plugin request. Janus answers a synchronous plugin request with
 * "success" and an asynchronous one with "ack", then later with an event
 * that carries the request's transaction. Events reach the client through
 * GET <url>/<session>?maxev=N, which Janus holds up to 30 s and which also
 * keeps the session alive; an explicit keepalive is sent every
 * keepalive-interval besides.
 *
 * The client matches answers and events to the request that caused them
 * (one Done call per request), hands the other events to Events::on_event
 * and reports once, through Events::on_lost, that the session is gone:
 * Janus unreachable, restarted (it no longer knows the session), timed out,
 * or talking nonsense. It never retries; its owner decides.
 *
 * Every reply is read to at most kMaxReplyBytes and parsed with json-glib;
 * anything that does not look like Janus is a failure with a reason, never
 * a crash.
 *
 * Threading: one thread. The client is made, used and destroyed on the
 * thread whose thread-default GMainContext runs it (the signaller's
 * thread); every callback runs there. A callback may destroy the client:
 * nothing touches it after. Destroying the client cancels what is in
 * flight; no callback is called after. Cancelled requests still complete
 * on the context: drain it while in_flight() is not zero before dropping
 * it.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <functional>
#include <memory>
#include <string>

namespace rtc {

/* The largest reply body read from Janus (an SDP is a few kB). */
constexpr gsize kMaxReplyBytes = 1024 * 1024;

/* The outcome of one Janus request. */
struct JanusReply {
  enum Outcome {
    OK,      /* Janus (and its plugin) did it */
    REFUSED, /* Janus or the plugin answered with an error (code, error) */
    FAILED,  /* no usable answer: unreachable, timeout, malformed reply */
  };
  Outcome outcome = FAILED;
  std::string janus;          /* the reply's kind: "success", "ack", "event", "error" */
  gint64 code = 0;            /* REFUSED: Janus's error code (core 4xx or plugin 4xx) */
  std::string error;          /* REFUSED, FAILED: why, for messages */
  guint64 id = 0;             /* OK: "data.id" of create and attach */
  JsonObject *data = nullptr; /* OK: the plugin's data; borrowed, valid in the callback */
  JsonObject *jsep = nullptr; /* OK: the description, if any; borrowed */

  bool ok () const { return outcome == OK; }
};

/* json-glib access that checks types: nullptr or false when absent or of
 * another type. */
const char *janus_string (JsonObject *object, const char *member);
JsonObject *janus_object (JsonObject *object, const char *member);
JsonArray *janus_array (JsonObject *object, const char *member);
bool janus_int (JsonObject *object, const char *member, gint64 *value);
/* A positive integer id (sessions, handles, rooms, feeds). */
bool janus_id (JsonObject *object, const char *member, guint64 *value);

class JanusClient {
public:
  struct Settings {
    std::string url;        /* the Janus API, e.g. http://127.0.0.1:8088/janus */
    std::string api_secret; /* sent as "apisecret" when not empty */
    guint keepalive_ms = 25000;
    guint timeout_ms = 10000; /* for each request (the long poll: 30 s more) */
  };
  struct Events {
    /* An event no request waits for: room news, trickle, hangup, webrtcup... */
    std::function<void (guint64 sender, JsonObject *event)> on_event;
    /* The session is gone (called at most once; nothing else after). */
    std::function<void (const std::string &why)> on_lost;
  };
  using Done = std::function<void (const JanusReply &reply)>;

  /* @in_flight counts the HTTP requests not completed yet (shared by the
   * owner's clients, for draining). */
  JanusClient (Settings settings, Events events, std::shared_ptr<guint> in_flight);
  ~JanusClient ();
  JanusClient (const JanusClient &) = delete;
  JanusClient &operator= (const JanusClient &) = delete;

  /* Creates the Janus session; on success the long poll and the keepalives
   * start. */
  void create (Done done);
  void attach (const char *plugin, Done done);
  /* A plugin request (takes @body and @jsep, @jsep may be nullptr); @done
   * gets the synchronous answer or the event that carries its transaction. */
  void message (guint64 handle, JsonObject *body, JsonObject *jsep, Done done);
  /* A local candidate ({"candidate":..., "sdpMLineIndex":..., "sdpMid":...}
   * or {"completed":true}); takes @candidate. Failures are only logged. */
  void trickle (guint64 handle, JsonObject *candidate);
  /* Ends the handle's PeerConnection (the handle stays). */
  void hangup (guint64 handle);
  void detach (guint64 handle);
  /* Stops polling and destroys the Janus session; @done may be empty. */
  void destroy (Done done);

  guint64 session_id () const;
  const std::string &url () const;

  struct Core;

private:
  std::shared_ptr<Core> core_;
};

} // namespace rtc

/* See rtcjanusclient.h. */
#include "rtcjanusclient.h"

#include <gst/gst.h>
#include <libsoup/soup.h>
#include <map>
#include <set>

GstDebugCategory *gst_rtc_janus_signaller_category ();
#define GST_CAT_DEFAULT gst_rtc_janus_signaller_category ()

namespace rtc {

namespace {

/* Janus holds a long poll up to 30 s. */
constexpr guint kLongPollMs = 30000;
constexpr guint kMaxEvents = 10;
constexpr gsize kReadChunk = 16384;

struct GObjectUnref {
  void operator() (gpointer p) const
  {
    if (p)
      g_object_unref (p);
  }
};
template <typename T> using ObjectPtr = std::unique_ptr<T, GObjectUnref>;
using ParserPtr = ObjectPtr<JsonParser>;

/* Owns an attached source: destroys it (it will not run) and drops it. */
struct GSourceDestroy {
  void operator() (GSource *s) const
  {
    if (s) {
      g_source_destroy (s);
      g_source_unref (s);
    }
  }
};
using SourcePtr = std::unique_ptr<GSource, GSourceDestroy>;

struct GMainContextUnref {
  void operator() (GMainContext *c) const
  {
    if (c)
      g_main_context_unref (c);
  }
};
using ContextPtr = std::unique_ptr<GMainContext, GMainContextUnref>;

struct GBytesUnref {
  void operator() (GBytes *b) const
  {
    if (b)
      g_bytes_unref (b);
  }
};
using BytesPtr = std::unique_ptr<GBytes, GBytesUnref>;

/* A timeout or idle @source running @fn on @context; @data freed with the source. */
template <typename Data>
SourcePtr attach_source (GSource *source, GMainContext *context, GSourceFunc fn, Data *data)
{
  g_source_set_callback (source, fn, data, [] (gpointer p) { delete static_cast<Data *> (p); });
  g_source_attach (source, context);
  return SourcePtr (source);
}

struct JsonObjectDeleter {
  void operator() (JsonObject *p) const
  {
    if (p)
      json_object_unref (p);
  }
};
using JsonObjectPtr = std::unique_ptr<JsonObject, JsonObjectDeleter>;

} // namespace

const char *janus_string (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return nullptr;
  return json_node_get_string (node);
}

JsonObject *janus_object (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : nullptr;
  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : nullptr;
}

JsonArray *janus_array (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : nullptr;
  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : nullptr;
}

bool janus_int (JsonObject *object, const char *member, gint64 *value)
{
  JsonNode *node = object ? json_object_get_member (object, member) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return false;
  *value = json_node_get_int (node);
  return true;
}

bool janus_id (JsonObject *object, const char *member, guint64 *value)
{
  gint64 v = 0;
  if (!janus_int (object, member, &v) || v <= 0)
    return false;
  *value = (guint64)v;
  return true;
}

struct Fetch;

/* What the client shares with its requests in flight (they hold it weakly). */
struct JanusClient::Core {
  Settings settings;
  Events events;
  std::shared_ptr<guint> in_flight;
  ObjectPtr<SoupSession> soup;
  ContextPtr context;
  guint64 session = 0;
  guint64 next_transaction = 0;
  bool dead = false; /* the client is gone: no callback at all */
  bool over = false; /* lost, or being destroyed: no poll, no keepalive, no event */
  bool polling = false;
  bool destroy_sent = false;
  SourcePtr keepalive;
  struct Waiting {
    Done done;
    SourcePtr timer; /* gives up waiting */
  };
  std::map<std::string, Waiting> waiting; /* transaction -> request waiting for its event */
  std::set<Fetch *> fetches;

  void end_session_work ();
  void shutdown ();
};

namespace {

using Core = JanusClient::Core;
using Done = JanusClient::Done;
/* status, body, error (empty when the body was read). */
using FetchDone = std::function<void (Core &, guint, const std::string &, const std::string &)>;

} // namespace

/* One HTTP request, its body read to at most kMaxReplyBytes. Owned by the
 * asynchronous calls in flight (a raw pointer through GIO), freed when done. */
struct Fetch {
  std::weak_ptr<Core> core;
  std::shared_ptr<guint> in_flight;
  ObjectPtr<SoupMessage> msg;
  ObjectPtr<GCancellable> cancellable;
  SourcePtr timer;
  ObjectPtr<GInputStream> stream;
  std::string body;
  guint timeout_ms = 0;
  bool timed_out = false;
  bool after_over = false; /* its answer matters after the session is over (destroy) */
  FetchDone done;
};

namespace {

/* Frees @f, then calls its callback (which may destroy the client). */
void fetch_finish (Fetch *f, const std::string &error)
{
  std::unique_ptr<Fetch> owned (f);
  guint status = soup_message_get_status (f->msg.get ());
  std::string body = std::move (f->body);
  FetchDone done = std::move (f->done);
  std::shared_ptr<Core> core = f->core.lock ();
  bool call = core && !core->dead && (!core->over || f->after_over);
  if (core)
    core->fetches.erase (f);
  (*f->in_flight)--;
  owned.reset ();
  if (call)
    done (*core, status, body, error);
}

std::string fetch_error (Fetch *f, GError *error)
{
  std::string why = f->timed_out ? "no answer in " + std::to_string (f->timeout_ms / 1000) + " s"
                                 : std::string (error->message);
  g_error_free (error);
  return why;
}

void on_read (GObject *source, GAsyncResult *res, gpointer data)
{
  auto f = static_cast<Fetch *> (data);
  GError *error = nullptr;
  BytesPtr bytes (g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, &error));
  if (!bytes) {
    fetch_finish (f, fetch_error (f, error));
    return;
  }
  gsize len = 0;
  auto chunk = static_cast<const char *> (g_bytes_get_data (bytes.get (), &len));
  if (len == 0) {
    fetch_finish (f, "");
    return;
  }
  f->body.append (chunk, len);
  if (f->body.size () > kMaxReplyBytes) {
    fetch_finish (f, "reply larger than " + std::to_string (kMaxReplyBytes) + " bytes");
    return;
  }
  g_input_stream_read_bytes_async (f->stream.get (), kReadChunk, G_PRIORITY_DEFAULT,
                                   f->cancellable.get (), on_read, f);
}

void on_sent (GObject *source, GAsyncResult *res, gpointer data)
{
  auto f = static_cast<Fetch *> (data);
  GError *error = nullptr;
  f->stream.reset (soup_session_send_finish (SOUP_SESSION (source), res, &error));
  if (!f->stream) {
    fetch_finish (f, fetch_error (f, error));
    return;
  }
  g_input_stream_read_bytes_async (f->stream.get (), kReadChunk, G_PRIORITY_DEFAULT,
                                   f->cancellable.get (), on_read, f);
}

gboolean on_fetch_timeout (gpointer data)
{
  auto f = static_cast<Fetch *> (data);
  f->timed_out = true;
  g_cancellable_cancel (f->cancellable.get ());
  return G_SOURCE_REMOVE;
}

/* Sends @method @url with @body (JSON, may be empty). */
Fetch *fetch (Core &core, const std::shared_ptr<Core> &ref, const char *method,
              const std::string &url, const std::string &body, guint timeout_ms, FetchDone done)
{
  ObjectPtr<SoupMessage> msg (soup_message_new (method, url.c_str ()));
  if (!msg) {
    /* Never synchronously: the caller may not expect its callback yet. */
    struct Later {
      std::weak_ptr<Core> core;
      FetchDone done;
    };
    SourcePtr idle = attach_source (
        g_idle_source_new (), core.context.get (),
        [] (gpointer data) -> gboolean {
          auto l = static_cast<Later *> (data);
          std::shared_ptr<Core> c = l->core.lock ();
          if (c && !c->dead && !c->over)
            l->done (*c, 0, "", "not a valid URL");
          return G_SOURCE_REMOVE;
        },
        new Later{ref, std::move (done)});
    g_source_unref (idle.release ()); /* the context runs it once */
    return nullptr;
  }
  if (!body.empty ()) {
    BytesPtr bytes (g_bytes_new (body.data (), body.size ()));
    soup_message_set_request_body_from_bytes (msg.get (), "application/json", bytes.get ());
  }
  auto f = new Fetch ();
  f->core = ref;
  f->in_flight = core.in_flight;
  f->msg = std::move (msg);
  f->cancellable.reset (g_cancellable_new ());
  f->timeout_ms = timeout_ms;
  f->done = std::move (done);
  f->timer.reset (g_timeout_source_new (timeout_ms));
  g_source_set_callback (f->timer.get (), on_fetch_timeout, f, nullptr);
  g_source_attach (f->timer.get (), core.context.get ());
  core.fetches.insert (f);
  (*core.in_flight)++;
  soup_session_send_async (core.soup.get (), f->msg.get (), G_PRIORITY_DEFAULT,
                           f->cancellable.get (), on_sent, f);
  return f;
}

/* The parsed reply (or event): a JSON object with a "janus" string. */
struct Parsed {
  ParserPtr parser;
  JsonObject *object = nullptr;
  std::string error;
};

Parsed parse (const std::string &text)
{
  Parsed p;
  p.parser.reset (json_parser_new ());
  GError *error = nullptr;
  if (!json_parser_load_from_data (p.parser.get (), text.data (), (gssize)text.size (), &error)) {
    p.error = std::string ("malformed JSON from Janus: ") + error->message;
    g_error_free (error);
    return p;
  }
  JsonNode *root = json_parser_get_root (p.parser.get ());
  if (root && JSON_NODE_HOLDS_OBJECT (root) &&
      janus_string (json_node_get_object (root), "janus") != nullptr)
    p.object = json_node_get_object (root);
  else
    p.error = "a reply that is not a Janus message: " + text.substr (0, 120);
  return p;
}

/* Reads a reply or an event into @out. */
void classify (JsonObject *message, JanusReply &out)
{
  std::string kind = janus_string (message, "janus");
  out.janus = kind;
  if (kind == "error") {
    JsonObject *error = janus_object (message, "error");
    const char *reason = janus_string (error, "reason");
    out.outcome = JanusReply::REFUSED;
    janus_int (error, "code", &out.code);
    out.error = reason ? reason : "Janus error without a reason";
    return;
  }
  if (kind == "ack") {
    out.outcome = JanusReply::OK;
    return;
  }
  if (kind != "success" && kind != "event") {
    out.outcome = JanusReply::FAILED;
    out.error = "unexpected Janus reply '" + kind + "'";
    return;
  }
  JsonObject *data = janus_object (message, "data");
  JsonObject *plugindata = janus_object (message, "plugindata");
  if (plugindata) {
    data = janus_object (plugindata, "data");
    if (!data) {
      out.outcome = JanusReply::FAILED;
      out.error = "Janus plugin reply without data";
      return;
    }
  } else if (kind == "event") {
    out.outcome = JanusReply::FAILED;
    out.error = "Janus event without plugindata";
    return;
  }
  gint64 code = 0;
  if (data && janus_int (data, "error_code", &code)) {
    const char *error = janus_string (data, "error");
    out.outcome = JanusReply::REFUSED;
    out.code = code;
    out.error = error ? error : "error " + std::to_string (code);
    return;
  }
  out.outcome = JanusReply::OK;
  out.data = data;
  out.jsep = janus_object (message, "jsep");
  if (data)
    janus_id (data, "id", &out.id);
}

std::string to_text (JsonObject *object)
{
  JsonNode *node = json_node_alloc ();
  json_node_init_object (node, object);
  gchar *text = json_to_string (node, FALSE);
  std::string out = text;
  g_free (text);
  json_node_unref (node);
  return out;
}

std::string session_url (Core &core)
{
  return core.settings.url + "/" + std::to_string (core.session);
}

std::string new_transaction (Core &core)
{
  return "rtc-" + std::to_string (++core.next_transaction);
}

/* POSTs @request (taken) to @url under @transaction; @done gets the
 * classified reply. */
void post (Core &core, const std::shared_ptr<Core> &ref, const std::string &url,
           JsonObject *request, const std::string &transaction,
           std::function<void (Core &, const JanusReply &)> done, bool after_over = false)
{
  JsonObjectPtr owned (request);
  json_object_set_string_member (request, "transaction", transaction.c_str ());
  if (!core.settings.api_secret.empty ())
    json_object_set_string_member (request, "apisecret", core.settings.api_secret.c_str ());
  std::string what = janus_string (request, "janus");
  Fetch *f = fetch (
      core, ref, "POST", url, to_text (request), core.settings.timeout_ms,
      [done, what] (Core &c, guint status, const std::string &body, const std::string &error) {
        JanusReply reply;
        if (!error.empty ()) {
          reply.error = "Janus " + what + ": " + error;
          done (c, reply);
          return;
        }
        if (status != SOUP_STATUS_OK) {
          reply.error = "Janus " + what + ": HTTP " + std::to_string (status);
          done (c, reply);
          return;
        }
        Parsed p = parse (body);
        if (!p.object) {
          reply.error = "Janus " + what + ": " + p.error;
          done (c, reply);
          return;
        }
        classify (p.object, reply);
        done (c, reply);
      });
  if (f)
    f->after_over = after_over;
}

/* Ends a request waiting for its event. */
void complete (Core &core, const std::string &transaction, const JanusReply &reply)
{
  auto it = core.waiting.find (transaction);
  if (it == core.waiting.end ())
    return;
  Done done = std::move (it->second.done);
  core.waiting.erase (it); /* destroys its timer */
  if (done)
    done (reply);
}

void lose (Core &core, const std::string &why)
{
  if (core.over || core.dead)
    return;
  GST_WARNING ("Janus session %" G_GUINT64_FORMAT " lost: %s", core.session, why.c_str ());
  core.end_session_work ();
  auto on_lost = core.events.on_lost;
  if (on_lost)
    on_lost (why);
}

/* One event from the long poll; false when the client must stop there. */
bool dispatch (Core &core, JsonNode *node)
{
  JsonObject *event = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : nullptr;
  const char *kind = janus_string (event, "janus");
  if (!kind) {
    GST_WARNING ("ignoring a Janus event that is not a Janus message");
    return true;
  }
  if (g_str_equal (kind, "keepalive"))
    return true;
  if (g_str_equal (kind, "timeout")) {
    lose (core, "Janus timed the session out");
    return false;
  }
  const char *transaction = janus_string (event, "transaction");
  if (transaction && g_str_equal (kind, "event") && core.waiting.count (transaction)) {
    JanusReply reply;
    classify (event, reply);
    complete (core, transaction, reply);
    return !core.dead && !core.over;
  }
  guint64 sender = 0;
  janus_id (event, "sender", &sender);
  auto on_event = core.events.on_event;
  if (on_event)
    on_event (sender, event);
  return !core.dead && !core.over;
}

void poll (Core &core, const std::shared_ptr<Core> &ref)
{
  if (core.over || core.dead || core.polling || !core.session)
    return;
  core.polling = true;
  std::string url = session_url (core) + "?maxev=" + std::to_string (kMaxEvents) +
                    "&rid=" + std::to_string (g_get_real_time () / 1000);
  if (!core.settings.api_secret.empty ()) {
    gchar *escaped = g_uri_escape_string (core.settings.api_secret.c_str (), nullptr, FALSE);
    url += std::string ("&apisecret=") + escaped;
    g_free (escaped);
  }
  fetch (
      core, ref, "GET", url, "", kLongPollMs + core.settings.timeout_ms,
      [ref] (Core &c, guint status, const std::string &body, const std::string &error) {
        c.polling = false;
        if (!error.empty ()) {
          lose (c, "Janus long poll: " + error);
          return;
        }
        if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_FORBIDDEN) {
          lose (c, "Janus no longer knows session " + std::to_string (c.session) +
                       " (restarted, or the session timed out)");
          return;
        }
        if (status != SOUP_STATUS_OK) {
          lose (c, "Janus long poll: HTTP " + std::to_string (status));
          return;
        }
        ParserPtr parser (json_parser_new ());
        GError *err = nullptr;
        if (!json_parser_load_from_data (parser.get (), body.data (), (gssize)body.size (), &err)) {
          std::string why = std::string ("malformed JSON event from Janus: ") + err->message;
          g_error_free (err);
          lose (c, why);
          return;
        }
        JsonNode *root = json_parser_get_root (parser.get ());
        if (root && JSON_NODE_HOLDS_ARRAY (root)) {
          JsonArray *events = json_node_get_array (root);
          for (guint i = 0; i < json_array_get_length (events); i++)
            if (!dispatch (c, json_array_get_element (events, i)))
              return;
        } else if (!dispatch (c, root)) {
          return;
        }
        poll (c, ref);
      });
}

gboolean on_keepalive (gpointer data)
{
  auto weak = static_cast<std::weak_ptr<Core> *> (data);
  std::shared_ptr<Core> core = weak->lock ();
  if (!core || core->dead || core->over)
    return G_SOURCE_REMOVE;
  JsonObject *request = json_object_new ();
  json_object_set_string_member (request, "janus", "keepalive");
  post (*core, core, session_url (*core), request, new_transaction (*core),
        [] (Core &c, const JanusReply &reply) {
          if (reply.outcome == JanusReply::FAILED)
            lose (c, reply.error);
          else if (reply.outcome == JanusReply::REFUSED && reply.code == 458)
            lose (c, "Janus no longer knows session " + std::to_string (c.session));
          else if (reply.outcome == JanusReply::REFUSED)
            GST_WARNING ("Janus refused a keepalive: %s", reply.error.c_str ());
        });
  return G_SOURCE_CONTINUE;
}

} // namespace

void JanusClient::Core::end_session_work ()
{
  over = true;
  keepalive.reset ();
  waiting.clear ();
}

void JanusClient::Core::shutdown ()
{
  end_session_work ();
  dead = true;
  for (Fetch *f : fetches)
    g_cancellable_cancel (f->cancellable.get ());
  fetches.clear ();
  if (soup)
    soup_session_abort (soup.get ());
  soup.reset ();
  context.reset ();
}

JanusClient::JanusClient (Settings settings, Events events, std::shared_ptr<guint> in_flight)
    : core_ (std::make_shared<Core> ())
{
  while (!settings.url.empty () && settings.url.back () == '/')
    settings.url.pop_back ();
  core_->settings = std::move (settings);
  core_->events = std::move (events);
  core_->in_flight = std::move (in_flight);
  core_->context.reset (g_main_context_ref_thread_default ());
  /* The long poll holds one connection; requests and trickles need others. */
  core_->soup.reset (soup_session_new_with_options (
      "user-agent", "gst-rtcbridge", "max-conns-per-host", 8, "timeout", 0, nullptr));
}

JanusClient::~JanusClient ()
{
  core_->shutdown ();
}

guint64 JanusClient::session_id () const
{
  return core_->session;
}

const std::string &JanusClient::url () const
{
  return core_->settings.url;
}

void JanusClient::create (Done done)
{
  JsonObject *request = json_object_new ();
  json_object_set_string_member (request, "janus", "create");
  std::shared_ptr<Core> ref = core_;
  post (*core_, core_, core_->settings.url, request, new_transaction (*core_),
        [ref, done] (Core &c, const JanusReply &r) {
          JanusReply reply = r;
          if (reply.ok () && !reply.id) {
            reply.outcome = JanusReply::FAILED;
            reply.error = "Janus create: the reply has no session id";
          }
          if (reply.ok ()) {
            c.session = reply.id;
            if (c.settings.keepalive_ms > 0)
              c.keepalive =
                  attach_source (g_timeout_source_new (c.settings.keepalive_ms), c.context.get (),
                                 on_keepalive, new std::weak_ptr<Core> (ref));
            poll (c, ref);
          }
          done (reply);
        });
}

void JanusClient::attach (const char *plugin, Done done)
{
  JsonObject *request = json_object_new ();
  json_object_set_string_member (request, "janus", "attach");
  json_object_set_string_member (request, "plugin", plugin);
  post (*core_, core_, session_url (*core_), request, new_transaction (*core_),
        [done] (Core &, const JanusReply &r) {
          JanusReply reply = r;
          if (reply.ok () && !reply.id) {
            reply.outcome = JanusReply::FAILED;
            reply.error = "Janus attach: the reply has no handle id";
          }
          done (reply);
        });
}

void JanusClient::message (guint64 handle, JsonObject *body, JsonObject *jsep, Done done)
{
  JsonObject *request = json_object_new ();
  json_object_set_string_member (request, "janus", "message");
  json_object_set_object_member (request, "body", body);
  if (jsep)
    json_object_set_object_member (request, "jsep", jsep);
  std::string url = session_url (*core_) + "/" + std::to_string (handle);
  /* The event may come before the ack: wait for it from now on. */
  std::string transaction = new_transaction (*core_);
  struct Expiry {
    std::weak_ptr<Core> core;
    std::string transaction;
  };
  SourcePtr timer = attach_source (
      g_timeout_source_new (core_->settings.timeout_ms), core_->context.get (),
      [] (gpointer data) -> gboolean {
        /* The data outlives complete() destroying this source: GLib holds it
         * while the callback runs. */
        auto e = static_cast<Expiry *> (data);
        std::shared_ptr<Core> c = e->core.lock ();
        if (c && !c->dead && !c->over) {
          JanusReply reply;
          reply.error = "Janus did not answer a request in " +
                        std::to_string (c->settings.timeout_ms / 1000) + " s";
          complete (*c, e->transaction, reply);
        }
        return G_SOURCE_REMOVE;
      },
      new Expiry{core_, transaction});
  core_->waiting[transaction] = Core::Waiting{std::move (done), std::move (timer)};
  post (*core_, core_, url, request, transaction, [transaction] (Core &c, const JanusReply &reply) {
    if (reply.ok () && reply.janus == "ack")
      return; /* the event follows */
    complete (c, transaction, reply);
  });
}

void JanusClient::trickle (guint64 handle, JsonObject *candidate)
{
  JsonObject *request = json_object_new ();
  json_object_set_string_member (request, "janus", "trickle");
  json_object_set_object_member (request, "candidate", candidate);
  post (*core_, core_, session_url (*core_) + "/" + std::to_string (handle), request,
        new_transaction (*core_), [] (Core &, const JanusReply &reply) {
          if (!reply.ok ())
            GST_INFO ("trickle: %s", reply.error.c_str ());
        });
}

static void simple_request (JanusClient::Core &core, const std::shared_ptr<Core> &ref,
                            guint64 handle, const char *kind)
{
  JsonObject *request = json_object_new ();
  json_object_set_string_member (request, "janus", kind);
  std::string what = kind;
  post (core, ref, session_url (core) + "/" + std::to_string (handle), request,
        new_transaction (core), [what] (Core &, const JanusReply &reply) {
          if (!reply.ok ())
            GST_INFO ("%s: %s", what.c_str (), reply.error.c_str ());
        });
}

void JanusClient::hangup (guint64 handle)
{
  simple_request (*core_, core_, handle, "hangup");
}

void JanusClient::detach (guint64 handle)
{
  simple_request (*core_, core_, handle, "detach");
}

void JanusClient::destroy (Done done)
{
  Core &core = *core_;
  /* Also after the session was lost: Janus may still be there to hear it. */
  bool send = core.session && !core.destroy_sent;
  core.destroy_sent = true;
  core.end_session_work ();
  for (Fetch *f : core.fetches)
    if (!f->after_over)
      g_cancellable_cancel (f->cancellable.get ());
  if (!send) {
    if (done)
      done (JanusReply{JanusReply::OK});
    return;
  }
  JsonObject *request = json_object_new ();
  json_object_set_string_member (request, "janus", "destroy");
  post (
      core, core_, session_url (core), request, new_transaction (core),
      [done] (Core &, const JanusReply &reply) {
        if (done)
          done (reply);
      },
      true);
}

} // namespace rtc

/* RtcSettings: the properties webrtcpublish and webrtcsubscribe share
 * (embedded server, remote URL for client mode, ICE servers, codec
 * preferences, timeouts, access control) — declared, stored and applied in
 * one place.
 *
 * An element's own property ids start at Settings::N_PROPS. Access is
 * guarded by the element's lock.
 */
#pragma once

#include <gst/gst.h>
#include <string>
#include <memory>
#include <vector>

#include "gstrtcsignaller.h"
#include "rtccodecs.h"
#include "rtccontrolthread.h"
#include "rtcdatarouter.h"
#include "rtcpeersession.h"
#include "rtcsignallerlink.h"

namespace rtc {

struct Settings {
  enum Prop : guint {
    ENABLE_SERVER = 1,
    ADDRESS,
    PORT,
    STREAM_NAME,
    REMOTE_URL, /* whip-url (webrtcpublish) / whep-url (webrtcsubscribe) */
    STUN_SERVER,
    TURN_SERVERS,
    CODEC_PREFERENCES,
    ICE_GATHERING_TIMEOUT,
    HANDSHAKE_TIMEOUT,
    AUTH_TOKEN,
    ALLOWED_ORIGINS,
    TLS_CERTIFICATE_FILE,
    TLS_KEY_FILE,
    DATA_CHANNEL_POLICY,
    DATA_CHANNELS,
    N_PROPS,
  };

  /* How the element's peers are called in blurbs ("viewers"), which client
   * URL property it has ("whip-url"), and what the server protocol is. */
  struct Role {
    const char *peers;
    const char *remote_url_property;
    const char *remote_url_blurb;
    const char *server_path; /* "/whep/<name> and /view/<name>" */
  };

  bool enable_server = true;
  std::string address = "127.0.0.1";
  guint port = 8080;
  std::string stream_name = "live";
  std::string remote_url;
  std::string stun_server;
  std::string turn_servers;
  std::string codec_preferences = DEFAULT_CODEC_PREFERENCES;
  guint gathering_timeout_ms = 1000;
  guint handshake_timeout_ms = 15000;
  std::string auth_token;
  std::string allowed_origins = "*";
  std::string tls_certificate_file;
  std::string tls_key_file;
  DataPolicy data_policy = DEFAULT_DATA_POLICY;
  std::string data_channels;

  static void install (GObjectClass *klass, const Role &role);
  /* False when @prop_id is not one of these properties. */
  bool set (guint prop_id, const GValue *value);
  bool get (guint prop_id, GValue *value) const;
  /* What the running embedded server says: the bound port (@prop_id PORT)
   * or, for @prop_id 0, its page URL. Leaves @value alone for PORT when
   * @server is nullptr; sets NULL for the URL. */
  static void get_live (guint prop_id, GValue *value, GstRtcSignaller *server);

  bool client_mode () const { return !remote_url.empty (); }
  std::vector<std::string> turn_list () const;
  /* stun-server and turn-servers as one comma-separated list (for Link
   * headers). */
  std::string ice_servers () const;
  /* The ICE part of a session's configuration. */
  void fill (PeerSession::Config &config) const;
  /* Settings for the default signaller (the embedded server or the client). */
  void configure_signaller (GstRtcSignaller *signaller) const;
};

/* The data channels as /streams.json lists them for the pages: a JSON array
 * of {label, and RTCDataChannelInit options}. */
std::string data_channels_json (const std::vector<DataChannelOptions> &channels);

/* An element's signaller: the default one follows the mode (embedded
 * server, or client when the remote URL is set), or the application's.
 * Application thread (state changes, properties). */
struct SignallerHost {
  /* How the element is named in messages and what it does with media. */
  struct Role {
    const char *element;       /* "webrtcpublish": "<element>-listening" */
    bool receiving;            /* subscribe: WHIP server / WHEP client */
    const char *client_action; /* "WHIP publishing" */
    const char *page;          /* "viewer page" */
  };

  GstRtcSignaller *signaller = nullptr; /* owned */
  bool is_default = true;
  bool started = false;
  bool client = false; /* the default signaller is the client */
  std::unique_ptr<SignallerLink> link;

  explicit SignallerHost (const Role &role);
  ~SignallerHost ();
  /* The application's signaller, or the default when nullptr. */
  void set (GstRtcSignaller *custom);
  /* Picks the default signaller for @settings' mode, configures it,
   * connects @handler on @thread and starts it. On failure posts an element
   * error and returns false. Posts "<element>-listening" for the embedded
   * server. */
  bool start (GstElement *element, const Settings &settings, ControlThread *thread,
              SignallerLink::Handler *handler);
  /* What the embedded server lists for the stream: its media kinds
   * ("video,audio") and data channels (data_channels_json()). */
  void describe (const std::string &media, const std::string &data_channels);
  void stop ();
  /* The embedded server while it runs (a new reference), else nullptr. */
  GstRtcSignaller *ref_running_server () const;

private:
  GstRtcSignaller *make_default (bool client_mode) const;
  Role role_;
};

/* Uses ICE servers a client signaller learnt from Link headers when the
 * element has none of its own. */
void apply_signaller_ice_servers (GstRtcSignaller *signaller, PeerSession::Config &config);

} // namespace rtc

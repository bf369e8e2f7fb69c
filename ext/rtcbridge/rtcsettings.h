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
#include <mutex>
#include <vector>

#include <gst/rtcbridge/gstrtcsignaller.h>
#include "rtccodecs.h"
#include "rtccontrolthread.h"
#include "rtcdatarouter.h"
#include "rtcpeersession.h"
#include "gstrtchttpsignaller.h"
#include "rtcsessions.h"
#include "rtcsignallerlink.h"
#include "rtcjwt.h"
#include "rtcturn.h"

/* congestion-control of webrtcpublish and webrtcroom. */
typedef enum {
  GST_RTC_CONGESTION_CONTROL_NONE,
  GST_RTC_CONGESTION_CONTROL_GCC,
} GstRtcCongestionControl;
GType gst_rtc_congestion_control_get_type (void);

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
    TURN_SECRET,
    TURN_CREDENTIAL_LIFETIME,
    ICE_TRANSPORT_POLICY,
    CODEC_PREFERENCES,
    ICE_GATHERING_TIMEOUT,
    HANDSHAKE_TIMEOUT,
    MAX_HANDSHAKES,
    AUTH_TOKEN,
    JWT_KEY,
    JWT_ALGORITHM,
    INSECURE_AUTH,
    ALLOWED_ORIGINS,
    TLS_CERTIFICATE_FILE,
    TLS_KEY_FILE,
    DATA_CHANNEL_POLICY,
    DATA_CHANNELS,
    MAX_DATA_CHANNELS,
    STATS, /* read-only, handled by the ElementCore */
    STATS_INTERVAL,
    PAGE_URL,       /* "url", read-only */
    SIGNALLER_TYPE, /* handled by the ElementCore */
    N_PROPS,
  };

  /* How the element's peers are called in blurbs ("viewers"), which client
   * URL property it has ("whip-url"), and what the server protocol is. */
  struct Role {
    const char *peers;
    const char *remote_url_property;
    const char *remote_url_blurb;
    const char *server_path;                   /* "/whep/<name> and /view/<name>" */
    const char *page;                          /* "viewer page" */
    const char *name_property = "stream-name"; /* "room-name" for webrtcroom */
    const char *name_default = "live";
    /* data-channels' blurb, when the element gives the labels a meaning of
     * its own (webrtcroom: room-wide channels); nullptr: the shared one. */
    const char *data_channels_blurb = nullptr;
  };

  bool enable_server = true;
  std::string address = "127.0.0.1";
  guint port = 8080;
  std::string stream_name = "live";
  std::string remote_url;
  std::string stun_server;
  std::string turn_servers;
  std::string turn_secret; /* short-lived TURN credentials (rtcturn.h) */
  guint turn_lifetime_s = DEFAULT_TURN_CREDENTIAL_LIFETIME_S;
  GstWebRTCICETransportPolicy ice_transport_policy = GST_WEBRTC_ICE_TRANSPORT_POLICY_ALL;
  std::string codec_preferences = DEFAULT_CODEC_PREFERENCES;
  guint gathering_timeout_ms = 1000;
  guint handshake_timeout_ms = 15000;
  guint max_handshakes = 32; /* sessions connecting at once; 0: no limit */
  std::string auth_token;
  std::string jwt_key, jwt_algorithm = DEFAULT_JWT_ALGORITHM; /* rtcjwt.h */
  bool insecure_auth = false; /* a token over plain HTTP off loopback */
  /* Only the server's own pages (same origin): a page on another site
   * must not reach the stream from a visitor's browser. */
  std::string allowed_origins;
  std::string tls_certificate_file;
  std::string tls_key_file;
  DataPolicy data_policy = DEFAULT_DATA_POLICY;
  std::string data_channels;
  guint max_data_channels = DEFAULT_MAX_DATA_CHANNELS;
  guint stats_interval_ms = 0; /* the periodic stats message; 0: none */
  std::string signaller_type;

  static void install (GObjectClass *klass, const Role &role);
  /* False when @prop_id is not one of these properties. */
  bool set (guint prop_id, const GValue *value);
  bool get (guint prop_id, GValue *value) const;
  /* turn-servers, with short-lived credentials from turn-secret for those
   * without their own (@label: for the TURN server's logs). */
  std::vector<std::string> turn_list (const std::string &label = "") const;
  /* stun-server and turn-servers as one comma-separated list (for Link
   * headers). */
  std::string ice_servers () const;
  /* The ICE part of a session's configuration. */
  void fill (PeerSession::Config &config) const;
};

/* The data channels as /streams.json lists them for the pages: a JSON array
 * of {label, and RTCDataChannelInit options}. */
std::string data_channels_json (const std::vector<DataChannelOptions> &channels);

/* An element's signaller: its default one (GstRtcHttpSignaller: the
 * embedded WHEP/WHIP server, or a client once whip-url/whep-url is set) or
 * the application's. The default is the element's child "signaller"
 * (GstChildProxy), and the element's properties of the same names forward
 * to it.
 *
 * Threading: application thread (state changes, properties); the object
 * itself is read by child proxy lookups under the element's lock. */
class SignallerHost {
public:
  /* How the element is named in messages and which server it runs. */
  struct Role {
    const char *element;         /* "webrtcpublish": "<element>-listening" */
    GstRtcHttpProtocol protocol; /* of the server (WHEP: the element sends) */
    const char *page;            /* "viewer page" */
    /* Another default than the HTTP signaller (webrtcroom's), and the names
     * its properties have for stream-name and the remote URL. */
    GstRtcSignaller *(*make_default) () = nullptr;
    const char *name_property = "stream-name";
    const char *remote_property = nullptr; /* nullptr: whip-url / whep-url */
  };

  explicit SignallerHost (const Role &role);
  ~SignallerHost ();
  SignallerHost (const SignallerHost &) = delete;
  SignallerHost &operator= (const SignallerHost &) = delete;

  /* The signaller (a new reference). */
  GstRtcSignaller *ref ();
  bool is_default ();
  /* The application's signaller, or a new default one configured from
   * @settings when nullptr. */
  void set (GstRtcSignaller *custom, const Settings &settings);
  /* Element property @prop_id changed to the value in @settings: the
   * default signaller gets it. */
  void forward (guint prop_id, const Settings &settings);
  /* Reads element property @prop_id from the default signaller (the bound
   * port, the page URL, what signaller::... set); false when it has none. */
  bool read (guint prop_id, GValue *value);

  /* Binds @sessions, connects them on @thread and starts the signaller.
   * On failure posts an element error and returns false. Posts
   * "<element>-listening" for the default server. */
  bool start (GstElement *element, const Settings &settings, ControlThread *thread,
              Sessions &sessions);
  /* What the embedded server lists for the stream: its media kinds
   * ("video,audio") and data channels (data_channels_json()). */
  void describe (const std::string &media, const std::string &data_channels);
  /* Stops the signaller: no event after it returns. The element unbinds
   * its sessions once its control thread is done with them. */
  void stop ();
  /* Between start () and stop (). */
  bool started () const { return started_; }

  /* GstChildProxy for the elements: "signaller", then the data pads, then
   * GstBin's children (G_IMPLEMENT_INTERFACE init function). The element
   * registers its host with attach(). */
  static void child_proxy_init (gpointer iface, gpointer data);
  static void attach (GstElement *element, SignallerHost *host);

private:
  const char *signaller_property (guint prop_id) const;
  GstRtcSignaller *make_default () const;
  void set_forwarded (GstRtcSignaller *signaller, guint prop_id, const Settings &settings);

  Role role_;
  std::mutex lock_;                      /* guards signaller_ and is_default_ */
  GstRtcSignaller *signaller_ = nullptr; /* owned */
  bool is_default_ = true;
  bool started_ = false;
  std::unique_ptr<SignallerLink> link_;
};

} // namespace rtc

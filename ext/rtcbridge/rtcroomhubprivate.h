/* RoomHub's connections and participants, for its source files
 * (rtcroomhub.cpp, rtcroomhubelement.cpp, rtcroomhubwhip.cpp). Server
 * thread only, as the hub.
 */
#pragma once

#include "rtchttpserver.h"
#include "rtcratelimit.h"
#include "rtcroomhub.h"

namespace rtc {

struct RoomHub::Connection {
  RoomHub *room = nullptr;
  SoupWebsocketConnection *ws = nullptr; /* owned */
  guint64 serial = 0;
  std::string remote;
  std::unique_ptr<GstStructure, decltype (&gst_structure_free)> headers{nullptr,
                                                                        gst_structure_free};
  std::string participant; /* its id once joined; "" before, and once it left */
  gint64 last_rx_us = 0, last_ping_us = 0;
  RateLimit rate;       /* of its messages */
  bool closing = false; /* we closed it; kept until "closed" */

  Connection () = default;
  Connection (const Connection &) = delete;
  Connection &operator= (const Connection &) = delete;
  /* Dropping the last reference cuts a socket still open. */
  ~Connection ()
  {
    if (!ws)
      return;
    g_signal_handlers_disconnect_by_data (ws, this);
    g_object_unref (ws);
  }
};

/* A WHIP publisher's session (rtcroomhubwhip.cpp). */
struct RoomHub::Whip {
  RoomHub *room = nullptr;
  std::string participant;
  std::string secret;                   /* the last segment of its resource URL */
  std::string location;                 /* the resource URL's path */
  SoupServerMessage *pending = nullptr; /* the POST (a reference), until answered */
  std::unique_ptr<ClientWatch> watch;   /* on @pending's connection */
  SdpPtr answer{nullptr, gst_sdp_message_free};
  std::vector<std::pair<guint, std::string>> candidates;
  bool gathered = false;
  GSource *timeout = nullptr; /* answers without all candidates past it */

  Whip () = default;
  Whip (const Whip &) = delete;
  Whip &operator= (const Whip &) = delete;
  ~Whip ();
  /* @pending, answered already, goes out (and is no longer ours). */
  void send_reply ();
  void stop_timeout ();
};

struct RoomHub::Participant {
  std::string id, name, secret;
  Connection *conn = nullptr;
  std::vector<room::Track> tracks;                  /* in the order published */
  std::vector<std::string> mids;                    /* of the latest description, either side's */
  SdpPtr client_sdp{nullptr, gst_sdp_message_free}; /* the client's latest */
  bool room_offer = false;    /* the room's offer waits for the client's answer */
  bool client_offer = false;  /* the client's offer waits for the room's answer */
  std::unique_ptr<Whip> whip; /* a WHIP publisher (then no conn) */
  unsigned permissions = 7;   /* what its token lets it do (rtcjwt.h); all by default */
};

} // namespace rtc

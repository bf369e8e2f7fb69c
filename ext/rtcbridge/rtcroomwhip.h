/* RoomWhipEndpoint: /whip-room/<name>, WHIP (RFC 9725) into a room — POST
 * an offer to join as a participant that publishes (RoomHub::whip_offer ()),
 * DELETE the session URL to leave. The room's token is the bearer token;
 * its allowed-origins and "authorize" apply. No trickle: PATCH is 405 (the answer carries
 * the room's candidates; the offer must carry the client's).
 *
 * Not under /room/: libsoup matches handler paths as plain prefixes, and
 * /room's WebSocket handler would answer a paused POST on /room-whip/...
 * with 400 before its answer.
 *
 * Threading: the HTTP server's thread (HttpEndpoint); @access and @hub are
 * called there.
 */
#pragma once

#include <functional>
#include <string>

#include "rtchttpserver.h"
#include "rtcroomhub.h"

namespace rtc {

class RoomWhipEndpoint : public HttpEndpoint {
public:
  struct Access {
    std::string token, allowed_origins, room_name;
    std::string jwt_key, jwt_algorithm; /* rtcjwt.h; no key: no JWT */
  };
  /* @hub: the room's hub, nullptr while it is not running; "authorize"
   * (rtchttpauthorize.h) is emitted on @authorizer (not owned: it outlives
   * the endpoint). */
  RoomWhipEndpoint (std::function<Access ()> access, std::function<RoomHub *()> hub,
                    GObject *authorizer)
      : access_ (std::move (access)), hub_ (std::move (hub)), authorizer_ (authorizer)
  {}
  void handle_request (SoupServerMessage *msg, const std::string &method, const std::string &rest,
                       GBytes *body) override;
  void describe (JsonBuilder *) override {}
  bool listed () override { return false; }

private:
  std::function<Access ()> access_;
  std::function<RoomHub *()> hub_;
  GObject *authorizer_;
};

} // namespace rtc

/* webrtcroom pipelines that meet in a room, for the tests that run them
 * (webrtcroom_client.cpp, webrtcroom_voice.cpp): a Host on a free port, a
 * Member joining it with room-url, and waits on what they expose.
 *
 * Threading: as rtctestroompipelines.h (the test thread waits; pads are
 * counted on streaming threads). */
#pragma once

#include <gst/check/gstcheck.h>
#include <memory>
#include <string>

#include "rtctestroompipelines.h"
#include "rtctestutil.h"

inline guint n_participants (GstElement *room)
{
  guint n = G_MAXUINT;
  g_object_get (room, "n-participants", &n, nullptr);
  return n;
}

/* What the joining room's signaller says its id is ("" before). */
inline std::string participant_id (GstElement *room)
{
  gchar *id = nullptr;
  gst_child_proxy_get (GST_CHILD_PROXY (room), "signaller::participant-id", &id, nullptr);
  std::string out = id ? id : "";
  g_free (id);
  return out;
}

/* The host's own video when the test gives none (a small ball). */
inline const char *const HOST_VIDEO =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=15/1 ! ";
/* What a Member publishes when the test gives nothing. */
inline const char *const CLIENT_MEDIA =
    "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! room.video_0 "
    "audiotestsrc is-live=true wave=ticks ! room.audio_0 ";

/* A room on a free port; the port from its webrtcroom-listening message. */
struct Host {
  RoomOutputs outs;
  std::unique_ptr<TestPipeline> p;
  guint port = 0;

  /* @media: the host's own sources, each ending "! " before the room. */
  explicit Host (const std::string &props, const std::string &media = HOST_VIDEO)
  {
    /* A participant's first exchange may take long on a loaded machine. */
    p.reset (
        new TestPipeline (media + "webrtcroom name=room port=0 handshake-timeout=60000 " + props,
                          "room", [this] (GstElement *room) { outs.attach (room); }));
    GstMessage *m = p->wait_message (GST_MESSAGE_ELEMENT, "webrtcroom-listening", 10000);
    if (m)
      gst_structure_get_uint (gst_message_get_structure (m), "port", &port);
  }
  std::string url (const std::string &room) const
  {
    return "ws://127.0.0.1:" + std::to_string (port) + "/room/" + room;
  }
};

/* A pipeline that joins @url with its own video and audio. */
struct Member {
  RoomOutputs outs;
  std::unique_ptr<TestPipeline> p;

  explicit Member (const std::string &url, const std::string &props = "",
                   const std::string &media = CLIENT_MEDIA)
  {
    p.reset (new TestPipeline ("webrtcroom name=room handshake-timeout=60000 room-url=" + url +
                                   " " + props + " " + media,
                               "room", [this] (GstElement *room) { outs.attach (room); }));
  }
  /* Its participant id, "" before it joined. */
  std::string id () const { return participant_id (p->pub); }
  /* The name of its first @kind track's pad on the others. */
  std::string pad (const char *kind) const
  {
    std::string i = id ();
    return i.empty () ? "" : "participant_" + i + "_" + kind + "_0";
  }
};

/* Waits for @n frames (at least) of @member's first @kind track on @outs
 * (under whatever id it has then). */
inline std::shared_ptr<RoomOutputs::Out> wait_member_frames (RoomOutputs &outs,
                                                             const Member &member, const char *kind,
                                                             guint n, guint timeout_ms = 60000)
{
  std::shared_ptr<RoomOutputs::Out> out;
  wait_until (
      [&] () {
        std::string name = member.pad (kind);
        out = name.empty () ? nullptr : outs.get (name);
        return out && out->buffers >= n;
      },
      timeout_ms);
  return out && out->buffers >= n ? out : nullptr;
}

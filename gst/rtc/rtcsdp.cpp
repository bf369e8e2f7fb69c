/* See rtcsdp.h. */
#include "rtcsdp.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

namespace rtc {

static const gchar *media_or_session_attr (const GstSDPMessage *sdp, const GstSDPMedia *media,
                                           const gchar *key)
{
  const gchar *v = media ? gst_sdp_media_get_attribute_val (media, key) : nullptr;
  return v ? v : gst_sdp_message_get_attribute_val (sdp, key);
}

std::string sdp_ice_ufrag (const GstSDPMessage *sdp, guint mline)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (sdp, mline);
  const gchar *v = media_or_session_attr (sdp, media, "ice-ufrag");
  return v ? v : "";
}

std::string sdp_ice_pwd (const GstSDPMessage *sdp, guint mline)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (sdp, mline);
  const gchar *v = media_or_session_attr (sdp, media, "ice-pwd");
  return v ? v : "";
}

void sdp_set_ice_credentials (GstSDPMessage *sdp, const std::string &ufrag, const std::string &pwd)
{
  auto replace_session = [&] (const char *key, const std::string &value) {
    for (guint i = 0; i < gst_sdp_message_attributes_len (sdp); i++)
      if (g_str_equal (gst_sdp_message_get_attribute (sdp, i)->key, key)) {
        GstSDPAttribute attr;
        gst_sdp_attribute_set (&attr, key, value.c_str ());
        gst_sdp_message_replace_attribute (sdp, i, &attr);
      }
  };
  replace_session ("ice-ufrag", ufrag);
  replace_session ("ice-pwd", pwd);
  for (guint m = 0; m < gst_sdp_message_medias_len (sdp); m++) {
    GstSDPMedia *media = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (sdp, m));
    for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
      const char *key = gst_sdp_media_get_attribute (media, i)->key;
      bool is_ufrag = g_str_equal (key, "ice-ufrag");
      if (!is_ufrag && !g_str_equal (key, "ice-pwd"))
        continue;
      GstSDPAttribute attr;
      gst_sdp_attribute_set (&attr, key, (is_ufrag ? ufrag : pwd).c_str ());
      gst_sdp_media_replace_attribute (media, i, &attr);
    }
  }
}

bool sdp_ice_credentials_valid (const std::string &ufrag, const std::string &pwd)
{
  auto ice_chars = [] (const std::string &s, size_t min) {
    return s.size () >= min && s.size () <= 256 && std::all_of (s.begin (), s.end (), [] (char c) {
             return g_ascii_isalnum (c) || c == '+' || c == '/';
           });
  };
  return ice_chars (ufrag, 4) && ice_chars (pwd, 22);
}

std::vector<std::string> sdp_candidates (const GstSDPMessage *sdp)
{
  std::vector<std::string> out;
  for (guint m = 0; m < gst_sdp_message_medias_len (sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, m);
    for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
      std::string line = std::string ("candidate:") + (a->value ? a->value : "");
      if (g_str_equal (a->key, "candidate") &&
          std::find (out.begin (), out.end (), line) == out.end ())
        out.push_back (line);
    }
  }
  return out;
}

GstSDPMessage *sdp_restart_offer (const GstSDPMessage *offer, const std::string &ufrag,
                                  const std::string &pwd)
{
  GstSDPMessage *out = nullptr;
  gst_sdp_message_copy (offer, &out);
  sdp_set_ice_credentials (out, ufrag, pwd);
  for (guint m = 0; m < gst_sdp_message_medias_len (out); m++) {
    GstSDPMedia *media = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (out, m));
    for (guint i = gst_sdp_media_attributes_len (media); i-- > 0;) {
      const char *key = gst_sdp_media_get_attribute (media, i)->key;
      if (g_str_equal (key, "candidate") || g_str_equal (key, "end-of-candidates"))
        gst_sdp_media_remove_attribute (media, i);
    }
  }
  return out;
}

std::string sdp_restart_fragment (const GstSDPMessage *answer,
                                  const std::vector<std::string> &candidates)
{
  std::string frag = "a=ice-ufrag:" + sdp_ice_ufrag (answer, 0) +
                     "\r\na=ice-pwd:" + sdp_ice_pwd (answer, 0) + "\r\n";
  const GstSDPMedia *first =
      gst_sdp_message_medias_len (answer) ? gst_sdp_message_get_media (answer, 0) : nullptr;
  const gchar *mid = first ? gst_sdp_media_get_attribute_val (first, "mid") : nullptr;
  frag += "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:" + std::string (mid ? mid : "0") + "\r\n";
  for (auto &c : candidates)
    frag += "a=" + c + "\r\n";
  frag += "a=end-of-candidates\r\n";
  return frag;
}

bool parse_trickle_sdpfrag (const std::string &body, const GstSDPMessage *remote,
                            std::string &ufrag, std::vector<RemoteCandidate> &out,
                            std::string &error, std::string *pwd)
{
  /* An sdpfrag is SDP without the session header lines; give it one so that
   * GstSDP parses it. */
  std::string text = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + body;
  GstSDPMessage *frag = nullptr;
  gst_sdp_message_new (&frag);
  if (gst_sdp_message_parse_buffer (reinterpret_cast<const guint8 *> (text.data ()), text.size (),
                                    frag) != GST_SDP_OK) {
    gst_sdp_message_free (frag);
    error = "body is not a trickle-ice-sdpfrag";
    return false;
  }
  const gchar *session_ufrag = gst_sdp_message_get_attribute_val (frag, "ice-ufrag");
  ufrag = session_ufrag ? session_ufrag : "";
  if (pwd)
    *pwd = gst_sdp_message_medias_len (frag) ? sdp_ice_pwd (frag, 0) : "";
  if (pwd && pwd->empty ()) {
    const gchar *v = gst_sdp_message_get_attribute_val (frag, "ice-pwd");
    *pwd = v ? v : "";
  }
  bool ok = true;
  for (guint i = 0; i < gst_sdp_message_medias_len (frag) && ok; i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (frag, i);
    const gchar *mid = gst_sdp_media_get_attribute_val (m, "mid");
    const gchar *m_ufrag = gst_sdp_media_get_attribute_val (m, "ice-ufrag");
    if (m_ufrag && ufrag.empty ())
      ufrag = m_ufrag;
    gint mline = -1;
    for (guint j = 0; mid && j < gst_sdp_message_medias_len (remote); j++) {
      const gchar *rmid =
          gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (remote, j), "mid");
      if (rmid && g_str_equal (rmid, mid))
        mline = j;
    }
    if (mline < 0) {
      error = std::string ("unknown mid '") + (mid ? mid : "(none)") + "'";
      ok = false;
      break;
    }
    for (guint a = 0; a < gst_sdp_media_attributes_len (m); a++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (m, a);
      if (g_str_equal (attr->key, "candidate") && attr->value)
        out.push_back ({static_cast<guint> (mline), std::string ("candidate:") + attr->value});
    }
  }
  gst_sdp_message_free (frag);
  return ok;
}

void sdp_add_candidates (GstSDPMessage *sdp,
                         const std::vector<std::pair<guint, std::string>> &candidates,
                         bool complete)
{
  bool bundled = false;
  for (guint i = 0; i < gst_sdp_message_attributes_len (sdp); i++) {
    const GstSDPAttribute *attr = gst_sdp_message_get_attribute (sdp, i);
    if (g_str_equal (attr->key, "group") && attr->value && g_str_has_prefix (attr->value, "BUNDLE"))
      bundled = true;
  }
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    GstSDPMedia *media = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (sdp, i));
    if (gst_sdp_media_get_port (media) == 0)
      continue;
    std::set<std::string> seen;
    for (auto &c : candidates) {
      if (!bundled && c.first != i)
        continue;
      const char *value = c.second.c_str ();
      if (g_str_has_prefix (value, "a="))
        value += 2;
      if (g_str_has_prefix (value, "candidate:"))
        value += strlen ("candidate:");
      if (seen.insert (value).second)
        gst_sdp_media_add_attribute (media, "candidate", value);
    }
    if (complete)
      gst_sdp_media_add_attribute (media, "end-of-candidates", ""); /* NULL breaks webrtcbin */
  }
}

bool sdp_bundle_consistent (const GstSDPMessage *sdp)
{
  for (guint i = 0; i < gst_sdp_message_attributes_len (sdp); i++) {
    const GstSDPAttribute *attr = gst_sdp_message_get_attribute (sdp, i);
    if (!g_str_equal (attr->key, "group") || !attr->value ||
        !g_str_has_prefix (attr->value, "BUNDLE"))
      continue;
    g_auto (GStrv) mids = g_strsplit (attr->value + strlen ("BUNDLE"), " ", -1);
    std::string ufrag;
    for (guint m = 0; m < gst_sdp_message_medias_len (sdp); m++) {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, m);
      const gchar *mid = gst_sdp_media_get_attribute_val (media, "mid");
      if (!mid || !g_strv_contains ((const gchar *const *)mids, mid))
        continue;
      std::string u = sdp_ice_ufrag (sdp, m);
      if (ufrag.empty ())
        ufrag = u;
      else if (u != ufrag)
        return false;
    }
  }
  return true;
}

void sdp_remove_bundle (GstSDPMessage *sdp)
{
  for (guint i = gst_sdp_message_attributes_len (sdp); i > 0; i--) {
    const GstSDPAttribute *attr = gst_sdp_message_get_attribute (sdp, i - 1);
    if (g_str_equal (attr->key, "group") && attr->value && g_str_has_prefix (attr->value, "BUNDLE"))
      gst_sdp_message_remove_attribute (sdp, i - 1);
  }
}

static bool attribute_is_utf8 (const GstSDPAttribute *attribute)
{
  return (!attribute->key || g_utf8_validate (attribute->key, -1, nullptr)) &&
         (!attribute->value || g_utf8_validate (attribute->value, -1, nullptr));
}

bool sdp_validate_offer (const GstSDPMessage *sdp, std::string &error, guint max_mlines)
{
  guint n = gst_sdp_message_medias_len (sdp);
  if (n == 0) {
    error = "the offer has no m-line";
    return false;
  }
  if (n > max_mlines) {
    error = "the offer has " + std::to_string (n) + " m-lines, at most " +
            std::to_string (max_mlines) + " are taken";
    return false;
  }
  if (gst_sdp_message_attributes_len (sdp) > SDP_MAX_ATTRIBUTES) {
    error = "more than " + std::to_string (SDP_MAX_ATTRIBUTES) + " session attributes";
    return false;
  }
  for (guint a = 0; a < gst_sdp_message_attributes_len (sdp); a++) {
    if (!attribute_is_utf8 (gst_sdp_message_get_attribute (sdp, a))) {
      error = "a session attribute is not UTF-8 text";
      return false;
    }
  }
  for (guint i = 0; i < n; i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
    std::string where = "m-line " + std::to_string (i);
    guint attributes = gst_sdp_media_attributes_len (media), candidates = 0;
    if (attributes > SDP_MAX_ATTRIBUTES) {
      error = where + " has more than " + std::to_string (SDP_MAX_ATTRIBUTES) + " attributes";
      return false;
    }
    for (guint a = 0; a < attributes; a++) {
      const GstSDPAttribute *attribute = gst_sdp_media_get_attribute (media, a);
      /* SDP is UTF-8 (RFC 8866 5); GStreamer would put these bytes in caps
       * (encoding names, fmtp) and warn about them on every use. */
      if (!attribute_is_utf8 (attribute)) {
        error = where + " has an attribute that is not UTF-8 text";
        return false;
      }
      candidates += g_strcmp0 (attribute->key, "candidate") == 0;
    }
    if (candidates > SDP_MAX_CANDIDATES) {
      error = where + " has more than " + std::to_string (SDP_MAX_CANDIDATES) + " candidates";
      return false;
    }
    guint formats = gst_sdp_media_formats_len (media);
    if (formats > SDP_MAX_FORMATS) {
      error = where + " has more than " + std::to_string (SDP_MAX_FORMATS) + " formats";
      return false;
    }
    const char *proto = gst_sdp_media_get_proto (media);
    if (proto && strstr (proto, "RTP")) {
      for (guint f = 0; f < formats; f++) {
        const char *pt = gst_sdp_media_get_format (media, f);
        gchar *end = nullptr;
        guint64 v = pt ? g_ascii_strtoull (pt, &end, 10) : 0;
        if (!pt || end == pt || *end || v > 127) {
          error = where + ": payload type '" + (pt ? pt : "") + "' is not 0-127";
          return false;
        }
      }
    }
    if (!media_or_session_attr (sdp, media, "ice-ufrag") ||
        !media_or_session_attr (sdp, media, "ice-pwd")) {
      error = "m-line " + std::to_string (i) + " has no ice-ufrag/ice-pwd";
      return false;
    }
    if (!media_or_session_attr (sdp, media, "fingerprint")) {
      error = "m-line " + std::to_string (i) + " has no DTLS fingerprint";
      return false;
    }
  }
  return true;
}

gint sdp_mline_for_ssrc (const GstSDPMessage *sdp, guint32 ssrc)
{
  for (guint m = 0; sdp && m < gst_sdp_message_medias_len (sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (sdp, m);
    for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
      if (g_strcmp0 (a->key, "ssrc") != 0 || !a->value)
        continue;
      /* "<ssrc> <attribute>[:<value>]" */
      gchar *end = nullptr;
      guint64 v = g_ascii_strtoull (a->value, &end, 10);
      if (end != a->value && (*end == ' ' || *end == '\0') && v == ssrc)
        return (gint)m;
    }
  }
  return -1;
}

int sdp_extmap_id (const GstSDPMedia *media, const char *uri)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, "extmap") != 0 || !a->value)
      continue;
    /* "<id>[/<direction>] <uri> [<attributes>]" */
    gchar **parts = g_strsplit (a->value, " ", 3);
    int id = 0;
    if (parts[0] && parts[1] && g_str_equal (parts[1], uri))
      id = atoi (parts[0]);
    g_strfreev (parts);
    if (id > 0 && id < 256)
      return id;
  }
  return 0;
}

void caps_add_twcc (GstCaps *caps, int id)
{
  gchar *field = g_strdup_printf ("extmap-%d", id);
  for (guint i = 0; i < gst_caps_get_size (caps); i++)
    gst_structure_set (gst_caps_get_structure (caps, i), field, G_TYPE_STRING, RTC_TWCC_URI,
                       "rtcp-fb-transport-cc", G_TYPE_BOOLEAN, TRUE, nullptr);
  g_free (field);
}

void sdp_unify_opus_formats (GstSDPMessage *sdp)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    auto media = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (sdp, i));
    for (guint f = 0; f < gst_sdp_media_formats_len (media); f++) {
      int pt = atoi (gst_sdp_media_get_format (media, f));
      GstCaps *caps = gst_sdp_media_get_caps_from_media (media, pt);
      const char *name =
          caps ? gst_structure_get_string (gst_caps_get_structure (caps, 0), "encoding-name")
               : nullptr;
      bool opus = name && g_ascii_strcasecmp (name, "OPUS") == 0;
      if (caps)
        gst_caps_unref (caps);
      if (!opus)
        continue;
      std::string prefix = std::to_string (pt) + " ";
      for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++) {
        const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
        if (g_strcmp0 (attr->key, "fmtp") != 0 || !attr->value ||
            !g_str_has_prefix (attr->value, prefix.c_str ()))
          continue;
        std::string kept;
        gchar **params = g_strsplit (attr->value + prefix.size (), ";", -1);
        for (gchar **p = params; *p; p++) {
          g_strstrip (*p);
          if (**p && !g_str_has_prefix (*p, "sprop-"))
            kept += (kept.empty () ? "" : ";") + std::string (*p);
        }
        g_strfreev (params);
        if (kept.empty ()) { /* nothing but sprop-*: no fmtp at all */
          gst_sdp_media_remove_attribute (media, a--);
          continue;
        }
        GstSDPAttribute replacement;
        gst_sdp_attribute_set (&replacement, "fmtp", (prefix + kept).c_str ());
        gst_sdp_media_replace_attribute (media, a, &replacement);
      }
    }
  }
}

bool sdp_media_has (const GstSDPMedia *media, const char *key)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    if (g_strcmp0 (gst_sdp_media_get_attribute (media, i)->key, key) == 0)
      return true;
  return false;
}

bool sdp_media_used (const GstSDPMedia *media)
{
  return gst_sdp_media_get_port (media) != 0 || sdp_media_has (media, "bundle-only");
}

bool sdp_carries_media (const GstSDPMessage *sdp)
{
  if (!sdp)
    return false;
  /* A direction of the m-line overrides the session's (RFC 4566 §6). */
  bool session_inactive = false;
  for (guint i = 0; i < gst_sdp_message_attributes_len (sdp); i++)
    session_inactive |= g_strcmp0 (gst_sdp_message_get_attribute (sdp, i)->key, "inactive") == 0;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
    const char *kind = gst_sdp_media_get_media (m);
    if (g_strcmp0 (kind, "audio") != 0 && g_strcmp0 (kind, "video") != 0)
      continue;
    if (!sdp_media_used (m))
      continue;
    bool directed = sdp_media_has (m, "sendrecv") || sdp_media_has (m, "sendonly") ||
                    sdp_media_has (m, "recvonly");
    if (sdp_media_has (m, "inactive") || (!directed && session_inactive))
      continue;
    return true;
  }
  return false;
}

} // namespace rtc

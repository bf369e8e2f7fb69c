/* JSON Web Tokens for the tests, made with libjwt (what an issuer does). */
#pragma once

#include <gst/check/gstcheck.h>
#include <jwt.h>
#include <cstdlib>
#include <string>

inline gint64 now_s ()
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* A token with the claims @claims (JSON), signed with @alg and @key. */
inline std::string make_jwt (jwt_alg_t alg, const std::string &key, const std::string &claims)
{
  jwt_t *j = nullptr;
  fail_unless (jwt_new (&j) == 0);
  fail_unless (jwt_add_grants_json (j, claims.c_str ()) == 0, "claims %s", claims.c_str ());
  fail_unless (jwt_set_alg (j, alg,
                            alg == JWT_ALG_NONE ? nullptr : (const unsigned char *)key.data (),
                            alg == JWT_ALG_NONE ? 0 : (int)key.size ()) == 0);
  char *s = jwt_encode_str (j);
  fail_unless (s != nullptr);
  std::string out = s;
  free (s);
  jwt_free (j);
  return out;
}

inline std::string claims (const std::string &aud, gint64 exp, const std::string &more = "")
{
  return "{\"aud\":\"" + aud + "\",\"exp\":" + std::to_string (exp) + more + "}";
}

/* A bearer token as the server verifies it (rtc::jwt_verify, HS256,
 * audience "live"). The first byte chooses what the rest is: the token
 * itself (libjwt's parsing, then ours), or the claims of a token that is
 * then signed with the server's key, so that the claim checks (exp, nbf,
 * aud, permissions: any JSON) are reached. A token that passes carries no
 * permission but view, publish and control; one that fails carries none
 * and says why. */
#include <jwt.h>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzzinit.h"
#include "rtcjwt.h"

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  rtc_fuzz::init ();
  return 0;
}

static const std::string KEY = "fuzz-secret";

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1 || size > 16 * 1024)
    return 0;
  std::string rest ((const char *)data + 1, size - 1);
  std::string token = rest;
  if (data[0] & 1) {
    jwt_t *j = nullptr;
    if (jwt_new (&j) != 0)
      return 0;
    bool made =
        jwt_add_grants_json (j, rest.c_str ()) == 0 &&
        jwt_set_alg (j, JWT_ALG_HS256, (const unsigned char *)KEY.data (), (int)KEY.size ()) == 0;
    char *s = made ? jwt_encode_str (j) : nullptr;
    jwt_free (j);
    if (!s)
      return 0;
    token = s;
    free (s);
  }
  rtc::JwtCheck check;
  check.key = KEY;
  check.audience = "live";
  check.implied = rtc::PERMIT_VIEW;
  unsigned permissions = 0;
  std::string error;
  bool ok = rtc::jwt_verify (token, check, 1700000000, permissions, error);
  if (ok && (permissions & ~rtc::PERMIT_ALL))
    __builtin_trap ();
  if (!ok && (permissions != 0 || error.empty ()))
    __builtin_trap ();
  return 0;
}

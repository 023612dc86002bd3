#include "auth/rejection.hpp"

namespace iotfleet::auth {

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::missing_credentials:
      return "missing_credentials";
    case Reason::unsupported_scheme:
      return "unsupported_scheme";
    case Reason::malformed_token:
      return "malformed_token";
    case Reason::token_too_large:
      return "token_too_large";
    case Reason::alg_none:
      return "alg_none";
    case Reason::alg_hmac:
      return "alg_hmac";
    case Reason::alg_not_allowed:
      return "alg_not_allowed";
    case Reason::missing_kid:
      return "missing_kid";
    case Reason::unknown_kid:
      return "unknown_kid";
    case Reason::keys_unavailable:
      return "keys_unavailable";
    case Reason::bad_signature:
      return "bad_signature";
    case Reason::wrong_issuer:
      return "wrong_issuer";
    case Reason::wrong_audience:
      return "wrong_audience";
    case Reason::expired:
      return "expired";
    case Reason::not_yet_valid:
      return "not_yet_valid";
    case Reason::issued_in_future:
      return "issued_in_future";
    case Reason::missing_claim:
      return "missing_claim";
    case Reason::wrong_token_type:
      return "wrong_token_type";
    case Reason::not_a_device_client:
      return "not_a_device_client";
    case Reason::unknown_device:
      return "unknown_device";
    case Reason::inactive_device:
      return "inactive_device";
    case Reason::wrong_model:
      return "wrong_model";
    case Reason::wrong_client_id:
      return "wrong_client_id";
    case Reason::wrong_identity_kind:
      return "wrong_identity_kind";
    case Reason::device_mismatch:
      return "device_mismatch";
    case Reason::malformed_basic:
      return "malformed_basic";
    case Reason::bad_secret:
      return "bad_secret";
    case Reason::replaced_certificate:
      return "replaced_certificate";
    case Reason::directory_unavailable:
      return "directory_unavailable";
  }
  return "unknown";
}

}  // namespace iotfleet::auth

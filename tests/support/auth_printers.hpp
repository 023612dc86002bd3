#pragma once
// Lets GoogleTest print rejection reasons by name ("bad_signature", not "4-byte object").

#include <ostream>

#include "auth/rejection.hpp"

namespace iotfleet::auth {
inline void PrintTo(Reason r, std::ostream* os) { *os << reason_name(r); }
}  // namespace iotfleet::auth

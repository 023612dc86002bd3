#include "core/error.hpp"

namespace iotfleet::core {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::failure: return 1;
    case ErrorKind::usage: return 2;
    case ErrorKind::not_found: return 3;
    case ErrorKind::conflict: return 4;
    case ErrorKind::unavailable: return 5;
  }
  return 1;
}

const char* kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::failure: return "failure";
    case ErrorKind::usage: return "usage";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::unavailable: return "unavailable";
  }
  return "failure";
}

}  // namespace iotfleet::core

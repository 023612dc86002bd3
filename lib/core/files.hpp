#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace iotfleet::core {

/// Reads a whole file (or standard input for "-"); fails if it is larger than max_bytes.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes);

/// Writes a file atomically (temporary file in the same folder, fsync, rename) with the given
/// permission bits, so a reader never sees half a file and a secret is never world-readable,
/// not even for an instant. "-" writes to standard output.
Status write_file(const std::string& path, std::string_view contents, std::filesystem::perms mode);

}  // namespace iotfleet::core

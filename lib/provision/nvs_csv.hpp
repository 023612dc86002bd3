#pragma once
// The CSV input format of Espressif's nvs_partition_gen.py, read into nvs::Item lists.

#include <filesystem>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "provision/nvs.hpp"

namespace iotfleet::provision::nvs {

/// Parses the generator's CSV: a header naming the columns key,type,encoding,value, then rows
/// whose type is
/// - `namespace`: key = namespace name; the rows after it belong to that namespace;
/// - `data`: encoding u8, i8, u16, i16, u32, i32, u64, i64 (decimal), string, hex2bin,
///   base64 or binary (the value's own bytes); hex2bin, base64 and binary become blobs;
/// - `file`: value = path of a file (relative paths are resolved against base_dir), encoding
///   string, hex2bin, base64 or binary, applied to the file's contents.
/// Fields follow Python's csv module (double quotes around values holding commas, "" for a
/// quote inside them); lines starting with `#` and blank lines are skipped.
///
/// Fails (ErrorKind::failure) with every problem found, each naming its line: unknown types or
/// encodings, bad values, keys or namespace names over 15 characters, data rows before the first
/// namespace row, a key twice in one namespace, unreadable files, and the keys ap.ssid,
/// ap.passwd, ap.authmode, sta.ssid and sta.pswd, for which the generator adds hidden Wi-Fi
/// driver entries that this reader does not reproduce. A namespace row with no rows after it
/// yields no item (the generator would still write the namespace's definition).
core::Result<std::vector<Item>> parse_csv(std::string_view text,
                                          const std::filesystem::path& base_dir);

}  // namespace iotfleet::provision::nvs

#pragma once
// How an ImageInfo is shown: JSON for scripts, text in the manner of `esptool image_info
// --version 2` for people.

#include <nlohmann/json.hpp>
#include <ostream>

#include "firmware/image.hpp"

namespace iotfleet::firmware {

/// Exactly the fields of ../shared/fixtures/esp32/*.expected.json (schema in that folder's
/// README): hex strings as "0x" + fixed-width lowercase digits, "sha256_valid" null without an
/// appended hash, "app" null when the image has no room for an application description.
nlohmann::json to_json(const ImageInfo& info);

/// The human report: header, extended header, segments, footer, application information.
void write_text(std::ostream& out, const ImageInfo& info);

}  // namespace iotfleet::firmware

#pragma once
// Names esptool (v4.12.0) gives to the chip id and the flash bytes of an ESP32 image header.
// The flash frequency nibble means different things on different chips, hence the chip id.

#include <cstdint>
#include <optional>
#include <string_view>

namespace iotfleet::firmware {

/// "ESP32-C3" for chip id 5, ...; nullopt for an id esptool does not know.
std::optional<std::string_view> chip_name(std::uint16_t chip_id);

/// "QIO", "QOUT", "DIO" or "DOUT" for header byte 2 values 0-3; nullopt otherwise.
std::optional<std::string_view> flash_mode_name(std::uint8_t mode);

/// "1MB" ... "128MB" for the high nibble (0-7) of header byte 3; nullopt otherwise.
std::optional<std::string_view> flash_size_name(std::uint8_t size_nibble);

/// "80m", "60m", "48m", ... for the low nibble of header byte 3 on that chip; nullopt when the
/// chip is unknown or the nibble has no name on it.
std::optional<std::string_view> flash_freq_name(std::uint16_t chip_id, std::uint8_t freq_nibble);

}  // namespace iotfleet::firmware

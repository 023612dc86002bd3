#pragma once
// iot-seal's settings and the pieces main.cpp and plan_commands.cpp share.

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "seal/keys.hpp"

namespace iotfleet::seal_tool {

// kubeseal's own variable for --cert, so scripts that set it keep working.
inline constexpr core::Setting kCert{"--cert", "SEALED_SECRETS_CERT", ""};
inline constexpr core::Setting kControllerUrl{"--controller-url", "SEALED_SECRETS_CONTROLLER_URL",
                                              ""};
inline constexpr core::Setting kScope{"--scope", "SEALED_SECRETS_SCOPE", "strict"};
inline constexpr core::Setting kFormat{"--format", "SEALED_SECRETS_FORMAT", "json"};
inline constexpr core::Setting kCaFile{"--ca-file", "SEALED_SECRETS_CA_FILE", ""};
inline constexpr core::Setting kStateDir{"--state", "IOT_SEAL_STATE_DIR", ""};

/// "Description (env NAME, default x)" for --help.
std::string described(const std::string& text, const core::Setting& s);

/// The sealing certificate from a file or URL (TLS verified; ca_file may name a private CA).
seal::SealingCertificate load_cert(const std::string& file_or_url, const std::string& ca_file);

void add_plan_commands(CLI::App& app);

}  // namespace iotfleet::seal_tool

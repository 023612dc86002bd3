#pragma once
// The sealed-secrets fixtures (../shared/fixtures/sealed-secrets, see its README): a test
// controller key pair and ciphertexts made by the controller's own HybridEncrypt.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/files.hpp"
#include "seal/keys.hpp"

namespace iotfleet::seal_test {

inline const std::filesystem::path kDir =
    std::filesystem::path(IOT_FIXTURES_DIR) / "sealed-secrets";

inline std::string fixture(const std::string& name) {
  std::ifstream in(kDir / name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline seal::SealingCertificate controller_cert() {
  return std::move(seal::parse_certificate(fixture("controller.crt"), "controller.crt")).take();
}

inline std::vector<seal::RsaKey> controller_keys() {
  return std::move(seal::parse_private_keys(fixture("controller.key"), "controller.key")).take();
}

inline std::string text(const core::Bytes& b) { return std::string(b.begin(), b.end()); }

}  // namespace iotfleet::seal_test

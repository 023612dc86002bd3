#include "mqtt/passwd.hpp"

#include <openssl/evp.h>

#include "mqtt/topics.hpp"

namespace iotfleet::mqtt {

using core::Error;

namespace {

constexpr std::size_t kDigestBytes = 64;

core::Bytes pbkdf2_sha512(std::string_view password, std::span<const std::uint8_t> salt,
                          int iterations) {
  core::Bytes out(kDigestBytes);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, EVP_sha512(),
                        static_cast<int>(out.size()), out.data()) != 1)
    throw core::Failure(Error::failure("PBKDF2-HMAC-SHA512 failed"));
  return out;
}

core::Bytes sha512(std::string_view password, std::span<const std::uint8_t> salt) {
  core::Bytes out(kDigestBytes);
  unsigned int n = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
                  EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &n) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw core::Failure(Error::failure("SHA-512 failed"));
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? s.npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

core::Result<std::string> passwd_line(std::string_view username, std::string_view password,
                                      std::span<const std::uint8_t> salt, int iterations) {
  if (username.empty() || username.find_first_of(":\r\n") != std::string_view::npos)
    return Error::usage("user name '" + std::string(username) +
                        "' cannot go in a password file (empty, or contains ':' or a line break)");
  if (password.find_first_of("\r\n") != std::string_view::npos)
    return Error::usage("the password of '" + std::string(username) + "' contains a line break");
  if (salt.size() != kPasswdSaltBytes || iterations < 1)
    return Error::failure("mosquitto needs a 12-byte salt and at least one iteration");
  return core::capture([&] {
    return std::string(username) + ":$7$" + std::to_string(iterations) + "$" +
           core::base64_encode(salt) + "$" +
           core::base64_encode(pbkdf2_sha512(password, salt, iterations));
  });
}

core::Result<std::string> passwd_line(std::string_view username, std::string_view password,
                                      core::RandomSource& rng) {
  const auto salt = core::random_bytes(kPasswdSaltBytes, rng);
  return passwd_line(username, password, salt);
}

bool passwd_line_matches(std::string_view line, std::string_view username,
                         std::string_view password) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || line.substr(0, colon) != username) return false;
  const auto parts = split(line.substr(colon + 1), '$');
  // "$7$101$salt$digest" splits into "", "7", "101", salt, digest.
  std::optional<core::Bytes> salt, digest;
  core::Bytes computed;
  if (parts.size() == 5 && parts[0].empty() && parts[1] == "7") {
    int iterations = 0;
    try {
      iterations = std::stoi(std::string(parts[2]));
    } catch (const std::exception&) {
      return false;
    }
    salt = core::base64_decode(parts[3]);
    digest = core::base64_decode(parts[4]);
    if (!salt || !digest || iterations < 1) return false;
    computed = pbkdf2_sha512(password, *salt, iterations);
  } else if (parts.size() == 4 && parts[0].empty() && parts[1] == "6") {
    salt = core::base64_decode(parts[2]);
    digest = core::base64_decode(parts[3]);
    if (!salt || !digest) return false;
    computed = sha512(password, *salt);
  } else {
    return false;
  }
  return core::constant_time_equal(computed, *digest);
}

core::Result<std::string> acl_file(const std::vector<AclDevice>& devices) {
  std::string out =
      "# Written by iot-provision mqtt export: one entry per device. Do not edit; re-export.\n";
  for (const AclDevice& d : devices) {
    if (auto s = validate_topic_component("user name", d.username); !s) return s.error();
    if (d.model_code.empty()) return Error::failure("model code is empty: it cannot be an MQTT topic level");
    auto topics = device_topics(d.key, d.client_id, d.model_code);
    if (!topics) return topics.error();
    // A user name with a space would end the `user` line early.
    if (d.username.find_first_of(" \t") != std::string::npos)
      return Error::failure("user name '" + d.username + "' contains white space");
    out += "\nuser " + d.username + "\n";
    for (const auto& topic : topics->write) out += "topic write " + topic + "\n";
    for (const auto& topic : topics->read) out += "topic read " + topic + "\n";
  }
  return out;
}

}  // namespace iotfleet::mqtt

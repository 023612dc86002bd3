#include "core/secret_box.hpp"

#include <openssl/evp.h>

#include <memory>
#include <set>

#include "core/random.hpp"

namespace iotfleet::core {
namespace {

constexpr std::string_view kPrefix = "sb1:";
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kKeySize = 32;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw Failure(Error::failure("secret box: out of memory"));
  return ctx;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

bool valid_kid(std::string_view kid) {
  if (kid.empty() || kid.size() > 32) return false;
  for (char c : kid)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

}  // namespace

Result<SecretBox> SecretBox::from_keyring(std::string_view keyring) {
  std::vector<Key> keys;
  std::set<std::string, std::less<>> seen;
  std::size_t index = 0;
  for (std::string_view entry : split(keyring, ',')) {
    ++index;
    const std::string where = "IOT_SECRET_KEY entry " + std::to_string(index);
    const auto colon = entry.find(':');
    if (colon == std::string_view::npos)
      return Error::usage(where + " is not 'kid:base64key'",
                          "generate one with: echo \"k1:$(openssl rand -base64 32)\"");
    const std::string_view kid = entry.substr(0, colon);
    if (!valid_kid(kid))
      return Error::usage(where + ": key id must be 1-32 characters of [A-Za-z0-9._-]");
    if (seen.contains(kid)) return Error::usage(where + ": key id '" + std::string(kid) + "' appears twice");
    auto material = base64_decode(entry.substr(colon + 1));
    if (!material || material->size() != kKeySize)
      return Error::usage(where + " (key id '" + std::string(kid) +
                          "'): the key must be 32 bytes in standard base64");
    seen.emplace(kid);
    keys.push_back({std::string(kid), std::move(*material)});
  }
  return SecretBox(std::move(keys));
}

std::string SecretBox::generate_keyring_entry(std::string_view kid) {
  return std::string(kid) + ":" + base64_encode(random_bytes(kKeySize));
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view context) const {
  const Key& key = keys_.front();
  Bytes out(kNonceSize + plaintext.size() + kTagSize);
  system_random().fill(std::span(out.data(), kNonceSize));
  auto ctx = new_ctx();
  int len = 0;
  bool good =
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.material.data(), out.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, as_bytes(context).data(), static_cast<int>(context.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out.data() + kNonceSize, &len, as_bytes(plaintext).data(),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out.data() + kNonceSize + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          out.data() + kNonceSize + plaintext.size()) == 1;
  if (!good) throw Failure(Error::failure("secret box: AES-256-GCM encryption failed"));
  return std::string(kPrefix) + key.id + ":" + base64_encode(out);
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view context) const {
  if (!sealed.starts_with(kPrefix)) return Error::failure("sealed secret has an unknown format");
  const std::string_view rest = sealed.substr(kPrefix.size());
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return Error::failure("sealed secret has no key id");
  const std::string_view kid = rest.substr(0, colon);
  const Key* key = nullptr;
  for (const Key& k : keys_)
    if (k.id == kid) key = &k;
  if (!key)
    return Error::failure("sealed secret uses key id '" + std::string(kid) +
                              "', which is not in IOT_SECRET_KEY",
                          "add the old key to the key ring (after the current one)");
  auto blob = base64_decode(rest.substr(colon + 1));
  if (!blob || blob->size() < kNonceSize + kTagSize) return Error::failure("sealed secret is malformed");
  const std::size_t text_size = blob->size() - kNonceSize - kTagSize;
  std::string plain(text_size, '\0');
  auto ctx = new_ctx();
  int len = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  bool good =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->material.data(), blob->data()) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, as_bytes(context).data(), static_cast<int>(context.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &len, blob->data() + kNonceSize, static_cast<int>(text_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                          blob->data() + kNonceSize + text_size) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) == 1;
  if (!good) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return Error::failure("sealed secret failed its integrity check (tampered, or sealed for another record)",
                          "check that key '" + key->id + "' in IOT_SECRET_KEY is the key that sealed it");
  }
  return plain;
}

bool SecretBox::needs_reseal(std::string_view sealed) const {
  const std::string prefix = std::string(kPrefix) + keys_.front().id + ":";
  return !sealed.starts_with(prefix);
}

}  // namespace iotfleet::core

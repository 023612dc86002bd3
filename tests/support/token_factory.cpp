#include "support/token_factory.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <stdexcept>

#include "core/encoding.hpp"

namespace iotfleet::test_support {
namespace {

std::string bn_param(EVP_PKEY* key, const char* name, std::size_t pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
    throw std::runtime_error(std::string("no key parameter ") + name);
  core::Bytes out(std::max<std::size_t>(pad, static_cast<std::size_t>(BN_num_bytes(bn))));
  BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  BN_free(bn);
  return core::base64url_encode(out);
}

const EVP_MD* md_of(const std::string& alg) {
  if (alg.ends_with("384")) return EVP_sha384();
  if (alg.ends_with("512")) return EVP_sha512();
  return EVP_sha256();
}

}  // namespace

TestKey make_key(const std::string& alg, const std::string& kid) {
  EVP_PKEY* k = nullptr;
  if (alg == "ES256")
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  else if (alg == "ES384")
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  else
    k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  if (!k) throw std::runtime_error("key generation failed for " + alg);
  return {alg, kid, std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free)};
}

nlohmann::json TestKey::jwk() const {
  if (alg.starts_with("ES")) {
    const std::size_t size = alg == "ES256" ? 32 : 48;
    return {{"kid", kid},
            {"kty", "EC"},
            {"alg", alg},
            {"use", "sig"},
            {"crv", alg == "ES256" ? "P-256" : "P-384"},
            {"x", bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, size)},
            {"y", bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, size)}};
  }
  return {{"kid", kid},
          {"kty", "RSA"},
          {"alg", alg},
          {"use", "sig"},
          {"n", bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N)},
          {"e", bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E)}};
}

std::string jwks_of(const std::vector<const TestKey*>& keys) {
  nlohmann::json set = {{"keys", nlohmann::json::array()}};
  for (const auto* k : keys) set["keys"].push_back(k->jwk());
  return set.dump();
}

std::string b64_json(const nlohmann::json& value) {
  return core::base64url_encode(core::as_bytes(value.dump()));
}

std::string sign_token(const TestKey& key, const nlohmann::json& claims,
                       const nlohmann::json& header) {
  nlohmann::json h = {{"alg", key.alg}, {"typ", "JWT"}, {"kid", key.kid}};
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.value().is_null())
      h.erase(it.key());
    else
      h[it.key()] = it.value();
  }
  const std::string input = b64_json(h) + "." + b64_json(claims);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(ctx, &pctx, md_of(key.alg), nullptr, key.key.get());
  if (key.alg.starts_with("PS")) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  std::size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, core::as_bytes(input).data(), input.size());
  core::Bytes sig(len);
  EVP_DigestSign(ctx, sig.data(), &len, core::as_bytes(input).data(), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (key.alg.starts_with("ES")) {  // DER → r||s
    const std::size_t half = key.alg == "ES256" ? 32 : 48;
    const unsigned char* p = sig.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    core::Bytes raw(2 * half);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw.data(), static_cast<int>(half));
    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw.data() + half, static_cast<int>(half));
    ECDSA_SIG_free(es);
    sig = raw;
  }
  return input + "." + core::base64url_encode(sig);
}

}  // namespace iotfleet::test_support

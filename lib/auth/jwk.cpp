#include "auth/jwk.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "auth/jwt.hpp"
#include "core/encoding.hpp"

namespace iotfleet::auth {
namespace {

struct Free {
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

std::optional<core::Bytes> b64(const nlohmann::json& jwk, const char* field) {
  const auto it = jwk.find(field);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  auto bytes = core::base64url_decode(it->get<std::string>());
  if (!bytes || bytes->empty()) return std::nullopt;
  return bytes;
}

std::shared_ptr<EVP_PKEY> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::shared_ptr<EVP_PKEY> rsa_key(const nlohmann::json& jwk) {
  const auto n = b64(jwk, "n"), e = b64(jwk, "e");
  if (!n || !e || e->size() > 8) return nullptr;
  Owned<BIGNUM> bn_n(BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr));
  Owned<BIGNUM> bn_e(BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr));
  Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || BN_num_bits(bn_n.get()) < 2048 || BN_num_bits(bn_n.get()) > 16384 ||
      !BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get()) ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return nullptr;
  return from_params("RSA", bld.get());
}

std::shared_ptr<EVP_PKEY> ec_key(const nlohmann::json& jwk, const std::string& crv) {
  const char* group = crv == "P-256" ? "prime256v1" : crv == "P-384" ? "secp384r1" : nullptr;
  const std::size_t size = crv == "P-256" ? 32 : 48;
  const auto x = b64(jwk, "x"), y = b64(jwk, "y");
  if (!group || !x || !y || x->size() != size || y->size() != size) return nullptr;
  core::Bytes point{0x04};  // uncompressed
  point.insert(point.end(), x->begin(), x->end());
  point.insert(point.end(), y->begin(), y->end());
  Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return nullptr;
  auto key = from_params("EC", bld.get());
  if (!key) return nullptr;
  // The point must be on the curve (invalid-curve attacks); fromdata does not promise that.
  Owned<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

const EVP_MD* digest_for(std::string_view alg) {
  if (alg == "RS256" || alg == "PS256" || alg == "ES256") return EVP_sha256();
  if (alg == "RS384" || alg == "ES384") return EVP_sha384();
  if (alg == "RS512") return EVP_sha512();
  return nullptr;
}

// JOSE ECDSA signatures are r||s, each the size of the curve order; OpenSSL wants DER.
std::optional<core::Bytes> ecdsa_der(std::span<const std::uint8_t> raw, std::size_t half) {
  if (raw.size() != 2 * half) return std::nullopt;
  Owned<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  core::Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return std::nullopt;
  return der;
}

}  // namespace

bool is_supported_algorithm(std::string_view alg) {
  return alg == "RS256" || alg == "RS384" || alg == "RS512" || alg == "PS256" || alg == "ES256" ||
         alg == "ES384";
}

bool Jwk::usable_for(std::string_view a) const {
  if (!alg.empty() && alg != a) return false;
  if (a.starts_with("RS") || a.starts_with("PS")) return kty == "RSA";
  if (a == "ES256") return kty == "EC" && crv == "P-256";
  if (a == "ES384") return kty == "EC" && crv == "P-384";
  return false;
}

const Jwk* KeySet::find(std::string_view kid) const {
  const auto it = keys.find(kid);
  return it == keys.end() ? nullptr : &it->second;
}

core::Result<KeySet> parse_jwks(std::string_view json_text) {
  const auto doc = parse_strict_json(json_text);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
    return core::Error::failure("not a JWKS document (a JSON object with a \"keys\" array)");
  KeySet set;
  for (const auto& k : doc["keys"]) {
    if (!k.is_object()) continue;
    Jwk jwk;
    jwk.kid = string_member(k, "kid");
    jwk.kty = string_member(k, "kty");
    jwk.crv = string_member(k, "crv");
    jwk.alg = string_member(k, "alg");
    if (k.contains("alg") && jwk.alg.empty()) continue;
    const std::string use = k.contains("use") ? string_member(k, "use") : "sig";
    if (jwk.kid.empty() || use != "sig" || (!jwk.alg.empty() && !is_supported_algorithm(jwk.alg)))
      continue;
    if (jwk.kty == "RSA")
      jwk.key = rsa_key(k);
    else if (jwk.kty == "EC")
      jwk.key = ec_key(k, jwk.crv);
    if (!jwk.key) {
      ERR_clear_error();
      continue;
    }
    // Two keys with one kid would make the choice ambiguous: keep neither.
    if (!set.keys.emplace(jwk.kid, jwk).second) set.keys.erase(jwk.kid);
  }
  return set;
}

bool verify_signature(std::string_view alg, const Jwk& key, std::string_view signing_input,
                      std::span<const std::uint8_t> signature) {
  const EVP_MD* md = digest_for(alg);
  if (!md || !key.key || !key.usable_for(alg)) return false;
  std::optional<core::Bytes> der;
  if (alg.starts_with("ES")) {
    der = ecdsa_der(signature, alg == "ES256" ? 32 : 48);
    if (!der) return false;
    signature = *der;
  }
  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.key.get()) != 1) return false;
  if (alg.starts_with("PS") &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1))
    return false;
  const bool ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                                   reinterpret_cast<const unsigned char*>(signing_input.data()),
                                   signing_input.size()) == 1;
  if (!ok) ERR_clear_error();  // a forged token must not fill this thread's error queue
  return ok;
}

}  // namespace iotfleet::auth

#include "seal/keys.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <yaml-cpp/yaml.h>

#include <ctime>
#include <memory>

#include "core/files.hpp"
#include "idp/http.hpp"

namespace iotfleet::seal {
namespace {

using core::Error;

constexpr std::size_t kMaxKeyFileBytes = 1 << 20;

struct Free {
  void operator()(BIO* b) const { BIO_free(b); }
  void operator()(X509* x) const { X509_free(x); }
};

std::unique_ptr<BIO, Free> memory_bio(std::string_view text) {
  return std::unique_ptr<BIO, Free>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string subject_of(X509* cert) {
  std::unique_ptr<BIO, Free> out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// "November 19, 2036", the way kubeseal names an expiry date.
std::string long_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%B %d, %Y", &tm);
  std::string s = buf;
  const auto space = s.find(' ');
  if (space != std::string::npos && s[space + 1] == '0') s.erase(space + 1, 1);
  return s;
}

bool is_rsa(EVP_PKEY* key) { return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA; }

// PEM private keys, one after another; an empty result when the text holds none.
std::vector<RsaKey> pem_private_keys(std::string_view text, const std::string& source,
                                     std::vector<std::string>& problems) {
  std::vector<RsaKey> keys;
  auto bio = memory_bio(text);
  while (EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)) {
    if (!is_rsa(key)) {
      problems.push_back(source + ": a private key is not RSA (sealed-secrets keys are RSA)");
      EVP_PKEY_free(key);
      continue;
    }
    keys.emplace_back(key);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  return keys;
}

}  // namespace

core::Result<SealingCertificate> parse_certificate(std::string_view pem, const std::string& source,
                                                   const core::Clock& clock) {
  auto bio = memory_bio(pem);
  std::unique_ptr<X509, Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!cert)
    return Error::failure(
        source + ": no PEM certificate found",
        "give the sealed-secrets controller's certificate (kubeseal --fetch-cert, "
        "or iot-seal --fetch-cert --controller-url URL)");
  EVP_PKEY* key = X509_get_pubkey(cert.get());
  if (!key) return Error::failure(source + ": the certificate's public key cannot be read");
  RsaKey rsa(key);
  if (!is_rsa(key))
    return Error::failure(
        source + ": expected an RSA public key but the certificate has a " +
            std::string(OBJ_nid2sn(EVP_PKEY_get_base_id(key))) + " key",
        "sealed-secrets controllers seal with RSA; is this the right certificate?");
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1)
    return Error::failure(source + ": the certificate's expiry date cannot be read");
  const auto not_after = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (clock.now() > not_after)
    return Error::failure(source + ": refusing to seal with an expired certificate (expired on " +
                              long_date(not_after) + ")",
                          "fetch the controller's current certificate: iot-seal --fetch-cert "
                          "--controller-url URL");
  return SealingCertificate{std::move(rsa), source, subject_of(cert.get()), not_after};
}

bool is_url(std::string_view s) {
  return s.starts_with("http://") || s.starts_with("https://") || s.starts_with("file://");
}

std::string controller_cert_url(std::string_view controller_url) {
  std::string url(controller_url);
  if (url.ends_with("/v1/cert.pem")) return url;
  while (url.ends_with("/")) url.pop_back();
  return url + "/v1/cert.pem";
}

core::Result<std::string> read_certificate_text(const std::string& file_or_url,
                                                idp::HttpClient& http) {
  if (file_or_url.starts_with("file://"))
    return core::read_file(file_or_url.substr(7), kMaxKeyFileBytes);
  if (!is_url(file_or_url)) return core::read_file(file_or_url, kMaxKeyFileBytes);
  auto response = http.send({"GET", file_or_url, {"Accept: application/x-pem-file, */*"}, ""});
  if (!response) {
    core::Error e = response.error();
    e.message = "cannot fetch " + file_or_url + ": " + e.message;
    return e;
  }
  if (response->status != 200)
    return Error::failure("cannot fetch " + file_or_url + ": HTTP " +
                          std::to_string(response->status));
  return std::move(response->body);
}

core::Result<SealingCertificate> load_certificate(const std::string& file_or_url,
                                                  idp::HttpClient& http, const core::Clock& clock) {
  auto text = read_certificate_text(file_or_url, http);
  if (!text) return text.error();
  return parse_certificate(*text, file_or_url, clock);
}

core::Result<std::vector<RsaKey>> parse_private_keys(std::string_view text,
                                                     const std::string& source) {
  std::vector<std::string> problems;
  std::vector<RsaKey> keys = pem_private_keys(text, source, problems);
  if (keys.empty() && problems.empty() && text.find("-----BEGIN") == std::string_view::npos) {
    // A Secret (or a List of Secrets) holding tls.key, as kubectl prints the controller's keys.
    try {
      const YAML::Node doc = YAML::Load(std::string(text));
      std::vector<YAML::Node> secrets;
      if (doc.IsMap() && doc["kind"] && doc["kind"].as<std::string>() == "List" && doc["items"])
        for (const auto& item : doc["items"]) secrets.push_back(item);
      else
        secrets.push_back(doc);
      for (const auto& s : secrets) {
        if (!s.IsMap() || !s["data"] || !s["data"]["tls.key"]) {
          problems.push_back(source + ": a Secret without data[\"tls.key\"]");
          continue;
        }
        const auto pem = core::base64_decode(s["data"]["tls.key"].as<std::string>());
        if (!pem) {
          problems.push_back(source + ": data[\"tls.key\"] is not valid base64");
          continue;
        }
        const std::string pem_text(pem->begin(), pem->end());
        auto more = pem_private_keys(pem_text, source, problems);
        keys.insert(keys.end(), more.begin(), more.end());
      }
    } catch (const YAML::Exception&) {
      // Neither PEM nor YAML: reported below.
    }
  }
  if (!problems.empty()) return Error::failure(problems.front());
  if (keys.empty())
    return Error::failure(source + ": no RSA private key found",
                          "give the controller's tls.key (PEM) or the Secret that holds it");
  return keys;
}

core::Result<std::vector<RsaKey>> load_private_keys(const std::vector<std::string>& paths) {
  std::vector<RsaKey> keys;
  for (const std::string& path : paths) {
    auto text = core::read_file(path, kMaxKeyFileBytes);
    if (!text) return text.error();
    auto parsed = parse_private_keys(*text, path);
    if (!parsed) return parsed.error();
    keys.insert(keys.end(), parsed->begin(), parsed->end());
  }
  return keys;
}

}  // namespace iotfleet::seal

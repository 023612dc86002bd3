#include "pki/certificate.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>

#include <ctime>

#include "core/encoding.hpp"
#include "pki/openssl.hpp"

namespace iotfleet::pki {

using core::Error;
using detail::openssl_error;
using detail::Ptr;

std::string_view kind_name(CertKind kind) {
  switch (kind) {
    case CertKind::ca:
      return "ca";
    case CertKind::server:
      return "server";
    case CertKind::device:
      return "device";
    case CertKind::other:
      return "other";
  }
  return "other";
}

CertKind kind_from_name(std::string_view name) {
  for (auto kind : {CertKind::ca, CertKind::server, CertKind::device})
    if (kind_name(kind) == name) return kind;
  return CertKind::other;
}

Certificate::Certificate(X509* cert) : cert_(cert, X509_free) {}

core::Result<Certificate> Certificate::from_pem(std::string_view pem, const std::string& what) {
  auto bio = detail::read_bio(pem);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (!cert) return Error::failure(what + ": not a PEM certificate (" + openssl_error() + ")");
  return Certificate(cert);
}

std::string Certificate::to_pem() const {
  auto bio = detail::write_bio();
  PEM_write_bio_X509(bio.get(), cert_.get());
  return detail::bio_text(bio.get());
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  Ptr<BIGNUM> bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn || BN_is_zero(bn.get())) return "0";
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex);
  OPENSSL_free(hex);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto first = out.find_first_not_of('0');
  return out.substr(first == std::string::npos ? out.size() - 1 : first);
}

std::optional<std::string> normalize_serial(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  std::string out;
  for (char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.empty()) return std::nullopt;
  const auto first = out.find_first_not_of('0');
  return first == std::string::npos ? "0" : out.substr(first);
}

TimePoint to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

namespace {

std::string name_text(const X509_NAME* name) {
  auto bio = detail::write_bio();
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return detail::bio_text(bio.get());
}

std::string common_name_of(const X509_NAME* name) {
  const int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return {};
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> sans_of(X509* cert) {
  std::vector<std::string> out;
  Ptr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      const ASN1_STRING* s = gn->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<std::size_t>(ASN1_STRING_length(s))));
    } else if (gn->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = gn->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      const int family = ASN1_STRING_length(s) == 4 ? AF_INET : AF_INET6;
      if (inet_ntop(family, ASN1_STRING_get0_data(s), text, sizeof text))
        out.push_back(std::string("IP:") + text);
    }
  }
  return out;
}

CertKind kind_of(X509* cert) {
  const uint32_t flags = X509_get_extension_flags(cert);
  if ((flags & EXFLAG_CA) != 0) return CertKind::ca;
  if ((flags & EXFLAG_XKUSAGE) == 0) return CertKind::other;
  const uint32_t xku = X509_get_extended_key_usage(cert);
  const bool server = (xku & XKU_SSL_SERVER) != 0, client = (xku & XKU_SSL_CLIENT) != 0;
  if (server && !client) return CertKind::server;
  if (client && !server) return CertKind::device;
  return CertKind::other;
}

}  // namespace

CertInfo describe(const Certificate& cert) {
  X509* x = cert.get();
  CertInfo info;
  info.kind = kind_of(x);
  info.subject = name_text(X509_get_subject_name(x));
  info.common_name = common_name_of(X509_get_subject_name(x));
  info.issuer = name_text(X509_get_issuer_name(x));
  info.serial = serial_hex(X509_get0_serialNumber(x));
  info.not_before = to_time_point(X509_get0_notBefore(x));
  info.not_after = to_time_point(X509_get0_notAfter(x));
  info.sans = sans_of(x);
  info.key = describe_key(X509_get0_pubkey(x));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x, EVP_sha256(), md, &n) == 1) info.sha256 = core::hex_encode({md, n});
  return info;
}

bool matches_key(const Certificate& cert, const PrivateKey& key) {
  return EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) == 1;
}

core::Result<std::vector<std::string>> parse_sans(const std::vector<std::string>& sans) {
  std::vector<std::string> out;
  for (const std::string& san : sans) {
    if (san.starts_with("DNS:")) {
      const std::string name = san.substr(4);
      bool ok = !name.empty() && name.size() <= 253;
      for (std::size_t i = 0; ok && i < name.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(name[i]);
        ok = std::isalnum(c) || c == '-' || c == '.' || (c == '*' && i == 0);
      }
      if (!ok) return Error::usage("--san '" + san + "': not a DNS name");
      out.push_back("DNS:" + name);
    } else if (san.starts_with("IP:")) {
      const std::string addr = san.substr(3);
      unsigned char buf[16];
      const int family = addr.find(':') != std::string::npos ? AF_INET6 : AF_INET;
      if (inet_pton(family, addr.c_str(), buf) != 1)
        return Error::usage("--san '" + san + "': not an IPv4 or IPv6 address");
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(family, buf, text, sizeof text);
      out.push_back(std::string("IP:") + text);
    } else {
      return Error::usage("--san '" + san + "': give DNS:<name> or IP:<address>");
    }
  }
  return out;
}

namespace {

void add_ext(X509* cert, X509V3_CTX& ctx, int nid, const std::string& value) {
  Ptr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    throw core::Failure(Error::failure("cannot add the extension " + std::string(OBJ_nid2sn(nid)) +
                                       "=" + value + ": " + openssl_error()));
}

Ptr<ASN1_INTEGER> random_serial(core::RandomSource& rng) {
  for (;;) {
    auto bytes = core::random_bytes(16, rng);
    Ptr<BIGNUM> bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    if (!bn || BN_is_zero(bn.get())) continue;
    return Ptr<ASN1_INTEGER>(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  }
}

}  // namespace

core::Result<Certificate> sign(const CertRequest& request, const PrivateKey& subject_key,
                               const Certificate* issuer, const PrivateKey& issuer_key,
                               core::RandomSource& rng) {
  if (request.common_name.empty() || request.common_name.size() > 64)
    return Error::usage("the common name must have 1 to 64 characters");
  if (request.not_after <= request.not_before)
    return Error::usage("the certificate would expire before it becomes valid");
  if ((request.kind == CertKind::ca) != (issuer == nullptr))
    return Error::failure("a CA certificate is self-signed, and only a CA certificate is");
  if (request.kind == CertKind::other)
    return Error::failure("cannot issue a certificate of kind 'other'");
  if (!request.sans.empty() && request.kind != CertKind::server)
    return Error::usage("only server certificates carry subject alternative names");
  return core::capture([&]() -> Certificate {
    Certificate cert(X509_new());
    X509* x = cert.get();
    X509_set_version(x, X509_VERSION_3);
    X509_set_serialNumber(x, random_serial(rng).get());
    Ptr<X509_NAME> name(X509_NAME_new());
    X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(request.common_name.data()),
                               static_cast<int>(request.common_name.size()), -1, 0);
    X509_set_subject_name(x, name.get());
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->get()) : name.get());
    ASN1_TIME_set(X509_getm_notBefore(x), std::chrono::system_clock::to_time_t(request.not_before));
    ASN1_TIME_set(X509_getm_notAfter(x), std::chrono::system_clock::to_time_t(request.not_after));
    X509_set_pubkey(x, subject_key.get());

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer->get() : x, x, nullptr, nullptr, 0);
    const std::string usage = subject_key.is_rsa() ? "critical,digitalSignature,keyEncipherment"
                                                   : "critical,digitalSignature";
    switch (request.kind) {
      case CertKind::ca:
        add_ext(x, ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
        add_ext(x, ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
        break;
      case CertKind::server: {
        add_ext(x, ctx, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, ctx, NID_key_usage, usage);
        add_ext(x, ctx, NID_ext_key_usage, "serverAuth");
        std::string sans;
        for (const auto& s : request.sans) sans += (sans.empty() ? "" : ",") + s;
        if (!sans.empty()) add_ext(x, ctx, NID_subject_alt_name, sans);
        break;
      }
      case CertKind::device:
        add_ext(x, ctx, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, ctx, NID_key_usage, usage);
        add_ext(x, ctx, NID_ext_key_usage, "clientAuth");
        break;
      case CertKind::other:
        break;
    }
    add_ext(x, ctx, NID_subject_key_identifier, "hash");
    add_ext(x, ctx, NID_authority_key_identifier, "keyid:always");
    if (X509_sign(x, issuer_key.get(), EVP_sha256()) <= 0)
      throw core::Failure(Error::failure("cannot sign the certificate: " + openssl_error()));
    return cert;
  });
}

}  // namespace iotfleet::pki

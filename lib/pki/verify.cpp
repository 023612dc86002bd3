#include "pki/verify.hpp"

#include "pki/openssl.hpp"

namespace iotfleet::pki {

using detail::Ptr;

core::Result<Purpose> parse_purpose(const std::string& text) {
  if (text == "auto") return Purpose::automatic;
  if (text == "client" || text == "sslclient") return Purpose::client;
  if (text == "server" || text == "sslserver") return Purpose::server;
  if (text == "none") return Purpose::none;
  return core::Error::usage("unknown purpose '" + text + "': use auto, client, server or none");
}

Verdict verify(const Certificate& cert, const Authority& ca, Purpose purpose, TimePoint now) {
  Verdict v;
  v.info = describe(cert);
  if (purpose == Purpose::automatic)
    purpose = v.info.kind == CertKind::device   ? Purpose::client
              : v.info.kind == CertKind::server ? Purpose::server
                                                : Purpose::none;
  v.purpose = purpose == Purpose::client   ? "sslclient"
              : purpose == Purpose::server ? "sslserver"
                                           : "none";

  Ptr<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca.certificate().get());
  Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(now));
  if (purpose == Purpose::client) X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (purpose == Purpose::server) X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  if (X509_verify_cert(ctx.get()) != 1) {
    v.reason = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    detail::openssl_error();  // clear the queue
    return v;
  }
  if (auto entries = ca.entries()) {
    for (const auto& e : *entries)
      if (e.serial == v.info.serial && e.revoked()) {
        v.reason = "certificate revoked";
        return v;
      }
  } else {
    v.reason = "cannot read the CA index: " + entries.error().message;
    return v;
  }
  v.valid = true;
  return v;
}

}  // namespace iotfleet::pki

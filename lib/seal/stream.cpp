#include "seal/stream.hpp"

namespace iotfleet::seal {

using core::Error;

core::Result<std::string> seal_stream(std::string_view input, const std::string& source,
                                      const RsaKey& public_key, const SealOptions& options,
                                      Format format) {
  auto secrets = parse_secrets(input, source);
  if (!secrets) return secrets.error();
  if (secrets->size() > 1 && (!options.name.empty() || !options.ns.empty()))
    return Error::usage(source +
                        ": --name and --namespace apply to a single Secret, but the input has " +
                        std::to_string(secrets->size()));
  std::string out;
  for (std::size_t i = 0; i < secrets->size(); ++i) {
    auto sealed = seal_secret(std::move((*secrets)[i]), public_key, options);
    if (!sealed) {
      Error e = sealed.error();
      e.message = source + ": document " + std::to_string(i + 1) + ": " + e.message;
      return e;
    }
    out += format_sealed(*sealed, format);
  }
  return out;
}

core::Result<std::string> seal_raw(std::span<const std::uint8_t> value, const RsaKey& public_key,
                                   Scope scope, const std::string& ns, const std::string& name) {
  if (scope != Scope::cluster_wide && ns.empty())
    return Error::usage(std::string("--raw with scope ") + scope_name(scope) +
                        " needs --namespace");
  if (scope == Scope::strict && name.empty())
    return Error::usage("--raw with scope strict needs --name (or use --scope namespace-wide)");
  return core::capture([&] {
    return core::base64_encode(
        hybrid_encrypt(public_key, value, encryption_label(scope, ns, name)));
  });
}

core::Result<std::string> unseal_stream(std::string_view input, const std::string& source,
                                        std::span<const RsaKey> keys, Format format) {
  auto sealed = parse_sealed_secrets(input, source);
  if (!sealed) return sealed.error();
  std::string out;
  for (const auto& s : *sealed) {
    auto secret = unseal(s, keys);
    if (!secret) return secret.error();
    out += format_secret(*secret, format);
  }
  return out;
}

core::Result<std::vector<Validation>> validate_stream(std::string_view input,
                                                      const std::string& source,
                                                      std::span<const RsaKey> keys) {
  auto sealed = parse_sealed_secrets(input, source);
  if (!sealed) return sealed.error();
  std::vector<Validation> ok;
  std::vector<std::string> failures;
  for (const auto& s : *sealed) {
    auto secret = unseal(s, keys);
    if (!secret)
      failures.push_back(secret.error().message);
    else
      ok.push_back({s.ns, s.name, s.encrypted_data.size()});
  }
  if (!failures.empty()) {
    std::string m = source + ": " + std::to_string(failures.size()) + " of " +
                    std::to_string(sealed->size()) + " SealedSecrets do not decrypt:";
    for (const auto& f : failures) m += "\n  " + f;
    return Error::failure(m,
                          "the values were sealed with another controller key, or for another "
                          "namespace, name or scope");
  }
  return ok;
}

}  // namespace iotfleet::seal

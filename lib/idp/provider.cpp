#include "idp/provider.hpp"

#include "core/encoding.hpp"
#include "core/random.hpp"
#include "idp/local.hpp"

namespace iotfleet::idp {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::created:
      return "created";
    case Outcome::repaired:
      return "repaired";
    case Outcome::unchanged:
      return "unchanged";
  }
  return "unchanged";
}

std::vector<core::Result<EnsureResult>> IdentityProvider::create_many(
    const std::vector<IdentitySpec>& specs, const ProgressFn& progress) {
  std::vector<core::Result<EnsureResult>> out;
  out.reserve(specs.size());
  for (const auto& spec : specs) {
    out.push_back(create(spec));
    if (progress) progress(out.size(), specs.size());
  }
  return out;
}

std::vector<core::Result<bool>> IdentityProvider::remove_many(
    const std::vector<std::string>& client_ids) {
  std::vector<core::Result<bool>> out;
  out.reserve(client_ids.size());
  for (const auto& id : client_ids) out.push_back(remove(id));
  return out;
}

std::string generate_secret() { return core::base64url_encode(core::random_bytes(32)); }

std::string device_secret_context(std::string_view device_key) {
  return local_secret_context(device_key);
}

}  // namespace iotfleet::idp

#include "devsim/storage.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/files.hpp"

namespace iotfleet::devsim {
namespace {

constexpr auto kMode = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
constexpr std::size_t kMaxFile = 1 << 20;

bool valid_name(std::string_view s) { return !s.empty() && s.size() <= FileStorage::kMaxKey; }

}  // namespace

FileStorage::FileStorage(std::filesystem::path dir) : dir_(std::move(dir)) {}

std::filesystem::path FileStorage::file(std::string_view ns) const {
  return dir_ / (std::string(ns) + ".json");
}

bool FileStorage::has(std::string_view ns) const {
  std::error_code ec;
  return std::filesystem::exists(file(ns), ec);
}

FileStorage::Namespace* FileStorage::load(std::string_view ns) {
  if (const auto it = cache_.find(ns); it != cache_.end()) return &it->second;
  Namespace values;
  if (has(ns)) {
    auto text = core::read_file(file(ns).string(), kMaxFile);
    if (!text) return nullptr;
    const auto json = nlohmann::json::parse(*text, nullptr, false);
    if (!json.is_object()) return nullptr;
    for (const auto& [k, v] : json.items())
      if (v.is_string()) values[k] = v.get<std::string>();
  }
  return &cache_.emplace(std::string(ns), std::move(values)).first->second;
}

bool FileStorage::save(std::string_view ns, const Namespace& values) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [k, v] : values) json[k] = v;
  return core::write_file(file(ns).string(), json.dump(2) + "\n", kMode).ok();
}

int FileStorage::read(std::string_view ns, std::string_view key, char* out, std::size_t cap) {
  if (!valid_name(ns) || !valid_name(key)) return -1;
  const auto* values = load(ns);
  if (!values) return -1;
  const auto it = values->find(key);
  if (it == values->end() || it->second.size() > cap) return -1;
  std::memcpy(out, it->second.data(), it->second.size());
  return static_cast<int>(it->second.size());
}

bool FileStorage::write(std::string_view ns, std::string_view key, std::string_view value) {
  if (!valid_name(ns) || !valid_name(key)) return false;
  auto* values = load(ns);
  if (!values) return false;
  Namespace next = *values;
  next[std::string(key)] = std::string(value);
  if (!save(ns, next)) return false;
  *values = std::move(next);
  return true;
}

bool FileStorage::erase(std::string_view ns, std::string_view key) {
  if (!valid_name(ns) || !valid_name(key)) return false;
  auto* values = load(ns);
  if (!values) return false;
  if (values->find(key) == values->end()) return true;
  Namespace next = *values;
  next.erase(next.find(key));
  if (!save(ns, next)) return false;
  *values = std::move(next);
  return true;
}

std::optional<std::string> FileStorage::get(std::string_view ns, std::string_view key) {
  const auto* values = load(ns);
  if (!values) return std::nullopt;
  const auto it = values->find(key);
  if (it == values->end()) return std::nullopt;
  return it->second;
}

core::Status FileStorage::replace(std::string_view ns,
                                  const std::map<std::string, std::string>& values) {
  Namespace next(values.begin(), values.end());
  for (const auto& [k, v] : next)
    if (!valid_name(k))
      return core::Error::failure("storage key '" + k + "' is longer than " +
                                  std::to_string(kMaxKey) + " bytes (an NVS limit)");
  if (!save(ns, next))
    return core::Error::failure("cannot write " + file(ns).string(), "check the --state folder");
  cache_[std::string(ns)] = std::move(next);
  return core::ok_status();
}

}  // namespace iotfleet::devsim

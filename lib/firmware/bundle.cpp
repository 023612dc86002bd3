#include "firmware/bundle.hpp"

#include <zip.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace iotfleet::firmware {
namespace {

using core::Error;

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

bool valid_name(const std::string& name) {
  static const std::regex re("^[A-Za-z0-9._-]{1,100}$");
  return std::regex_match(name, re) && name != "." && name != "..";
}

std::string zip_message(zip_error_t* error) {
  std::string m = zip_error_strerror(error);
  zip_error_fini(error);
  return m;
}

}  // namespace

bool looks_like_zip(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
}

core::Result<Bundle> read_bundle(std::span<const std::uint8_t> data, const std::string& model_code) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(data.data(), data.size(), 0, &error);
  if (!source) return Error::failure("bundle: " + zip_message(&error));
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (!archive) {
    zip_source_free(source);
    return Error::failure("not a readable ZIP bundle: " + zip_message(&error));
  }
  zip_error_fini(&error);

  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  if (count < 0 || static_cast<std::size_t>(count) > kMaxBundleEntries)
    return Error::failure("bundle has " + std::to_string(count) + " entries; at most " +
                          std::to_string(kMaxBundleEntries) + " are accepted");

  std::vector<BundleFile> files;
  std::set<std::string> names;
  std::uint64_t total = 0;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(count); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive.get(), i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE))
      return Error::failure("bundle entry " + std::to_string(i) + " cannot be read");
    std::string path = st.name;
    if (path.ends_with("/")) continue;  // a folder entry
    const std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    if (!valid_name(name))
      return Error::failure("bundle entry '" + path + "': file names may use only A-Z a-z 0-9 . _ -");
    if (!names.insert(name).second) return Error::failure("bundle holds '" + name + "' twice");
    total += st.size;
    if (total > kMaxBundleBytes)
      return Error::failure("bundle expands to more than " + std::to_string(kMaxBundleBytes >> 20) + " MiB");

    std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(archive.get(), i, 0));
    if (!file) return Error::failure("bundle entry '" + path + "': " + zip_strerror(archive.get()));
    std::string bytes(st.size, '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
      const zip_int64_t n = zip_fread(file.get(), bytes.data() + got, bytes.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    char extra;
    if (got != bytes.size() || zip_fread(file.get(), &extra, 1) != 0)
      return Error::failure("bundle entry '" + path + "' is damaged (its size does not match)");
    files.push_back({name, std::move(bytes)});
  }

  std::vector<std::size_t> bins;
  std::optional<std::size_t> preferred;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (!files[i].name.ends_with(".bin")) continue;
    bins.push_back(i);
    if (files[i].name == model_code + ".bin") preferred = i;
  }
  if (!preferred && bins.size() == 1) preferred = bins.front();
  if (!preferred) {
    std::string found;
    for (std::size_t i : bins) found += (found.empty() ? "" : ", ") + files[i].name;
    return Error::failure(bins.empty() ? "bundle holds no .bin image"
                                       : "bundle holds several images (" + found + ") and none is " +
                                             model_code + ".bin");
  }

  Bundle bundle;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (i == *preferred) bundle.image = std::move(files[i]);
    else bundle.extras.push_back(std::move(files[i]));
  }
  for (const auto& extra : bundle.extras) {
    if (extra.name != "version.json") continue;
    const auto parsed = nlohmann::json::parse(extra.bytes, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
      return Error::failure("bundle's version.json is not a JSON object");
    if (parsed.contains("version")) {
      if (!parsed["version"].is_string()) return Error::failure("bundle's version.json: \"version\" is not a string");
      bundle.declared_version = parsed["version"].get<std::string>();
    }
  }
  return bundle;
}

}  // namespace iotfleet::firmware

#include "firmware/catalog_views.hpp"

namespace iotfleet::firmware {
namespace {

template <class T>
nlohmann::ordered_json or_null(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json extras_json(const std::vector<store::FirmwareExtra>& extras) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& e : extras) out.push_back({{"name", e.name}, {"sha256", e.sha256}, {"size", e.size}});
  return out;
}

std::string flags(const VersionEntry& e) {
  if (e.pinned) return "pinned, serving";
  return e.serving ? "serving" : "";
}

}  // namespace

nlohmann::ordered_json to_json(const store::FirmwareVersion& v) {
  return {{"model", v.model_code},     {"version", v.version},
          {"sha256", v.sha256},        {"size", v.size},
          {"chip", v.chip},            {"idf_version", or_null(v.idf_version)},
          {"project_name", or_null(v.project_name)}, {"notes", or_null(v.notes)},
          {"uploaded_by", v.uploaded_by}, {"uploaded_at", v.uploaded_at}};
}

nlohmann::ordered_json to_json(const VersionEntry& e) {
  auto out = to_json(e.version);
  out["pinned"] = e.pinned;
  out["serving"] = e.serving;
  out["extras"] = extras_json(e.extras);
  return out;
}

nlohmann::ordered_json to_json(const UploadResult& r) {
  auto out = to_json(r.version);
  out["created"] = r.created;
  out["extras"] = extras_json(r.extras);
  return out;
}

nlohmann::ordered_json to_json(const ServingChange& c) {
  return {{"model", c.after.model_code},
          {"before", c.before ? nlohmann::ordered_json(c.before->version) : nlohmann::ordered_json(nullptr)},
          {"serving", c.after.version},
          {"sha256", c.after.sha256},
          {"pinned", c.pinned ? nlohmann::ordered_json(c.pinned->version) : nlohmann::ordered_json(nullptr)}};
}

std::string describe(const UploadResult& r) {
  const auto& v = r.version;
  std::string s = std::string(r.created ? "uploaded " : "already uploaded (nothing changed): ") + v.model_code +
                  " " + v.version + " (" + v.chip + ", " + std::to_string(v.size) + " bytes, sha256 " +
                  v.sha256.substr(0, 12) + "…)";
  if (!r.extras.empty()) s += " with " + std::to_string(r.extras.size()) + " extra file(s)";
  return s;
}

std::string describe(const ServingChange& c) {
  const std::string model = c.after.model_code;
  std::string s = "devices of " + model + " get " + c.after.version;
  s += c.pinned ? " (pinned)" : " (the newest version)";
  if (c.before && c.before->id != c.after.id) s += ", was " + c.before->version;
  else if (c.before) s += ", unchanged";
  return s;
}

std::vector<std::string> version_table_headers() {
  return {"VERSION", "CHIP", "SIZE", "SHA256", "UPLOADED", "BY", "STATUS"};
}

std::vector<std::string> version_table_row(const VersionEntry& e) {
  const auto& v = e.version;
  return {v.version, v.chip, std::to_string(v.size), v.sha256.substr(0, 12), v.uploaded_at, v.uploaded_by, flags(e)};
}

std::vector<std::pair<std::string, std::string>> version_fields(const VersionEntry& e) {
  const auto& v = e.version;
  std::string extras;
  for (const auto& x : e.extras) extras += (extras.empty() ? "" : ", ") + x.name;
  return {{"model", v.model_code},
          {"version", v.version},
          {"status", flags(e).empty() ? "stored" : flags(e)},
          {"chip", v.chip},
          {"size", std::to_string(v.size) + " bytes"},
          {"sha256", v.sha256},
          {"project", v.project_name.value_or("-")},
          {"idf version", v.idf_version.value_or("-")},
          {"uploaded", v.uploaded_at + " by " + v.uploaded_by},
          {"notes", v.notes.value_or("-")},
          {"extras", extras.empty() ? "-" : extras}};
}

}  // namespace iotfleet::firmware

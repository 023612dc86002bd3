#include "firmware/catalog.hpp"

#include "core/digest.hpp"
#include "core/encoding.hpp"
#include "firmware/bundle.hpp"
#include "firmware/image.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"

namespace iotfleet::firmware {
namespace {

using core::Error;
using core::Failure;

std::string sha256_hex(const std::string& bytes) { return core::hex_encode(core::sha256(core::as_bytes(bytes))); }

// Which version devices of a model get, from its history (newest first) and its pin.
std::optional<store::FirmwareVersion> serving_of(const std::vector<store::FirmwareVersion>& history,
                                                 std::optional<std::int64_t> pinned) {
  if (pinned)
    for (const auto& v : history)
      if (v.id == *pinned) return v;
  if (history.empty()) return std::nullopt;
  return history.front();
}

store::FirmwareVersion require_version(store::FirmwareRepository& repo, const store::DeviceModel& model,
                                       const std::string& version) {
  auto v = repo.find_version(model.id, version);
  if (!v)
    throw Failure(Error::not_found("model '" + model.code + "' has no firmware version '" + version + "'",
                                   "see 'iot-firmware list --model " + model.code + "'"));
  return *v;
}

// The image bytes and the extras of an upload, from a bare image or a bundle.
struct Unpacked {
  std::string image;
  std::vector<BundleFile> extras;
  std::optional<std::string> declared_version;
};

Unpacked unpack(const UploadRequest& r) {
  const auto bytes = core::as_bytes(r.bytes);
  if (!looks_like_zip(bytes)) return {r.bytes, {}, std::nullopt};
  auto bundle = read_bundle(bytes, r.model_code);
  if (!bundle) throw Failure(Error::failure(r.file_name + ": " + bundle.error().message));
  return {std::move(bundle->image.bytes), std::move(bundle->extras), bundle->declared_version};
}

}  // namespace

core::Result<UploadResult> Catalog::upload(const UploadRequest& request) {
  auto result = store::in_transaction(s_.db, "upload firmware for model '" + request.model_code + "'",
                                      [&](pqxx::work& tx) {
    // Validate the bytes completely before touching anything.
    const Unpacked unpacked = unpack(request);
    auto info = parse_image(core::as_bytes(unpacked.image));
    if (!info) throw Failure(Error::failure(request.file_name + ": " + info.error().message));
    if (auto valid = validate_for_upload(*info); !valid)
      throw Failure(Error::failure(request.file_name + ": " + valid.error().message));
    const std::string& version = info->app->version;
    if (unpacked.declared_version && *unpacked.declared_version != version)
      throw Failure(Error::failure(request.file_name + ": version.json says '" + *unpacked.declared_version +
                                   "' but the image is version '" + version + "'"));

    const auto model = fleet::require_model(tx, request.model_code, true);
    store::FirmwareRepository repo(tx);
    const std::string sha = sha256_hex(unpacked.image);
    const auto existing = repo.find_version(model.id, version);
    if (existing && existing->sha256 == sha) return UploadResult{*existing, false, repo.extras(existing->id)};
    const auto history = repo.list_versions(model.id);
    if (!history.empty() && history.front().chip != info->chip && !request.allow_chip_mismatch)
      throw Failure(Error::conflict("the image is for " + info->chip + " but model '" + model.code +
                                        "' runs " + history.front().chip + " (version " +
                                        history.front().version + ")",
                                    "pass --allow-chip-mismatch if the model really changed chips"));
    if (existing)
      throw Failure(Error::conflict("model '" + model.code + "' already has version '" + version +
                                        "' with different bytes (sha256 " + existing->sha256.substr(0, 12) + "…)",
                                    "give the new build its own version (PROJECT_VER) and upload again"));

    repo.put_blob(sha, unpacked.image);
    UploadResult out;
    out.created = true;
    out.version = repo.insert_version(
        model.id, {version, sha, static_cast<std::int64_t>(unpacked.image.size()), info->chip,
                   info->app->idf_ver.empty() ? std::nullopt : std::optional(info->app->idf_ver),
                   info->app->project_name.empty() ? std::nullopt : std::optional(info->app->project_name),
                   request.notes, s_.actor});
    for (const auto& extra : unpacked.extras) {
      const store::FirmwareExtra row{extra.name, sha256_hex(extra.bytes), static_cast<std::int64_t>(extra.bytes.size())};
      repo.put_blob(row.sha256, extra.bytes);
      repo.insert_extra(out.version.id, row);
      out.extras.push_back(row);
    }
    nlohmann::json extras = nlohmann::json::array();
    for (const auto& e : out.extras) extras.push_back(e.name);
    store::record(tx, {s_.actor, "firmware.upload", "model", model.code,
                       {{"version", version}, {"sha256", sha}, {"size", unpacked.image.size()},
                        {"chip", info->chip}, {"extras", extras}}});
    return out;
  });
  if (result && result->created) {
    // A new upload changes what devices get unless the model is pinned.
    auto now = serving(request.model_code);
    if (now && *now && (*now)->id == result->version.id) announce(**now);
  }
  return result;
}

core::Result<std::vector<VersionEntry>> Catalog::list(const std::string& model_code) {
  return store::in_transaction(s_.db, "list firmware of model '" + model_code + "'", [&](pqxx::work& tx) {
    const auto model = fleet::require_model(tx, model_code);
    store::FirmwareRepository repo(tx);
    const auto history = repo.list_versions(model.id);
    const auto pinned = repo.pinned_version_id(model.id);
    const auto now = serving_of(history, pinned);
    std::vector<VersionEntry> out;
    for (const auto& v : history)
      out.push_back({v, pinned && *pinned == v.id, now && now->id == v.id, repo.extras(v.id)});
    return out;
  });
}

core::Result<VersionEntry> Catalog::show(const std::string& model_code, const std::string& version) {
  auto all = list(model_code);
  if (!all) return all.error();
  for (auto& entry : *all)
    if (entry.version.version == version) return entry;
  return Error::not_found("model '" + model_code + "' has no firmware version '" + version + "'",
                          "see 'iot-firmware list --model " + model_code + "'");
}

core::Result<Download> Catalog::download(const std::string& model_code, const std::optional<std::string>& version) {
  return store::in_transaction(s_.db, "download firmware of model '" + model_code + "'", [&](pqxx::work& tx) {
    const auto model = fleet::require_model(tx, model_code);
    store::FirmwareRepository repo(tx);
    std::optional<store::FirmwareVersion> chosen;
    if (version) chosen = require_version(repo, model, *version);
    else chosen = serving_of(repo.list_versions(model.id), repo.pinned_version_id(model.id));
    if (!chosen) throw Failure(Error::not_found("model '" + model_code + "' has no firmware yet"));
    auto bytes = repo.blob(chosen->sha256);
    // Content addressing lets us prove the bytes are the ones uploaded.
    if (!bytes || sha256_hex(*bytes) != chosen->sha256)
      throw Failure(Error::failure("stored image of " + model_code + " " + chosen->version +
                                   " does not match its SHA-256: the database copy is damaged"));
    return Download{*chosen, std::move(*bytes)};
  });
}

core::Result<ServingChange> Catalog::pin(const std::string& model_code, const std::string& version) {
  auto change = store::in_transaction(s_.db, "pin firmware of model '" + model_code + "'", [&](pqxx::work& tx) {
    const auto model = fleet::require_model(tx, model_code, true);
    store::FirmwareRepository repo(tx);
    const auto target = require_version(repo, model, version);
    const auto history = repo.list_versions(model.id);
    const auto before = serving_of(history, repo.pinned_version_id(model.id));
    repo.set_pin(model.id, target.id);
    store::record(tx, {s_.actor, "firmware.pin", "model", model.code,
                       {{"version", target.version}, {"previous", before ? before->version : ""}}});
    return ServingChange{before, target, target};
  });
  if (change && (!change->before || change->before->id != change->after.id)) announce(change->after);
  return change;
}

core::Result<ServingChange> Catalog::unpin(const std::string& model_code) {
  auto change = store::in_transaction(s_.db, "unpin firmware of model '" + model_code + "'", [&](pqxx::work& tx) {
    const auto model = fleet::require_model(tx, model_code, true);
    store::FirmwareRepository repo(tx);
    const auto history = repo.list_versions(model.id);
    if (history.empty()) throw Failure(Error::not_found("model '" + model_code + "' has no firmware yet"));
    const auto pinned = repo.pinned_version_id(model.id);
    const auto before = serving_of(history, pinned);
    if (pinned) {
      repo.set_pin(model.id, std::nullopt);
      store::record(tx, {s_.actor, "firmware.unpin", "model", model.code, {{"previous", before->version}}});
    }
    return ServingChange{before, history.front(), std::nullopt};
  });
  if (change && change->before->id != change->after.id) announce(change->after);
  return change;
}

core::Result<ServingChange> Catalog::rollback(const std::string& model_code) {
  auto change = store::in_transaction(s_.db, "roll back firmware of model '" + model_code + "'", [&](pqxx::work& tx) {
    const auto model = fleet::require_model(tx, model_code, true);
    store::FirmwareRepository repo(tx);
    const auto history = repo.list_versions(model.id);
    const auto before = serving_of(history, repo.pinned_version_id(model.id));
    if (!before) throw Failure(Error::not_found("model '" + model_code + "' has no firmware yet"));
    std::optional<store::FirmwareVersion> previous;
    for (std::size_t i = 0; i + 1 < history.size(); ++i)
      if (history[i].id == before->id) previous = history[i + 1];
    if (!previous)
      throw Failure(Error::conflict("model '" + model_code + "' serves " + before->version +
                                    ", its oldest version: there is nothing earlier to roll back to"));
    repo.set_pin(model.id, previous->id);
    store::record(tx, {s_.actor, "firmware.rollback", "model", model.code,
                       {{"version", previous->version}, {"previous", before->version}}});
    return ServingChange{before, *previous, *previous};
  });
  if (change) announce(change->after);
  return change;
}

core::Result<PruneReport> Catalog::prune(const std::string& model_code, std::size_t keep) {
  return store::in_transaction(s_.db, "prune firmware of model '" + model_code + "'", [&](pqxx::work& tx) {
    if (keep < 1) throw Failure(Error::usage("--keep must be at least 1"));
    const auto model = fleet::require_model(tx, model_code, true);
    store::FirmwareRepository repo(tx);
    const auto history = repo.list_versions(model.id);
    const auto pinned = repo.pinned_version_id(model.id);
    PruneReport report;
    for (std::size_t i = keep; i < history.size(); ++i) {
      if (pinned && *pinned == history[i].id) continue;
      repo.delete_version(history[i].id);
      report.removed_versions.push_back(history[i].version);
    }
    report.blobs_freed = repo.delete_orphan_blobs();
    if (!report.removed_versions.empty())
      store::record(tx, {s_.actor, "firmware.prune", "model", model.code,
                         {{"keep", keep}, {"removed", report.removed_versions}}});
    return report;
  });
}

core::Result<std::optional<store::FirmwareVersion>> Catalog::serving(const std::string& model_code) {
  return store::in_transaction(s_.db, "read firmware of model '" + model_code + "'", [&](pqxx::work& tx) {
    const auto model = fleet::require_model(tx, model_code);
    store::FirmwareRepository repo(tx);
    return serving_of(repo.list_versions(model.id), repo.pinned_version_id(model.id));
  });
}

void Catalog::announce(const store::FirmwareVersion& serving) {
  if (!notifier_) return;
  if (auto status = notifier_->firmware_changed(serving); !status) notice_error_ = status.error();
}

}  // namespace iotfleet::firmware

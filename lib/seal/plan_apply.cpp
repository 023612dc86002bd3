// Applying a secrets plan (plan.hpp). Why the state file holds digests: sealing is randomised
// (a fresh AES key and OAEP padding per value), so sealing unchanged values again would produce
// different bytes and a noisy Git diff. The private key is not at hand to compare by decrypting,
// so for each sealed file the state keeps the SHA-256 of what was sealed into it (values,
// metadata, scope, format and the controller's public key) and of the bytes written; a file is
// rewritten only when either differs.
#include <sys/stat.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "seal/plan.hpp"

namespace iotfleet::seal {
namespace {

namespace fs = std::filesystem;
using core::Bytes;
using core::Error;

constexpr std::size_t kMaxValueBytes = 1 << 20;  // the Kubernetes limit for a whole Secret
constexpr int kStateVersion = 1;

std::string sha256_hex(std::string_view text) {
  return core::hex_encode(core::sha256(core::as_bytes(text)));
}

struct State {
  std::map<std::string, std::string> generated;  // state id -> value
  struct Sealed {
    std::string input;  // SHA-256 of the canonical description of what was sealed
    std::string file;   // SHA-256 of the bytes written
  };
  std::map<std::string, Sealed> sealed;  // output path (relative to the plan) -> digests
};

core::Result<State> read_state(const fs::path& file) {
  State state;
  std::error_code ec;
  if (!fs::exists(file, ec)) return state;
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    core::log::warn("the state file is readable by others; it will be written back 0600",
                    {{"file", file.string()}});
  auto text = core::read_file(file.string(), 16 << 20);
  if (!text) return text.error();
  try {
    const auto j = nlohmann::json::parse(*text);
    if (j.value("version", 0) != kStateVersion) throw std::runtime_error("unknown version");
    for (const auto& [id, value] : j.at("generated").items())
      state.generated[id] = value.get<std::string>();
    for (const auto& [path, d] : j.at("sealed").items())
      state.sealed[path] = {d.at("input").get<std::string>(), d.at("file").get<std::string>()};
  } catch (const std::exception& e) {
    return Error::failure(
        file.string() + ": not a valid iot-seal state file (" + e.what() + ")",
        "it holds the generated values: restore it from your backup rather than deleting it");
  }
  return state;
}

core::Status write_state(const fs::path& file, const State& state) {
  nlohmann::ordered_json j;
  j["version"] = kStateVersion;
  j["note"] =
      "iot-seal plan state: generated secret values in clear text. Keep it out of Git; back it up.";
  j["generated"] = nlohmann::ordered_json::object();
  for (const auto& [id, value] : state.generated) j["generated"][id] = value;
  j["sealed"] = nlohmann::ordered_json::object();
  for (const auto& [path, d] : state.sealed)
    j["sealed"][path] = {{"input", d.input}, {"file", d.file}};
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return Error::failure(file.parent_path().string() + ": cannot create: " + ec.message());
  fs::permissions(file.parent_path(), fs::perms::owner_all, ec);
  return core::write_file(file.string(), j.dump(2) + "\n",
                          fs::perms::owner_read | fs::perms::owner_write);
}

// Resolves every value of the plan, collecting every problem before giving up.
class Resolver {
 public:
  Resolver(const Plan& plan, State& state, const PlanOptions& options)
      : plan_(plan), state_(state), options_(options) {
    for (const auto& s : plan.secrets)
      for (const auto& [key, v] : s.keys) sources_[s.state_id(key)] = {&s, key, &v};
  }

  std::map<std::string, Bytes> resolve_all() {
    for (const auto& [id, entry] : sources_) resolve(id, 0);
    return values_;
  }
  const std::vector<std::string>& problems() const { return problems_; }
  const std::vector<std::string>& generated() const { return generated_; }

 private:
  struct Entry {
    const PlanSecret* secret;
    std::string key;
    const ValueSource* source;
  };

  void problem(const Entry& e, const std::string& what) {
    problems_.push_back("secret " + e.secret->targets.front().ns + "/" + e.secret->name + ", key " +
                        e.key + ": " + what);
  }

  void check_placeholder(const Entry& e, const std::string& value, const std::string& origin) {
    if (auto why = placeholder_reason(value))
      problem(e,
              origin + " still looks like a placeholder: it " + *why + "; put the real value in");
  }

  std::optional<Bytes> resolve(const std::string& id, int depth) {
    if (auto it = values_.find(id); it != values_.end()) return it->second;
    const auto found = sources_.find(id);
    if (found == sources_.end() || depth > 8) return std::nullopt;
    const Entry& e = found->second;
    const ValueSource& v = *e.source;
    std::optional<std::string> value;
    switch (v.kind) {
      case ValueSource::Kind::literal:
        check_placeholder(e, v.text, "the literal value");
        value = v.text;
        break;
      case ValueSource::Kind::generate:
        if (auto it = state_.generated.find(id); it != state_.generated.end()) {
          value = it->second;
        } else {
          value = core::random_string(v.length, v.alphabet);
          state_.generated[id] = *value;
          generated_.push_back(id);
        }
        break;
      case ValueSource::Kind::from_file: {
        const fs::path path =
            fs::path(v.text).is_absolute() ? fs::path(v.text) : plan_.dir / v.text;
        auto text = core::read_file(path.string(), kMaxValueBytes);
        if (!text) {
          problem(e, "from-file: " + text.error().message);
          break;
        }
        check_placeholder(e, *text, "the file " + v.text);
        value = std::move(*text);
        break;
      }
      case ValueSource::Kind::from_env: {
        auto env = options_.env(v.text);
        if (!env || env->empty()) {
          problem(e, "from-env: the environment variable " + v.text + " is not set");
          break;
        }
        check_placeholder(e, *env, "the variable " + v.text);
        value = std::move(*env);
        break;
      }
      case ValueSource::Kind::same_as: {
        auto target = resolve(v.ref_id, depth + 1);
        if (target) values_[id] = *target;
        return target;
      }
    }
    if (!value) return std::nullopt;
    Bytes bytes(value->begin(), value->end());
    values_[id] = bytes;
    return bytes;
  }

  const Plan& plan_;
  State& state_;
  const PlanOptions& options_;
  std::map<std::string, Entry> sources_;
  std::map<std::string, Bytes> values_;
  std::vector<std::string> problems_;
  std::vector<std::string> generated_;
};

// Everything that decides the content of one sealed file, as one digest.
std::string input_digest(const Secret& secret, Scope scope, Format format,
                         const SealingCertificate& cert) {
  nlohmann::json j;
  j["v"] = 1;
  j["key"] = cert.key.public_key_digest();
  j["scope"] = scope_name(scope);
  j["format"] = format == Format::json ? "json" : "yaml";
  j["namespace"] = secret.ns;
  j["name"] = secret.name;
  j["type"] = secret.type;
  j["labels"] = secret.labels;
  j["annotations"] = secret.annotations;
  for (const auto& [key, value] : secret.data) j["data"][key] = core::base64_encode(value);
  return sha256_hex(j.dump());
}

std::optional<std::string> file_digest(const fs::path& path) {
  auto text = core::read_file(path.string(), 16 << 20);
  if (!text) return std::nullopt;
  return sha256_hex(*text);
}

}  // namespace

const char* change_name(Change change, bool dry_run) {
  switch (change) {
    case Change::created:
      return dry_run ? "would create" : "created";
    case Change::updated:
      return dry_run ? "would update" : "updated";
    case Change::unchanged:
      return "unchanged";
  }
  return "unchanged";
}

bool PlanReport::changes() const {
  if (!generated.empty()) return true;
  for (const auto& o : outputs)
    if (o.change != Change::unchanged) return true;
  return false;
}

core::Result<PlanReport> apply_plan(const Plan& plan, const SealingCertificate& cert,
                                    const PlanOptions& options) {
  PlanReport report;
  const fs::path state_dir = options.state_dir.empty() ? plan.dir / ".iot-seal" : options.state_dir;
  report.state_file = state_dir / "state.json";
  auto loaded = read_state(report.state_file);
  if (!loaded) return loaded.error();
  State state = std::move(*loaded);

  Resolver resolver(plan, state, options);
  const auto values = resolver.resolve_all();
  if (!resolver.problems().empty()) {
    std::string m = plan.source + ": " + std::to_string(resolver.problems().size()) +
                    (resolver.problems().size() == 1 ? " problem" : " problems") +
                    ", nothing was written:";
    for (const auto& p : resolver.problems()) m += "\n  " + p;
    return Error::failure(m);
  }
  report.generated = resolver.generated();

  struct Pending {
    fs::path path;
    std::string contents;
  };
  std::vector<Pending> writes;
  for (const auto& s : plan.secrets)
    for (const auto& target : s.targets) {
      Secret secret;
      secret.name = s.name;
      secret.ns = target.ns;
      secret.type = s.type;
      secret.labels = s.labels;
      secret.annotations = s.annotations;
      for (const auto& [key, v] : s.keys) secret.data[key] = values.at(s.state_id(key));
      const std::string rel = fs::path(target.output).lexically_normal().string();
      const fs::path path = fs::path(target.output).is_absolute() ? fs::path(target.output)
                                                                  : plan.dir / target.output;
      const std::string digest = input_digest(secret, s.scope, plan.format, cert);
      const auto on_disk = file_digest(path);
      const auto known = state.sealed.find(rel);
      OutputReport out{rel, target.ns, s.name, Change::unchanged};
      if (!on_disk)
        out.change = Change::created;
      else if (known == state.sealed.end() || known->second.input != digest ||
               known->second.file != *on_disk)
        out.change = Change::updated;
      report.outputs.push_back(out);
      if (out.change == Change::unchanged) continue;
      SealOptions seal_options;
      seal_options.scope = s.scope;
      auto sealed = seal_secret(std::move(secret), cert.key, seal_options);
      if (!sealed) return sealed.error();
      std::string text = format_sealed(*sealed, plan.format);
      state.sealed[rel] = {digest, sha256_hex(text)};
      writes.push_back({path, std::move(text)});
    }
  if (options.dry_run) return report;

  // Generated values reach the disk before any file sealed with them.
  if (!report.generated.empty() || !writes.empty()) {
    if (auto st = write_state(report.state_file, state); !st) return st.error();
  }
  for (const auto& w : writes) {
    std::error_code ec;
    if (w.path.has_parent_path()) fs::create_directories(w.path.parent_path(), ec);
    if (ec)
      return Error::failure(w.path.parent_path().string() + ": cannot create: " + ec.message());
    const auto mode = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                      fs::perms::others_read;
    if (auto st = core::write_file(w.path.string(), w.contents, mode); !st) return st.error();
  }
  return report;
}

}  // namespace iotfleet::seal

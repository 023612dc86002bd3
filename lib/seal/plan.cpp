#include "seal/plan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/files.hpp"

namespace iotfleet::seal {
namespace {

using core::Error;

constexpr std::size_t kMaxPlanBytes = 4 << 20;
constexpr std::size_t kMaxGenerated = 4096;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> named_alphabet(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> sets{
      {"alnum", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"},
      {"alpha", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
      {"lower", "abcdefghijklmnopqrstuvwxyz0123456789"},
      {"upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"},
      {"digits", "0123456789"},
      {"hex", "0123456789abcdef"},
      {"base64url", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"},
  };
  const auto it = sets.find(name);
  if (it == sets.end()) return std::nullopt;
  return it->second;
}

// Collects problems while parsing, each prefixed with where it is.
class Problems {
 public:
  void add(std::string where, std::string what) { items_.push_back(where + ": " + what); }
  bool empty() const { return items_.empty(); }
  core::Error error(const std::string& source) const {
    std::string m = source + ": " + std::to_string(items_.size()) +
                    (items_.size() == 1 ? " problem" : " problems") + ", nothing was written:";
    for (const auto& item : items_) m += "\n  " + item;
    return Error::failure(m);
  }

 private:
  std::vector<std::string> items_;
};

bool is_scalar(const YAML::Node& n) { return n && n.IsScalar(); }

void check_fields(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                  const std::string& where, Problems& problems) {
  for (const auto& kv : map) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      problems.add(where, "unknown field '" + key + "' (expected one of: " + list + ")");
    }
  }
}

StringMap string_map(const YAML::Node& node, const std::string& where, Problems& problems) {
  StringMap out;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap()) {
    problems.add(where, "must be a map of strings");
    return out;
  }
  for (const auto& kv : node) {
    if (!is_scalar(kv.first) || !is_scalar(kv.second)) {
      problems.add(where, "must be a map of strings");
      continue;
    }
    out[kv.first.Scalar()] = kv.second.Scalar();
  }
  return out;
}

void parse_generate(const YAML::Node& spec, ValueSource& v, const std::string& where,
                    Problems& problems) {
  v.kind = ValueSource::Kind::generate;
  v.alphabet = *named_alphabet("alnum");
  if (is_scalar(spec)) {
    const std::string s = spec.Scalar();
    // hexN: N hexadecimal characters (hex32 is OS2IoT's symmetric key).
    if (s.starts_with("hex") && s.size() > 3 && std::all_of(s.begin() + 3, s.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      v.length = std::stoul(s.substr(3));
      v.alphabet = *named_alphabet("hex");
    } else {
      problems.add(where,
                   "generate: '" + s + "' is not understood (use hex32, or {length, alphabet})");
      return;
    }
  } else if (spec && spec.IsMap()) {
    check_fields(spec, {"length", "alphabet"}, where + " generate", problems);
    if (spec["length"]) {
      try {
        const long long n = spec["length"].as<long long>();
        if (n < 1 || n > static_cast<long long>(kMaxGenerated)) throw YAML::Exception({}, "");
        v.length = static_cast<std::size_t>(n);
      } catch (const YAML::Exception&) {
        problems.add(where,
                     "generate.length must be a number from 1 to " + std::to_string(kMaxGenerated));
        return;
      }
    }
    if (spec["alphabet"]) {
      const std::string a = is_scalar(spec["alphabet"]) ? spec["alphabet"].Scalar() : "";
      if (auto named = named_alphabet(a)) {
        v.alphabet = *named;
      } else {
        std::set<char> distinct(a.begin(), a.end());
        if (distinct.size() < 2) {
          problems.add(where,
                       "generate.alphabet must be alnum, alpha, lower, upper, digits, hex, "
                       "base64url, or at least two distinct characters");
          return;
        }
        v.alphabet.assign(distinct.begin(), distinct.end());
      }
    }
  } else {
    problems.add(where, "generate must be hex32 or {length, alphabet}");
    return;
  }
  if (v.length < 1 || v.length > kMaxGenerated)
    problems.add(where, "generated length must be from 1 to " + std::to_string(kMaxGenerated));
}

ValueSource parse_value(const YAML::Node& node, const std::string& where, Problems& problems) {
  ValueSource v;
  if (is_scalar(node)) {
    v.text = node.Scalar();
    return v;
  }
  if (!node || node.IsNull()) {
    problems.add(where, "has no value (give a literal, generate, from-file, from-env or same-as)");
    return v;
  }
  if (!node.IsMap() || node.size() != 1) {
    problems.add(where,
                 "must be a literal or exactly one of generate, from-file, from-env, "
                 "same-as, literal");
    return v;
  }
  const std::string kind = node.begin()->first.Scalar();
  const YAML::Node arg = node.begin()->second;
  if (kind == "generate") {
    parse_generate(arg, v, where, problems);
    return v;
  }
  static const std::map<std::string, ValueSource::Kind, std::less<>> kinds{
      {"from-file", ValueSource::Kind::from_file},
      {"from-env", ValueSource::Kind::from_env},
      {"same-as", ValueSource::Kind::same_as},
      {"literal", ValueSource::Kind::literal}};
  const auto it = kinds.find(kind);
  if (it == kinds.end()) {
    problems.add(where, "unknown value source '" + kind +
                            "' (expected generate, from-file, from-env, same-as or literal)");
    return v;
  }
  if (!is_scalar(arg) || (arg.Scalar().empty() && it->second != ValueSource::Kind::literal)) {
    problems.add(where, kind + " needs a string");
    return v;
  }
  v.kind = it->second;
  v.text = arg.Scalar();
  return v;
}

std::string expand(std::string pattern, const std::string& ns, const std::string& name) {
  for (const auto& [token, value] :
       {std::pair{std::string("{namespace}"), ns}, std::pair{std::string("{name}"), name}}) {
    for (std::size_t at = pattern.find(token); at != std::string::npos;
         at = pattern.find(token, at + value.size()))
      pattern.replace(at, token.size(), value);
  }
  return pattern;
}

// Kubernetes object names: DNS-1123 subdomain (lower-case alphanumerics, '-', '.').
bool valid_name(const std::string& s) {
  return !s.empty() && s.size() <= 253 &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") == std::string::npos &&
         std::isalnum(static_cast<unsigned char>(s.front())) &&
         std::isalnum(static_cast<unsigned char>(s.back()));
}

PlanSecret parse_secret(const YAML::Node& node, std::size_t index,
                        const std::string& default_output, Scope default_scope, Format format,
                        Problems& problems) {
  PlanSecret s;
  s.scope = default_scope;
  std::string where = "secrets[" + std::to_string(index) + "]";
  if (!node.IsMap()) {
    problems.add(where, "must be a map");
    return s;
  }
  check_fields(node,
               {"name", "namespace", "namespaces", "type", "labels", "annotations", "scope",
                "output", "keys"},
               where, problems);
  s.name = is_scalar(node["name"]) ? node["name"].Scalar() : "";
  if (!valid_name(s.name)) problems.add(where, "name '" + s.name + "' is not a valid Secret name");
  where = "secret " + s.name;
  const std::string ext = format == Format::json ? ".json" : ".yaml";
  const std::string pattern = is_scalar(node["output"])
                                  ? node["output"].Scalar()
                                  : default_output + "/{namespace}/{name}" + ext;
  std::vector<YAML::Node> targets;
  if (node["namespace"]) targets.push_back(node["namespace"]);
  if (node["namespaces"] && node["namespaces"].IsSequence())
    for (const auto& t : node["namespaces"]) targets.push_back(t);
  else if (node["namespaces"])
    problems.add(where, "namespaces must be a list");
  for (const auto& t : targets) {
    PlanTarget target;
    if (is_scalar(t)) {
      target.ns = t.Scalar();
    } else if (t.IsMap()) {
      check_fields(t, {"namespace", "output"}, where + " namespaces", problems);
      target.ns = is_scalar(t["namespace"]) ? t["namespace"].Scalar() : "";
      if (is_scalar(t["output"])) target.output = t["output"].Scalar();
    }
    if (!valid_name(target.ns)) {
      problems.add(where, "namespace '" + target.ns + "' is not a valid namespace name");
      continue;
    }
    if (target.output.empty()) target.output = expand(pattern, target.ns, s.name);
    s.targets.push_back(std::move(target));
  }
  if (s.targets.empty()) problems.add(where, "needs at least one namespace");
  if (is_scalar(node["type"])) s.type = node["type"].Scalar();
  s.labels = string_map(node["labels"], where + " labels", problems);
  s.annotations = string_map(node["annotations"], where + " annotations", problems);
  if (node["scope"]) {
    auto scope = parse_scope(is_scalar(node["scope"]) ? node["scope"].Scalar() : "?");
    if (scope)
      s.scope = *scope;
    else
      problems.add(where, scope.error().message);
  }
  const YAML::Node keys = node["keys"];
  if (!keys || !keys.IsMap() || keys.size() == 0) {
    problems.add(where, "needs keys: a map from each key to its value");
    return s;
  }
  for (const auto& kv : keys) {
    const std::string key = is_scalar(kv.first) ? kv.first.Scalar() : "";
    const std::string key_where = where + ", key " + key;
    if (key.empty() || key.find_first_not_of(
                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") !=
                           std::string::npos) {
      problems.add(key_where, "is not a valid Secret key (letters, digits, '-', '_', '.')");
      continue;
    }
    s.keys.emplace_back(key, parse_value(kv.second, key_where, problems));
  }
  return s;
}

// A same-as reference: "name/key" (name unique in the plan) or "namespace/name/key".
const PlanSecret* find_reference(const Plan& plan, const std::string& ref, std::string& key) {
  const auto last = ref.rfind('/');
  if (last == std::string::npos) return nullptr;
  key = ref.substr(last + 1);
  const std::string head = ref.substr(0, last);
  const auto slash = head.find('/');
  const std::string ns = slash == std::string::npos ? "" : head.substr(0, slash);
  const std::string name = slash == std::string::npos ? head : head.substr(slash + 1);
  const PlanSecret* found = nullptr;
  for (const auto& s : plan.secrets) {
    if (s.name != name) continue;
    if (!ns.empty() &&
        std::none_of(s.targets.begin(), s.targets.end(), [&](const auto& t) { return t.ns == ns; }))
      continue;
    if (found) return nullptr;  // ambiguous
    found = &s;
  }
  return found;
}

}  // namespace

std::string PlanSecret::state_id(const std::string& key) const {
  return (targets.empty() ? std::string() : targets.front().ns) + "/" + name + "/" + key;
}

std::optional<std::string> placeholder_reason(std::string_view value) {
  const std::string text = lower(value);
  if (text.find("your_") != std::string::npos) return "contains 'YOUR_'";
  if (text.find("changeme") != std::string::npos) return "contains 'changeme'";
  if (text.find("hunter2") != std::string::npos)
    return "contains 'hunter2' (OS2IoT's default admin password)";
  // "<something>" as the whole value or as a whole line (e.g. inside a PEM block).
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find('\n', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view line = value.substr(start, end - start);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t' || line.front() == '"'))
      line.remove_prefix(1);
    while (!line.empty() &&
           (line.back() == ' ' || line.back() == '\t' || line.back() == '\r' || line.back() == '"'))
      line.remove_suffix(1);
    if (line.size() >= 3 && line.front() == '<' && line.back() == '>' &&
        line.substr(1, line.size() - 2).find_first_of("<>") == std::string_view::npos)
      return "is a '<...>' placeholder";
    start = end + 1;
  }
  return std::nullopt;
}

core::Result<Plan> parse_plan(std::string_view text, const std::string& path) {
  Plan plan;
  plan.source = path;
  plan.dir = std::filesystem::path(path).parent_path();
  if (plan.dir.empty()) plan.dir = ".";
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Error::failure(path + ": not valid YAML: line " + std::to_string(e.mark.line + 1) +
                          ": " + e.msg);
  }
  if (!root.IsMap()) return Error::failure(path + ": a plan is a YAML map with kind: SecretsPlan");
  Problems problems;
  check_fields(root, {"apiVersion", "kind", "cert", "scope", "format", "output", "secrets"}, "plan",
               problems);
  if (!is_scalar(root["kind"]) || root["kind"].Scalar() != "SecretsPlan")
    problems.add("plan", "kind must be SecretsPlan");
  if (is_scalar(root["cert"])) plan.cert = root["cert"].Scalar();
  Scope scope = Scope::strict;
  if (root["scope"]) {
    auto s = parse_scope(is_scalar(root["scope"]) ? root["scope"].Scalar() : "?");
    if (s)
      scope = *s;
    else
      problems.add("plan", s.error().message);
  }
  if (root["format"]) {
    auto f = parse_format(is_scalar(root["format"]) ? root["format"].Scalar() : "?");
    if (f)
      plan.format = *f;
    else
      problems.add("plan", f.error().message);
  }
  const std::string output = is_scalar(root["output"]) ? root["output"].Scalar() : "sealed";
  if (!root["secrets"] || !root["secrets"].IsSequence() || root["secrets"].size() == 0)
    problems.add("plan", "secrets must be a non-empty list");
  else
    for (std::size_t i = 0; i < root["secrets"].size(); ++i)
      plan.secrets.push_back(
          parse_secret(root["secrets"][i], i, output, scope, plan.format, problems));

  // Each Secret once per namespace, each output file written by one Secret only.
  std::set<std::string> seen_secrets, seen_outputs;
  for (const auto& s : plan.secrets)
    for (const auto& t : s.targets) {
      if (!seen_secrets.insert(t.ns + "/" + s.name).second)
        problems.add("secret " + s.name, "appears twice in namespace " + t.ns);
      const std::string out = std::filesystem::path(t.output).lexically_normal().string();
      if (!seen_outputs.insert(out).second)
        problems.add("secret " + s.name,
                     "output " + t.output + " is written by another Secret too");
    }
  // same-as must lead, in a few steps, to a value that is not itself a reference.
  for (auto& s : plan.secrets)
    for (auto& [key, v] : s.keys) {
      if (v.kind != ValueSource::Kind::same_as) continue;
      const ValueSource* cur = &v;
      std::string ref_key;
      for (int depth = 0; cur && cur->kind == ValueSource::Kind::same_as; ++depth) {
        const PlanSecret* target = depth < 8 ? find_reference(plan, cur->text, ref_key) : nullptr;
        cur = nullptr;
        if (target)
          for (const auto& [k, tv] : target->keys)
            if (k == ref_key) cur = &tv;
        if (depth == 0 && cur) v.ref_id = target->state_id(ref_key);
      }
      if (!cur)
        problems.add("secret " + s.name + ", key " + key,
                     "same-as '" + v.text +
                         "' names no key of the plan (use name/key or namespace/name/key)");
    }
  if (!problems.empty()) return problems.error(path);
  return plan;
}

core::Result<Plan> load_plan(const std::string& path) {
  auto text = core::read_file(path, kMaxPlanBytes);
  if (!text) return text.error();
  return parse_plan(*text, path);
}

}  // namespace iotfleet::seal

#include "seal/document.hpp"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "seal/yaml_emit.hpp"

namespace iotfleet::seal {
namespace {

using core::Error;
using core::Failure;

constexpr std::string_view kSealedApiVersion = "bitnami.com/v1alpha1";

// A problem inside one document; turned into "<source>: document N (...): message".
struct DocError {
  std::string message;
};

std::string scalar(const YAML::Node& node, const std::string& field) {
  if (!node || node.IsNull()) return {};
  if (!node.IsScalar()) throw DocError{field + " must be a string"};
  return node.Scalar();
}

StringMap string_map(const YAML::Node& node, const std::string& field) {
  StringMap out;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap()) throw DocError{field + " must be a map of strings"};
  for (const auto& kv : node) {
    const std::string key = scalar(kv.first, field + " key");
    out[key] = scalar(kv.second, field + "." + key);
  }
  return out;
}

std::optional<bool> boolean(const YAML::Node& node, const std::string& field) {
  if (!node || node.IsNull()) return std::nullopt;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
    throw DocError{field + " must be true or false"};
  return value;
}

// Kubernetes' rule for data keys: [-._a-zA-Z0-9]+, not "." or "..".
void check_key(const std::string& key) {
  const bool ok = !key.empty() && key != "." && key != ".." && key.size() <= 253 &&
                  key.find_first_not_of(
                      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789-._") == std::string::npos;
  if (!ok)
    throw DocError{"key '" + key + "' is not a valid Secret key (letters, digits, '-', '_', '.')"};
}

// The documents of a stream, with List items flattened; null documents dropped.
std::vector<YAML::Node> documents(std::string_view text, const std::string& source) {
  std::vector<YAML::Node> docs;
  try {
    for (const YAML::Node& doc : YAML::LoadAll(std::string(text))) {
      if (!doc || doc.IsNull()) continue;
      if (doc.IsMap() && doc["kind"] && doc["kind"].IsScalar() && doc["kind"].Scalar() == "List") {
        for (const auto& item : doc["items"]) docs.push_back(item);
        continue;
      }
      docs.push_back(doc);
    }
  } catch (const YAML::Exception& e) {
    throw Failure(Error::failure(source + ": not valid YAML or JSON: line " +
                                 std::to_string(e.mark.line + 1) + ": " + e.msg));
  }
  if (docs.empty()) throw Failure(Error::failure(source + ": no documents found"));
  return docs;
}

std::string describe(const std::string& source, std::size_t index, const YAML::Node& doc) {
  std::string where = source + ": document " + std::to_string(index + 1);
  try {
    if (doc.IsMap() && doc["metadata"] && doc["metadata"]["name"] &&
        doc["metadata"]["name"].IsScalar())
      where += " (" + doc["metadata"]["name"].Scalar() + ")";
  } catch (const YAML::Exception&) {
  }
  return where;
}

void expect_kind(const YAML::Node& doc, std::string_view kind, std::string_view api_version) {
  if (!doc.IsMap()) throw DocError{"is not a map"};
  const std::string actual = scalar(doc["kind"], "kind");
  if (actual != kind)
    throw DocError{actual.empty() ? "has no kind (expected " + std::string(kind) + ")"
                                  : "is a " + actual + ", not a " + std::string(kind)};
  const std::string version = scalar(doc["apiVersion"], "apiVersion");
  if (!version.empty() && version != api_version)
    throw DocError{"apiVersion '" + version + "' is not " + std::string(api_version)};
}

Secret parse_secret(const YAML::Node& doc) {
  expect_kind(doc, "Secret", "v1");
  Secret s;
  const YAML::Node meta = doc["metadata"];
  if (meta && !meta.IsNull() && !meta.IsMap()) throw DocError{"metadata must be a map"};
  if (meta) {
    s.name = scalar(meta["name"], "metadata.name");
    s.ns = scalar(meta["namespace"], "metadata.namespace");
    s.labels = string_map(meta["labels"], "metadata.labels");
    s.annotations = string_map(meta["annotations"], "metadata.annotations");
  }
  s.type = scalar(doc["type"], "type");
  s.immutable = boolean(doc["immutable"], "immutable");
  for (const auto& [key, value] : string_map(doc["data"], "data")) {
    check_key(key);
    auto bytes = core::base64_decode(value);
    if (!bytes) throw DocError{"data." + key + " is not valid base64 (use stringData for text)"};
    s.data[key] = std::move(*bytes);
  }
  for (const auto& [key, value] : string_map(doc["stringData"], "stringData")) {
    check_key(key);
    s.data[key] = core::Bytes(value.begin(), value.end());
  }
  return s;
}

SealedSecret parse_sealed(const YAML::Node& doc) {
  expect_kind(doc, "SealedSecret", kSealedApiVersion);
  SealedSecret s;
  const YAML::Node meta = doc["metadata"];
  if (meta && meta.IsMap()) {
    s.name = scalar(meta["name"], "metadata.name");
    s.ns = scalar(meta["namespace"], "metadata.namespace");
    s.labels = string_map(meta["labels"], "metadata.labels");
    s.annotations = string_map(meta["annotations"], "metadata.annotations");
  }
  if (s.name.empty()) throw DocError{"has no metadata.name"};
  const YAML::Node spec = doc["spec"];
  if (!spec || !spec.IsMap()) throw DocError{"has no spec"};
  if (spec["data"] && !spec["data"].IsNull())
    throw DocError{"uses the deprecated single-blob spec.data, which is not supported"};
  s.encrypted_data = string_map(spec["encryptedData"], "spec.encryptedData");
  const YAML::Node templ = spec["template"];
  if (templ && templ.IsMap()) {
    if (templ["data"] && !templ["data"].IsNull())
      throw DocError{"uses spec.template.data (templated values), which is not supported"};
    const YAML::Node tmeta = templ["metadata"];
    if (tmeta && tmeta.IsMap()) {
      s.templ.name = scalar(tmeta["name"], "spec.template.metadata.name");
      s.templ.ns = scalar(tmeta["namespace"], "spec.template.metadata.namespace");
      s.templ.labels = string_map(tmeta["labels"], "spec.template.metadata.labels");
      s.templ.annotations = string_map(tmeta["annotations"], "spec.template.metadata.annotations");
    }
    s.templ.type = scalar(templ["type"], "spec.template.type");
    s.templ.immutable = boolean(templ["immutable"], "spec.template.immutable");
  }
  return s;
}

template <class T, class Parse>
core::Result<std::vector<T>> parse_all(std::string_view text, const std::string& source,
                                       Parse parse) {
  return core::capture([&] {
    std::vector<T> out;
    const auto docs = documents(text, source);
    for (std::size_t i = 0; i < docs.size(); ++i) {
      try {
        out.push_back(parse(docs[i]));
      } catch (const DocError& e) {
        throw Failure(Error::failure(describe(source, i, docs[i]) + ": " + e.message));
      } catch (const YAML::Exception& e) {
        throw Failure(Error::failure(describe(source, i, docs[i]) + ": " + e.msg));
      }
    }
    return out;
  });
}

StringMap scope_annotations(StringMap annotations, Scope scope) {
  annotations.erase(std::string(kNamespaceWideAnnotation));
  annotations.erase(std::string(kClusterWideAnnotation));
  if (scope == Scope::namespace_wide) annotations[std::string(kNamespaceWideAnnotation)] = "true";
  if (scope == Scope::cluster_wide) annotations[std::string(kClusterWideAnnotation)] = "true";
  return annotations;
}

Scope scope_of(const StringMap& annotations) {
  const auto is_true = [&](std::string_view key) {
    const auto it = annotations.find(std::string(key));
    return it != annotations.end() && it->second == "true";
  };
  if (is_true(kClusterWideAnnotation)) return Scope::cluster_wide;
  if (is_true(kNamespaceWideAnnotation)) return Scope::namespace_wide;
  return Scope::strict;
}

template <class Json>
Json metadata_json(const std::string& name, const std::string& ns, const StringMap& labels,
                   const StringMap& annotations) {
  Json meta = Json::object();
  if (!name.empty()) meta["name"] = name;
  if (!ns.empty()) meta["namespace"] = ns;
  if (!labels.empty()) meta["labels"] = labels;
  if (!annotations.empty()) meta["annotations"] = annotations;
  return meta;
}

template <class Json>
Json sealed_json(const SealedSecret& s) {
  Json templ = Json::object();
  templ["metadata"] =
      metadata_json<Json>(s.templ.name, s.templ.ns, s.templ.labels, s.templ.annotations);
  if (!s.templ.type.empty()) templ["type"] = s.templ.type;
  if (s.templ.immutable) templ["immutable"] = *s.templ.immutable;
  Json doc = Json::object();
  doc["kind"] = "SealedSecret";
  doc["apiVersion"] = kSealedApiVersion;
  doc["metadata"] = metadata_json<Json>(s.name, s.ns, s.labels, s.annotations);
  doc["spec"] = Json::object();
  doc["spec"]["template"] = std::move(templ);
  doc["spec"]["encryptedData"] = s.encrypted_data;
  return doc;
}

template <class Json>
Json secret_json(const Secret& s) {
  Json doc = Json::object();
  doc["kind"] = "Secret";
  doc["apiVersion"] = "v1";
  doc["metadata"] = metadata_json<Json>(s.name, s.ns, s.labels, s.annotations);
  if (s.immutable) doc["immutable"] = *s.immutable;
  Json data = Json::object();
  for (const auto& [key, value] : s.data) data[key] = core::base64_encode(value);
  doc["data"] = std::move(data);
  if (!s.type.empty()) doc["type"] = s.type;
  return doc;
}

}  // namespace

Scope SealedSecret::scope() const { return scope_of(annotations); }

core::Result<Format> parse_format(std::string_view text) {
  if (text == "json") return Format::json;
  if (text == "yaml") return Format::yaml;
  return Error::usage("unknown format '" + std::string(text) + "': must be json or yaml");
}

core::Result<std::vector<Secret>> parse_secrets(std::string_view text, const std::string& source) {
  return parse_all<Secret>(text, source, parse_secret);
}

core::Result<std::vector<SealedSecret>> parse_sealed_secrets(std::string_view text,
                                                             const std::string& source) {
  return parse_all<SealedSecret>(text, source, parse_sealed);
}

core::Result<SealedSecret> seal_secret(Secret secret, const RsaKey& public_key,
                                       const SealOptions& options) {
  if (!options.name.empty()) secret.name = options.name;
  if (!options.ns.empty()) secret.ns = options.ns;
  if (secret.name.empty())
    return Error::failure("the Secret has no metadata.name", "add one, or give --name");
  if (secret.data.empty() && !options.allow_empty_data)
    return Error::failure("Secret " + secret.name + " has no data or stringData: nothing to seal");
  if (options.scope && *options.scope != Scope::strict)
    secret.annotations = scope_annotations(std::move(secret.annotations), *options.scope);
  const Scope scope = scope_of(secret.annotations);
  if (scope != Scope::cluster_wide && secret.ns.empty())
    return Error::failure("Secret " + secret.name + " has no metadata.namespace",
                          "add one, give --namespace, or seal with --scope cluster-wide");
  SealedSecret out;
  out.name = secret.name;
  out.ns = secret.ns;
  out.annotations = scope_annotations({}, scope);
  out.templ.name = secret.name;
  out.templ.ns = secret.ns;
  out.templ.labels = secret.labels;
  out.templ.annotations = secret.annotations;
  // kubectl apply keeps a full copy of the object, values included, in this annotation.
  out.templ.annotations.erase("kubectl.kubernetes.io/last-applied-configuration");
  out.templ.annotations.erase("kubecfg.ksonnet.io/last-applied-configuration");
  out.templ.type = secret.type;
  out.templ.immutable = secret.immutable;
  const std::string label = encryption_label(scope, secret.ns, secret.name);
  return core::capture([&] {
    for (const auto& [key, value] : secret.data)
      out.encrypted_data[key] = core::base64_encode(hybrid_encrypt(public_key, value, label));
    return out;
  });
}

std::string format_sealed(const SealedSecret& sealed, Format format) {
  if (format == Format::json) return sealed_json<nlohmann::ordered_json>(sealed).dump(2) + "\n";
  return "---\n" + to_yaml(sealed_json<nlohmann::json>(sealed));
}

std::string format_secret(const Secret& secret, Format format) {
  if (format == Format::json) return secret_json<nlohmann::ordered_json>(secret).dump(2) + "\n";
  return "---\n" + to_yaml(secret_json<nlohmann::json>(secret));
}

core::Result<Secret> unseal(const SealedSecret& sealed, std::span<const RsaKey> keys) {
  Secret s;
  s.name = sealed.name;
  s.ns = sealed.ns;
  s.labels = sealed.templ.labels;
  s.annotations = sealed.templ.annotations;
  s.type = sealed.templ.type;
  s.immutable = sealed.templ.immutable;
  const std::string label = encryption_label(sealed.scope(), sealed.ns, sealed.name);
  std::vector<std::string> failed;
  for (const auto& [key, value] : sealed.encrypted_data) {
    const auto bytes = core::base64_decode(value);
    std::optional<core::Bytes> plain;
    if (bytes) plain = hybrid_decrypt(keys, *bytes, label);
    if (!plain) {
      failed.push_back(key);
      continue;
    }
    s.data[key] = std::move(*plain);
  }
  if (!failed.empty()) {
    std::string list;
    for (const auto& k : failed) list += (list.empty() ? "" : ", ") + k;
    const std::string where = sealed.ns.empty() ? sealed.name : sealed.ns + "/" + sealed.name;
    return Error::failure(
        "SealedSecret " + where + ": cannot decrypt " + list + " (scope " +
            scope_name(sealed.scope()) + ")",
        "the value was sealed with another controller key, for another namespace/name or scope, or "
        "was damaged");
  }
  return s;
}

}  // namespace iotfleet::seal

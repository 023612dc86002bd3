// lib/seal/document + stream: Secrets in, SealedSecrets out, as kubeseal writes them.
#include "seal/document.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "seal/stream.hpp"
#include "seal/yaml_emit.hpp"
#include "seal_fixtures.hpp"

namespace iotfleet::seal {
namespace {

using seal_test::fixture;
using seal_test::text;

TEST(ParseSecrets, FixtureSecretMergesDataAndStringData) {
  auto secrets = parse_secrets(fixture("secret.yaml"), "secret.yaml");
  ASSERT_TRUE(secrets.ok()) << secrets.error().message;
  ASSERT_EQ(secrets->size(), 1u);
  const Secret& s = secrets->front();
  EXPECT_EQ(s.name, "ca-keys");
  EXPECT_EQ(s.ns, "os2iot-backend");
  EXPECT_EQ(s.type, "Opaque");
  ASSERT_EQ(s.data.size(), 3u);
  EXPECT_EQ(text(s.data.at("password")), "ca-keys-test-only-2026");
  EXPECT_EQ(s.data.at("ca.crt").size(), 692u);
  EXPECT_EQ(s.data.at("ca.der").size(), 469u);
  EXPECT_TRUE(text(s.data.at("ca.crt")).ends_with("-----END CERTIFICATE-----\n"));
}

TEST(ParseSecrets, StringDataWinsLikeKubernetes) {
  auto s = parse_secrets(
      "kind: Secret\napiVersion: v1\nmetadata: {name: a, namespace: b}\n"
      "data: {k: b2xk}\nstringData: {k: new}\n",
      "in");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(text(s->front().data.at("k")), "new");
}

TEST(ParseSecrets, MultiDocumentListAndJson) {
  const std::string stream =
      "---\nkind: Secret\nmetadata: {name: one, namespace: ns}\nstringData: {a: '1'}\n"
      "---\n# only a comment\n"
      "---\nkind: List\napiVersion: v1\nitems:\n"
      "- {kind: Secret, metadata: {name: two, namespace: ns}, stringData: {b: '2'}}\n"
      "- {kind: Secret, metadata: {name: three, namespace: ns}, stringData: {c: '3'}}\n"
      "---\n{\"kind\": \"Secret\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"four\", "
      "\"namespace\": \"ns\"},"
      " \"data\": {\"d\": \"NA==\"}}\n";
  auto secrets = parse_secrets(stream, "in");
  ASSERT_TRUE(secrets.ok()) << secrets.error().message;
  ASSERT_EQ(secrets->size(), 4u);
  EXPECT_EQ((*secrets)[3].name, "four");
  EXPECT_EQ(text((*secrets)[3].data.at("d")), "4");
}

TEST(ParseSecrets, BadInputNamesTheDocument) {
  auto r = parse_secrets(
      "kind: Secret\nmetadata: {name: a}\n---\nkind: ConfigMap\nmetadata: {name: cm}\n", "in.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "in.yaml: document 2 (cm): is a ConfigMap, not a Secret");
  r = parse_secrets("kind: Secret\nmetadata: {name: a}\ndata: {k: 'not base64!'}\n", "in");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("data.k is not valid base64"), std::string::npos);
  r = parse_secrets("kind: Secret\nmetadata: {name: a}\nstringData: {'bad/key': x}\n", "in");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a valid Secret key"), std::string::npos);
  r = parse_secrets("kind: Secret\nmetadata: [1\n", "in");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not valid YAML"), std::string::npos);
  r = parse_secrets("", "in");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no documents"), std::string::npos);
}

TEST(SealSecret, CopiesMetadataIntoTheTemplateAndOpensWithTheFixtureKey) {
  auto secrets = parse_secrets(
      "kind: Secret\napiVersion: v1\nmetadata:\n  name: db\n  namespace: postgres\n"
      "  labels: {app: os2iot}\n  annotations:\n    note: 'yes'\n"
      "    kubectl.kubernetes.io/last-applied-configuration: "
      "'{\"data\":{\"password\":\"c2VjcmV0\"}}'\n"
      "type: kubernetes.io/basic-auth\nimmutable: true\nstringData: {username: os2iot, password: "
      "s3cret}\n",
      "in");
  ASSERT_TRUE(secrets.ok());
  auto sealed = seal_secret(secrets->front(), seal_test::controller_cert().key);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  EXPECT_EQ(sealed->templ.labels.at("app"), "os2iot");
  EXPECT_EQ(sealed->templ.annotations.size(),
            1u);  // the last-applied copy (with values) is dropped
  EXPECT_EQ(sealed->templ.type, "kubernetes.io/basic-auth");
  EXPECT_EQ(sealed->templ.immutable, true);
  EXPECT_TRUE(sealed->annotations.empty());  // strict: no scope annotation
  const auto keys = seal_test::controller_keys();
  auto back = unseal(*sealed, keys);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(text(back->data.at("password")), "s3cret");
  EXPECT_EQ(back->type, "kubernetes.io/basic-auth");
}

TEST(SealSecret, ScopeAnnotationsAndLabels) {
  const auto cert = seal_test::controller_cert();
  const auto keys = seal_test::controller_keys();
  Secret s{"ca-keys", "os2iot-backend", "Opaque", {}, {}, std::nullopt, {{"k", core::Bytes{'v'}}}};
  for (Scope scope : {Scope::namespace_wide, Scope::cluster_wide}) {
    SealOptions options;
    options.scope = scope;
    auto sealed = seal_secret(s, cert.key, options);
    ASSERT_TRUE(sealed.ok());
    const std::string annotation(scope == Scope::namespace_wide ? kNamespaceWideAnnotation
                                                                : kClusterWideAnnotation);
    EXPECT_EQ(sealed->annotations.at(annotation), "true");
    EXPECT_EQ(sealed->templ.annotations.at(annotation), "true");
    EXPECT_EQ(sealed->scope(), scope);
    const auto ct = core::base64_decode(sealed->encrypted_data.at("k"));
    EXPECT_TRUE(hybrid_decrypt(keys, *ct, encryption_label(scope, "os2iot-backend", "ca-keys")));
    EXPECT_FALSE(hybrid_decrypt(keys, *ct, "os2iot-backend/ca-keys"));
  }
  // Without --scope the Secret's own annotation decides, as in kubeseal.
  Secret annotated = s;
  annotated.annotations[std::string(kClusterWideAnnotation)] = "true";
  annotated.ns.clear();  // cluster-wide needs no namespace
  auto sealed = seal_secret(annotated, cert.key);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  EXPECT_EQ(sealed->scope(), Scope::cluster_wide);
}

TEST(SealSecret, RefusesWhatKubesealRefuses) {
  const auto cert = seal_test::controller_cert();
  Secret s{"x", "", "", {}, {}, std::nullopt, {{"k", core::Bytes{'v'}}}};
  auto r = seal_secret(s, cert.key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no metadata.namespace"), std::string::npos);
  SealOptions with_ns;
  with_ns.ns = "given";
  EXPECT_TRUE(seal_secret(s, cert.key, with_ns).ok());
  s.ns = "n";
  s.data.clear();
  r = seal_secret(s, cert.key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nothing to seal"), std::string::npos);
  s.name.clear();
  EXPECT_FALSE(seal_secret(s, cert.key, {std::nullopt, "", "", true}).ok());
}

TEST(Format, YamlIsSortedWithLeadingSeparatorAndQuotedTrue) {
  SealedSecret s;
  s.name = "ca-keys";
  s.ns = "os2iot-backend";
  s.annotations[std::string(kNamespaceWideAnnotation)] = "true";
  s.templ = {"ca-keys", "os2iot-backend", {}, {{std::string(kNamespaceWideAnnotation), "true"}},
             "Opaque",  std::nullopt};
  s.encrypted_data = {{"password", "AgB="}, {"ca.crt", "AgA="}};
  const std::string yaml = format_sealed(s, Format::yaml);
  EXPECT_EQ(yaml,
            "---\n"
            "apiVersion: bitnami.com/v1alpha1\n"
            "kind: SealedSecret\n"
            "metadata:\n"
            "  annotations:\n"
            "    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n"
            "  name: ca-keys\n"
            "  namespace: os2iot-backend\n"
            "spec:\n"
            "  encryptedData:\n"
            "    ca.crt: AgA=\n"
            "    password: AgB=\n"
            "  template:\n"
            "    metadata:\n"
            "      annotations:\n"
            "        sealedsecrets.bitnami.com/namespace-wide: \"true\"\n"
            "      name: ca-keys\n"
            "      namespace: os2iot-backend\n"
            "    type: Opaque\n");
  const auto j = nlohmann::ordered_json::parse(format_sealed(s, Format::json));
  std::vector<std::string> order;
  for (const auto& [k, v] : j.items()) order.push_back(k);
  EXPECT_EQ(order, (std::vector<std::string>{"kind", "apiVersion", "metadata", "spec"}));
  EXPECT_EQ(j["spec"].begin().key(), "template");
  // What we print reads back the same.
  auto parsed = parse_sealed_secrets(yaml, "out");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->front().scope(), Scope::namespace_wide);
  EXPECT_EQ(parsed->front().encrypted_data, s.encrypted_data);
}

TEST(Format, QuotesWhatYamlWouldRetype) {
  for (const char* s : {"true", "False", "yes", "no", "on", "null", "~", "", "123", "0x1F", "1.5",
                        "-3", ".5", "2026-11-22"})
    EXPECT_TRUE(needs_quotes(s)) << s;
  for (const char* s : {"Opaque", "os2iot-backend", "AgBUl4e+/x==", "kubernetes.io/tls"})
    EXPECT_FALSE(needs_quotes(s)) << s;
}

TEST(Unseal, ExpectedFixtureDocumentOpens) {
  auto sealed =
      parse_sealed_secrets(fixture("expected-sealedsecret.yaml"), "expected-sealedsecret.yaml");
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  ASSERT_EQ(sealed->size(), 1u);
  const auto keys = seal_test::controller_keys();
  auto secret = unseal(sealed->front(), keys);
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  auto original = parse_secrets(fixture("secret.yaml"), "secret.yaml");
  EXPECT_EQ(secret->data, original->front().data);
  EXPECT_EQ(secret->type, "Opaque");

  // The same document moved to another namespace no longer opens, and says which keys fail.
  auto moved = sealed->front();
  moved.ns = "elsewhere";
  auto refused = unseal(moved, keys);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("cannot decrypt ca.crt, ca.der, password"),
            std::string::npos)
      << refused.error().message;
}

TEST(Stream, FixtureSecretRoundTripsInEveryScopeAndFormat) {
  const auto cert = seal_test::controller_cert();
  const auto keys = seal_test::controller_keys();
  auto original = parse_secrets(fixture("secret.yaml"), "secret.yaml").value().front();
  for (Scope scope : {Scope::strict, Scope::namespace_wide, Scope::cluster_wide})
    for (Format format : {Format::yaml, Format::json}) {
      SealOptions options;
      options.scope = scope;
      auto out = seal_stream(fixture("secret.yaml"), "secret.yaml", cert.key, options, format);
      ASSERT_TRUE(out.ok()) << out.error().message;
      auto validated = validate_stream(*out, "out", keys);
      ASSERT_TRUE(validated.ok()) << validated.error().message;
      EXPECT_EQ(validated->front().values, 3u);
      auto unsealed = unseal_stream(*out, "out", keys, Format::yaml);
      ASSERT_TRUE(unsealed.ok()) << unsealed.error().message;
      auto back = parse_secrets(*unsealed, "unsealed");
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_EQ(back->front().data, original.data);
    }
}

TEST(Stream, RawValuesNeedTheirNames) {
  const auto cert = seal_test::controller_cert();
  const auto keys = seal_test::controller_keys();
  auto raw = seal_raw(core::as_bytes("bar"), cert.key, Scope::strict, "ns", "name");
  ASSERT_TRUE(raw.ok());
  const auto bytes = core::base64_decode(*raw);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(text(*hybrid_decrypt(keys, *bytes, "ns/name")), "bar");
  EXPECT_EQ(seal_raw(core::as_bytes("bar"), cert.key, Scope::strict, "ns", "").error().kind,
            core::ErrorKind::usage);
  EXPECT_FALSE(seal_raw(core::as_bytes("bar"), cert.key, Scope::namespace_wide, "", "").ok());
  EXPECT_TRUE(seal_raw(core::as_bytes("bar"), cert.key, Scope::cluster_wide, "", "").ok());
}

}  // namespace
}  // namespace iotfleet::seal

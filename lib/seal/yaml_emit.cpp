#include "seal/yaml_emit.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace iotfleet::seal {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

template <class Json>
void emit(YAML::Emitter& out, const Json& v) {
  if (v.is_object()) {
    if (v.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    out << YAML::BeginMap;
    for (auto it = v.begin(); it != v.end(); ++it) {
      out << YAML::Key;
      if (needs_quotes(it.key())) out << YAML::DoubleQuoted;
      out << it.key() << YAML::Value;
      emit(out, it.value());
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    if (v.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out << YAML::BeginSeq;
    for (const auto& item : v) emit(out, item);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    const auto& s = v.template get_ref<const std::string&>();
    if (needs_quotes(s)) out << YAML::DoubleQuoted;
    out << s;
  } else if (v.is_boolean()) {
    out << (v.template get<bool>() ? "true" : "false");
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();
  }
}

template <class Json>
std::string render(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, value);
  std::string text = out.c_str();
  if (!text.ends_with("\n")) text += "\n";
  return text;
}

}  // namespace

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  static constexpr std::array<std::string_view, 14> words{"true", "false", "yes",   "no",   "on",
                                                          "off",  "y",     "n",     "null", "~",
                                                          ".inf", "-.inf", "+.inf", ".nan"};
  for (std::string_view w : words)
    if (iequals(s, w)) return true;
  // Anything that starts like a number (ints, floats, 0x.., 0o.., dates, times) is quoted.
  std::size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (i < s.size() && s[i] == '.') ++i;
  if (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) return true;
  // Leading or trailing blanks and control characters need quotes to survive.
  if (s.front() == ' ' || s.back() == ' ') return true;
  return false;
}

std::string to_yaml(const nlohmann::json& value) { return render(value); }
std::string to_yaml(const nlohmann::ordered_json& value) { return render(value); }

}  // namespace iotfleet::seal

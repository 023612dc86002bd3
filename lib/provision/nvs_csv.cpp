#include "provision/nvs_csv.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/encoding.hpp"
#include "core/files.hpp"

namespace iotfleet::provision::nvs {
namespace {

// Generous: an NVS partition of 16 MiB (the largest ESP32 flash) cannot hold more anyway.
constexpr std::size_t kMaxFileBytes = 16u << 20;
constexpr std::size_t kMaxReported = 20;

struct Record {
  std::size_t line;
  std::vector<std::string> fields;
};

// Splits the text into CSV records the way the generator sees them: physical lines starting
// with '#' are dropped before CSV parsing, blank lines give no record.
class Reader {
 public:
  explicit Reader(std::string text) : text_(std::move(text)) {}

  // nullopt at the end; throws nothing, reports errors through `error`.
  std::optional<Record> next(std::string& error) {
    while (pos_ < text_.size()) {
      const std::size_t eol = std::min(text_.find('\n', pos_), text_.size());
      const std::string_view line(text_.data() + pos_, eol - pos_);
      const bool blank = line.find_first_not_of(" \t") == std::string_view::npos;
      if (!line.empty() && line[0] != '#' && !blank) break;
      pos_ = eol + 1;
      ++line_;
    }
    if (pos_ >= text_.size()) return std::nullopt;
    Record record{line_, {}};
    while (true) {
      std::string field;
      if (text_[pos_] == '"') {
        if (!quoted(field, record.line, error)) return std::nullopt;
      } else {
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') {
          field.push_back(text_[pos_++]);
        }
      }
      record.fields.push_back(std::move(field));
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_++];
      if (c == '\n') {
        ++line_;
        break;
      }
      if (c != ',') {
        error = "line " + std::to_string(line_) + ": unexpected text after a closing quote";
        return std::nullopt;
      }
      if (pos_ >= text_.size()) {
        record.fields.emplace_back();
        break;
      }
    }
    return record;
  }

 private:
  bool quoted(std::string& field, std::size_t start_line, std::string& error) {
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) {
        error = "line " + std::to_string(start_line) + ": quoted field is never closed";
        return false;
      }
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
          continue;
        }
        return true;
      }
      if (c == '\n') ++line_;
      field.push_back(c);
    }
  }

  std::string text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// Python's universal newlines: "\r\n" and lone "\r" end lines too. A UTF-8 BOM is dropped.
std::string normalize(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<Value> parse_integer(std::string_view text) {
  text = trim(text);
  const bool negative = !text.empty() && text.front() == '-';
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (!negative || magnitude == 0) return Value{magnitude};
  constexpr std::uint64_t kMinMagnitude = std::uint64_t{1} << 63;
  if (magnitude > kMinMagnitude) return std::nullopt;
  return Value{magnitude == kMinMagnitude ? std::numeric_limits<std::int64_t>::min()
                                          : -static_cast<std::int64_t>(magnitude)};
}

const std::map<std::string_view, Type, std::less<>>& integer_encodings() {
  static const std::map<std::string_view, Type, std::less<>> table{
      {"u8", Type::u8},   {"i8", Type::i8},   {"u16", Type::u16}, {"i16", Type::i16},
      {"u32", Type::u32}, {"i32", Type::i32}, {"u64", Type::u64}, {"i64", Type::i64}};
  return table;
}

// The value of a string/hex2bin/base64/binary encoding, from a field or a file's contents.
std::optional<std::pair<Type, Value>> decode_varlen(std::string_view encoding, std::string_view raw,
                                                    std::string& problem) {
  if (encoding == "string") return std::pair{Type::string, Value{std::string(raw)}};
  if (encoding == "binary")
    return std::pair{Type::blob, Value{core::Bytes(raw.begin(), raw.end())}};
  if (encoding == "hex2bin") {
    if (auto bytes = core::hex_decode(trim(raw))) return std::pair{Type::blob, Value{*bytes}};
    problem = "hex2bin value is not an even number of hex digits";
    return std::nullopt;
  }
  if (encoding == "base64") {
    std::string compact;
    std::copy_if(raw.begin(), raw.end(), std::back_inserter(compact),
                 [](char c) { return !is_space(c); });
    if (auto bytes = core::base64_decode(compact)) return std::pair{Type::blob, Value{*bytes}};
    problem = "base64 value is not valid (standard alphabet, with padding)";
    return std::nullopt;
  }
  problem = "unsupported encoding `" + std::string(encoding) +
            "` (use u8, i8, u16, i16, u32, i32, u64, i64, string, hex2bin, base64 or binary; "
            "`file` rows take string, hex2bin, base64 or binary)";
  return std::nullopt;
}

bool is_wifi_key(std::string_view key) {
  static constexpr std::array<std::string_view, 5> keys{"ap.ssid", "ap.passwd", "ap.authmode",
                                                        "sta.ssid", "sta.pswd"};
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

core::Result<std::vector<Item>> parse_csv(std::string_view text,
                                          const std::filesystem::path& base_dir) {
  Reader reader(normalize(text));
  std::vector<std::string> problems;
  auto report = [&](std::size_t line, const std::string& message) {
    problems.push_back("line " + std::to_string(line) + ": " + message);
  };
  auto fail = [&]() {
    std::string message = problems.front();
    const std::size_t shown = std::min(problems.size(), kMaxReported);
    for (std::size_t i = 1; i < shown; ++i) message += "; " + problems[i];
    if (problems.size() > shown) {
      message += "; and " + std::to_string(problems.size() - shown) + " more";
    }
    return core::Error::failure(message);
  };

  std::string error;
  const auto header = reader.next(error);
  if (!header) {
    return core::Error::failure(error.empty() ? "the NVS CSV is empty: it needs the header "
                                                "line key,type,encoding,value"
                                              : error);
  }
  std::map<std::string, std::size_t, std::less<>> column;
  for (std::size_t i = 0; i < header->fields.size(); ++i) column.emplace(header->fields[i], i);
  for (const char* name : {"key", "type", "encoding", "value"}) {
    if (!column.contains(name)) {
      return core::Error::failure("line " + std::to_string(header->line) +
                                  ": the header must name the columns key,type,encoding,value");
    }
  }

  std::vector<Item> items;
  std::optional<std::string> ns;
  std::map<std::pair<std::string, std::string>, std::size_t> seen;
  while (auto record = reader.next(error)) {
    const std::size_t line = record->line;
    if (record->fields.size() > header->fields.size()) {
      report(line, std::to_string(record->fields.size()) + " fields, but the header has " +
                       std::to_string(header->fields.size()) +
                       " (put values that hold commas in double quotes)");
      continue;
    }
    record->fields.resize(header->fields.size());
    auto field = [&](std::string_view name) -> const std::string& {
      return record->fields[column.find(name)->second];
    };
    const std::string& key = field("key");
    const std::string& type = field("type");
    const std::string& encoding = field("encoding");
    const std::string& value = field("value");

    if (type == "namespace") {
      if (key.empty() || key.size() > max_key_length) {
        report(line, "namespace name `" + key + "` must have 1 to 15 characters");
      } else {
        ns = key;
      }
      continue;
    }
    if (type != "data" && type != "file") {
      report(line, "key `" + key + "`: unknown type `" + type + "` (use namespace, data or file)");
      continue;
    }
    if (!ns) {
      report(line, "key `" + key + "` comes before any namespace row");
      continue;
    }
    if (is_wifi_key(key)) {
      report(line, "key `" + key +
                       "`: nvs_partition_gen.py adds hidden Wi-Fi driver entries for this key, "
                       "which this writer does not reproduce");
      continue;
    }

    Item item{*ns, key, Type::string, std::string()};
    std::string problem;
    if (type == "data" && integer_encodings().contains(encoding)) {
      item.type = integer_encodings().find(encoding)->second;
      if (auto v = parse_integer(value)) {
        item.value = *v;
      } else {
        problem = encoding + " value `" + value + "` is not a decimal integer";
      }
    } else if (type == "file" && integer_encodings().contains(encoding)) {
      problem = "`file` rows take string, hex2bin, base64 or binary, not " + encoding;
    } else {
      std::string contents;
      if (type == "file") {
        std::filesystem::path path(value);
        if (path.is_relative()) path = base_dir / path;
        // core::read_file reads standard input for "-"; a file row always means a file.
        if (path == "-") path = "./-";
        auto read = value.empty() ? core::Result<std::string>(core::Error::failure("no path"))
                                  : core::read_file(path.string(), kMaxFileBytes);
        if (read) {
          contents = std::move(read.value());
        } else {
          problem = "cannot read the file: " + read.error().message;
        }
      }
      if (problem.empty()) {
        if (auto decoded = decode_varlen(encoding, type == "file" ? contents : value, problem)) {
          item.type = decoded->first;
          item.value = std::move(decoded->second);
        }
      }
    }
    if (problem.empty()) {
      if (auto st = validate_item(item); !st) problem = st.error().message;
    }
    if (!problem.empty()) {
      report(line, problem.starts_with("key `") ? problem : "key `" + key + "`: " + problem);
      continue;
    }
    const auto [it, fresh] = seen.emplace(std::pair{item.namespace_name, item.key}, line);
    if (!fresh) {
      report(line, "key `" + key + "` in namespace `" + item.namespace_name +
                       "` was already set on line " + std::to_string(it->second));
      continue;
    }
    items.push_back(std::move(item));
  }
  if (!error.empty()) problems.push_back(error);
  if (!problems.empty()) return fail();
  return items;
}

}  // namespace iotfleet::provision::nvs

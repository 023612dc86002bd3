#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "provision/nvs.hpp"
#include "provision/nvs_csv.hpp"

namespace {

namespace fs = std::filesystem;
namespace nvs = iotfleet::provision::nvs;
using iotfleet::core::Bytes;
using nlohmann::json;

const fs::path kDir = fs::path(IOT_FIXTURES_DIR) / "nvs";
constexpr const char* kSizeMessage =
    "partition size must be a multiple of 0x1000 (4096) and at least 0x3000";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Bytes read_bytes(const fs::path& path) {
  const std::string s = slurp(path);
  return Bytes(s.begin(), s.end());
}

std::vector<nvs::Item> parse_fixture_csv(const std::string& stem) {
  auto items = nvs::parse_csv(slurp(kDir / (stem + ".csv")), kDir);
  EXPECT_TRUE(items.ok()) << stem << ": " << items.error().message;
  return items.ok() ? items.value() : std::vector<nvs::Item>{};
}

// ---- A small independent decoder, producing the fields of the fixtures' entries.json ----

std::uint32_t le(const Bytes& b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | b[at + static_cast<std::size_t>(i)];
  return v;
}

std::string type_of(std::uint8_t code) {
  switch (code) {
    case 0x01:
      return "u8";
    case 0x11:
      return "i8";
    case 0x02:
      return "u16";
    case 0x12:
      return "i16";
    case 0x04:
      return "u32";
    case 0x14:
      return "i32";
    case 0x08:
      return "u64";
    case 0x18:
      return "i64";
    case 0x21:
      return "string";
    case 0x42:
      return "blob_data";
    case 0x48:
      return "blob_index";
  }
  return "unknown";
}

json integer_value(const Bytes& b, std::size_t at, std::uint8_t code) {
  const int width = code & 0x0F;
  std::uint64_t raw = 0;
  for (int i = width - 1; i >= 0; --i) raw = raw << 8 | b[at + static_cast<std::size_t>(i)];
  if ((code & 0x10) == 0) return raw;
  const int shift = 64 - 8 * width;
  return static_cast<std::int64_t>(raw << shift) >> shift;  // sign-extend
}

json decode(const Bytes& image) {
  json pages = json::array(), entries = json::array();
  for (std::size_t p = 0; p * 4096 < image.size(); ++p) {
    const std::size_t base = p * 4096;
    const Bytes page(image.begin() + static_cast<long>(base),
                     image.begin() + static_cast<long>(base + 4096));
    if (std::all_of(page.begin(), page.end(), [](std::uint8_t b) { return b == 0xFF; })) {
      pages.push_back({{"index", p}, {"all_ff", true}});
      continue;
    }
    const std::uint32_t state = le(page, 0, 4);
    const Bytes header_part(page.begin() + 4, page.begin() + 28);
    int written = 0;
    for (std::size_t i = 0; i < 126; ++i) {
      if (((page[32 + i / 4] >> (2 * (i % 4))) & 3) == 2) ++written;
    }
    pages.push_back({{"index", p},
                     {"state", state == 0xFFFFFFFE   ? "ACTIVE"
                               : state == 0xFFFFFFFC ? "FULL"
                                                     : "?"},
                     {"seq", le(page, 4, 4)},
                     {"version", page[8] == 0xFE ? "0xfe" : "?"},
                     {"header_crc_ok", nvs::crc32(header_part) == le(page, 28, 4)},
                     {"entries_written", written}});
    for (std::size_t i = 0; i < 126;) {
      if (((page[32 + i / 4] >> (2 * (i % 4))) & 3) != 2) {
        ++i;
        continue;
      }
      const std::size_t at = 64 + i * 32;
      Bytes covered(page.begin() + static_cast<long>(at), page.begin() + static_cast<long>(at + 4));
      covered.insert(covered.end(), page.begin() + static_cast<long>(at + 8),
                     page.begin() + static_cast<long>(at + 32));
      const std::uint8_t code = page[at + 1], span = page[at + 2];
      const char* key = reinterpret_cast<const char*>(&page[at + 8]);
      json e = {{"page", p},
                {"entry", i},
                {"ns_index", page[at]},
                {"type", type_of(code)},
                {"key", std::string(key, strnlen(key, 16))},
                {"span", span},
                {"chunk_index", page[at + 3]},
                {"crc_ok", nvs::crc32(covered) == le(page, at + 4, 4)}};
      if (code == 0x21 || code == 0x42) {
        const std::size_t size = le(page, at + 24, 2);
        const Bytes data(page.begin() + static_cast<long>(at + 32),
                         page.begin() + static_cast<long>(at + 32 + size));
        e["size"] = size;
        e["data_crc_ok"] = nvs::crc32(data) == le(page, at + 28, 4);
        if (code == 0x21) e["value"] = std::string(data.begin(), data.end() - 1);
      } else if (code == 0x48) {
        e["size"] = le(page, at + 24, 4);
        e["chunk_count"] = page[at + 28];
        e["chunk_start"] = page[at + 29];
      } else {
        e["value"] = integer_value(page, at + 24, code);
      }
      entries.push_back(e);
      i += std::max<std::size_t>(span, 1);
    }
  }
  return {{"pages", pages}, {"entries", entries}};
}

// Every field our decoder produces must match the fixture's listing; `skip` names entries
// (by position in the list) that are compared by the caller instead.
void expect_matches_listing(const json& ours, const json& listing, std::size_t skip = SIZE_MAX) {
  ASSERT_EQ(ours["pages"].size(), listing["pages"].size());
  for (std::size_t i = 0; i < ours["pages"].size(); ++i) {
    for (const auto& [field, value] : ours["pages"][i].items()) {
      EXPECT_EQ(value, listing["pages"][i][field]) << "page " << i << " " << field;
    }
  }
  ASSERT_EQ(ours["entries"].size(), listing["entries"].size());
  for (std::size_t i = 0; i < ours["entries"].size(); ++i) {
    if (i == skip) continue;
    for (const auto& [field, value] : ours["entries"][i].items()) {
      EXPECT_EQ(value, listing["entries"][i][field]) << "entry " << i << " " << field;
    }
  }
}

// ---- Fixtures, found by listing the directory: NAME.SIZE[-readonly].bin ----

struct Fixture {
  std::string file, stem;
  std::size_t size;
  bool readonly;
};

std::vector<Fixture> fixtures() {
  std::vector<Fixture> out;
  const std::regex pattern(R"(^(.+)\.(0x[0-9a-fA-F]+)(-readonly)?\.bin$)");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kDir, ec)) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, pattern)) continue;  // c_blob_large.bin: a data file
    out.push_back({name, m[1], std::stoul(m[2], nullptr, 16), m[3].matched});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.file < b.file; });
  return out;
}

// The one fixture we must not reproduce (fixtures README, "Generator quirks" #2): the CSV names
// site_a again before `token`, the generator still writes it into site_b (index 2), we write it
// into site_a (index 1). Everything else is identical.
void expect_only_token_moved(const Bytes& ours, const Bytes& generator, const json& listing) {
  ASSERT_EQ(ours.size(), generator.size());
  std::size_t token = SIZE_MAX;
  for (std::size_t i = 0; i < listing["entries"].size(); ++i) {
    if (listing["entries"][i]["key"] == "token") token = i;
  }
  ASSERT_NE(token, SIZE_MAX);
  const json decoded = decode(ours);
  expect_matches_listing(decoded, listing, token);
  EXPECT_EQ(listing["entries"][token]["ns_index"], 2);
  EXPECT_EQ(listing["namespaces"]["site_a"], 1);
  json mine = decoded["entries"][token];
  EXPECT_EQ(mine["ns_index"], 1);
  EXPECT_EQ(mine["crc_ok"], true);
  mine["ns_index"] = 2;
  for (const auto& [field, value] : mine.items()) {
    EXPECT_EQ(value, listing["entries"][token][field]) << field;
  }
  // Byte level: only that entry's namespace byte and its CRC differ.
  const std::size_t at = 4096 * listing["entries"][token]["page"].get<std::size_t>() + 64 +
                         32 * listing["entries"][token]["entry"].get<std::size_t>();
  for (std::size_t i = 0; i < generator.size(); ++i) {
    const bool may_differ = i == at || (i >= at + 4 && i < at + 8);
    if (!may_differ) {
      ASSERT_EQ(ours[i], generator[i]) << "offset " << i;
    }
  }
  EXPECT_EQ(ours[at], 1);
  EXPECT_EQ(generator[at], 2);
}

class NvsFixture : public ::testing::TestWithParam<Fixture> {};

TEST_P(NvsFixture, BuildsTheGeneratorsBytes) {
  const Fixture& f = GetParam();
  const Bytes expected = read_bytes(kDir / f.file);
  const auto items = parse_fixture_csv(f.stem);
  if (f.readonly) {
    // The generator silently wrote a read-only layout without the reserved page; we refuse.
    const auto refused = nvs::build_partition(items, f.size);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find(kSizeMessage), std::string::npos);
    const auto image = nvs::build_partition(items, nvs::min_partition_size);
    ASSERT_TRUE(image.ok()) << image.error().message;
    ASSERT_LE(expected.size(), image->size());
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), image->begin()));
    return;
  }
  const auto image = nvs::build_partition(items, f.size);
  ASSERT_TRUE(image.ok()) << image.error().message;
  const json listing =
      json::parse(slurp(kDir / (f.file.substr(0, f.file.size() - 4) + ".entries.json")));
  if (f.stem == "quirk_ns_revisit") {
    expect_only_token_moved(image.value(), expected, listing);
    return;
  }
  ASSERT_EQ(image->size(), f.size);
  ASSERT_EQ(image->size(), expected.size());
  const auto diff = std::mismatch(image->begin(), image->end(), expected.begin());
  EXPECT_TRUE(diff.first == image->end())
      << "first difference at offset 0x" << std::hex << (diff.first - image->begin());
  // And our own reading of the image agrees with the independent listing.
  expect_matches_listing(decode(image.value()), listing);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, NvsFixture, ::testing::ValuesIn(fixtures()),
                         [](const auto& param_info) {
                           std::string name = param_info.param.file;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(NvsFixtures, AllAreFound) {
  const auto all = fixtures();
  EXPECT_GE(all.size(), 13u);
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](auto& f) { return f.readonly; }));
}

// ---- Checks and refusals ----

TEST(NvsCrc, IsZlibCrc32PresetToAllOnes) {
  const std::string check = "123456789";
  EXPECT_EQ(nvs::crc32(iotfleet::core::as_bytes(check)), 0xD202D277u);
  EXPECT_EQ(nvs::crc32({}), 0xFFFFFFFFu);  // the preset, untouched
}

std::string rejection(const std::string& csv_name) {
  const auto parsed = nvs::parse_csv(slurp(kDir / csv_name), kDir);
  if (parsed.ok()) {
    const auto image = nvs::build_partition(parsed.value(), 0x3000);
    return image.ok() ? "" : image.error().message;
  }
  return parsed.error().message;
}

TEST(NvsReject, GeneratorRejectionsAreErrors) {
  const std::string key16 = rejection("reject_key16.csv");
  EXPECT_NE(key16.find("device_key_extra"), std::string::npos) << key16;
  EXPECT_NE(key16.find("line 3"), std::string::npos) << key16;
  EXPECT_NE(key16.find("15 characters"), std::string::npos) << key16;
  for (const auto& [csv, key] :
       {std::pair{"reject_str4000.csv", "str4001"}, std::pair{"reject_str3999.csv", "str4000"}}) {
    const std::string message = rejection(csv);
    EXPECT_NE(message.find(key), std::string::npos) << csv << ": " << message;
    EXPECT_NE(message.find("3967"), std::string::npos) << message;
  }
  const auto items = parse_fixture_csv("a_provisioning");
  for (std::size_t size : {0x3100u, 0x2000u, 0x1000u, 0u, 0x3001u}) {
    const auto image = nvs::build_partition(items, size);
    ASSERT_FALSE(image.ok()) << size;
    EXPECT_NE(image.error().message.find(kSizeMessage), std::string::npos);
  }
}

nvs::Item string_item(std::string key, std::size_t length, std::string ns = "strs") {
  return {std::move(ns), std::move(key), nvs::Type::string, std::string(length, 'x')};
}

TEST(NvsReject, StringsKeysAndNamespaces) {
  EXPECT_TRUE(nvs::build_partition({string_item("longest", 3967)}, 0x3000).ok());
  const auto too_long = nvs::build_partition({string_item("long", 3968)}, 0x3000);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message.find("`long`"), std::string::npos);
  const auto key16 = nvs::build_partition({string_item("sixteen_chars_xx", 1)}, 0x3000);
  ASSERT_FALSE(key16.ok());
  EXPECT_NE(key16.error().message.find("sixteen_chars_xx"), std::string::npos);
  EXPECT_FALSE(nvs::build_partition({string_item("", 1)}, 0x3000).ok());
  EXPECT_TRUE(nvs::build_partition({string_item("fifteen_chars_x", 1)}, 0x3000).ok());
  EXPECT_FALSE(nvs::build_partition({string_item("k", 1, "namespace_16_chr")}, 0x3000).ok());
  EXPECT_FALSE(nvs::build_partition({string_item("k", 1, "")}, 0x3000).ok());
  const auto dup = nvs::build_partition({string_item("k", 1), string_item("k", 2)}, 0x3000);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("more than once"), std::string::npos);
  EXPECT_FALSE(nvs::build_partition({{"ns", "k", nvs::Type::blob, std::string("x")}}, 0x3000).ok());
  EXPECT_FALSE(nvs::build_partition({{"ns", "k", nvs::Type::u8, Bytes{1}}}, 0x3000).ok());
}

TEST(NvsReject, TooManyNamespaces) {
  std::vector<nvs::Item> items;
  for (int i = 0; i < 254; ++i) {
    items.push_back({"ns" + std::to_string(i), "k", nvs::Type::u8, std::uint64_t{1}});
  }
  EXPECT_TRUE(nvs::build_partition(items, 0x8000).ok());
  items.push_back({"one_too_many", "k", nvs::Type::u8, std::uint64_t{1}});
  const auto image = nvs::build_partition(items, 0x8000);
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message.find("254"), std::string::npos);
}

TEST(NvsReject, IntegersOutOfRange) {
  using T = nvs::Type;
  const std::vector<nvs::Item> bad = {
      {"n", "u8", T::u8, std::uint64_t{256}},       {"n", "u8neg", T::u8, std::int64_t{-1}},
      {"n", "i8lo", T::i8, std::int64_t{-129}},     {"n", "i8hi", T::i8, std::uint64_t{128}},
      {"n", "u16", T::u16, std::uint64_t{65536}},   {"n", "i16", T::i16, std::int64_t{-32769}},
      {"n", "u32", T::u32, std::uint64_t{1} << 32}, {"n", "i32", T::i32, std::int64_t{2147483648}},
      {"n", "u64neg", T::u64, std::int64_t{-1}},    {"n", "i64", T::i64, std::uint64_t{1} << 63},
  };
  for (const auto& item : bad) {
    const auto image = nvs::build_partition({item}, 0x3000);
    ASSERT_FALSE(image.ok()) << item.key;
    EXPECT_NE(image.error().message.find("`" + item.key + "`"), std::string::npos);
    EXPECT_NE(image.error().message.find("out of range"), std::string::npos);
  }
  const std::vector<nvs::Item> edges = {
      {"n", "i64min", T::i64, std::numeric_limits<std::int64_t>::min()},
      {"n", "u64max", T::u64, std::numeric_limits<std::uint64_t>::max()},
      {"n", "i8pos", T::i8, std::uint64_t{127}},
      {"n", "u8pos", T::u8, std::int64_t{255}},
  };
  EXPECT_TRUE(nvs::build_partition(edges, 0x3000).ok());
  const auto csv = nvs::parse_csv("key,type,encoding,value\nn,namespace,,\nx,data,u8,256\n", kDir);
  ASSERT_FALSE(csv.ok());
  EXPECT_NE(csv.error().message.find("line 3"), std::string::npos) << csv.error().message;
}

TEST(NvsReject, DataThatDoesNotFit) {
  const std::vector<nvs::Item> items = {{"n", "big", nvs::Type::blob, Bytes(10000, 0xAB)}};
  const auto small = nvs::build_partition(items, 0x3000);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(
      small.error().message.find("does not fit in a partition of 0x3000 bytes; 4 pages needed"),
      std::string::npos)
      << small.error().message;
  EXPECT_TRUE(nvs::build_partition(items, 0x4000).ok());
}

// ---- Layout decisions beyond the fixtures ----

TEST(NvsLayout, BlobChunksAndIndexRoundTrip) {
  Bytes data(9000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  const auto image = nvs::build_partition({{"n", "b", nvs::Type::blob, data}}, 0x5000);
  ASSERT_TRUE(image.ok()) << image.error().message;
  const json entries = decode(image.value())["entries"];
  // ns definition, chunk 0 (rest of page 0), chunk 1 (all of page 1), chunk 2, index.
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[1]["size"], 124 * 32);
  EXPECT_EQ(entries[2]["size"], 125 * 32);
  EXPECT_EQ(entries[3]["size"], 9000 - 249 * 32);
  EXPECT_EQ(entries[4]["type"], "blob_index");
  EXPECT_EQ(entries[4]["chunk_count"], 3);
  EXPECT_EQ(entries[4]["size"], 9000);
  Bytes joined;
  for (int c = 1; c <= 3; ++c) {
    const std::size_t at = entries[c]["page"].get<std::size_t>() * 4096 + 64 +
                           (entries[c]["entry"].get<std::size_t>() + 1) * 32;
    const auto size = entries[c]["size"].get<std::size_t>();
    joined.insert(joined.end(), image->begin() + static_cast<long>(at),
                  image->begin() + static_cast<long>(at + size));
    EXPECT_TRUE(entries[c]["data_crc_ok"].get<bool>());
  }
  EXPECT_EQ(joined, data);
  EXPECT_EQ(image.value()[0], 0xFC);  // page 0 FULL
  EXPECT_EQ(image.value()[4096], 0xFC);
  EXPECT_EQ(image.value()[8192], 0xFE);  // page 2 ACTIVE
}

TEST(NvsLayout, StringNeverTakesThePagesLastEntry) {
  // After the namespace entry, a string of span 124 fits (entries 1..124, 125 stays free) ...
  auto image = nvs::build_partition({string_item("s", 123 * 32 - 1)}, 0x3000);
  ASSERT_TRUE(image.ok());
  json entries = decode(image.value())["entries"];
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1]["page"], 0);
  EXPECT_EQ(entries[1]["span"], 124);
  // ... but one of span 125 would end exactly on the last entry: the generator moves it on.
  image = nvs::build_partition({string_item("s", 124 * 32 - 1)}, 0x3000);
  ASSERT_TRUE(image.ok());
  entries = decode(image.value())["entries"];
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1]["page"], 1);
  EXPECT_EQ(entries[1]["span"], 125);
  EXPECT_EQ(image.value()[0], 0xFC);  // page 0 FULL with one entry written
}

// ---- CSV ----

TEST(NvsCsv, ReadsQuotedFieldsFilesAndEncodings) {
  const auto prov = parse_fixture_csv("a_provisioning");
  ASSERT_EQ(prov.size(), 8u);
  EXPECT_EQ(prov[7].key, "wifi_password");
  EXPECT_EQ(std::get<std::string>(prov[7].value), "Tr0ub4dor,&3 horse");
  EXPECT_EQ(std::get<std::string>(prov[6].value), "Fleet-Lab 2.4GHz");
  const auto blobs = parse_fixture_csv("c_blobs");
  ASSERT_EQ(blobs.size(), 5u);
  EXPECT_EQ(std::get<Bytes>(blobs[0].value), (Bytes{0xa4, 0xcf, 0x12, 0xf0, 0xe1, 0xd2}));
  EXPECT_EQ(std::get<Bytes>(blobs[2].value).size(), 24u);
  EXPECT_EQ(std::get<Bytes>(blobs[3].value), read_bytes(kDir / "c_blob_large.bin"));
  EXPECT_EQ(blobs[4].type, nvs::Type::u32);
  const auto csv = nvs::parse_csv(
      "# comment\r\nkey,type,encoding,value\r\n\r\nn,namespace,,\r\n"
      "q,data,string,\"say \"\"hi\"\"\"\r\nm,data,string,\"two\nlines\"\r\nneg,data,i64,-5\r\n",
      kDir);
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  ASSERT_EQ(csv->size(), 3u);
  EXPECT_EQ(std::get<std::string>(csv.value()[0].value), "say \"hi\"");
  EXPECT_EQ(std::get<std::string>(csv.value()[1].value), "two\nlines");
  EXPECT_EQ(std::get<std::int64_t>(csv.value()[2].value), -5);
}

TEST(NvsCsv, ErrorsNameTheirLines) {
  const std::string head = "key,type,encoding,value\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {head + "k,data,string,x\n", "line 2"},
      {head + "n,namespace,,\nk,data,string,a,b\n", "line 3"},
      {head + "n,namespace,,\nk,data,float,1\n", "unsupported encoding"},
      {head + "n,namespace,,\nk,data,hex2bin,abc\n", "line 3"},
      {head + "n,namespace,,\nk,data,base64,@@@@\n", "base64"},
      {head + "n,namespace,,\nk,file,binary,no_such_file.bin\n", "no_such_file.bin"},
      {head + "n,namespace,,\nk,data,u16,12x\n", "decimal"},
      {head + "n,namespace,,\nk,table,u8,1\n", "unknown type"},
      {head + "n,namespace,,\nsta.ssid,data,string,lab\n", "Wi-Fi"},
      {head + "n,namespace,,\nk,data,u8,1\nk,data,u8,2\n", "already set on line 3"},
      {head + "n,namespace,,\nk,data,string,\"open\n", "never closed"},
      {"name,value\n", "header"},
      {"", "empty"},
  };
  for (const auto& [text, needle] : cases) {
    const auto parsed = nvs::parse_csv(text, kDir);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.error().message.find(needle), std::string::npos)
        << text << " -> " << parsed.error().message;
  }
}

}  // namespace

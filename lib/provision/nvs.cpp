// NVS partition writer. Why it looks the way it does:
//
// The format is in shared/specs/formats.md ("ESP-IDF NVS partition"). The format leaves room
// for many valid layouts of the same entries; we follow the one Espressif's nvs_partition_gen.py
// (0.2.0, `--version 2`) produces, decision by decision, so that our images are byte-identical to
// its output (checked against every fixture in shared/fixtures/nvs/):
//
// - Entries go in CSV/item order, each page filled from entry 0 upwards. Page 0 always exists,
//   even with no items. Sequence numbers are the page numbers 0, 1, 2, ...
// - A page is marked FULL only when the next page is opened. A page whose 126 entries all got
//   used stays ACTIVE if nothing followed (e_strings page 1).
// - Integers (span 1) open a new page only when all 126 entries are used.
// - A string never crosses pages. It moves to a new page when header + data entries would reach
//   entry 126 (the generator's `>=` test: a string never takes a page's last free entry), so on
//   an empty page it may span at most 125 entries: 124 data entries = 3968 bytes with the NUL,
//   3967 without. The generator accepts up to 4000 bytes with the NUL (the documented NVS
//   limit) but crashes with PageFullError for 3969..4000; we refuse anything over 3967 so every
//   image we build is one the generator also builds.
// - Blobs use version 2 multipage layout: BLOB_DATA chunks with chunk index 0, 1, ... (chunk
//   start 0), each taking all the data room the current page has left after its own header
//   ((126 - used - 1) * 32 bytes), then one BLOB_INDEX entry (total size, chunk count, chunk
//   start). When a chunk used up its page, the index (or the next chunk) goes on a new page.
//   Like the generator, a blob starting at a page's last free entry gets a zero-byte chunk 0
//   there; ESP-IDF reads such a chunk back fine (CRC of no bytes), and matching it keeps the
//   images identical.
// - A namespace definition (namespace 0, u8, key = name, value = index) is written right before
//   the first item of that namespace, where the generator writes it for a CSV that lists each
//   namespace row followed by its entries. Unlike the generator, a namespace named again later
//   gets its own index back (fixtures README, "Generator quirks" #2).
// - The last page of the partition stays all 0xFF: read/write NVS needs one free page to move
//   entries during garbage collection. Sizes below 0x3000 (the generator's silent "read-only"
//   output) are refused.

#include "provision/nvs.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <set>
#include <type_traits>
#include <utility>

namespace iotfleet::provision::nvs {
namespace {

constexpr std::size_t kEntrySize = 32;
constexpr std::size_t kEntriesPerPage = 126;
constexpr std::size_t kFirstEntryOffset = 64;
constexpr std::size_t kBitmapOffset = 32;
constexpr std::uint32_t kPageActive = 0xFFFFFFFE;
constexpr std::uint32_t kPageFull = 0xFFFFFFFC;
constexpr std::uint8_t kVersion2 = 0xFE;
constexpr std::uint8_t kChunkAny = 0xFF;
// Chunk indexes of version-0 blobs are 0..127 (ESP-IDF VerOffset::VER_1_OFFSET is 0x80).
constexpr std::size_t kMaxChunks = 128;
constexpr std::uint8_t kTypeString = 0x21;
constexpr std::uint8_t kTypeBlobData = 0x42;
constexpr std::uint8_t kTypeBlobIndex = 0x48;

struct IntSpec {
  std::uint8_t code;
  unsigned width;
  bool is_signed;
  std::int64_t min;
  std::uint64_t max;
};

IntSpec int_spec(Type type) {
  using std::numeric_limits;
  switch (type) {
    case Type::u8:
      return {0x01, 1, false, 0, numeric_limits<std::uint8_t>::max()};
    case Type::i8:
      return {0x11, 1, true, numeric_limits<std::int8_t>::min(), 127};
    case Type::u16:
      return {0x02, 2, false, 0, numeric_limits<std::uint16_t>::max()};
    case Type::i16:
      return {0x12, 2, true, numeric_limits<std::int16_t>::min(), 32767};
    case Type::u32:
      return {0x04, 4, false, 0, numeric_limits<std::uint32_t>::max()};
    case Type::i32:
      return {0x14, 4, true, numeric_limits<std::int32_t>::min(), 2147483647};
    case Type::u64:
      return {0x08, 8, false, 0, numeric_limits<std::uint64_t>::max()};
    case Type::i64:
      return {0x18, 8, true, numeric_limits<std::int64_t>::min(),
              static_cast<std::uint64_t>(numeric_limits<std::int64_t>::max())};
    default:
      return {0, 0, false, 0, 0};
  }
}

bool is_integer(Type type) { return type != Type::string && type != Type::blob; }

std::string describe(const Item& item) {
  return "key `" + item.key + "` (namespace `" + item.namespace_name + "`)";
}

std::string int_text(const Value& v) {
  if (const auto* u = std::get_if<std::uint64_t>(&v)) return std::to_string(*u);
  return std::to_string(std::get<std::int64_t>(v));
}

std::string_view name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > max_key_length) return "is longer than 15 characters";
  if (name.find('\0') != std::string_view::npos) return "contains a NUL character";
  return {};
}

void put_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

using Entry = std::array<std::uint8_t, kEntrySize>;

// An item header with the data field still 0xFF; seal() adds the CRC once the data is set.
Entry make_header(std::uint8_t ns, std::uint8_t type, std::size_t span, std::uint8_t chunk,
                  std::string_view key) {
  Entry e;
  e.fill(0xFF);
  e[0] = ns;
  e[1] = type;
  e[2] = static_cast<std::uint8_t>(span);
  e[3] = chunk;
  std::fill(e.begin() + 8, e.begin() + 24, std::uint8_t{0});
  std::copy(key.begin(), key.end(), e.begin() + 8);
  return e;
}

void seal(Entry& e) {
  std::array<std::uint8_t, 28> covered;
  std::copy(e.begin(), e.begin() + 4, covered.begin());
  std::copy(e.begin() + 8, e.end(), covered.begin() + 4);
  put_u32(e.data() + 4, crc32(covered));
}

std::size_t entries_for(std::size_t bytes) { return (bytes + kEntrySize - 1) / kEntrySize; }

// Pages as the generator fills them; grows without limit, the caller checks the page count.
class Layout {
 public:
  Layout() { new_page(); }

  void primitive(std::uint8_t ns, std::string_view key, std::uint8_t code, std::uint64_t raw,
                 unsigned width) {
    if (used_ >= kEntriesPerPage) new_page();
    Entry e = make_header(ns, code, 1, kChunkAny, key);
    for (unsigned i = 0; i < width; ++i) e[24 + i] = static_cast<std::uint8_t>(raw >> (8 * i));
    seal(e);
    put(e, {});
  }

  void string(std::uint8_t ns, std::string_view key, std::string_view text) {
    core::Bytes data(text.begin(), text.end());
    data.push_back(0);
    const std::size_t span = entries_for(data.size()) + 1;
    if (used_ + span >= kEntriesPerPage) new_page();
    put(data_header(ns, kTypeString, kChunkAny, key, data), data);
  }

  void blob(std::uint8_t ns, std::string_view key, std::span<const std::uint8_t> data) {
    if (used_ >= kEntriesPerPage) new_page();
    std::size_t offset = 0;
    std::size_t chunks = 0;
    while (true) {
      const std::size_t tailroom = (kEntriesPerPage - used_ - 1) * kEntrySize;
      const std::size_t size = std::min(tailroom, data.size() - offset);
      if (chunks == kMaxChunks) {
        throw core::Failure(core::Error::failure("blob `" + std::string(key) +
                                                 "` needs more than 128 chunks (one per page)"));
      }
      const auto chunk = data.subspan(offset, size);
      put(data_header(ns, kTypeBlobData, static_cast<std::uint8_t>(chunks), key, chunk), chunk);
      ++chunks;
      offset += size;
      const bool done = offset == data.size();
      if (!done || tailroom - size < kEntrySize) new_page();
      if (done) break;
    }
    Entry index = make_header(ns, kTypeBlobIndex, 1, kChunkAny, key);
    put_u32(index.data() + 24, static_cast<std::uint32_t>(data.size()));
    index[28] = static_cast<std::uint8_t>(chunks);
    index[29] = 0;  // chunk start
    seal(index);
    put(index, {});
  }

  std::size_t page_count() const { return pages_.size(); }

  core::Bytes image(std::size_t partition_size) const {
    core::Bytes out;
    out.reserve(partition_size);
    for (const auto& page : pages_) out.insert(out.end(), page.begin(), page.end());
    out.resize(partition_size, 0xFF);
    return out;
  }

 private:
  static Entry data_header(std::uint8_t ns, std::uint8_t type, std::uint8_t chunk,
                           std::string_view key, std::span<const std::uint8_t> data) {
    Entry e = make_header(ns, type, entries_for(data.size()) + 1, chunk, key);
    put_u16(e.data() + 24, static_cast<std::uint16_t>(data.size()));
    put_u32(e.data() + 28, crc32(data));
    seal(e);
    return e;
  }

  void new_page() {
    if (!pages_.empty()) put_u32(pages_.back().data(), kPageFull);
    core::Bytes page(page_size, 0xFF);
    put_u32(page.data(), kPageActive);
    put_u32(page.data() + 4, static_cast<std::uint32_t>(pages_.size()));
    page[8] = kVersion2;
    put_u32(page.data() + 28, crc32(std::span(page).subspan(4, 24)));
    pages_.push_back(std::move(page));
    used_ = 0;
  }

  // Writes the header at the next free entry and the data (0xFF padded) after it, and marks all
  // of them written (0b11 -> 0b10) in the state bitmap.
  void put(const Entry& header, std::span<const std::uint8_t> data) {
    core::Bytes& page = pages_.back();
    const std::size_t count = 1 + entries_for(data.size());
    std::uint8_t* at = page.data() + kFirstEntryOffset + used_ * kEntrySize;
    std::copy(header.begin(), header.end(), at);
    std::copy(data.begin(), data.end(), at + kEntrySize);
    for (std::size_t i = used_; i < used_ + count; ++i) {
      page[kBitmapOffset + (2 * i) / 8] &= static_cast<std::uint8_t>(~(1u << ((2 * i) % 8)));
    }
    used_ += count;
  }

  std::vector<core::Bytes> pages_;
  std::size_t used_ = 0;
};

std::string hex_size(std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[n % 16]);
    n /= 16;
  } while (n != 0);
  return "0x" + s;
}

}  // namespace

std::string_view type_name(Type type) {
  switch (type) {
    case Type::u8:
      return "u8";
    case Type::i8:
      return "i8";
    case Type::u16:
      return "u16";
    case Type::i16:
      return "i16";
    case Type::u32:
      return "u32";
    case Type::i32:
      return "i32";
    case Type::u64:
      return "u64";
    case Type::i64:
      return "i64";
    case Type::string:
      return "string";
    case Type::blob:
      return "blob";
  }
  return "?";
}

std::uint32_t crc32(std::span<const std::uint8_t> data) {
  // zlib inverts the register on entry and exit, so a preset of 0xFFFFFFFF starts it at 0.
  uLong crc = 0xFFFFFFFFUL;
  std::size_t offset = 0;
  while (offset < data.size()) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(data.size() - offset, 1u << 30));
    crc = ::crc32(crc, data.data() + offset, n);
    offset += n;
  }
  return static_cast<std::uint32_t>(crc);
}

core::Status validate_item(const Item& item) {
  if (auto p = name_problem(item.namespace_name); !p.empty()) {
    return core::Error::failure("namespace name `" + item.namespace_name + "` of key `" + item.key +
                                "` " + std::string(p));
  }
  if (auto p = name_problem(item.key); !p.empty()) {
    return core::Error::failure(describe(item) + ": the key " + std::string(p) +
                                " (NVS keys have 1 to 15 characters)");
  }
  const std::string_view type = type_name(item.type);
  if (is_integer(item.type)) {
    if (!std::holds_alternative<std::uint64_t>(item.value) &&
        !std::holds_alternative<std::int64_t>(item.value)) {
      return core::Error::failure(describe(item) + ": a " + std::string(type) +
                                  " needs an integer value");
    }
    const IntSpec spec = int_spec(item.type);
    bool in_range;
    if (const auto* u = std::get_if<std::uint64_t>(&item.value)) {
      in_range = *u <= spec.max;
    } else {
      const std::int64_t s = std::get<std::int64_t>(item.value);
      in_range = s >= spec.min && (s < 0 || static_cast<std::uint64_t>(s) <= spec.max);
    }
    if (!in_range) {
      const std::string lo = spec.is_signed ? std::to_string(spec.min) : "0";
      return core::Error::failure(describe(item) + ": value " + int_text(item.value) +
                                  " is out of range for " + std::string(type) + " (" + lo + ".." +
                                  std::to_string(spec.max) + ")");
    }
  } else if (item.type == Type::string) {
    const auto* s = std::get_if<std::string>(&item.value);
    if (!s) return core::Error::failure(describe(item) + ": a string needs a text value");
    if (s->size() > max_string_length) {
      return core::Error::failure(
          describe(item) + ": string of " + std::to_string(s->size()) +
          " bytes is too long; at most 3967 bytes (3968 with the NUL) fit in one NVS page as "
          "nvs_partition_gen.py lays it out (it crashes on strings of 3968..3999 bytes and "
          "refuses longer ones), so longer strings are refused; store long text as a blob");
    }
  } else if (!std::holds_alternative<core::Bytes>(item.value)) {
    return core::Error::failure(describe(item) + ": a blob needs a byte value");
  }
  return core::ok_status();
}

core::Result<core::Bytes> build_partition(const std::vector<Item>& items,
                                          std::size_t partition_size) {
  if (partition_size % page_size != 0 || partition_size < min_partition_size) {
    return core::Error::failure("partition size " + hex_size(partition_size) +
                                " is invalid: partition size must be a multiple of 0x1000 "
                                "(4096) and at least 0x3000");
  }
  std::vector<std::string> problems;
  std::map<std::string, std::uint8_t> namespaces;
  std::set<std::pair<std::string, std::string>> keys;
  for (const Item& item : items) {
    if (auto st = validate_item(item); !st) {
      problems.push_back(st.error().message);
      continue;
    }
    if (!keys.emplace(item.namespace_name, item.key).second) {
      problems.push_back(describe(item) + " appears more than once");
    }
    if (!namespaces.contains(item.namespace_name)) {
      if (namespaces.size() == max_namespaces) {
        problems.push_back("namespace `" + item.namespace_name +
                           "` is one too many: NVS holds at most 254 namespaces");
        continue;
      }
      namespaces.emplace(item.namespace_name, 0);
    }
  }
  if (!problems.empty()) {
    constexpr std::size_t kShown = 20;
    std::string message = problems.front();
    for (std::size_t i = 1; i < std::min(problems.size(), kShown); ++i)
      message += "; " + problems[i];
    if (problems.size() > kShown) {
      message += "; and " + std::to_string(problems.size() - kShown) + " more";
    }
    return core::Error::failure(message);
  }

  return core::capture([&]() -> core::Result<core::Bytes> {
    Layout layout;
    std::uint8_t next_index = 1;
    for (const Item& item : items) {
      std::uint8_t& ns = namespaces.at(item.namespace_name);
      if (ns == 0) {
        ns = next_index++;
        layout.primitive(0, item.namespace_name, int_spec(Type::u8).code, ns, 1);
      }
      if (item.type == Type::string) {
        layout.string(ns, item.key, std::get<std::string>(item.value));
      } else if (item.type == Type::blob) {
        layout.blob(ns, item.key, std::get<core::Bytes>(item.value));
      } else {
        const IntSpec spec = int_spec(item.type);
        const auto raw = std::visit(
            [](const auto& v) -> std::uint64_t {
              if constexpr (std::is_integral_v<std::decay_t<decltype(v)>>) {
                return static_cast<std::uint64_t>(v);
              } else {
                return 0;
              }
            },
            item.value);
        layout.primitive(ns, item.key, spec.code, raw, spec.width);
      }
    }
    const std::size_t available = partition_size / page_size - 1;
    if (layout.page_count() > available) {
      const std::size_t needed = layout.page_count() + 1;
      return core::Error::failure(
          "the NVS data does not fit in a partition of " + hex_size(partition_size) + " bytes; " +
          std::to_string(needed) + " pages needed (" + std::to_string(layout.page_count()) +
          " with data + 1 reserved), so at least " + hex_size(needed * page_size) + " bytes");
    }
    return layout.image(partition_size);
  });
}

}  // namespace iotfleet::provision::nvs

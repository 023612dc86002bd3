#include "firmware/image_report.hpp"

#include <cstdio>
#include <string>

#include "core/encoding.hpp"
#include "firmware/chips.hpp"

namespace iotfleet::firmware {
namespace {

using nlohmann::json;

std::string hex_fixed(std::uint32_t value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", digits, value);
  return buf;
}

std::string revision(std::uint16_t full) {
  return std::to_string(full / 100) + "." + std::to_string(full % 100);
}

void title(std::ostream& out, const std::string& text) {
  out << "\n" << text << "\n" << std::string(text.size(), '=') << "\n";
}

// One aligned segment row like esptool's "{:7}  {:#07x}  {:#010x}  {:#010x}  {}".
std::string segment_row(const Segment& s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%7zu  %#07x  0x%08x  0x%08zx  %s", s.index, s.length, s.load_addr,
                s.file_offset, s.load_addr < 0x10000 ? "PADDING" : "");
  std::string row = buf;
  while (!row.empty() && row.back() == ' ') row.pop_back();
  return row;
}

void write_app(std::ostream& out, const ImageInfo& info) {
  if (!info.app) {
    out << "\nApplication information: none (the first segment is shorter than 256 bytes)\n";
    return;
  }
  const AppDescription& a = *info.app;
  if (!a.magic_ok) {
    out << "\nApplication information: none (magic " << hex_fixed(a.magic, 8)
        << " at offset 0x20, expected 0xabcd5432)\n";
    return;
  }
  title(out, "Application information");
  out << "Project name: " << a.project_name << "\n"
      << "App version: " << a.version << "\n"
      << "Compile time: " << a.date << " " << a.time << "\n"
      << "ELF file SHA256: " << core::hex_encode(a.elf_sha256) << "\n"
      << "ESP-IDF: " << a.idf_ver << "\n"
      << "Minimal eFuse block revision: " << revision(a.min_efuse_blk_rev_full) << "\n"
      << "Maximal eFuse block revision: " << revision(a.max_efuse_blk_rev_full) << "\n";
  if (a.mmu_page_size != 0) {
    if (a.mmu_page_size >= 10 && a.mmu_page_size < 32)
      out << "MMU page size: " << ((1u << a.mmu_page_size) / 1024) << " KB\n";
    else
      out << "MMU page size: 2^" << unsigned{a.mmu_page_size} << " bytes\n";
  }
  out << "Secure version: " << a.secure_version << "\n";
}

}  // namespace

json to_json(const ImageInfo& info) {
  json segments = json::array();
  for (const Segment& s : info.segments)
    segments.push_back({{"index", s.index},
                        {"load_addr", hex_fixed(s.load_addr, 8)},
                        {"length", s.length},
                        {"file_offset", s.file_offset}});
  json app = nullptr;
  if (info.app) {
    const AppDescription& a = *info.app;
    app = {{"magic_ok", a.magic_ok}, {"secure_version", a.secure_version},
           {"version", a.version},   {"project_name", a.project_name},
           {"time", a.time},         {"date", a.date},
           {"idf_ver", a.idf_ver},   {"elf_sha256", core::hex_encode(a.elf_sha256)}};
  }
  json sha256_valid = nullptr;
  if (auto v = info.sha256_valid()) sha256_valid = *v;
  return {{"file", info.file},
          {"size", info.size},
          {"chip", info.chip},
          {"chip_id", info.chip_id},
          {"entry_point", hex_fixed(info.entry_point, 8)},
          {"flash_mode", info.flash_mode},
          {"flash_size", info.flash_size},
          {"flash_freq", info.flash_freq},
          {"segments", std::move(segments)},
          {"checksum",
           {{"value", hex_fixed(info.checksum_stored, 2)}, {"valid", info.checksum_valid()}}},
          {"hash_appended", info.hash_appended},
          {"sha256_valid", sha256_valid},
          {"min_rev_full", info.min_rev_full},
          {"max_rev_full", info.max_rev_full},
          {"app", std::move(app)}};
}

void write_text(std::ostream& out, const ImageInfo& info) {
  const auto known = chip_name(info.chip_id);
  const std::string prefix = known ? std::string(*known) + " " : "";
  if (!info.file.empty()) out << "File: " << info.file << "\n";
  out << "File size: " << info.size << " (bytes)\n"
      << "Detected image type: " << info.chip << "\n";

  title(out, prefix + "image header");
  if (info.entry_point != 0)
    out << "Entry point: " << hex_fixed(info.entry_point, 8) << "\n";
  else
    out << "Entry point not set\n";
  out << "Segments: " << info.segments.size() << "\n"
      << "Flash size: " << info.flash_size << "\n"
      << "Flash freq: " << info.flash_freq << "\n"
      << "Flash mode: " << info.flash_mode << "\n";

  title(out, prefix + "extended image header");
  out << "WP pin: " << hex_fixed(info.wp_pin, 2) << (info.wp_pin == 0xEE ? " (disabled)" : "")
      << "\n";
  const auto& d = info.spi_pin_drv;
  auto lo = [](std::uint8_t v) { return hex_fixed(v & 0x0Fu, 1); };
  auto hi = [](std::uint8_t v) { return hex_fixed(v >> 4, 1); };
  out << "Flash pins drive settings: clk_drv: " << lo(d[0]) << ", q_drv: " << hi(d[0])
      << ", d_drv: " << lo(d[1]) << ", cs0_drv: " << hi(d[1]) << ", hd_drv: " << lo(d[2])
      << ", wp_drv: " << hi(d[2]) << "\n";
  out << "Chip ID: " << info.chip_id << " (" << (known ? *known : "Unknown ID") << ")\n"
      << "Minimal chip revision: v" << revision(info.min_rev_full)
      << ", (legacy min_rev = " << unsigned{info.min_rev} << ")\n"
      << "Maximal chip revision: v" << revision(info.max_rev_full) << "\n";

  title(out, "Segments information");
  out << "Segment   Length   Load addr   File offs  Note\n"
      << "-------  -------  ----------  ----------  -------\n";
  for (const Segment& s : info.segments) out << segment_row(s) << "\n";

  title(out, prefix + "image footer");
  out << "Checksum: " << hex_fixed(info.checksum_stored, 2)
      << (info.checksum_valid()
              ? " (valid)"
              : " (invalid - calculated " + hex_fixed(info.checksum_computed, 2) + ")")
      << "\n";
  if (info.sha256_computed)
    out << "Validation hash: " << core::hex_encode(*info.sha256_computed)
        << (info.sha256_valid() == true ? " (valid)" : " (invalid)") << "\n";
  else
    out << "Validation hash: not appended\n";
  if (info.trailing_bytes != 0)
    out << "Trailing data: " << info.trailing_bytes
        << " bytes after the image, not covered by the checksum or hash\n";

  write_app(out, info);
}

}  // namespace iotfleet::firmware

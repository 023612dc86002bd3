#pragma once
// Human tables for default output: columns sized to their widest cell, two spaces apart.

#include <ostream>
#include <string>
#include <vector>

namespace iotfleet::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

/// "key: value" lines with aligned values, for single-object output (show commands).
void print_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace iotfleet::cli

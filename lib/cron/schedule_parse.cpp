// Parsing follows croniter 1.3.5's _expand (what it accepts, and what it then counts as "every
// value"), with messages that name the field; schedule.cpp lists where we accept or refuse more.

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "cron/schedule.hpp"

namespace iotfleet::cron {

namespace {

enum Field { kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek };

struct FieldSpec {
  const char* name;
  int min;
  int max;  // day-of-week: 7, another Sunday
};
constexpr FieldSpec kSpecs[5] = {{"minute", 0, 59},
                                 {"hour", 0, 23},
                                 {"day-of-month", 1, 31},
                                 {"month", 1, 12},
                                 {"day-of-week", 0, 7}};

constexpr std::string_view kMonthNames[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                              "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::string_view kDayNames[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::string_view kHint =
    "fields: minute hour day-of-month month day-of-week, e.g. '0 8 * * 6#1' (08:00 on the first "
    "Saturday of each month); or @yearly, @monthly, @weekly, @daily, @hourly";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A run of digits as a number; absurdly long ones saturate (they are out of every range).
int number(std::string_view digits) {
  long long v = 0;
  for (char c : digits) v = std::min<long long>(v * 10 + (c - '0'), 1'000'000'000);
  return static_cast<int>(v);
}

std::vector<std::string_view> split(std::string_view s, auto is_separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || is_separator(s[i])) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

// One field's items, collected the way croniter collects them.
struct Items {
  std::set<int> values;             // day-of-week 7 already folded to 0
  bool star = false;                // a '*' item
  bool last = false;                // day-of-month L
  std::set<int> nearest;            // day-of-month 15W
  bool last_weekday = false;        // day-of-month LW
  std::map<int, std::uint8_t> nth;  // day-of-week: weekday → bit n for #n, bit 0 for L
  std::set<int> plain;              // day-of-week values from items without # or L
};

class FieldParser {
 public:
  FieldParser(std::string_view expression, Field field, std::string_view text)
      : expression_(expression), field_(field), spec_(kSpecs[field]), text_(text) {}

  Items parse() {
    for (std::string_view item : split(text_, [](char c) { return c == ','; })) {
      if (item.empty()) fail(text_, "has an empty list item");
      parse_item(item, lower(item));
    }
    return std::move(items_);
  }

  [[noreturn]] void fail(std::string_view item, const std::string& problem) const {
    std::string message = "cron expression '" + std::string(expression_) + "': " + spec_.name +
                          " field '" + std::string(text_) + "'";
    message += item == text_ ? " " : ": '" + std::string(item) + "' ";
    throw core::Failure(core::Error::usage(message + problem, std::string(kHint)));
  }

 private:
  void parse_item(std::string_view item, const std::string& s) {
    if (field_ == kDayOfWeek &&
        (s.find('#') != std::string::npos || s.starts_with('l') || s.ends_with('l')))
      return weekday_in_month(item, s);
    if (field_ == kDayOfMonth && s.find('w') != std::string::npos) return nearest_weekday(item, s);
    if (field_ == kDayOfMonth && s == "l") {
      items_.last = true;
      return;
    }
    if (s.find('#') != std::string::npos)
      fail(item, "uses '#', which only day-of-week allows (6#1 = first Saturday)");

    const std::size_t slash = s.find('/');
    const std::string_view base = std::string_view(s).substr(0, slash);
    int step = 1;
    if (slash != std::string::npos) {
      const std::string_view step_text = std::string_view(s).substr(slash + 1);
      if (!all_digits(step_text))
        fail(item, "has a step that is not a number (write */15 or 10-40/5)");
      step = number(step_text);
      if (step == 0) fail(item, "has a step of 0 (steps start at 1)");
    }
    if (base == "*") {
      if (slash == std::string::npos) {
        items_.star = true;
        return;
      }
      return add_range(item, spec_.min, spec_.max, step);
    }
    if (base.starts_with('-')) fail(item, "is negative");
    const std::size_t dash = base.find('-');
    if (dash == std::string::npos) {
      const int low = value(item, base);
      // croniter reads "a/n" as "a-max/n" (in day-of-week the max is 7, Sunday again).
      if (slash != std::string::npos)
        return add_range(item, low, std::max(low, spec_.max), step, low > spec_.max);
      return add(item, low);
    }
    const std::string_view low_text = base.substr(0, dash), high_text = base.substr(dash + 1);
    if (high_text.empty() || high_text.find('-') != std::string::npos)
      fail(item, "is not a range (write a-b, such as 9-17)");
    const int low = value(item, low_text);
    int high = field_ == kDayOfMonth && high_text == "l" ? spec_.max : value(item, high_text);
    if (low > high) {
      // croniter lets a weekday range end on Sunday as 0: "fri-sun", "5-0".
      if (field_ == kDayOfWeek && (high_text == "0" || high_text == "sun"))
        high = 7;
      else
        fail(item, "runs backwards (ranges do not wrap around: write 22-23,0-2)");
    }
    add_range(item, low, high, step, high > spec_.max);
  }

  // A number, or a month or weekday name where the field has them.
  int value(std::string_view item, std::string_view s) const {
    if (all_digits(s)) return number(s);
    if (field_ == kMonth)
      for (int i = 0; i < 12; ++i)
        if (s == kMonthNames[i]) return i + 1;
    if (field_ == kDayOfWeek)
      for (int i = 0; i < 7; ++i)
        if (s == kDayNames[i]) return i;
    if (s == "?") fail(item, "uses '?', which croniter does not accept: write *");
    if (field_ == kMonth) fail(item, "is not a number or a month name (JAN-DEC)");
    if (field_ == kDayOfWeek) fail(item, "is not a number or a weekday name (SUN-SAT)");
    if (s == "l" && field_ == kDayOfMonth)
      fail(item, "uses L where only a number fits: L stands alone or ends a range (15-L)");
    if (s == "l")
      fail(item, "uses L, which only day-of-month (last day) and day-of-week (5L) allow");
    fail(item, "is not a number");
  }

  std::string range_text() const {
    std::string r =
        std::to_string(spec_.min) + "-" + std::to_string(field_ == kDayOfWeek ? 7 : spec_.max);
    if (field_ == kMonth) r += " or JAN-DEC";
    if (field_ == kDayOfWeek) r += " or SUN-SAT";
    return r;
  }

  void add(std::string_view item, int v) {
    if (v < spec_.min || v > spec_.max) fail(item, "is out of range " + range_text());
    if (field_ == kDayOfWeek) {
      v %= 7;
      items_.plain.insert(v);
    }
    items_.values.insert(v);
  }

  void add_range(std::string_view item, int low, int high, int step, bool too_high = false) {
    if (too_high) fail(item, "is out of range " + range_text());
    for (int v = low; v <= high; v += step) add(item, v);
  }

  // day-of-week "6#1", "sat#1" (nth weekday of the month), "L5" or "5L" (last Friday).
  void weekday_in_month(std::string_view item, const std::string& s) {
    std::string base;
    int bit = 0;  // bit 0: last; bit n: #n
    if (const auto hash = s.find('#'); hash != std::string::npos) {
      base = s.substr(0, hash);
      const std::string n = s.substr(hash + 1);
      const bool word = !base.empty() && std::all_of(base.begin(), base.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0;
      });
      if (!word || !all_digits(n))
        fail(item, "is not a weekday and a week number, such as 6#1 or SAT#1");
      bit = number(n);
      if (bit < 1 || bit > 5) fail(item, "has a week number outside 1-5");
    } else {
      base = s.starts_with('l') ? s.substr(1) : s.substr(0, s.size() - 1);  // croniter's L5, or 5L
      if (!all_digits(base))
        fail(item,
             "is not a weekday with L: write 5L or L5 for the last Friday (L alone is the last "
             "day, in day-of-month)");
    }
    const int v = value(item, base);
    if (v > 7) fail(item, "is out of range " + range_text());
    items_.values.insert(v % 7);
    items_.nth[v % 7] |= static_cast<std::uint8_t>(1u << bit);
  }

  // day-of-month "15W" (the weekday nearest the 15th) and "LW" (the last weekday).
  void nearest_weekday(std::string_view item, const std::string& s) {
    if (s == "lw") {
      items_.last_weekday = true;
      return;
    }
    const std::string base = s.substr(0, s.size() - 1);
    if (!s.ends_with('w') || !all_digits(base)) fail(item, "is not a day with W: write 15W or LW");
    const int day = number(base);
    if (day < 1 || day > 31) fail(item, "is out of range 1-31");
    items_.nearest.insert(day);
  }

  std::string_view expression_;
  Field field_;
  FieldSpec spec_;
  std::string_view text_;
  Items items_;
};

template <std::size_t N>
std::bitset<N> to_bits(const Items& items) {
  std::bitset<N> bits;
  if (items.star) bits.set();
  for (int v : items.values)
    if (v >= 0 && static_cast<std::size_t>(v) < N) bits.set(static_cast<std::size_t>(v));
  return bits;
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view expand_macro(std::string_view expression, std::string_view text) {
  static const std::map<std::string, std::string_view, std::less<>> macros = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}};
  const auto it = macros.find(lower(text));
  if (it == macros.end())
    throw core::Failure(core::Error::usage("cron expression '" + std::string(expression) +
                                               "': unknown macro (use @yearly, @annually, "
                                               "@monthly, @weekly, @daily, @midnight or @hourly)",
                                           std::string(kHint)));
  return it->second;
}

}  // namespace

core::Result<Schedule> Schedule::parse(std::string_view expression) {
  return core::capture([&]() -> Schedule {
    std::string_view text = trim(expression);
    if (text.starts_with('@')) text = expand_macro(expression, text);
    std::vector<std::string_view> fields;
    for (std::string_view f :
         split(text, [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }))
      if (!f.empty()) fields.push_back(f);
    if (fields.size() != 5) {
      std::string message = "cron expression '" + std::string(expression) + "': ";
      message +=
          fields.empty() ? "is empty" : "has " + std::to_string(fields.size()) + " fields, not 5";
      if (fields.size() == 6) message += " (a seconds field is not supported)";
      throw core::Failure(core::Error::usage(message, std::string(kHint)));
    }

    std::vector<Items> items;
    for (int i = 0; i < 5; ++i)
      items.push_back(FieldParser(expression, Field(i), fields[i]).parse());

    Fields f;
    f.minutes = to_bits<60>(items[kMinute]);
    f.hours = to_bits<24>(items[kHour]);
    f.months = to_bits<13>(items[kMonth]);
    f.months.reset(0);

    const Items& dom = items[kDayOfMonth];
    f.days = to_bits<32>(dom);
    f.days.reset(0);
    f.last_day = dom.last;
    f.last_weekday = dom.last_weekday;
    for (int d : dom.nearest) f.nearest_weekday.set(static_cast<std::size_t>(d));
    // croniter: a '*' item, or 31 items (L counts as one), means every day.
    f.days_any = dom.star ||
                 (dom.nearest.empty() && !dom.last_weekday && dom.values.size() + dom.last == 31);

    const Items& dow = items[kDayOfWeek];
    f.weekdays = to_bits<7>(dow);
    for (const auto& [wd, bits] : dow.nth) f.nth[static_cast<std::size_t>(wd)] = bits;
    // croniter: seven items ('*' counts as one) mean every weekday; else '#'/L items may not be
    // mixed with plain weekdays.
    const bool seven = dow.values.size() + dow.star == 7;
    f.weekdays_any = dow.star || seven;
    if (!dow.nth.empty() && !seven)
      for (int wd : dow.plain)
        if (!dow.nth.contains(wd))
          FieldParser(expression, kDayOfWeek, fields[kDayOfWeek])
              .fail(fields[kDayOfWeek],
                    "mixes plain weekdays with '#' or 'L' ones, which croniter does not support");
    return Schedule(std::string(expression), f);
  });
}

}  // namespace iotfleet::cron

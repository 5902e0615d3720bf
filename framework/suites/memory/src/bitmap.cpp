#include <algorithm>
#include <bit>
#include <limits>
#include <numeric>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/core/error.h>
#include <seedval/memory/bitmap.h>

namespace seedval::memory {
namespace {

using Json = nlohmann::ordered_json;

// A cell's place in the sort order: address, then bit.
std::uint64_t key_of(std::uint64_t word, unsigned bit) noexcept {
  return word * 64 + bit;
}
std::uint64_t key_of(const FailingCell& c) noexcept {
  return key_of(c.address / 8, c.bit);
}

constexpr FailShape kShapes[] = {FailShape::single_bit, FailShape::double_bit_word, FailShape::multi_bit_word,
                                 FailShape::row,        FailShape::column,          FailShape::cluster,
                                 FailShape::bank};

std::string bank_name(const chip::PhysicalAddress& p) {
  return fmt::format("s{}.ch{}.b{}", p.stack, p.channel, p.bank);
}

std::string span_name(std::string_view one, std::string_view many, std::uint32_t lo, std::uint32_t hi) {
  return lo == hi ? fmt::format("{} {}", one, lo) : fmt::format("{} {}-{}", many, lo, hi);
}

std::string op_name(const chip::MarchOp& op) {
  return fmt::format("{}{}", op.kind == chip::MarchOp::Kind::read ? 'r' : 'w', op.inverted ? 1 : 0);
}

// The notation of one element, without the braces of a whole algorithm.
std::string element_notation(const chip::MarchElement& element) {
  chip::MarchAlgorithm one;
  one.elements.push_back(element);
  const std::string n = one.notation();
  return n.substr(1, n.size() - 2);
}

// Shapes of the cells of one bank. `bank` holds indexes into `cells`, ordered by row, column, bit.
class BankClassifier {
 public:
  BankClassifier(const chip::HbmGeometry& geometry, const std::vector<FailingCell>& cells,
                 std::span<const std::size_t> bank, const ShapeRules& rules, std::vector<ShapeGroup>& out)
      : geometry_(geometry), cells_(cells), bank_(bank), rules_(rules), out_(out), taken_(bank.size(), 0) {}

  void run() {
    const std::size_t first_group = out_.size();
    const std::size_t lines = find_rows() + find_columns();
    if (lines >= rules_.bank_min_lines || is_scatter()) {
      out_.resize(first_group);  // the bank takes its rows and columns too
      ShapeGroup g = group(FailShape::bank, bank_name(cell(0).location));
      g.cells.assign(bank_.begin(), bank_.end());
      out_.push_back(std::move(g));
      return;
    }
    find_clusters_and_words();
  }

 private:
  const FailingCell& cell(std::size_t i) const { return cells_[bank_[i]]; }
  std::uint32_t row(std::size_t i) const { return cell(i).location.row; }
  std::uint32_t column(std::size_t i) const { return cell(i).location.column; }

  ShapeGroup group(FailShape shape, std::string where) const {
    ShapeGroup g;
    g.shape = shape;
    g.bank = cell(0).bank;
    g.where = std::move(where);
    return g;
  }

  // Rows failing in enough distinct columns; returns how many.
  std::size_t find_rows() {
    std::size_t found = 0;
    for (std::size_t a = 0; a < bank_.size();) {
      std::size_t b = a + 1;
      std::uint32_t columns = 1;
      for (; b < bank_.size() && row(b) == row(a); ++b) columns += column(b) != column(b - 1) ? 1 : 0;
      if (columns >= rules_.row_min_columns) {
        ShapeGroup g = group(FailShape::row, fmt::format("{} row {}", bank_name(cell(a).location), row(a)));
        for (std::size_t i = a; i < b; ++i) {
          g.cells.push_back(bank_[i]);
          taken_[i] = 1;
        }
        out_.push_back(std::move(g));
        ++found;
      }
      a = b;
    }
    return found;
  }

  // Bitlines (column, bit) failing in enough distinct rows, outside the rows; one group per word column.
  std::size_t find_columns() {
    std::vector<std::size_t> rest;
    for (std::size_t i = 0; i < bank_.size(); ++i)
      if (taken_[i] == 0) rest.push_back(i);
    // Within one bitline each cell is in a different row, so a bitline's run length is its row count.
    std::stable_sort(rest.begin(), rest.end(), [&](std::size_t x, std::size_t y) {
      if (column(x) != column(y)) return column(x) < column(y);
      return cell(x).bit < cell(y).bit;
    });
    std::size_t found = 0;
    for (std::size_t a = 0; a < rest.size();) {
      const std::uint32_t col = column(rest[a]);
      std::vector<std::size_t> members;
      std::vector<unsigned> bits;
      std::size_t b = a;
      while (b < rest.size() && column(rest[b]) == col) {
        std::size_t e = b + 1;
        while (e < rest.size() && column(rest[e]) == col && cell(rest[e]).bit == cell(rest[b]).bit) ++e;
        if (e - b >= rules_.column_min_rows) {
          members.insert(members.end(), rest.begin() + static_cast<std::ptrdiff_t>(b),
                         rest.begin() + static_cast<std::ptrdiff_t>(e));
          bits.push_back(cell(rest[b]).bit);
        }
        b = e;
      }
      if (!members.empty()) {
        const std::string prefix = fmt::format("{} column {}", bank_name(cell(members[0]).location), col);
        ShapeGroup g =
            group(FailShape::column, bits.size() == 1 ? fmt::format("{} bit {}", prefix, bits[0])
                                                      : fmt::format("{}, {} bits", prefix, bits.size()));
        for (std::size_t i : members) {
          g.cells.push_back(bank_[i]);
          taken_[i] = 1;
        }
        out_.push_back(std::move(g));
        ++found;
      }
      a = b;
    }
    return found;
  }

  // The cells outside rows and columns spread over the bank.
  bool is_scatter() const {
    std::size_t words = 0;
    std::size_t rows = 0;
    std::vector<std::uint32_t> columns;
    bool any = false;
    std::uint32_t last_row = 0;
    std::uint32_t last_column = 0;
    for (std::size_t i = 0; i < bank_.size(); ++i) {
      if (taken_[i] != 0) continue;
      if (!any || row(i) != last_row) {
        ++rows;
        ++words;
      } else if (column(i) != last_column) {
        ++words;
      }
      if (!any || row(i) != last_row || column(i) != last_column) columns.push_back(column(i));
      any = true;
      last_row = row(i);
      last_column = column(i);
    }
    std::sort(columns.begin(), columns.end());
    const auto distinct_columns =
        static_cast<std::size_t>(std::unique(columns.begin(), columns.end()) - columns.begin());
    const double bank_words = static_cast<double>(geometry_.rows) * geometry_.columns;
    return words >= rules_.bank_min_words && rows >= rules_.bank_min_rows &&
           distinct_columns >= rules_.bank_min_columns &&
           static_cast<double>(words) >= rules_.bank_min_fraction * bank_words;
  }

  struct Word {
    std::uint32_t row = 0;
    std::uint32_t column = 0;
    std::vector<std::size_t> members;  // positions in bank_, by bit
  };

  std::size_t root(std::size_t w) {
    while (parent_[w] != w) {
      parent_[w] = parent_[parent_[w]];
      w = parent_[w];
    }
    return w;
  }

  void find_clusters_and_words() {
    // The words left. bank_ is ordered by row, column, bit, so the cells left of one word are adjacent
    // once the taken ones are skipped.
    std::vector<Word> merged;
    for (std::size_t i = 0; i < bank_.size(); ++i) {
      if (taken_[i] != 0) continue;
      if (merged.empty() || merged.back().row != row(i) || merged.back().column != column(i))
        merged.push_back({row(i), column(i), {}});
      merged.back().members.push_back(i);
    }
    auto pos = [](std::uint64_t r, std::uint64_t c) { return (r << 32) | c; };
    std::unordered_map<std::uint64_t, std::size_t> at;
    at.reserve(merged.size());
    for (std::size_t w = 0; w < merged.size(); ++w) at.emplace(pos(merged[w].row, merged[w].column), w);

    parent_.resize(merged.size());
    std::iota(parent_.begin(), parent_.end(), std::size_t{0});
    const auto reach = static_cast<std::int64_t>(rules_.cluster_reach);
    for (std::size_t w = 0; w < merged.size(); ++w) {
      for (std::int64_t dr = 0; dr <= reach; ++dr) {
        for (std::int64_t dc = -reach; dc <= reach; ++dc) {
          if (dr == 0 && dc <= 0) continue;
          const std::int64_t r = std::int64_t{merged[w].row} + dr;
          const std::int64_t c = std::int64_t{merged[w].column} + dc;
          if (c < 0 || r > std::numeric_limits<std::uint32_t>::max() ||
              c > std::numeric_limits<std::uint32_t>::max())
            continue;
          const auto it = at.find(pos(static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(c)));
          if (it == at.end()) continue;
          const std::size_t a = root(w);
          const std::size_t b = root(it->second);
          if (a != b) parent_[std::max(a, b)] = std::min(a, b);
        }
      }
    }

    // Components in order of their first word; roots are the smallest word of their component.
    std::vector<std::vector<std::size_t>> components(merged.size());
    for (std::size_t w = 0; w < merged.size(); ++w) components[root(w)].push_back(w);
    for (std::size_t w = 0; w < merged.size(); ++w) {
      const std::vector<std::size_t>& comp = components[w];
      if (comp.empty()) continue;
      std::size_t count = 0;
      for (std::size_t m : comp) count += merged[m].members.size();
      if (comp.size() >= 2 && count >= rules_.cluster_min_cells) {
        std::uint32_t r0 = merged[comp[0]].row, r1 = r0, c0 = merged[comp[0]].column, c1 = c0;
        for (std::size_t m : comp) {
          r0 = std::min(r0, merged[m].row);
          r1 = std::max(r1, merged[m].row);
          c0 = std::min(c0, merged[m].column);
          c1 = std::max(c1, merged[m].column);
        }
        ShapeGroup g =
            group(FailShape::cluster,
                  fmt::format("{} {} {}", bank_name(cell(merged[comp[0]].members[0]).location),
                              span_name("row", "rows", r0, r1), span_name("column", "columns", c0, c1)));
        for (std::size_t m : comp)
          for (std::size_t i : merged[m].members) g.cells.push_back(bank_[i]);
        out_.push_back(std::move(g));
        continue;
      }
      for (std::size_t m : comp) out_.push_back(word_group(merged[m].members));
    }
  }

  ShapeGroup word_group(const std::vector<std::size_t>& members) const {
    const std::string word = chip::to_string(cell(members[0]).location);
    ShapeGroup g;
    if (members.size() == 1) {
      g = group(FailShape::single_bit, fmt::format("{} bit {}", word, cell(members[0]).bit));
    } else if (members.size() == 2) {
      const unsigned a = cell(members[0]).bit, b = cell(members[1]).bit;
      g = group(FailShape::double_bit_word,
                fmt::format("{} bits {},{}", word, std::min(a, b), std::max(a, b)));
    } else {
      g = group(FailShape::multi_bit_word, fmt::format("{} {} bits", word, members.size()));
    }
    for (std::size_t i : members) g.cells.push_back(bank_[i]);
    return g;
  }

  const chip::HbmGeometry& geometry_;
  const std::vector<FailingCell>& cells_;
  std::span<const std::size_t> bank_;
  const ShapeRules& rules_;
  std::vector<ShapeGroup>& out_;
  std::vector<char> taken_;  // per position in bank_: in a row or column group
  std::vector<std::size_t> parent_;
};

// The JSON writer. The arrays are written a cell or a shape per line, by hand: a 65536-cell map as a
// document tree costs a second and ~100 MB; written directly it takes milliseconds.
class JsonWriter {
 public:
  // `text` as a JSON string; the three strings of a cell repeat, so each is escaped once.
  const std::string& quoted(const std::string& text) {
    auto it = quoted_.find(text);
    if (it == quoted_.end())
      it = quoted_.emplace(text, Json(text).dump(-1, ' ', false, Json::error_handler_t::replace)).first;
    return it->second;
  }

 private:
  std::unordered_map<std::string, std::string> quoted_;
};

template <typename... T>
void put(std::string& out, fmt::format_string<T...> format, T&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<T>(args)...);
}

void append_location(std::string& out, const FailingCell& c) {
  put(out,
      R"("address": "0x{:x}", "bit": {}, "stack": {}, "channel": {}, "bank": {}, "row": {}, )"
      R"("column": {})",
      c.address, c.bit, c.location.stack, c.location.channel, c.location.bank, c.location.row,
      c.location.column);
}

}  // namespace

std::string_view to_string(FailShape shape) noexcept {
  switch (shape) {
    case FailShape::single_bit:
      return "single-bit";
    case FailShape::double_bit_word:
      return "double-bit-word";
    case FailShape::multi_bit_word:
      return "multi-bit-word";
    case FailShape::row:
      return "row";
    case FailShape::column:
      return "column";
    case FailShape::cluster:
      return "cluster";
    case FailShape::bank:
      return "bank";
  }
  return "unknown";
}

std::string describe_background(const chip::DataBackground& background) {
  if (background.invert_mask == 0) return fmt::format("solid 0x{:016x}", background.pattern);
  return fmt::format("0x{:016x} inverted by parity of word & 0x{:016x}", background.pattern,
                     background.invert_mask);
}

FailBitmap::FailBitmap(const chip::HbmGeometry& geometry, std::size_t max_cells) {
  try {
    geometry.validate();
  } catch (const Error& e) {
    rethrow_with_context(e, "fail bitmap");
  }
  state_.geometry = geometry;
  state_.max_cells = max_cells;
}

FailBitmap::FailBitmap(const FailBitmap& other) : state_(other.settled()) {}
FailBitmap::FailBitmap(FailBitmap&& other) noexcept : state_(std::move(other.state_)) {
  other.clear();
}

FailBitmap& FailBitmap::operator=(const FailBitmap& other) {
  if (this != &other) state_ = other.settled();
  return *this;
}

FailBitmap& FailBitmap::operator=(FailBitmap&& other) noexcept {
  if (this != &other) {
    state_ = std::move(other.state_);
    other.clear();
  }
  return *this;
}

void FailBitmap::clear() noexcept {
  state_.cells.clear();
  state_.tail.clear();
  state_.sorted = 0;
  state_.words = 0;
  state_.failing_reads = 0;
  state_.dropped_cells = 0;
}

void FailBitmap::check_word(std::uint64_t word) const {
  if (word >= state_.geometry.words())
    throw InvalidArgumentError(ErrorCode::invalid_argument,
                               fmt::format("fail bitmap: word index 0x{:x} is outside the {} words of {}",
                                           word, state_.geometry.words(), state_.geometry.describe()));
}

FailingCell* FailBitmap::find(std::uint64_t key) {
  State& s = state_;
  const auto sorted_end = s.cells.begin() + static_cast<std::ptrdiff_t>(s.sorted);
  const auto it = std::lower_bound(s.cells.begin(), sorted_end, key,
                                   [](const FailingCell& c, std::uint64_t k) { return key_of(c) < k; });
  if (it != sorted_end && key_of(*it) == key) return &*it;
  const auto t = s.tail.find(key);
  return t == s.tail.end() ? nullptr : &s.cells[t->second];
}

void FailBitmap::add_read(std::uint64_t word, std::uint64_t expected, std::uint64_t actual,
                          std::string_view test, std::string_view element, std::string_view background) {
  check_word(word);
  std::uint64_t diff = expected ^ actual;
  if (diff == 0) return;
  State& s = state_;
  ++s.failing_reads;
  const chip::PhysicalAddress location = s.geometry.to_physical(word);
  for (; diff != 0; diff &= diff - 1) {
    const auto bit = static_cast<unsigned>(std::countr_zero(diff));
    const std::uint64_t key = key_of(word, bit);
    if (FailingCell* c = find(key)) {
      if (c->fail_count < std::numeric_limits<std::uint32_t>::max()) ++c->fail_count;
      continue;
    }
    if (s.cells.size() >= s.max_cells) {
      ++s.dropped_cells;
      continue;
    }
    FailingCell c;
    c.address = word * 8;
    c.bit = static_cast<std::uint8_t>(bit);
    c.location = location;
    c.bank = s.geometry.bank_index(location);
    c.expected = ((expected >> bit) & 1) != 0;
    c.read = ((actual >> bit) & 1) != 0;
    c.test = test;
    c.element = element;
    c.background = background;
    // In-order arrivals (an ascending sweep) extend the sorted part directly.
    const bool in_order = s.tail.empty() && (s.cells.empty() || key_of(s.cells.back()) < key);
    if (in_order) {
      if (s.cells.empty() || s.cells.back().address != c.address) ++s.words;
      s.cells.push_back(std::move(c));
      s.sorted = s.cells.size();
    } else {
      s.cells.push_back(std::move(c));
      s.tail.emplace(key, s.cells.size() - 1);
    }
  }
}

void FailBitmap::add_march_fails(std::span<const chip::MarchFail> fails,
                                 const chip::MarchAlgorithm& algorithm, std::string_view background) {
  const std::string test = algorithm.name.empty() ? algorithm.notation() : algorithm.name;
  for (const chip::MarchFail& f : fails) {
    check_word(f.word);
    const auto where = [&] { return fmt::format("fail bitmap: march fail at word index 0x{:x}", f.word); };
    if (f.element >= algorithm.elements.size())
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("{}: \"{}\" has no element {} (it has {})", where(), test,
                                             f.element, algorithm.elements.size()));
    const chip::MarchElement& e = algorithm.elements[f.element];
    if (e.is_delay)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("{}: element {} of \"{}\" is a delay", where(), f.element, test));
    if (f.op >= e.ops.size())
      throw InvalidArgumentError(ErrorCode::invalid_argument,
                                 fmt::format("{}: element {} of \"{}\" has no op {} (it has {})", where(),
                                             f.element, test, f.op, e.ops.size()));
    if (e.ops[f.op].kind != chip::MarchOp::Kind::read)
      throw InvalidArgumentError(
          ErrorCode::invalid_argument,
          fmt::format("{}: op {} of element {} of \"{}\" is a write", where(), f.op, f.element, test));
  }
  std::vector<std::string> notations(algorithm.elements.size());
  for (const chip::MarchFail& f : fails) {
    const chip::MarchElement& e = algorithm.elements[f.element];
    std::string& n = notations[f.element];
    if (n.empty()) n = element_notation(e);
    add_read(f.word, f.expected, f.actual, test,
             fmt::format("M{} {} op {} ({})", f.element, n, f.op, op_name(e.ops[f.op])), background);
  }
}

const FailBitmap::State& FailBitmap::settled() const {
  const std::lock_guard lock(mutex_);
  State& s = state_;
  if (s.sorted == s.cells.size()) return s;
  const auto by_key = [](const FailingCell& a, const FailingCell& b) { return key_of(a) < key_of(b); };
  const auto middle = s.cells.begin() + static_cast<std::ptrdiff_t>(s.sorted);
  std::sort(middle, s.cells.end(), by_key);
  std::inplace_merge(s.cells.begin(), middle, s.cells.end(), by_key);
  s.sorted = s.cells.size();
  s.tail.clear();
  s.words = 0;
  for (std::size_t i = 0; i < s.cells.size(); ++i)
    if (i == 0 || s.cells[i].address != s.cells[i - 1].address) ++s.words;
  return s;
}

const std::vector<FailingCell>& FailBitmap::cells() const {
  return settled().cells;
}

std::size_t FailBitmap::failing_words() const {
  return settled().words;
}

std::vector<ShapeGroup> FailBitmap::classify(const ShapeRules& rules) const {
  const State& s = settled();
  const std::vector<FailingCell>& cells = s.cells;
  std::vector<std::size_t> order(cells.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const FailingCell& a = cells[x];
    const FailingCell& b = cells[y];
    if (a.bank != b.bank) return a.bank < b.bank;
    if (a.location.row != b.location.row) return a.location.row < b.location.row;
    if (a.location.column != b.location.column) return a.location.column < b.location.column;
    return a.bit < b.bit;
  });
  std::vector<ShapeGroup> groups;
  for (std::size_t a = 0; a < order.size();) {
    std::size_t b = a + 1;
    while (b < order.size() && cells[order[b]].bank == cells[order[a]].bank) ++b;
    BankClassifier(s.geometry, cells, std::span(order).subspan(a, b - a), rules, groups).run();
    a = b;
  }
  for (ShapeGroup& g : groups) std::sort(g.cells.begin(), g.cells.end());
  std::sort(groups.begin(), groups.end(), [](const ShapeGroup& x, const ShapeGroup& y) {
    if (x.bank != y.bank) return x.bank < y.bank;
    return x.cells.front() < y.cells.front();
  });
  return groups;
}

std::string FailBitmap::to_json() const {
  const State& s = settled();
  const std::vector<ShapeGroup> groups = classify();
  JsonWriter writer;
  std::string out;
  out.reserve(256 + s.cells.size() * 320 + groups.size() * 200);
  put(out,
      "{{\n  \"geometry\": {{\"stacks\": {}, \"channels\": {}, \"banks\": {}, \"rows\": {}, \"columns\": "
      "{}}},\n",
      s.geometry.stacks, s.geometry.channels, s.geometry.banks, s.geometry.rows, s.geometry.columns);
  put(out, "  \"failing_cells\": {},\n  \"failing_words\": {},\n  \"failing_reads\": {},\n", s.cells.size(),
      s.words, s.failing_reads);
  put(out, "  \"truncated\": {},\n  \"dropped_cells\": {},\n", s.dropped_cells > 0, s.dropped_cells);
  out += "  \"cells\": [";
  for (std::size_t i = 0; i < s.cells.size(); ++i) {
    const FailingCell& c = s.cells[i];
    out += i == 0 ? "\n    {" : ",\n    {";
    append_location(out, c);
    put(out,
        ", \"flat_bank\": {}, \"expected\": {}, \"read\": {}, \"test\": {}, \"element\": {}, "
        "\"background\": {}, \"fail_count\": {}}}",
        c.bank, c.expected ? 1 : 0, c.read ? 1 : 0, writer.quoted(c.test), writer.quoted(c.element),
        writer.quoted(c.background), c.fail_count);
  }
  out += s.cells.empty() ? "],\n" : "\n  ],\n";
  out += "  \"shapes\": [";
  std::size_t counts[std::size(kShapes)] = {};
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const ShapeGroup& g = groups[i];
    ++counts[static_cast<std::size_t>(g.shape)];
    put(out, "{}{{\"shape\": \"{}\", \"bank\": {}, \"where\": {}, \"cells\": {}, \"first\": {{",
        i == 0 ? "\n    " : ",\n    ", to_string(g.shape), g.bank, Json(g.where).dump(), g.cells.size());
    append_location(out, s.cells[g.cells.front()]);
    out += "}}";
  }
  out += groups.empty() ? "],\n" : "\n  ],\n";
  out += "  \"shape_counts\": {";
  for (FailShape shape : kShapes)
    put(out, "{}\"{}\": {}", shape == kShapes[0] ? "" : ", ", to_string(shape),
        counts[static_cast<std::size_t>(shape)]);
  out += "}\n}";
  return out;
}

}  // namespace seedval::memory

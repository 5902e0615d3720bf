// The "seedchip-sim" board backend: a socket holding one simulated die at a time, reached in-process.
//
// Descriptor keys (besides board/transport/description/include):
//   "population"            population file, relative to the descriptor        (required)
//   "memory_mib"            HBM in MiB, a power of two from 1 to 65536          (default 16)
//   "hbm"                   {"stacks", "channels", "banks", "rows", "columns"}: the HBM organisation
//                           (defaults 2, 4, 8, as many rows as memory_mib needs, 128); overrides memory_mib;
//                           also {"spare_rows", "spare_columns"}: repair resources per bank (default 4, 2)
//   "sram_kib"              on-chip SRAM per tensor core in KiB                  (default 256)
//   "disable_capabilities"  capability names the die does not declare, e.g. ["tensor"]: a chip variant
//                           or bring-up firmware without them                   (default none)
//   "die"                   the die in the socket until a handler inserts one   (default "SIM0-W01-X000-Y000"
//                           form: {"lot": "SIM0", "wafer": 1, "x": 0, "y": 0})
//   "contact_failure_rate"  chance that an insertion makes no contact, 0..1     (default 0)
#include <algorithm>
#include <bit>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <seedval/boards/backend.h>
#include <seedval/core/error.h>
#include <seedval/sim/chip_model.h>
#include <seedval/sim/ground_truth.h>
#include <seedval/sim/population.h>
#include <seedval/transport/inproc.h>

namespace seedval::sim {
namespace {

// What the host sees when the die in the socket makes no contact: no answer. It reports the timeout at
// once rather than waiting out the deadline, so a simulated lot does not sleep.
class OpenContactTransport final : public Transport {
 public:
  explicit OpenContactTransport(std::string name) : name_(std::move(name)) {}
  std::string describe() const override { return "inproc:" + name_; }
  TransportCapabilities capabilities() const override { return {protocol::kMaxPayload, true, false, false}; }
  void exchange_into(std::span<const std::uint8_t>, std::vector<std::uint8_t>&, Deadline,
                     std::stop_token stop) override {
    if (stop.stop_requested()) throw CancelledError(ErrorCode::cancelled, describe() + ": cancelled");
    throw TimeoutError(ErrorCode::timeout,
                       describe() + ": no response from the device in the socket (open contact)");
  }

 private:
  std::string name_;
};

class SimBoard final : public Board, public DieSocket {
 public:
  SimBoard(BoardInfo info, PopulationSpec population, ChipConfig config, chip::DieId die,
           double contact_failure_rate)
      : Board(std::move(info)),
        population_(std::move(population)),
        config_(std::move(config)),
        geometry_(config_.hbm_geometry()),
        contact_failure_rate_(contact_failure_rate) {
    insert(die, 1);
  }

  std::unique_ptr<Transport> connect() override {
    if (!contact_) return std::make_unique<OpenContactTransport>(info().name);
    return std::make_unique<InprocTransport>(model_, info().name);
  }

  DieSocket* die_socket() override { return this; }

  void insert(const chip::DieId& die, int insertion) override {
    std::vector<std::uint64_t> recycled;
    if (model_ && model_.use_count() == 1) recycled = model_->release_memory();  // no link still uses it
    model_ = std::make_shared<ChipModel>(config_, make_die(population_, die, geometry_), std::move(recycled));
    // Contact is a property of this insertion, not of the die: a retest usually makes contact.
    const std::uint64_t draw =
        mix64(model_->die().ecid ^ mix64(static_cast<std::uint64_t>(insertion) + population_.seed));
    contact_ = static_cast<double>(draw >> 11) * 0x1.0p-53 >= contact_failure_rate_;
    current_ = die;
  }

  std::optional<chip::DieId> current() const override { return current_; }

  std::optional<std::vector<KnownDefect>> ground_truth(const chip::DieId& die) const override {
    std::vector<KnownDefect> out;
    const DieInstance instance = make_die(population_, die, geometry_);
    for (const Defect& d : sim::ground_truth(instance, geometry_)) {
      if (d.harmless) continue;
      KnownDefect k{d.kind, d.category, d.where, d.caught_by, -1};
      // A weak cell is two classes for a program: one that fails at a low HBM supply is found at any
      // temperature, one that fails only hot needs a hot insertion.
      if (d.kind == "weak")
        k.defect_class = std::find(d.caught_by.begin(), d.caught_by.end(),
                                   "memory.march at low HBM supply") != d.caught_by.end()
                             ? "weak (low supply)"
                             : "weak (hot)";
      if (d.category == "core" || d.category == "sdc")
        for (const CoreFault& f : instance.core_faults)
          if (d.where.starts_with(fmt::format("core {} ", f.core))) k.core = static_cast<int>(f.core);
      out.push_back(std::move(k));
    }
    return out;
  }

 private:
  PopulationSpec population_;
  ChipConfig config_;
  chip::HbmGeometry geometry_;
  double contact_failure_rate_;
  std::shared_ptr<ChipModel> model_;
  std::optional<chip::DieId> current_;
  bool contact_ = true;
};

std::unique_ptr<Board> make_sim_board(JsonObject& params, BoardInfo info) {
  if (info.transport != "inproc")
    params.fail("transport",
                fmt::format("the seedchip-sim board is reached only \"inproc\", got \"{}\"", info.transport));
  const auto population_file = resolve_path(params, "population");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(population_file, ec))
    params.fail("population", fmt::format("population file {} does not exist", population_file.string()));
  PopulationSpec population = load_population(population_file);
  info.files.push_back(population_file);  // it decides every simulated verdict: hash it into the reports
  ChipConfig config;
  const auto mib = static_cast<std::uint64_t>(params.integer_or("memory_mib", 16, 1, 65536));
  if (!std::has_single_bit(mib)) params.fail("memory_mib", fmt::format("{} is not a power of two", mib));
  config.memory_size = mib << 20;
  if (auto h = params.optional_object("hbm")) {
    config.spare_rows = static_cast<std::uint32_t>(h->integer_or("spare_rows", config.spare_rows, 0, 65535));
    config.spare_columns =
        static_cast<std::uint32_t>(h->integer_or("spare_columns", config.spare_columns, 0, 65535));
    chip::HbmGeometry g;
    g.stacks = static_cast<std::uint32_t>(h->integer_or("stacks", g.stacks, 1, 8));
    g.channels = static_cast<std::uint32_t>(h->integer_or("channels", g.channels, 1, 16));
    g.banks = static_cast<std::uint32_t>(h->integer_or("banks", g.banks, 1, 64));
    g.columns = static_cast<std::uint32_t>(h->integer_or("columns", g.columns, 4, 4096));
    const std::uint64_t row_bytes = std::uint64_t{g.stacks} * g.channels * g.banks * g.columns * 8;
    g.rows = static_cast<std::uint32_t>(h->integer_or(
        "rows", static_cast<std::int64_t>(std::max<std::uint64_t>(1, config.memory_size / row_bytes)), 1,
        1 << 20));
    h->finish();
    try {
      g.validate();
    } catch (const Error& e) {
      params.fail("hbm", e.message());
    }
    config.geometry = g;
  }
  config.sram_kib = static_cast<std::uint32_t>(params.integer_or("sram_kib", config.sram_kib, 1, 65536));
  const auto& disabled = params.array_or_empty("disable_capabilities");
  for (std::size_t i = 0; i < disabled.size(); ++i) {
    const std::string where = params.element_path("disable_capabilities", i);
    if (!disabled[i].is_string())
      throw ConfigError(ErrorCode::config, fmt::format("{}: {}: expected a capability name, got {}",
                                                       params.origin("disable_capabilities"), where,
                                                       json_type_name(disabled[i])));
    try {
      config.disabled_capabilities |= chip::bit(chip::capability_from_string(disabled[i].get<std::string>()));
    } catch (const Error& e) {
      throw ConfigError(ErrorCode::config,
                        fmt::format("{}: {}: {}", params.origin("disable_capabilities"), where, e.message()));
    }
  }
  chip::DieId die{"SIM0", 1, 0, 0};
  if (auto d = params.optional_object("die")) {
    die.lot = d->string("lot");
    die.wafer = static_cast<int>(d->integer("wafer", 1, 25));
    die.x = static_cast<int>(d->integer("x", 0, 255));
    die.y = static_cast<int>(d->integer("y", 0, 255));
    d->finish();
    try {
      chip::validate(die);
    } catch (const Error& e) {
      params.fail("die", e.message());
    }
  }
  const double contact_failure_rate = params.number_or("contact_failure_rate", 0.0);
  if (!(contact_failure_rate >= 0.0 && contact_failure_rate <= 1.0))
    params.fail("contact_failure_rate", "expected a fraction from 0 to 1");
  return std::make_unique<SimBoard>(std::move(info), std::move(population), std::move(config), die,
                                    contact_failure_rate);
}

SEEDVAL_REGISTER_BOARD("seedchip-sim", "SeedChip software model, in-process", make_sim_board);

}  // namespace
}  // namespace seedval::sim

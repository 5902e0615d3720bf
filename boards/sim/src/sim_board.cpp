// The "seedchip-sim" board backend: a socket holding one simulated die at a time, reached in-process.
//
// Descriptor keys (besides board/transport/description/include):
//   "population"            population file, relative to the descriptor        (required)
//   "memory_mib"            device memory in MiB, 1..65536                      (default 16)
//   "die"                   the die in the socket until a handler inserts one   (default "SIM0-W01-X000-Y000"
//                           form: {"lot": "SIM0", "wafer": 1, "x": 0, "y": 0})
//   "contact_failure_rate"  chance that an insertion makes no contact, 0..1     (default 0)
#include <fmt/core.h>

#include <seedval/boards/backend.h>
#include <seedval/core/error.h>
#include <seedval/sim/chip_model.h>
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
        contact_failure_rate_(contact_failure_rate) {
    insert(die, 1);
  }

  std::unique_ptr<Transport> connect() override {
    if (!contact_) return std::make_unique<OpenContactTransport>(info().name);
    return std::make_unique<InprocTransport>(model_, info().name);
  }

  DieSocket* die_socket() override { return this; }

  void insert(const chip::DieId& die, int insertion) override {
    std::vector<std::uint8_t> recycled;
    if (model_ && model_.use_count() == 1) recycled = model_->release_memory();  // no link still uses it
    model_ = std::make_shared<ChipModel>(config_, make_die(population_, die, config_.memory_size),
                                         std::move(recycled));
    // Contact is a property of this insertion, not of the die: a retest usually makes contact.
    const std::uint64_t draw =
        mix64(model_->die().ecid ^ mix64(static_cast<std::uint64_t>(insertion) + population_.seed));
    contact_ = static_cast<double>(draw >> 11) * 0x1.0p-53 >= contact_failure_rate_;
    current_ = die;
  }

  std::optional<chip::DieId> current() const override { return current_; }

 private:
  PopulationSpec population_;
  ChipConfig config_;
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
  config.memory_size = static_cast<std::uint64_t>(params.integer_or("memory_mib", 16, 1, 65536)) << 20;
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

#include "support/sim_bench.h"

#include <utility>

#include <seedval/transport/inproc.h>

namespace seedval::testing {

sim::PopulationSpec population(std::string name) {
  sim::PopulationSpec spec;
  spec.name = std::move(name);
  return spec;
}

sim::DieInstance clean_die(const chip::DieId& id) {
  sim::DieInstance die;
  die.id = id;
  die.ecid = chip::encode_ecid(id);
  return die;
}

std::shared_ptr<sim::ChipModel> chip_model(sim::DieInstance die, std::uint64_t memory_size) {
  sim::ChipConfig config;
  config.memory_size = memory_size;
  return std::make_shared<sim::ChipModel>(config, std::move(die));
}

std::shared_ptr<sim::ChipModel> chip_model(const sim::PopulationSpec& spec, const chip::DieId& id,
                                           std::uint64_t memory_size) {
  return chip_model(sim::make_die(spec, id, chip::HbmGeometry::for_size(memory_size)), memory_size);
}

std::unique_ptr<Transport> inproc_link(std::shared_ptr<sim::ChipModel> model) {
  return std::make_unique<InprocTransport>(std::move(model), kSimName);
}

SimBench make_sim_bench(std::shared_ptr<sim::ChipModel> model, const LinkWrapper& wrap) {
  auto link = inproc_link(model);
  if (wrap) link = wrap(std::move(link));
  return {std::move(model), std::make_unique<Device>(std::move(link), kSimName)};
}

}  // namespace seedval::testing

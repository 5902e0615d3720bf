// libFuzzer target for the SeedChip model's request handling: every frame a host (or an attacker on the
// lab network) could send, served by the real model through protocol::serve().
//
// Invariants: the model never reads or writes outside its memory or register file (ASan), never throws
// anything but a seedval::Error into serve(), and every answer is a well-formed response frame with the
// request's sequence. Each input gets a fresh model (small memory, a few stuck bits), so a crash
// reproduces from its input alone. Inputs are run raw and with magic, version, length and CRC fixed up.
#include <cstdint>
#include <span>

#include <seedval/chip/identity.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/server.h>
#include <seedval/sim/chip_model.h>

#include "fuzz_support.h"

namespace {

using namespace seedval;

sim::DieInstance fuzz_die() {
  sim::DieInstance d;
  d.id = chip::DieId{"FUZZ", 1, 2, 3};
  d.ecid = chip::encode_ecid(d.id);
  auto fault = [](sim::FaultClass kind, std::uint64_t word, std::uint8_t bit, bool value) {
    sim::MemoryFault f;
    f.kind = kind;
    f.victim = {word, bit};
    f.value = value;
    return f;
  };
  d.memory_faults = {fault(sim::FaultClass::saf, 2, 3, true), fault(sim::FaultClass::tf, 0x7FF, 0, false),
                     fault(sim::FaultClass::rdf, 0x1FFF, 63, true)};
  sim::MemoryFault cf = fault(sim::FaultClass::cfid, 0x100, 4, true);
  cf.aggressor = {0x101, 9};
  d.memory_faults.push_back(cf);
  d.register_stuck = {{0x0020, 5, true}};
  return d;
}

void run(std::span<const std::uint8_t> frame) {
  sim::ChipConfig config;
  config.memory_size = 64u << 10;
  sim::ChipModel model(config, fuzz_die());
  const auto answer = protocol::serve(model, frame);
  try {
    const auto r = protocol::decode_frame(answer);
    fuzz::check(r.header.is_response());
    if (const auto seq = protocol::peek_sequence(frame)) fuzz::check(r.header.sequence == *seq);
  } catch (const Error&) {
    __builtin_trap();  // the model must always answer with a decodable frame
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  run(input);
  if (const auto sealed = fuzz::sealed_frame(input)) run(*sealed);
  return 0;
}

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
  d.memory_stuck = {{0x10, 3, true}, {0x3FF8, 0, false}, {0xFFFF, 7, true}};
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

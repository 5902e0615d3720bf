// libFuzzer target for the device-side decoders of the two programs a host sends for heavy work: march
// programs (text notation and the MBIST binary form) and tensor-operation descriptors.
//
// Invariants: nothing but a seedval::Error escapes; whatever parses prints back to notation that parses
// to the same algorithm; whatever decodes re-encodes to exactly the input bytes; validate() on a decoded
// descriptor answers with a verdict or a seedval::Error, never a crash or a huge allocation.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

#include <seedval/chip/march.h>
#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>

#include "fuzz_support.h"

namespace {

using namespace seedval;

void march_text(std::span<const std::uint8_t> input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  try {
    const chip::MarchAlgorithm a = chip::parse_march(text);
    fuzz::check(chip::parse_march(a.notation()) == a);
    fuzz::check(chip::parse_march(a.ascii()) == a);
    fuzz::check(chip::decode_march(chip::encode_march(a)) == a);
  } catch (const Error&) {
  }
}

void march_binary(std::span<const std::uint8_t> input) {
  try {
    const chip::MarchAlgorithm a = chip::decode_march(input);
    const auto again = chip::encode_march(a);
    fuzz::check(again.size() == input.size() && std::equal(again.begin(), again.end(), input.begin()));
  } catch (const Error&) {
  }
}

void tensor_binary(std::span<const std::uint8_t> input) {
  try {
    const chip::TensorOp op = chip::decode_tensor_op(input);
    const auto again = chip::encode_tensor_op(op);
    fuzz::check(again.size() == input.size() && std::equal(again.begin(), again.end(), input.begin()));
    chip::validate(op);
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  march_text(input);
  march_binary(input);
  tensor_binary(input);
  return 0;
}

// Tests of board descriptor loading: includes and merged keys, and errors that name the file, the key and
// what was expected. Descriptors are written to a temporary folder per test.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/boards/board.h>
#include <seedval/chip/identity.h>
#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>

#include "support/errors.h"
#include "support/temp_dir.h"

namespace seedval {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

constexpr const char* kPopulation = R"({"population": "descriptor-test", "seed": 5})";
// The keys every valid seedchip-sim descriptor in these tests starts from.
constexpr const char* kSimKeys =
    R"("board": "seedchip-sim", "transport": "inproc", "population": "pop.json")";

// Opens `file`, which must fail with exactly E and `code`; returns the message.
template <typename E>
std::string open_error(const fs::path& file, ErrorCode code) {
  BOOST_TEST_INFO_SCOPE("opening " << file.string());
  return testing::expect_error<E>([&] { open_board(file.string()); }, code);
}

std::string config_error(const fs::path& file) {
  return open_error<ConfigError>(file, ErrorCode::config);
}

protocol::IdentifyResponse identify(Board& board) {
  auto link = board.connect();
  const auto bytes = link->exchange(protocol::encode_request(protocol::Opcode::identify, 1, {}),
                                    Deadline::after(std::chrono::seconds(10)), {});
  const auto frame = protocol::decode_frame(bytes);
  if (frame.header.status != ErrorCode::ok)
    throw_error(frame.header.status, std::string(frame.payload.begin(), frame.payload.end()));
  return protocol::decode_identify_response(frame.payload);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(boards_descriptor)

BOOST_AUTO_TEST_CASE(valid_descriptor_opens_with_its_keys) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto file = dir.write("bench-1.json", std::string("{") + kSimKeys +
                                                  R"(, "memory_mib": 2, "description": "bench one",
                                                  "die": {"lot": "DESC", "wafer": 9, "x": 8, "y": 7}})");
  auto board = open_board(file.string());
  BOOST_TEST(board->info().name == "bench-1");
  BOOST_TEST(board->info().description == "bench one");
  BOOST_TEST(board->info().file == file);
  const auto id = identify(*board);
  BOOST_TEST(id.memory_size == std::uint64_t{2} << 20);
  BOOST_TEST(chip::to_string(chip::decode_ecid(id.ecid)) == "DESC-W09-X008-Y007");
  BOOST_REQUIRE(board->die_socket() != nullptr);
  BOOST_TEST(chip::to_string(*board->die_socket()->current()) == "DESC-W09-X008-Y007");
}

BOOST_AUTO_TEST_CASE(unknown_key_names_file_key_and_expected_keys) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto file = dir.write("typo.json", std::string("{") + kSimKeys + R"(, "memroy_mib": 4})");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": memroy_mib");
  CHECK_CONTAINS(msg, "unknown key");
  CHECK_CONTAINS(msg, "memory_mib");  // the keys that are allowed
  CHECK_CONTAINS(msg, "contact_failure_rate");
}

BOOST_AUTO_TEST_CASE(wrong_type_says_an_integer_was_expected) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto file = dir.write("type.json", std::string("{") + kSimKeys + R"(, "memory_mib": "16"})");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": memory_mib");
  CHECK_CONTAINS(msg, "expected an integer");
  CHECK_CONTAINS(msg, "a string");
}

BOOST_AUTO_TEST_CASE(memory_size_out_of_range_gives_the_range) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  for (const char* value : {"0", "65537", "-1"}) {
    BOOST_TEST_CONTEXT("memory_mib " << value) {
      const auto file =
          dir.write("range.json", std::string("{") + kSimKeys + R"(, "memory_mib": )" + value + "}");
      const auto msg = config_error(file);
      CHECK_STARTS_WITH(msg, file.string() + ": memory_mib");
      CHECK_CONTAINS(msg, "from 1 to 65536");
      CHECK_CONTAINS(msg, std::string("got ") + value);
    }
  }
}

BOOST_AUTO_TEST_CASE(missing_board_key_is_named) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto file = dir.write("noboard.json", R"({"transport": "inproc", "population": "pop.json"})");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": board");
  CHECK_CONTAINS(msg, "required key is missing");
}

BOOST_AUTO_TEST_CASE(missing_transport_key_is_named) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto file = dir.write("notransport.json", R"({"board": "seedchip-sim", "population": "pop.json"})");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": transport");
  CHECK_CONTAINS(msg, "required key is missing");
}

BOOST_AUTO_TEST_CASE(missing_population_is_named) {
  TempDir dir;
  const auto file = dir.write("nopop.json", R"({"board": "seedchip-sim", "transport": "inproc"})");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": population");
  CHECK_CONTAINS(msg, "required key is missing");
}

BOOST_AUTO_TEST_CASE(population_file_that_does_not_exist_is_named) {
  TempDir dir;
  const auto file = dir.write(
      "badpop.json", R"({"board": "seedchip-sim", "transport": "inproc", "population": "nope.json"})");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": population");
  CHECK_CONTAINS(msg, "does not exist");
  CHECK_CONTAINS(msg, (dir.path() / "nope.json").string());
}

BOOST_AUTO_TEST_CASE(malformed_population_file_names_the_population_file_and_key) {
  TempDir dir;
  const auto pop =
      dir.write("pop.json", R"({"population": "bad", "harvest": {"prefused_core_fraction": 1.5}})");
  const auto file = dir.write("board.json", std::string("{") + kSimKeys + "}");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, pop.string() + ": harvest.prefused_core_fraction");
  CHECK_CONTAINS(msg, "fraction from 0 to 1");
}

BOOST_AUTO_TEST_CASE(unknown_backend_is_not_found_and_lists_the_known_ones) {
  TempDir dir;
  const auto file = dir.write("jtag.json", R"({"board": "seedchip-jtag", "transport": "jtag"})");
  const auto msg = open_error<NotFoundError>(file, ErrorCode::not_found);
  CHECK_STARTS_WITH(msg, file.string() + ": board");
  CHECK_CONTAINS(msg, "unknown board backend");
  CHECK_CONTAINS(msg, "seedchip-jtag");
  const auto list = msg.substr(std::min(msg.size(), msg.find("this build has")));
  CHECK_CONTAINS(list, "seedchip-sim");
  CHECK_CONTAINS(list, "seedchip-evb");
  CHECK_CONTAINS(list, "remote");
}

BOOST_AUTO_TEST_CASE(invalid_json_names_file_line_and_column) {
  TempDir dir;
  const auto file =
      dir.write("broken.json", "{\n  \"board\": \"seedchip-sim\",\n  \"transport\" \"inproc\"\n}\n");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ":3:");
  CHECK_CONTAINS(msg, "not valid JSON");
}

BOOST_AUTO_TEST_CASE(top_level_that_is_not_an_object_is_refused) {
  TempDir dir;
  const auto file = dir.write("array.json", R"(["seedchip-sim"])");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string());
  CHECK_CONTAINS(msg, "expected an object");
}

BOOST_AUTO_TEST_CASE(sim_board_refuses_a_usb_transport) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto file =
      dir.write("usb.json", R"({"board": "seedchip-sim", "transport": "usb", "population": "pop.json"})");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": transport");
  CHECK_CONTAINS(msg, "inproc");
  CHECK_CONTAINS(msg, "usb");
}

BOOST_AUTO_TEST_CASE(contact_failure_rate_must_be_a_fraction) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  for (const char* value : {"1.5", "-0.1"}) {
    BOOST_TEST_CONTEXT("contact_failure_rate " << value) {
      const auto file =
          dir.write("rate.json", std::string("{") + kSimKeys + R"(, "contact_failure_rate": )" + value + "}");
      const auto msg = config_error(file);
      CHECK_STARTS_WITH(msg, file.string() + ": contact_failure_rate");
      CHECK_CONTAINS(msg, "fraction");
    }
  }
  const auto file =
      dir.write("rate.json", std::string("{") + kSimKeys + R"(, "contact_failure_rate": "0.5"})");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": contact_failure_rate");
  CHECK_CONTAINS(msg, "expected a number");
}

BOOST_AUTO_TEST_CASE(die_object_with_a_bad_lot_is_refused) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto file = dir.write(
      "die.json", std::string("{") + kSimKeys + R"(, "die": {"lot": "sim-0", "wafer": 1, "x": 0, "y": 0}})");
  const auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": die");
  CHECK_CONTAINS(msg, "lot id");
  CHECK_CONTAINS(msg, "sim-0");
  const auto long_lot =
      dir.write("die2.json",
                std::string("{") + kSimKeys + R"(, "die": {"lot": "ABCDEFG", "wafer": 1, "x": 0, "y": 0}})");
  CHECK_CONTAINS(config_error(long_lot), "1 to 6 characters");
}

BOOST_AUTO_TEST_CASE(die_object_fields_are_checked_by_name) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  auto file = dir.write(
      "w.json", std::string("{") + kSimKeys + R"(, "die": {"lot": "OK1", "wafer": 26, "x": 0, "y": 0}})");
  auto msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": die.wafer");
  CHECK_CONTAINS(msg, "from 1 to 25");
  file = dir.write("z.json", std::string("{") + kSimKeys +
                                 R"(, "die": {"lot": "OK1", "wafer": 2, "x": 0, "y": 0, "z": 1}})");
  msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": die.z");
  CHECK_CONTAINS(msg, "unknown key");
  file = dir.write("nolot.json", std::string("{") + kSimKeys + R"(, "die": {"wafer": 2, "x": 0, "y": 0}})");
  msg = config_error(file);
  CHECK_STARTS_WITH(msg, file.string() + ": die.lot");
  CHECK_CONTAINS(msg, "required key is missing");
}

BOOST_AUTO_TEST_CASE(include_merges_keys_and_the_including_file_overrides) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto product = dir.write("product.json", std::string("{") + kSimKeys +
                                                     R"(, "description": "product file", "memory_mib": 2,
                                                     "die": {"lot": "PROD", "wafer": 3, "x": 1, "y": 2}})");
  const auto bench = dir.write("bench.json", R"({"include": "product.json", "memory_mib": 4})");
  auto board = open_board(bench.string());
  const BoardInfo& info = board->info();
  BOOST_TEST(info.name == "bench");
  BOOST_TEST(info.file == bench);
  BOOST_TEST(info.backend == "seedchip-sim");      // from the product file
  BOOST_TEST(info.description == "product file");  // inherited
  BOOST_REQUIRE(info.files.size() == 3u);          // bench, product, and the population the product names
  BOOST_TEST(info.files[0] == bench);
  BOOST_TEST(fs::equivalent(info.files[1], product));
  const auto id = identify(*board);
  BOOST_TEST(id.memory_size == std::uint64_t{4} << 20);  // the bench's value wins
  BOOST_TEST(chip::to_string(chip::decode_ecid(id.ecid)) == "PROD-W03-X001-Y002");
}

BOOST_AUTO_TEST_CASE(including_file_can_override_a_bad_included_value) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  dir.write("product.json", std::string("{") + kSimKeys + R"(, "memory_mib": 0})");
  const auto bench = dir.write("bench.json", R"({"include": "product.json", "memory_mib": 8})");
  auto board = open_board(bench.string());
  BOOST_TEST(identify(*board).memory_size == std::uint64_t{8} << 20);
}

BOOST_AUTO_TEST_CASE(later_includes_override_earlier_ones) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  dir.write("one.json", std::string("{") + kSimKeys + R"(, "memory_mib": 1})");
  dir.write("two.json", R"({"memory_mib": 2})");
  const auto bench = dir.write("bench.json", R"({"include": ["one.json", "two.json"]})");
  auto board = open_board(bench.string());
  BOOST_TEST(board->info().files.size() == 4u);  // three descriptors and the population
  BOOST_TEST(identify(*board).memory_size == std::uint64_t{2} << 20);
}

BOOST_AUTO_TEST_CASE(paths_in_an_included_file_are_relative_to_that_file) {
  TempDir dir;
  // Only product/pop.json exists: resolving "pop.json" against the bench's folder would fail.
  dir.write("product/pop.json", kPopulation);
  dir.write("product/product.json", std::string("{") + kSimKeys + "}");
  const auto bench = dir.write("bench.json", R"({"include": "product/product.json", "memory_mib": 1})");
  auto board = open_board(bench.string());
  BOOST_TEST(identify(*board).memory_size == std::uint64_t{1} << 20);
}

BOOST_AUTO_TEST_CASE(error_in_an_included_key_names_the_included_file) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto product =
      dir.write("product-bad.json", std::string("{") + kSimKeys + R"(, "contact_failure_rate": 2})");
  const auto bench = dir.write("bench.json", R"({"include": "product-bad.json", "memory_mib": 1})");
  const auto msg = config_error(bench);
  CHECK_STARTS_WITH(msg, product.string() + ": contact_failure_rate");
  CHECK_LACKS(msg, bench.string());
}

BOOST_AUTO_TEST_CASE(unknown_key_in_an_included_file_names_the_included_file) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto product = dir.write("product-typo.json", std::string("{") + kSimKeys + R"(, "memroy_mib": 2})");
  const auto bench = dir.write("bench.json", R"({"include": "product-typo.json"})");
  const auto msg = config_error(bench);
  CHECK_STARTS_WITH(msg, product.string() + ": memroy_mib");
  CHECK_CONTAINS(msg, "unknown key");
}

BOOST_AUTO_TEST_CASE(bad_die_in_an_included_file_names_the_included_file) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto product =
      dir.write("product-die.json",
                std::string("{") + kSimKeys + R"(, "die": {"lot": "x", "wafer": 1, "x": 0, "y": 0}})");
  const auto bench = dir.write("bench.json", R"({"include": "product-die.json"})");
  const auto msg = config_error(bench);
  CHECK_STARTS_WITH(msg, product.string() + ": die");
  CHECK_CONTAINS(msg, "lot id");
}

BOOST_AUTO_TEST_CASE(include_cycle_is_detected) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto a = dir.write("a.json", std::string(R"({"include": "b.json", )") + kSimKeys + "}");
  dir.write("b.json", R"({"include": "a.json"})");
  CHECK_CONTAINS(config_error(a), "include cycle");
  const auto self = dir.write("self.json", std::string(R"({"include": "self.json", )") + kSimKeys + "}");
  const auto msg = config_error(self);
  CHECK_CONTAINS(msg, "include cycle");
  CHECK_CONTAINS(msg, self.string());
}

BOOST_AUTO_TEST_CASE(diamond_include_is_not_a_cycle) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  dir.write("common.json", std::string("{") + kSimKeys + "}");
  dir.write("left.json", R"({"include": "common.json", "memory_mib": 1})");
  dir.write("right.json", R"({"include": "common.json", "description": "right"})");
  const auto bench = dir.write("bench.json", R"({"include": ["left.json", "right.json"]})");
  auto board = open_board(bench.string());
  BOOST_TEST(board->info().description == "right");
  BOOST_TEST(identify(*board).memory_size == std::uint64_t{1} << 20);
}

BOOST_AUTO_TEST_CASE(includes_nested_too_deep_are_refused) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  dir.write("level20.json", std::string("{") + kSimKeys + "}");
  for (int i = 0; i < 20; ++i)
    dir.write("level" + std::to_string(i) + ".json",
              R"({"include": "level)" + std::to_string(i + 1) + R"(.json"})");
  CHECK_CONTAINS(config_error(dir.path() / "level0.json"), "deeper");
}

BOOST_AUTO_TEST_CASE(include_of_a_missing_file_names_the_including_file) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto bench = dir.write("bench.json", std::string(R"({"include": "missing.json", )") + kSimKeys + "}");
  const auto msg = config_error(bench);
  CHECK_STARTS_WITH(msg, bench.string() + ": include");
  CHECK_CONTAINS(msg, "does not exist");
  CHECK_CONTAINS(msg, "missing.json");
}

BOOST_AUTO_TEST_CASE(include_of_the_wrong_type_is_refused) {
  TempDir dir;
  dir.write("pop.json", kPopulation);
  const auto bench = dir.write("bench.json", std::string(R"({"include": 5, )") + kSimKeys + "}");
  const auto msg = config_error(bench);
  CHECK_STARTS_WITH(msg, bench.string() + ": include");
  CHECK_CONTAINS(msg, "expected a file name");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

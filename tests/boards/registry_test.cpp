// Tests of the board registry and of opening the built-in simulated board by name and by path.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/boards/backend.h>
#include <seedval/boards/board.h>
#include <seedval/chip/identity.h>
#include <seedval/chip/registers.h>
#include <seedval/core/error.h>
#include <seedval/core/paths.h>
#include <seedval/protocol/frame.h>
#include <seedval/protocol/messages.h>

#include "support/errors.h"

namespace seedval {
namespace {

namespace fs = std::filesystem;

// identify over a raw transport: the boards layer sits below the device driver.
protocol::IdentifyResponse identify(Transport& t) {
  const auto bytes = t.exchange(protocol::encode_request(protocol::Opcode::identify, 1, {}),
                                Deadline::after(std::chrono::seconds(10)), {});
  const auto frame = protocol::decode_frame(bytes);
  if (frame.header.status != ErrorCode::ok)
    throw_error(frame.header.status, std::string(frame.payload.begin(), frame.payload.end()));
  return protocol::decode_identify_response(frame.payload);
}

fs::path builtin_descriptor() {
  return data_root() / "boards" / "seedchip-sim.json";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(boards_registry)

// STYLE.md habit 3: every backend the build enables is in the registry.
BOOST_AUTO_TEST_CASE(every_builtin_backend_is_registered) {
  const auto names = board_backends();
  BOOST_TEST((std::find(names.begin(), names.end(), "seedchip-sim") != names.end()));
  BOOST_TEST(std::is_sorted(names.begin(), names.end()));
  BOOST_TEST((std::adjacent_find(names.begin(), names.end()) == names.end()), "a backend is listed twice");
}

BOOST_AUTO_TEST_CASE(registering_a_backend_name_twice_is_refused) {
  const auto before = board_backends();
  bool refused = false;
  try {
    register_board_backend("seedchip-sim", "impostor",
                           [](JsonObject&, BoardInfo) -> std::unique_ptr<Board> { return nullptr; });
  } catch (const InternalError& e) {
    refused = true;
    CHECK_CONTAINS(std::string(e.what()), "registered twice");
  }
  BOOST_TEST(refused);
  BOOST_TEST(board_backends() == before, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(builtin_board_opens_by_name) {
  auto board = open_board("seedchip-sim");
  BOOST_REQUIRE(board != nullptr);
  const BoardInfo& info = board->info();
  BOOST_TEST(info.name == "seedchip-sim");
  BOOST_TEST(info.backend == "seedchip-sim");
  BOOST_TEST(info.transport == "inproc");
  BOOST_TEST(!info.description.empty());
  BOOST_TEST(fs::equivalent(info.file, builtin_descriptor()), info.file.string());
  // The descriptor, then the population it names: every file that shapes a verdict.
  BOOST_REQUIRE(info.files.size() == 2u);
  BOOST_TEST(fs::equivalent(info.files[0], builtin_descriptor()));
  BOOST_TEST(info.files[1].filename() == "a0-typical.json", info.files[1].string());
  CHECK_CONTAINS(board->describe(), "seedchip-sim");
  CHECK_CONTAINS(board->describe(), info.file.string());
}

BOOST_AUTO_TEST_CASE(builtin_board_opens_by_path) {
  const fs::path file = builtin_descriptor();
  auto board = open_board(file.string());
  BOOST_REQUIRE(board != nullptr);
  BOOST_TEST(board->info().name == "seedchip-sim");
  BOOST_TEST(board->info().file == file);
  BOOST_REQUIRE(board->info().files.size() == 2u);
  BOOST_TEST(board->info().files[0] == file);
  auto link = board->connect();
  BOOST_REQUIRE(link != nullptr);
  BOOST_TEST(link->describe().rfind("inproc:", 0) == 0u, link->describe());
  BOOST_TEST(identify(*link).chip_id == chip::kChipId);
}

BOOST_AUTO_TEST_CASE(unknown_board_name_is_not_found) {
  bool thrown = false;
  try {
    open_board("no-such-board-7f3a");
  } catch (const NotFoundError& e) {
    thrown = true;
    CHECK_CONTAINS(std::string(e.what()), "no-such-board-7f3a");
    CHECK_CONTAINS(std::string(e.what()), "not found");
  }
  BOOST_TEST(thrown);
}

BOOST_AUTO_TEST_CASE(simulated_board_has_a_die_socket) {
  auto board = open_board("seedchip-sim");
  DieSocket* socket = board->die_socket();
  BOOST_REQUIRE(socket != nullptr);
  BOOST_REQUIRE(socket->current().has_value());
  BOOST_TEST(chip::to_string(*socket->current()) == "SIM0-W01-X000-Y000");
}

BOOST_AUTO_TEST_CASE(inserted_die_is_what_identify_reports) {
  auto board = open_board("seedchip-sim");
  DieSocket* socket = board->die_socket();
  BOOST_REQUIRE(socket != nullptr);
  for (const chip::DieId& die : {chip::DieId{"A0LOT1", 4, 17, 23}, chip::DieId{"B7", 25, 255, 0}}) {
    BOOST_TEST_CONTEXT(chip::to_string(die)) {
      socket->insert(die, 1);
      BOOST_REQUIRE(socket->current().has_value());
      BOOST_TEST((*socket->current() == die));
      auto link = board->connect();
      const auto id = identify(*link);
      BOOST_TEST(id.ecid == chip::encode_ecid(die));
      BOOST_TEST((chip::decode_ecid(id.ecid) == die));
      BOOST_TEST(id.memory_size == std::uint64_t{16} << 20);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

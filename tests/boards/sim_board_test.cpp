// Tests of the seedchip-sim board's socket: contact failures drawn per insertion at the configured rate.
#include <chrono>
#include <cmath>
#include <memory>
#include <stop_token>
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

using testing::TempDir;

// A 1 MiB simulated board whose insertions fail to make contact with probability `rate`.
std::unique_ptr<Board> board_with_contact_failure_rate(const TempDir& dir, const std::string& rate) {
  dir.write("pop.json", R"({"population": "contact", "seed": 31})");
  const auto file = dir.write("contact.json", R"({"board": "seedchip-sim", "transport": "inproc",
      "population": "pop.json", "memory_mib": 1, "contact_failure_rate": )" +
                                                  rate + "}");
  return open_board(file.string());
}

std::vector<std::uint8_t> ping_frame() {
  return protocol::encode_request(protocol::Opcode::ping, 1, {});
}

// True if the die in the socket answers a ping; false if the link stays silent (TimeoutError).
bool makes_contact(Board& board) {
  auto link = board.connect();
  try {
    const auto bytes = link->exchange(ping_frame(), Deadline::after(std::chrono::seconds(10)), {});
    const auto frame = protocol::decode_frame(bytes);
    return frame.header.status == ErrorCode::ok;
  } catch (const TimeoutError&) {
    return false;
  }
}

// 2000 distinct dies.
std::vector<chip::DieId> dies_2000() {
  std::vector<chip::DieId> out;
  for (int w = 1; w <= 8; ++w)
    for (int x = 0; x < 250; ++x) out.push_back({"CONT", w, x, 7});
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_board_contact)

BOOST_AUTO_TEST_CASE(rate_one_never_makes_contact_and_times_out) {
  TempDir dir;
  auto board = board_with_contact_failure_rate(dir, "1.0");
  DieSocket* socket = board->die_socket();
  BOOST_REQUIRE(socket != nullptr);
  for (int x = 0; x < 50; ++x) {
    socket->insert({"OPEN", 1, x, 0}, 1);
    auto link = board->connect();
    BOOST_REQUIRE(link != nullptr);
    bool timed_out = false;
    try {
      (void)link->exchange(ping_frame(), Deadline::after(std::chrono::seconds(10)), {});
    } catch (const TimeoutError& e) {
      timed_out = true;
      BOOST_TEST(std::string(to_string(e.code())) == "timeout");
      if (x == 0) CHECK_CONTAINS(std::string(e.what()), "no response");
    }
    BOOST_TEST(timed_out, "die " << x << " answered on a board whose every insertion fails");
  }
}

// transport.h: exchange() "Blocks until the response arrives, `deadline` passes (TimeoutError) or `stop`
// is requested (CancelledError)" — a link to a die without contact included.
BOOST_AUTO_TEST_CASE(open_contact_link_honours_a_requested_stop) {
  TempDir dir;
  auto board = board_with_contact_failure_rate(dir, "1.0");
  auto link = board->connect();
  std::stop_source stop;
  stop.request_stop();
  try {
    (void)link->exchange(ping_frame(), Deadline::after(std::chrono::seconds(10)), stop.get_token());
    BOOST_ERROR("an open-contact link answered");
  } catch (const CancelledError& e) {
    BOOST_TEST(std::string(to_string(e.code())) == "cancelled");
  } catch (const Error& e) {
    BOOST_ERROR("expected CancelledError after a requested stop, got code " << to_string(e.code()) << ": "
                                                                            << e.what());
  }
}

BOOST_AUTO_TEST_CASE(rate_zero_always_makes_contact) {
  TempDir dir;
  auto board = board_with_contact_failure_rate(dir, "0");
  DieSocket* socket = board->die_socket();
  BOOST_REQUIRE(socket != nullptr);
  int failures = 0;
  for (const auto& die : dies_2000()) {
    socket->insert(die, 1);
    if (!makes_contact(*board)) ++failures;
  }
  BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(failure_fraction_matches_the_rate) {
  TempDir dir;
  auto board = board_with_contact_failure_rate(dir, "0.3");
  DieSocket* socket = board->die_socket();
  BOOST_REQUIRE(socket != nullptr);
  const auto dies = dies_2000();
  int failures = 0;
  for (const auto& die : dies) {
    socket->insert(die, 1);
    if (!makes_contact(*board)) ++failures;
  }
  const double fraction = static_cast<double>(failures) / static_cast<double>(dies.size());
  BOOST_TEST_MESSAGE("contact failure fraction at rate 0.3: " << fraction);
  BOOST_TEST(std::abs(fraction - 0.3) <= 0.05, "failure fraction " << fraction);
}

BOOST_AUTO_TEST_CASE(retest_draws_contact_independently) {
  TempDir dir;
  auto board = board_with_contact_failure_rate(dir, "0.3");
  DieSocket* socket = board->die_socket();
  BOOST_REQUIRE(socket != nullptr);
  const auto dies = dies_2000();
  int retest_failures = 0, disagree = 0, both_fail = 0;
  for (const auto& die : dies) {
    socket->insert(die, 1);
    const bool first = makes_contact(*board);
    socket->insert(die, 2);
    BOOST_REQUIRE(socket->current().has_value());
    const bool second = makes_contact(*board);
    if (!second) ++retest_failures;
    if (first != second) ++disagree;
    if (!first && !second) ++both_fail;
  }
  const double n = static_cast<double>(dies.size());
  BOOST_TEST_MESSAGE("retest: " << retest_failures / n << " fail, " << disagree / n
                                << " differ from the first insertion, " << both_fail / n << " fail both");
  // Independent draws: P(retest fails) = 0.3, P(outcomes differ) = 2 * 0.3 * 0.7 = 0.42, P(both fail) = 0.09.
  BOOST_TEST(std::abs(retest_failures / n - 0.3) <= 0.05, "retest failure fraction " << retest_failures / n);
  BOOST_TEST(std::abs(disagree / n - 0.42) <= 0.06, "fraction of dies whose retest differs " << disagree / n);
  BOOST_TEST(std::abs(both_fail / n - 0.09) <= 0.04, "fraction failing both insertions " << both_fail / n);
}

BOOST_AUTO_TEST_CASE(contact_outcome_is_reproducible_per_die_and_insertion) {
  TempDir dir;
  auto one = board_with_contact_failure_rate(dir, "0.5");
  auto two = board_with_contact_failure_rate(dir, "0.5");
  int differ = 0;
  for (int x = 0; x < 200; ++x) {
    for (int insertion = 1; insertion <= 2; ++insertion) {
      one->die_socket()->insert({"REPRO", 2, x, 3}, insertion);
      two->die_socket()->insert({"REPRO", 2, x, 3}, insertion);
      if (makes_contact(*one) != makes_contact(*two)) ++differ;
    }
  }
  BOOST_TEST(differ == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

// Tests for seedval/core/units.h: display with SI prefixes and symbol lookup.
#include <limits>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/core/units.h>

namespace seedval {

BOOST_AUTO_TEST_SUITE(core_units)

BOOST_AUTO_TEST_CASE(documented_examples) {
  BOOST_TEST(format_quantity(1.35e9, units::hertz) == "1.35 GHz");
  BOOST_TEST(format_quantity(12e-6, units::ampere) == "12 uA");
  BOOST_TEST(format_quantity(0.000012, units::ampere) == "12 uA");
}

BOOST_AUTO_TEST_CASE(every_prefix) {
  BOOST_TEST(format_quantity(2.5e12, units::hertz) == "2.5 THz");
  BOOST_TEST(format_quantity(3e6, units::watt) == "3 MW");
  BOOST_TEST(format_quantity(1e3, units::hertz) == "1 kHz");
  BOOST_TEST(format_quantity(1.2, units::volt) == "1.2 V");
  BOOST_TEST(format_quantity(0.75, units::volt) == "750 mV");
  BOOST_TEST(format_quantity(4.7e-9, units::second) == "4.7 ns");
  BOOST_TEST(format_quantity(33e-12, units::second) == "33 ps");
  BOOST_TEST(format_quantity(1e-15, units::second) == "0.001 ps");
  BOOST_TEST(format_quantity(4.7e3, units::ohm) == "4.7 kOhm");
}

BOOST_AUTO_TEST_CASE(four_significant_digits) {
  BOOST_TEST(format_quantity(1.23456e9, units::hertz) == "1.235 GHz");
  BOOST_TEST(format_quantity(123.456, units::volt) == "123.5 V");
}

BOOST_AUTO_TEST_CASE(values_that_round_up_take_the_next_prefix) {
  // 999.96 mV shows as 4 digits "1000 mV" without the rounding allowance; it must read "1 V".
  BOOST_TEST(format_quantity(0.99996, units::volt) == "1 V");
  BOOST_TEST(format_quantity(999.96e6, units::hertz) == "1 GHz");
}

BOOST_AUTO_TEST_CASE(negative_values_use_the_magnitude_for_the_prefix) {
  BOOST_TEST(format_quantity(-0.003, units::ampere) == "-3 mA");
  BOOST_TEST(format_quantity(-2e9, units::hertz) == "-2 GHz");
}

BOOST_AUTO_TEST_CASE(zero_and_non_finite_values_take_no_prefix) {
  BOOST_TEST(format_quantity(0.0, units::volt) == "0 V");
  BOOST_TEST(format_quantity(std::numeric_limits<double>::infinity(), units::volt) == "inf V");
  BOOST_TEST(format_quantity(std::numeric_limits<double>::quiet_NaN(), units::volt) == "nan V");
}

BOOST_AUTO_TEST_CASE(non_prefixable_units_are_shown_plain) {
  BOOST_TEST(format_quantity(1500.0, units::celsius) == "1500 degC");
  BOOST_TEST(format_quantity(25.5, units::celsius) == "25.5 degC");
  BOOST_TEST(format_quantity(0.001, units::celsius) == "0.001 degC");
  BOOST_TEST(format_quantity(12.5, units::percent) == "12.5 %");
  BOOST_TEST(format_quantity(7.0, units::count) == "7");  // a count is a bare number
}

BOOST_AUTO_TEST_CASE(bytes_take_binary_prefixes) {
  BOOST_TEST(format_quantity(16777216.0, units::byte) == "16 MiB");  // the documented example
  BOOST_TEST(format_quantity(0.0, units::byte) == "0 B");
  BOOST_TEST(format_quantity(1000.0, units::byte) == "1000 B");  // not 1 kB: no decimal prefixes
  BOOST_TEST(format_quantity(5.0 * 1073741824.0, units::byte_per_second) == "5 GiB/s");
  BOOST_TEST(format_quantity(100.0, units::byte_per_second) == "100 B/s");
  BOOST_TEST(format_quantity(1023.0, units::byte) == "1023 B");
  BOOST_TEST(format_quantity(1024.0, units::byte) == "1 KiB");
  BOOST_TEST(format_quantity(4096.0, units::byte) == "4 KiB");
  BOOST_TEST(format_quantity(1536.0, units::byte) == "1.5 KiB");
  BOOST_TEST(format_quantity(1.5 * 1024 * 1024 * 1024, units::byte) == "1.5 GiB");
  BOOST_TEST(format_quantity(1099511627776.0, units::byte) == "1 TiB");
  BOOST_TEST(format_quantity(1125899906842624.0, units::byte) == "1 PiB");
  BOOST_TEST(format_quantity(1152921504606846976.0, units::byte) == "1024 PiB");  // PiB is the largest
  BOOST_TEST(format_quantity(-2048.0, units::byte) == "-2 KiB");
}

BOOST_AUTO_TEST_CASE(bits_take_no_prefix) {
  BOOST_TEST(format_quantity(4096.0, units::bit) == "4096 bit");
}

BOOST_AUTO_TEST_CASE(a_plain_number_has_no_trailing_space) {
  BOOST_TEST(format_quantity(3.14159, units::none) == "3.142");
  BOOST_TEST(format_quantity(0.0, units::none) == "0");
}

BOOST_AUTO_TEST_CASE(unit_from_symbol_finds_every_unit) {
  const std::vector<Unit> all{units::none,   units::count,          units::ratio, units::percent,
                              units::volt,   units::ampere,         units::watt,  units::hertz,
                              units::second, units::celsius,        units::byte,  units::bit,
                              units::ohm,    units::byte_per_second};
  for (const Unit& u : all) {
    BOOST_TEST_CONTEXT("symbol \"" << u.symbol << "\"") {
      const auto found = unit_from_symbol(u.symbol);
      BOOST_REQUIRE(found.has_value());
      BOOST_TEST(found->symbol == u.symbol);
      BOOST_TEST(found->quantity == u.quantity);
      BOOST_TEST(found->prefixable == u.prefixable);
    }
  }
}

BOOST_AUTO_TEST_CASE(unit_from_symbol_specific) {
  BOOST_TEST((unit_from_symbol("degC") == units::celsius));
  BOOST_TEST((unit_from_symbol("Hz") == units::hertz));
  BOOST_TEST(!unit_from_symbol("mV").has_value());  // prefixed symbols are display only
  BOOST_TEST(!unit_from_symbol("hz").has_value());
  BOOST_TEST(!unit_from_symbol("furlong").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval

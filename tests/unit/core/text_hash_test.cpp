#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "microheal/core/hash.hpp"
#include "microheal/core/text.hpp"

using namespace microheal;

TEST_CASE("round-trip text reads back as the same double, and is short", "[core]") {
  CHECK(core::round_trip_text(0.1) == "0.1");
  CHECK(core::round_trip_text(0.1 + 0.2) == "0.30000000000000004");
  CHECK(core::round_trip_text(-0.0) == "-0");
  CHECK(core::round_trip_text(1e300) == "1e+300");
  CHECK(core::round_trip_text(std::numeric_limits<double>::infinity()) == "inf");
  std::mt19937_64 bits(7);
  for (int n = 0; n < 1000; ++n) {
    const double x =
        std::ldexp(static_cast<double>(bits() >> 11), static_cast<int>(bits() % 200) - 100 - 53);
    CHECK(std::stod(core::round_trip_text(x)) == x);
  }
}

TEST_CASE("message text has the digits asked for and no trailing noise", "[core]") {
  CHECK(core::message_text(0.6) == "0.6");
  CHECK(core::message_text(0.1 + 0.2) == "0.3");
  CHECK(core::message_text(1234567.0) == "1.23457e+06");
  CHECK(core::message_text(0.89442719, 4) == "0.8944");
}

TEST_CASE("FNV-1a matches its published values and chains", "[core]") {
  // Reference values of the FNV-1a 64-bit test suite (Fowler, Noll, Vo).
  CHECK(core::fnv1a64(std::string_view("")) == 0xcbf29ce484222325ULL);
  CHECK(core::fnv1a64(std::string_view("a")) == 0xaf63dc4c8601ec8cULL);
  CHECK(core::fnv1a64(std::string_view("foobar")) == 0x85944171f73967e8ULL);
  CHECK(core::fnv1a64(std::string_view("bar"), core::fnv1a64(std::string_view("foo"))) ==
        core::fnv1a64(std::string_view("foobar")));
  const std::vector<double> values{1.0, 2.0};
  std::vector<double> flipped = values;
  flipped[1] = std::nextafter(flipped[1], 3.0);  // one bit
  CHECK(core::fnv1a64(std::as_bytes(std::span(values))) !=
        core::fnv1a64(std::as_bytes(std::span(flipped))));
}

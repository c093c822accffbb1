#include <catch2/catch.hpp>
#include <thread>

#include "microheal/core/stage_timer.hpp"

using microheal::core::ScopedStage;
using microheal::core::StageTimer;

TEST_CASE("stage timer keeps stages in order of first use and accumulates", "[core]") {
  StageTimer timer;
  timer.add("reaction", 1.0);
  timer.add("diffusion", 2.0);
  timer.add("reaction", 0.5);
  REQUIRE(timer.stages().size() == 2);
  CHECK(timer.stages()[0].name == "reaction");
  CHECK(timer.stages()[0].seconds == Approx(1.5));
  CHECK(timer.stages()[0].calls == 2);
  CHECK(timer.stages()[1].name == "diffusion");
  CHECK(timer.total_seconds() == Approx(3.5));
  timer.clear();
  CHECK(timer.stages().empty());
}

TEST_CASE("scoped stage measures its own lifetime", "[core]") {
  StageTimer timer;
  {
    const ScopedStage stage(timer, "sleep");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(timer.stages().size() == 1);
  CHECK(timer.stages()[0].seconds >= 0.015);
  CHECK(timer.stages()[0].seconds < 5.0);
}

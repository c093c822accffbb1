#include <catch2/catch.hpp>

#include "microheal/core/error.hpp"
#include "microheal/grid/boundary.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"

using namespace microheal;
using grid::Axis;

TEST_CASE("grid indexes x fastest and places cell centres", "[grid]") {
  const grid::Grid g({4, 3, 2}, {0.5, 0.25, 1.0}, {1.0, 2.0, 3.0});
  CHECK(g.num_voxels() == 24);
  CHECK(g.index(0, 0, 0) == 0);
  CHECK(g.index(1, 0, 0) == 1);
  CHECK(g.index(0, 1, 0) == 4);
  CHECK(g.index(0, 0, 1) == 12);
  CHECK(g.index(3, 2, 1) == 23);
  CHECK(g.center_mm(Axis::x, 0) == Approx(1.25));
  CHECK(g.center_mm(Axis::y, 2) == Approx(2.625));
  CHECK(g.center_mm(Axis::z, 1) == Approx(4.5));
  CHECK(g.voxel_volume_mm3() == Approx(0.125));
  CHECK(g.active_dimensions() == 3);
  CHECK(grid::Grid::uniform({8, 1, 5}, 0.1).active_dimensions() == 2);
  CHECK(grid::Grid::uniform({8, 1, 1}, 0.1).active_dimensions() == 1);
}

TEST_CASE("grid rejects empty extents and non-positive spacing", "[grid]") {
  CHECK_THROWS_AS(grid::Grid::uniform({0, 4, 4}, 0.1), core::InputError);
  CHECK_THROWS_WITH(grid::Grid::uniform({4, 4, 4}, -0.1),
                    Catch::Contains("spacing along x") && Catch::Contains("> 0 mm"));
  CHECK_THROWS_WITH(grid::Grid({4, 4, 4}, {0.1, 0.1, 0.0}), Catch::Contains("spacing along z"));
}

TEST_CASE("boundary presets and periodic pairing", "[grid]") {
  const auto tile = grid::Boundary::periodic_xy();
  CHECK(tile.periodic(Axis::x));
  CHECK(tile.periodic(Axis::y));
  CHECK_FALSE(tile.periodic(Axis::z));
  CHECK(tile.low(Axis::z).kind == grid::BoundaryKind::zero_flux);
  CHECK_NOTHROW(tile.validate("cytokine"));

  grid::Boundary broken;
  broken.at(grid::Face::y_low).kind = grid::BoundaryKind::periodic;
  CHECK_THROWS_WITH(broken.validate("cytokine"), Catch::Contains("cytokine") &&
                                                     Catch::Contains("y_high") &&
                                                     Catch::Contains("periodic"));
}

TEST_CASE("field set is structure of arrays with a deterministic integral", "[grid]") {
  const auto g = grid::Grid::uniform({5, 4, 3}, 0.5);
  grid::FieldSet f(g, {"a", "b"});
  CHECK(f.num_species() == 2);
  CHECK(f.species_index("b") == 1);
  CHECK_THROWS_AS(f.species_index("c"), core::InputError);
  f.fill(0, 2.0);
  f[1][static_cast<std::size_t>(g.index(4, 3, 2))] = 8.0;
  CHECK(f.integral(0) == Approx(2.0 * 60 * 0.125));
  CHECK(f.integral(1) == Approx(1.0));
  CHECK(f[0].data() != f[1].data());
  CHECK(f.bytes() == 2 * 60 * sizeof(double));

  grid::FieldSet other(g, {"a", "b"});
  other.copy_from(f);
  CHECK(other[0][7] == 2.0);
  const double* before = other[1].data();
  other.swap_species(1, f);
  CHECK(f[1].data() == before);

  CHECK_THROWS_AS(grid::FieldSet(g, {"a", "a"}), core::InputError);
  CHECK_THROWS_AS(grid::FieldSet(g, {}), core::InputError);
}

TEST_CASE("a field set interpolates linearly between two states", "[grid]") {
  const auto g = grid::Grid::uniform({3, 2, 1}, 1.0);
  grid::FieldSet a(g, {"u", "v"});
  grid::FieldSet b(g, {"u", "v"});
  a.fill(0, 1.0);
  a.fill(1, -2.0);
  b.fill(0, 3.0);
  b.fill(1, 0.1);
  b[1][4] = 7.3;
  grid::FieldSet out(g, {"u", "v"});
  out.assign_interpolated(a, b, 0.25);
  CHECK(out[0][0] == 1.5);
  CHECK(out[1][0] == Approx(-2.0 * 0.75 + 0.1 * 0.25));
  CHECK(out[1][4] == Approx(-2.0 * 0.75 + 7.3 * 0.25));
  out.assign_interpolated(a, b, 0.0);
  CHECK(out[1][4] == -2.0);
  out.assign_interpolated(a, b, 1.0);  // the end of a step exactly
  CHECK(out[1][4] == 7.3);
  CHECK(out[1][2] == 0.1);
  const grid::FieldSet other_shape(grid::Grid::uniform({2, 2, 1}, 1.0), {"u", "v"});
  CHECK_THROWS_AS(out.assign_interpolated(a, other_shape, 0.5), core::RunError);
}

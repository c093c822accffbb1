// Writes sample field series for the reader checks (check_fields_h5py.py, check_paraview.py).
//
// Usage: microheal_io_sample_writer OUTPUT_DIR
//
// Three series, each a directory with fields/, fields.hdf.series and fields.xmf:
//   3d_f64: 6 x 5 x 4 voxels, spacing (0.5, 0.25, 1.0) mm, origin (1, 2, 3) mm, species A, B, C
//           of which A and C are written, float64, times 0, 0.5, 1.25 h. The third step is
//           written by a second writer that resumed the series.
//   3d_f32: the same, float32, gzip level 4.
//   2d:     7 x 1 x 3 voxels (ny = 1), spacing (0.5, 2.0, 0.25), origin (-1, 0, 5), species A
//           only, float64, times 0 and 24 h.
// Values: A = i + 1000 j + 1e6 k + 1e8 step (each voxel stores its own index), B = -A, C = A / 3.
// The checks recompute them; keep both sides in step.

#include <exception>
#include <filesystem>
#include <iostream>

#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/io/field_writer.hpp"

namespace {

using namespace microheal;

grid::FieldSet sample_fields(const grid::Grid& g, int step) {
  grid::FieldSet fields(g, {"A", "B", "C"});
  for (Index k = 0; k < g.nz(); ++k) {
    for (Index j = 0; j < g.ny(); ++j) {
      for (Index i = 0; i < g.nx(); ++i) {
        const auto v = static_cast<double>(i + 1000 * j + 1000000 * k) + 1e8 * step;
        const auto n = static_cast<std::size_t>(g.index(i, j, k));
        fields[0][n] = v;
        fields[1][n] = -v;
        fields[2][n] = v / 3.0;
      }
    }
  }
  return fields;
}

void write_3d(const std::filesystem::path& dir, io::Precision precision, int gzip_level) {
  const grid::Grid g({6, 5, 4}, {0.5, 0.25, 1.0}, {1.0, 2.0, 3.0});
  const io::SnapshotOptions options{
      .precision = precision, .species = {"A", "C"}, .gzip_level = gzip_level};
  {
    io::FieldSeriesWriter writer(dir, options);
    writer.write(sample_fields(g, 0), 0.0);
    writer.write(sample_fields(g, 1), 0.5);
  }
  // A restarted run: the series must continue, not start over.
  io::FieldSeriesWriter resumed = io::FieldSeriesWriter::resume(dir, options);
  resumed.write(sample_fields(g, 2), 1.25);
}

void write_2d(const std::filesystem::path& dir) {
  const grid::Grid g({7, 1, 3}, {0.5, 2.0, 0.25}, {-1.0, 0.0, 5.0});
  io::FieldSeriesWriter writer(dir, {.precision = io::Precision::float64, .species = {"A"}});
  writer.write(sample_fields(g, 0), 0.0);
  writer.write(sample_fields(g, 1), 24.0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " OUTPUT_DIR\n";
    return 2;
  }
  try {
    const std::filesystem::path out = argv[1];
    write_3d(out / "3d_f64", io::Precision::float64, 0);
    write_3d(out / "3d_f32", io::Precision::float32, 4);
    write_2d(out / "2d");
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

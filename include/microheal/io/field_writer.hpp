#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "microheal/core/types.hpp"
#include "microheal/grid/field_set.hpp"

/// @file
/// @brief Field snapshots that Debian 12's ParaView 5.11 and VTK 9.1 open (docs: output-formats
/// §3 and §7): one VTKHDF 1.0 ImageData file per snapshot, plus a JSON `.hdf.series` (time values
/// for ParaView's VTKHDF reader) and an XDMF temporal collection (true cell data for ParaView's
/// XDMF readers) that both point at the same files.
///
/// Layout of a snapshot file (everything else is deliberately absent: FieldData and CellData
/// break both readers on bookworm):
/// - group /VTKHDF, attributes Version int64 [1,0]; Type, a 9-byte fixed ASCII string
///   "ImageData" (NULLPAD, scalar; the only encoding ParaView 5.11 accepts); WholeExtent int64
///   [0,Lx-1, 0,Ly-1, 0,Lz-1] (a point extent); Origin float64[3] = the first point;
///   Spacing float64[3]; Direction float64[9] identity.
/// - /VTKHDF/PointData/<species>: float32 or float64, shape [Lz, Ly, Lx] (x fastest).
/// The points are the voxel centres (L = n, Origin = origin + spacing/2), except along an axis
/// with a single voxel (2D and 1D grids): there the voxel is written as two half-voxel layers
/// holding the same value (L = 2, Spacing = spacing/2, Origin = origin + spacing/4), because
/// VTK 9.1's and ParaView 5.11's vtkHDFReader corrupt their heap and abort on an image with a
/// single point along y or z. See SnapshotLayout.

namespace microheal::io {

/// @brief Floating-point width of stored field values.
enum class Precision { float32, float64 };

/// @brief What a snapshot holds.
struct SnapshotOptions {
  /// float32 halves the files; values are the nearest float (static_cast<float>).
  Precision precision = Precision::float64;
  /// Species to write, by name. Empty: all species, in the FieldSet's order.
  std::vector<std::string> species{};
  /// 0: contiguous. 1..9: chunked by z-plane, shuffled, gzip at that level (both readers cope).
  int gzip_level = 0;
};

/// @brief Where a snapshot's values sit, per axis x, y, z.
struct SnapshotLayout {
  /// Layers (VTKHDF points, XDMF cells): the voxel count, or 2 for an axis with one voxel.
  std::array<Index, 3> layers{};
  /// Layer spacing in mm: the voxel spacing, or half of it for an axis with one voxel.
  std::array<double, 3> spacing_mm{};
  /// Centre of the first layer in mm (the VTKHDF Origin).
  std::array<double, 3> first_centre_mm{};
};

/// @brief The layout of the snapshots of fields on @p grid.
SnapshotLayout snapshot_layout(const grid::Grid& grid);

/// @brief Write one VTKHDF 1.0 ImageData snapshot of @p fields to @p path, atomically (temporary
/// file in the same directory, then rename), so a viewer never reads half a file.
/// @param[in] path file to create or replace; use the extension ".hdf" (ParaView 5.11 registers
///            no other for VTKHDF)
/// @param[in] fields the fields; the grid gives shape, spacing (mm) and origin (mm)
/// @param[in] options precision, species subset, compression
/// @pre every name in options.species exists in @p fields and species names contain no '/' or
///      ':' (throws core::InputError otherwise); the directory of @p path exists (throws
///      core::RunError naming the path otherwise, as for any write failure)
void write_field_snapshot(const std::filesystem::path& path, const grid::FieldSet& fields,
                          const SnapshotOptions& options);

/// @brief One written snapshot of a series.
struct SeriesStep {
  /// Path of the snapshot relative to the series directory, e.g. "fields/f_000003.hdf".
  std::string file;
  /// Time in the caller's unit (microheal: hours).
  double time = 0.0;
  friend bool operator==(const SeriesStep&, const SeriesStep&) = default;
};

/// @brief The steps listed in a `.hdf.series` file (as written by FieldSeriesWriter).
/// @pre the file exists and is valid JSON with "file-series-version" "1.0" and a "files" array
///      of {"name", "time"} objects (throws core::InputError naming the file otherwise)
std::vector<SeriesStep> read_field_series(const std::filesystem::path& series_path);

/// @brief Writes a time series of snapshots into one output directory:
/// `fields/f_NNNNNN.hdf` (NNNNNN = output number, 6 digits or more), `fields.hdf.series` and
/// `fields.xmf`, the last two rewritten atomically after every snapshot.
///
/// The XDMF file describes each step as a 3DCoRectMesh with POINT dimensions "Lz+1 Ly+1 Lx+1",
/// ORIGIN_DXDYDZ as "oz oy ox" / "dz dy dx" (the true voxel origin and the layer spacing, slowest
/// axis first) and one Center="Cell" attribute per species reading
/// `fields/f_NNNNNN.hdf:/VTKHDF/PointData/<name>` (L as in SnapshotLayout: for a 3D grid
/// "nz+1 ny+1 nx+1" and the voxel spacing).
///
/// A restarted run resumes a series (resume(), or the constructor with the steps it kept) and
/// appends to it; writing at a time at or before the last step first drops the steps at or after
/// that time, so output written after the restart point is replaced rather than duplicated. The
/// grid, species and precision must stay the same (checked against the last kept file).
class FieldSeriesWriter {
 public:
  static constexpr std::string_view series_file_name = "fields.hdf.series";
  static constexpr std::string_view xdmf_file_name = "fields.xmf";
  static constexpr std::string_view fields_dir_name = "fields";

  /// @brief A series in @p directory (created with its `fields/` subdirectory if missing).
  /// @param[in] directory output directory
  /// @param[in] options what every snapshot holds
  /// @param[in] previous steps already written (a resumed run); empty for a new series, whose
  ///            first write replaces any series files in @p directory
  /// @pre previous files are named "fields/f_<digits>.hdf" and times increase strictly (throws
  ///      core::InputError otherwise); gzip_level in 0..9 (core::InputError)
  FieldSeriesWriter(std::filesystem::path directory, SnapshotOptions options,
                    std::vector<SeriesStep> previous = {});

  /// @brief Resume the series in @p directory from its `fields.hdf.series`, or start a new one
  /// when there is none.
  static FieldSeriesWriter resume(std::filesystem::path directory, SnapshotOptions options);

  /// @brief Write a snapshot of @p fields at @p time, then rewrite the series and XDMF files.
  /// @param[in] time time of the snapshot in the series' unit (finite)
  /// @return the step just written
  /// @pre time is finite (throws core::RunError otherwise)
  const SeriesStep& write(const grid::FieldSet& fields, double time);

  /// @brief Steps written so far, in time order (including resumed ones).
  const std::vector<SeriesStep>& steps() const { return _steps; }
  const std::filesystem::path& directory() const { return _directory; }
  std::filesystem::path series_path() const { return _directory / series_file_name; }
  std::filesystem::path xdmf_path() const { return _directory / xdmf_file_name; }

 private:
  // Throws core::InputError unless @p previous was written with this grid, species, precision.
  void check_previous_step(const grid::FieldSet& fields, const std::vector<std::string>& species,
                           const SeriesStep& previous) const;

  std::filesystem::path _directory;
  SnapshotOptions _options;
  std::vector<SeriesStep> _steps;
  bool _previous_checked = false;
};

/// @brief Text of a `.hdf.series` file listing @p steps.
std::string field_series_json(const std::vector<SeriesStep>& steps);

/// @brief Text of the XDMF file for @p steps, all on @p grid with @p species at @p precision.
std::string field_series_xdmf(const std::vector<SeriesStep>& steps, const grid::Grid& grid,
                              const std::vector<std::string>& species, Precision precision);

}  // namespace microheal::io

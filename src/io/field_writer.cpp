#include "microheal/io/field_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "microheal/core/error.hpp"
#include "microheal/core/json.hpp"
#include "microheal/core/text.hpp"
#include "microheal/io/atomic_file.hpp"
#include "microheal/io/hdf5.hpp"

namespace microheal::io {

namespace {

// Shortest text that reads back as the same double, so times, origins and spacings survive the
// round trip through JSON and XML exactly.
std::string format_double(double value) {
  return core::round_trip_text(value);
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// 'text' in quotes. Appended piece by piece: g++ 12 reports a false -Wrestrict for
// "'" + string + "'".
std::string in_quotes(std::string_view text) {
  std::string out = "'";
  out += text;
  out += '\'';
  return out;
}

std::string snapshot_name(std::uint64_t index) {
  std::string digits = std::to_string(index);
  if (digits.size() < 6) {
    digits.insert(0, 6 - digits.size(), '0');
  }
  return std::string(FieldSeriesWriter::fields_dir_name) + "/f_" + digits + ".hdf";
}

// Output number of "fields/f_000012.hdf" (12); nullopt for any other name.
std::optional<std::uint64_t> snapshot_index(std::string_view file) {
  const std::string prefix = std::string(FieldSeriesWriter::fields_dir_name) + "/f_";
  constexpr std::string_view suffix = ".hdf";
  if (file.size() <= prefix.size() + suffix.size() || !file.starts_with(prefix) ||
      !file.ends_with(suffix)) {
    return std::nullopt;
  }
  const std::string_view digits =
      file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
  std::uint64_t index = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.size() < 6) {
    return std::nullopt;
  }
  return index;
}

// Species names become HDF5 link names and XDMF "file:path" references.
void check_species_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find(':') != std::string::npos) {
    throw core::InputError("field output: species name '" + name +
                           "' cannot be stored (it must be non-empty and contain no '/' or ':')");
  }
}

// The species a snapshot writes, checked, with their indices in the FieldSet.
std::vector<std::size_t> resolve_species(const grid::FieldSet& fields,
                                         const SnapshotOptions& options) {
  std::vector<std::size_t> indices;
  if (options.species.empty()) {
    for (std::size_t s = 0; s < fields.num_species(); ++s) {
      indices.push_back(s);
    }
  } else {
    for (const auto& name : options.species) {
      const std::size_t s = fields.species_index(name);
      if (std::find(indices.begin(), indices.end(), s) != indices.end()) {
        throw core::InputError("field output: species '" + name + "' is listed twice");
      }
      indices.push_back(s);
    }
  }
  for (const std::size_t s : indices) {
    check_species_name(fields.names()[s]);
  }
  return indices;
}

std::vector<std::string> species_names(const grid::FieldSet& fields,
                                       const std::vector<std::size_t>& indices) {
  std::vector<std::string> names;
  for (const std::size_t s : indices) {
    names.push_back(fields.names()[s]);
  }
  return names;
}

void check_gzip_level(int level) {
  if (level < 0 || level > 9) {
    throw core::InputError("field output: gzip level must be in 0..9, got " +
                           std::to_string(level));
  }
}

// --- a minimal JSON reader, enough for .series files --------------------------------------------

void check_steps(const std::vector<SeriesStep>& steps, std::string_view source) {
  for (std::size_t n = 0; n < steps.size(); ++n) {
    if (!snapshot_index(steps[n].file)) {
      throw core::InputError("field series " + std::string(source) + ": file name '" +
                             steps[n].file + "' is not of the form fields/f_NNNNNN.hdf");
    }
    if (!std::isfinite(steps[n].time) || (n > 0 && !(steps[n].time > steps[n - 1].time))) {
      throw core::InputError("field series " + std::string(source) +
                             ": times must be finite and strictly increasing (step " +
                             std::to_string(n) + ", '" + steps[n].file + "')");
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

SnapshotLayout snapshot_layout(const grid::Grid& grid) {
  SnapshotLayout layout;
  for (int a = 0; a < 3; ++a) {
    const auto axis = static_cast<grid::Axis>(a);
    if (grid.extent(axis) > 1) {
      layout.layers[a] = grid.extent(axis);
      layout.spacing_mm[a] = grid.spacing_mm(axis);
      layout.first_centre_mm[a] = grid.center_mm(axis, 0);
    } else {
      // Two half-voxel layers instead of one: VTK 9.1's and ParaView 5.11's vtkHDFReader
      // overrun a heap buffer (and abort) on an image with a single point along y or z.
      layout.layers[a] = 2;
      layout.spacing_mm[a] = 0.5 * grid.spacing_mm(axis);
      layout.first_centre_mm[a] = grid.origin_mm()[a] + 0.25 * grid.spacing_mm(axis);
    }
  }
  return layout;
}

namespace {

// Values of one species on the snapshot's layers ([z][y][x], x fastest), as @p T: a single voxel
// along an axis is repeated on both of its half-voxel layers.
template <class T>
void expand_to_layers(const grid::Grid& grid, const SnapshotLayout& layout,
                      std::span<const double> values, std::vector<T>& out) {
  const auto [lx, ly, lz] = layout.layers;
  out.resize(static_cast<std::size_t>(lx * ly * lz));
  std::size_t n = 0;
  for (Index k = 0; k < lz; ++k) {
    for (Index j = 0; j < ly; ++j) {
      for (Index i = 0; i < lx; ++i) {
        const Index source = grid.index(std::min(i, grid.nx() - 1), std::min(j, grid.ny() - 1),
                                        std::min(k, grid.nz() - 1));
        out[n++] = static_cast<T>(values[static_cast<std::size_t>(source)]);
      }
    }
  }
}

}  // namespace

void write_field_snapshot(const std::filesystem::path& path, const grid::FieldSet& fields,
                          const SnapshotOptions& options) {
  check_gzip_level(options.gzip_level);
  const std::vector<std::size_t> species = resolve_species(fields, options);
  const grid::Grid& g = fields.grid();
  const SnapshotLayout layout = snapshot_layout(g);
  const auto [lx, ly, lz] = layout.layers;
  const bool expanded = lx != g.nx() || ly != g.ny() || lz != g.nz();
  const std::array<std::uint64_t, 3> dims{static_cast<std::uint64_t>(lz),
                                          static_cast<std::uint64_t>(ly),
                                          static_cast<std::uint64_t>(lx)};
  // A point extent: VTK's points are the voxel centres (or half-voxel layer centres).
  const std::array<std::int64_t, 6> whole_extent{0, lx - 1, 0, ly - 1, 0, lz - 1};
  constexpr std::array<double, 9> identity{1, 0, 0, 0, 1, 0, 0, 0, 1};
  constexpr std::array<std::int64_t, 2> version{1, 0};
  const h5::DatasetOptions storage{.gzip_level = options.gzip_level, .chunk_dims = {}};

  h5::write_file_atomically(path, [&](h5::File& file) {
    {
      const h5::Group vtkhdf = file.create_group("VTKHDF");
      vtkhdf.write_attribute<std::int64_t>("Version", version);
      vtkhdf.write_string_attribute("Type", "ImageData");
      vtkhdf.write_attribute<std::int64_t>("WholeExtent", whole_extent);
      vtkhdf.write_attribute<double>("Origin", layout.first_centre_mm);
      vtkhdf.write_attribute<double>("Spacing", layout.spacing_mm);
      vtkhdf.write_attribute<double>("Direction", identity);
      const h5::Group point_data = vtkhdf.create_group("PointData");
      std::vector<double> wide;
      std::vector<float> narrow;
      for (const std::size_t s : species) {
        const std::string& name = fields.names()[s];
        if (options.precision == Precision::float64) {
          if (!expanded) {
            point_data.write_dataset<double>(name, fields[s], dims, storage);
            continue;
          }
          expand_to_layers(g, layout, fields[s], wide);
          point_data.write_dataset<double>(name, wide, dims, storage);
        } else {
          expand_to_layers(g, layout, fields[s], narrow);
          point_data.write_dataset<float>(name, narrow, dims, storage);
        }
      }
    }
  });
}

std::vector<SeriesStep> read_field_series(const std::filesystem::path& series_path) {
  const std::string where = "field series '" + series_path.string() + "': ";
  std::ifstream in(series_path, std::ios::binary);
  if (!in) {
    throw core::InputError(where + "cannot open the file");
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw core::InputError(where + "not valid JSON (" + error.what() + ")");
  }
  if (!json.is_object() || !json.contains("file-series-version") || !json.contains("files")) {
    throw core::InputError(where + "missing \"file-series-version\" or \"files\"");
  }
  const nlohmann::json& version = json["file-series-version"];
  if (!version.is_string() || version.get<std::string>() != "1.0") {
    throw core::InputError(where + "unsupported file-series-version (expected \"1.0\")");
  }
  const nlohmann::json& files = json["files"];
  if (!files.is_array()) {
    throw core::InputError(where + "\"files\" is not an array");
  }
  std::vector<SeriesStep> steps;
  for (const nlohmann::json& entry : files) {
    if (!entry.is_object() || !entry.contains("name") || !entry.contains("time") ||
        !entry["name"].is_string() || !entry["time"].is_number()) {
      throw core::InputError(where +
                             "a file entry needs both \"name\" (text) and \"time\" (a number)");
    }
    // nlohmann reads numbers with strtod: the shortest round-trip text written by the series
    // writer comes back as the same double.
    steps.push_back({entry["name"].get<std::string>(), entry["time"].get<double>()});
  }
  check_steps(steps, in_quotes(series_path.string()));
  return steps;
}

std::string field_series_json(const std::vector<SeriesStep>& steps) {
  std::string out = "{\n  \"file-series-version\": \"1.0\",\n  \"files\": [\n";
  for (std::size_t n = 0; n < steps.size(); ++n) {
    out += "    { \"name\": \"" + core::json_escape(steps[n].file) +
           "\", \"time\": " + format_double(steps[n].time) + " }";
    out += n + 1 < steps.size() ? ",\n" : "\n";
  }
  out += "  ]\n}\n";
  return out;
}

std::string field_series_xdmf(const std::vector<SeriesStep>& steps, const grid::Grid& grid,
                              const std::vector<std::string>& species, Precision precision) {
  // XDMF lists every axis slowest first: z y x (pitfall 1 of output-formats.md: x y z gives a
  // plausible-looking but mirrored geometry). The cells are the snapshot's layers, so the
  // dataset shapes match; the geometry starts at the true voxel origin.
  const SnapshotLayout layout = snapshot_layout(grid);
  const auto [lx, ly, lz] = layout.layers;
  const std::string point_dims =
      std::to_string(lz + 1) + " " + std::to_string(ly + 1) + " " + std::to_string(lx + 1);
  const std::string cell_dims =
      std::to_string(lz) + " " + std::to_string(ly) + " " + std::to_string(lx);
  const auto& o = grid.origin_mm();
  const auto& d = layout.spacing_mm;
  const std::string origin =
      format_double(o[2]) + " " + format_double(o[1]) + " " + format_double(o[0]);
  const std::string spacing =
      format_double(d[2]) + " " + format_double(d[1]) + " " + format_double(d[0]);
  const std::string bytes = precision == Precision::float64 ? "8" : "4";

  std::ostringstream out;
  out << "<?xml version=\"1.0\" ?>\n"
      << "<Xdmf Version=\"2.0\">\n"
      << "  <Domain>\n"
      << "    <Grid Name=\"fields\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (const auto& step : steps) {
    const std::string file = xml_escape(step.file);
    // Named after the file ("f_000003"): a '/' in a grid name can confuse block naming.
    const std::string grid_name = xml_escape(std::filesystem::path(step.file).stem().string());
    out << "      <Grid Name=\"" << grid_name << "\" GridType=\"Uniform\">\n"
        << "        <Time Value=\"" << format_double(step.time) << "\"/>\n"
        << "        <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"" << point_dims << "\"/>\n"
        << "        <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n"
        << "          <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" "
           "Format=\"XML\">"
        << origin << "</DataItem>\n"
        << "          <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" "
           "Format=\"XML\">"
        << spacing << "</DataItem>\n"
        << "        </Geometry>\n";
    for (const auto& name : species) {
      const std::string n = xml_escape(name);
      out << "        <Attribute Name=\"" << n << "\" AttributeType=\"Scalar\" Center=\"Cell\">\n"
          << "          <DataItem Dimensions=\"" << cell_dims
          << "\" NumberType=\"Float\" Precision=\"" << bytes << "\" Format=\"HDF\">" << file
          << ":/VTKHDF/PointData/" << n << "</DataItem>\n"
          << "        </Attribute>\n";
    }
    out << "      </Grid>\n";
  }
  out << "    </Grid>\n"
      << "  </Domain>\n"
      << "</Xdmf>\n";
  return out.str();
}

// ---------------------------------------------------------------------------------------------

FieldSeriesWriter::FieldSeriesWriter(std::filesystem::path directory, SnapshotOptions options,
                                     std::vector<SeriesStep> previous)
    : _directory(std::move(directory)), _options(std::move(options)), _steps(std::move(previous)) {
  check_gzip_level(_options.gzip_level);
  check_steps(_steps, "in " + in_quotes(_directory.string()));
  std::error_code error;
  std::filesystem::create_directories(_directory / fields_dir_name, error);
  if (error) {
    throw core::RunError("cannot create output directory '" +
                         (_directory / fields_dir_name).string() + "': " + error.message());
  }
}

FieldSeriesWriter FieldSeriesWriter::resume(std::filesystem::path directory,
                                            SnapshotOptions options) {
  const std::filesystem::path series = directory / series_file_name;
  std::vector<SeriesStep> previous;
  if (std::filesystem::exists(series)) {
    previous = read_field_series(series);
  }
  return {std::move(directory), std::move(options), std::move(previous)};
}

void FieldSeriesWriter::check_previous_step(const grid::FieldSet& fields,
                                            const std::vector<std::string>& species,
                                            const SeriesStep& previous) const {
  const std::filesystem::path last = _directory / previous.file;
  const std::string where =
      "cannot resume the field series in '" + _directory.string() + "': '" + previous.file + "'";
  try {
    const h5::File file = h5::File::open(last);
    const h5::Group vtkhdf = file.open_group("VTKHDF");
    const SnapshotLayout layout = snapshot_layout(fields.grid());
    const auto [lx, ly, lz] = layout.layers;
    const std::vector<std::int64_t> extent{0, lx - 1, 0, ly - 1, 0, lz - 1};
    const std::vector<double> spacing(layout.spacing_mm.begin(), layout.spacing_mm.end());
    const std::vector<double> origin(layout.first_centre_mm.begin(), layout.first_centre_mm.end());
    if (vtkhdf.read_attribute<std::int64_t>("WholeExtent") != extent ||
        vtkhdf.read_attribute<double>("Spacing") != spacing ||
        vtkhdf.read_attribute<double>("Origin") != origin) {
      throw core::InputError(where + " has a different grid than this run");
    }
    const h5::Group point_data = vtkhdf.open_group("PointData");
    std::vector<std::string> stored = point_data.child_names();
    std::vector<std::string> expected = species;
    std::sort(stored.begin(), stored.end());
    std::sort(expected.begin(), expected.end());
    if (stored != expected) {
      throw core::InputError(where + " holds other species than this run writes");
    }
    const h5::ElementType want = _options.precision == Precision::float64
                                     ? h5::ElementType::float64
                                     : h5::ElementType::float32;
    for (const auto& name : species) {
      if (point_data.open_dataset(name).type().element_type() != want) {
        throw core::InputError(where + " stores '" + name + "' in another precision than " +
                               std::string(h5::element_type_name(want)));
      }
    }
  } catch (const core::RunError& e) {
    throw core::InputError(where + " cannot be read: " + e.what());
  }
}

const SeriesStep& FieldSeriesWriter::write(const grid::FieldSet& fields, double time) {
  if (!std::isfinite(time)) {
    throw core::RunError("field output in '" + _directory.string() + "': time is not finite");
  }
  const std::vector<std::string> species = species_names(fields, resolve_species(fields, _options));
  // A restarted run writes again from its restart time: whatever the old run wrote at or after
  // that time is superseded. Work on a copy so that a failed write leaves the list as on disk.
  std::vector<SeriesStep> steps = _steps;
  std::erase_if(steps, [time](const SeriesStep& step) { return step.time >= time; });
  if (!steps.empty() && !_previous_checked) {
    check_previous_step(fields, species, steps.back());
  }
  const std::uint64_t index = steps.empty() ? 0 : *snapshot_index(steps.back().file) + 1;
  steps.push_back({snapshot_name(index), time});
  write_field_snapshot(_directory / steps.back().file, fields, _options);
  write_file_atomically(series_path(), field_series_json(steps));
  write_file_atomically(xdmf_path(),
                        field_series_xdmf(steps, fields.grid(), species, _options.precision));
  _steps = std::move(steps);
  _previous_checked = true;
  return _steps.back();
}

}  // namespace microheal::io

#include "microheal/io/checkpoint.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <sstream>
#include <string_view>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/core/hash.hpp"
#include "microheal/core/version.hpp"
#include "microheal/io/atomic_file.hpp"
#include "microheal/io/hdf5.hpp"

namespace microheal::io {

namespace {

constexpr std::string_view format_name = "microheal-checkpoint";
// 2: every dataset carries the checksum of its values (attribute checksum_name).
constexpr std::int64_t format_version = 2;
constexpr std::string_view checksum_name = "fnv1a64";

template <class T>
std::uint64_t checksum(std::span<const T> values) {
  return core::fnv1a64(std::as_bytes(values));
}

template <h5::Element T>
void write_checked(const h5::Group& group, const std::string& name, std::span<const T> values,
                   std::span<const std::uint64_t> dims) {
  const h5::Dataset dataset = group.write_dataset<T>(name, values, dims);
  dataset.write_scalar_attribute<std::uint64_t>(checksum_name, checksum(values));
}

// Throws InputError unless the values read from @p dataset hash to the checksum stored with them:
// HDF5 reads damaged data without complaint when only the values (not the metadata) are hit.
template <class T>
void verify(const h5::Dataset& dataset, std::span<const T> values) {
  if (!dataset.has_attribute(checksum_name)) {
    throw core::InputError("dataset '" + dataset.where() + "' has no checksum (attribute '" +
                           std::string(checksum_name) + "')");
  }
  const std::vector<std::uint64_t> stored = dataset.read_attribute<std::uint64_t>(checksum_name);
  const std::uint64_t computed = checksum(values);
  if (stored.size() != 1 || stored[0] != computed) {
    throw core::InputError("dataset '" + dataset.where() +
                           "' fails its checksum (its values were changed after writing): the "
                           "file is damaged");
  }
}

void check_name(const std::filesystem::path& path, std::string_view kind, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw core::RunError("cannot write checkpoint '" + path.string() + "': " + std::string(kind) +
                         " name '" + name + "' must be non-empty and contain no '/'");
  }
}

std::string text(const std::array<Index, 3>& values) {
  return std::to_string(values[0]) + " x " + std::to_string(values[1]) + " x " +
         std::to_string(values[2]);
}

std::string text(const std::array<double, 3>& values) {
  std::ostringstream out;
  out.precision(17);
  out << "(" << values[0] << ", " << values[1] << ", " << values[2] << ")";
  return out.str();
}

std::string text(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t n = 0; n < names.size(); ++n) {
    out += (n > 0 ? ", " : "") + names[n];
  }
  return out + "]";
}

template <class T, std::size_t N>
std::array<T, N> to_array(const std::vector<T>& values, const std::string& what) {
  if (values.size() != N) {
    throw core::InputError(what + " has " + std::to_string(values.size()) + " values, expected " +
                           std::to_string(N));
  }
  std::array<T, N> out{};
  std::copy(values.begin(), values.end(), out.begin());
  return out;
}

// Throws InputError unless @p dataset stores exactly @p type (so reads are bit for bit, never a
// silent conversion).
void expect_type(const h5::Dataset& dataset, h5::ElementType type) {
  if (dataset.type().element_type() != type) {
    throw core::InputError("dataset '" + dataset.where() + "' is not " +
                           std::string(h5::element_type_name(type)));
  }
}

// The seal: the file's first seal_bytes are HDF5's user block (which HDF5 leaves alone), holding
// a text header with the FNV-1a of every byte after it. It is checked before HDF5 parses anything:
// HDF5 1.10 may crash on damaged metadata (the checkpoint fuzzer found such files), so a damaged
// checkpoint must never reach it.
constexpr std::uint64_t seal_bytes = 512;
constexpr std::string_view seal_magic = "microheal-checkpoint sealed fnv1a64 ";

std::string hex64(std::uint64_t value) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string out(16, '0');
  for (int d = 15; d >= 0; --d, value >>= 4)
    out[static_cast<std::size_t>(d)] = digits[value & 0xf];
  return out;
}

std::uint64_t body_hash(std::span<const std::byte> image) {
  return core::fnv1a64(image.subspan(seal_bytes));
}

// The file: the seal header, padded to seal_bytes, then the HDF5 image (created with a user block
// of that size, which H5Fget_file_image leaves out, so that its addresses count from there).
std::vector<std::byte> sealed(const std::vector<std::byte>& image) {
  std::vector<std::byte> file(seal_bytes, std::byte{0});
  file.insert(file.end(), image.begin(), image.end());
  const std::string header = std::string(seal_magic) + hex64(body_hash(file)) + "\n";
  std::transform(header.begin(), header.end(), file.begin(),
                 [](char c) { return static_cast<std::byte>(c); });
  return file;
}

// Throws InputError unless @p image carries a seal that matches its bytes.
void check_seal(std::span<const std::byte> image) {
  const auto text = [&](std::size_t from, std::size_t count) {
    std::string out(count, '\0');
    std::transform(image.begin() + static_cast<std::ptrdiff_t>(from),
                   image.begin() + static_cast<std::ptrdiff_t>(from + count), out.begin(),
                   [](std::byte b) { return static_cast<char>(b); });
    return out;
  };
  if (image.size() <= seal_bytes || text(0, seal_magic.size()) != seal_magic) {
    throw core::InputError(
        "not a sealed microheal checkpoint (format version " + std::to_string(format_version) +
        " files start with \"" + std::string(seal_magic) +
        "\"): damaged, truncated, or written by an earlier microheal (start over with "
        "--overwrite)");
  }
  const std::string stored = text(seal_magic.size(), 16);
  if (stored != hex64(body_hash(image))) {
    throw core::InputError("the file fails its checksum (" + std::to_string(image.size()) +
                           " bytes; damaged or truncated after it was written)");
  }
}

std::vector<std::byte> read_bytes(const std::filesystem::path& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  std::ifstream in(path, std::ios::binary);
  if (error || !in)
    throw core::InputError("cannot open the file");
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  // One read into the buffer HDF5 will parse; std::byte may be read through a char pointer.
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size()))
    throw core::InputError("cannot read the file (it changed while being read)");
  return bytes;
}

// Runs @p body on the verified file opened from memory (HDF5 parses exactly the bytes whose seal
// was checked), turning any HDF5 or format failure into an InputError that names the file: a
// checkpoint that cannot be read is bad input to the restart, not a failing run.
template <class F>
auto reading(const std::filesystem::path& path, F&& body) {
  const std::string prefix = "checkpoint '" + path.string() + "': ";
  if (!std::filesystem::exists(path)) {
    throw core::InputError(prefix + "no such file");
  }
  try {
    const std::vector<std::byte> image = read_bytes(path);
    check_seal(image);
    const h5::File file = h5::File::open_image(path, image);
    return body(file);
  } catch (const core::InputError& e) {
    throw core::InputError(prefix + e.what());
  } catch (const core::RunError& e) {
    throw core::InputError(prefix + "corrupt or unreadable: " + e.what());
  }
}

CheckpointHeader header_of(const h5::File& file) {
  if (!file.has_attribute("format") || file.read_string_attribute("format") != format_name) {
    throw core::InputError("not a microheal checkpoint (no format attribute \"" +
                           std::string(format_name) + "\")");
  }
  const auto version = file.read_attribute<std::int64_t>("format_version");
  if (version.size() != 1 || version[0] != format_version) {
    const std::string written_by =
        file.has_attribute("microheal_version")
            ? "microheal " + file.read_string_attribute("microheal_version")
            : "an earlier microheal";
    throw core::InputError("checkpoint format version " +
                           (version.size() == 1 ? std::to_string(version[0]) : std::string("?")) +
                           " (written by " + written_by + "); this build (microheal " +
                           std::string(core::version) + ") reads format " +
                           std::to_string(format_version) + ": start the run over (--overwrite)");
  }
  CheckpointHeader header;
  const h5::Group grid = file.open_group("grid");
  header.extent = to_array<Index, 3>(grid.read_attribute<std::int64_t>("extent"), "grid extent");
  header.spacing_mm =
      to_array<double, 3>(grid.read_attribute<double>("spacing_mm"), "grid spacing_mm");
  header.origin_mm =
      to_array<double, 3>(grid.read_attribute<double>("origin_mm"), "grid origin_mm");
  header.species = file.open_group("species").child_names();
  return header;
}

}  // namespace

void write_checkpoint(const std::filesystem::path& path, const grid::FieldSet& fields,
                      const CheckpointState& state) {
  for (const auto& [name, value] : state.scalars) {
    check_name(path, "scalar", name);
  }
  for (const auto& [name, value] : state.float64_arrays) {
    check_name(path, "float64 array", name);
  }
  for (const auto& [name, value] : state.uint64_arrays) {
    check_name(path, "uint64 array", name);
  }
  for (const auto& name : fields.names()) {
    check_name(path, "species", name);
  }
  const grid::Grid& g = fields.grid();
  const std::array<std::uint64_t, 3> dims{static_cast<std::uint64_t>(g.nz()),
                                          static_cast<std::uint64_t>(g.ny()),
                                          static_cast<std::uint64_t>(g.nx())};
  h5::File file = h5::File::create_in_memory(path, seal_bytes);
  {
    file.write_string_attribute("format", format_name);
    file.write_scalar_attribute<std::int64_t>("format_version", format_version);
    file.write_string_attribute("microheal_version", core::version);
    file.write_string_attribute("git_hash", core::git_hash);
    {
      const h5::Group grid = file.create_group("grid");
      grid.write_attribute<std::int64_t>("extent", g.extent());
      grid.write_attribute<double>("spacing_mm", g.spacing_mm());
      grid.write_attribute<double>("origin_mm", g.origin_mm());
      // Creation order is tracked so that reading returns the species in the FieldSet's order.
      const h5::Group species = file.create_group("species", /*track_order=*/true);
      for (std::size_t s = 0; s < fields.num_species(); ++s) {
        write_checked<double>(species, fields.names()[s], fields[s], dims);
      }
      const h5::Group scalars = file.create_group("scalars", true);
      for (const auto& [name, value] : state.scalars) {
        write_checked<double>(scalars, name, std::span<const double>(&value, 1), {});
      }
      const h5::Group float64_arrays = file.create_group("float64_arrays", true);
      for (const auto& [name, values] : state.float64_arrays) {
        const std::uint64_t size = values.size();
        write_checked<double>(float64_arrays, name, values, std::span(&size, 1));
      }
      const h5::Group uint64_arrays = file.create_group("uint64_arrays", true);
      for (const auto& [name, values] : state.uint64_arrays) {
        const std::uint64_t size = values.size();
        write_checked<std::uint64_t>(uint64_arrays, name, values, std::span(&size, 1));
      }
    }
  }
  write_file_atomically(path, sealed(file.close_to_image()));
}

CheckpointHeader read_checkpoint_header(const std::filesystem::path& path) {
  return reading(path, [&](const h5::File& file) { return header_of(file); });
}

CheckpointState read_checkpoint(const std::filesystem::path& path, grid::FieldSet& fields) {
  return reading(path, [&](const h5::File& file) {
    const CheckpointHeader header = header_of(file);
    const grid::Grid& g = fields.grid();
    if (header.extent != g.extent()) {
      throw core::InputError("grid is " + text(header.extent) + " voxels, the run expects " +
                             text(g.extent()));
    }
    if (header.spacing_mm != g.spacing_mm()) {
      throw core::InputError("grid spacing is " + text(header.spacing_mm) +
                             " mm, the run expects " + text(g.spacing_mm()));
    }
    if (header.origin_mm != g.origin_mm()) {
      throw core::InputError("grid origin is " + text(header.origin_mm) + " mm, the run expects " +
                             text(g.origin_mm()));
    }
    if (header.species != fields.names()) {
      throw core::InputError("species are " + text(header.species) + ", the run expects " +
                             text(fields.names()));
    }
    const std::vector<std::uint64_t> dims{static_cast<std::uint64_t>(g.nz()),
                                          static_cast<std::uint64_t>(g.ny()),
                                          static_cast<std::uint64_t>(g.nx())};
    const h5::Group species = file.open_group("species");
    for (std::size_t s = 0; s < fields.num_species(); ++s) {
      const h5::Dataset dataset = species.open_dataset(fields.names()[s]);
      expect_type(dataset, h5::ElementType::float64);
      if (dataset.dims() != dims) {
        throw core::InputError("dataset '" + dataset.where() + "' does not have shape [nz,ny,nx]");
      }
      dataset.read_into<double>(fields[s]);
      verify<double>(dataset, fields[s]);
    }
    CheckpointState state;
    const h5::Group scalars = file.open_group("scalars");
    for (const auto& name : scalars.child_names()) {
      const h5::Dataset dataset = scalars.open_dataset(name);
      expect_type(dataset, h5::ElementType::float64);
      const std::vector<double> value = dataset.read<double>();
      if (value.size() != 1) {
        throw core::InputError("dataset '" + dataset.where() + "' is not a scalar");
      }
      verify<double>(dataset, value);
      state.scalars.emplace(name, value[0]);
    }
    const h5::Group float64_arrays = file.open_group("float64_arrays");
    for (const auto& name : float64_arrays.child_names()) {
      const h5::Dataset dataset = float64_arrays.open_dataset(name);
      expect_type(dataset, h5::ElementType::float64);
      std::vector<double> values = dataset.read<double>();
      verify<double>(dataset, values);
      state.float64_arrays.emplace(name, std::move(values));
    }
    const h5::Group uint64_arrays = file.open_group("uint64_arrays");
    for (const auto& name : uint64_arrays.child_names()) {
      const h5::Dataset dataset = uint64_arrays.open_dataset(name);
      expect_type(dataset, h5::ElementType::uint64);
      std::vector<std::uint64_t> values = dataset.read<std::uint64_t>();
      verify<std::uint64_t>(dataset, values);
      state.uint64_arrays.emplace(name, std::move(values));
    }
    return state;
  });
}

}  // namespace microheal::io

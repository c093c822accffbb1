#include <unistd.h>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "microheal/core/error.hpp"
#include "microheal/core/hash.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/io/atomic_file.hpp"
#include "microheal/io/checkpoint.hpp"
#include "microheal/io/field_writer.hpp"
#include "microheal/io/file_lock.hpp"
#include "microheal/io/hdf5.hpp"

using namespace microheal;
namespace fs = std::filesystem;
namespace h5 = microheal::io::h5;

namespace {

// A fresh directory under the system temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device entropy;
    _path = fs::temp_directory_path() /
            ("microheal_io_test_" + std::to_string(entropy()) + "_" + std::to_string(entropy()));
    fs::create_directories(_path);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::permissions(_path, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(_path, ignored);
  }
  const fs::path& path() const { return _path; }
  fs::path operator/(std::string_view name) const { return _path / name; }

 private:
  fs::path _path;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Names of all entries in @p dir (to prove that no temporary file was left behind).
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The test grid of output-formats.md, smaller: nx, ny and nz all differ, spacing anisotropic, so
// a swapped axis shows.
grid::Grid test_grid() {
  return grid::Grid({6, 5, 4}, {0.5, 0.25, 1.0}, {1.0, 2.0, 3.0});
}

// A = i + 1000 j + 1e6 k + 1e8 step (each voxel stores its own index); B = -A; C = A / 3 (not a
// float, so the float32 cast shows).
grid::FieldSet test_fields(const grid::Grid& g, int step) {
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

bool bitwise_equal(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

using U64 = std::vector<std::uint64_t>;

}  // namespace

// ---------------------------------------------------------------------------------------------
// HDF5 layer

TEST_CASE("hdf5 layer round-trips typed datasets and attributes", "[io]") {
  const TempDir dir;
  const fs::path path = dir / "t.h5";
  const std::vector<double> d3{0.5,  -1.25, 1e300, std::numeric_limits<double>::denorm_min(),
                               -0.0, 3.0};
  const std::vector<float> f1{1.5f, -2.25f, 3.0e38f};
  const std::vector<std::int64_t> i1{std::numeric_limits<std::int64_t>::min(), -1, 0,
                                     std::numeric_limits<std::int64_t>::max()};
  const std::vector<std::uint64_t> u1{0, 1, std::uint64_t{1} << 63,
                                      std::numeric_limits<std::uint64_t>::max()};
  const std::array<std::uint64_t, 3> shape{1, 2, 3};
  {
    h5::File file = h5::File::create(path);
    {
      const h5::Group group = file.create_group("g", /*track_order=*/true);
      group.write_dataset<double>("zeta", d3, shape);
      group.write_dataset<float>("alpha", f1);
      group.write_dataset<std::int64_t>("mid", i1);
      group.write_dataset<std::uint64_t>("empty", std::span<const std::uint64_t>{});
      group.write_attribute<std::uint64_t>("u", u1);
      group.write_scalar_attribute<double>("x", 2.5);
      group.write_scalar_attribute<double>("x", 7.5);  // replaces
      group.write_string_attribute("Type", "ImageData");
      const std::vector<std::uint64_t> big(100000, 7);
      const std::array<std::uint64_t, 2> big_shape{1000, 100};
      group.write_dataset<std::uint64_t>("packed", big, big_shape, {.gzip_level = 6});
    }
    file.close();
    file.close();  // a second close is a no-op
  }
  const h5::File file = h5::File::open(path);
  const h5::Group group = file.open_group("g");
  CHECK(group.child_names() == std::vector<std::string>{"zeta", "alpha", "mid", "empty", "packed"});
  CHECK(file.child_names() == std::vector<std::string>{"g"});
  CHECK(group.has_child("zeta"));
  CHECK_FALSE(group.has_child("nope"));

  const h5::Dataset zeta = group.open_dataset("zeta");
  CHECK(zeta.dims() == U64{1, 2, 3});
  CHECK(zeta.type().element_type() == h5::ElementType::float64);
  CHECK(zeta.chunk_dims().empty());
  CHECK_FALSE(zeta.is_gzip_compressed());
  CHECK(bitwise_equal(zeta.read<double>(), d3));
  CHECK(std::signbit(zeta.read<double>()[4]));
  CHECK(file.read_dataset<float>("g/alpha") == f1);
  CHECK(group.open_dataset("alpha").type().element_type() == h5::ElementType::float32);
  CHECK(group.read_dataset<std::int64_t>("mid") == i1);
  CHECK(group.open_dataset("mid").type().element_type() == h5::ElementType::int64);
  CHECK(group.read_dataset<std::uint64_t>("empty").empty());
  CHECK(group.open_dataset("empty").dims() == U64{0});

  const h5::Dataset packed = group.open_dataset("packed");
  CHECK(packed.chunk_dims() == U64{1000, 100});  // one plane of the two fastest axes
  CHECK(packed.is_gzip_compressed());
  CHECK(packed.read<std::uint64_t>() == std::vector<std::uint64_t>(100000, 7));

  CHECK(group.read_attribute<std::uint64_t>("u") == u1);
  CHECK(group.read_attribute<double>("x") == std::vector<double>{7.5});
  CHECK(group.open_attribute("x").space().is_scalar());
  CHECK(group.attribute_names() == std::vector<std::string>{"Type", "u", "x"});

  const h5::Attribute type = group.open_attribute("Type");
  CHECK(type.read_string() == "ImageData");
  CHECK(type.space().is_scalar());
  const h5::Datatype string_type = type.type();
  CHECK(string_type.type_class() == h5::TypeClass::string);
  CHECK_FALSE(string_type.is_variable_string());
  CHECK(string_type.size_bytes() == 9);
  CHECK(string_type.is_ascii());
  CHECK(string_type.string_pad() == h5::StringPad::null_padded);
  CHECK_THROWS_AS(type.read<double>(), core::RunError);
}

TEST_CASE("hdf5 layer turns failures into RunError naming file and object", "[io]") {
  const TempDir dir;
  const fs::path missing = dir / "missing.h5";
  CHECK_THROWS_WITH(h5::File::open(missing), Catch::Contains("missing.h5") &&
                                                 Catch::Contains("cannot open file") &&
                                                 Catch::Contains("No such file"));
  CHECK_THROWS_AS(h5::File::create(dir / "no_dir" / "x.h5"), core::RunError);

  const fs::path path = dir / "t.h5";
  h5::File file = h5::File::create(path);
  const std::vector<double> three{1, 2, 3};
  const std::array<std::uint64_t, 1> four{4};
  CHECK_THROWS_WITH(file.write_dataset<double>("d", three, four),
                    Catch::Contains("t.h5:/d") && Catch::Contains("3 elements"));
  {
    const h5::Group group = file.create_group("grp");
    CHECK_THROWS_WITH(group.open_dataset("nope"),
                      Catch::Contains("t.h5:/grp/nope") && Catch::Contains("cannot open dataset"));
    CHECK_THROWS_AS(file.create_group("grp"), core::RunError);  // exists already
    CHECK_THROWS_AS(group.open_attribute("nope"), core::RunError);
    CHECK_THROWS_AS(group.write_dataset<double>("z", three, four, {.gzip_level = 11}),
                    core::InputError);
    // Closing the file while a group is open would leave HDF5 holding it behind our back.
    CHECK_THROWS_WITH(file.close(), Catch::Contains("still open"));
  }
  file.close();
  CHECK(h5::File::open(path).has_child("grp"));

  // Not an HDF5 file.
  io::write_file_atomically(dir / "text.h5", std::string_view("not hdf5"));
  CHECK_THROWS_WITH(h5::File::open(dir / "text.h5"), Catch::Contains("text.h5"));
}

// ---------------------------------------------------------------------------------------------
// Atomic files

TEST_CASE("atomic writes replace whole files and leave no temporaries", "[io]") {
  const TempDir dir;
  const fs::path path = dir / "out.txt";
  io::write_file_atomically(path, std::string_view("first"));
  io::write_file_atomically(path, std::string_view("second, longer"));
  CHECK(read_text(path) == "second, longer");
  const std::array<std::byte, 3> bytes{std::byte{0}, std::byte{0xff}, std::byte{'x'}};
  io::write_file_atomically(dir / "bin", std::span<const std::byte>(bytes));
  CHECK(read_text(dir / "bin") == std::string("\0\xff"
                                              "x",
                                              3));
  CHECK(entries(dir.path()) == std::vector<std::string>{"bin", "out.txt"});

  SECTION("a directory that does not exist") {
    const fs::path bad = dir / "no_such_dir" / "out.txt";
    CHECK_THROWS_AS(io::write_file_atomically(bad, std::string_view("x")), core::RunError);
    CHECK_THROWS_WITH(io::write_file_atomically(bad, std::string_view("x")),
                      Catch::Contains(bad.string()) && Catch::Contains("No such file"));
    CHECK(entries(dir.path()) == std::vector<std::string>{"bin", "out.txt"});
  }
  SECTION("a parent that is a file") {
    const fs::path bad = path / "x.txt";
    CHECK_THROWS_WITH(io::write_file_atomically(bad, std::string_view("x")),
                      Catch::Contains(bad.string()));
    CHECK(read_text(path) == "second, longer");
  }
  SECTION("the rename fails after the temporary was written") {
    fs::create_directory(dir / "occupied");
    fs::create_directory(dir / "occupied" / "keep");  // a non-empty directory cannot be replaced
    CHECK_THROWS_WITH(io::write_file_atomically(dir / "occupied", std::string_view("x")),
                      Catch::Contains("occupied") && Catch::Contains("rename"));
    CHECK(entries(dir.path()) == std::vector<std::string>{"bin", "occupied", "out.txt"});
  }
  SECTION("the producer fails half way") {
    CHECK_THROWS_AS(io::produce_file_atomically(path,
                                                [](const fs::path& temp) {
                                                  std::ofstream(temp) << "partial";
                                                  throw core::RunError("disk full");
                                                }),
                    core::RunError);
    CHECK(read_text(path) == "second, longer");
    CHECK(entries(dir.path()) == std::vector<std::string>{"bin", "out.txt"});
  }
  SECTION("an unwritable directory") {
    // Root ignores permissions, so this case only runs for ordinary users; the cases above cover
    // the same failure paths for root.
    if (::geteuid() != 0) {
      const fs::path locked = dir / "locked";
      fs::create_directory(locked);
      fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
      CHECK_THROWS_WITH(io::write_file_atomically(locked / "f.txt", std::string_view("x")),
                        Catch::Contains("locked/f.txt") && Catch::Contains("ermission denied"));
      fs::permissions(locked, fs::perms::owner_all);
      CHECK(entries(locked).empty());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

TEST_CASE("checkpoint round-trips the state bit for bit", "[io]") {
  const TempDir dir;
  const grid::Grid g({5, 3, 2}, {0.1, 0.2, 0.30000000000000004}, {-1.5, 0.0, 1e-9});
  // Species in non-alphabetical order: the order must survive.
  grid::FieldSet fields(g, {"zeta", "alpha", "Mid"});
  std::mt19937_64 bits(42);
  for (std::size_t s = 0; s < fields.num_species(); ++s) {
    for (auto& v : fields[s]) {
      v = std::ldexp(static_cast<double>(bits() >> 11), -53) *
          std::pow(10.0, static_cast<double>(s) * 100.0 - 100.0);
    }
  }
  fields[0][0] = std::numeric_limits<double>::denorm_min();
  fields[0][1] = -0.0;
  fields[0][2] = std::numeric_limits<double>::max();
  fields[0][3] = std::numeric_limits<double>::lowest();
  fields[0][4] = std::numeric_limits<double>::infinity();
  fields[1][0] = std::numeric_limits<double>::min();

  io::CheckpointState state;
  state.scalars["time_h"] = 12.345678901234567;
  state.scalars["dt"] = 1.0 / 3.0;
  state.float64_arrays["controller"] = {0.1, -0.0, 1e-308, 2.0};
  state.float64_arrays["none"] = {};
  state.uint64_arrays["rng"] = {0, 1, std::uint64_t{1} << 63,
                                std::numeric_limits<std::uint64_t>::max()};
  state.uint64_arrays["counters"] = {17};

  const fs::path path = dir / "restart.h5";
  io::write_checkpoint(path, fields, state);
  CHECK(entries(dir.path()) == std::vector<std::string>{"restart.h5"});

  grid::FieldSet loaded(g, {"zeta", "alpha", "Mid"});
  const io::CheckpointState back = io::read_checkpoint(path, loaded);
  for (std::size_t s = 0; s < fields.num_species(); ++s) {
    CHECK(bitwise_equal(loaded[s], fields[s]));
  }
  CHECK(std::signbit(loaded[0][1]));
  CHECK(back == state);
  CHECK(std::signbit(back.float64_arrays.at("controller")[1]));
  CHECK(back.uint64_arrays.at("rng")[3] == std::numeric_limits<std::uint64_t>::max());

  const io::CheckpointHeader header = io::read_checkpoint_header(path);
  CHECK(header.extent == std::array<Index, 3>{5, 3, 2});
  CHECK(header.spacing_mm == g.spacing_mm());
  CHECK(header.origin_mm == g.origin_mm());
  CHECK(header.species == std::vector<std::string>{"zeta", "alpha", "Mid"});

  // Overwriting replaces the file completely.
  io::write_checkpoint(path, loaded, {});
  CHECK(io::read_checkpoint(path, loaded) == io::CheckpointState{});
}

TEST_CASE("checkpoint reading rejects mismatches and bad files with InputError", "[io]") {
  const TempDir dir;
  const grid::Grid g = test_grid();
  const grid::FieldSet fields = test_fields(g, 0);
  const fs::path path = dir / "c.h5";
  io::write_checkpoint(path, fields,
                       {.scalars = {{"t", 1.0}}, .float64_arrays = {}, .uint64_arrays = {}});

  grid::FieldSet other_extent(grid::Grid({6, 5, 3}, {0.5, 0.25, 1.0}, {1.0, 2.0, 3.0}),
                              {"A", "B", "C"});
  CHECK_THROWS_WITH(io::read_checkpoint(path, other_extent), Catch::Contains("c.h5") &&
                                                                 Catch::Contains("6 x 5 x 4") &&
                                                                 Catch::Contains("6 x 5 x 3"));
  grid::FieldSet other_spacing(grid::Grid({6, 5, 4}, {0.5, 0.25, 1.0000000000000002}, {1, 2, 3}),
                               {"A", "B", "C"});
  CHECK_THROWS_WITH(io::read_checkpoint(path, other_spacing), Catch::Contains("spacing"));
  grid::FieldSet other_origin(grid::Grid({6, 5, 4}, {0.5, 0.25, 1.0}, {1, 2, 0}), {"A", "B", "C"});
  CHECK_THROWS_WITH(io::read_checkpoint(path, other_origin), Catch::Contains("origin"));
  grid::FieldSet other_species(g, {"A", "C", "B"});
  CHECK_THROWS_WITH(io::read_checkpoint(path, other_species),
                    Catch::Contains("[A, B, C]") && Catch::Contains("[A, C, B]"));
  grid::FieldSet fewer_species(g, {"A", "B"});
  CHECK_THROWS_AS(io::read_checkpoint(path, fewer_species), core::InputError);

  grid::FieldSet target(g, {"A", "B", "C"});
  CHECK_THROWS_WITH(io::read_checkpoint(dir / "none.h5", target),
                    Catch::Contains("none.h5") && Catch::Contains("no such file"));
  io::write_file_atomically(dir / "garbage.h5", std::string_view("{ not hdf5 }"));
  CHECK_THROWS_WITH(io::read_checkpoint(dir / "garbage.h5", target),
                    Catch::Contains("garbage.h5") && Catch::Contains("not a sealed"));
  // A truncated copy (a crash mid-copy, a full disk).
  const std::string whole = read_text(path);
  io::write_file_atomically(dir / "cut.h5", std::string_view(whole).substr(0, whole.size() / 2));
  CHECK_THROWS_AS(io::read_checkpoint(dir / "cut.h5", target), core::InputError);
  // An HDF5 file that is not a checkpoint.
  io::write_field_snapshot(dir / "snap.hdf", fields, {});
  CHECK_THROWS_WITH(io::read_checkpoint(dir / "snap.hdf", target),
                    Catch::Contains("not a sealed microheal checkpoint"));

  // Still intact after all that, and readable.
  CHECK(io::read_checkpoint(path, target).scalars.at("t") == 1.0);
  CHECK(bitwise_equal(target[2], fields[2]));
}

TEST_CASE("checkpoint write failures name the path and keep the old checkpoint", "[io]") {
  const TempDir dir;
  const grid::FieldSet fields = test_fields(test_grid(), 0);
  const fs::path path = dir / "c.h5";
  io::write_checkpoint(path, fields, {});
  const std::string before = read_text(path);

  io::CheckpointState bad;
  bad.scalars["a/b"] = 1.0;
  CHECK_THROWS_WITH(io::write_checkpoint(path, fields, bad),
                    Catch::Contains("c.h5") && Catch::Contains("'a/b'"));
  const fs::path nowhere = dir / "missing_dir" / "c.h5";
  CHECK_THROWS_WITH(io::write_checkpoint(nowhere, fields, {}), Catch::Contains(nowhere.string()));
  // Fails at the rename, after the whole HDF5 file was written to the temporary.
  fs::create_directories(dir / "busy" / "x");
  CHECK_THROWS_AS(io::write_checkpoint(dir / "busy", fields, {}), core::RunError);
  CHECK(read_text(path) == before);
  CHECK(entries(dir.path()) == std::vector<std::string>{"busy", "c.h5"});
}

/// Recompute the seal of a checkpoint (its first 512 bytes: "microheal-checkpoint sealed fnv1a64
/// <16 hex digits of the FNV-1a of the rest>\n"), as a forger would: the per-dataset checksums
/// are the second line of defence.
void reseal(const fs::path& path) {
  std::string bytes = read_text(path);
  const std::string_view magic = "microheal-checkpoint sealed fnv1a64 ";
  REQUIRE(bytes.size() > 512);
  REQUIRE(bytes.compare(0, magic.size(), magic) == 0);
  const std::uint64_t hash =
      core::fnv1a64(std::as_bytes(std::span(bytes.data() + 512, bytes.size() - 512)));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  bytes.replace(magic.size(), 16, hex);
  io::write_file_atomically(path, std::string_view(bytes));
}

TEST_CASE("checkpoints are sealed, and their datasets carry checksums: changes are refused",
          "[io]") {
  const TempDir dir;
  const grid::Grid g = test_grid();
  const grid::FieldSet fields = test_fields(g, 0);
  const fs::path path = dir / "c.h5";
  io::write_checkpoint(path, fields,
                       {.scalars = {{"t", 1.0}},
                        .float64_arrays = {{"history", {1.0, 2.0}}},
                        .uint64_arrays = {{"fingerprint", {42}}}});
  {
    const h5::File file = h5::File::open(path);  // HDF5 finds the superblock after the seal
    CHECK(file.read_string_attribute("microheal_version").size() > 0);
    CHECK(file.open_group("species").open_dataset("B").has_attribute("fnv1a64"));
  }
  // One value changed behind HDF5's back in each dataset, one dataset at a time: the seal of the
  // file fails; sealed again (a forger), the dataset's own checksum fails, naming it.
  const auto change = [&](const std::string& dataset, const fs::path& damaged) {
    fs::copy_file(path, damaged, fs::copy_options::overwrite_existing);
    const h5::File file = h5::File::open(damaged, h5::Access::read_write);
    const h5::Dataset d = file.open_dataset(dataset);
    if (d.type().element_type() == h5::ElementType::uint64) {
      d.write<std::uint64_t>(std::vector<std::uint64_t>{43});
    } else {
      std::vector<double> values = d.read<double>();
      values.back() = std::nextafter(values.back(), 1e300);
      d.write<double>(values);
    }
  };
  for (const std::string dataset : {"species/A", "species/C", "scalars/t", "float64_arrays/history",
                                    "uint64_arrays/fingerprint"}) {
    const fs::path damaged = dir / "damaged.h5";
    change(dataset, damaged);
    grid::FieldSet target(g, {"A", "B", "C"});
    CHECK_THROWS_WITH(io::read_checkpoint(damaged, target),
                      Catch::Contains("damaged.h5") && Catch::Contains("fails its checksum") &&
                          !Catch::Contains("/" + dataset));
    reseal(damaged);
    CHECK_THROWS_WITH(io::read_checkpoint(damaged, target),
                      Catch::Contains("damaged.h5") && Catch::Contains("/" + dataset) &&
                          Catch::Contains("fails its checksum"));
  }
  // A truncated file never reaches HDF5.
  const std::string whole = read_text(path);
  io::write_file_atomically(dir / "cut.h5", std::string_view(whole).substr(0, whole.size() - 1));
  grid::FieldSet target(g, {"A", "B", "C"});
  CHECK_THROWS_WITH(io::read_checkpoint(dir / "cut.h5", target),
                    Catch::Contains("cut.h5") && Catch::Contains("fails its checksum"));
  CHECK(io::read_checkpoint(path, target).uint64_arrays.at("fingerprint") == U64{42});
}

TEST_CASE("the previous generation of a file is kept whole while the next one is written", "[io]") {
  const TempDir dir;
  const fs::path file = dir / "checkpoint.h5";
  const fs::path previous = dir / "checkpoint.prev.h5";
  io::keep_previous_generation(file, previous);  // nothing to keep yet
  CHECK(entries(dir.path()).empty());
  io::write_file_atomically(file, std::string_view("first"));
  io::keep_previous_generation(file, previous);
  io::write_file_atomically(file, std::string_view("second"));
  CHECK(read_text(previous) == "first");
  CHECK(read_text(file) == "second");
  io::keep_previous_generation(file, previous);
  CHECK(read_text(previous) == "second");
  CHECK(entries(dir.path()) == std::vector<std::string>{"checkpoint.h5", "checkpoint.prev.h5"});
}

TEST_CASE("a lock file is held by one owner at a time and says who", "[io]") {
  const TempDir dir;
  const fs::path path = dir / ".lock";
  CHECK_FALSE(io::FileLock::is_held(path));
  CHECK(entries(dir.path()).empty());  // looking changes nothing
  {
    const std::optional<io::FileLock> first = io::FileLock::try_acquire(path, "run 1");
    REQUIRE(first.has_value());
    CHECK(io::FileLock::is_held(path));
    CHECK(io::FileLock::owner_of(path) == "run 1");
    // flock conflicts between open files, so a second acquisition in this process is refused as
    // one in another process would be.
    CHECK_FALSE(io::FileLock::try_acquire(path, "run 2").has_value());
    CHECK(io::FileLock::owner_of(path) == "run 1");
  }
  CHECK_FALSE(io::FileLock::is_held(path));  // released with its owner
  {
    const std::optional<io::FileLock> again = io::FileLock::try_acquire(path, "");
    REQUIRE(again.has_value());
    CHECK(io::FileLock::owner_of(path) == "run 1");  // an empty owner leaves the file as it was
    again->remove_file();
  }
  CHECK(entries(dir.path()).empty());
  CHECK_THROWS_WITH(io::FileLock::try_acquire(dir / "missing" / ".lock", "x"),
                    Catch::Contains("missing/.lock"));
}

// ---------------------------------------------------------------------------------------------
// Field snapshots

TEST_CASE("snapshot is VTKHDF 1.0 ImageData with species at cell centres", "[io]") {
  const TempDir dir;
  const grid::Grid g = test_grid();
  const grid::FieldSet fields = test_fields(g, 2);
  const auto precision = GENERATE(io::Precision::float64, io::Precision::float32);
  const int gzip = GENERATE(0, 5);
  const fs::path path = dir / "f.hdf";
  io::write_field_snapshot(path, fields,
                           {.precision = precision, .species = {"C", "A"}, .gzip_level = gzip});
  CHECK(entries(dir.path()) == std::vector<std::string>{"f.hdf"});

  const h5::File file = h5::File::open(path);
  CHECK(file.child_names() == std::vector<std::string>{"VTKHDF"});
  const h5::Group vtkhdf = file.open_group("VTKHDF");
  CHECK(vtkhdf.child_names() == std::vector<std::string>{"PointData"});  // no CellData/FieldData
  CHECK(vtkhdf.attribute_names() == std::vector<std::string>{"Direction", "Origin", "Spacing",
                                                             "Type", "Version", "WholeExtent"});
  CHECK(vtkhdf.read_attribute<std::int64_t>("Version") == std::vector<std::int64_t>{1, 0});
  CHECK(vtkhdf.open_attribute("Version").type().element_type() == h5::ElementType::int64);
  CHECK(vtkhdf.read_attribute<std::int64_t>("WholeExtent") ==
        std::vector<std::int64_t>{0, 5, 0, 4, 0, 3});
  CHECK(vtkhdf.read_attribute<double>("Origin") == std::vector<double>{1.25, 2.125, 3.5});
  CHECK(vtkhdf.read_attribute<double>("Spacing") == std::vector<double>{0.5, 0.25, 1.0});
  CHECK(vtkhdf.read_attribute<double>("Direction") ==
        std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  const h5::Attribute type = vtkhdf.open_attribute("Type");
  CHECK(type.read_string() == "ImageData");
  CHECK(type.space().is_scalar());
  CHECK(type.type().size_bytes() == 9);
  CHECK_FALSE(type.type().is_variable_string());
  CHECK(type.type().is_ascii());
  CHECK(type.type().string_pad() == h5::StringPad::null_padded);

  const h5::Group point_data = vtkhdf.open_group("PointData");
  std::vector<std::string> names = point_data.child_names();
  CHECK(names == std::vector<std::string>{"A", "C"});
  for (const auto& name : names) {
    const h5::Dataset dataset = point_data.open_dataset(name);
    CHECK(dataset.dims() == U64{4, 5, 6});  // [nz, ny, nx]
    CHECK(dataset.type().element_type() == (precision == io::Precision::float64
                                                ? h5::ElementType::float64
                                                : h5::ElementType::float32));
    CHECK(dataset.is_gzip_compressed() == (gzip > 0));
    CHECK(dataset.chunk_dims() == (gzip > 0 ? U64{1, 5, 6} : U64{}));
  }
  const std::size_t n = static_cast<std::size_t>(g.index(3, 2, 1));  // i + 1000 j + 1e6 k + 2e8
  if (precision == io::Precision::float64) {
    const auto a = point_data.read_dataset<double>("A");
    CHECK(a[n] == 201002003.0);
    CHECK(bitwise_equal(a, fields[0]));
    CHECK(bitwise_equal(point_data.read_dataset<double>("C"), fields[2]));
  } else {
    const auto c = point_data.read_dataset<float>("C");
    REQUIRE(c.size() == fields[2].size());
    for (std::size_t v = 0; v < c.size(); ++v) {
      REQUIRE(c[v] == static_cast<float>(fields[2][v]));
    }
    CHECK(static_cast<double>(c[n]) != fields[2][n]);  // really narrowed
    CHECK(point_data.read_dataset<float>("A")[n] == static_cast<float>(201002003.0));
  }
}

TEST_CASE("snapshot rejects unknown or unstorable species and failed writes keep the old file",
          "[io]") {
  const TempDir dir;
  const grid::FieldSet fields = test_fields(test_grid(), 0);
  const fs::path path = dir / "f.hdf";
  io::write_field_snapshot(path, fields, {});
  const std::string before = read_text(path);
  CHECK_THROWS_WITH(io::write_field_snapshot(path, fields, {.species = {"nope"}}),
                    Catch::Contains("nope"));
  CHECK_THROWS_AS(io::write_field_snapshot(path, fields, {.species = {"A", "A"}}),
                  core::InputError);
  CHECK_THROWS_AS(io::write_field_snapshot(path, fields, {.gzip_level = 10}), core::InputError);
  const grid::FieldSet slashed(test_grid(), {"a/b"});
  CHECK_THROWS_AS(io::write_field_snapshot(path, slashed, {}), core::InputError);
  const grid::FieldSet coloned(test_grid(), {"a:b"});
  CHECK_THROWS_AS(io::write_field_snapshot(path, coloned, {}), core::InputError);
  CHECK_THROWS_WITH(io::write_field_snapshot(dir / "nowhere" / "f.hdf", fields, {}),
                    Catch::Contains("nowhere/f.hdf"));
  CHECK(read_text(path) == before);
  CHECK(entries(dir.path()) == std::vector<std::string>{"f.hdf"});
}

// ---------------------------------------------------------------------------------------------
// Series

namespace {

// Minimal independent parse of the .series JSON: (name, time) pairs in file order.
std::vector<std::pair<std::string, double>> parse_series(const std::string& json) {
  const std::regex entry(
      R"re(\{\s*"name"\s*:\s*"([^"]*)"\s*,\s*"time"\s*:\s*([-+0-9.eE]+)\s*\})re");
  std::vector<std::pair<std::string, double>> out;
  for (auto it = std::sregex_iterator(json.begin(), json.end(), entry);
       it != std::sregex_iterator(); ++it) {
    out.emplace_back((*it)[1].str(), std::stod((*it)[2].str()));
  }
  return out;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("series writer writes snapshots, .hdf.series and XDMF", "[io]") {
  const TempDir dir;
  const grid::Grid g = test_grid();
  const auto precision = GENERATE(io::Precision::float64, io::Precision::float32);
  io::FieldSeriesWriter writer(dir / "run", {.precision = precision, .species = {"A", "C"}});
  const std::array<double, 3> times{0.0, 0.5, 1.25};
  for (int step = 0; step < 3; ++step) {
    const io::SeriesStep& written = writer.write(test_fields(g, step), times[step]);
    CHECK(written.time == times[step]);
  }
  CHECK(entries(dir / "run") ==
        std::vector<std::string>{"fields", "fields.hdf.series", "fields.xmf"});
  CHECK(entries(dir / "run" / "fields") ==
        std::vector<std::string>{"f_000000.hdf", "f_000001.hdf", "f_000002.hdf"});

  const std::string json = read_text(writer.series_path());
  CHECK(json.find(R"("file-series-version": "1.0")") != std::string::npos);
  const auto series = parse_series(json);
  REQUIRE(series.size() == 3);
  CHECK(series[0] == std::pair<std::string, double>{"fields/f_000000.hdf", 0.0});
  CHECK(series[1] == std::pair<std::string, double>{"fields/f_000001.hdf", 0.5});
  CHECK(series[2] == std::pair<std::string, double>{"fields/f_000002.hdf", 1.25});
  CHECK(io::read_field_series(writer.series_path()) == writer.steps());

  const std::string xml = read_text(writer.xdmf_path());
  CHECK(count(xml, R"(GridType="Uniform")") == 3);
  CHECK(count(xml, R"(CollectionType="Temporal")") == 1);
  CHECK(xml.find(R"(<Time Value="1.25"/>)") != std::string::npos);
  // Point counts z y x, true voxel origin z y x, spacing z y x.
  CHECK(count(xml, R"(TopologyType="3DCoRectMesh" Dimensions="5 6 7")") == 3);
  CHECK(count(xml, R"(Format="XML">3 2 1</DataItem>)") == 3);
  CHECK(count(xml, R"(Format="XML">1 0.25 0.5</DataItem>)") == 3);
  CHECK(count(xml, R"(Center="Cell")") == 6);
  const std::string bytes = precision == io::Precision::float64 ? "8" : "4";
  CHECK(count(xml, R"(<DataItem Dimensions="4 5 6" NumberType="Float" Precision=")" + bytes +
                       R"(" Format="HDF">)") == 6);
  CHECK(xml.find(R"(Format="HDF">fields/f_000001.hdf:/VTKHDF/PointData/C</DataItem>)") !=
        std::string::npos);
  CHECK(xml.find("PointData/B") == std::string::npos);
  // The referenced dataset exists with that shape.
  CHECK(h5::File::open(dir / "run" / "fields" / "f_000001.hdf")
            .open_dataset("VTKHDF/PointData/C")
            .dims() == U64{4, 5, 6});

  CHECK_THROWS_AS(writer.write(test_fields(g, 3), std::nan("")), core::RunError);
  CHECK(writer.steps().size() == 3);
}

TEST_CASE("series writer on a 2D grid (ny = 1) writes the right dimensions", "[io]") {
  // A single voxel along an axis is written as two half-voxel layers with the same value (VTK
  // 9.1 and ParaView 5.11 abort on an image with one point along y or z).
  const TempDir dir;
  const grid::Grid g({7, 1, 3}, {0.5, 2.0, 0.25}, {-1.0, 0.0, 5.0});
  grid::FieldSet fields(g, {"u"});
  for (std::size_t v = 0; v < fields[0].size(); ++v) {
    fields[0][v] = static_cast<double>(v);
  }
  const io::SnapshotLayout layout = io::snapshot_layout(g);
  CHECK(layout.layers == std::array<Index, 3>{7, 2, 3});
  CHECK(layout.spacing_mm == std::array<double, 3>{0.5, 1.0, 0.25});
  CHECK(layout.first_centre_mm == std::array<double, 3>{-0.75, 0.5, 5.125});

  io::FieldSeriesWriter writer(dir.path(), {});
  writer.write(fields, 0.0);
  writer.write(fields, 24.0);
  const h5::File file = h5::File::open(dir / "fields" / "f_000001.hdf");
  const h5::Group vtkhdf = file.open_group("VTKHDF");
  CHECK(vtkhdf.read_attribute<std::int64_t>("WholeExtent") ==
        std::vector<std::int64_t>{0, 6, 0, 1, 0, 2});
  CHECK(vtkhdf.read_attribute<double>("Origin") == std::vector<double>{-0.75, 0.5, 5.125});
  CHECK(vtkhdf.read_attribute<double>("Spacing") == std::vector<double>{0.5, 1.0, 0.25});
  const h5::Dataset u = vtkhdf.open_dataset("PointData/u");
  CHECK(u.dims() == U64{3, 2, 7});
  const std::vector<double> values = u.read<double>();
  for (std::size_t k = 0; k < 3; ++k) {
    for (std::size_t j = 0; j < 2; ++j) {
      for (std::size_t i = 0; i < 7; ++i) {
        REQUIRE(values[(k * 2 + j) * 7 + i] == static_cast<double>(i + 7 * k));
      }
    }
  }
  const std::string xml = read_text(writer.xdmf_path());
  CHECK(count(xml, R"(TopologyType="3DCoRectMesh" Dimensions="4 3 8")") == 2);
  CHECK(count(xml, R"(<DataItem Dimensions="3 2 7")") == 2);
  CHECK(count(xml, R"(>5 0 -1</DataItem>)") == 2);  // true voxel origin
  CHECK(count(xml, R"(>0.25 1 0.5</DataItem>)") == 2);
  CHECK(xml.find(R"(<Time Value="24"/>)") != std::string::npos);
}

TEST_CASE("snapshot of an x-y plane (nz = 1) and of a line", "[io]") {
  const TempDir dir;
  const grid::Grid plane({4, 3, 1}, {1.0, 1.0, 0.5}, {0.0, 0.0, -2.0});
  grid::FieldSet fields(plane, {"c"});
  for (std::size_t v = 0; v < fields[0].size(); ++v) {
    fields[0][v] = 0.1 * static_cast<double>(v);
  }
  io::write_field_snapshot(dir / "p.hdf", fields, {.precision = io::Precision::float32});
  const h5::File file = h5::File::open(dir / "p.hdf");
  const h5::Group vtkhdf = file.open_group("VTKHDF");
  CHECK(vtkhdf.read_attribute<std::int64_t>("WholeExtent") ==
        std::vector<std::int64_t>{0, 3, 0, 2, 0, 1});
  CHECK(vtkhdf.read_attribute<double>("Origin") == std::vector<double>{0.5, 0.5, -1.875});
  const auto c = vtkhdf.read_dataset<float>("PointData/c");
  REQUIRE(c.size() == 24);
  CHECK(c[plane.index(3, 2, 0)] == static_cast<float>(fields[0][11]));
  CHECK(c[12 + plane.index(3, 2, 0)] == static_cast<float>(fields[0][11]));  // second layer

  const io::SnapshotLayout line = io::snapshot_layout(grid::Grid::uniform({1, 1, 9}, 0.2));
  CHECK(line.layers == std::array<Index, 3>{2, 2, 9});
}

TEST_CASE("series writer resumes a series and replaces steps after the restart time", "[io]") {
  const TempDir dir;
  const grid::Grid g = test_grid();
  const io::SnapshotOptions options{.precision = io::Precision::float32, .species = {"A"}};
  {
    io::FieldSeriesWriter writer(dir.path(), options);
    writer.write(test_fields(g, 0), 0.0);
    writer.write(test_fields(g, 1), 1.0);
    writer.write(test_fields(g, 2), 2.0);
  }
  SECTION("resume appends") {
    io::FieldSeriesWriter writer = io::FieldSeriesWriter::resume(dir.path(), options);
    REQUIRE(writer.steps().size() == 3);
    CHECK(writer.write(test_fields(g, 3), 3.0).file == "fields/f_000003.hdf");
    const auto series = parse_series(read_text(writer.series_path()));
    REQUIRE(series.size() == 4);
    CHECK(series[3] == std::pair<std::string, double>{"fields/f_000003.hdf", 3.0});
    CHECK(count(read_text(writer.xdmf_path()), "<Time ") == 4);
  }
  SECTION("a restart from an earlier time drops the later steps") {
    io::FieldSeriesWriter writer = io::FieldSeriesWriter::resume(dir.path(), options);
    CHECK(writer.write(test_fields(g, 7), 1.0).file == "fields/f_000001.hdf");
    const auto series = parse_series(read_text(writer.series_path()));
    REQUIRE(series.size() == 2);
    CHECK(series[1] == std::pair<std::string, double>{"fields/f_000001.hdf", 1.0});
    const auto a =
        h5::File::open(dir / "fields" / "f_000001.hdf").read_dataset<float>("VTKHDF/PointData/A");
    CHECK(a[0] == static_cast<float>(7e8));
    CHECK(count(read_text(writer.xdmf_path()), "<Time ") == 2);
  }
  SECTION("steps given by the caller") {
    io::FieldSeriesWriter writer(dir.path(), options, {{"fields/f_000000.hdf", 0.0}});
    CHECK(writer.write(test_fields(g, 1), 0.5).file == "fields/f_000001.hdf");
    CHECK(parse_series(read_text(writer.series_path())).size() == 2);
  }
  SECTION("a different grid, species or precision is refused") {
    io::FieldSeriesWriter species =
        io::FieldSeriesWriter::resume(dir.path(), {.species = {"A", "B"}});
    CHECK_THROWS_WITH(species.write(test_fields(g, 3), 3.0),
                      Catch::Contains("f_000002.hdf") && Catch::Contains("species"));
    io::FieldSeriesWriter wide = io::FieldSeriesWriter::resume(
        dir.path(), {.precision = io::Precision::float64, .species = {"A"}});
    CHECK_THROWS_WITH(wide.write(test_fields(g, 3), 3.0), Catch::Contains("precision"));
    io::FieldSeriesWriter moved = io::FieldSeriesWriter::resume(dir.path(), options);
    const grid::Grid shifted({6, 5, 4}, {0.5, 0.25, 1.0}, {1.0, 2.0, 3.5});
    CHECK_THROWS_WITH(moved.write(test_fields(shifted, 3), 3.0), Catch::Contains("grid"));
    // Nothing was written by the refused attempts.
    CHECK(parse_series(read_text(dir / "fields.hdf.series")).size() == 3);
    CHECK_FALSE(fs::exists(dir / "fields" / "f_000003.hdf"));
  }
  SECTION("no series yet starts a new one") {
    io::FieldSeriesWriter writer = io::FieldSeriesWriter::resume(dir / "fresh", options);
    CHECK(writer.steps().empty());
    CHECK(writer.write(test_fields(g, 0), 0.0).file == "fields/f_000000.hdf");
  }
}

TEST_CASE("reading a malformed .hdf.series is an InputError naming the file", "[io]") {
  const TempDir dir;
  const fs::path path = dir / "fields.hdf.series";
  const auto rejects = [&](std::string_view text, const std::string& what) {
    io::write_file_atomically(path, text);
    CHECK_THROWS_WITH(io::read_field_series(path),
                      Catch::Contains("fields.hdf.series") && Catch::Contains(what));
  };
  rejects(R"({"file-series-version": "2.0", "files": []})", "file-series-version");
  rejects(R"({"file-series-version": "1.0", "files": [{"name": "fields/f_000000.hdf"}]})",
          "\"time\"");
  rejects(R"({"file-series-version": "1.0", "files": [)", "not valid JSON");
  rejects(R"({"file-series-version": "1.0", "files": [{"name": "x.hdf", "time": 0}]})", "x.hdf");
  rejects(R"({"file-series-version": "1.0", "files": [{"name": "fields/f_000000.hdf", "time": 1},
          {"name": "fields/f_000001.hdf", "time": 1}]})",
          "increasing");
  rejects(R"({"files": []})", "missing");
  CHECK_THROWS_WITH(io::read_field_series(dir / "absent.series"), Catch::Contains("absent.series"));

  // Unknown keys, escapes and exponents are accepted.
  io::write_file_atomically(path, std::string_view(R"({"x": [1, {"y": null}], "file-series-version":
      "1.0", "files": [{"time": 1e-3, "name": "fields\/f_000009.hdf", "extra": true}]})"));
  CHECK(io::read_field_series(path) == std::vector<io::SeriesStep>{{"fields/f_000009.hdf", 1e-3}});
}

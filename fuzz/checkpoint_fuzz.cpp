// libFuzzer target: a checkpoint file -> io::read_checkpoint_header() and io::read_checkpoint(),
// through the public API only (the input is written to a temporary file, as a restart finds it).
// The fields are built from the header the file claims, as a tool inspecting a checkpoint would,
// so that the reading of every dataset is reached; a grid too large to allocate here is skipped.
//
// Findings: crashes, sanitizer reports, hangs and exceptions other than core::InputError (which
// checkpoint.hpp promises for a missing, corrupt or mismatching file).

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "microheal/core/error.hpp"
#include "microheal/grid/field_set.hpp"
#include "microheal/grid/grid.hpp"
#include "microheal/io/checkpoint.hpp"

namespace {

namespace io = microheal::io;
namespace grid = microheal::grid;
using microheal::core::InputError;

/// Values the fields of one input may hold (8 MB), so that a header claiming a huge grid does not
/// make the target itself run out of memory.
constexpr std::int64_t max_values = std::int64_t{1} << 20;

/// A file of this process in the temporary directory, removed at exit.
class ScratchFile {
 public:
  ScratchFile()
      : _path(std::filesystem::temp_directory_path() /
              ("microheal-fuzz-checkpoint-" + std::to_string(std::random_device{}()) + ".h5")) {}
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove(_path, ignored);
  }
  const std::filesystem::path& path() const { return _path; }

 private:
  std::filesystem::path _path;
};

/// Whether fields on the header's grid stay within max_values (extents checked one by one, so the
/// product cannot overflow).
bool small_enough(const io::CheckpointHeader& header) {
  std::int64_t values = static_cast<std::int64_t>(header.species.size());
  for (const std::int64_t n : header.extent) {
    if (n < 1 || n > max_values || values > max_values)
      return false;
    values *= n;
  }
  return values <= max_values;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ScratchFile file;
  {
    std::ofstream out(file.path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    const io::CheckpointHeader header = io::read_checkpoint_header(file.path());
    if (!small_enough(header))
      return 0;
    // Grid and FieldSet throw InputError for what they cannot hold (zero spacing, no species).
    grid::FieldSet fields(grid::Grid(header.extent, header.spacing_mm, header.origin_mm),
                          header.species);
    (void)io::read_checkpoint(file.path(), fields);
  } catch (const InputError&) {
    // A corrupt or unusable checkpoint, reported as the API promises.
  }
  return 0;
}

#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "microheal/core/types.hpp"
#include "microheal/grid/field_set.hpp"

/// @file
/// @brief Checkpoints: the full simulation state in one HDF5 file, bit for bit, so that a
/// restarted run continues exactly where the old one stopped.
///
/// The file is sealed: its first 512 bytes (HDF5's user block, which HDF5 skips) hold the text
/// "microheal-checkpoint sealed fnv1a64 <16 hex digits>\n", the FNV-1a of every byte after them.
/// Reading checks the seal before HDF5 parses anything (HDF5 1.10 can crash on damaged metadata),
/// then opens exactly the verified bytes in memory.
///
/// Layout of the HDF5 file after the seal (format "microheal-checkpoint", version 2):
/// - root attributes `format` (string), `format_version` (int64), `microheal_version` and
///   `git_hash` (strings: the build that wrote it)
/// - /grid attributes `extent` int64[3] (x y z), `spacing_mm` float64[3], `origin_mm` float64[3]
/// - /species/<name>: float64 [nz, ny, nx], in the FieldSet's order (creation order is tracked)
/// - /scalars/<name>: float64 scalar; /float64_arrays/<name>: float64[n];
///   /uint64_arrays/<name>: uint64[n]
/// - every dataset has the attribute `fnv1a64` (uint64): core::fnv1a64 of its values' bytes as
///   held in memory (little-endian IEEE doubles, uint64). Reading verifies it, so a file whose
///   values were damaged after writing is refused, not resumed from.

namespace microheal::io {

/// @brief Everything besides the fields that a restart needs; the caller packs it (time, step
/// size, controller state, counters, RNG state). Names must be non-empty and contain no '/'.
struct CheckpointState {
  std::map<std::string, double, std::less<>> scalars{};
  std::map<std::string, std::vector<double>, std::less<>> float64_arrays{};
  std::map<std::string, std::vector<std::uint64_t>, std::less<>> uint64_arrays{};
  friend bool operator==(const CheckpointState&, const CheckpointState&) = default;
};

/// @brief What a checkpoint holds, without its data (for messages and tools).
struct CheckpointHeader {
  std::array<Index, 3> extent{};
  std::array<double, 3> spacing_mm{};
  std::array<double, 3> origin_mm{};
  std::vector<std::string> species;
};

/// @brief Write @p fields and @p state to @p path atomically (temporary file, fsync, rename): an
/// existing checkpoint is replaced only by a complete new one.
/// @pre state names are non-empty without '/' (throws core::RunError otherwise); the directory of
///      @p path exists and is writable (core::RunError naming the path otherwise)
void write_checkpoint(const std::filesystem::path& path, const grid::FieldSet& fields,
                      const CheckpointState& state);

/// @brief Read the checkpoint at @p path into @p fields and return the rest of the state.
/// @param[in] path checkpoint file
/// @param[in,out] fields built by the caller with the grid and species it expects; on success
///                every species holds the stored values bit for bit
/// @pre the file exists, is a microheal checkpoint, and its grid (extent, spacing and origin,
///      compared exactly) and species names (in order) equal those of @p fields; otherwise
///      throws core::InputError saying what differs or what is wrong with the file, and leaves
///      @p fields unspecified. Also core::InputError when the file fails its seal (damaged,
///      truncated, not sealed), a dataset fails its checksum, or the file has another format
///      version (the message names the dataset, or both versions).
CheckpointState read_checkpoint(const std::filesystem::path& path, grid::FieldSet& fields);

/// @brief Read only the grid and species list of the checkpoint at @p path.
/// @pre as for read_checkpoint (core::InputError for a missing or corrupt file)
CheckpointHeader read_checkpoint_header(const std::filesystem::path& path);

}  // namespace microheal::io

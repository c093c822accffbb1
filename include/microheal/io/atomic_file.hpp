#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>

/// @file
/// @brief Atomic file replacement: write a temporary file in the target's directory, fsync it,
/// rename it over the target, fsync the directory. A reader (ParaView polling a series, a restart
/// reading a checkpoint) sees either the old complete file or the new complete file, never half of
/// one, and a crash never truncates existing output.

namespace microheal::io {

/// @brief A temporary file next to @p target that becomes @p target on commit().
///
/// The constructor creates the temporary (hidden, "." + name + ".tmp-XXXXXXXX", mode 0666 less
/// the umask) exclusively; the destructor removes it unless commit() succeeded. All failures are
/// core::RunError naming the target path.
class PendingFile {
 public:
  /// @param[in] target the file to create or replace; its directory must exist
  explicit PendingFile(std::filesystem::path target);
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  PendingFile(PendingFile&&) = delete;
  PendingFile& operator=(PendingFile&&) = delete;
  ~PendingFile();

  /// @brief Where to write the contents (an empty file exists there).
  const std::filesystem::path& temp_path() const { return _temp; }
  const std::filesystem::path& target() const { return _target; }

  /// @brief fsync the temporary, rename it onto the target, fsync the directory.
  /// @pre whoever wrote temp_path() has closed it
  void commit();

 private:
  std::filesystem::path _target;
  std::filesystem::path _temp;
  bool _committed = false;
};

/// @brief Replace @p path atomically with @p contents.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

/// @brief Replace @p path atomically with @p contents.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> contents);

/// @brief Make @p previous an exact copy of @p file, atomically: a hard link where the file system
/// has them (no data is copied), else a copy. Keeps the last good generation of a file that is
/// about to be replaced. Nothing happens when @p file does not exist.
/// @throws core::RunError naming @p previous when neither works
void keep_previous_generation(const std::filesystem::path& file,
                              const std::filesystem::path& previous);

/// @brief Replace @p path atomically with whatever @p produce writes to the temporary path it is
/// given (for files written by a library, such as HDF5). If @p produce throws, the temporary is
/// removed, @p path is untouched and the exception propagates.
/// @pre @p produce has closed the file when it returns
void produce_file_atomically(const std::filesystem::path& path,
                             const std::function<void(const std::filesystem::path&)>& produce);

}  // namespace microheal::io

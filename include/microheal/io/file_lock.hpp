#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

/// @file
/// @brief An exclusive advisory lock (flock) on a lock file, so that two processes never work in
/// one directory at once. The kernel drops the lock when its process dies, however it dies, so a
/// crashed or killed run never leaves a stale lock: the next `--resume` simply takes it.

namespace microheal::io {

class FileLock {
 public:
  /// @brief Take the lock on @p path without waiting; the file is created when missing and then
  /// holds @p owner (one line: who holds it, for the message of whoever is refused; empty: the
  /// file is left as it is, so that taking a lock to look changes nothing on disk).
  /// @return the held lock, or nothing when another process holds it
  /// @throws core::RunError naming @p path when the file cannot be created or locked
  static std::optional<FileLock> try_acquire(const std::filesystem::path& path,
                                             std::string_view owner);
  /// @brief True when another process holds the lock on @p path now; changes nothing on disk (a
  /// missing file is not held).
  static bool is_held(const std::filesystem::path& path);
  /// @brief What the holder wrote into the lock file at @p path (empty when unreadable).
  static std::string owner_of(const std::filesystem::path& path);

  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  /// @brief Releases the lock; the file stays (removing it would let a process that opened it
  /// just before lock a file no one else sees). remove_file() removes it while still held.
  ~FileLock();

  /// @brief Remove the lock file while the lock is still held (for a process that created it
  /// and leaves nothing behind, e.g. after bad input); the lock itself ends with the object.
  void remove_file() const;

  const std::filesystem::path& path() const { return _path; }

 private:
  FileLock(std::filesystem::path path, int fd) : _path(std::move(path)), _fd(fd) {}
  std::filesystem::path _path;
  int _fd = -1;
};

}  // namespace microheal::io

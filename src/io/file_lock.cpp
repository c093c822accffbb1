#include "microheal/io/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <system_error>
#include <utility>

#include "microheal/core/error.hpp"

namespace microheal::io {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view what, int error) {
  throw core::RunError("lock file '" + path.string() + "': " + std::string(what) + ": " +
                       std::generic_category().message(error));
}

}  // namespace

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& path,
                                              std::string_view owner) {
  // A holder may remove the file while we open it (remove_file): then the lock we get is on a
  // file no one else sees, so check that the path still names our file, and try again if not.
  constexpr int attempts = 8;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
      fail(path, "cannot open", errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK)
        return std::nullopt;
      fail(path, "cannot lock", error);
    }
    struct stat held {};
    struct stat named {};
    if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &named) != 0 ||
        held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
      ::close(fd);
      continue;
    }
    FileLock lock(path, fd);
    // Who holds it, for the message of a process that is refused; best effort.
    const std::string line = std::string(owner) + "\n";
    if (!owner.empty() && ::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] const ssize_t written = ::pwrite(fd, line.data(), line.size(), 0);
    }
    return lock;
  }
  fail(path, "removed and recreated while locking, repeatedly", EAGAIN);
}

bool FileLock::is_held(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  // A shared lock conflicts only with an exclusive one; released again at once by the close.
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

std::string FileLock::owner_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

FileLock::FileLock(FileLock&& other) noexcept
    : _path(std::move(other._path)), _fd(std::exchange(other._fd, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (_fd >= 0)
      ::close(_fd);
    _path = std::move(other._path);
    _fd = std::exchange(other._fd, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (_fd >= 0)
    ::close(_fd);  // closing drops the lock
}

void FileLock::remove_file() const {
  std::error_code ignored;
  std::filesystem::remove(_path, ignored);
}

}  // namespace microheal::io

#include "microheal/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <string>
#include <system_error>
#include <utility>

#include "microheal/core/error.hpp"

namespace microheal::io {

namespace {

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

[[noreturn]] void fail(const std::filesystem::path& target, std::string_view what, int error) {
  throw core::RunError("cannot write '" + target.string() + "': " + std::string(what) + ": " +
                       errno_text(error));
}

// Owns a POSIX file descriptor.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : _fd(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (_fd >= 0) {
      ::close(_fd);
    }
  }
  int get() const { return _fd; }
  bool valid() const { return _fd >= 0; }
  /// Close now; returns errno on failure (a failed close can mean lost data on NFS).
  int close() {
    const int fd = std::exchange(_fd, -1);
    return fd >= 0 && ::close(fd) != 0 ? errno : 0;
  }

 private:
  int _fd;
};

std::filesystem::path directory_of(const std::filesystem::path& target) {
  const std::filesystem::path parent = target.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

void fsync_path(const std::filesystem::path& path, int flags, const std::filesystem::path& target,
                std::string_view what) {
  FileDescriptor fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd.valid()) {
    fail(target, what, errno);
  }
  // EINVAL: the file system does not support fsync on this kind of file (some do not for
  // directories); there is nothing more we can do then.
  if (::fsync(fd.get()) != 0 && errno != EINVAL) {
    fail(target, what, errno);
  }
}

}  // namespace

PendingFile::PendingFile(std::filesystem::path target) : _target(std::move(target)) {
  if (_target.filename().empty()) {
    throw core::RunError("cannot write '" + _target.string() + "': not a file name");
  }
  std::random_device entropy;
  std::uniform_int_distribution<unsigned> hex_digit(0, 15);
  constexpr int attempts = 16;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    // Appended piece by piece: g++ 12 reports a false -Wrestrict for "." + string + ...
    std::string name = ".";
    name += _target.filename().string();
    name += ".tmp-";
    for (int digit = 0; digit < 8; ++digit) {
      name += "0123456789abcdef"[hex_digit(entropy)];
    }
    const std::filesystem::path temp = directory_of(_target) / name;
    // O_EXCL: never reuse (and later delete) a file that someone else created.
    FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (fd.valid()) {
      _temp = temp;
      if (const int error = fd.close(); error != 0) {
        fail(_target, "cannot close temporary file", error);
      }
      return;
    }
    if (errno != EEXIST) {
      fail(_target, "cannot create a temporary file in '" + directory_of(_target).string() + "'",
           errno);
    }
  }
  throw core::RunError("cannot write '" + _target.string() +
                       "': no free temporary file name after 16 attempts");
}

PendingFile::~PendingFile() {
  if (!_committed && !_temp.empty()) {
    std::error_code ignored;
    std::filesystem::remove(_temp, ignored);
  }
}

void PendingFile::commit() {
  fsync_path(_temp, O_RDONLY, _target, "cannot sync temporary file");
  if (std::rename(_temp.c_str(), _target.c_str()) != 0) {
    fail(_target, "cannot rename '" + _temp.filename().string() + "' onto it", errno);
  }
  _committed = true;
  // Make the rename itself durable.
  fsync_path(directory_of(_target), O_RDONLY | O_DIRECTORY, _target, "cannot sync its directory");
}

void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> contents) {
  PendingFile pending(path);
  {
    FileDescriptor fd(::open(pending.temp_path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd.valid()) {
      fail(path, "cannot open temporary file", errno);
    }
    while (!contents.empty()) {
      const ssize_t written = ::write(fd.get(), contents.data(), contents.size());
      if (written < 0) {
        if (errno == EINTR) {
          continue;
        }
        fail(path, "cannot write temporary file", errno);
      }
      contents = contents.subspan(static_cast<std::size_t>(written));
    }
    if (const int error = fd.close(); error != 0) {
      fail(path, "cannot close temporary file", error);
    }
  }
  pending.commit();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  write_file_atomically(path, std::as_bytes(std::span<const char>(contents)));
}

void keep_previous_generation(const std::filesystem::path& file,
                              const std::filesystem::path& previous) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error))
    return;
  produce_file_atomically(previous, [&](const std::filesystem::path& temp) {
    // The temporary exists (empty): a link needs the name free.
    std::filesystem::remove(temp, error);
    if (::link(file.c_str(), temp.c_str()) == 0)
      return;
    if (!std::filesystem::copy_file(file, temp, error)) {
      throw core::RunError("cannot keep '" + file.string() + "' as '" + previous.string() +
                           "': " + error.message());
    }
  });
}

void produce_file_atomically(const std::filesystem::path& path,
                             const std::function<void(const std::filesystem::path&)>& produce) {
  PendingFile pending(path);
  produce(pending.temp_path());
  pending.commit();
}

}  // namespace microheal::io

#pragma once

#include <stdlib.h>  // mkdtemp (POSIX)

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace microheal::testing {

/// @brief A fresh directory under the system's temporary directory, removed with everything in
/// it when the test ends.
class TempDirectory {
 public:
  explicit TempDirectory(std::string_view prefix = "microheal-test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    _path = pattern;
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  TempDirectory(TempDirectory&&) = delete;
  TempDirectory& operator=(TempDirectory&&) = delete;
  ~TempDirectory() {
    std::error_code error;
    std::filesystem::remove_all(_path, error);
  }
  const std::filesystem::path& path() const { return _path; }

 private:
  std::filesystem::path _path;
};

}  // namespace microheal::testing

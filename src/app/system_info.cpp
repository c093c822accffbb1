#include "system_info.hpp"

#include <unistd.h>

#include <array>
#include <ctime>

namespace microheal::app {

std::string host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0)
    return "unknown";
  return name.data();
}

std::string iso_time(double epoch_s) {
  const auto seconds = static_cast<std::time_t>(epoch_s);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  const std::size_t n = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {text.data(), n};
}

std::string utc_now() {
  return iso_time(static_cast<double>(std::time(nullptr)));
}

}  // namespace microheal::app

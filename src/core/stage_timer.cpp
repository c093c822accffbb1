#include "microheal/core/stage_timer.hpp"

#include <algorithm>

namespace microheal::core {

void StageTimer::add(std::string_view name, double seconds) {
  const auto it = std::find_if(_stages.begin(), _stages.end(),
                               [&](const StageTiming& s) { return s.name == name; });
  if (it == _stages.end()) {
    _stages.push_back(StageTiming{std::string(name), seconds, 1});
  } else {
    it->seconds += seconds;
    ++it->calls;
  }
}

double StageTimer::total_seconds() const {
  double total = 0.0;
  for (const auto& s : _stages)
    total += s.seconds;
  return total;
}

}  // namespace microheal::core

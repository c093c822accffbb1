#pragma once

#include <cstddef>
#include <cstdint>

/// @file
/// @brief Basic scalar and index types shared by every module. No logic lives here.

namespace microheal {

/// @brief Signed index for voxels and array positions (signed so that i - 1 at a boundary is safe).
using Index = std::int64_t;

}  // namespace microheal

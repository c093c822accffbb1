# Warnings and sanitizers live in INTERFACE targets that every microheal target links privately
# (the CLI11 pattern); nothing here leaks to consumers.
add_library(microheal_warnings INTERFACE)
target_compile_options(microheal_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                    -Wnon-virtual-dtor -Wconversion -Wno-sign-conversion)
if(MICROHEAL_WARNINGS_AS_ERRORS)
  target_compile_options(microheal_warnings INTERFACE -Werror)
endif()

add_library(microheal_sanitizers INTERFACE)
if(MICROHEAL_SANITIZERS)
  target_compile_options(microheal_sanitizers INTERFACE -fsanitize=address,undefined
                                                        -fno-omit-frame-pointer)
  target_link_options(microheal_sanitizers INTERFACE -fsanitize=address,undefined)
  target_compile_definitions(microheal_sanitizers INTERFACE _GLIBCXX_ASSERTIONS)
endif()
if(MICROHEAL_BUILD_FUZZERS)
  # Coverage feedback for libFuzzer in every library; the fuzz targets link libFuzzer itself. An
  # undefined behaviour report stops the fuzzer (a finding) rather than being printed and passed.
  target_compile_options(microheal_sanitizers INTERFACE -fsanitize=fuzzer-no-link
                                                        -fno-sanitize-recover=undefined)
  target_link_options(microheal_sanitizers INTERFACE -fno-sanitize-recover=undefined)
endif()
if(MICROHEAL_THREAD_SANITIZER)
  if(MICROHEAL_SANITIZERS)
    message(FATAL_ERROR "MICROHEAL_THREAD_SANITIZER and MICROHEAL_SANITIZERS exclude each other")
  endif()
  target_compile_options(microheal_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(microheal_sanitizers INTERFACE -fsanitize=thread)
endif()

# Every microheal library and executable: C++20 without extensions, warnings, sanitizers.
function(microheal_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_link_libraries(${target} PRIVATE microheal_warnings microheal_sanitizers)
endfunction()

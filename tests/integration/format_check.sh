#!/usr/bin/env bash
# Every C++ source and header is clang-formatted with the repository's .clang-format.
set -euo pipefail
root=$1
cd "$root"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find src include tests -name '*.[ch]pp')
[ ${#files[@]} -gt 0 ] || { echo "format check: no sources found" >&2; exit 1; }
bad=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not clang-formatted: $f" >&2
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "format check: ${#files[@]} files clean"
exit "$bad"

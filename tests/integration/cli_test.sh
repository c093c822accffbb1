#!/usr/bin/env bash
# The command line end to end: exit codes (0 ok, 1 failed run, 2 bad input), messages, JSON.
set -uo pipefail
exe=$1
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect CODE PATTERN -- ARGS...: run microheal ARGS, check exit code and that output matches.
expect() {
  local code=$1 pattern=$2
  shift 3
  "$exe" "$@" >"$tmp/out" 2>&1
  local got=$?
  if [ "$got" -ne "$code" ]; then
    echo "FAIL: microheal $* exited $got, expected $code" >&2
    sed 's/^/    /' "$tmp/out" >&2
    failures=$((failures + 1))
  elif ! grep -Eq -- "$pattern" "$tmp/out"; then
    echo "FAIL: microheal $*: output does not match /$pattern/" >&2
    sed 's/^/    /' "$tmp/out" >&2
    failures=$((failures + 1))
  else
    echo "ok: microheal $*"
  fi
}

expect 2 "subcommand" -- 
expect 0 "Usage" -- --help
expect 2 "unknown command .nosuch.; expected one of: .*run" -- nosuch
expect 0 "git hash: +[0-9a-f]{7,}|git hash: +unknown" -- info
expect 0 "OpenMP threads" -- info
expect 0 "--grid" -- bench diffusion --help
expect 2 "grid" -- bench diffusion --grid 2
expect 2 "species" -- bench diffusion --species 0
expect 2 "threads" -- bench diffusion --threads abc
expect 2 "unknown|extra|not expected|The following argument" -- bench diffusion --gird 16
expect 0 "ns_per_voxel_species_step" -- bench diffusion --grid 16 --species 2 --steps 2
expect 0 "\"ns_per_voxel_species_step\"" -- bench diffusion --grid 16 --species 2 --steps 2 --json

# The JSON is one valid object with every documented key and sane values.
"$exe" bench diffusion --grid 16 --species 3 --steps 2 --threads 2 --json >"$tmp/bench.json"
if python3 - "$tmp/bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for key in ("ns_per_voxel_species_step", "bytes_per_voxel_species", "stream_triad_gb_per_s",
            "bandwidth_bound_fraction"):
    assert key in r, key
    assert r[key] > 0, (key, r[key])
assert r["grid"] == 16 and r["species"] == 3 and r["threads"] == 2, r
assert r["bytes_per_voxel_species"] >= 8.0, r
assert r["min_value"] >= 0.0, r
PY
then echo "ok: bench JSON"; else echo "FAIL: bench JSON" >&2; failures=$((failures + 1)); fi

if [ "$failures" -ne 0 ]; then
  echo "$failures command-line check(s) failed" >&2
  exit 1
fi
echo "all command-line checks passed"

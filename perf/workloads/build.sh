#!/usr/bin/env bash
# Builds the compute workloads (fib, sha256, sort, json) to perf/workloads/*.wasm with clang.
# The .wasm files are committed so benchmarks run without clang; rebuild after editing a .c.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
  apt-get install -y -q clang lld
fi
for src in fib sha256 sort json; do
  clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--strip-all -o "$src.wasm" "$src.c"
  echo "built $src.wasm ($(wc -c <"$src.wasm") bytes)"
done

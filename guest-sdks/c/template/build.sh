#!/usr/bin/env bash
# Builds this function to build/{{name}}.wasm with clang, freestanding (kiln.h brings its own
# allocator). Installs clang and lld with apt-get when they are missing.
# To use wasi-libc instead: clang --target=wasm32-wasi -mexec-model=reactor (see kiln.h).
set -euo pipefail
cd "$(dirname "$0")"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing $* with apt-get" >&2
  $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@" ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@"; }
}

if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
  apt_install clang lld
fi
mkdir -p build
# --stack-first puts the stack below the data, so an overflow traps instead of corrupting it.
clang --target=wasm32 -O2 -Wall -Wextra -nostdlib -Wl,--no-entry -Wl,--stack-first \
  -Wl,--strip-all -o build/{{name}}.wasm {{name}}.c
echo "built build/{{name}}.wasm ($(wc -c <build/{{name}}.wasm) bytes)"

#!/usr/bin/env bash
# Builds the C SDK's examples twice: freestanding (kiln.h's own allocator, no libc) to
# build/<name>.wasm, and with wasi-libc to build/libc/<name>.wasm. Installs clang, lld and
# wasi-libc with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing $* with apt-get" >&2
  $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@" ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@"; }
}

has_wasi_libc() {
  echo 'int f(void){return 0;}' | clang --target=wasm32-wasi -mexec-model=reactor -x c - \
    -o /dev/null >/dev/null 2>&1
}

if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
  apt_install clang lld
fi
if ! has_wasi_libc; then
  apt_install wasi-libc libclang-rt-14-dev-wasm32
fi

# --stack-first puts the stack below the data, so an overflow traps instead of corrupting it.
COMMON=(-O2 -Wall -Wextra -Werror -I. -Wl,--stack-first -Wl,--strip-all)
mkdir -p build/libc
for name in hello echo order sha256 config counter webhook; do
  clang --target=wasm32 -nostdlib -Wl,--no-entry "${COMMON[@]}" -o "build/$name.wasm" "examples/$name.c"
  clang --target=wasm32-wasi -mexec-model=reactor "${COMMON[@]}" -o "build/libc/$name.wasm" "examples/$name.c"
  echo "built build/$name.wasm ($(wc -c <"build/$name.wasm") bytes)," \
    "build/libc/$name.wasm ($(wc -c <"build/libc/$name.wasm") bytes)"
done

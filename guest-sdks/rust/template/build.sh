#!/usr/bin/env bash
# Builds this function to target/wasm32-unknown-unknown/release/{{name_underscored}}.wasm.
# Installs Debian's Rust toolchain (rustc, cargo, the wasm32 standard library) when no rustc
# with the wasm32-unknown-unknown target is found.
set -euo pipefail
cd "$(dirname "$0")"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing $* with apt-get" >&2
  $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@" ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@"; }
}

# A rustc that can target wasm32-unknown-unknown: $KILN_RUSTC, Debian's, or the one on PATH.
find_rustc() {
  local c
  for c in "${KILN_RUSTC:-}" /usr/bin/rustc "$(command -v rustc 2>/dev/null || true)"; do
    if [ -n "$c" ] && [ -x "$c" ] && [ -d "$("$c" --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

if ! RUSTC="$(find_rustc)" || ! [ -x "$(dirname "$RUSTC")/cargo" ]; then
  apt_install rustc cargo libstd-rust-dev-wasm32
  RUSTC="$(find_rustc)"
fi
export RUSTC
# Offline by default: builds never reach the network, so crates come vendored (README.md, "Using
# crates"); KILN_CARGO_ONLINE=1 lets cargo fetch them from crates.io instead.
offline=(--offline)
[ "${KILN_CARGO_ONLINE:-}" = 1 ] && offline=()
"$(dirname "$RUSTC")/cargo" build --release "${offline[@]}" --target wasm32-unknown-unknown
module=target/wasm32-unknown-unknown/release/{{name_underscored}}.wasm
echo "built $module ($(wc -c <"$module") bytes)"

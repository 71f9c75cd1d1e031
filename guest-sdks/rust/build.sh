#!/usr/bin/env bash
# Builds the Rust SDK's examples to target/wasm32-unknown-unknown/release/examples/<name>.wasm.
# Installs Debian's Rust toolchain (rustc, cargo, the wasm32 standard library) when no rustc
# with the wasm32-unknown-unknown target is found. `./build.sh test` also runs the SDK's tests.
set -euo pipefail
cd "$(dirname "$0")"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing $* with apt-get" >&2
  $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@" ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@"; }
}

# A rustc that can target wasm32-unknown-unknown: $KILN_RUSTC, Debian's, or the one on PATH
# (rustup's usually comes first on PATH and often lacks the target).
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
CARGO="$(dirname "$RUSTC")/cargo"

"$CARGO" build --release --offline --target wasm32-unknown-unknown --examples
if [ "${1:-}" = test ]; then
  # The pure parts of the SDK (JSON, query and header parsing) on the build machine.
  "$CARGO" test --offline --lib --quiet
fi

out=target/wasm32-unknown-unknown/release/examples
for name in hello echo order sha256 config counter webhook fetch; do
  echo "built $out/$name.wasm ($(wc -c <"$out/$name.wasm") bytes)"
done

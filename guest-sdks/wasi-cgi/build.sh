#!/usr/bin/env bash
# Builds the wasi-cgi examples: C (clang + wasi-libc) and Rust (Debian's rustc, wasm32-wasi).
# Each example becomes build/<lang>/<name>.wasm and build/<lang>/<name>.zip, the zip holding the
# module and a kiln.json with "abi": "wasi-cgi", ready to upload:
#   curl -X PUT -H 'Content-Type: application/zip' --data-binary @build/c/hello.zip ...
# Installs the toolchain with apt when it is missing (needs root or sudo).
# Usage: build.sh [--out DIR] [--go]   (--go also builds the Go examples with Go 1.23 from
# bookworm-backports, adding that apt source if needed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
with_go=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --go) with_go=1; shift ;;
    *) echo "usage: $0 [--out DIR] [--go]" >&2; exit 2 ;;
  esac
done

# Debian's rustc 1.63 has the wasm32-wasi target; a rustup toolchain earlier on PATH may not.
RUSTC=/usr/bin/rustc
GO=/usr/lib/go-1.23/bin/go

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing $*" >&2
  $sudo apt-get update -q >&2
  $sudo apt-get install -y -q "$@" >&2
}

need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v wasm-ld >/dev/null 2>&1 || need+=(lld)
[ -f /usr/lib/wasm32-wasi/libc.a ] || need+=(wasi-libc)
ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 ||
  need+=(libclang-rt-14-dev-wasm32)
[ -x "$RUSTC" ] || need+=(rustc)
[ -d /usr/lib/rustlib/wasm32-wasi ] || need+=(libstd-rust-dev-wasm32)
command -v zip >/dev/null 2>&1 || need+=(zip)
if [ "${#need[@]}" -gt 0 ]; then
  apt_install "${need[@]}"
fi

# Packs <name>.wasm with a kiln.json that selects the wasi-cgi ABI.
package() {
  local dir="$1" name="$2"
  local tmp
  tmp="$(mktemp -d)"
  cp "$dir/$name.wasm" "$tmp/$name.wasm"
  printf '{"module": "%s.wasm", "abi": "wasi-cgi"}\n' "$name" >"$tmp/kiln.json"
  rm -f "$dir/$name.zip"
  (cd "$tmp" && zip -q -X "$dir/$name.zip" kiln.json "$name.wasm")
  rm -rf "$tmp"
}

report() {
  printf '%-6s %-6s %8d bytes\n' "$1" "$2" "$(wc -c <"$3")"
}

# True when $1 (an output) exists and is newer than $2 (its source) and this script.
fresh() {
  [ -f "$1" ] && [ "$1" -nt "$2" ] && [ "$1" -nt "$here/build.sh" ]
}

mkdir -p "$out/c" "$out/rust"
for src in "$here"/c/*.c; do
  name="$(basename "$src" .c)"
  fresh "$out/c/$name.zip" "$src" && { report c "$name" "$out/c/$name.wasm"; continue; }
  clang --target=wasm32-wasi -O2 -Wall -Werror -Wl,--strip-all -o "$out/c/$name.wasm" "$src"
  package "$out/c" "$name"
  report c "$name" "$out/c/$name.wasm"
done
for src in "$here"/rust/*.rs; do
  name="$(basename "$src" .rs)"
  fresh "$out/rust/$name.zip" "$src" && { report rust "$name" "$out/rust/$name.wasm"; continue; }
  "$RUSTC" --edition 2021 --target wasm32-wasi -C opt-level=s -C lto -C codegen-units=1 \
    -C panic=abort -C strip=symbols -D warnings -o "$out/rust/$name.wasm" "$src"
  package "$out/rust" "$name"
  report rust "$name" "$out/rust/$name.wasm"
done

if [ "$with_go" -eq 1 ]; then
  if [ ! -x "$GO" ]; then
    if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
      sudo=""
      [ "$(id -u)" -eq 0 ] || sudo="sudo"
      echo "deb http://deb.debian.org/debian bookworm-backports main" |
        $sudo tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
    fi
    apt_install -t bookworm-backports golang-1.23-go
  fi
  mkdir -p "$out/go"
  for src in "$here"/go/*.go; do
    name="$(basename "$src" .go)"
    fresh "$out/go/$name.zip" "$src" && { report go "$name" "$out/go/$name.wasm"; continue; }
    (cd "$here/go" && GOOS=wasip1 GOARCH=wasm GOCACHE="$out/go/.cache" \
      "$GO" build -ldflags=-s -o "$out/go/$name.wasm" "$src")
    package "$out/go" "$name"
    report go "$name" "$out/go/$name.wasm"
  done
fi

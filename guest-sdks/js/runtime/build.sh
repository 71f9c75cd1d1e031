#!/usr/bin/env bash
# Builds a JavaScript function into a Kiln-ABI module: QuickJS + this runtime + the function's
# source (docs/adr/0049).
#
#   runtime/build.sh handler.js out.wasm
#
# QuickJS is compiled once and cached (it takes a minute on a small machine) under
# $KILN_JS_CACHE (default ~/.cache/kiln/js), keyed by the QuickJS version, the patch and the
# flags; each function is then one link of that archive with its source (a second or two).
# Its sources come from the npm package qjsc@0.3.0 (QuickJS 2021-03-27), pinned by its sha512
# integrity. Installs clang, lld and wasi-libc with apt-get when they are missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 2 ] || { echo "usage: $0 handler.js out.wasm" >&2; exit 2; }
src="$1"
out="$2"
[ -f "$src" ] || { echo "build.sh: no file $src" >&2; exit 2; }

QJSC_VERSION=0.3.0
QJSC_INTEGRITY='sha512-a7+cU6/IVcZbIejffdt/wZVMX6LL2MDL3HQ9Zb5Gm23G9DvBMS/z9GHFxz39bAvp2PvMOM+ypSOAyokt2DdZ2w=='
QJS_DIR=package/deps/quickjs_2021_03_27
QJS_VERSION=2021-03-27
# -Os, not -O2: at -O2 QuickJS's interpreter loop (JS_CallInternal) is a 40 KB Wasm function that
# Chicory cannot compile to one JVM method (64 KB bytecode cap) and runs interpreted, ~10x slower
# per call; at -Os it compiles, and the module is 25 % smaller (docs/adr/0049).
CFLAGS=(--target=wasm32-wasi --sysroot=/usr -Os)

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing $* with apt-get" >&2
  $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@" ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@"; }
}
has_wasi_libc() {
  # Into a real file: clang runs binaryen's wasm-opt on its output when one is on PATH, and
  # wasm-opt cannot read /dev/null back.
  local probe
  probe="$(mktemp)"
  echo 'int f(void){return 0;}' | clang "${CFLAGS[@]}" -mexec-model=reactor -x c - \
    -o "$probe" >/dev/null 2>&1
  local rc=$?
  rm -f "$probe"
  return $rc
}
if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
  apt_install clang lld
fi
if ! has_wasi_libc; then
  apt_install wasi-libc libclang-rt-14-dev-wasm32
fi

cache_root="${KILN_JS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kiln/js}"
key="$( (echo "$QJSC_INTEGRITY ${CFLAGS[*]}"; cat "$here/quickjs-wasi.patch") | sha256sum | cut -c1-16)"
cache="$cache_root/quickjs-$QJS_VERSION-$key"

# Writes a C file defining <name>[] (the file's bytes plus a NUL: JS_Eval wants one) and
# <name>_len. With a fourth argument "pad" the array is zero-padded to a size class (a power of
# two, at least 64 KiB): then every function whose source falls in the same class links to the
# same code at the same addresses, only its data differs, and Kiln compiles that code once for
# all of them (docs/adr/0052).
embed() {
  local file="$1" name="$2" c="$3" pad="${4:-}"
  local len size
  len="$(wc -c <"$file")"
  size=""
  if [ "$pad" = pad ]; then
    size=65536
    while [ "$size" -le "$len" ]; do size=$((size * 2)); done
  fi
  {
    echo "#include <stdint.h>"
    echo "const char $name[$size] = {"
    od -An -v -tx1 "$file" | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'
    echo "0x00};"
    echo "const uint32_t ${name}_len = $len;"
  } >"$c"
}

if [ ! -f "$cache/quickjs.o" ]; then
  echo "build.sh: building QuickJS $QJS_VERSION for wasm32-wasi into $cache (once)" >&2
  mkdir -p "$cache_root"
  work="$(mktemp -d "$cache_root/.build.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "qjsc@$QJSC_VERSION" >/dev/null)
  tgz="$work/qjsc-$QJSC_VERSION.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$actual" != "$QJSC_INTEGRITY" ]; then
    echo "build.sh: qjsc-$QJSC_VERSION.tgz has integrity $actual, expected $QJSC_INTEGRITY" >&2
    exit 1
  fi
  tar -xzf "$tgz" -C "$work" "$QJS_DIR"
  (cd "$work/$QJS_DIR" && patch -s -p1 <"$here/quickjs-wasi.patch")
  pids=()
  for f in quickjs libregexp libunicode cutils; do
    clang "${CFLAGS[@]}" -D_GNU_SOURCE -DCONFIG_VERSION="\"$QJS_VERSION\"" -w \
      -c "$work/$QJS_DIR/$f.c" -o "$work/$f.o" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  mkdir -p "$work/out"
  cp "$work/$QJS_DIR/quickjs.h" "$work/$QJS_DIR/LICENSE" "$work/out/"
  mv "$work"/*.o "$work/out/"
  rm -rf "$cache"
  mv "$work/out" "$cache"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
embed "$src" kiln_js_source "$tmp/source.c" pad
embed "$here/prelude.js" kiln_js_prelude "$tmp/prelude.c"
mkdir -p "$(dirname "$out")"
# --stack-first puts the stack below the data, so an overflow traps instead of corrupting it;
# 1 MiB of stack for QuickJS's recursive parser and interpreter (kiln_js.c limits JS to 768 KiB).
clang "${CFLAGS[@]}" -mexec-model=reactor -Wall -Wextra -Werror -isystem "$cache" \
  -Wl,--stack-first -Wl,-z,stack-size=1048576 -Wl,--strip-all \
  -o "$out" "$here/kiln_js.c" "$tmp/source.c" "$tmp/prelude.c" \
  "$cache/quickjs.o" "$cache/libregexp.o" "$cache/libunicode.o" "$cache/cutils.o"
echo "built $out ($(wc -c <"$out") bytes)"

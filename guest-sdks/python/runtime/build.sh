#!/usr/bin/env bash
# Builds a Python function into a Kiln-ABI module: CPython 3.11 + this runtime + the function's
# source (docs/adr/0050).
#
#   runtime/build.sh handler.py out.wasm
#
# CPython is compiled once and cached (a few minutes on a small machine) under
# $KILN_PYTHON_CACHE (default ~/.cache/kiln/python), keyed by the source tarball, the flags and
# the standard-library packer; each function is then one link of that archive with its source
# (a few seconds). The sources are Debian's python3.11 (`apt-get source`, which needs a deb-src
# entry: added when missing), pinned by the upstream tarball's sha256. Installs clang, lld,
# wasi-libc, make and python3.11 with apt-get when they are missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 2 ] || { echo "usage: $0 handler.py out.wasm" >&2; exit 2; }
src="$1"
out="$2"
[ -f "$src" ] || { echo "build.sh: no file $src" >&2; exit 2; }
module="$(basename "$src" .py)"
if ! [[ "$module" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [ "$module" = kiln ] ||
  [ "$module" = kiln_entry ] || [ "$(basename "$src")" != "$module.py" ]; then
  echo "build.sh: $src must be NAME.py with NAME a Python identifier other than kiln" >&2
  exit 2
fi

PY_VERSION=3.11.2
PY_ORIG=python3.11_3.11.2.orig.tar.gz
PY_ORIG_SHA256=2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849
# -Os: smaller than CPython's -O3, which shortens Chicory's compile of the module and keeps more
# functions under what Chicory compiles into one JVM method; cpython-wasi.patch brings the
# interpreter loop under it (docs/adr/0050).
OPT="-DNDEBUG -fwrapv -Os"
CFLAGS=(--target=wasm32-wasi --sysroot=/usr)

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing $* with apt-get" >&2
  $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@" ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@"; }
}
has_wasi_libc() {
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
command -v python3 >/dev/null 2>&1 || apt_install python3

cache_root="${KILN_PYTHON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kiln/python}"
key="$( (echo "$PY_ORIG_SHA256 $OPT ${CFLAGS[*]}"; sed -n "/^build_cpython/,/^}/p" "$0";
  cat "$here/cpython-wasi.patch") |
  sha256sum | cut -c1-16)"
cache="$cache_root/cpython-$PY_VERSION-$key"
stdlib="$cache/stdlib-$(sha256sum "$here/stdlib_zip.py" | cut -c1-16).o"

# Writes an assembly file defining <name>[] (the file's bytes) and <name>_len (a uint32). With a
# fourth argument "pad" the bytes are followed by zeros up to a size class (a power of two, at
# least 64 KiB): every function whose code falls in the same class then links to the same code
# at the same addresses, only its data differs, and Kiln compiles that code once for all of them
# (docs/adr/0052).
embed() {
  local file="$1" name="$2" s="$3" pad="${4:-}"
  local len size skip=0
  len="$(wc -c <"$file")"
  if [ "$pad" = pad ]; then
    size=65536
    while [ "$size" -lt "$len" ]; do size=$((size * 2)); done
    skip=$((size - len))
  fi
  cat >"$s" <<ASM
	.section .rodata.$name,"",@
	.globl $name
	.type $name,@object
	.p2align 4
$name:
	.incbin "$file"
.Lend_$name:
	.skip $skip
	.size $name, .Lend_$name-$name+$skip
	.section .rodata.${name}_len,"",@
	.globl ${name}_len
	.type ${name}_len,@object
	.p2align 2
${name}_len:
	.int32 .Lend_$name-$name
	.size ${name}_len, 4
ASM
}

build_cpython() {
  for tool in make llvm-ar; do
    command -v "$tool" >/dev/null 2>&1 || apt_install make llvm
  done
  command -v python3.11 >/dev/null 2>&1 || apt_install python3.11
  local build_python
  build_python="$(command -v python3.11)"
  echo "build.sh: building CPython $PY_VERSION for wasm32-wasi into $cache (once, minutes)" >&2
  mkdir -p "$cache_root"
  work="$(mktemp -d "$cache_root/.build.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  if ! (cd "$work" && apt-get source --download-only -q python3.11 >"$work/apt.log" 2>&1); then
    if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      local sudo=""
      [ "$(id -u)" -eq 0 ] || sudo="sudo"
      echo "build.sh: adding Debian's deb-src entry for apt-get source" >&2
      $sudo tee /etc/apt/sources.list.d/kiln-deb-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
      $sudo apt-get update -q >/dev/null
    fi
    (cd "$work" && apt-get source --download-only -q python3.11)
  fi
  local actual
  actual="$(sha256sum "$work/$PY_ORIG" | cut -d' ' -f1)"
  if [ "$actual" != "$PY_ORIG_SHA256" ]; then
    echo "build.sh: $PY_ORIG has sha256 $actual, expected $PY_ORIG_SHA256" >&2
    exit 1
  fi
  # The upstream sources; Debian's patches are for its own packaging, not for WASI.
  tar -xzf "$work/$PY_ORIG" -C "$work"
  local srcdir="$work/Python-$PY_VERSION"
  command -v patch >/dev/null 2>&1 || apt_install patch
  (cd "$srcdir" && patch -s -p1 <"$here/cpython-wasi.patch")
  mkdir -p "$srcdir/build-wasi"
  (
    cd "$srcdir/build-wasi"
    # PKG_CONFIG_*: the build machine's libraries (zlib, libuuid, ...) are not for wasm32.
    # py_cv_module_*: C modules left out (CJK codecs, audioop, crypt, profiling, asyncio's):
    # compile time and module size for what functions rarely need.
    env CONFIG_SITE=../Tools/wasm/config.site-wasm32-wasi CC="clang ${CFLAGS[*]}" AR=llvm-ar \
      RANLIB=llvm-ranlib OPT="$OPT" PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=/nonexistent \
      py_cv_module__codecs_cn=n/a py_cv_module__codecs_hk=n/a py_cv_module__codecs_iso2022=n/a \
      py_cv_module__codecs_jp=n/a py_cv_module__codecs_kr=n/a py_cv_module__codecs_tw=n/a \
      py_cv_module__multibytecodec=n/a py_cv_module_audioop=n/a py_cv_module__crypt=n/a \
      py_cv_module__lsprof=n/a py_cv_module__asyncio=n/a py_cv_module_xxsubtype=n/a \
      ../configure -q --host=wasm32-unknown-wasi \
      --build="$(gcc -dumpmachine 2>/dev/null || echo x86_64-pc-linux-gnu)" \
      --with-build-python="$build_python" --disable-ipv6 --disable-test-modules \
      >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log" >&2; exit 1; }
    make -j"$(nproc)" libpython3.11.a >"$work/make.log" 2>&1 ||
      { tail -40 "$work/make.log" >&2; exit 1; }
    # The libraries the interpreter links with (wasi-libc's emulations, libm).
    make -s -f - print-libs <<'MK' >"$work/libs.make"
include Makefile
print-libs:
	@echo $(LIBS) $(MODLIBS) $(SYSLIBS)
MK
    # The static libraries C modules link with (libmpdec, expat) are built apart from libpython.
    for lib in $(tr ' ' '\n' <"$work/libs.make" | grep '\.a$'); do
      make -j"$(nproc)" "$lib" >>"$work/make.log" 2>&1 || { tail -40 "$work/make.log" >&2; exit 1; }
      cp "$lib" "$work/"
    done
  )
  local out_dir="$work/out"
  mkdir -p "$out_dir/include"
  cp "$srcdir/build-wasi/libpython3.11.a" "$srcdir/LICENSE" "$work"/lib*.a "$out_dir/"
  # Link flags, each once; archives named by file (the link step finds them in the cache).
  tr ' ' '\n' <"$work/libs.make" | sed -e 's|^.*/||' | awk 'NF && !seen[$0]++' >"$out_dir/libs"
  cp -r "$srcdir/Include/." "$out_dir/include/"
  cp "$srcdir/build-wasi/pyconfig.h" "$out_dir/include/"
  cp -r "$srcdir/Lib" "$out_dir/Lib"
  rm -rf "$cache"
  mv "$out_dir" "$cache"
  rm -rf "$work"
}

if [ ! -f "$cache/libpython3.11.a" ]; then
  build_cpython
fi
if [ ! -f "$stdlib" ]; then
  # The standard library, packed and embedded once per version of the packer.
  command -v python3.11 >/dev/null 2>&1 || apt_install python3.11
  packing="$(mktemp -d "$cache/.stdlib.XXXXXX")"
  python3.11 "$here/stdlib_zip.py" "$cache/Lib" "$packing/python311.zip" >&2
  embed "$packing/python311.zip" kiln_py_stdlib "$packing/stdlib.s"
  clang "${CFLAGS[@]}" -c "$packing/stdlib.s" -o "$packing/stdlib.o"
  mv "$packing/stdlib.o" "$stdlib"
  rm -rf "$packing"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# function.zip: the function's module, which module it is, and the runtime's kiln.py.
python3 - "$src" "$module" "$here/kiln.py" "$tmp/function.zip" <<'PY'
import sys, zipfile
src, module, kiln, out = sys.argv[1:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
    def add(name, data):
        z.writestr(zipfile.ZipInfo(name, date_time=(2023, 2, 8, 0, 0, 0)), data)
    add(module + ".py", open(src, "rb").read())
    add("kiln.py", open(kiln, "rb").read())
    add("kiln_entry.py", f"MODULE = {module!r}\n")
PY
embed "$tmp/function.zip" kiln_py_function "$tmp/function.s" pad
libs=()
while read -r flag; do
  case "$flag" in *.a) libs+=("$cache/$flag") ;; *) libs+=("$flag") ;; esac
done <"$cache/libs"
mkdir -p "$(dirname "$out")"
for c in kiln_python kiln_wasi; do
  clang "${CFLAGS[@]}" -Os -Wall -Wextra -Werror -isystem "$cache/include" -c "$here/$c.c" \
    -o "$tmp/$c.o"
done
# Linked without -O: with an optimisation level clang runs binaryen's wasm-opt when one is on
# PATH, which takes minutes on this module and splits its data into ~90 000 segments (the host
# allows 100 000). --stack-first puts the stack below the data, so an overflow traps instead of
# corrupting it.
clang "${CFLAGS[@]}" -mexec-model=reactor -Wl,--stack-first -Wl,-z,stack-size=1048576 \
  -Wl,--strip-all -o "$out" "$tmp/kiln_python.o" "$tmp/kiln_wasi.o" "$tmp/function.s" \
  "$stdlib" "$cache/libpython3.11.a" "${libs[@]}"
echo "built $out ($(wc -c <"$out") bytes)"

#!/usr/bin/env bash
# Builds handler.js into build/{{name}}.wasm: QuickJS (compiled once, cached in ~/.cache/kiln/js)
# linked with Kiln's JavaScript runtime (kiln-js/) and your source. Needs clang, lld, wasi-libc
# (installed with apt-get when missing) and npm (to fetch QuickJS's sources the first time).
set -euo pipefail
cd "$(dirname "$0")"
bash kiln-js/build.sh handler.js build/{{name}}.wasm

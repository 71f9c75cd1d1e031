#!/usr/bin/env bash
# Builds handler.py into build/{{name}}.wasm: CPython 3.11 (compiled once, cached in
# ~/.cache/kiln/python) linked with Kiln's Python runtime (kiln-python/) and your source. Needs
# clang, lld, wasi-libc, make and python3.11 (installed with apt-get when missing) and Debian's
# python3.11 sources (apt-get source, the first time).
set -euo pipefail
cd "$(dirname "$0")"
bash kiln-python/build.sh handler.py build/{{name}}.wasm

#!/usr/bin/env bash
# Builds the Python examples to build/<name>.wasm with runtime/build.sh (CPython is compiled
# once and cached under ~/.cache/kiln/python; each example is then a link of a few seconds).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
for name in hello order transform counter; do
  runtime/build.sh "examples/$name.py" "build/$name.wasm"
done

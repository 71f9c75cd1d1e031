#!/usr/bin/env bash
# Builds the Java examples to build/<name>.zip (the module and a kiln.json choosing the wasi-cgi
# ABI) with runtime/build.sh: TeaVM is fetched through Maven once and cached under
# ~/.cache/kiln/java; each example is then one TeaVM compile of a few seconds. An example whose
# zip is newer than its source and the runtime is not rebuilt.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
for name in Hello Order Transform; do
  lower="$(echo "$name" | tr 'A-Z' 'a-z')"
  zip="build/$lower.zip"
  if [ -f "$zip" ] && [ -z "$(find runtime "examples/$name.java" build.sh -newer "$zip")" ]; then
    echo "$zip is up to date"
    continue
  fi
  runtime/build.sh "$zip" "examples/$name.java"
done

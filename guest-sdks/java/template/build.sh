#!/usr/bin/env bash
# Builds src/main/java into build/{{name}}.zip: TeaVM compiles your classes and Kiln's Java SDK
# (kiln-java/) into a WASI command, zipped with a kiln.json choosing the wasi-cgi ABI. Needs a
# JDK 17+ and Maven (installed with apt-get when missing); TeaVM comes from Maven Central the first
# time and is cached in ~/.cache/kiln/java.
set -euo pipefail
cd "$(dirname "$0")"
bash kiln-java/build.sh build/{{name}}.zip src/main/java

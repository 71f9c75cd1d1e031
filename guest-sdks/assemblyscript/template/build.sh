#!/usr/bin/env bash
# Builds this function to build/{{name}}.wasm. Installs node and npm with apt-get when they
# are missing, then the compiler and the SDK (kiln/) with npm.
set -euo pipefail
cd "$(dirname "$0")"

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing $* with apt-get" >&2
  $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@" ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@"; }
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
if ! [ -x node_modules/.bin/asc ] || ! [ -e node_modules/kiln-sdk ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
mkdir -p build
node_modules/.bin/asc assembly/index.ts --config asconfig.json -o build/{{name}}.wasm
echo "built build/{{name}}.wasm ($(wc -c <build/{{name}}.wasm) bytes)"

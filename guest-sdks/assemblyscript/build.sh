#!/usr/bin/env bash
# Builds the AssemblyScript SDK's examples to build/<name>.wasm. Installs node and npm with
# apt-get when they are missing, and the pinned compiler (package-lock.json) with npm ci.
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
if ! [ -x node_modules/.bin/asc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# The examples import the SDK by its package name, as a function project does.
ln -sfn .. node_modules/kiln-sdk

mkdir -p build
node build-examples.mjs

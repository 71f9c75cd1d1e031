#!/usr/bin/env bash
# Builds a Java function into a WASI command for Kiln's wasi-cgi ABI with TeaVM (docs/adr/0051).
#
#   runtime/build.sh [--handler CLASS] OUT.zip|OUT.wasm SOURCE...
#
# SOURCE is a .java file or a directory of them (a Maven layout's src/main/java works). OUT.zip
# holds the module and a kiln.json with "abi": "wasi-cgi", ready to upload; OUT.wasm is the module
# alone. TeaVM 0.13.1 (the last release with the WASI target) and minimal-json come from Maven
# Central through runtime/pom.xml; the classpath, the build tool and the compiled SDK are cached
# under $KILN_JAVA_CACHE (default ~/.cache/kiln/java), keyed by the hash of these files. Needs a
# JDK (17 or newer), Maven and patch, installed with apt-get when missing. One TeaVM class is
# patched (teavm-call-site-locations.patch) so that exceptions name their frames.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
handler=()
if [ "${1:-}" = "--handler" ]; then
  handler=(--handler "$2")
  shift 2
fi
[ $# -ge 2 ] || { echo "usage: $0 [--handler CLASS] OUT.zip|OUT.wasm SOURCE..." >&2; exit 2; }
out="$1"
shift

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing $* with apt-get" >&2
  $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@" ||
    { $sudo apt-get update -q && $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@"; }
}

# A JDK 17 or newer: $JAVA_HOME, else the javac on PATH.
java_home=""
for candidate in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v javac || echo /none/bin/javac)")")")"; do
  if [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ]; then
    major="$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
    if [ -n "$major" ] && [ "$major" -ge 17 ]; then
      java_home="$candidate"
      break
    fi
  fi
done
if [ -z "$java_home" ]; then
  apt_install openjdk-17-jdk-headless
  java_home=/usr/lib/jvm/java-17-openjdk-amd64
  [ -x "$java_home/bin/javac" ] || java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
fi
command -v mvn >/dev/null 2>&1 || apt_install maven
command -v patch >/dev/null 2>&1 || apt_install patch
export JAVA_HOME="$java_home"

cache_root="${KILN_JAVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kiln/java}"
key="$( (cd "$here" && cat pom.xml tool/*.java sdk/dev/kiln/guest/*.java ./*.patch) | sha256sum | cut -c1-16)"
cache="$cache_root/toolchain-$key"

if [ ! -f "$cache/ready" ]; then
  echo "build.sh: preparing TeaVM 0.13.1 and Kiln's Java SDK in $cache (once)" >&2
  mkdir -p "$cache_root"
  work="$(mktemp -d "$cache_root/.build.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  mvn -B -ntp -q -f "$here/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$work/classpath.txt" >&2
  cp="$(cat "$work/classpath.txt")"
  "$java_home/bin/javac" --release 17 -nowarn -encoding UTF-8 -cp "$cp" -d "$work/tool" \
    "$here"/tool/*.java
  # TeaVM's call-site locations, patched (teavm-call-site-locations.patch): one class from
  # teavm-core's sources jar, compiled into the tool directory, which comes first on the
  # build's classpath.
  mvn -B -ntp -q -f "$here/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact=org.teavm:teavm-core:0.13.1:jar:sources -DoutputDirectory="$work/teavm-src" >&2
  patched=org/teavm/backend/wasm/generate/CallSiteBinaryGenerator.java
  (cd "$work/teavm-src" && "$java_home/bin/jar" xf teavm-core-0.13.1-sources.jar "$patched" &&
    patch -s -p1 <"$here/teavm-call-site-locations.patch")
  "$java_home/bin/javac" --release 17 -nowarn -encoding UTF-8 -cp "$cp" -d "$work/tool" \
    "$work/teavm-src/$patched"
  rm -rf "$work/teavm-src"
  "$java_home/bin/javac" --release 17 -Xlint:all -Werror -encoding UTF-8 -cp "$cp" \
    -d "$work/sdk" "$here"/sdk/dev/kiln/guest/*.java
  # What a function compiles against: the SDK, minimal-json, TeaVM's interop annotations.
  tr ':' '\n' <"$work/classpath.txt" | grep -E '/(minimal-json|teavm-interop)-[^/]*\.jar$' |
    { echo "$cache/sdk"; cat; } | paste -sd: >"$work/guest-classpath.txt"
  touch "$work/ready"
  rm -rf "$cache"
  mv "$work" "$cache"
  trap - EXIT
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$java_home/bin/java" -Xss4m -cp "$cache/tool:$(cat "$cache/classpath.txt")" KilnJavaBuild \
  --guest-classpath "$(cat "$cache/guest-classpath.txt")" --work "$tmp" --out "$out" \
  ${handler[@]+"${handler[@]}"} "$@"
echo "built $out ($(wc -c <"$out") bytes)"

# Sourced by ./kiln and ./test: exports JAVA_HOME pointing at a JDK >= 21.
# Prefers $JAVA_HOME, then the java on PATH, then the newest JDK under /usr/lib/jvm.
kiln_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

kiln_pick_java_home() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" \
    "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" \
    $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    candidate="${candidate%/}"
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major="$(kiln_java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! KILN_JAVA_HOME="$(kiln_pick_java_home)"; then
  echo "kiln: no JDK 21 or newer found (looked at \$JAVA_HOME, PATH and /usr/lib/jvm)." >&2
  echo "kiln: install one (for example Temurin 21+) and set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME="$KILN_JAVA_HOME"
export PATH="$JAVA_HOME/bin:$PATH"

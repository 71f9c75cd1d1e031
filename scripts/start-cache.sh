# Sourced by ./kiln and by the distribution's bin/kiln: the start-up cache of `kiln serve`
# (docs/adr/0067). Once per build (FINGERPRINT names the classpath's state) and JDK build, a
# training run (a throwaway server deploying and invoking a built-in echo over HTTP) runs under
# -XX:AOTCacheOutput (JDK 25+; -XX:ArchiveClassesAtExit before) with the server's JVM options, and
# every `serve` maps what it loaded, linked and profiled. A failed run is not tried again for the
# same build; a directory that cannot be made is no cache.
#
# kiln_serves ARGS...: whether the command line starts a server (serve, not its --help or
# --version) that may use the cache (KILN_CDS is not 0).
kiln_serves() {
  [ "${1:-}" = serve ] && [ "${KILN_CDS:-1}" != 0 ] &&
    ! printf '%s\n' "$@" | grep -qxE -- '-h|--help|-V|--version'
}

# kiln_start_cache JAVA_HOME JAVA_MAJOR DIR FINGERPRINT LAUNCH...: LAUNCH is how the server's
# classes are started (-jar JAR, or -cp PATH MAIN), the same for the training (the JVM refuses a
# cache made on another classpath). Appends the option that maps the cache to the `opts` array.
kiln_start_cache() {
  local java_home="$1" major="$2" dir="$3" fingerprint="$4" jdk cache write use name tmp log
  shift 4
  { mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ]; } || return 0
  jdk="$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$java_home/release" 2>/dev/null || true)"
  if [ "$major" -ge 25 ]; then
    name="kiln-serve-jdk${jdk:-$major}-$fingerprint.aot" write=-XX:AOTCacheOutput use=-XX:AOTCache
  else
    name="kiln-serve-jdk${jdk:-$major}-$fingerprint.jsa" write=-XX:ArchiveClassesAtExit
    use=-XX:SharedArchiveFile
  fi
  cache="$dir/$name"
  log="$dir/kiln-serve-training.log"
  if [ ! -f "$cache" ] && [ ! -f "$cache.failed" ]; then
    echo "kiln: training the start-up cache for this build and JDK (once, ~15 s)..." >&2
    # Other builds' caches are stale (the JVM would refuse them); a run cut short (Ctrl-C)
    # leaves its temporary file.
    find "$dir" -maxdepth 1 -name 'kiln-serve-jdk*' \
      \( ! -name "$name*" -o -name '*.tmp' -mmin +10 \) -delete 2>/dev/null || true
    tmp="$cache.$$.tmp"
    if "$java_home/bin/java" "${opts[@]}" "$write=$tmp" "$@" training-run >"$log" 2>&1 &&
      [ -f "$tmp" ]; then
      mv -f "$tmp" "$cache" || true
    else
      rm -f "$tmp"
      touch "$cache.failed" || true
      echo "kiln: the training run failed ($log); serving without the cache" >&2
    fi
  fi
  if [ -f "$cache" ]; then
    opts+=("$use=$cache")
  fi
}

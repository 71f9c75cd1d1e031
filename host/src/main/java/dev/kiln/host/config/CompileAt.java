package dev.kiln.host.config;

/** When an uploaded module is compiled and initialised once (docs/adr/0007). */
public enum CompileAt {
    /**
     * At upload: compile, run start and {@code kiln_init}, and keep that instance for the first
     * invocation; a module whose init traps is refused.
     */
    UPLOAD,
    /**
     * At the first invocation: uploads only validate; the first invocation pays for compiling
     * ({@code X-Kiln-Start: cold}), and init failures surface there.
     */
    FIRST_USE
}

package dev.kiln.host.registry;

/**
 * What one invocation runs: a version of a function, with the settings it runs with now (the
 * version's code settings and the function's runtime settings, {@link
 * FunctionSettings#withCodeOf}).
 */
public record Target(FunctionInfo function, VersionInfo version, FunctionSettings settings) {

    /** {@code service/function}. */
    public String functionKey() {
        return function.service() + "/" + function.name();
    }
}

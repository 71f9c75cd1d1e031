package dev.kiln.host.sandbox;

/**
 * What a function's settings demand of its module.
 *
 * @param handler the export called per invocation, {@code kiln_handle} by default
 * @param memoryMiB cap on linear memory; a module whose declared minimum exceeds it is refused
 * @param limits host-wide caps on the module's declarations
 */
public record ModuleRules(String handler, int memoryMiB, ModuleLimits limits) {
    /** Wasm pages (64 KiB each) in {@link #memoryMiB}. */
    public int maxPages() {
        return memoryMiB * 16;
    }
}

package dev.kiln.host.sandbox;

import java.util.Objects;

/**
 * What a function's settings demand of its module.
 *
 * @param handler the export called per invocation, {@code kiln_handle} by default (the kiln ABI
 *     only; a wasi-cgi module always runs {@code _start})
 * @param memoryMiB cap on linear memory; a module whose declared minimum exceeds it is refused
 * @param limits host-wide caps on the module's declarations
 * @param abi which ABI the module must follow
 */
public record ModuleRules(String handler, int memoryMiB, ModuleLimits limits, Abi abi) {
    public ModuleRules {
        Objects.requireNonNull(abi, "abi");
    }

    /** Rules for a kiln-ABI module. */
    public ModuleRules(String handler, int memoryMiB, ModuleLimits limits) {
        this(handler, memoryMiB, limits, Abi.KILN);
    }

    /**
     * Written out, not generated: pools are found by their code's key on every invocation, and the
     * generated equals (a method-handle chain) was not inlined there — ~1 % of the host's CPU under
     * load. {@code ModuleRulesTest} checks that every component counts.
     */
    @Override
    public boolean equals(Object o) {
        return this == o
                || (o instanceof ModuleRules r
                        && memoryMiB == r.memoryMiB
                        && abi == r.abi
                        && Objects.equals(handler, r.handler)
                        && Objects.equals(limits, r.limits));
    }

    @Override
    public int hashCode() {
        return Objects.hash(handler, memoryMiB, limits, abi);
    }

    /** Wasm pages (64 KiB each) in {@link #memoryMiB}. */
    public int maxPages() {
        return memoryMiB * 16;
    }
}

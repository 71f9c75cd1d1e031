package dev.kiln.host.sandbox;

/**
 * Where a {@link CompiledModule}'s JVM bytecode came from (the label of kiln_compilations_total).
 */
public enum CodeSource {
    /** Chicory's compiler ran for this module. */
    COMPILED("compiled"),
    /** Loaded from the disk cache that an earlier compilation of the same code wrote. */
    DISK("disk"),
    /** The classes of a live module with the same code (other data segments: {@link CodeKey}). */
    SHARED("shared");

    private final String label;

    CodeSource(String label) {
        this.label = label;
    }

    /** The metric label. */
    public String label() {
        return label;
    }
}

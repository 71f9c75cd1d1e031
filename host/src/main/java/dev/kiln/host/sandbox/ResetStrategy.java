package dev.kiln.host.sandbox;

/**
 * How a used instance's memory goes back to its snapshot (measured in docs/adr/
 * 0008-instance-reset.md; the default is {@link #COPY_ON_WRITE}).
 */
public enum ResetStrategy {
    /** Every instance holds a private copy of all of memory; a reset copies all of it back. */
    COPY_ALL,
    /** Chunks an invocation wrote are copied back from the snapshot at reset. */
    COPY_DIRTY,
    /**
     * Chunks an invocation wrote go back to pointing at the snapshot's (nothing copied at reset);
     * the next write to such a chunk copies it first.
     */
    COPY_ON_WRITE,
    /**
     * Every instance holds all of memory in one array, so a guest load or store is one bounds check
     * instead of a chunk lookup; stores mark their chunk, and a reset copies the marked chunks back
     * (docs/adr/0064). For hosts of compute-heavy functions: each instance holds its whole memory,
     * where the chunked strategies share what it did not write.
     */
    FLAT
}

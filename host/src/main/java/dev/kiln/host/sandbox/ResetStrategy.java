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
    COPY_ON_WRITE
}

package dev.kiln.host.observability;

/**
 * What {@link InvocationStore#replicated} tells (docs/adr/0057): this {@code records.db}'s id among
 * the cluster's copies of records, and how far a source stream was read (0: not yet).
 */
public record ReplicationPosition(String origin, long position) {}

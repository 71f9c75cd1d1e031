package dev.kiln.host.registry;

import java.time.Instant;

/** A stored function: its settings and its latest version. */
public record FunctionInfo(
        String service,
        String name,
        FunctionSettings settings,
        VersionInfo latest,
        Instant createdAt,
        Instant updatedAt) {}

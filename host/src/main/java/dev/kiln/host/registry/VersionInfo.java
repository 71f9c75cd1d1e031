package dev.kiln.host.registry;

import java.time.Instant;

/**
 * One immutable version of a function: numbered 1, 2, … and content-addressed by sha-256, with the
 * settings that belong to its code (docs/adr/0037). Of {@code settings} only the code settings
 * ({@link FunctionSettings#sameCodeAs}) are the version's; the rest are what the function had when
 * the version was made.
 */
public record VersionInfo(
        int number, String sha256, long sizeBytes, Instant createdAt, FunctionSettings settings) {}

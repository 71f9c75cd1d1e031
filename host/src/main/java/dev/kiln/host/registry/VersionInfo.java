package dev.kiln.host.registry;

import java.time.Instant;

/** One immutable upload of a function: numbered 1, 2, … and content-addressed by sha-256. */
public record VersionInfo(int number, String sha256, long sizeBytes, Instant createdAt) {}

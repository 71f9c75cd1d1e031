package dev.kiln.host.pool;

import dev.kiln.host.sandbox.ModuleRules;

/**
 * Identifies compiled code: the module's content hash plus the rules it was validated under
 * (handler and memory cap change what an instance looks like, so they are part of the key).
 */
public record VersionKey(String sha256, ModuleRules rules) {}

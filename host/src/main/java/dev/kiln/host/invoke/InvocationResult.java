package dev.kiln.host.invoke;

import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.pool.StartKind;

/**
 * What a trigger gets back.
 *
 * @param version the function version that ran, 0 when none did
 * @param startKind how the instance was obtained, {@code null} when none was
 */
public record InvocationResult(
        String requestId,
        InvocationOutcome outcome,
        int version,
        long durationMicros,
        long fuel,
        StartKind startKind) {}

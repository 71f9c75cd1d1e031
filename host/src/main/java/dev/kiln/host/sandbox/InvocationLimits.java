package dev.kiln.host.sandbox;

import dev.kiln.abi.EffectLimits;

/**
 * Per-invocation caps the sandbox enforces itself (the deadline is enforced by the caller, which
 * interrupts the running thread).
 *
 * @param maxOutputBytes largest result a guest may return
 */
public record InvocationLimits(EffectLimits effects, int maxOutputBytes) {
    public static final InvocationLimits DEFAULTS =
            new InvocationLimits(EffectLimits.DEFAULTS, 6 * 1024 * 1024);
}

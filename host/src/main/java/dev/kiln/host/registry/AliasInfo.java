package dev.kiln.host.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * A named pointer at a version, with Function Compute's shape: {@code version} takes the traffic
 * that {@code additionalVersion} (if any) does not; {@code additionalWeight} (0–1) is the share of
 * invocations the additional version gets, chosen per invocation (docs/adr/0037).
 *
 * @param additionalVersion the second version, or 0 for none
 */
public record AliasInfo(
        String name,
        int version,
        int additionalVersion,
        double additionalWeight,
        String description,
        Instant createdAt,
        Instant updatedAt) {

    public AliasInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        if (additionalVersion == 0) {
            additionalWeight = 0;
        }
    }

    /**
     * The version one invocation runs, for a uniform {@code draw} in [0, 1): the additional version
     * when {@code draw < additionalWeight}, so a weight of 0 never and 1 always picks it.
     */
    public int pick(double draw) {
        return additionalVersion != 0 && draw < additionalWeight ? additionalVersion : version;
    }

    /** Whether invocations through this alias can run {@code number}. */
    public boolean runs(int number) {
        return number == version || (additionalVersion != 0 && number == additionalVersion);
    }

    /** Whether {@code number} gets any of this alias's traffic. */
    public boolean takesTraffic(int number) {
        return (number == version && additionalWeight < 1.0)
                || (additionalVersion != 0 && number == additionalVersion && additionalWeight > 0);
    }
}

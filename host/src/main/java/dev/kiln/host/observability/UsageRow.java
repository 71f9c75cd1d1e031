package dev.kiln.host.observability;

import java.time.Instant;

/**
 * One row of usage: a time bucket and a group. Fields the grouping does not use are null: {@code
 * function} unless grouped by function, {@code key} unless grouped by key, {@code service} when
 * grouped by key (a key may invoke in several services).
 *
 * @param key the API key id that invoked, or {@code anonymous}
 */
public record UsageRow(
        Instant start, String service, String function, String key, UsageAmounts amounts) {}

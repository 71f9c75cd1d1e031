package dev.kiln.host.observability;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A question to the usage ledger (docs/adr/0043).
 *
 * @param from inclusive, aligned down to the granularity by the ledger
 * @param to exclusive
 * @param service only this service, or null for every one
 * @param function only functions of this name, or null for every one
 * @param visible which services the asker may see (a key's service patterns)
 */
public record UsageQuery(
        Instant from,
        Instant to,
        Granularity granularity,
        GroupBy groupBy,
        String service,
        String function,
        Predicate<String> visible) {
    public UsageQuery {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(granularity, "granularity");
        Objects.requireNonNull(groupBy, "groupBy");
        Objects.requireNonNull(visible, "visible");
    }

    /** How long one row's time bucket is (UTC hours and days). */
    public enum Granularity {
        HOUR(3_600_000L),
        DAY(86_400_000L);

        private final long millis;

        Granularity(long millis) {
            this.millis = millis;
        }

        public long millis() {
            return millis;
        }

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What one row sums over, besides its time bucket. */
    public enum GroupBy {
        FUNCTION,
        SERVICE,
        KEY;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}

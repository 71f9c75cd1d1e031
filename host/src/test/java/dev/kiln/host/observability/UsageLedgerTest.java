package dev.kiln.host.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class UsageLedgerTest {
    private static InvocationRecord record(
            String function, String key, Instant at, long micros, boolean failed) {
        return new InvocationRecord(
                "id-" + function + at.toEpochMilli(),
                "svc",
                function,
                1,
                "sha",
                "invoke",
                at,
                micros,
                failed ? "trap" : "ok",
                failed ? 500 : 200,
                10,
                20,
                1_000,
                "warm",
                null,
                List.of(),
                false,
                0,
                128,
                key,
                null,
                null,
                null);
    }

    /**
     * A batch interleaving functions, keys and an hour boundary sums each bucket exactly as the
     * records one by one would: the tally a run of records shares must not swallow the next
     * bucket's, nor miss one that comes back.
     */
    @Test
    void aBatchInterleavingBucketsSumsEachAsItsRecordsOneByOne() {
        Instant hour = Instant.parse("2026-12-06T10:00:00Z");
        List<InvocationRecord> batch = new ArrayList<>();
        String[] functions = {"a", "a", "b", "a", "b", "b", "a"};
        String[] keys = {"k1", null, "k1", "k1", "k1", null, "k1"};
        // Within each hour, neighbours differ by key alone, by function alone, or by both.
        for (boolean before : new boolean[] {true, false}) {
            for (int i = 0; i < functions.length; i++) {
                Instant at = before ? hour.minusMillis(1 + i) : hour.plusMillis(i);
                batch.add(record(functions[i], keys[i], at, 1_500 + i * 1_000L, i % 3 == 0));
            }
        }
        Map<String, UsageAmounts> expected = new TreeMap<>();
        for (InvocationRecord r : batch) {
            expected.merge(name(UsageLedger.Bucket.of(r)), UsageAmounts.of(r), UsageAmounts::plus);
        }
        Map<String, UsageAmounts> summed = new TreeMap<>();
        UsageLedger.sums(batch).forEach((b, a) -> summed.put(name(b), a));

        assertThat(summed).isEqualTo(expected).hasSize(8);
        assertThat(summed.get(name(UsageLedger.Bucket.of(batch.get(0))))) // a, k1, the hour before
                .isEqualTo(new UsageAmounts(3, 3, 2 + 5 + 8, 128 * 15, 3_000, 30, 60));
    }

    private static String name(UsageLedger.Bucket b) {
        return b.hour() + "/" + b.function() + "/" + b.key();
    }
}

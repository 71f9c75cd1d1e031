package dev.kiln.host.observability;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Usage as Prometheus counters, one series per function in each family (docs/adr/0043): what the
 * record writer committed since the host started, so they rise exactly as {@code GET /api/v1/usage}
 * does. A deleted function's series go away.
 */
final class UsageMetrics {
    private static final int INVOCATIONS = 0;
    private static final int ERRORS = 1;
    private static final int BILLED_MS = 2;
    private static final int MIB_MS = 3;
    private static final int FUEL = 4;
    private static final int BYTES_IN = 5;
    private static final int BYTES_OUT = 6;

    private record FunctionKey(String service, String function) {}

    private final Map<FunctionKey, AtomicLongArray> totals = new ConcurrentHashMap<>();

    /** Adds the usage the writer committed: its records', and that of records it shed. */
    void add(Map<UsageLedger.Bucket, UsageAmounts> sums) {
        sums.forEach(
                (b, a) -> {
                    AtomicLongArray t =
                            totals.computeIfAbsent(
                                    new FunctionKey(b.service(), b.function()),
                                    k -> new AtomicLongArray(7));
                    t.addAndGet(INVOCATIONS, a.invocations());
                    t.addAndGet(ERRORS, a.errors());
                    t.addAndGet(BILLED_MS, a.billedMs());
                    t.addAndGet(MIB_MS, a.mibMs());
                    t.addAndGet(FUEL, a.fuel());
                    t.addAndGet(BYTES_IN, a.bytesIn());
                    t.addAndGet(BYTES_OUT, a.bytesOut());
                });
    }

    void forget(String service, String function) {
        totals.remove(new FunctionKey(service, function));
    }

    void register(Metrics metrics) {
        counter(
                metrics,
                "kiln_usage_invocations_total",
                "Metered invocations (records written), as GET /api/v1/usage counts them.",
                INVOCATIONS,
                1);
        counter(
                metrics,
                "kiln_usage_errors_total",
                "Metered invocations that ended in an error.",
                ERRORS,
                1);
        counter(
                metrics,
                "kiln_usage_billed_seconds_total",
                "Billed duration: each invocation rounded up to the next whole millisecond.",
                BILLED_MS,
                1000);
        counter(
                metrics,
                // Base units, as Prometheus asks (promtool refuses "gb"): the usage API's
                // GB-seconds are this divided by 2^30 (docs/adr/0047).
                "kiln_usage_memory_byte_seconds_total",
                "Memory setting in bytes times billed seconds (GiB-seconds times 2^30).",
                MIB_MS,
                1000.0 / (1024 * 1024));
        counter(metrics, "kiln_usage_fuel_total", "Fuel used by metered invocations.", FUEL, 1);
        counter(
                metrics,
                "kiln_usage_bytes_in_total",
                "Payload bytes of metered invocations.",
                BYTES_IN,
                1);
        counter(
                metrics,
                "kiln_usage_bytes_out_total",
                "Response body bytes of metered invocations.",
                BYTES_OUT,
                1);
    }

    private void counter(Metrics metrics, String name, String help, int index, double divisor) {
        metrics.counter(
                name,
                help,
                List.of("service", "function"),
                sink ->
                        totals.forEach(
                                (k, t) ->
                                        sink.add(
                                                t.get(index) / divisor,
                                                k.service(),
                                                k.function())));
    }
}

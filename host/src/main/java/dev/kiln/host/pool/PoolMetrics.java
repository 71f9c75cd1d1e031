package dev.kiln.host.pool;

import dev.kiln.host.observability.Metrics;
import java.util.List;

/**
 * What {@link InstancePool} publishes on {@code GET /metrics}: its counters (registered when the
 * pool is built, incremented by it) and its gauges (read from it at every scrape).
 */
final class PoolMetrics {
    final Metrics.Counter created;
    final Metrics.Counter discarded;
    final Metrics.Counter compilations;

    PoolMetrics(Metrics metrics) {
        this.created =
                metrics.counter(
                        "kiln_instances_created_total",
                        "Guest instances created, by why: request (no idle instance), refill"
                                + " (keeping minInstances), trial (upload check).",
                        "reason");
        this.discarded =
                metrics.counter(
                        "kiln_instances_discarded_total",
                        "Guest instances closed, by why: failed, not_resettable, drained,"
                                + " idle_ttl, evicted (host instance limit), over_limit,"
                                + " memory_budget (evicted, or not kept, for the memory budget).",
                        "reason");
        this.compilations =
                metrics.counter(
                        "kiln_compilations_total",
                        "Modules compiled to JVM bytecode, by where the code came from:"
                                + " compiled, disk (the compiled-code cache of an earlier run), or"
                                + " shared (a loaded module with the same code and other data).",
                        "source");
    }

    /** Registers the gauges that read {@code pool} (after the counters, as before). */
    static void gauges(Metrics metrics, InstancePool pool, PoolLimits limits) {
        metrics.gauge(
                "kiln_pool_instances",
                "Instances of each function's active pool, by state (idle, busy).",
                List.of("service", "function", "state"),
                sink ->
                        pool.forEachFunction(
                                (function, stats) -> {
                                    sink.add(
                                            stats.idle(),
                                            function.service(),
                                            function.function(),
                                            "idle");
                                    sink.add(
                                            stats.leased(),
                                            function.service(),
                                            function.function(),
                                            "busy");
                                }));
        metrics.gauge(
                "kiln_instances",
                "Guest instances alive on this host (idle, busy or being created).",
                List.of(),
                sink -> sink.add(pool.liveInstances()));
        metrics.gauge(
                "kiln_instances_limit",
                "The host-wide instance limit.",
                List.of(),
                sink -> sink.add(limits.maxInstances()));
        metrics.gauge(
                "kiln_instances_leased",
                "Instances out on lease to an invocation, including those of draining pools.",
                List.of(),
                sink -> sink.add(pool.leasedInstances()));
        metrics.gauge(
                "kiln_compiled_modules",
                "Compiled modules held in memory.",
                List.of(),
                sink -> sink.add(pool.compiledCount()));
        metrics.gauge(
                "kiln_snapshot_bytes",
                "Heap bytes of post-init memory snapshots, one per function version (zero pages"
                        + " are not stored).",
                List.of(),
                sink -> sink.add(pool.memoryBudget().used(MemoryBudget.Kind.SNAPSHOTS)));
    }
}

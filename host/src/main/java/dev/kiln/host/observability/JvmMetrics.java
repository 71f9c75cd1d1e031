package dev.kiln.host.observability;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.List;

/**
 * The JVM's and the process's own gauges and counters (heap, GC, threads, CPU, file descriptors),
 * read from the platform MXBeans when metrics are scraped: nothing is kept or updated meanwhile.
 * Names follow the Prometheus Java client's, so existing dashboards read them.
 */
public final class JvmMetrics {
    private JvmMetrics() {}

    public static void register(Metrics metrics) {
        var memory = ManagementFactory.getMemoryMXBean();
        metrics.gauge(
                "jvm_memory_bytes_used",
                "Bytes of JVM memory in use, by area (heap, nonheap).",
                List.of("area"),
                sink -> {
                    sink.add(memory.getHeapMemoryUsage().getUsed(), "heap");
                    sink.add(memory.getNonHeapMemoryUsage().getUsed(), "nonheap");
                });
        metrics.gauge(
                "jvm_memory_bytes_committed",
                "Bytes of JVM memory committed, by area (heap, nonheap).",
                List.of("area"),
                sink -> {
                    sink.add(memory.getHeapMemoryUsage().getCommitted(), "heap");
                    sink.add(memory.getNonHeapMemoryUsage().getCommitted(), "nonheap");
                });
        metrics.gauge(
                "jvm_memory_bytes_max",
                "Most bytes the JVM may use for the area (heap; nonheap -1 when unbounded).",
                List.of("area"),
                sink -> {
                    sink.add(max(memory.getHeapMemoryUsage()), "heap");
                    sink.add(max(memory.getNonHeapMemoryUsage()), "nonheap");
                });
        var threads = ManagementFactory.getThreadMXBean();
        metrics.gauge(
                "jvm_threads_current",
                "Live JVM threads (Kiln's workers, IO threads and the rest).",
                List.of(),
                sink -> sink.add(threads.getThreadCount()));
        metrics.gauge(
                "jvm_threads_daemon",
                "Live daemon threads.",
                List.of(),
                sink -> sink.add(threads.getDaemonThreadCount()));
        metrics.gauge(
                "jvm_threads_peak",
                "Most live threads since the JVM started.",
                List.of(),
                sink -> sink.add(threads.getPeakThreadCount()));
        List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
        metrics.counter(
                "jvm_gc_collection_seconds_total",
                "Time spent in garbage collection, by collector.",
                List.of("gc"),
                sink -> {
                    for (GarbageCollectorMXBean gc : collectors) {
                        sink.add(Math.max(0, gc.getCollectionTime()) / 1000.0, gc.getName());
                    }
                });
        metrics.counter(
                "jvm_gc_collections_total",
                "Garbage collections, by collector.",
                List.of("gc"),
                sink -> {
                    for (GarbageCollectorMXBean gc : collectors) {
                        sink.add(Math.max(0, gc.getCollectionCount()), gc.getName());
                    }
                });
        var runtime = ManagementFactory.getRuntimeMXBean();
        metrics.gauge(
                "process_start_time_seconds",
                "When the process started, in seconds since the Unix epoch.",
                List.of(),
                sink -> sink.add(runtime.getStartTime() / 1000.0));
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            metrics.counter(
                    "process_cpu_seconds_total",
                    "CPU time the process used, user and system.",
                    List.of(),
                    sink -> sink.add(Math.max(0, os.getProcessCpuTime()) / 1e9));
            if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
                metrics.gauge(
                        "process_open_fds",
                        "Open file descriptors (sockets, SQLite files, module files).",
                        List.of(),
                        sink -> sink.add(unix.getOpenFileDescriptorCount()));
                metrics.gauge(
                        "process_max_fds",
                        "The process's file descriptor limit.",
                        List.of(),
                        sink -> sink.add(unix.getMaxFileDescriptorCount()));
            }
        }
    }

    private static long max(MemoryUsage usage) {
        return usage.getMax();
    }
}

package dev.kiln.perf;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * CPU the invocation-records writer thread spends per record (issue 21 items 1 and 2): a real host
 * in this JVM, {@code connections} keep-alive connections each sending echo requests to {@code
 * /invoke} in a closed loop, and the writer thread's CPU time divided by the requests sent. Each
 * request is one record; batching is what moves the figure.
 *
 * <pre>java -cp perf/target/kiln-benchmarks.jar dev.kiln.perf.RecordWriterProbe [connections]
 * [requests per connection per round] [rounds]</pre>
 */
public final class RecordWriterProbe {
    private static final String WRITER_THREAD = "kiln-record-writer";

    private RecordWriterProbe() {}

    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ExecutorService clients = Executors.newFixedThreadPool(connections);
        try (AllocationPerRequest host = AllocationPerRequest.start()) {
            long writer = writerThreadId();
            for (int round = 0; round < rounds; round++) {
                long cpuBefore = threads.getThreadCpuTime(writer);
                long start = System.nanoTime();
                List<Future<Long>> running = new ArrayList<>();
                for (int c = 0; c < connections; c++) {
                    // invoke() sends `requests` to warm up, then `requests` measured: 2 × records
                    running.add(clients.submit(() -> host.invoke(requests, 16)));
                }
                for (Future<Long> f : running) {
                    f.get();
                }
                long sent = 2L * connections * requests;
                double seconds = (System.nanoTime() - start) / 1e9;
                double micros = (threads.getThreadCpuTime(writer) - cpuBefore) / 1e3 / sent;
                System.out.printf(
                        "round %d: %d records at %.0f/s, record writer CPU %.2f µs per record%n",
                        round, sent, sent / seconds, micros);
            }
        } finally {
            clients.shutdownNow();
        }
    }

    private static long writerThreadId() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(WRITER_THREAD)) {
                return t.threadId();
            }
        }
        throw new IllegalStateException("no " + WRITER_THREAD + " thread");
    }
}

package dev.kiln.host.cli;

import ch.qos.logback.classic.Level;
import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.TempDirectory;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before {@code kiln serve} opens its port: the training workload sent to a throwaway server in the
 * same JVM, so that the request path a user's first invocation takes — the body read, the hand-off
 * to a worker, the answer, the record — runs code the JIT has compiled instead of the interpreter
 * (issue 21 item 6, docs/adr/0083). The throwaway server has a temporary data directory and a
 * loopback port of its own and is closed before the served one starts: no user's records, usage,
 * metrics or keys see it.
 */
final class ServeWarmup {
    private static final Logger log = LoggerFactory.getLogger(ServeWarmup.class);

    private ServeWarmup() {}

    /**
     * Runs the warm-up; a failure is logged, never fatal (only the first requests' speed depends on
     * it).
     *
     * @param served the configuration of the server about to start: the warm-up's server runs its
     *     worker mode and threads, reset strategy and compile time, so the path warmed is the one
     *     it will take
     * @param requests invocations of each kind
     * @return whether every request was answered as expected
     */
    static boolean run(KilnConfig served, int requests) {
        long start = System.nanoTime();
        try (TempDirectory data = TempDirectory.create("kiln-serve-warmup")) {
            KilnConfig config =
                    KilnConfig.builder()
                            .host("127.0.0.1")
                            .port(0)
                            .dataDir(data.path())
                            .workerMode(served.workerMode())
                            .workerThreads(served.workerThreads())
                            .resetStrategy(served.resetStrategy())
                            .compileAt(served.compileAt())
                            .build();
            Runnable restoreInfo = holdBackInfo(LoggerFactory.getLogger("dev.kiln"));
            try (KilnHost host = KilnHost.start(config)) {
                new TrainingWorkload(requests, requests)
                        .drive(host.port(), host.adminToken().token(), true);
            } finally {
                restoreInfo.run();
            }
            log.info(
                    "warmed the HTTP request path with {} requests of each kind in {} ms",
                    requests,
                    (System.nanoTime() - start) / 1_000_000);
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("warming the HTTP request path failed: {}", e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Holds back Kiln's INFO lines while the throwaway server runs (its secrets key, its deploys,
     * its restored code would read as the served server's); returns what puts them back. Warnings
     * still show, and so does everything when the operator asked for DEBUG. Changing a shared level
     * is safe here: serve has nothing else running yet.
     */
    private static Runnable holdBackInfo(Logger kiln) {
        if (kiln instanceof ch.qos.logback.classic.Logger logback
                && logback.getEffectiveLevel() == Level.INFO) {
            Level before = logback.getLevel();
            logback.setLevel(Level.WARN);
            return () -> logback.setLevel(before);
        }
        return () -> {};
    }
}

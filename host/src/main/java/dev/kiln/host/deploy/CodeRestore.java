package dev.kiln.host.deploy;

import dev.kiln.host.pool.MemoryBudget;
import dev.kiln.host.pool.MemoryBudgetException;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.registry.VersionInfo;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the compiled code of every version stored functions run back into memory after a start, on
 * a thread of its own, so that their first invocations find it as an upload left it
 * (docs/adr/0068). Stops at half the memory budget, and when the host closes.
 */
final class CodeRestore {
    private static final Logger log = LoggerFactory.getLogger(CodeRestore.class);

    private final Registry registry;
    private final Deployer deployer;
    private final MemoryBudget budget;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean closing;

    private CodeRestore(Registry registry, Deployer deployer, MemoryBudget budget) {
        this.registry = registry;
        this.deployer = deployer;
        this.budget = budget;
    }

    static CodeRestore start(Registry registry, Deployer deployer, MemoryBudget budget) {
        var restore = new CodeRestore(registry, deployer, budget);
        Thread t = new Thread(restore::run, "kiln-code-restore");
        t.setDaemon(true);
        t.start();
        return restore;
    }

    private void run() {
        long start = System.nanoTime();
        int restored = 0;
        String stoppedBy = null;
        try {
            all:
            for (String service : registry.services()) {
                for (FunctionInfo f : registry.functions(service)) {
                    for (VersionInfo v : registry.referencedVersions(service, f.name())) {
                        if (closing) {
                            stoppedBy = "the host closing";
                            break all;
                        }
                        // Room for instances first: code restored here is held until evicted.
                        if (budget.used() > budget.limitBytes() / 2) {
                            stoppedBy = "half the memory budget in use";
                            break all;
                        }
                        try {
                            if (deployer.restoreCode(service, f.name(), v)) {
                                restored++;
                            }
                        } catch (MemoryBudgetException e) {
                            stoppedBy = "the memory budget";
                            break all;
                        } catch (RuntimeException e) {
                            // Closing fails a load under way; the next turn stops. Otherwise
                            // the first invocation will compile it and answer the reason.
                            if (!closing) {
                                log.warn(
                                        "could not restore the code of {}/{} version {}: {}",
                                        service,
                                        f.name(),
                                        v.number(),
                                        e.getMessage());
                            }
                        }
                    }
                }
            }
        } finally {
            done.countDown();
        }
        log.info(
                "restored the compiled code of {} function versions in {} ms{}",
                restored,
                (System.nanoTime() - start) / 1_000_000,
                stoppedBy == null ? "" : "; stopped by " + stoppedBy);
    }

    /** Whether the restore finished (or stopped) within {@code timeout}. */
    boolean await(Duration timeout) throws InterruptedException {
        return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Stops after the version being loaded, waiting up to {@code timeout} for it. */
    void close(Duration timeout) {
        closing = true;
        try {
            await(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

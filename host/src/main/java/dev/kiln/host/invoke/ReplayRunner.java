package dev.kiln.host.invoke;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.replay.JournalEntry;
import dev.kiln.host.replay.Recording;
import dev.kiln.host.replay.ReplayResult;
import dev.kiln.host.replay.Replayer;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestFailures;
import dev.kiln.host.sandbox.InitialState;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.SandboxResult;
import dev.kiln.host.sandbox.WasiCgiRun;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;

/**
 * Runs a {@link Recording} again on the calling thread (docs/adr/0041): a new instance of the
 * recorded code (its start function and {@code kiln_init} run anew, outside any pool), the recorded
 * context, HTTP metadata and payload, and a {@link Replayer} answering every nondeterministic call
 * from the journal — so a replay reads no clock, touches no key-value store and calls nothing out.
 * The recorded deadline and fuel apply. Then it compares what came out with what was recorded.
 */
public final class ReplayRunner implements AutoCloseable {
    /** Replays running at once on one host: each holds a full instance outside every pool. */
    public static final int MAX_CONCURRENT = 2;

    private final InvocationLimits limits;
    private final ScheduledExecutorService deadlines;
    private final Semaphore slots = new Semaphore(MAX_CONCURRENT);

    public ReplayRunner(InvocationLimits limits) {
        this.limits = limits;
        ScheduledThreadPoolExecutor timer =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "kiln-replay-deadlines");
                            t.setDaemon(true);
                            return t;
                        });
        timer.setRemoveOnCancelPolicy(true);
        this.deadlines = Executors.unconfigurableScheduledExecutorService(timer);
    }

    /**
     * Replays {@code r} on {@code module} (compiled from the recorded code under the recorded
     * handler, memory and ABI).
     *
     * @param secretOverrides values for secrets the recording holds redacted
     * @param grants a wasi-cgi function's read-only directories (files are not recorded)
     * @throws KilnException {@code overloaded} when {@link #MAX_CONCURRENT} replays are running
     */
    public ReplayResult run(
            Recording r,
            CompiledModule module,
            Map<String, String> secretOverrides,
            Map<String, Path> grants,
            List<Path> grantRoots) {
        if (!slots.tryAcquire()) {
            throw new KilnException(
                    ErrorCode.OVERLOADED,
                    MAX_CONCURRENT + " replays are running on this host; retry later");
        }
        try {
            Replayer replayer = new Replayer(r.journal(), secretOverrides);
            boolean wasi = module.abi() == Abi.WASI_CGI;
            var context =
                    new InvocationContext(
                            r.requestId(),
                            r.service(),
                            r.function(),
                            r.sha256(),
                            r.trigger(),
                            r.deadlineEpochMillis(),
                            r.http(),
                            wasi ? environment(r, secretOverrides) : Map.of(),
                            replayer.kv(),
                            replayer,
                            replayer.outbound(r.outboundLimits()));
            SandboxResult result =
                    DeadlineGuard.call(
                            deadlines,
                            r.timeoutMs() * 1_000_000L,
                            () -> {
                                try {
                                    if (wasi) {
                                        return WasiCgiRun.run(
                                                module,
                                                context,
                                                r.payload(),
                                                limits,
                                                r.fuelBudget(),
                                                grants,
                                                grantRoots);
                                    }
                                    return module.instantiate(new InitialState())
                                            .invoke(context, r.payload(), limits, r.fuelBudget());
                                } catch (Throwable t) { // start or init code, or the deadline
                                    GuestFailures.rethrowIfHostFatal(t);
                                    return new SandboxResult(
                                            GuestFailures.classify(t), List.of(), false, 0);
                                }
                            });
            return ReplayResult.of(
                    r.result(),
                    Recording.Result.of(result.outcome(), result.fuel()),
                    replayer.finish(),
                    r.secretsRedacted());
        } finally {
            slots.release();
        }
    }

    /** The recorded environment's config; a redacted secret takes its override, or is left out. */
    private static Map<String, String> environment(
            Recording r, Map<String, String> secretOverrides) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JournalEntry.Config c : r.environment()) {
            String v = c.value() != null ? c.value() : secretOverrides.get(c.key());
            if (v != null) {
                env.put(c.key(), v);
            }
        }
        return env;
    }

    @Override
    public void close() {
        deadlines.shutdownNow();
    }
}

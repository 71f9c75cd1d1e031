package dev.kiln.host.invoke;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.observability.InvocationRecord;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.StartKind;
import dev.kiln.host.pool.VersionKey;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.GuestFailures;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.SandboxResult;
import dev.kiln.host.sandbox.WasiCgiRun;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs invocations: finds the function, takes an instance, runs it on a worker thread under the
 * function's deadline, and records the outcome. Triggers call {@link #submit}.
 */
public final class Invoker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Invoker.class);

    private final KilnConfig config;
    private final Registry registry;
    private final InstancePool pool;
    private final InvocationStore records;
    private final InvocationLimits limits;
    private final GuestExecutor workers;
    private final ConcurrencyLimits concurrency = new ConcurrencyLimits();
    private final ScheduledExecutorService deadlines;

    public Invoker(
            KilnConfig config, Registry registry, InstancePool pool, InvocationStore records) {
        this.config = config;
        this.registry = registry;
        this.pool = pool;
        this.records = records;
        this.limits = new InvocationLimits(config.effectLimits(), config.maxResponseBytes());
        this.workers = new GuestExecutor(config);
        ScheduledThreadPoolExecutor timer =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "kiln-deadlines");
                            t.setDaemon(true);
                            return t;
                        });
        timer.setRemoveOnCancelPolicy(true);
        this.deadlines = Executors.unconfigurableScheduledExecutorService(timer);
    }

    /**
     * Queues {@code request}; {@code done} receives the result on a worker thread, or at once on
     * the caller's thread when the queue is full.
     *
     * @throws KilnException {@code function_not_found} when no such function exists
     */
    public void submit(InvocationRequest request, Consumer<InvocationResult> done) {
        FunctionInfo function = registry.require(request.service(), request.function());
        Semaphore slots = concurrency.slotsFor(function);
        // Like Lambda's reserved concurrency: over the function's limit is throttled at once.
        if (slots != null && !slots.tryAcquire()) {
            done.accept(
                    overloaded(
                            request,
                            "function "
                                    + function.service()
                                    + "/"
                                    + function.name()
                                    + " is at its maxConcurrency of "
                                    + function.settings().maxConcurrency()));
            return;
        }
        try {
            workers.execute(
                    () -> {
                        InvocationResult result;
                        try {
                            result = run(request, function);
                        } finally {
                            // Before answering: a client that sends its next call as soon as it
                            // has this answer must find the slot free.
                            if (slots != null) {
                                slots.release();
                            }
                        }
                        done.accept(result);
                    });
        } catch (RejectedExecutionException e) {
            if (slots != null) {
                slots.release();
            }
            done.accept(overloaded(request, "too many invocations are waiting; retry later"));
        }
    }

    private static InvocationResult overloaded(InvocationRequest request, String message) {
        return new InvocationResult(
                request.requestId(), new InvocationOutcome.Overloaded(message), 0, 0, 0, null);
    }

    /**
     * Instantiates {@code key}'s module once, under {@code timeoutMs}, as an upload check: start
     * code, {@code kiln_init} and the ABI version must all succeed.
     */
    public Trial tryInstantiate(VersionKey key, byte[] wasm, long timeoutMs) {
        long capped = Math.min(timeoutMs, config.maxTimeout().toMillis());
        return DeadlineGuard.call(
                deadlines,
                capped * 1_000_000L,
                () -> {
                    try {
                        if (key.rules().abi() == Abi.WASI_CGI) {
                            WasiCgiRun.trial(pool.code(key, () -> wasm).module());
                            return new Trial(null, null);
                        }
                        return new Trial(pool.acquire(key, () -> wasm), null);
                    } catch (KilnException e) {
                        return new Trial(null, new InvocationOutcome.Trap(e.getMessage()));
                    } catch (Throwable t) {
                        GuestFailures.rethrowIfHostFatal(t);
                        return new Trial(null, GuestFailures.classify(t));
                    }
                });
    }

    /**
     * A trial instantiation's result: the instance (for the caller to release into the pool once
     * the function is stored; null for wasi-cgi, which never pools) or why it failed.
     */
    public record Trial(InstancePool.Lease lease, InvocationOutcome.Failure failure) {}

    /** The function's fuel setting, or one derived from its timeout; capped host-wide. */
    private long fuelBudget(FunctionSettings settings, long timeoutMs) {
        long derived =
                timeoutMs > Long.MAX_VALUE / config.fuelPerMs()
                        ? Long.MAX_VALUE
                        : timeoutMs * config.fuelPerMs();
        return Math.min(settings.fuel() > 0 ? settings.fuel() : derived, config.maxFuel());
    }

    /** Directories a wasi-cgi function may read, by guest path. */
    private static Map<String, Path> grants(FunctionSettings settings) {
        if (settings.wasiReadOnlyDirs().isEmpty()) {
            return Map.of();
        }
        Map<String, Path> out = new LinkedHashMap<>();
        settings.wasiReadOnlyDirs().forEach((guest, host) -> out.put(guest, Path.of(host)));
        return out;
    }

    private InvocationResult run(InvocationRequest request, FunctionInfo function) {
        MDC.put("requestId", request.requestId());
        try {
            return runWithDeadline(request, function);
        } finally {
            MDC.remove("requestId");
        }
    }

    private InvocationResult runWithDeadline(InvocationRequest request, FunctionInfo function) {
        FunctionSettings settings = function.settings();
        long timeoutMs = Math.min(settings.timeoutMs(), config.maxTimeout().toMillis());
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        String sha = function.latest().sha256();
        var key = VersionKey.of(sha, settings, config.moduleLimits());
        var context =
                new InvocationContext(
                        request.requestId(),
                        request.service(),
                        request.function(),
                        sha,
                        request.trigger(),
                        startedAt.toEpochMilli() + timeoutMs,
                        request.http(),
                        settings.env());
        StartKind[] startKind = {null};
        SandboxResult result =
                DeadlineGuard.call(
                        deadlines,
                        timeoutMs * 1_000_000L,
                        () -> {
                            try {
                                if (key.rules().abi() == Abi.WASI_CGI) {
                                    // A new instance per invocation: nothing is pooled or reset.
                                    var code = pool.code(key, () -> registry.readModule(sha));
                                    startKind[0] = code.startKind();
                                    return WasiCgiRun.run(
                                            code.module(),
                                            context,
                                            request.payload(),
                                            limits,
                                            fuelBudget(settings, timeoutMs),
                                            grants(settings));
                                }
                                InstancePool.Lease lease =
                                        pool.acquire(key, () -> registry.readModule(sha));
                                startKind[0] = lease.startKind();
                                SandboxResult r =
                                        lease.instance()
                                                .invoke(
                                                        context,
                                                        request.payload(),
                                                        limits,
                                                        fuelBudget(settings, timeoutMs));
                                pool.release(lease);
                                return r;
                            } catch (Throwable t) { // guest start/init code or the deadline
                                GuestFailures.rethrowIfHostFatal(t);
                                return new SandboxResult(
                                        GuestFailures.classify(t), List.of(), false, 0);
                            }
                        });
        long micros = (System.nanoTime() - start) / 1_000;
        InvocationResult outcome =
                new InvocationResult(
                        request.requestId(),
                        result.outcome(),
                        function.latest().number(),
                        micros,
                        result.fuel(),
                        startKind[0]);
        record(request, function, startedAt, outcome, result);
        return outcome;
    }

    private void record(
            InvocationRequest request,
            FunctionInfo function,
            Instant startedAt,
            InvocationResult outcome,
            SandboxResult result) {
        String code;
        int status;
        long bytesOut = 0;
        String message = null;
        if (result.outcome() instanceof InvocationOutcome.Ok ok) {
            code = "ok";
            status = "http".equals(request.trigger()) ? ok.status() : 200;
            bytesOut = ok.body().length;
        } else {
            var failure = (InvocationOutcome.Failure) result.outcome();
            code = failure.code().wire();
            status = failure.code().httpStatus();
            message = failure.message();
            MDC.put("outcome", code);
            log.info(
                    "invocation of {}/{} failed: {}",
                    request.service(),
                    request.function(),
                    message);
            MDC.remove("outcome");
        }
        boolean accepted =
                records.submit(
                        new InvocationRecord(
                                request.requestId(),
                                request.service(),
                                request.function(),
                                function.latest().number(),
                                function.latest().sha256(),
                                request.trigger(),
                                startedAt,
                                outcome.durationMicros(),
                                code,
                                status,
                                request.payload().length,
                                bytesOut,
                                outcome.fuel(),
                                outcome.startKind() == null ? null : outcome.startKind().wire(),
                                message,
                                result.logs(),
                                result.logTruncated(),
                                request.attempt()));
        if (!accepted) {
            log.warn("invocation record dropped: the record queue is full");
        }
    }

    @Override
    public void close() {
        workers.close();
        deadlines.shutdownNow();
    }
}

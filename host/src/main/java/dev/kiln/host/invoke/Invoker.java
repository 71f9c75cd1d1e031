package dev.kiln.host.invoke;

import dev.kiln.abi.InvocationContext;
import dev.kiln.abi.KvBucket;
import dev.kiln.abi.OutboundHttp;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.kv.KvStore;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.observability.Tracing;
import dev.kiln.host.outbound.Outbound;
import dev.kiln.host.pool.InstanceLimitException;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.MemoryBudgetException;
import dev.kiln.host.pool.PoolSpec;
import dev.kiln.host.pool.StartKind;
import dev.kiln.host.pool.VersionKey;
import dev.kiln.host.quota.ServiceAdmission;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.Qualifier;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.registry.Target;
import dev.kiln.host.replay.RecordingStore;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestFailures;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.SandboxResult;
import dev.kiln.host.sandbox.WasiCgiRun;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.MDC;

/**
 * Runs invocations: finds the function, takes an instance, runs it on a worker thread under the
 * function's deadline, and records the outcome. Triggers call {@link #submit}.
 */
public final class Invoker implements AutoCloseable {
    private final KilnConfig config;
    private final Registry registry;
    private final InstancePool pool;
    private final InvocationLimits limits;
    private final GuestExecutor workers;
    private final ConcurrencyLimits concurrency;
    private final ScheduledExecutorService deadlines;
    private final Metrics.Counter starts;
    private final Metrics.Counter overloads;
    private final Metrics.Counter rateLimited;
    private final Metrics.Histogram durations;

    /**
     * Buckets of {@code kiln_invocation_duration_seconds}: 0.5 ms to 5 min, a 1-2.5-5 ladder, so
     * echo-class functions and timeouts both land inside a bucket.
     */
    static final double[] DURATION_BUCKETS = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300
    };

    private final ServiceAdmission admission;
    private final KvStore kv;
    private final Outbound outbound;
    private final GuestConfigs guestConfigs;
    private final Recordings recordings;
    private final InvocationRecords records;
    private final Tracing tracing;
    private final GuestRun guestRun;

    /** An invoker without quotas, secrets or key-value stores (benchmarks embed this one). */
    public Invoker(
            KilnConfig config, Registry registry, InstancePool pool, InvocationStore records) {
        this(config, registry, pool, records, new Metrics(), null, SecretSource.NONE, null);
    }

    /**
     * @param admission service quotas (concurrency and rate), or null for none
     * @param secrets the functions' secrets, read with their config
     * @param kv the services' key-value stores the guests reach through {@code kv_*}, or null for
     *     none (the calls return {@code ERR_UNAVAILABLE})
     */
    public Invoker(
            KilnConfig config,
            Registry registry,
            InstancePool pool,
            InvocationStore records,
            Metrics metrics,
            ServiceAdmission admission,
            SecretSource secrets,
            KvStore kv) {
        this(config, registry, pool, records, metrics, admission, secrets, kv, null, null, null);
    }

    /**
     * @param recordings where recorded invocations go (docs/adr/0041), or null to record none
     * @param outbound the guests' outbound HTTP ({@code http_send}), or null for none (every
     *     request denied)
     * @param tracing where the spans of traced invocations go (docs/adr/0047); null or {@link
     *     Tracing#OFF} makes none
     */
    public Invoker(
            KilnConfig config,
            Registry registry,
            InstancePool pool,
            InvocationStore records,
            Metrics metrics,
            ServiceAdmission admission,
            SecretSource secrets,
            KvStore kv,
            RecordingStore recordings,
            Outbound outbound,
            Tracing tracing) {
        this.tracing = tracing == null ? Tracing.OFF : tracing;
        this.kv = kv;
        this.recordings = new Recordings(recordings, config.maxRecordingBytes(), metrics);
        this.outbound = outbound;
        this.admission = admission;
        this.guestConfigs = new GuestConfigs(secrets);
        this.config = config;
        this.registry = registry;
        this.pool = pool;
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
        this.concurrency = new ConcurrencyLimits(deadlines, config.functionQueue());
        this.records = new InvocationRecords(records, metrics);
        this.starts =
                metrics.counter(
                        "kiln_invocation_starts_total",
                        "Invocations by how their instance was obtained (X-Kiln-Start): pool (a"
                                + " ready instance), warm (instantiated now), cold (code compiled"
                                + " or loaded now).",
                        "service",
                        "function",
                        "start");
        this.overloads =
                metrics.counter(
                        "kiln_overloaded_total",
                        "Invocations refused with overloaded, by why: queue_full, queue_timeout"
                            + " (waited queueWait at a concurrency limit, for a worker or for an"
                            + " instance being created), workers_busy (host queue full),"
                            + " instance_limit, memory_budget.",
                        "service",
                        "function",
                        "reason");
        this.rateLimited =
                metrics.counter(
                        "kiln_rate_limited_total",
                        "Invocations refused with rate_limited, by why: rate (the service's"
                                + " maxInvocationsPerSecond), concurrency (its maxConcurrency).",
                        "service",
                        "reason");
        this.durations =
                metrics.histogram(
                        "kiln_invocation_duration_seconds",
                        "How long invocations ran (instance acquisition and guest run), per"
                                + " function: one series per function, whatever the outcome.",
                        DURATION_BUCKETS,
                        "service",
                        "function");
        this.guestRun = new GuestRun(pool, config.wasiDirRoots(), overloads);
        metrics.gauge(
                "kiln_workers_busy",
                "Worker threads running an invocation now.",
                List.of(),
                sink -> sink.add(workers.busy()));
        metrics.gauge(
                "kiln_workers_queued",
                "Invocations waiting for a free worker thread.",
                List.of(),
                sink -> sink.add(workers.queued()));
        metrics.gauge(
                "kiln_invocations_waiting",
                "Invocations waiting at their function's concurrency limit.",
                java.util.List.of(),
                sink -> sink.add(concurrency.waiting()));
    }

    /**
     * Queues {@code request}; {@code done} receives the result on a worker thread, or at once on
     * the caller's thread when it is refused.
     *
     * <p>An invocation runs when its function is under its concurrency limit (the smaller of
     * maxConcurrency and maxInstances) and a worker is free. Until then it waits, at most {@code
     * queueWait} in all, in a bounded queue; past that it is answered {@code overloaded}.
     *
     * @throws KilnException {@code function_not_found} when no such function exists; {@code
     *     version_not_found}, {@code alias_not_found} or {@code bad_request} for a qualifier or pin
     *     that selects no version
     */
    public void submit(InvocationRequest request, Consumer<InvocationResult> answer) {
        // The version is chosen here, once per invocation: an alias's weights apply per request.
        Target target =
                registry.target(
                        request.service(),
                        request.function(),
                        Qualifier.parse(request.qualifier()),
                        request.pin(),
                        ThreadLocalRandom.current().nextDouble());
        FunctionInfo function = target.function();
        InvocationSpan span = InvocationSpan.start(tracing, request, System.nanoTime());
        Consumer<InvocationResult> answered = span == null ? answer : span.ending(answer);
        Consumer<InvocationResult> done = answered;
        if (admission != null) {
            // No pattern switch: it spins a class at its first run after a start (docs/adr/0079).
            ServiceAdmission.Decision decision = admission.admit(function.service());
            if (decision instanceof ServiceAdmission.Refusal r) {
                rateLimited.inc(function.service(), r.reason());
                answered.accept(
                        new InvocationResult(
                                request.requestId(),
                                new InvocationOutcome.RateLimited(
                                        r.message(), r.retryAfterSeconds()),
                                0,
                                0,
                                0,
                                null));
                return;
            }
            ServiceAdmission.Admitted a = (ServiceAdmission.Admitted) decision;
            // The service's slot is freed before the answer goes out, like the function's.
            done =
                    result -> {
                        a.release();
                        answered.accept(result);
                    };
        }
        long waitEnd = System.nanoTime() + config.queueWait().toNanos();
        var forwarded = request.forwarded(); // waits no longer than its caller's budget (ADR 0056)
        long deadline =
                forwarded != null && forwarded.deadlineNanos() - waitEnd < 0
                        ? forwarded.deadlineNanos()
                        : waitEnd;
        int limit = concurrencyLimit(function.settings());
        ConcurrencyLimits.Gate gate =
                concurrency.gate(new FunctionName(function.service(), function.name()), limit);
        Consumer<InvocationResult> finish = done;
        Runnable start = () -> dispatch(request, target, deadline, gate, span, finish);
        if (gate == null) {
            start.run();
            return;
        }
        gate.enter(
                limit,
                deadline,
                start,
                refusal ->
                        finish.accept(
                                overloaded(
                                        request,
                                        function,
                                        refusal == ConcurrencyLimits.Refusal.QUEUE_FULL
                                                ? OverloadReason.QUEUE_FULL
                                                : OverloadReason.QUEUE_TIMEOUT,
                                        limitMessage(function, refusal))));
    }

    /**
     * Invocations running on a worker or waiting for one: the capacity in use a cluster node
     * reports in its heartbeat (docs/adr/0048).
     */
    public int inUse() {
        return (int) Math.min(Integer.MAX_VALUE, (long) workers.busy() + workers.queued());
    }

    /** Whether a worker is free now: this node takes invocations forwarded by others (ADR 0056). */
    public boolean hasRoom() {
        return inUse() < config.workerThreads();
    }

    /** Drops a deleted function's concurrency gate and metric series. */
    public void forget(String service, String function) {
        FunctionName name = new FunctionName(service, function);
        concurrency.forget(name);
        guestConfigs.forget(name);
        var labels = Map.of("service", service, "function", function);
        records.forget(labels);
        starts.removeWhere(labels);
        overloads.removeWhere(labels);
        durations.removeWhere(labels);
    }

    /** Functions with a concurrency gate. */
    java.util.Set<FunctionName> gatedFunctions() {
        return concurrency.gated();
    }

    /** The smaller of maxConcurrency and maxInstances that is set, else 0 (no limit). */
    private static int concurrencyLimit(FunctionSettings s) {
        int a = s.maxConcurrency();
        int b = s.maxInstances();
        return a <= 0 ? Math.max(b, 0) : b <= 0 ? a : Math.min(a, b);
    }

    private String limitMessage(FunctionInfo f, ConcurrencyLimits.Refusal refusal) {
        String limit =
                "function "
                        + new FunctionName(f.service(), f.name())
                        + " is at its concurrency limit of "
                        + concurrencyLimit(f.settings());
        return refusal == ConcurrencyLimits.Refusal.QUEUE_FULL
                ? limit + " and " + config.functionQueue() + " invocations are waiting"
                : limit + " and no slot freed within " + config.queueWait().toMillis() + " ms";
    }

    private void dispatch(
            InvocationRequest request,
            Target target,
            long deadline,
            ConcurrencyLimits.Gate gate,
            InvocationSpan span,
            Consumer<InvocationResult> done) {
        try {
            workers.execute(
                    () -> {
                        InvocationSpan.mark(span, InvocationSpan.Phase.WORKER_STARTED);
                        InvocationResult result;
                        try {
                            result =
                                    System.nanoTime() - deadline > 0
                                            ? overloaded(
                                                    request,
                                                    target.function(),
                                                    OverloadReason.QUEUE_TIMEOUT,
                                                    "no worker was free within "
                                                            + config.queueWait().toMillis()
                                                            + " ms")
                                            : run(request, target, deadline, span);
                        } finally {
                            // Before answering: a client that sends its next call as soon as it
                            // has this answer must find the slot free.
                            exit(gate);
                        }
                        done.accept(result);
                    });
        } catch (RejectedExecutionException e) {
            exit(gate);
            done.accept(
                    overloaded(
                            request,
                            target.function(),
                            OverloadReason.WORKERS_BUSY,
                            "too many invocations are waiting; retry later"));
        }
    }

    private static void exit(ConcurrencyLimits.Gate gate) {
        if (gate != null) {
            gate.exit();
        }
    }

    private InvocationResult overloaded(
            InvocationRequest request,
            FunctionInfo function,
            OverloadReason reason,
            String message) {
        overloads.inc(function.service(), function.name(), reason.wire());
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
                            CompiledModule code = pool.code(key, () -> wasm).module();
                            if (!code.pooled()) {
                                WasiCgiRun.trial(code);
                                return new Trial(null, null);
                            }
                        }
                        return new Trial(pool.instantiateDetached(key, () -> wasm), null);
                    } catch (MemoryBudgetException e) {
                        throw e; // not the module's fault: the upload answers 507
                    } catch (KilnException e) {
                        return new Trial(null, new InvocationOutcome.Trap(e.getMessage()));
                    } catch (InstanceLimitException e) {
                        return new Trial(null, new InvocationOutcome.Overloaded(e.getMessage()));
                    } catch (Throwable t) {
                        GuestFailures.rethrowIfHostFatal(t);
                        return new Trial(null, GuestFailures.classify(t));
                    }
                });
    }

    /**
     * A trial instantiation's result: the instance (for the caller to release into the pool once
     * the function is stored; null for a wasi-cgi command with a start function, which is not
     * pooled) or why it failed.
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

    private InvocationResult run(
            InvocationRequest request, Target target, long queueDeadline, InvocationSpan span) {
        MDC.put("requestId", request.requestId());
        try {
            return runWithDeadline(request, target, queueDeadline, span);
        } finally {
            MDC.remove("requestId");
        }
    }

    /**
     * @param queueDeadline when the invocation has waited long enough: it may still wait for an
     *     instance being created for its pool until then (InstancePool.acquire)
     */
    private InvocationResult runWithDeadline(
            InvocationRequest request, Target target, long queueDeadline, InvocationSpan span) {
        FunctionInfo function = target.function();
        FunctionSettings settings = target.settings();
        long timeoutMs = Math.min(settings.timeoutMs(), config.maxTimeout().toMillis());
        if (request.forwarded() != null) { // runs no longer than its caller's budget (ADR 0056)
            long left = (request.forwarded().deadlineNanos() - System.nanoTime()) / 1_000_000;
            timeoutMs = Math.max(1, Math.min(timeoutMs, left));
        }
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        String sha = target.version().sha256();
        PoolSpec spec = PoolSpec.of(function, target.version(), settings, config.moduleLimits());
        boolean wasi = spec.key().rules().abi() == Abi.WASI_CGI;
        long fuelBudget = fuelBudget(settings, timeoutMs);
        Map<String, String> guestConfig = guestConfigs.of(target);
        Recordings.Run recording =
                recordings.begin(
                        request,
                        target,
                        guestConfigs.secretsOf(function),
                        timeoutMs,
                        fuelBudget,
                        startedAt,
                        guestConfig,
                        wasi);
        KvBucket bucket = kv == null ? KvBucket.NONE : kv.bucket(request.service());
        var context =
                new InvocationContext(
                        request.requestId(),
                        request.service(),
                        request.function(),
                        sha,
                        request.trigger(),
                        startedAt.toEpochMilli() + timeoutMs,
                        request.http(),
                        guestConfig,
                        recording.kv(bucket),
                        recording.inputs(),
                        recording.outbound(
                                outbound == null
                                        ? OutboundHttp.NONE
                                        : TracedOutbound.of(
                                                outbound.forInvocation(
                                                        settings.allowedOutboundHosts(),
                                                        startedAt.toEpochMilli() + timeoutMs),
                                                tracing,
                                                request.trace(),
                                                span == null ? null : span.context())));
        GuestRun.Call call =
                new GuestRun.Call(
                        spec,
                        function,
                        settings,
                        () -> registry.readModule(sha),
                        context,
                        request.payload(),
                        fuelBudget,
                        queueDeadline,
                        span);
        GuestRun.Ran ran =
                DeadlineGuard.call(
                        deadlines, timeoutMs * 1_000_000L, () -> guestRun.run(call, limits));
        SandboxResult result = ran.result();
        StartKind startKind = ran.startKind();
        InvocationSpan.mark(span, InvocationSpan.Phase.GUEST_ENDED);
        long micros = (System.nanoTime() - start) / 1_000;
        durations.bind(function.service(), function.name()).observe(micros / 1e6);
        if (startKind != null) {
            starts.inc(function.service(), function.name(), startKind.wire());
        }
        InvocationResult outcome =
                new InvocationResult(
                        request.requestId(),
                        result.outcome(),
                        target.version().number(),
                        micros,
                        result.fuel(),
                        startKind);
        records.write(request, target, startedAt, outcome, result, span);
        recordings.finish(recording, result, startKind != null);
        return outcome;
    }

    /** Where the spans of traced invocations go ({@link Tracing#OFF} when tracing is off). */
    public Tracing tracing() {
        return tracing;
    }

    @Override
    public void close() {
        workers.close();
        deadlines.shutdownNow();
    }
}

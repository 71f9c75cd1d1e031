package dev.kiln.host.config;

import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.host.access.AccessLimits;
import dev.kiln.host.deploy.UploadLimits;
import dev.kiln.host.events.EventLimits;
import dev.kiln.host.kv.KvLimits;
import dev.kiln.host.observability.ObservabilityLimits;
import dev.kiln.host.observability.TracingSettings;
import dev.kiln.host.pool.PoolLimits;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ResetStrategy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything a Kiln host is configured with. Every limit is explicit here; see the limits table in
 * README.md.
 *
 * @param adminToken the management API token, or {@code null} to use (or create) the one stored in
 *     the data directory
 * @param maxUploadBytes largest accepted function upload (module or zip)
 * @param maxPayloadBytes largest invocation payload (event or HTTP body)
 * @param maxResponseBytes largest result a guest may return
 * @param maxTimeout cap on any function's timeout
 * @param maxMemoryMiB cap on any function's memoryMiB
 * @param workerThreads threads that run guest code
 * @param workerQueue invocations that may wait for a worker before {@code overloaded}
 * @param workerStackBytes stack of each worker thread; bounds guest recursion depth
 * @param workerMode platform threads or virtual threads for guest code
 * @param moduleLimits caps on what an uploaded module may declare
 * @param fuelPerMs default fuel budget per millisecond of a function's timeout
 * @param maxFuel cap on any function's fuel budget
 * @param recordsPerFunction invocation records kept per function
 * @param recordMaxAge invocation records older than this are deleted
 * @param wasiDirRoots host directories under which an administrator may grant wasi-cgi functions
 *     read-only directories ({@code wasiReadOnlyDirs}); empty (the default) allows no grants
 * @param eventLimits asynchronous invocation: event size, queue bound, attempts, event age, retry
 *     delays, async workers, triggers
 * @param maxInstances guest instances alive at once on this host, all functions together
 * @param instanceIdleTtl idle instances beyond a function's minInstances are closed after this
 * @param queueWait longest an invocation waits for a worker or for its function's concurrency limit
 *     before {@code overloaded}
 * @param functionQueue invocations of one function that may wait at its concurrency limit
 * @param compileAt whether modules are compiled (and initialised once) at upload or at first use
 * @param resetStrategy how a used instance's memory goes back to its snapshot
 * @param uploadLimits upload checks at once, their queue and their deadline (docs/adr/0029)
 * @param minFreeDiskMiB free space kept on the data directory's disk: below it, writes that add
 *     data answer {@code insufficient_storage} 507 and {@code /healthz} reports the storage full
 * @param memoryBudgetBytes heap that snapshots, instances, compiled code and request buffers may
 *     hold together; beyond it uploads get {@code insufficient_capacity} and invocations that need
 *     a new instance {@code overloaded}, after idle instances are evicted (ADR 0028); default
 *     {@value PoolLimits#DEFAULT_MEMORY_BUDGET_PERCENT} % of the JVM's maximum heap
 * @param httpLimits connections, buffered request bytes and timeouts of the HTTP server
 * @param accessLimits invalid keys per client IP, stored keys, audit retention (docs/adr/0033)
 * @param triggerRatePerIp requests per second one client address may send to the public HTTP
 *     trigger ({@code /fn/...}), a token bucket with a burst of one second's worth; 0 for no limit
 * @param tls HTTPS certificate and key, or null to serve plain HTTP (docs/adr/0034)
 * @param maxRoutes custom-domain routes the host stores at most (docs/adr/0038)
 * @param keepVersions versions kept per function: older ones no alias points at are deleted after
 *     each new version; 0 (the default) keeps all (docs/adr/0037)
 * @param kvLimits what one service's key-value store may hold (docs/adr/0039)
 * @param recordingsPerFunction recorded invocations kept per function for replay; the oldest go
 *     first (docs/adr/0041)
 * @param maxRecordingBytes largest recording kept (payload, result, journal); a bigger one is not
 *     kept and is counted in {@code kiln_recordings_dropped_total}
 * @param observability retention of function statistics and usage, log followers (docs/adr/0043)
 * @param outboundLimits what one invocation may do with outbound HTTP: requests, request body,
 *     response bytes, per-call timeout (docs/adr/0040)
 * @param outboundTrustPem a PEM file of certificates outbound HTTPS trusts besides the JDK's trust
 *     store (a private CA; tests trust their self-signed server with it), or null for the JDK's
 *     only
 * @param cluster cluster mode on NATS JetStream (docs/adr/0048), or null for the embedded single
 *     node
 * @param tracing where spans go, by OTLP; off by default (docs/adr/0047)
 */
public record KilnConfig(
        String host,
        int port,
        Path dataDir,
        String adminToken,
        int maxUploadBytes,
        int maxPayloadBytes,
        int maxResponseBytes,
        Duration maxTimeout,
        int maxMemoryMiB,
        int workerThreads,
        int workerQueue,
        long workerStackBytes,
        WorkerMode workerMode,
        ModuleLimits moduleLimits,
        long fuelPerMs,
        long maxFuel,
        EffectLimits effectLimits,
        int recordsPerFunction,
        Duration recordMaxAge,
        List<Path> wasiDirRoots,
        EventLimits eventLimits,
        int maxInstances,
        Duration instanceIdleTtl,
        Duration queueWait,
        int functionQueue,
        CompileAt compileAt,
        ResetStrategy resetStrategy,
        UploadLimits uploadLimits,
        long minFreeDiskMiB,
        long memoryBudgetBytes,
        HttpLimits httpLimits,
        AccessLimits accessLimits,
        int triggerRatePerIp,
        TlsSettings tls,
        int maxRoutes,
        int keepVersions,
        KvLimits kvLimits,
        int recordingsPerFunction,
        int maxRecordingBytes,
        ObservabilityLimits observability,
        OutboundLimits outboundLimits,
        Path outboundTrustPem,
        ClusterSettings cluster,
        TracingSettings tracing) {

    public KilnConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(maxTimeout, "maxTimeout");
        Objects.requireNonNull(effectLimits, "effectLimits");
        Objects.requireNonNull(workerMode, "workerMode");
        Objects.requireNonNull(moduleLimits, "moduleLimits");
        Objects.requireNonNull(recordMaxAge, "recordMaxAge");
        Objects.requireNonNull(eventLimits, "eventLimits");
        Objects.requireNonNull(tracing, "tracing");
        wasiDirRoots = List.copyOf(wasiDirRoots);
        Objects.requireNonNull(instanceIdleTtl, "instanceIdleTtl");
        Objects.requireNonNull(queueWait, "queueWait");
        Objects.requireNonNull(compileAt, "compileAt");
        Objects.requireNonNull(resetStrategy, "resetStrategy");
        Objects.requireNonNull(uploadLimits, "uploadLimits");
        Objects.requireNonNull(accessLimits, "accessLimits");
        requirePositive(maxInstances, "maxInstances");
        requirePositive(memoryBudgetBytes, "memoryBudgetBytes");
        requirePositive(instanceIdleTtl.toMillis(), "instanceIdleTtl");
        requirePositive(functionQueue, "functionQueue");
        if (queueWait.isNegative()) {
            throw new IllegalArgumentException("queueWait must not be negative");
        }
        requirePositive(maxUploadBytes, "maxUploadBytes");
        requirePositive(maxPayloadBytes, "maxPayloadBytes");
        requirePositive(maxResponseBytes, "maxResponseBytes");
        requirePositive(maxMemoryMiB, "maxMemoryMiB");
        requirePositive(workerThreads, "workerThreads");
        requirePositive(workerQueue, "workerQueue");
        requirePositive(recordsPerFunction, "recordsPerFunction");
        requirePositive(fuelPerMs, "fuelPerMs");
        requirePositive(maxFuel, "maxFuel");
        requirePositive(maxRoutes, "maxRoutes");
        Objects.requireNonNull(kvLimits, "kvLimits");
        requirePositive(recordingsPerFunction, "recordingsPerFunction");
        requirePositive(maxRecordingBytes, "maxRecordingBytes");
        Objects.requireNonNull(observability, "observability");
        Objects.requireNonNull(outboundLimits, "outboundLimits");
        if (triggerRatePerIp < 0) {
            throw new IllegalArgumentException(
                    "triggerRatePerIp must not be negative, got " + triggerRatePerIp);
        }
        if (keepVersions < 0) {
            throw new IllegalArgumentException(
                    "keepVersions must not be negative, got " + keepVersions);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (minFreeDiskMiB < 0) {
            throw new IllegalArgumentException(
                    "minFreeDiskMiB must not be negative, got " + minFreeDiskMiB);
        }
        if (maxMemoryMiB > 4096) {
            throw new IllegalArgumentException("maxMemoryMiB is at most 4096 (wasm32)");
        }
        Objects.requireNonNull(httpLimits, "httpLimits");
        if (httpLimits.maxBufferedRequestBytes() < Math.max(maxUploadBytes, maxPayloadBytes)) {
            throw new IllegalArgumentException(
                    "maxBufferedRequestBytes must hold at least one largest upload or payload");
        }
        if (httpLimits.idleTimeout().compareTo(maxTimeout.plus(queueWait)) <= 0) {
            // A running invocation is silent on its connection: a shorter idle timeout would cut
            // it off before it could answer.
            throw new IllegalArgumentException(
                    "the HTTP idle timeout must be longer than maxTimeout plus queueWait");
        }
    }

    /**
     * What all functions' minInstances may add up to: the instance limit minus one instance per
     * worker, so on-demand invocations always find room (like an account's unreserved concurrency).
     */
    public int minInstancesBudget() {
        return Math.max(0, maxInstances - workerThreads);
    }

    private static void requirePositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The embedded defaults, the one place each default is written: {@code kiln serve}'s options,
     * {@code --help} and {@code GET /api/v1/limits} show these.
     */
    public static KilnConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the embedded defaults. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private Path dataDir = Path.of("kiln-data");
        private String adminToken;
        private int maxUploadBytes = 32 * 1024 * 1024;
        private int maxPayloadBytes = 6 * 1024 * 1024;
        private int maxResponseBytes = 6 * 1024 * 1024;
        private Duration maxTimeout = Duration.ofMinutes(5);
        private int maxMemoryMiB = 1024;
        private int workerThreads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        private int workerQueue = 1024;
        private long workerStackBytes = 4L * 1024 * 1024;
        private WorkerMode workerMode = WorkerMode.PLATFORM;
        private ModuleLimits moduleLimits = ModuleLimits.DEFAULTS;
        private long fuelPerMs = 1_000_000;
        private long maxFuel = 1_000_000_000_000L;
        private EffectLimits effectLimits = EffectLimits.DEFAULTS;
        private int recordsPerFunction = 1000;
        private Duration recordMaxAge = Duration.ofDays(7);
        private List<Path> wasiDirRoots = List.of();
        private EventLimits eventLimits = EventLimits.DEFAULTS;
        private int maxInstances = 4096;
        private Duration instanceIdleTtl = Duration.ofMinutes(5);
        private Duration queueWait = Duration.ofSeconds(5);
        private int functionQueue = 100;
        private CompileAt compileAt = CompileAt.UPLOAD;
        private ResetStrategy resetStrategy = ResetStrategy.COPY_ON_WRITE;
        private UploadLimits uploadLimits = UploadLimits.DEFAULTS;
        private long minFreeDiskMiB = 64;
        private long memoryBudgetBytes = PoolLimits.defaultMemoryBudgetBytes();
        private HttpLimits httpLimits = HttpLimits.DEFAULTS;
        private AccessLimits accessLimits = AccessLimits.DEFAULTS;
        private int triggerRatePerIp = 0;
        private TlsSettings tls;
        private int maxRoutes = 1000;
        private int keepVersions = 0;
        private KvLimits kvLimits = KvLimits.DEFAULTS;
        private int recordingsPerFunction = 100;
        private int maxRecordingBytes = 8 * 1024 * 1024;
        private ObservabilityLimits observability = ObservabilityLimits.DEFAULTS;
        private OutboundLimits outboundLimits = OutboundLimits.DEFAULTS;
        private Path outboundTrustPem;
        private ClusterSettings cluster;
        private TracingSettings tracing = TracingSettings.OFF;

        private Builder() {}

        public Builder host(String v) {
            host = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder dataDir(Path v) {
            dataDir = v;
            return this;
        }

        public Builder adminToken(String v) {
            adminToken = v;
            return this;
        }

        public Builder maxUploadBytes(int v) {
            maxUploadBytes = v;
            return this;
        }

        public Builder maxPayloadBytes(int v) {
            maxPayloadBytes = v;
            return this;
        }

        public Builder maxResponseBytes(int v) {
            maxResponseBytes = v;
            return this;
        }

        public Builder maxTimeout(Duration v) {
            maxTimeout = v;
            return this;
        }

        public Builder maxMemoryMiB(int v) {
            maxMemoryMiB = v;
            return this;
        }

        public Builder workerThreads(int v) {
            workerThreads = v;
            return this;
        }

        public Builder workerQueue(int v) {
            workerQueue = v;
            return this;
        }

        public Builder workerStackBytes(long v) {
            workerStackBytes = v;
            return this;
        }

        public Builder workerMode(WorkerMode v) {
            workerMode = v;
            return this;
        }

        public Builder moduleLimits(ModuleLimits v) {
            moduleLimits = v;
            return this;
        }

        public Builder fuelPerMs(long v) {
            fuelPerMs = v;
            return this;
        }

        public Builder maxFuel(long v) {
            maxFuel = v;
            return this;
        }

        public Builder effectLimits(EffectLimits v) {
            effectLimits = v;
            return this;
        }

        public Builder recordsPerFunction(int v) {
            recordsPerFunction = v;
            return this;
        }

        public Builder recordMaxAge(Duration v) {
            recordMaxAge = v;
            return this;
        }

        public Builder wasiDirRoots(List<Path> v) {
            wasiDirRoots = v;
            return this;
        }

        public Builder eventLimits(EventLimits v) {
            eventLimits = v;
            return this;
        }

        public Builder maxInstances(int v) {
            maxInstances = v;
            return this;
        }

        public Builder instanceIdleTtl(Duration v) {
            instanceIdleTtl = v;
            return this;
        }

        public Builder queueWait(Duration v) {
            queueWait = v;
            return this;
        }

        public Builder functionQueue(int v) {
            functionQueue = v;
            return this;
        }

        public Builder compileAt(CompileAt v) {
            compileAt = v;
            return this;
        }

        public Builder resetStrategy(ResetStrategy v) {
            resetStrategy = v;
            return this;
        }

        public Builder uploadLimits(UploadLimits v) {
            uploadLimits = v;
            return this;
        }

        public Builder minFreeDiskMiB(long v) {
            minFreeDiskMiB = v;
            return this;
        }

        public Builder memoryBudgetBytes(long v) {
            memoryBudgetBytes = v;
            return this;
        }

        public Builder httpLimits(HttpLimits v) {
            httpLimits = v;
            return this;
        }

        public Builder accessLimits(AccessLimits v) {
            accessLimits = v;
            return this;
        }

        public Builder triggerRatePerIp(int v) {
            triggerRatePerIp = v;
            return this;
        }

        public Builder tls(TlsSettings v) {
            tls = v;
            return this;
        }

        public Builder maxRoutes(int v) {
            maxRoutes = v;
            return this;
        }

        public Builder keepVersions(int v) {
            keepVersions = v;
            return this;
        }

        public Builder kvLimits(KvLimits v) {
            kvLimits = v;
            return this;
        }

        public Builder recordingsPerFunction(int v) {
            recordingsPerFunction = v;
            return this;
        }

        public Builder maxRecordingBytes(int v) {
            maxRecordingBytes = v;
            return this;
        }

        public Builder observability(ObservabilityLimits v) {
            observability = v;
            return this;
        }

        public Builder outboundLimits(OutboundLimits v) {
            outboundLimits = v;
            return this;
        }

        public Builder outboundTrustPem(Path v) {
            outboundTrustPem = v;
            return this;
        }

        public Builder cluster(ClusterSettings v) {
            cluster = v;
            return this;
        }

        /** Where spans are exported (docs/adr/0047); {@link TracingSettings#OFF} by default. */
        public Builder tracing(TracingSettings v) {
            tracing = v;
            return this;
        }

        public KilnConfig build() {
            return new KilnConfig(
                    host,
                    port,
                    dataDir,
                    adminToken,
                    maxUploadBytes,
                    maxPayloadBytes,
                    maxResponseBytes,
                    maxTimeout,
                    maxMemoryMiB,
                    workerThreads,
                    workerQueue,
                    workerStackBytes,
                    workerMode,
                    moduleLimits,
                    fuelPerMs,
                    maxFuel,
                    effectLimits,
                    recordsPerFunction,
                    recordMaxAge,
                    wasiDirRoots,
                    eventLimits,
                    maxInstances,
                    instanceIdleTtl,
                    queueWait,
                    functionQueue,
                    compileAt,
                    resetStrategy,
                    uploadLimits,
                    minFreeDiskMiB,
                    memoryBudgetBytes,
                    httpLimits,
                    accessLimits,
                    triggerRatePerIp,
                    tls,
                    maxRoutes,
                    keepVersions,
                    kvLimits,
                    recordingsPerFunction,
                    maxRecordingBytes,
                    observability,
                    outboundLimits,
                    outboundTrustPem,
                    cluster,
                    tracing);
        }
    }
}

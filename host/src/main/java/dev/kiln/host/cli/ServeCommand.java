package dev.kiln.host.cli;

import dev.kiln.host.KilnHost;
import dev.kiln.host.access.AccessLimits;
import dev.kiln.host.config.CompileAt;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.config.TlsSettings;
import dev.kiln.host.config.WorkerMode;
import dev.kiln.host.deploy.UploadLimits;
import dev.kiln.host.pool.PoolLimits;
import dev.kiln.host.sandbox.ResetStrategy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kiln serve}: runs a host on embedded storage until interrupted. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = "Start Kiln with embedded storage (SQLite + files in the data directory).")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    /**
     * The one source of every option's default: an option left out keeps the value {@link
     * KilnConfig#defaults()} has, and {@code --help} shows that value (issue 14).
     */
    private static final KilnConfig DEFAULTS = KilnConfig.defaults();

    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host = DEFAULTS.host();

    @Option(
            names = "--port",
            description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = DEFAULTS.port();

    @Option(names = "--data", description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path data = DEFAULTS.dataDir();

    @Option(
            names = "--max-upload-bytes",
            description = "Largest function upload (default: ${DEFAULT-VALUE}).")
    int maxUploadBytes = DEFAULTS.maxUploadBytes();

    @Option(
            names = "--max-payload-bytes",
            description = "Largest invocation payload (default: ${DEFAULT-VALUE}).")
    int maxPayloadBytes = DEFAULTS.maxPayloadBytes();

    @Option(
            names = "--max-response-bytes",
            description = "Largest function result (default: ${DEFAULT-VALUE}).")
    int maxResponseBytes = DEFAULTS.maxResponseBytes();

    @Option(
            names = "--max-timeout-ms",
            description = "Cap on any function's timeout (default: ${DEFAULT-VALUE}).")
    long maxTimeoutMs = DEFAULTS.maxTimeout().toMillis();

    @Option(
            names = "--max-memory-mib",
            description = "Cap on any function's memoryMiB (default: ${DEFAULT-VALUE}).")
    int maxMemoryMiB = DEFAULTS.maxMemoryMiB();

    @Option(
            names = "--workers",
            description =
                    "Threads running guest code (default: ${DEFAULT-VALUE}, 2 x cores, at least"
                            + " 4).")
    int workers = DEFAULTS.workerThreads();

    @Option(
            names = "--queue",
            description =
                    "Invocations that may wait for a worker before 429 (default:"
                            + " ${DEFAULT-VALUE}).")
    int queue = DEFAULTS.workerQueue();

    @Option(
            names = "--worker-mode",
            description =
                    "Threads for guest code: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    WorkerMode workerMode = DEFAULTS.workerMode();

    @Option(
            names = "--max-instances",
            description =
                    "Guest instances alive at once on this host, all functions together (default:"
                            + " ${DEFAULT-VALUE}).")
    int maxInstances = DEFAULTS.maxInstances();

    @Option(
            names = "--instance-idle-ttl-ms",
            description =
                    "Idle instances beyond a function's minInstances are closed after this long"
                            + " (default: ${DEFAULT-VALUE}).")
    long instanceIdleTtlMs = DEFAULTS.instanceIdleTtl().toMillis();

    @Option(
            names = "--queue-wait-ms",
            description =
                    "Longest an invocation waits for a worker or at its function's concurrency"
                            + " limit before 429 (default: ${DEFAULT-VALUE}).")
    long queueWaitMs = DEFAULTS.queueWait().toMillis();

    @Option(
            names = "--function-queue",
            description =
                    "Invocations of one function that may wait at its concurrency limit (default:"
                            + " ${DEFAULT-VALUE}).")
    int functionQueue = DEFAULTS.functionQueue();

    @Option(
            names = "--compile-at",
            description =
                    "When modules are compiled and initialised: ${COMPLETION-CANDIDATES}"
                            + " (default: ${DEFAULT-VALUE}).")
    CompileAt compileAt = DEFAULTS.compileAt();

    @Option(
            names = "--reset-strategy",
            description =
                    "How instances hold linear memory and go back to their snapshot:"
                        + " ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). FLAT keeps each"
                        + " instance's memory in one array: faster guest loads and stores, but"
                        + " every instance holds all of its memory (docs/adr/0064).")
    ResetStrategy resetStrategy = DEFAULTS.resetStrategy();

    @Option(
            names = "--max-concurrent-uploads",
            description =
                    "Uploads (and settings changes) checked and compiled at once, host-wide; an"
                            + " abandoned compilation keeps its slot until it ends (default:"
                            + " ${DEFAULT-VALUE}).")
    int maxConcurrentUploads = DEFAULTS.uploadLimits().maxConcurrentUploads();

    @Option(
            names = "--upload-queue",
            description =
                    "Uploads that may wait for a slot before 429 overloaded (default:"
                            + " ${DEFAULT-VALUE}).")
    int uploadQueue = DEFAULTS.uploadLimits().uploadQueue();

    @Option(
            names = "--upload-timeout-ms",
            description =
                    "Longest an upload's check (validation, compilation, kiln_init) may take"
                            + " before 400 upload_timeout, and longest it may wait for a slot"
                            + " (default: ${DEFAULT-VALUE}).")
    long uploadTimeoutMs = DEFAULTS.uploadLimits().uploadTimeout().toMillis();

    @Option(
            names = "--records-per-function",
            description = "Invocation records kept per function (default: ${DEFAULT-VALUE}).")
    int recordsPerFunction = DEFAULTS.recordsPerFunction();

    @Option(
            names = "--max-event-bytes",
            description =
                    "Largest asynchronous invoke or published event (default: ${DEFAULT-VALUE}).")
    int maxEventBytes = DEFAULTS.eventLimits().maxEventBytes();

    @Option(
            names = "--max-queued-events",
            description =
                    "Events one function may have queued before 429, and the cap of its"
                            + " maxQueuedEvents (default: ${DEFAULT-VALUE}).")
    int maxQueuedEvents = DEFAULTS.eventLimits().maxQueuedEvents();

    @Option(
            names = "--async-workers",
            description =
                    "Asynchronous invocations running at once (default: ${DEFAULT-VALUE}, cores,"
                            + " at least 2).")
    int asyncWorkers = DEFAULTS.eventLimits().asyncWorkers();

    @Option(
            names = "--event-attempts",
            description =
                    "Attempts per event for functions without their own maxAttempts (default:"
                            + " ${DEFAULT-VALUE}).")
    int eventAttempts = DEFAULTS.eventLimits().defaultMaxAttempts();

    @Option(
            names = "--event-max-age-s",
            description =
                    "Cap and default of a function's maxEventAgeSeconds (default:"
                            + " ${DEFAULT-VALUE}).")
    long eventMaxAgeSeconds = DEFAULTS.eventLimits().maxEventAgeCap().toSeconds();

    @Option(
            names = "--retry-base-delay-ms",
            description =
                    "Delay before an event's second attempt; doubles per attempt (default:"
                            + " ${DEFAULT-VALUE}).")
    long retryBaseDelayMs = DEFAULTS.eventLimits().retryBaseDelay().toMillis();

    @Option(
            names = "--retry-max-delay-ms",
            description = "Cap on the delay between two attempts (default: ${DEFAULT-VALUE}).")
    long retryMaxDelayMs = DEFAULTS.eventLimits().retryMaxDelay().toMillis();

    @Option(
            names = "--memory-budget-mib",
            description =
                    "Heap that post-init snapshots, instances, compiled code and request buffers"
                            + " may hold together; beyond it uploads get 507"
                            + " insufficient_capacity and new instances 429 (default: "
                            + PoolLimits.DEFAULT_MEMORY_BUDGET_PERCENT
                            + "%% of the JVM's maximum heap).")
    Long memoryBudgetMiB;

    @Option(
            names = "--wasi-dir-root",
            description =
                    "A host directory under which wasi-cgi functions may be granted read-only"
                            + " directories (wasiReadOnlyDirs); repeatable (default: none, no"
                            + " grants).")
    List<Path> wasiDirRoots = new ArrayList<>();

    @Option(
            names = "--max-host-bytes-per-call",
            description =
                    "Bytes one host call may move for a guest; stdio reads and writes past it are"
                            + " cut short, other calls refused (default: ${DEFAULT-VALUE}).")
    int maxHostBytesPerCall = DEFAULTS.effectLimits().maxHostBytesPerCall();

    @Option(
            names = "--max-host-bytes-per-invocation",
            description =
                    "Bytes all host calls of one invocation may move; past it the invocation ends"
                            + " with output_limit (default: ${DEFAULT-VALUE}).")
    long maxHostBytesPerInvocation = DEFAULTS.effectLimits().maxHostBytesPerInvocation();

    @Option(
            names = "--min-free-disk-mib",
            description =
                    "Free space kept on the data directory's disk: below it, uploads, settings"
                            + " changes and queued events answer 507 insufficient_storage, records"
                            + " are dropped and /healthz answers 503; 0 waits for a full disk"
                            + " (default: ${DEFAULT-VALUE}).")
    long minFreeDiskMiB = DEFAULTS.minFreeDiskMiB();

    @Option(
            names = "--auth-failures-per-ip",
            description =
                    "Invalid keys one client IP may present per --auth-failure-window-ms before"
                            + " its keyed requests get 429 rate_limited (default:"
                            + " ${DEFAULT-VALUE}).")
    int authFailuresPerIp = DEFAULTS.accessLimits().authFailuresPerIp();

    @Option(
            names = "--auth-failure-window-ms",
            description =
                    "Window over which the invalid-key budget refills (default: ${DEFAULT-VALUE}).")
    long authFailureWindowMs = DEFAULTS.accessLimits().authFailureWindow().toMillis();

    @Option(
            names = "--max-keys",
            description = "API keys this host stores at most (default: ${DEFAULT-VALUE}).")
    int maxKeys = DEFAULTS.accessLimits().maxKeys();

    @Option(
            names = "--audit-max-entries",
            description = "Audit log entries kept at most (default: ${DEFAULT-VALUE}).")
    int auditMaxEntries = DEFAULTS.accessLimits().auditMaxEntries();

    @Option(
            names = "--audit-max-age-days",
            description =
                    "Audit log entries older than this are deleted (default: ${DEFAULT-VALUE}).")
    long auditMaxAgeDays = DEFAULTS.accessLimits().auditMaxAge().toDays();

    @Spec CommandSpec spec;

    @Option(
            names = "--max-buffered-request-bytes",
            description =
                    "Request body bytes all requests together may hold in memory; beyond it 503"
                            + " server_busy (default: ${DEFAULT-VALUE}, a quarter of the heap,"
                            + " 64 MiB to 256 MiB).")
    long maxBufferedRequestBytes = DEFAULTS.httpLimits().maxBufferedRequestBytes();

    @Option(
            names = "--max-connections",
            description = "Open client connections, host-wide (default: ${DEFAULT-VALUE}).")
    int maxConnections = DEFAULTS.httpLimits().maxConnections();

    @Option(
            names = "--max-connections-per-ip",
            description = "Open connections from one client address (default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerIp = DEFAULTS.httpLimits().maxConnectionsPerIp();

    @Option(
            names = "--request-parse-timeout-ms",
            description =
                    "Longest the request line and headers may take to arrive (default:"
                            + " ${DEFAULT-VALUE}).")
    long requestParseTimeoutMs = DEFAULTS.httpLimits().requestParseTimeout().toMillis();

    @Option(
            names = "--no-request-timeout-ms",
            description =
                    "Longest a connection may stay open with no request on it (default:"
                            + " ${DEFAULT-VALUE}).")
    long noRequestTimeoutMs = DEFAULTS.httpLimits().noRequestTimeout().toMillis();

    @Option(
            names = "--body-read-timeout-ms",
            description =
                    "Longest a request body may go without a byte arriving before 408 (default:"
                            + " ${DEFAULT-VALUE}).")
    long bodyReadTimeoutMs = DEFAULTS.httpLimits().bodyReadTimeout().toMillis();

    @Option(
            names = "--idle-timeout-ms",
            description =
                    "A connection with no byte read or written for this long is closed; must"
                            + " exceed max-timeout-ms plus queue-wait-ms (default:"
                            + " ${DEFAULT-VALUE}).")
    long idleTimeoutMs = DEFAULTS.httpLimits().idleTimeout().toMillis();

    @Option(
            names = "--trigger-rate-per-ip",
            description =
                    "Requests per second one client address may send to the public HTTP trigger"
                            + " (/fn/...), with a burst of one second's worth; over it, 429"
                            + " rate_limited with Retry-After; 0 = no limit (default:"
                            + " ${DEFAULT-VALUE}).")
    int triggerRatePerIp = DEFAULTS.triggerRatePerIp();

    @Option(
            names = "--max-routes",
            description =
                    "Custom-domain routes this host stores at most; over it, 409 conflict"
                            + " (default: ${DEFAULT-VALUE}).")
    int maxRoutes = DEFAULTS.maxRoutes();

    @Option(
            names = "--keep-versions",
            description =
                    "Versions kept per function: after each new version, older ones no alias"
                            + " points at are deleted; 0 = keep all (default: ${DEFAULT-VALUE}).")
    int keepVersions = 0;

    /** The options of what guests reach: key-value store, recording, outbound HTTP, metering. */
    @Mixin GuestServiceOptions guestServices = new GuestServiceOptions();

    /** Cluster mode on NATS JetStream (docs/adr/0048). */
    @Mixin ClusterOptions clusterOptions = new ClusterOptions();

    @Option(
            names = "--tls-cert",
            description =
                    "PEM certificate chain (leaf first): serve HTTPS, with HTTP/2 by ALPN; needs"
                            + " --tls-key.")
    Path tlsCert;

    @Option(
            names = "--tls-key",
            description =
                    "PEM private key of --tls-cert (RSA or EC; PKCS#8, PKCS#1 or SEC1; not"
                            + " encrypted).")
    Path tlsKey;

    @Option(
            names = "--http-redirect-port",
            description =
                    "With TLS: also listen for plain HTTP on this port and answer every request"
                            + " with 308 to https (default: no such listener).")
    Integer httpRedirectPort;

    @Option(
            names = "--tls-reload-interval-s",
            description =
                    "How often the certificate and key files are checked; changed files are"
                            + " loaded for new connections (default: ${DEFAULT-VALUE}).")
    long tlsReloadIntervalSeconds = TlsSettings.DEFAULT_RELOAD_INTERVAL.toSeconds();

    @Option(
            names = "--warmup-requests",
            description =
                    "Invocations of each kind sent to a throwaway server on a temporary directory"
                            + " before this one opens its port, so that its first requests run"
                            + " compiled code; 0 for none (default: ${DEFAULT-VALUE}).")
    int warmupRequests = 500;

    // Read by LogFormat.choose before anything logs; declared here for --help and to refuse a
    // value that is not one of the choices (docs/adr/0044).
    @Option(
            names = "--log-format",
            paramLabel = "<format>",
            description =
                    "Log lines: text (readable), json (one object per line, for collectors) or"
                            + " auto: text on a terminal, else json (default: $KILN_LOG_FORMAT,"
                            + " else auto).")
    LogFormatChoice logFormat;

    /** The values {@code --log-format} takes. */
    enum LogFormatChoice {
        auto,
        text,
        json
    }

    /**
     * The configuration these options describe: every option left out keeps {@link #DEFAULTS}'s
     * value, so {@code kiln serve} with no options runs {@link KilnConfig#defaults()}.
     */
    KilnConfig config() {
        var builder =
                KilnConfig.builder()
                        .host(host)
                        .port(port)
                        .dataDir(data)
                        .adminToken(System.getenv("KILN_ADMIN_TOKEN"))
                        .maxUploadBytes(maxUploadBytes)
                        .maxPayloadBytes(maxPayloadBytes)
                        .maxResponseBytes(maxResponseBytes)
                        .maxTimeout(Duration.ofMillis(maxTimeoutMs))
                        .maxMemoryMiB(maxMemoryMiB)
                        .workerQueue(queue)
                        .recordsPerFunction(recordsPerFunction)
                        .workerMode(workerMode)
                        .wasiDirRoots(wasiDirRoots)
                        .maxInstances(maxInstances)
                        .instanceIdleTtl(Duration.ofMillis(instanceIdleTtlMs))
                        .queueWait(Duration.ofMillis(queueWaitMs))
                        .functionQueue(functionQueue)
                        .compileAt(compileAt)
                        .resetStrategy(resetStrategy)
                        .uploadLimits(
                                new UploadLimits(
                                        maxConcurrentUploads,
                                        uploadQueue,
                                        Duration.ofMillis(uploadTimeoutMs)))
                        .minFreeDiskMiB(minFreeDiskMiB);
        builder.workerThreads(workers);
        builder.effectLimits(
                DEFAULTS.effectLimits()
                        .withHostBytes(maxHostBytesPerCall, maxHostBytesPerInvocation));
        if (memoryBudgetMiB != null) {
            builder.memoryBudgetBytes(memoryBudgetMiB * 1024 * 1024);
        }
        builder.triggerRatePerIp(triggerRatePerIp);
        builder.maxRoutes(maxRoutes);
        builder.keepVersions(keepVersions);
        guestServices.applyTo(builder);
        // Lazily: a new CommandLine of this object would re-inject its @Spec (and its err writer).
        clusterOptions.applyTo(builder, () -> new picocli.CommandLine(this));
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this), "--tls-cert and --tls-key go together");
        }
        if (httpRedirectPort != null && tlsCert == null) {
            throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this), "--http-redirect-port needs --tls-cert");
        }
        if (tlsCert != null) {
            builder.tls(
                    new TlsSettings(
                            tlsCert,
                            tlsKey,
                            httpRedirectPort == null ? -1 : httpRedirectPort,
                            Duration.ofSeconds(Math.max(1, tlsReloadIntervalSeconds))));
        }
        var events =
                DEFAULTS.eventLimits().toBuilder()
                        .maxEventBytes(maxEventBytes)
                        .maxQueuedEvents(maxQueuedEvents)
                        .defaultMaxAttempts(eventAttempts)
                        .defaultMaxEventAge(Duration.ofSeconds(eventMaxAgeSeconds))
                        .maxEventAgeCap(Duration.ofSeconds(eventMaxAgeSeconds))
                        .retryBaseDelay(Duration.ofMillis(retryBaseDelayMs))
                        .retryMaxDelay(Duration.ofMillis(retryMaxDelayMs));
        events.asyncWorkers(asyncWorkers);
        builder.eventLimits(events.build());
        var http =
                DEFAULTS.httpLimits()
                        .withMaxConnections(maxConnections, maxConnectionsPerIp)
                        .withTimeouts(
                                Duration.ofMillis(requestParseTimeoutMs),
                                Duration.ofMillis(noRequestTimeoutMs),
                                Duration.ofMillis(bodyReadTimeoutMs),
                                Duration.ofMillis(idleTimeoutMs))
                        .withMaxBufferedRequestBytes(maxBufferedRequestBytes);
        builder.httpLimits(http);
        builder.accessLimits(
                new AccessLimits(
                        authFailuresPerIp,
                        Duration.ofMillis(authFailureWindowMs),
                        maxKeys,
                        auditMaxEntries,
                        Duration.ofDays(auditMaxAgeDays)));
        return builder.build();
    }

    @Override
    public Integer call() throws Exception {
        if (warmupRequests < 0) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--warmup-requests must be 0 or more");
        }
        KilnConfig config = config();
        if (!JvmFlags.exitsOnOutOfMemory()) {
            log.warn(
                    "this JVM does not exit on OutOfMemoryError: start Kiln with ./kiln or pass"
                            + " -XX:+ExitOnOutOfMemoryError, so a supervisor restarts it when its"
                            + " heap runs out (docs/adr/0030)");
        }
        if (!JvmFlags.compilesHugeMethods()) {
            log.warn(
                    "this JVM leaves methods over 8000 bytes to its interpreter: start Kiln with"
                            + " ./kiln or pass -XX:-DontCompileHugeMethods, or JavaScript"
                            + " functions run ~4x slower (docs/adr/0075)");
        }
        if (warmupRequests > 0) {
            ServeWarmup.run(config, warmupRequests);
        }
        KilnHost host;
        try {
            host = KilnHost.start(config);
        } catch (IOException | RuntimeException e) {
            // One line an operator can act on (a port in use, a corrupt events.db or kiln.db, a
            // locked data directory); the stack trace only with KILN_LOG_LEVEL=DEBUG.
            log.debug("kiln serve could not start", e);
            spec.commandLine().getErr().println("kiln serve: " + StartFailure.describe(e));
            spec.commandLine().getErr().flush();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    host.close();
                                    stopped.countDown();
                                },
                                "kiln-shutdown"));
        var token = host.adminToken();
        if (token.created()) {
            System.out.println(
                    "Admin token (shown once; stored in "
                            + token.file()
                            + "):\n  "
                            + token.token());
        }
        System.out.println(
                "Kiln listening on "
                        + (tlsCert != null ? "https://" : "http://")
                        + host()
                        + ":"
                        + host.port()
                        + " (data: "
                        + data
                        + ")");
        if (host.redirectPort() >= 0) {
            System.out.println(
                    "Redirecting http://" + host() + ":" + host.redirectPort() + " to https");
        }
        System.out.flush();
        stopped.await();
        return 0;
    }

    private String host() {
        return host.contains(":") ? "[" + host + "]" : host;
    }
}

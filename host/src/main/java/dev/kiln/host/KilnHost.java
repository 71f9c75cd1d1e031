package dev.kiln.host;

import dev.kiln.host.access.Access;
import dev.kiln.host.access.AuditLog;
import dev.kiln.host.cluster.Cluster;
import dev.kiln.host.cluster.ClusterView;
import dev.kiln.host.config.AdminTokens;
import dev.kiln.host.config.DataDirLock;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.deploy.DeployExecutor;
import dev.kiln.host.deploy.Deployer;
import dev.kiln.host.deploy.Deployment;
import dev.kiln.host.events.Events;
import dev.kiln.host.events.SqliteEventQueue;
import dev.kiln.host.http.KilnServer;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.invoke.ReplayRunner;
import dev.kiln.host.invoke.Replays;
import dev.kiln.host.invoke.StartWarmup;
import dev.kiln.host.kv.KvStore;
import dev.kiln.host.kv.SqliteKvStore;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.observability.RecordRetention;
import dev.kiln.host.observability.Tracing;
import dev.kiln.host.outbound.Outbound;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.PoolLimits;
import dev.kiln.host.quota.QuotaStore;
import dev.kiln.host.quota.ServiceAdmission;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.replay.RecordingStore;
import dev.kiln.host.replay.SecretSeal;
import dev.kiln.host.routes.RouteStore;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.secrets.SecretKeyring;
import dev.kiln.host.secrets.Secrets;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.storage.DocumentStore;
import dev.kiln.host.triggers.Triggers;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** A running Kiln host: wires storage, sandbox, pool, invoker and HTTP server together. */
public final class KilnHost implements AutoCloseable {
    private final Registry registry;
    private final InvocationStore records;
    private final InstancePool pool;
    private final Invoker invoker;
    private final Events events;
    private final Triggers triggers;
    private final KilnServer server; // null without HTTP (startWithoutHttp)
    private final Deployer deployer;
    private final DeployExecutor uploads;
    private final Metrics metrics;
    private final AdminTokens.Resolved token;
    private final Access access;
    private final DataDirLock lock;
    private final Secrets secrets;
    private final QuotaStore quotas;
    private final RouteStore routes;
    private final KvStore kv;
    private final RecordingStore recordings;
    private final ReplayRunner replayRunner;
    private final Outbound outbound;
    private final ClusterView clusterView;
    private final AutoCloseable cluster; // null on the embedded single node
    private final Tracing tracing;
    private volatile Map<String, Integer> leakedInstances = Map.of();

    private KilnHost(
            DataDirLock lock,
            Registry registry,
            InvocationStore records,
            InstancePool pool,
            Invoker invoker,
            Events events,
            Triggers triggers,
            KilnServer server,
            Deployer deployer,
            DeployExecutor uploads,
            Metrics metrics,
            AdminTokens.Resolved token,
            Access access,
            Secrets secrets,
            QuotaStore quotas,
            RouteStore routes,
            KvStore kv,
            RecordingStore recordings,
            ReplayRunner replayRunner,
            Outbound outbound,
            ClusterView clusterView,
            AutoCloseable cluster,
            Tracing tracing) {
        this.clusterView = clusterView;
        this.cluster = cluster;
        this.tracing = tracing;
        this.kv = kv;
        this.recordings = recordings;
        this.replayRunner = replayRunner;
        this.outbound = outbound;
        this.routes = routes;
        this.secrets = secrets;
        this.quotas = quotas;
        this.registry = registry;
        this.records = records;
        this.pool = pool;
        this.invoker = invoker;
        this.events = events;
        this.triggers = triggers;
        this.server = server;
        this.deployer = deployer;
        this.uploads = uploads;
        this.metrics = metrics;
        this.token = token;
        this.access = access;
        this.lock = lock;
    }

    public static KilnHost start(KilnConfig config) throws IOException {
        return start(config, true);
    }

    /**
     * A host with no HTTP listener at all (no port is bound): for an application that embeds Kiln
     * and only deploys and invokes in-process ({@code embed.EmbeddedKiln}, docs/adr/0044). Timers,
     * events and records run as in a served host.
     */
    public static KilnHost startWithoutHttp(KilnConfig config) throws IOException {
        return start(config, false);
    }

    private static KilnHost start(KilnConfig config, boolean http) throws IOException {
        Files.createDirectories(config.dataDir());
        DataDirLock lock = DataDirLock.acquire(config.dataDir());
        // On a failed start, close what was opened so far, newest first.
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        opened.push(lock);
        try {
            AdminTokens.Resolved token = AdminTokens.resolve(config.adminToken(), config.dataDir());
            DiskSpace space = DiskSpace.of(config.dataDir(), config.minFreeDiskMiB());
            // Cluster mode (docs/adr/0048): the registry lives in JetStream; an embedded node
            // never touches the cluster package's NATS classes.
            Cluster cluster = config.cluster() == null ? null : joinCluster(config);
            if (cluster != null) {
                opened.push(cluster);
            }
            Registry registry =
                    cluster == null
                            ? Registry.open(config.dataDir(), space)
                            : Registry.open(cluster.registryStorage(), space);
            opened.push(registry);
            // Keys, quotas, routes, secrets, triggers and async settings: SQLite tables in the
            // data directory, or the cluster's documents bucket (docs/adr/0054).
            DocumentStore.Opener documents =
                    cluster == null
                            ? DocumentStore.Opener.sqlite(config.dataDir())
                            : cluster.documents();
            // The audit log: also the cluster's stream KILN_AUDIT in a cluster (ADR 0058).
            var auditStream =
                    cluster == null
                            ? null
                            : cluster.auditStream(
                                    config.accessLimits().auditMaxAge(),
                                    config.accessLimits().auditMaxEntries());
            Access access =
                    Access.open(
                            config.dataDir(),
                            documents,
                            token.token(),
                            config.accessLimits(),
                            auditStream == null
                                    ? null
                                    : new AuditLog.Shared(
                                            auditStream::publish, auditStream::newest));
            opened.push(access);
            InvocationStore records =
                    InvocationStore.open(
                            config.dataDir(),
                            new RecordRetention(
                                    config.recordsPerFunction(),
                                    config.recordMaxAge(),
                                    RecordRetention.DEFAULTS.queueCapacity(),
                                    RecordRetention.DEFAULTS.maxBatch(),
                                    RecordRetention.DEFAULTS.flushInterval()),
                            space,
                            config.observability());
            opened.push(records);
            // Spans by OTLP when configured (docs/adr/0047); OFF holds no OpenTelemetry object.
            Tracing tracing = Tracing.start(config.tracing());
            opened.push(tracing);
            records.traceWrites(tracing);
            Metrics metrics = new Metrics();
            records.registerMetrics(metrics);
            if (cluster != null) {
                // Records, logs, usage and statistics of every node (docs/adr/0057).
                cluster.replicateRecords(
                        records,
                        config.recordMaxAge(),
                        RecordRetention.DEFAULTS.queueCapacity(),
                        metrics);
            }
            dev.kiln.host.observability.JvmMetrics.register(metrics);
            metrics.gauge(
                    "kiln_disk_usable_bytes",
                    "Bytes Kiln may still write on the data directory's disk; below"
                            + " minFreeDiskMiB, writes answer insufficient_storage.",
                    List.of(),
                    sink -> sink.add((double) space.usableBytes()));
            InstancePool pool =
                    new InstancePool(
                            new ModuleCompiler(
                                    config.dataDir().resolve("compiled"), config.resetStrategy()),
                            new PoolLimits(
                                    config.maxInstances(),
                                    config.instanceIdleTtl(),
                                    config.memoryBudgetBytes()),
                            metrics);
            opened.push(pool::shutdown);
            Secrets secrets =
                    cluster == null
                            ? Secrets.open(config.dataDir())
                            : Secrets.open(
                                    documents.open(Secrets.FILE_NAME, "secrets"),
                                    SecretKeyring.loadShared(config.cluster().secretsKeyFile()));
            opened.push(secrets);
            QuotaStore quotas = QuotaStore.open(documents);
            opened.push(quotas);
            RouteStore routes = RouteStore.open(documents, config.maxRoutes());
            opened.push(routes);
            // Quotas counted cluster-wide in a cluster: each node enforces its part (ADR 0058).
            ServiceAdmission admission =
                    cluster == null
                            ? new ServiceAdmission(quotas, System::nanoTime)
                            : cluster.admission(quotas, metrics);
            // Each service's key-value store: kv.db on one node, the kiln-kv bucket in a
            // cluster (docs/adr/0055).
            KvStore kv =
                    cluster == null
                            ? SqliteKvStore.open(config.dataDir(), config.kvLimits())
                            : cluster.kvStore(config.kvLimits());
            opened.push(kv);
            Outbound outbound;
            try {
                outbound = Outbound.start(config.outboundLimits(), config.outboundTrustPem());
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException(
                        "cannot read the outbound trust certificates "
                                + config.outboundTrustPem()
                                + ": "
                                + e.getMessage(),
                        e);
            }
            opened.push(outbound);
            RecordingStore recordings =
                    RecordingStore.open(
                            config.dataDir(),
                            config.recordingsPerFunction(),
                            // What may wait for the writer: a few of the largest recordings.
                            8L * config.maxRecordingBytes(),
                            recordingSeal(secrets),
                            space);
            opened.push(recordings);
            if (cluster != null) { // recordings of every node (docs/adr/0059)
                cluster.replicateRecordings(
                        recordings, config.recordMaxAge(), config.maxRecordingBytes(), metrics);
            }
            ReplayRunner replayRunner =
                    new ReplayRunner(
                            new InvocationLimits(config.effectLimits(), config.maxResponseBytes()));
            opened.push(replayRunner);
            Invoker invoker =
                    new Invoker(
                            config,
                            registry,
                            pool,
                            records,
                            metrics,
                            admission,
                            secrets::values,
                            kv,
                            recordings,
                            outbound,
                            tracing);
            opened.push(invoker);
            Deployer deployer = new Deployer(config, registry, pool, invoker, quotas);
            DeployExecutor uploads =
                    new DeployExecutor(config.uploadLimits(), config.workerStackBytes(), metrics);
            opened.push(uploads);
            StartWarmup.run(
                    config.resetStrategy(),
                    config.moduleLimits(),
                    new InvocationLimits(config.effectLimits(), config.maxResponseBytes()));
            Events events =
                    Events.start(
                            documents,
                            config.eventLimits(),
                            registry,
                            invoker,
                            records,
                            metrics,
                            space,
                            cluster == null
                                    ? max -> SqliteEventQueue.open(config.dataDir(), max)
                                    : max ->
                                            cluster.eventQueue(
                                                    max, config.eventLimits().asyncWorkers() * 2));
            opened.push(events);
            Triggers triggers = Triggers.start(documents, events, registry);
            opened.push(triggers);
            ClusterView clusterView;
            if (cluster != null) {
                cluster.startHeartbeats(invoker::inUse, config.workerThreads());
                cluster.startForwarding(invoker, registry, config, metrics);
                clusterView = cluster;
            } else {
                clusterView = ClusterView.single("local", invoker::inUse, config.workerThreads());
            }
            KilnServer server =
                    !http
                            ? null
                            : KilnServer.start(
                                    config,
                                    access,
                                    registry,
                                    deployer,
                                    uploads,
                                    invoker,
                                    records,
                                    events,
                                    triggers,
                                    metrics,
                                    space,
                                    new KilnServer.Tenancy(secrets, quotas, admission),
                                    routes,
                                    kv,
                                    new Replays(config, registry, pool, recordings, replayRunner),
                                    clusterView);
            if (server != null) {
                // Request buffers count in the memory budget; the HTTP layer bounds them itself.
                pool.memoryBudget().countRequestBuffers(server::bufferedRequestBytes);
            }
            deployer.restoreAfterStart();
            return new KilnHost(
                    lock,
                    registry,
                    records,
                    pool,
                    invoker,
                    events,
                    triggers,
                    server,
                    deployer,
                    uploads,
                    metrics,
                    token,
                    access,
                    secrets,
                    quotas,
                    routes,
                    kv,
                    recordings,
                    replayRunner,
                    outbound,
                    clusterView,
                    cluster,
                    tracing);
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static Cluster joinCluster(KilnConfig config) throws IOException {
        if (config.cluster().secretsKeyFile() == null) {
            // A key of each node's own would seal secrets no other node can open (docs/adr/0054).
            throw new IOException(
                    "cluster mode needs the secrets key every node shares: --secrets-key FILE or"
                            + " KILN_SECRETS_KEY_FILE (docs/CLUSTER.md, \"Secrets key\")");
        }
        return Cluster.join(config.cluster(), config.dataDir());
    }

    /** Secret values in recordings are sealed with the secrets key (docs/adr/0041). */
    private static SecretSeal recordingSeal(Secrets secrets) {
        return new SecretSeal() {
            @Override
            public java.util.Optional<String> seal(String plaintext) {
                return java.util.Optional.of(secrets.sealCopy("recording", plaintext));
            }

            @Override
            public java.util.Optional<String> open(String sealed) {
                return secrets.openCopy("recording", sealed);
            }
        };
    }

    /** The cluster this node belongs to, or the single node it is (docs/adr/0048). */
    public ClusterView cluster() {
        return clusterView;
    }

    /** The port the HTTP listener is bound to, or -1 for a host started without HTTP. */
    public int port() {
        return server == null ? -1 : server.port();
    }

    /** The plain-HTTP port redirecting to HTTPS, or -1 (docs/adr/0034). */
    public int redirectPort() {
        return server == null ? -1 : server.redirectPort();
    }

    /** TLS certificates reloaded since start. */
    public int tlsReloads() {
        return server == null ? 0 : server.tlsReloads();
    }

    /**
     * Checks and stores an upload in-process, as {@code PUT …/functions/{f}} does: on the upload
     * executor, under the upload deadline (docs/adr/0029).
     *
     * @param contentType {@code application/wasm} or {@code application/zip}
     * @throws KilnException the reason the upload is refused
     */
    public Deployment deploy(String service, String function, String contentType, byte[] body) {
        return join(
                uploads.submit(
                        deadline ->
                                deployer.deploy(service, function, contentType, body, deadline)));
    }

    /**
     * Deletes a function in-process with its secrets, triggers and queued events, as {@code DELETE
     * …/functions/{f}} does.
     */
    public void delete(String service, String function) {
        deployer.delete(service, function);
        secrets.deleteFunction(service, function);
        join(triggers.forget(service, function));
        join(events.forget(service, function));
    }

    /** Waits for {@code future}, throwing its failure as it was thrown (a KilnException stays). */
    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    public AdminTokens.Resolved adminToken() {
        return token;
    }

    /** The host's keys, invalid-key limiter and audit log. */
    public Access access() {
        return access;
    }

    /** Every authenticated route of the HTTP surface, as {@code "METHOD template"}. */
    public java.util.List<String> routes() {
        return server == null ? List.of() : server.routes();
    }

    /** Waits until every invocation record submitted so far is stored. */
    public void flushRecords() {
        records.flush();
    }

    /** Waits until every recording submitted so far is stored. */
    public void flushRecordings() {
        recordings.flush();
    }

    /** The recorded invocations (for inspection). */
    public RecordingStore recordings() {
        return recordings;
    }

    /**
     * Whether the compiled code of the stored functions, loaded back into memory in the background
     * after the start (docs/adr/0068), is all there within {@code timeout}: their first invocations
     * then find it. At once with {@code compileAt} first use.
     */
    public boolean awaitCodeRestored(Duration timeout) throws InterruptedException {
        return deployer.awaitCodeRestored(timeout);
    }

    /** The host's instance pools (for inspection: counts and limits). */
    public InstancePool pool() {
        return pool;
    }

    /** The host's invoker (for inspection). */
    public Invoker invoker() {
        return invoker;
    }

    /** The guests' outbound HTTP: its client and connection pool. */
    public Outbound outbound() {
        return outbound;
    }

    /** Asynchronous invocation: queues, dead letters, settings. */
    public Events events() {
        return events;
    }

    /** The services' key-value stores (for inspection). */
    public KvStore kv() {
        return kv;
    }

    public Metrics metrics() {
        return metrics;
    }

    /**
     * After {@link #close}: instances that were leased and never returned, by function. Empty when
     * every instance came back, as it must.
     */
    public Map<String, Integer> leakedInstances() {
        return leakedInstances;
    }

    /**
     * Stops in dependency order: no new requests, no new timer fires, running events finish (up to
     * a grace period; the rest stay queued), then workers, the pools (checking that every instance
     * came back) and storage.
     */
    @Override
    public void close() {
        deployer.stopRestoringCode();
        if (server != null) {
            server.close();
        }
        uploads.close();
        triggers.close();
        events.stopDispatching(Duration.ofSeconds(10));
        invoker.close();
        outbound.close();
        leakedInstances = pool.shutdown();
        events.close();
        records.close();
        // After the records: their writer's last batch makes record-write spans.
        tracing.close();
        recordings.close();
        replayRunner.close();
        access.close();
        quotas.close();
        routes.close();
        kv.close();
        secrets.close();
        registry.close();
        if (cluster != null) {
            try {
                cluster.close();
            } catch (Exception e) {
                // Leaving the cluster is best effort: the heartbeat expires anyway.
            }
        }
        try {
            lock.close();
        } catch (IOException e) {
            // The lock goes with the process anyway.
        }
    }
}

package dev.kiln.host.cluster;

import dev.kiln.host.config.ClusterSettings;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.events.EventQueue;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.kv.KvLimits;
import dev.kiln.host.kv.KvStore;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.quota.QuotaStore;
import dev.kiln.host.quota.ServiceAdmission;
import dev.kiln.host.registry.BlobStore;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.registry.RegistryStorage;
import dev.kiln.host.replay.RecordingStore;
import dev.kiln.host.storage.DocumentStore;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership of a Kiln cluster on NATS JetStream (docs/adr/0048): the connection, the
 * registry's storage in the {@code kiln-registry} bucket and {@code kiln-modules} object store, the
 * heartbeats in {@code kiln-nodes}, and the barrier that makes a write visible on every live node
 * before its answer. The only class of the host that {@code KilnHost} asks for NATS things; nothing
 * here is touched by an embedded node.
 */
public final class Cluster implements ClusterView, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cluster.class);

    private final ClusterSettings settings;
    private final String name;
    private final Connection nc;
    private final JetStreamRegistryStorage registry;
    private final Heartbeats heartbeats;
    private final RevisionBarrier barrier;
    private final JetStreamDocuments documents;
    private final RevisionBarrier documentsBarrier;
    private final int replicas;
    private volatile InvocationForwarding forwarding;
    private volatile QuotaExchange quotaExchange;
    private volatile RecordPublisher recordPublisher;
    private volatile RecordIngest recordIngest;
    private volatile RecordingBucket recordingBucket;

    private Cluster(
            ClusterSettings settings,
            String name,
            Connection nc,
            JetStreamRegistryStorage registry,
            Heartbeats heartbeats,
            RevisionBarrier barrier,
            JetStreamDocuments documents,
            RevisionBarrier documentsBarrier,
            int replicas) {
        this.settings = settings;
        this.documents = documents;
        this.documentsBarrier = documentsBarrier;
        this.replicas = replicas;
        this.name = name;
        this.nc = nc;
        this.registry = registry;
        this.heartbeats = heartbeats;
        this.barrier = barrier;
    }

    /**
     * Connects to NATS and opens (creating if needed) the cluster's buckets.
     *
     * @throws IOException NATS unreachable or JetStream not enabled: one line for the operator
     */
    public static Cluster join(ClusterSettings settings, Path dataDir) throws IOException {
        String name = settings.nodeName() != null ? settings.nodeName() : defaultName();
        var events = new Logged(name);
        Connection nc = NatsConnector.connect(settings, name, events);
        try {
            // R3 where there are three servers or more to hold the copies, else one copy each.
            int replicas = Math.min(3, settings.servers().size());
            var storage =
                    new JetStreamRegistryStorage(
                            nc,
                            Buckets.registry(nc, replicas),
                            Buckets.modules(nc, replicas),
                            new BlobStore(dataDir.resolve("modules").resolve("sha256")));
            var heartbeats = new Heartbeats(nc, Buckets.nodes(nc, replicas), name, settings.zone());
            var barrier =
                    new RevisionBarrier(
                            nc,
                            name,
                            heartbeats::livePeers,
                            revision -> storage.appliedWithin(revision, RevisionBarrier.WAIT));
            storage.barrier(barrier);
            var documents = new JetStreamDocuments(nc, Buckets.documents(nc, replicas));
            documents.start();
            var documentsBarrier =
                    new RevisionBarrier(
                            nc,
                            JetStreamDocuments.APPLIED_SUBJECT,
                            name,
                            heartbeats::livePeers,
                            revision -> documents.appliedWithin(revision, RevisionBarrier.WAIT));
            documents.barrier(documentsBarrier);
            log.info(
                    "node {} (zone {}) joined the cluster at {}",
                    name,
                    settings.zone(),
                    nc.getConnectedUrl());
            Cluster cluster =
                    new Cluster(
                            settings,
                            name,
                            nc,
                            storage,
                            heartbeats,
                            barrier,
                            documents,
                            documentsBarrier,
                            replicas);
            events.onReconnect =
                    () -> {
                        storage.rewatch();
                        documents.rewatch();
                        heartbeats.rewatch();
                        cluster.rewatchRecords();
                    };
            return cluster;
        } catch (IOException | RuntimeException e) {
            closeQuietly(nc);
            throw e;
        }
    }

    private static String defaultName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_-]", "-");
        } catch (IOException e) {
            host = "kiln";
        }
        String name = host + "-" + ProcessHandle.current().pid();
        return name.length() > 63 ? name.substring(name.length() - 63) : name;
    }

    /** The registry's storage (the host's {@code Registry} opens on it). */
    public RegistryStorage registryStorage() {
        return registry;
    }

    /**
     * The cluster's documents (docs/adr/0054): API keys, quotas, routes, secrets, triggers and
     * async settings, every table in the {@code kiln-documents} bucket, the same on every node.
     */
    public DocumentStore.Opener documents() {
        return documents;
    }

    /**
     * Opens the cluster's event queue (docs/adr/0053): the {@code KILN_EVENTS} work-queue stream
     * and the buckets of dead letters, retry state and fire marks, created by the first node.
     *
     * @param maxQueuedOf the most events a function may have stored
     * @param prefetch how many delivered events this node keeps ready to start
     */
    public EventQueue eventQueue(ToIntFunction<FunctionName> maxQueuedOf, int prefetch) {
        try {
            Buckets.events(nc, replicas);
            return new JetStreamEventQueue(
                    nc,
                    Buckets.deadLetters(nc, replicas),
                    Buckets.eventState(nc, replicas),
                    Buckets.fireMarks(nc, replicas),
                    maxQueuedOf,
                    prefetch);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the cluster's event queue", e);
        }
    }

    /**
     * Opens every service's key-value store in the {@code kiln-kv} bucket (docs/adr/0055), created
     * by the first node.
     */
    public KvStore kvStore(KvLimits limits) throws IOException {
        return new JetStreamKvStore(
                new KvWire(nc, Buckets.serviceKv(nc, replicas)), limits, Clock.systemUTC());
    }

    /**
     * Starts the heartbeats, reporting {@code inUse} of {@code capacity}; call once the node can
     * serve.
     */
    public void startHeartbeats(IntSupplier inUse, int capacity) throws IOException {
        heartbeats.start(inUse, capacity);
    }

    /**
     * Starts taking invocations other nodes have no room for, and forwarding those this node has no
     * room for (docs/adr/0056); call once the node can serve.
     */
    public void startForwarding(
            Invoker invoker, Registry registry, KilnConfig config, Metrics metrics) {
        forwarding =
                new InvocationForwarding(
                        nc, name, settings.zone(), invoker, registry, config, metrics);
    }

    /**
     * The cluster's audit log (docs/adr/0058): the stream {@code KILN_AUDIT}, created by the first
     * node with {@code maxAge} and {@code maxEntries} (the audit retention).
     */
    public AuditStream auditStream(Duration maxAge, long maxEntries) throws IOException {
        return new AuditStream(nc, name, replicas, maxAge, maxEntries);
    }

    /**
     * The admission of service quotas counted cluster-wide (docs/adr/0058): this node enforces its
     * part of each figure, divided among the nodes by the demand they report.
     */
    public ServiceAdmission admission(QuotaStore quotas, Metrics metrics) {
        var exchange = new QuotaExchange(nc, name, heartbeats::livePeers, quotas);
        var admission = new ServiceAdmission(quotas, System::nanoTime, exchange);
        exchange.start(admission::demand, metrics);
        quotaExchange = exchange;
        return admission;
    }

    /**
     * Makes invocation records, logs, usage and statistics the cluster's (docs/adr/0057): what
     * {@code records} writes is published to the {@code KILN_RECORDS} stream, kept for {@code
     * maxAge} and up to the settings' {@code recordsMaxBytes}, and every other node's records are
     * read from it into {@code records}.
     *
     * @param queueCapacity records waiting to be published at most; past it they are counted
     */
    public void replicateRecords(
            InvocationStore records, Duration maxAge, int queueCapacity, Metrics metrics)
            throws IOException {
        Buckets.records(nc, replicas, maxAge, settings.recordsMaxBytes());
        recordIngest = new RecordIngest(nc, records);
        recordPublisher =
                new RecordPublisher(nc, name, recordIngest.origin(), queueCapacity, metrics);
        records.replicateTo(name, recordPublisher);
        recordIngest.start();
    }

    /**
     * Makes recordings the cluster's (docs/adr/0059): what {@code recordings} writes is put into
     * the {@code kiln-recordings} bucket, kept for {@code maxAge}, and a recording this node does
     * not hold is read from it.
     *
     * @param maxRecordingBytes the largest recording a node keeps
     */
    public void replicateRecordings(
            RecordingStore recordings, Duration maxAge, long maxRecordingBytes, Metrics metrics)
            throws IOException {
        var bucket =
                new RecordingBucket(
                        nc,
                        Buckets.recordings(nc, replicas, maxAge, maxRecordingBytes),
                        // What may wait for NATS: a few of the largest recordings.
                        8L * maxRecordingBytes,
                        metrics);
        recordingBucket = bucket;
        recordings.replicateTo(bucket);
    }

    private void rewatchRecords() {
        RecordIngest ingest = recordIngest;
        if (ingest != null) {
            ingest.rewatch();
        }
    }

    @Override
    public Overflow overflow() {
        return forwarding;
    }

    @Override
    public String mode() {
        return "nats";
    }

    @Override
    public String nodeName() {
        return name;
    }

    public String zone() {
        return settings.zone();
    }

    @Override
    public List<NodeStatus> nodes() {
        return heartbeats.nodes();
    }

    @Override
    public boolean writable() {
        return nc.getStatus() == Connection.Status.CONNECTED;
    }

    /** Leaves: heartbeat removed, watches and the connection closed (within a few seconds). */
    @Override
    public void close() {
        if (forwarding != null) {
            forwarding.close();
        }
        if (quotaExchange != null) {
            quotaExchange.close();
        }
        if (recordPublisher != null) {
            recordPublisher.close(); // publishes what the record writer handed over last
        }
        if (recordIngest != null) {
            recordIngest.close();
        }
        if (recordingBucket != null) {
            recordingBucket.close(); // puts what the recording writer handed over last
        }
        heartbeats.close();
        barrier.close();
        documentsBarrier.close();
        documents.close();
        registry.close();
        closeQuietly(nc);
    }

    private static void closeQuietly(Connection nc) {
        try {
            nc.flush(Duration.ofSeconds(1));
        } catch (Exception e) {
            // closing anyway
        }
        try {
            nc.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Connection changes in the log: an operator sees the outage and the recovery. */
    // jnats 2.26 deprecates the two-argument callback but still declares it abstract.
    @SuppressWarnings("deprecation")
    private static final class Logged implements ConnectionListener {
        private final String name;
        volatile Runnable onReconnect = () -> {};

        Logged(String name) {
            this.name = name;
        }

        @Override
        public void connectionEvent(Connection conn, Events type) {
            switch (type) {
                case DISCONNECTED ->
                        log.warn(
                                "node {} lost NATS: serving cached functions, refusing changes",
                                name);
                case RECONNECTED -> {
                    log.info("node {} reconnected to NATS at {}", name, conn.getConnectedUrl());
                    // off the connection's event thread: watching again is a request-reply
                    Thread.ofVirtual().name("kiln-cluster-rewatch").start(onReconnect);
                }
                default -> log.debug("NATS connection of {}: {}", name, type);
            }
        }
    }
}

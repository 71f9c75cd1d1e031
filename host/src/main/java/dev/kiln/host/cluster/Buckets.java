package dev.kiln.host.cluster;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.ObjectStore;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JetStream buckets cluster mode uses, created by whichever node comes first (creating one that
 * exists with the same configuration is a no-op on the server). Only features of nats-server 2.9
 * (docs/adr/0048).
 */
final class Buckets {
    private static final Logger log = LoggerFactory.getLogger(Buckets.class);

    /** Function documents and versions (docs/adr/0048). */
    static final String REGISTRY = "kiln-registry";

    /** Keys, quotas, routes, secrets, triggers and async settings (docs/adr/0054). */
    static final String DOCUMENTS = "kiln-documents";

    /** Node heartbeats; an entry older than the bucket's max age is gone. */
    static final String NODES = "kiln-nodes";

    /** Module bytes, named by their sha-256. */
    static final String MODULES = "kiln-modules";

    static final Duration NODE_MAX_AGE = Duration.ofMinutes(1);

    /** The work-queue stream of async events (docs/adr/0053). */
    static final String EVENTS = "KILN_EVENTS";

    /** Subjects of {@link #EVENTS}: {@code kiln.events.<service>.<function>}. */
    static final String EVENT_SUBJECTS = "kiln.events.>";

    /** The one durable pull consumer every node takes events from. */
    static final String DISPATCH = "kiln-dispatch";

    /** Dead letters, one entry per event: {@code <service>.<function>.<request id>}. */
    static final String DEAD_LETTERS = "kiln-dead-letters";

    /** What an event's retries carry between deliveries: attempts counted, last error. */
    static final String EVENT_STATE = "kiln-event-state";

    /**
     * Every service's key-value store (docs/adr/0055): one bucket, keys {@code <service>.<hex of
     * the key>}, the expiry in a message header.
     */
    static final String SERVICE_KV = "kiln-kv";

    /** Invocation records of every node (docs/adr/0057): limits retention, max age. */
    static final String RECORDS = "KILN_RECORDS";

    /** Subjects of {@link #RECORDS}: {@code kiln.records.<node>}. */
    static final String RECORD_SUBJECT_PREFIX = "kiln.records.";

    static final String RECORD_SUBJECTS = RECORD_SUBJECT_PREFIX + ">";

    /** How long {@link #RECORDS} remembers a message id (at most its max age). */
    static final Duration RECORDS_DUPLICATE_WINDOW = Duration.ofHours(1);

    /**
     * Recordings of every node for replay (docs/adr/0059): {@code <service>.<function>.<request
     * id>}, each part base64url.
     */
    static final String RECORDINGS = "kiln-recordings";

    /** Room in a recording's value beyond the node's largest recording: its JSON's framing. */
    static final long RECORDING_HEADROOM = 64 * 1024;

    /** Timer fire marks: the last scheduled time fired, per timer. */
    static final String FIRE_MARKS = "kiln-fire-marks";

    /**
     * How long the stream remembers a message id: a second publish of one event within it is
     * dropped. Longer than any retry of an enqueue, and than the spread of nodes' timer rounds.
     */
    static final Duration DUPLICATE_WINDOW = Duration.ofMinutes(2);

    /**
     * How long a delivered event may go unacknowledged before JetStream gives it to another node:
     * the holder reports progress every {@link #PROGRESS_EVERY}, so only a dead node's events wait
     * this long.
     */
    static final Duration ACK_WAIT = Duration.ofSeconds(15);

    static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    /** Retry state outlives any event's retries (the longest event age is far below). */
    static final Duration EVENT_STATE_MAX_AGE = Duration.ofDays(7);

    /** How long a node's start waits for the events stream to answer in a fresh cluster. */
    static final Duration STREAM_READY_WAIT = Duration.ofSeconds(20);

    /**
     * JetStream requests wait up to 10 s (jnats' default is 2 s): on two busy cores a write can
     * take longer, and a stream election stalls writes 4–9 s (measured, DESIGN.md); a node that
     * cannot reach NATS at all is refused at once without waiting (docs/adr/0048).
     */
    static final io.nats.client.JetStreamOptions JS_OPTIONS =
            io.nats.client.JetStreamOptions.builder()
                    .requestTimeout(Duration.ofSeconds(10))
                    .build();

    private Buckets() {}

    static KeyValue registry(Connection nc, int replicas) throws IOException {
        return kv(nc, bucket(REGISTRY, "Kiln functions, versions and aliases", replicas).build());
    }

    static KeyValue documents(Connection nc, int replicas) throws IOException {
        return kv(
                nc,
                bucket(DOCUMENTS, "Kiln keys, quotas, routes, secrets, triggers", replicas)
                        .build());
    }

    static KeyValue nodes(Connection nc, int replicas) throws IOException {
        return kv(nc, bucket(NODES, "Kiln node heartbeats", replicas).ttl(NODE_MAX_AGE).build());
    }

    static ObjectStore modules(Connection nc, int replicas) throws IOException {
        try {
            var osm = nc.objectStoreManagement();
            if (!osm.getBucketNames().contains(MODULES)) {
                try {
                    osm.create(
                            ObjectStoreConfiguration.builder()
                                    .name(MODULES)
                                    .description("Kiln module bytes by sha-256")
                                    .storageType(StorageType.File)
                                    .replicas(replicas)
                                    .build());
                } catch (JetStreamApiException e) {
                    // another node created it meanwhile
                }
            }
            return nc.objectStore(
                    MODULES, io.nats.client.ObjectStoreOptions.builder(JS_OPTIONS).build());
        } catch (JetStreamApiException e) {
            throw new IOException("JetStream refused the object store " + MODULES, e);
        }
    }

    static KeyValue deadLetters(Connection nc, int replicas) throws IOException {
        return kv(nc, bucket(DEAD_LETTERS, "Kiln async dead letters", replicas).build());
    }

    static KeyValue eventState(Connection nc, int replicas) throws IOException {
        return kv(
                nc,
                bucket(EVENT_STATE, "Kiln async events' attempts between deliveries", replicas)
                        .ttl(EVENT_STATE_MAX_AGE)
                        .build());
    }

    static KeyValue serviceKv(Connection nc, int replicas) throws IOException {
        return kv(nc, bucket(SERVICE_KV, "Kiln key-value stores of services", replicas).build());
    }

    static KeyValue fireMarks(Connection nc, int replicas) throws IOException {
        return kv(nc, bucket(FIRE_MARKS, "Kiln timer fire marks", replicas).build());
    }

    /**
     * The recordings bucket (docs/adr/0059): kept for {@code maxAge}, values up to {@code
     * maxRecordingBytes} and some room, never above the connection's largest message; made by the
     * first node, whose limits hold.
     */
    static KeyValue recordings(Connection nc, int replicas, Duration maxAge, long maxRecordingBytes)
            throws IOException {
        long maxValue = Math.min(maxRecordingBytes + RECORDING_HEADROOM, nc.getMaxPayload());
        return kv(
                nc,
                bucket(RECORDINGS, "Kiln recordings for replay", replicas)
                        .ttl(maxAge)
                        .maximumValueSize((int) Math.min(Integer.MAX_VALUE, maxValue))
                        .build());
    }

    /**
     * The events stream (work queue: a message is gone once acknowledged) and its dispatch consumer
     * (explicit acks, unlimited deliveries: Kiln decides when an event is dead).
     */
    static void events(Connection nc, int replicas) throws IOException {
        whenReady(
                "the stream " + EVENTS,
                () -> {
                    createEvents(nc.jetStreamManagement(JS_OPTIONS), replicas);
                    return null;
                });
    }

    /**
     * The records stream (docs/adr/0057): messages kept for {@code maxAge} (the records' retention)
     * and {@code maxBytes} at most, the oldest dropped first; made by the first node, whose limits
     * hold. A stream without a byte limit (made by a Kiln before there was one) gets {@code
     * maxBytes}: unbounded, it would fill the servers' JetStream storage under load, and every
     * stream on them with it.
     */
    static void records(Connection nc, int replicas, Duration maxAge, long maxBytes)
            throws IOException {
        whenReady(
                "the stream " + RECORDS,
                () -> {
                    JetStreamManagement jsm = nc.jetStreamManagement(JS_OPTIONS);
                    if (!jsm.getStreamNames().contains(RECORDS)) {
                        jsm.addStream(
                                StreamConfiguration.builder()
                                        .name(RECORDS)
                                        .description("Kiln invocation records of every node")
                                        .subjects(RECORD_SUBJECTS)
                                        .retentionPolicy(RetentionPolicy.Limits)
                                        .storageType(StorageType.File)
                                        .replicas(replicas)
                                        .maxAge(maxAge)
                                        .maxBytes(maxBytes)
                                        // a publish retried after an outage is still recognised
                                        .duplicateWindow(min(RECORDS_DUPLICATE_WINDOW, maxAge))
                                        .discardPolicy(DiscardPolicy.Old)
                                        .build());
                        jsm.getStreamInfo(RECORDS); // answers once the stream has a leader
                    } else {
                        // answers once the stream has a leader, as above
                        StreamConfiguration c = jsm.getStreamInfo(RECORDS).getConfiguration();
                        if (c.getMaxBytes() <= 0) {
                            jsm.updateStream(
                                    StreamConfiguration.builder(c).maxBytes(maxBytes).build());
                            log.info(
                                    "records stream: kept to {} MiB from now on (it had no byte"
                                            + " limit)",
                                    maxBytes >> 20);
                        }
                    }
                    return null;
                });
    }

    /**
     * The audit stream (docs/adr/0058): kept for {@code maxAge} and at most {@code maxEntries}
     * messages (the audit retention), the oldest dropped first; made by the first node, whose
     * limits hold.
     */
    static void audit(Connection nc, int replicas, Duration maxAge, long maxEntries)
            throws IOException {
        whenReady(
                "the stream " + AuditStream.STREAM,
                () -> {
                    JetStreamManagement jsm = nc.jetStreamManagement(JS_OPTIONS);
                    if (!jsm.getStreamNames().contains(AuditStream.STREAM)) {
                        jsm.addStream(
                                StreamConfiguration.builder()
                                        .name(AuditStream.STREAM)
                                        .description("Kiln audit log of management writes")
                                        .subjects(AuditStream.SUBJECTS)
                                        .retentionPolicy(RetentionPolicy.Limits)
                                        .storageType(StorageType.File)
                                        .replicas(replicas)
                                        .maxAge(maxAge)
                                        .maxMessages(maxEntries)
                                        .discardPolicy(DiscardPolicy.Old)
                                        .build());
                    }
                    jsm.getStreamInfo(AuditStream.STREAM); // answers once it has a leader
                    return null;
                });
    }

    /** A JetStream call that may be refused while a stream just made has no leader yet. */
    private interface JetStreamCall<T> {
        T call() throws IOException, JetStreamApiException;
    }

    /**
     * Runs {@code call} until JetStream takes it, for up to {@link #STREAM_READY_WAIT}: a stream
     * just created in a JetStream cluster answers "stream not found" until its replicas have
     * elected a leader (seen right after a fresh 3-server cluster formed), and another node may be
     * creating the same stream or bucket at the same moment.
     */
    private static <T> T whenReady(String what, JetStreamCall<T> call) throws IOException {
        long deadline = System.nanoTime() + STREAM_READY_WAIT.toNanos();
        while (true) {
            Exception refused;
            try {
                return call.call();
            } catch (JetStreamApiException e) {
                refused = e;
            } catch (IOException e) {
                // jnats' keyValue(...) reads the stream's info and wraps its refusal.
                if (!(e.getCause() instanceof JetStreamApiException)) {
                    throw e;
                }
                refused = e;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(
                        "JetStream refused "
                                + what
                                + " (is JetStream enabled on the NATS servers?)",
                        refused);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + what, x);
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void createEvents(JetStreamManagement jsm, int replicas)
            throws IOException, JetStreamApiException {
        if (!jsm.getStreamNames().contains(EVENTS)) {
            try {
                jsm.addStream(
                        StreamConfiguration.builder()
                                .name(EVENTS)
                                .description("Kiln async events")
                                .subjects(EVENT_SUBJECTS)
                                .retentionPolicy(RetentionPolicy.WorkQueue)
                                .storageType(StorageType.File)
                                .replicas(replicas)
                                .duplicateWindow(DUPLICATE_WINDOW)
                                .discardPolicy(DiscardPolicy.New)
                                .build());
            } catch (JetStreamApiException e) {
                if (!jsm.getStreamNames().contains(EVENTS)) {
                    throw e; // not another node creating it meanwhile
                }
            }
        }
        if (!jsm.getConsumerNames(EVENTS).contains(DISPATCH)) {
            try {
                jsm.addOrUpdateConsumer(
                        EVENTS,
                        ConsumerConfiguration.builder()
                                .durable(DISPATCH)
                                .ackPolicy(AckPolicy.Explicit)
                                .ackWait(ACK_WAIT)
                                .maxDeliver(-1)
                                .maxAckPending(100_000)
                                .build());
            } catch (JetStreamApiException e) {
                if (!jsm.getConsumerNames(EVENTS).contains(DISPATCH)) {
                    throw e; // not another node creating it meanwhile
                }
            }
        }
    }

    /**
     * A bucket of Kiln's shape: the latest value per key only, on disk, {@code replicas} copies.
     */
    private static KeyValueConfiguration.Builder bucket(
            String name, String description, int replicas) {
        return KeyValueConfiguration.builder()
                .name(name)
                .description(description)
                .maxHistoryPerKey(1)
                .storageType(StorageType.File)
                .replicas(replicas);
    }

    private static KeyValue kv(Connection nc, KeyValueConfiguration config) throws IOException {
        return whenReady(
                "the key-value bucket " + config.getBucketName(),
                () -> {
                    var kvm = nc.keyValueManagement();
                    if (!kvm.getBucketNames().contains(config.getBucketName())) {
                        try {
                            kvm.create(config);
                        } catch (JetStreamApiException e) {
                            // another node created it meanwhile
                        }
                    }
                    return nc.keyValue(
                            config.getBucketName(),
                            io.nats.client.KeyValueOptions.builder(JS_OPTIONS).build());
                });
    }
}

package dev.kiln.host.cluster;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DocumentStore;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's settings-like documents (API keys, quotas, routes, secrets, triggers, async
 * settings) in one JetStream key-value bucket, {@code kiln-documents} (docs/adr/0054): key {@code
 * <table>.=<owner>.=<id>}, owner and id in base64url so any text fits a key. Every node keeps a
 * copy through one watch of the bucket and tells each table's listeners of each change in revision
 * order. Writes are compare-and-set on the revision this node holds (a concurrent change on another
 * node is a {@code conflict}); a write returns once this node's watch has applied it and every live
 * node has confirmed it through a {@link RevisionBarrier} of its own, so what a client was answered
 * on one node is what every node reads. Without NATS, reads go on from the copy and writes answer
 * {@code unavailable}.
 */
final class JetStreamDocuments implements DocumentStore.Opener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JetStreamDocuments.class);
    private static final Pattern TABLE = Pattern.compile("[a-z_]{1,40}");

    /** Subject of this bucket's barrier (the registry has its own revisions and barrier). */
    static final String APPLIED_SUBJECT = "kiln.documents.applied";

    private final Connection nc;
    private final KeyValue kv;
    private final RevisionWrites writes;
    private final Map<String, Table> tables = new ConcurrentHashMap<>();

    private final BucketWatch watch;
    private volatile RevisionBarrier barrier;

    JetStreamDocuments(Connection nc, KeyValue kv) throws IOException {
        this.nc = nc;
        this.kv = kv;
        this.writes = new RevisionWrites(nc, kv);
        this.watch = new BucketWatch(nc, kv, "documents", this::apply);
    }

    void barrier(RevisionBarrier barrier) {
        this.barrier = barrier;
    }

    /** Loads what the bucket holds (returns once the watch has delivered it) and keeps watching. */
    void start() throws IOException {
        watch.start(JetStreamRegistryStorage.LOAD_WAIT);
    }

    /** After NATS came back: a new watch from the revision after the last one applied. */
    void rewatch() {
        watch.rewatch();
    }

    /** One entry of the bucket, on the watch's thread, in revision order. */
    private void apply(KeyValueEntry e) {
        String[] parts = e.getKey().split("\\.", -1);
        if (parts.length == 3 && TABLE.matcher(parts[0]).matches()) {
            String body =
                    e.getOperation() == KeyValueOperation.PUT
                            ? new String(e.getValue(), StandardCharsets.UTF_8)
                            : null;
            table(parts[0]).apply(decode(parts[1]), decode(parts[2]), body, e.getRevision());
        }
    }

    boolean appliedWithin(long revision, Duration wait) {
        return watch.appliedWithin(revision, wait);
    }

    /** Returns once {@code revision} is applied here and confirmed by every live node. */
    private void awaitApplied(long revision) {
        if (!appliedWithin(revision, JetStreamRegistryStorage.LOCAL_WAIT)) {
            log.warn(
                    "document revision {} was stored but has not come back through the watch"
                            + " within {} s",
                    revision,
                    JetStreamRegistryStorage.LOCAL_WAIT.toSeconds());
            Thread.ofVirtual().name("kiln-documents-rewatch").start(this::rewatch);
            return;
        }
        RevisionBarrier b = barrier;
        if (b != null) {
            b.await(revision);
        }
    }

    /** After deletes (whose revision the client does not return): up to the bucket's last one. */
    private void awaitLast() {
        try {
            awaitApplied(kv.getStatus().getBackingStreamInfo().getStreamState().getLastSequence());
        } catch (IOException | JetStreamApiException e) {
            throw unavailable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(e);
        }
    }

    private void requireConnected() {
        if (nc.getStatus() != Connection.Status.CONNECTED) {
            throw new KilnException(
                    ErrorCode.UNAVAILABLE,
                    "the cluster's settings (NATS JetStream) are unreachable from this node;"
                            + " changes are refused until it is back, invocations go on");
        }
    }

    private static KilnException unavailable(Exception cause) {
        log.warn("documents write failed: {}", cause.toString());
        return Unavailable.of("the cluster's settings refused the change", cause);
    }

    @Override
    public DocumentStore open(String file, String table) {
        if (!TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("bad table name " + table);
        }
        return table(table);
    }

    private Table table(String name) {
        return tables.computeIfAbsent(name, Table::new);
    }

    @Override
    public void close() {
        watch.close();
    }

    private static String encode(String text) {
        return "="
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String token) {
        if (!token.startsWith("=")) {
            throw new IllegalArgumentException("not a document key token: " + token);
        }
        return new String(
                Base64.getUrlDecoder().decode(token.substring(1)), StandardCharsets.UTF_8);
    }

    /** One table's documents: the copy the watch keeps, and writes to the bucket. */
    private final class Table implements DocumentStore {
        private final String name;
        private final ConcurrentSkipListMap<String, Stored> cache = new ConcurrentSkipListMap<>();
        private final List<Listener> listeners = new CopyOnWriteArrayList<>();

        private record Stored(Document doc, long revision) {}

        Table(String name) {
            this.name = name;
        }

        /** A change from the watch (this node's or another's), applied and told in order. */
        synchronized void apply(String owner, String id, String body, long revision) {
            if (body == null) {
                if (cache.remove(cacheKey(owner, id)) == null) {
                    return;
                }
            } else {
                cache.put(cacheKey(owner, id), new Stored(new Document(owner, id, body), revision));
            }
            for (Listener l : listeners) {
                try {
                    l.changed(owner, id, body);
                } catch (RuntimeException e) {
                    log.error(
                            "document {}/{} of {} not applied: {}", owner, id, name, e.toString());
                }
            }
        }

        @Override
        public synchronized void listen(Listener listener) {
            for (Stored s : cache.values()) {
                listener.changed(s.doc().owner(), s.doc().id(), s.doc().body());
            }
            listeners.add(listener);
        }

        @Override
        public Optional<Document> get(String owner, String id) {
            return Optional.ofNullable(cache.get(cacheKey(owner, id))).map(Stored::doc);
        }

        @Override
        public List<Document> list(String owner) {
            return cache.subMap(owner + '\0', owner + '\1').values().stream()
                    .map(Stored::doc)
                    .toList();
        }

        @Override
        public List<Document> all() {
            return cache.values().stream().map(Stored::doc).toList();
        }

        @Override
        public void put(String owner, String id, String body) {
            requireConnected();
            Stored known = cache.get(cacheKey(owner, id));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            long revision;
            try {
                revision =
                        known == null
                                ? writes.create(key(owner, id), bytes)
                                : writes.update(key(owner, id), bytes, known.revision());
            } catch (RevisionWrites.Conflict c) {
                throw new KilnException(
                        ErrorCode.CONFLICT,
                        "this setting was changed on another node at the same time; read it"
                                + " again and retry");
            } catch (JetStreamApiException e) {
                throw unavailable(e);
            } catch (IOException e) {
                throw unavailable(e);
            }
            awaitApplied(revision);
        }

        @Override
        public boolean delete(String owner, String id) {
            if (!cache.containsKey(cacheKey(owner, id))) {
                return false;
            }
            requireConnected();
            try {
                kv.delete(key(owner, id));
            } catch (IOException | JetStreamApiException e) {
                throw unavailable(e);
            }
            awaitLast();
            return true;
        }

        @Override
        public int deleteOwner(String owner) {
            List<Document> mine = new ArrayList<>(list(owner));
            if (mine.isEmpty()) {
                return 0;
            }
            requireConnected();
            for (Document d : mine) {
                try {
                    kv.delete(key(owner, d.id()));
                } catch (IOException | JetStreamApiException e) {
                    throw unavailable(e);
                }
            }
            awaitLast();
            return mine.size();
        }

        /** The bucket and its watch belong to the cluster, closed with it. */
        @Override
        public void close() {}

        private String key(String owner, String id) {
            return name + "." + encode(owner) + "." + encode(id);
        }

        private static String cacheKey(String owner, String id) {
            return owner + '\0' + id;
        }
    }
}

package dev.kiln.host.cluster;

import dev.kiln.host.cluster.RegistryDocs.FunctionDoc;
import dev.kiln.host.cluster.RegistryDocs.VersionDoc;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.registry.AliasInfo;
import dev.kiln.host.registry.BlobStore;
import dev.kiln.host.registry.FunctionState;
import dev.kiln.host.registry.RegistryStorage;
import dev.kiln.host.registry.VersionInfo;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.ObjectStore;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.ObjectInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry in a JetStream key-value bucket, module bytes in a JetStream object store
 * (docs/adr/0048). Every node keeps a copy through one watch of the bucket and announces each entry
 * to the {@link dev.kiln.host.registry.Registry} in revision order; writes are compare-and-set on
 * the function document's revision, so two nodes changing one function at once cannot both win.
 * Module bytes are cached in this node's data directory ({@link BlobStore}) after the first fetch,
 * checked against their sha-256.
 */
final class JetStreamRegistryStorage implements RegistryStorage {
    private static final Logger log = LoggerFactory.getLogger(JetStreamRegistryStorage.class);

    /** The longest a write waits for its own revision to come back through the watch. */
    static final Duration LOCAL_WAIT = Duration.ofSeconds(10);

    /** How long a start waits for the watch to deliver what the bucket holds. */
    static final Duration LOAD_WAIT = Duration.ofSeconds(30);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Connection nc;
    private final KeyValue kv;
    private final RevisionWrites writes;
    private final ObjectStore modules;
    private final BlobStore localModules;

    /** Function documents (tombstones included) with their revision, as the watch delivered. */
    private final Map<FunctionName, Entry> docs = new ConcurrentHashMap<>();

    /** Older versions, by function and incarnation. */
    private final Map<String, ConcurrentSkipListMap<Integer, VersionInfo>> versions =
            new ConcurrentHashMap<>();

    /**
     * When the last catch-up ended (nanoTime): lookups of names that do not exist must not turn
     * into a stream of JetStream requests, so catch-ups are at least {@link #CATCH_UP_GAP} apart.
     */
    private final java.util.concurrent.atomic.AtomicLong lastCatchUp =
            new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - 1_000_000_000L);

    static final Duration CATCH_UP_GAP = Duration.ofMillis(20);

    private volatile Changes changes;
    private final BucketWatch watch;
    private volatile RevisionBarrier barrier;

    private record Entry(FunctionDoc doc, long revision) {}

    JetStreamRegistryStorage(
            Connection nc, KeyValue kv, ObjectStore modules, BlobStore localModules)
            throws IOException {
        this.nc = nc;
        this.kv = kv;
        this.writes = new RevisionWrites(nc, kv);
        this.modules = modules;
        this.localModules = localModules;
        this.watch = new BucketWatch(nc, kv, "registry", this::apply);
    }

    /** After a write is applied here, the barrier makes the other live nodes confirm it. */
    void barrier(RevisionBarrier barrier) {
        this.barrier = barrier;
    }

    // --- the watch ----------------------------------------------------------------------------

    @Override
    public void start(Changes changes) throws IOException {
        this.changes = changes;
        watch.start(LOAD_WAIT);
    }

    /** After NATS came back: a new watch from the revision after the last one applied. */
    void rewatch() {
        watch.rewatch();
    }

    /** One entry of the bucket, on the watch's thread, in revision order. */
    private void apply(KeyValueEntry e) throws IOException {
        String[] parts = e.getKey().split("\\.", -1);
        boolean put = e.getOperation() == KeyValueOperation.PUT;
        if (parts.length == 3 && parts[0].equals("fn")) {
            FunctionName name = new FunctionName(parts[1], parts[2]);
            FunctionDoc doc =
                    put
                            ? RegistryDocs.read(e.getValue(), FunctionDoc.class)
                            : FunctionDoc.tombstone(name, "");
            docs.put(name, new Entry(doc, e.getRevision()));
            changes.function(name, doc.deleted() ? null : doc.state(), e.getRevision());
        } else if (parts.length == 5 && parts[0].equals("ver")) {
            FunctionName name = new FunctionName(parts[1], parts[2]);
            int number = Integer.parseInt(parts[4]);
            var of =
                    versions.computeIfAbsent(
                            versionSet(name, parts[3]), k -> new ConcurrentSkipListMap<>());
            if (put) {
                of.put(number, RegistryDocs.read(e.getValue(), VersionDoc.class).info());
            } else {
                of.remove(number);
                changes.versionRemoved(name, number);
            }
        }
    }

    private static String versionSet(FunctionName f, String incarnation) {
        return f.service() + "/" + f.function() + "/" + incarnation;
    }

    /** Whether the watch reaches {@code revision} within {@code wait}. */
    boolean appliedWithin(long revision, Duration wait) {
        return watch.appliedWithin(revision, wait);
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public void awaitApplied(long revision) {
        if (!appliedWithin(revision, LOCAL_WAIT)) {
            log.warn(
                    "registry revision {} was stored but has not come back through the watch"
                            + " within {} s",
                    revision,
                    LOCAL_WAIT.toSeconds());
            // the watch may have lost its consumer without a reconnect: open a new one
            Thread.ofVirtual().name("kiln-cluster-rewatch").start(this::rewatch);
            return;
        }
        RevisionBarrier b = barrier;
        if (b != null) {
            b.await(revision);
        }
    }

    /**
     * Brings this node's copy up to what the bucket holds now (one round trip to JetStream): for a
     * lookup that found nothing, which another node may have just written. Returns at once while
     * NATS is unreachable.
     */
    @Override
    public void catchUp() {
        long before = lastCatchUp.get();
        if (nc.getStatus() != Connection.Status.CONNECTED
                || System.nanoTime() - before < CATCH_UP_GAP.toNanos()
                || !lastCatchUp.compareAndSet(before, System.nanoTime())) {
            return;
        }
        try {
            long last = kv.getStatus().getBackingStreamInfo().getStreamState().getLastSequence();
            appliedWithin(last, Duration.ofSeconds(1));
            lastCatchUp.set(System.nanoTime());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            log.debug("registry catch-up failed: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- writes -------------------------------------------------------------------------------

    private void requireConnected() {
        if (nc.getStatus() != Connection.Status.CONNECTED) {
            throw unavailable();
        }
    }

    private static KilnException unavailable() {
        return new KilnException(
                ErrorCode.UNAVAILABLE,
                "the cluster's registry (NATS JetStream) is unreachable from this node; changes are"
                        + " refused until it is back, invocations go on");
    }

    private String incarnationOf(FunctionName f) {
        Entry e = docs.get(f);
        return e == null || e.doc().deleted() ? null : e.doc().incarnation();
    }

    /** Writes the function's document if its revision is still {@code expected}. */
    private long compareAndSet(FunctionName f, FunctionDoc doc, long expected) {
        requireConnected();
        String key = RegistryDocs.functionKey(f);
        byte[] bytes = RegistryDocs.write(doc);
        try {
            if (expected != NO_REVISION) {
                return writes.update(key, bytes, expected);
            }
            Entry tomb = docs.get(f);
            if (tomb != null && tomb.doc().deleted()) {
                return writes.update(key, bytes, tomb.revision());
            }
            return writes.create(key, bytes);
        } catch (RevisionWrites.Conflict c) {
            throw new KilnException(
                    ErrorCode.CONFLICT,
                    "function "
                            + f
                            + " was changed by another node at the same time; read it again"
                            + " and retry");
        } catch (JetStreamApiException e) {
            log.error("JetStream refused a registry write", e);
            throw new KilnException(
                    ErrorCode.UNAVAILABLE, "the cluster's registry refused the change; retry");
        } catch (IOException e) {
            log.warn("registry write failed: {}", e.toString());
            throw unavailable();
        }
    }

    private void putVersionDoc(FunctionName f, String incarnation, VersionInfo v) {
        try {
            kv.put(
                    RegistryDocs.versionKey(f, incarnation, v.number()),
                    RegistryDocs.write(VersionDoc.of(v)));
        } catch (IOException | JetStreamApiException e) {
            log.warn("registry version write failed: {}", e.toString());
            throw unavailable();
        }
    }

    @Override
    public long storeVersion(FunctionState after, long expected) {
        requireConnected();
        FunctionName f = name(after);
        String incarnation = incarnationOf(f);
        Entry previous = docs.get(f);
        if (incarnation != null && previous != null) {
            // The newest version lives in the function's document; once superseded it needs a
            // document of its own, written before the function moves on (idempotent).
            putVersionDoc(f, incarnation, previous.doc().latest().info());
        } else {
            incarnation = newIncarnation();
        }
        return compareAndSet(f, FunctionDoc.of(after, incarnation), expected);
    }

    @Override
    public long updateSettings(FunctionState after, long expected) {
        return rewrite(after, expected);
    }

    @Override
    public long putAlias(FunctionState after, AliasInfo alias, long expected) {
        return rewrite(after, expected);
    }

    @Override
    public long deleteAlias(FunctionState after, String name, long expected) {
        return rewrite(after, expected);
    }

    private long rewrite(FunctionState after, long expected) {
        FunctionName f = name(after);
        String incarnation = incarnationOf(f);
        if (incarnation == null) {
            throw new KilnException(
                    ErrorCode.CONFLICT, "function " + f + " was deleted by another node");
        }
        return compareAndSet(f, FunctionDoc.of(after, incarnation), expected);
    }

    @Override
    public long deleteFunction(FunctionName f, List<VersionInfo> all, long expected) {
        String incarnation = incarnationOf(f);
        long revision =
                compareAndSet(
                        f,
                        FunctionDoc.tombstone(f, incarnation == null ? "" : incarnation),
                        expected);
        if (incarnation != null) {
            // Unreachable now whatever happens (a new function gets a new incarnation): removing
            // them only frees the space.
            for (VersionInfo v : all) {
                try {
                    kv.delete(RegistryDocs.versionKey(f, incarnation, v.number()));
                } catch (IOException | JetStreamApiException e) {
                    log.warn("version document of deleted {} left behind: {}", f, e.toString());
                }
            }
        }
        return revision;
    }

    @Override
    public long deleteVersions(FunctionState current, List<VersionInfo> doomed, long expected) {
        requireConnected();
        FunctionName f = name(current);
        String incarnation = incarnationOf(f);
        if (incarnation == null) {
            throw new KilnException(
                    ErrorCode.CONFLICT, "function " + f + " was deleted by another node");
        }
        for (VersionInfo v : doomed) {
            try {
                kv.delete(RegistryDocs.versionKey(f, incarnation, v.number()));
            } catch (IOException | JetStreamApiException e) {
                throw unavailable();
            }
        }
        // The function's document is written again, so an alias change computed before the
        // delete loses its compare-and-set instead of pointing at a version that is gone.
        return compareAndSet(f, FunctionDoc.of(current, incarnation), expected);
    }

    private static String newIncarnation() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static FunctionName name(FunctionState s) {
        return new FunctionName(s.info().service(), s.info().name());
    }

    // --- reads (from this node's copy) ---------------------------------------------------------

    @Override
    public List<VersionInfo> versions(FunctionName f) {
        Entry e = docs.get(f);
        if (e == null || e.doc().deleted()) {
            return List.of();
        }
        VersionInfo latest = e.doc().latest().info();
        List<VersionInfo> out = new ArrayList<>();
        out.add(latest);
        var older = versions.get(versionSet(f, e.doc().incarnation()));
        if (older != null) {
            // A document for a number at or past the newest is a write that lost its race.
            out.addAll(older.headMap(latest.number()).descendingMap().values());
        }
        out.sort(Comparator.comparingInt(VersionInfo::number).reversed());
        return out;
    }

    @Override
    public Optional<VersionInfo> version(FunctionName f, int number) {
        return versions(f).stream().filter(v -> v.number() == number).findFirst();
    }

    @Override
    public int nextVersion(FunctionName f) {
        Entry e = docs.get(f);
        return e == null || e.doc().deleted() ? 1 : e.doc().latest().number() + 1;
    }

    /** Module bytes stay in the object store: their collection is not built yet (ADR 0048). */
    @Override
    public boolean isReferenced(String sha) {
        return true;
    }

    // --- module bytes -------------------------------------------------------------------------

    @Override
    public void putModule(String sha, byte[] bytes) throws IOException {
        requireConnected();
        localModules.put(sha, bytes);
        try {
            ObjectInfo info = modules.getInfo(sha);
            if (info == null || info.isDeleted() || info.getSize() != bytes.length) {
                modules.put(sha, bytes);
            }
        } catch (JetStreamApiException | NoSuchAlgorithmException e) {
            log.warn("module not stored in the object store: {}", e.toString());
            throw unavailable();
        } catch (IOException e) {
            log.warn("module not stored in the object store: {}", e.toString());
            throw unavailable();
        }
    }

    @Override
    public byte[] module(String sha) throws IOException {
        byte[] local = localModules.get(sha);
        if (local != null && Sha256.hex(local).equals(sha)) {
            return local;
        }
        if (nc.getStatus() != Connection.Status.CONNECTED) {
            throw new KilnException(
                    ErrorCode.UNAVAILABLE,
                    "this function's code is not cached on this node and the cluster's object store"
                            + " is unreachable");
        }
        var out = new ByteArrayOutputStream();
        try {
            ObjectInfo info = modules.get(sha, out);
            if (info == null || info.isDeleted()) {
                return null;
            }
        } catch (JetStreamApiException | NoSuchAlgorithmException e) {
            log.warn("module {} not read from the object store: {}", sha, e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        byte[] bytes = out.toByteArray();
        if (Sha256.hex(bytes).equals(sha)) {
            localModules.put(sha, bytes); // this node's cache from now on
        }
        return bytes;
    }

    /** Only this node's cached copy goes; the object store keeps the bytes (ADR 0048). */
    @Override
    public void deleteModule(String sha) throws IOException {
        localModules.delete(sha);
    }

    @Override
    public void close() {
        watch.close();
    }

    /** For tests and the cluster view: the highest revision this node has applied. */
    long applied() {
        return watch.applied();
    }
}

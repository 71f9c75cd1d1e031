package dev.kiln.host.cluster;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.MessageGetRequest;
import io.nats.client.api.MessageInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's watch of a key-value bucket that an in-memory copy follows (the registry, the settings
 * documents): loads what the bucket holds, hands each later entry to its owner once and in revision
 * order, tells which revision the copy has reached, and resumes after a reconnect from the revision
 * after the last one applied.
 */
final class BucketWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BucketWatch.class);

    /** The longest one direct get of a catch-up waits for its answer. */
    private static final Duration CATCH_UP_WAIT = Duration.ofMillis(500);

    /** Applies one entry to the owner's copy; what it throws is logged and the entry skipped. */
    interface Applier {
        void apply(KeyValueEntry entry) throws IOException;
    }

    private final Connection nc;
    private final KeyValue kv;
    private final String what;
    private final Applier applier;
    private final String stream;
    private final CountDownLatch loaded = new CountDownLatch(1);
    private final KeyValueWatcher watcher =
            new KeyValueWatcher() {
                @Override
                public void watch(KeyValueEntry e) {
                    seen(e);
                }

                @Override
                public void endOfData() {
                    loaded.countDown();
                }
            };

    private final AtomicBoolean resuming = new AtomicBoolean();
    private final Object appliedLock = new Object();
    private final Object applyOrder = new Object();
    private long applied; // guarded by appliedLock
    private volatile AutoCloseable watch;

    /**
     * @param what the bucket's name in messages ("registry", "documents")
     */
    BucketWatch(Connection nc, KeyValue kv, String what, Applier applier) {
        this.nc = nc;
        this.kv = kv;
        this.what = what;
        this.applier = applier;
        this.stream = "KV_" + kv.getBucketName();
    }

    /** Starts watching and returns once the watch has delivered what the bucket holds. */
    void start(Duration loadWait) throws IOException {
        try {
            watch = kv.watchAll(watcher);
            if (!loaded.await(loadWait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(
                        "the "
                                + what
                                + " bucket did not load within "
                                + loadWait.toSeconds()
                                + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading the " + what + " bucket", e);
        } catch (JetStreamApiException e) {
            throw new IOException("cannot watch the " + what + " bucket", e);
        }
    }

    /**
     * After NATS came back: a new watch from the revision after the last one applied. A server that
     * restarted has lost the watch's consumer, so the old watch may never deliver again (measured
     * with nats-server 2.9: writes after the restart did not arrive within 10 s).
     */
    void rewatch() {
        // The stream may be electing a leader right after a server died (4–9 s measured): retry.
        for (int attempt = 1; attempt <= 60; attempt++) {
            if (tryRewatch()) {
                return;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.error("{} watch not resumed after 60 attempts; restart this node", what);
    }

    private synchronized boolean tryRewatch() {
        if (nc.getStatus() != Connection.Status.CONNECTED) {
            return false;
        }
        try {
            AutoCloseable old = watch;
            if (old != null) {
                old.close();
            }
        } catch (Exception e) {
            log.debug("closing the old {} watch: {}", what, e.toString());
        }
        long from;
        synchronized (appliedLock) {
            from = applied + 1;
        }
        try {
            watch = kv.watchAll(watcher, from);
            log.info("{} watch resumed from revision {}", what, from);
            return true;
        } catch (IOException | JetStreamApiException e) {
            log.warn("{} watch not resumed yet (retrying): {}", what, e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * One entry of the bucket, in revision order: from the watch's thread, or from a {@link
     * #catchUp} (one at a time, so the owner sees each revision once and in order).
     */
    private void seen(KeyValueEntry e) {
        synchronized (applyOrder) {
            synchronized (appliedLock) {
                if (e.getRevision() <= applied) {
                    return; // delivered again by a resumed watch, or caught up already
                }
            }
            try {
                applier.apply(e);
            } catch (IOException | RuntimeException ex) {
                log.error("{} entry {} not applied: {}", what, e.getKey(), ex.toString());
            } finally {
                synchronized (appliedLock) {
                    applied = Math.max(applied, e.getRevision());
                    appliedLock.notifyAll();
                }
            }
        }
    }

    /**
     * Reads the entries after the last one applied, up to {@code revision}, straight from the
     * bucket's stream by a direct get, which any replica answers even while the stream elects a
     * leader or the watch's consumer is being placed again after a server died (11-30 s measured on
     * nats-server 2.9.10): the copy is fresh again at once instead of when the watch resumes. Each
     * get asks for the first message at or after a sequence, so a replica that lacks a later one
     * answers "none" and the catch-up stops there (it never skips a revision it has not seen); a
     * gap it steps over is a revision since superseded by a later write of the same key.
     */
    boolean catchUp(long revision) {
        long next;
        synchronized (appliedLock) {
            next = applied + 1;
        }
        String filter = "$KV." + kv.getBucketName() + ".>";
        while (next <= revision) {
            Message reply;
            try {
                reply =
                        nc.request(
                                "$JS.API.DIRECT.GET." + stream,
                                MessageGetRequest.nextForSubject(next, filter)
                                        .toJson()
                                        .getBytes(StandardCharsets.UTF_8),
                                CATCH_UP_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (RuntimeException e) {
                log.debug("{} catch-up at {} failed: {}", what, next, e.toString());
                return false;
            }
            if (reply == null || reply.isStatusMessage() || !reply.hasHeaders()) {
                return false; // none at or after `next` on the replica that answered, or no answer
            }
            KeyValueEntry e;
            try {
                e = new KeyValueEntry(new MessageInfo(reply, stream, true));
            } catch (RuntimeException x) {
                log.debug("{} catch-up at {}: unreadable answer: {}", what, next, x.toString());
                return false;
            }
            if (e.getRevision() < next) {
                return false;
            }
            seen(e);
            next = e.getRevision() + 1;
        }
        return true;
    }

    /**
     * Whether the copy reaches {@code revision} within {@code wait}. When it does not, the watch is
     * resumed in the background: the revision exists (a node wrote it), so this watch may have lost
     * its consumer without this node's connection dropping — the NATS server that held the consumer
     * died while this node stayed connected to another one, and the client's own reset of the watch
     * failed during the stream's leader election. Without this, a node that only reads kept serving
     * its stale copy until its own connection dropped (found by ClusterFaultTest).
     */
    boolean appliedWithin(long revision, Duration wait) {
        // Half the wait for the watch, which normally delivers in about a millisecond; then the
        // entries are read directly, and the watch is resumed if it stays behind.
        Duration half = wait.dividedBy(2);
        if (reached(revision, half)
                || (catchUp(revision) && reached(revision, Duration.ZERO))
                || reached(revision, wait.minus(half))) {
            return true;
        }
        if (!Thread.currentThread().isInterrupted()
                && nc.getStatus() == Connection.Status.CONNECTED
                && resuming.compareAndSet(false, true)) {
            log.warn(
                    "{} revision {} not reached within {} ms: resuming the watch",
                    what,
                    revision,
                    wait.toMillis());
            Thread.ofVirtual()
                    .name("kiln-" + what + "-rewatch")
                    .start(
                            () -> {
                                try {
                                    rewatch();
                                } finally {
                                    resuming.set(false);
                                }
                            });
        }
        return false;
    }

    private boolean reached(long revision, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (appliedLock) {
            while (applied < revision) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(appliedLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** The highest revision the copy has applied. */
    long applied() {
        synchronized (appliedLock) {
            return applied;
        }
    }

    @Override
    public void close() {
        try {
            AutoCloseable w = watch;
            if (w != null) {
                w.close();
            }
        } catch (Exception e) {
            log.debug("closing the {} watch: {}", what, e.toString());
        }
    }
}

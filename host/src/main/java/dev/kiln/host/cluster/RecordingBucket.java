package dev.kiln.host.cluster;

import dev.kiln.host.observability.LogGate;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.replay.RecordingReplication;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.PublishOptions;
import io.nats.client.PurgeOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recordings of every node in the {@code kiln-recordings} bucket (docs/adr/0059), so that any
 * node exports and replays any recording. The recording writer hands each committed batch over
 * without waiting ({@link #committed}); one thread of this class puts them into the bucket. While
 * NATS is unreachable they wait in a queue bounded in bytes; what does not fit, what JetStream
 * refuses, and a recording larger than the connection's largest message, stays on its node only:
 * counted in {@code kiln_recordings_unreplicated_total} and logged at most once a minute.
 *
 * <p>A key is {@code <service>.<function>.<request id>}, each part in unpadded URL-safe base64 of
 * its UTF-8 bytes: any name becomes subject-safe characters, and a function's keys share a prefix.
 */
final class RecordingBucket implements RecordingReplication, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RecordingBucket.class);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    static final String STREAM = "KV_" + Buckets.RECORDINGS;
    private static final String SUBJECTS = "$KV." + Buckets.RECORDINGS + ".";

    /** Room left in a message for its headers and the protocol line. */
    private static final int HEADROOM = 1024;

    private static final int PUT_TRIES = 3;
    static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final Connection nc;
    private final JetStream js;
    private final KeyValue bucket;
    private final long maxQueuedBytes;
    private final BlockingQueue<Shared> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong unreplicated = new AtomicLong();
    private final LogGate warnings = new LogGate(Duration.ofMinutes(1));
    private final Thread thread;
    private volatile boolean closing;
    private volatile long closeDeadline;
    private final ShortReads reads;

    /**
     * @param bucket the bucket, opened (created if needed) by {@link Buckets#recordings}
     * @param maxQueuedBytes recordings' bytes that may wait to be put at most
     */
    RecordingBucket(Connection nc, KeyValue bucket, long maxQueuedBytes, Metrics metrics)
            throws IOException {
        this.nc = nc;
        this.js = nc.jetStream(Buckets.JS_OPTIONS);
        this.reads = new ShortReads(nc);
        this.bucket = bucket;
        this.maxQueuedBytes = maxQueuedBytes;
        metrics.counter(
                "kiln_recordings_unreplicated_total",
                "Recordings this node stored but did not put into the cluster's recordings bucket"
                        + " (queue full, larger than a NATS message, or JetStream refused them);"
                        + " only this node exports and replays them.",
                List.of(),
                sink -> sink.add(unreplicated.get()));
        this.thread =
                Thread.ofPlatform().daemon().name("kiln-recording-publisher").start(this::run);
    }

    /** The bucket key of one recording. */
    static String key(String service, String function, String requestId) {
        return prefix(service, function) + part(requestId);
    }

    private static String prefix(String service, String function) {
        return part(service) + "." + part(function) + ".";
    }

    private static String part(String s) {
        return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void committed(List<Shared> recordings) {
        for (Shared r : recordings) {
            long bytes = r.bytes().length;
            if (queuedBytes.addAndGet(bytes) > maxQueuedBytes) {
                queuedBytes.addAndGet(-bytes);
                lost(1, "the queue of recordings to replicate is full");
            } else {
                queue.add(r);
            }
        }
    }

    @Override
    public Optional<byte[]> read(String service, String function, String requestId) {
        if (!connected()) {
            return Optional.empty(); // NATS away: this node's own recordings only, at once
        }
        try {
            KeyValueEntry e = bucket.get(key(service, function, requestId));
            if (e == null || e.getOperation() != KeyValueOperation.PUT || e.getValue() == null) {
                return Optional.empty();
            }
            return Optional.of(e.getValue());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            warn("reading a recording from the cluster failed: " + e);
            return Optional.empty();
        }
    }

    @Override
    public List<String> requestIds(String service, String function) {
        if (!connected()) {
            return List.of();
        }
        String prefix = prefix(service, function);
        try {
            List<String> keys =
                    reads.keys(
                            bucket.getBucketName(),
                            prefix + ">",
                            System.nanoTime() + ShortReads.READ_WAIT.toNanos());
            List<String> ids = new ArrayList<>(keys.size());
            for (String k : keys) {
                if (k.startsWith(prefix)) {
                    ids.add(
                            new String(
                                    B64D.decode(k.substring(prefix.length())),
                                    StandardCharsets.UTF_8));
                }
            }
            // In the order they were put: the newest last.
            Collections.reverse(ids);
            return ids;
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            warn("listing the cluster's recordings failed: " + e);
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    @Override
    public void deleteFunction(String service, String function) {
        try {
            nc.jetStreamManagement(Buckets.JS_OPTIONS)
                    .purgeStream(
                            STREAM,
                            PurgeOptions.subject(SUBJECTS + prefix(service, function) + ">"));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            // Best effort: the bucket's max age drops them in time.
            warn("dropping a deleted function's recordings from the cluster failed: " + e);
        }
    }

    private boolean connected() {
        return nc.getStatus() == Connection.Status.CONNECTED;
    }

    /** Recordings not replicated (for tests and the metric). */
    long unreplicated() {
        return unreplicated.get();
    }

    private void run() {
        while (!closing || !queue.isEmpty()) {
            Shared r;
            try {
                r = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (r == null) {
                continue;
            }
            try {
                put(r);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                lost(1, "putting it failed: " + e);
            } finally {
                queuedBytes.addAndGet(-r.bytes().length);
            }
        }
    }

    /** Puts one recording, waiting while NATS is away (the queue fills meanwhile). */
    private void put(Shared r) throws InterruptedException {
        if (r.bytes().length > nc.getMaxPayload() - HEADROOM) {
            lost(1, "a recording is larger than a NATS message; it stays on this node");
            return;
        }
        String subject = SUBJECTS + key(r.service(), r.function(), r.requestId());
        var options = PublishOptions.builder().expectedStream(STREAM).build();
        int tries = 0;
        while (true) {
            if (closing && System.nanoTime() > closeDeadline) {
                lost(1, "the node closed before NATS took it");
                return;
            }
            if (nc.getStatus() != Connection.Status.CONNECTED) {
                Thread.sleep(250);
                continue;
            }
            try {
                // A retried put writes the same value again: the key keeps its last.
                js.publish(subject, r.bytes(), options);
                return;
            } catch (JetStreamApiException e) {
                lost(1, "JetStream refused it: " + e.getMessage());
                return;
            } catch (IOException e) {
                if (++tries >= PUT_TRIES && nc.getStatus() == Connection.Status.CONNECTED) {
                    lost(1, "putting it timed out " + tries + " times: " + e);
                    return;
                }
                Thread.sleep(500);
            }
        }
    }

    private void lost(int n, String why) {
        unreplicated.addAndGet(n);
        warn(
                n
                        + " recordings not replicated to the cluster ("
                        + why
                        + "); only this node replays them ("
                        + unreplicated.get()
                        + " so far, see kiln_recordings_unreplicated_total)");
    }

    private void warn(String message) {
        if (warnings.pass()) {
            log.warn("{}", message);
        }
    }

    /** Puts what is queued, waiting up to {@link #CLOSE_WAIT}, then stops. */
    @Override
    public void close() {
        closeDeadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        closing = true;
        try {
            thread.join(CLOSE_WAIT.plusSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = queue.size();
        if (left > 0) {
            queue.clear();
            lost(left, "the node closed before NATS took them");
        }
    }
}
